#include "mastering/udf/file_set.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <unordered_set>

#include "mastering/udf/volume_descriptors.h"

namespace mastering::udf {

using model::Node;

namespace {
constexpr uint32_t k_unset = UINT32_MAX;
}

uint64_t FileSet::unique_id(const Node* n) const { return n == m_tree.root() ? 0 : 16 + uint64_t(n->ino); }

LongAd FileSet::icb_of(const Node* n) const {
    return LongAd{block_size, extent_type::recorded, m_address.lbn(m_entry_of_ino[n->ino]), m_address.partition};
}

LongAd FileSet::descriptor_location() const {
    return LongAd{block_size, extent_type::recorded, m_address.lbn(0), m_address.partition};
}

size_t FileSet::ads_in_entry() const {
    return (block_size - (extended() ? extended_file_entry_header : file_entry_header)) / long_ad_bytes;
}

std::vector<std::string> FileSet::child_names(const Node* dir) const {
    std::vector<std::string> names;
    names.reserve(dir->children->size());
    bool shortened = false;
    for (const Node* c : *dir->children) {
        names.push_back(encode_cs0(c->name, 255));
        if (decode_cs0(reinterpret_cast<const std::byte*>(names.back().data()), names.back().size()) != c->name)
            shortened = true;
    }
    if (shortened) {
        // Names cut to 255 bytes (or with characters beyond UCS-2) may clash: number the later ones.
        std::unordered_set<std::string> seen;
        for (auto& n : names) {
            for (unsigned k = 1; !seen.insert(n).second; ++k) {
                std::string suffix = "~" + std::to_string(k);
                std::string base = n.substr(0, std::min(n.size(), size_t(255) - suffix.size() * (n[0] == 16 ? 2 : 1)));
                if (n[0] == 16 && base.size() % 2 == 0) base.pop_back();
                std::string enc = base;
                for (char ch : suffix) {
                    if (n[0] == 16) enc.push_back('\0');
                    enc.push_back(ch);
                }
                n = enc;
            }
        }
    }
    return names;
}

uint32_t FileSet::directory_bytes(const Node* dir) const {
    size_t bytes = file_identifier_bytes(0);
    for (const auto& n : child_names(dir)) bytes += file_identifier_bytes(n.size());
    return uint32_t(std::min<size_t>(bytes, UINT32_MAX));
}

// Allocation extent descriptors after a file's entry: the entry holds
// ads_in_entry() - 1 descriptors and a pointer, every descriptor block but
// the last k_aed_capacity - 1 and a pointer.
namespace {
constexpr size_t k_aed_capacity = (block_size - allocation_extent_header) / long_ad_bytes;
}

uint32_t FileSet::aed_blocks(const Node& n) const {
    if (!n.content || m_data.embedded(*n.content)) return 0;
    // Before the data are laid out only the extents' lengths are known: enough to count.
    size_t ads = extent_ads(m_data.placement(n), 0).size(), in_entry = ads_in_entry();
    if (ads <= in_entry) return 0;
    size_t rest = ads - (in_entry - 1), blocks = 0;
    while (rest > k_aed_capacity) {
        rest -= k_aed_capacity - 1;
        ++blocks;
    }
    return uint32_t(blocks + 1);
}

Status FileSet::plan() {
    m_max_ino = 0;
    std::vector<const Node*> queue{m_tree.root()};
    for (size_t qi = 0; qi < queue.size(); ++qi)
        for (const Node* c : *queue[qi]->children) {
            m_max_ino = std::max<uint64_t>(m_max_ino, c->ino);
            if (c->is_dir()) queue.push_back(c);
        }
    m_max_ino = std::max<uint64_t>(m_max_ino, m_tree.root()->ino);
    m_entry_of_ino.assign(size_t(m_max_ino) + 1, k_unset);
    m_links_of_ino.assign(size_t(m_max_ino) + 1, 0);
    m_items.clear();
    m_items.push_back({nullptr, 0, 2});
    uint64_t next = 2;
    m_files = m_dirs = 0;
    for (const Node* d : queue) {
        uint64_t bytes = directory_bytes(d);
        if (bytes > max_extent_bytes)
            return make_error(Errc::unsupported, model::Tree::path_of(d) + ": directory too large for one UDF extent");
        m_entry_of_ino[d->ino] = uint32_t(next);
        uint32_t blocks = 1 + uint32_t((bytes + block_size - 1) / block_size);
        m_items.push_back({d, uint32_t(next), blocks});
        next += blocks;
        ++m_dirs;
        for (const Node* c : *d->children) {
            if (c->is_dir()) continue;
            if (m_links_of_ino[c->ino] < 0xFFFF) ++m_links_of_ino[c->ino];
            if (m_entry_of_ino[c->ino] != k_unset) continue;  // another name of the same file
            m_entry_of_ino[c->ino] = uint32_t(next);
            // A file with more extents than its entry holds continues them in
            // allocation extent descriptors right after the entry.
            uint32_t entry_blocks = 1 + (c->is_file() ? aed_blocks(*c) : 0);
            m_items.push_back({c, uint32_t(next), entry_blocks});
            next += entry_blocks;
            ++m_files;
        }
        if (next > UINT32_MAX / 2) return make_error(Errc::unsupported, "too many files for one UDF volume");
    }
    m_blocks = uint32_t(next);
    return {};
}

namespace {
// Device entries carry an extended attribute header and a device specification.
constexpr size_t k_device_ea_bytes = 24 + 24;
bool is_device(const Node* n) { return S_ISCHR(n->mode) || S_ISBLK(n->mode); }
}  // namespace

Status FileSet::check_fit() const {
    // Every entry must fit its block: count the allocation descriptors now
    // that the file data have their places.
    size_t header = extended() ? extended_file_entry_header : file_entry_header;
    for (const auto& it : m_items) {
        const Node* n = it.node;
        if (!n || n->is_dir()) continue;
        size_t body = 0;
        if (n->is_file()) {
            if (extent_ads(m_data.placement(*n), 0).size() > ads_in_entry() + aed_blocks(*n) * (k_aed_capacity - 1))
                return make_error(Errc::internal, model::Tree::path_of(n) + ": UDF extents miscounted");
        } else if (n->is_symlink()) {
            body = encode(path_components(n->symlink_target())).size();
        } else if (is_device(n)) {
            body = k_device_ea_bytes;
        }
        if (header + body > block_size)
            return make_error(Errc::unsupported, model::Tree::path_of(n) +
                                                     (n->is_file() ? ": too many extents" : ": target too long") +
                                                     " for one UDF file entry");
    }
    return {};
}

uint64_t FileSet::lowest_data_block(uint64_t limit) const {
    uint64_t low = limit;
    for (const auto& it : m_items)
        if (it.node && it.node->is_file())
            for (const auto& e : m_data.placement(*it.node))
                if (!e.sparse) low = std::min<uint64_t>(low, e.lba);
    return low;
}

// The file set descriptor (UDF 2.3.2) and its terminator.
void FileSet::fill_descriptor(uint32_t index, std::byte* b) const {
    std::memset(b, 0, block_size);
    uint32_t lbn = m_address.lbn(index);
    if (index == 1) {
        encode(TerminatingDescriptor{tag_at(lbn)}, b);
        return;
    }
    FileSetDescriptor d;
    d.tag = tag_at(lbn);
    d.recorded = {m_opt.now, 0};
    d.logical_volume_id = m_opt.volume_name;
    d.file_set_id = m_opt.volume_name;
    d.root = icb_of(m_tree.root());
    d.domain = EntityId::domain(m_opt.revision);
    encode(d, b);
}

// A directory's file identifiers: the parent first (UDF 2.3.4), then the children in order.
Status FileSet::build_directory(const Node* dir, std::vector<std::byte>& out) const {
    auto names = child_names(dir);
    out.assign(directory_bytes(dir), std::byte{0});
    uint32_t first_lbn = m_address.lbn(m_entry_of_ino[dir->ino] + 1);
    size_t off = 0;
    auto add = [&](const Node* target, uint8_t characteristics, std::string name) {
        FileIdentifier f;
        f.tag = tag_at(first_lbn + uint32_t(off / block_size));
        f.characteristics = characteristics;
        f.icb = icb_of(target);
        f.icb.unique_id = uint32_t(unique_id(target));
        f.identifier = std::move(name);
        off += encode(f, out.data() + off);
    };
    add(dir->parent ? dir->parent : dir, fid_flag::parent | fid_flag::directory, {});
    size_t i = 0;
    for (const Node* c : *dir->children) add(c, c->is_dir() ? fid_flag::directory : 0, std::move(names[i++]));
    return {};
}

Status FileSet::fill(uint32_t rel, std::byte* b) {
    auto it = std::upper_bound(m_items.begin(), m_items.end(), rel,
                               [](uint32_t r, const Item& item) { return r < item.block; });
    DM_VERIFY(it != m_items.begin());
    const Item& item = *(it - 1);
    DM_VERIFY(rel < item.block + item.blocks);
    if (!item.node) {
        fill_descriptor(rel - item.block, b);
        return {};
    }
    if (rel == item.block) return fill_entry(item.node, m_address.lbn(rel), b);
    if (!item.node->is_dir()) return fill_aed(item, rel - item.block - 1, b);
    if (m_cache_dir != item.node) {
        DM_TRY(build_directory(item.node, m_cache));
        m_cache_dir = item.node;
    }
    size_t off = size_t(rel - item.block - 1) * block_size;
    std::memset(b, 0, block_size);
    if (off < m_cache.size()) std::memcpy(b, m_cache.data() + off, std::min<size_t>(block_size, m_cache.size() - off));
    return {};
}

Status FileSet::emit(uint64_t, uint32_t first, std::span<std::byte> out) {
    for (uint32_t k = 0; k < out.size() / block_size; ++k) DM_TRY(fill(first + k, out.data() + size_t(k) * block_size));
    return {};
}

}  // namespace mastering::udf
