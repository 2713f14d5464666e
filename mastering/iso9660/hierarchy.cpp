#include "mastering/iso9660/hierarchy.h"

#include <algorithm>
#include <cstring>

#include "mastering/joliet/names.h"
#include "mastering/rockridge/susp.h"

namespace mastering::iso9660 {

using model::Node;
using rockridge::SuaBuilder;

namespace {

constexpr uint16_t k_max_depth = 8;       // ECMA-119 6.8.2.1
constexpr uint64_t k_tag_l_table = 0, k_tag_m_table = 1;
uint64_t dir_tag(uint32_t d) { return 2 + 2 * uint64_t(d); }
uint64_t ce_tag(uint32_t d) { return 3 + 2 * uint64_t(d); }

uint32_t blocks_for(uint64_t bytes) { return uint32_t((bytes + block_size - 1) / block_size); }

rockridge::Times times_of(const Node* n) { return {n->mtime, n->atime, n->ctime}; }

uint32_t subdir_count(const Node* n) {
    uint32_t k = 0;
    for (const Node* c : *n->children) k += c->is_dir();
    return k;
}

// PX with the link count a reader expects: 2 + subdirectories for a
// directory, the hard link count for a file.
void rr_px(SuaBuilder& b, const Node* n) {
    uint32_t links = n->is_dir() ? 2 + subdir_count(n) : (n->content ? std::max<uint32_t>(1, n->content->links) : 1);
    b.px(n->mode, links, n->uid, n->gid, n->ino);
}

// Records never cross a block boundary (ECMA-119 6.8.1.1).
size_t place_record(size_t pos, size_t len) {
    if (pos % block_size + len > block_size) pos = (pos / block_size + 1) * block_size;
    return pos;
}

}  // namespace

std::string_view HierarchyPart::name() const {
    switch (m_opt.kind) {
    case HierarchyKind::primary: return m_opt.rock_ridge ? "ISO 9660 + Rock Ridge tree" : "ISO 9660 tree";
    case HierarchyKind::joliet: return "Joliet tree";
    case HierarchyKind::iso1999: return "ISO 9660:1999 tree";
    }
    return "tree";
}

bool HierarchyPart::include(const Node* n) const {
    if (n->is_dir() || n->is_file()) return true;
    // Symlinks and special files exist only through Rock Ridge.
    return m_opt.kind == HierarchyKind::primary && m_opt.rock_ridge;
}

Status HierarchyPart::build_structure() {
    m_dirs.clear();
    m_dir_of.clear();
    m_relocated.clear();
    Dir root;
    root.node = m_tree.root();
    root.ident = std::string(1, '\0');
    m_dirs.push_back(root);
    m_dir_of[root.node] = 0;
    bool relocate = m_opt.kind == HierarchyKind::primary;
    for (size_t qi = 0; qi < m_dirs.size(); ++qi) {
        for (Node* c : *m_dirs[qi].node->children) {
            if (!c->is_dir()) continue;
            Dir d;
            d.node = c;
            d.real_parent = uint32_t(qi);
            if (relocate && m_dirs[qi].depth >= k_max_depth) {
                d.parent = 0;
                d.depth = 2;
                d.relocated = true;
            } else {
                d.parent = uint32_t(qi);
                d.depth = uint16_t(m_dirs[qi].depth + 1);
            }
            uint32_t idx = uint32_t(m_dirs.size());
            m_dir_of[c] = idx;
            m_dirs.push_back(std::move(d));
            Dir& added = m_dirs.back();
            m_dirs[added.parent].subdirs.push_back(idx);
            if (added.relocated) {
                m_dirs[qi].placeholders.push_back(idx);
                m_relocated.push_back(idx);
            }
        }
    }
    if (m_dirs.size() > 65535)
        return make_error(Errc::unsupported, std::string(name()) + ": " + std::to_string(m_dirs.size()) +
                                                 " directories; ISO 9660 path tables hold at most 65535");
    // Identifiers: each directory names its entries; subdirectories learn theirs.
    for (uint32_t d = 0; d < m_dirs.size(); ++d) {
        auto entries = entries_of(d);
        std::vector<model::NameRequest> req;
        req.reserve(entries.size());
        for (const auto& e : entries)
            req.push_back({e.node->name, e.kind == EntryKind::dir || e.kind == EntryKind::relocated_dir});
        auto ids = m_opt.kind == HierarchyKind::joliet ? joliet::map_identifiers(req) : map_identifiers(req, m_opt.names);
        for (size_t i = 0; i < entries.size(); ++i)
            if (entries[i].kind == EntryKind::dir || entries[i].kind == EntryKind::relocated_dir)
                m_dirs[entries[i].dir].ident = std::move(ids[i]);
    }
    auto less = [&](uint32_t a, uint32_t b) {
        return m_opt.kind == HierarchyKind::joliet ? joliet::identifier_less(m_dirs[a].ident, m_dirs[b].ident)
                                                   : identifier_less(m_dirs[a].ident, m_dirs[b].ident);
    };
    for (auto& d : m_dirs) std::sort(d.subdirs.begin(), d.subdirs.end(), less);
    // Path table order (ECMA-119 6.9.1): breadth-first over sorted children.
    std::vector<uint32_t> order{0};
    for (size_t qi = 0; qi < order.size(); ++qi)
        for (uint32_t c : m_dirs[order[qi]].subdirs) order.push_back(c);
    std::vector<uint32_t> new_index(m_dirs.size());
    for (uint32_t i = 0; i < order.size(); ++i) new_index[order[i]] = i;
    std::vector<Dir> sorted(m_dirs.size());
    for (uint32_t i = 0; i < order.size(); ++i) sorted[i] = std::move(m_dirs[order[i]]);
    for (auto& d : sorted) {
        d.parent = new_index[d.parent];
        d.real_parent = new_index[d.real_parent];
        for (auto& c : d.subdirs) c = new_index[c];
        for (auto& c : d.placeholders) c = new_index[c];
    }
    for (auto& r : m_relocated) r = new_index[r];
    m_dirs = std::move(sorted);
    for (uint32_t i = 0; i < m_dirs.size(); ++i) {
        m_dirs[i].number = i + 1;
        m_dir_of[m_dirs[i].node] = i;
    }
    return {};
}

std::vector<HierarchyPart::Entry> HierarchyPart::entries_of(uint32_t d) const {
    std::vector<Entry> out;
    const Dir& dir = m_dirs[d];
    out.reserve(dir.node->children->size() + (d == 0 ? m_relocated.size() : 0));
    for (Node* c : *dir.node->children) {
        if (!include(c)) continue;
        if (c->is_dir()) {
            uint32_t idx = m_dir_of.at(c);
            if (m_dirs[idx].relocated) {
                // Without Rock Ridge nothing would point a reader back: no placeholder.
                if (m_opt.rock_ridge) out.push_back({c, EntryKind::placeholder, idx});
            } else {
                out.push_back({c, EntryKind::dir, idx});
            }
        } else if (c->is_file()) {
            out.push_back({c, EntryKind::file, 0});
        } else if (c->is_symlink()) {
            out.push_back({c, EntryKind::symlink, 0});
        } else {
            out.push_back({c, EntryKind::special, 0});
        }
    }
    if (d == 0)
        for (uint32_t r : m_relocated) out.push_back({m_dirs[r].node, EntryKind::relocated_dir, r});
    return out;
}

// "." and "..": the directory itself and its hierarchy parent; with Rock
// Ridge, SP and ER in the root's ".", PL in a relocated directory's "..".
void HierarchyPart::dot_records(uint32_t d, std::vector<Record>& recs) const {
    const Dir& dir = m_dirs[d];
    const bool rr = m_opt.rock_ridge;
    Record dot;
    dot.r.identifier = std::string(1, '\0');
    dot.r.extent = dir.lba;
    dot.r.data_length = dir.size;
    dot.r.flags = flag::directory;
    dot.r.recorded = dir.node->mtime;
    if (rr) {
        SuaBuilder b;
        if (d == 0) b.sp();
        rr_px(b, dir.node);
        b.tf(times_of(dir.node));
        if (d == 0) b.er_rrip();
        dot.sua = b.entries();
    }
    recs.push_back(std::move(dot));
    const Dir& parent = m_dirs[dir.parent];
    Record dotdot;
    dotdot.r.identifier = std::string(1, '\1');
    dotdot.r.extent = parent.lba;
    dotdot.r.data_length = parent.size;
    dotdot.r.flags = flag::directory;
    dotdot.r.recorded = parent.node->mtime;
    if (rr) {
        SuaBuilder b;
        const Dir& real = m_dirs[dir.real_parent];
        rr_px(b, real.node);
        b.tf(times_of(real.node));
        if (dir.relocated) b.pl(real.lba);
        dotdot.sua = b.entries();
    }
    recs.push_back(std::move(dotdot));
}

// A file's records: one per section of at most model::max_iso_section
// bytes, all but the last flagged multi-extent (ECMA-119 9.1.6, bit 7).
Status HierarchyPart::file_records(const Record& base, const Node* n, std::vector<Record>& recs) const {
    std::vector<std::pair<uint32_t, uint32_t>> sections;  // (lba, bytes)
    for (const auto& x : m_data.placement(*n)) {
        uint64_t left = x.length, lba = x.lba;
        while (left > 0) {
            uint64_t part = std::min<uint64_t>(left, model::max_iso_section);
            sections.emplace_back(uint32_t(lba), uint32_t(part));
            lba += part / block_size;
            left -= part;
        }
    }
    if (sections.size() > 1 && !m_opt.multi_extent)
        return make_error(Errc::unsupported,
                          model::Tree::path_of(n) + ": a file over 4 GiB needs ISO 9660 level 3 (multi-extent files)");
    if (sections.empty()) sections.emplace_back(0u, 0u);
    for (size_t s = 0; s < sections.size(); ++s) {
        Record r = base;
        r.r.extent = sections[s].first;
        r.r.data_length = sections[s].second;
        if (s + 1 < sections.size()) r.r.flags |= flag::multi_extent;
        recs.push_back(std::move(r));
    }
    return {};
}

// The named entries of directory d, in identifier order, each with its
// Rock Ridge entries.
Status HierarchyPart::entry_records(uint32_t d, std::vector<Record>& recs) const {
    auto entries = entries_of(d);
    std::vector<model::NameRequest> req;
    req.reserve(entries.size());
    for (const auto& e : entries)
        req.push_back({e.node->name, e.kind == EntryKind::dir || e.kind == EntryKind::relocated_dir});
    const bool joliet = m_opt.kind == HierarchyKind::joliet;
    auto ids = joliet ? joliet::map_identifiers(req) : map_identifiers(req, m_opt.names);
    std::vector<size_t> order(entries.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return joliet ? joliet::identifier_less(ids[a], ids[b]) : identifier_less(ids[a], ids[b]);
    });
    for (size_t oi : order) {
        const Entry& e = entries[oi];
        const Node* n = e.node;
        Record rec;
        rec.r.identifier = ids[oi];
        rec.r.recorded = n->mtime;
        if (m_opt.rock_ridge) {
            SuaBuilder b;
            rr_px(b, n);
            b.tf(times_of(n));
            b.nm(n->name);
            if (e.kind == EntryKind::symlink) b.sl(n->symlink_target());
            if (S_ISCHR(n->mode) || S_ISBLK(n->mode)) b.pn(n->rdev());
            if (e.kind == EntryKind::placeholder) b.cl(m_dirs[e.dir].lba);
            if (e.kind == EntryKind::relocated_dir) b.re();
            rec.sua = b.entries();
        }
        switch (e.kind) {
        case EntryKind::dir:
        case EntryKind::relocated_dir:
            rec.r.flags = flag::directory;
            rec.r.extent = m_dirs[e.dir].lba;
            rec.r.data_length = m_dirs[e.dir].size;
            break;
        case EntryKind::placeholder:
            rec.r.extent = m_dirs[e.dir].lba;
            rec.r.data_length = 0;
            break;
        case EntryKind::file:
            DM_TRY(file_records(rec, n, recs));
            continue;
        case EntryKind::symlink:
        case EntryKind::special:
            break;
        }
        recs.push_back(std::move(rec));
    }
    return {};
}

Result<HierarchyPart::Built> HierarchyPart::build_directory(uint32_t d, bool sizing) const {
    std::vector<Record> recs;
    dot_records(d, recs);
    DM_TRY(entry_records(d, recs));
    return place_records(m_dirs[d], recs, sizing);
}

// Places the records in the directory's blocks (none across a block
// boundary) and the system use entries that do not fit into 255 bytes in
// the directory's continuation area.
HierarchyPart::Built HierarchyPart::place_records(const Dir& dir, std::vector<Record>& recs, bool sizing) const {
    Built out;
    size_t pos = 0;
    uint32_t ce_off = 0;
    std::vector<std::pair<rockridge::CeLocation, std::string>> ce_chunks;
    auto place_ce = [&](uint32_t size) {
        if (ce_off % block_size + size > block_size) ce_off = (ce_off / block_size + 1) * block_size;
        rockridge::CeLocation loc{dir.ce_lba + ce_off / block_size, ce_off % block_size, size};
        ce_off += size;
        return loc;
    };
    std::vector<std::pair<size_t, DirectoryRecord>> placed;
    placed.reserve(recs.size());
    for (auto& rec : recs) {
        size_t base_len = dir_record_base + rec.r.identifier.size() + ((rec.r.identifier.size() & 1) == 0 ? 1 : 0);
        if (!rec.sua.empty()) {
            auto split = rockridge::split_sua(rec.sua, 255 - base_len, place_ce);
            rec.r.system_use = std::move(split.inline_part);
            for (auto& c : split.chunks) ce_chunks.push_back(std::move(c));
        }
        size_t len = rec.r.encoded_size();
        pos = place_record(pos, len);
        placed.emplace_back(pos, std::move(rec.r));
        pos += len;
    }
    uint32_t size = std::max<uint32_t>(1, blocks_for(pos)) * block_size;
    out.ce_bytes = ce_off;
    if (sizing) {
        out.extent.resize(size);  // only its size is used
        return out;
    }
    out.extent.assign(size, std::byte{0});
    for (auto& [at, r] : placed) encode_directory_record(r, out.extent.data() + at);
    out.ce_area.assign(size_t(dir.ce_blocks) * block_size, std::byte{0});
    for (auto& [loc, bytes] : ce_chunks) {
        size_t at = size_t(loc.block - dir.ce_lba) * block_size + loc.offset;
        DM_VERIFY(at + bytes.size() <= out.ce_area.size());
        std::memcpy(out.ce_area.data() + at, bytes.data(), bytes.size());
    }
    return out;
}

std::vector<std::byte> HierarchyPart::build_path_table(bool be) const {
    std::vector<std::byte> out(size_t(blocks_for(m_path_table_size)) * block_size, std::byte{0});
    size_t pos = 0;
    for (const auto& d : m_dirs) {
        PathTableRecord r;
        r.identifier = d.ident;
        r.extent = d.lba;
        r.parent = uint16_t(m_dirs[d.parent].number);
        pos += encode_path_table_record(r, be, out.data() + pos);
    }
    return out;
}

Status HierarchyPart::layout(model::Allocator& a) {
    DM_TRY(build_structure());
    // Sizes first (they do not depend on addresses), then addresses.
    for (uint32_t d = 0; d < m_dirs.size(); ++d) {
        auto b = DM_TRY(build_directory(d, true));
        m_dirs[d].size = uint32_t(b.extent.size());
        m_dirs[d].ce_blocks = blocks_for(b.ce_bytes);
    }
    m_path_table_size = 0;
    for (const auto& d : m_dirs) m_path_table_size += uint32_t(8 + d.ident.size() + (d.ident.size() & 1));
    uint32_t pt_blocks = std::max<uint32_t>(1, blocks_for(m_path_table_size));
    m_l_table = a.reserve(pt_blocks, this, k_tag_l_table);
    m_m_table = a.reserve(pt_blocks, this, k_tag_m_table);
    for (uint32_t d = 0; d < m_dirs.size(); ++d) m_dirs[d].lba = a.reserve(m_dirs[d].size / block_size, this, dir_tag(d));
    for (uint32_t d = 0; d < m_dirs.size(); ++d)
        if (m_dirs[d].ce_blocks) m_dirs[d].ce_lba = a.reserve(m_dirs[d].ce_blocks, this, ce_tag(d));
    m_cache_dir = UINT64_MAX;
    m_pt_cache[0].clear();
    m_pt_cache[1].clear();
    return {};
}

Status HierarchyPart::emit(uint64_t tag, uint32_t first, std::span<std::byte> out) {
    const std::vector<std::byte>* src;
    if (tag == k_tag_l_table || tag == k_tag_m_table) {
        auto& c = m_pt_cache[tag];
        if (c.empty()) c = build_path_table(tag == k_tag_m_table);
        src = &c;
    } else {
        uint32_t d = uint32_t((tag - 2) / 2);
        if (m_cache_dir != d) {
            m_cache = DM_TRY(build_directory(d, false));
            m_cache_dir = d;
        }
        src = (tag % 2 == 0) ? &m_cache.extent : &m_cache.ce_area;
    }
    size_t off = size_t(first) * block_size;
    DM_VERIFY(off + out.size() <= src->size());
    std::memcpy(out.data(), src->data() + off, out.size());
    return {};
}

DirectoryRecord HierarchyPart::root_record() const {
    DirectoryRecord r;
    r.identifier = std::string(1, '\0');
    r.extent = m_dirs[0].lba;
    r.data_length = m_dirs[0].size;
    r.flags = flag::directory;
    r.recorded = m_dirs[0].node->mtime;
    return r;
}

}  // namespace mastering::iso9660
