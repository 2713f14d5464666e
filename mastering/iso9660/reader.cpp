#include "mastering/iso9660/reader.h"

#include <sys/stat.h>

#include <cstring>

#include "mastering/codec/text.h"
#include "mastering/model/data_source.h"
#include "mastering/rockridge/susp.h"

namespace mastering::iso9660 {

using model::DirEntry;
using model::Extent;
using model::FsType;
using model::NodeAttr;
using model::NodeType;

namespace {

constexpr uint64_t k_max_directory_bytes = 1ull << 30;

std::string hex_lba(uint64_t lba) { return "block " + std::to_string(lba); }

Result<std::string> read_ce_area(media::SectorSource& m, const rockridge::CeLocation& loc) {
    if (loc.block >= m.block_count())
        return make_error(Errc::corrupt, "Rock Ridge continuation area at " + hex_lba(loc.block) + " is beyond the medium");
    std::vector<std::byte> b(block_size);
    DM_TRY(m.read_blocks(loc.block, b));
    return std::string(reinterpret_cast<const char*>(b.data() + loc.offset), loc.length);
}

// The identifier as a plain ISO 9660 reader shows it: no ";1", no trailing '.'.
std::string plain_name(std::string id) {
    auto semi = id.find(';');
    if (semi != std::string::npos) id.resize(semi);
    if (!id.empty() && id.back() == '.') id.pop_back();
    return id;
}

std::string joliet_name(const std::string& id) {
    std::string s = codec::ucs2be_to_utf8(reinterpret_cast<const std::byte*>(id.data()), id.size());
    auto semi = s.rfind(';');
    if (semi != std::string::npos && semi + 1 < s.size() &&
        s.find_first_not_of("0123456789", semi + 1) == std::string::npos)
        s.resize(semi);
    return s;
}

class IsoReader final : public model::FileSystemReader {
public:
    IsoReader(media::SectorSource& m, VolumeSet vs, FsType view) : m_medium(m), m_vs(std::move(vs)), m_view(view) {
        m_vd = view == FsType::joliet ? &*m_vs.joliet : &*m_vs.pvd;
    }
    FsType type() const override { return m_view; }
    std::string volume_id() const override {
        std::string v = m_view == FsType::joliet ? joliet_name(m_vd->volume_id) : m_vd->volume_id;
        while (!v.empty() && (v.back() == ' ' || v.back() == '\0')) v.pop_back();
        return v;
    }

    Result<NodeAttr> root() override {
        const auto& r = m_vd->root;
        DM_TRY(check_extent(r.extent, r.data_length, "root directory"));
        NodeAttr a = base_attr(r, uint64_t(r.extent) * block_size);
        if (m_view == FsType::rockridge) {
            // The root's own attributes are in its "." record.
            auto dot = DM_TRY(read_dot(r.extent));
            apply_rr(a, dot);
        }
        return a;
    }

    Result<std::vector<DirEntry>> list(const NodeAttr& dir) override {
        if (dir.type != NodeType::directory || dir.extents.empty())
            return make_error(Errc::invalid_argument, "not a directory");
        const Extent& ext = dir.extents.front();
        DM_TRY(check_extent(ext.lba, ext.length, "directory"));
        uint64_t blocks = (ext.length + block_size - 1) / block_size;
        std::vector<std::byte> data(size_t(blocks) * block_size);
        DM_TRY(m_medium.read_blocks(ext.lba, data));
        std::vector<DirEntry> out;
        DirEntry* pending = nullptr;  // a multi-extent file waiting for its next section
        for (uint64_t b = 0; b < blocks; ++b) {
            size_t pos = 0;
            const std::byte* blk = data.data() + b * block_size;
            while (pos < block_size) {
                uint8_t len = codec::u8(blk[pos]);
                if (len == 0) break;  // padding to the end of the block
                uint64_t addr = (ext.lba + b) * block_size + pos;
                auto rec = decode_directory_record(codec::Bytes(blk + pos, block_size - pos));
                if (!rec.ok())
                    return rec.error().with_context("directory at " + hex_lba(ext.lba) + ", record at byte " +
                                                    std::to_string(b * block_size + pos));
                pos += len;
                const auto& r = *rec;
                if (r.identifier.size() == 1 && (r.identifier[0] == '\0' || r.identifier[0] == '\1')) continue;
                if (pending && pending->attr.extra["user.iso9660.name"] == r.identifier) {
                    // The next section of a multi-extent file.
                    DM_TRY(check_extent(r.extent, r.data_length, "file"));
                    pending->attr.extents.push_back({r.extent, r.data_length, false});
                    pending->attr.size += r.data_length;
                    if (!(r.flags & flag::multi_extent)) pending = nullptr;
                    continue;
                }
                pending = nullptr;
                DirEntry e;
                e.attr = base_attr(r, addr);
                e.attr.extra["user.iso9660.name"] = r.identifier;
                if (m_view == FsType::joliet) e.name = joliet_name(r.identifier);
                else e.name = plain_name(r.identifier);
                if (m_view == FsType::rockridge && m_vs.rock_ridge) {
                    auto rr = DM_TRY(parse_rr(r));
                    if (rr.relocated) continue;  // shown at its original place through CL
                    if (rr.child_link) {
                        auto dot = DM_TRY(read_dot(*rr.child_link));
                        e.attr.type = NodeType::directory;
                        e.attr.id = uint64_t(*rr.child_link) * block_size;
                        e.attr.extents = {{*rr.child_link, dot.data_length, false}};
                        e.attr.size = dot.data_length;
                        apply_rr(e.attr, dot);
                        if (rr.name) e.name = *rr.name;
                        e.attr.extra["user.iso9660.name"] = r.identifier;
                        out.push_back(std::move(e));
                        continue;
                    }
                    apply_rr_info(e.attr, rr);
                    if (rr.name) e.name = *rr.name;
                }
                if (e.name.empty() || e.name == "." || e.name == ".." || e.name.find('/') != std::string::npos)
                    return make_error(Errc::corrupt, "directory at " + hex_lba(ext.lba) + ": invalid name \"" + e.name + "\"");
                if (e.attr.type == NodeType::file)
                    for (const auto& x : e.attr.extents)
                        if (auto st = check_extent(x.lba, x.length, "file"); !st.ok())
                            return st.error().with_context(e.name);
                out.push_back(std::move(e));
                if ((r.flags & flag::multi_extent) && out.back().attr.type == NodeType::file) pending = &out.back();
            }
        }
        return out;
    }

    Result<size_t> read(const NodeAttr& f, uint64_t offset, std::span<std::byte> out) override {
        for (const auto& e : f.extents)
            if (!e.sparse) DM_TRY(check_extent(e.lba, e.length, "file"));
        return model::read_extents(m_medium, f.extents, f.size, offset, out);
    }

private:
    Status check_extent(uint64_t lba, uint64_t length, const char* what) const {
        uint64_t blocks = (length + block_size - 1) / block_size;
        if (lba > m_medium.block_count() || blocks > m_medium.block_count() - lba)
            return make_error(Errc::corrupt, std::string(what) + " extent " + hex_lba(lba) + " +" +
                                                 std::to_string(blocks) + " blocks lies beyond the medium (" +
                                                 std::to_string(m_medium.block_count()) + " blocks)");
        if (std::string_view(what) == "directory" && length > k_max_directory_bytes)
            return make_error(Errc::corrupt, "directory at " + hex_lba(lba) + " claims " + std::to_string(length) + " bytes");
        return {};
    }

    NodeAttr base_attr(const DirectoryRecord& r, uint64_t addr) const {
        NodeAttr a;
        a.id = addr;
        bool dir = r.flags & flag::directory;
        a.type = dir ? NodeType::directory : NodeType::file;
        a.mode = dir ? 0555 : 0444;
        a.nlink = dir ? 2 : 1;
        a.size = r.data_length;
        a.mtime = a.atime = a.ctime = {r.recorded, 0};
        if (dir) a.id = uint64_t(r.extent) * block_size;
        if (dir || r.data_length > 0) a.extents = {{r.extent, r.data_length, false}};
        return a;
    }

    // The "." record of the directory at `lba`.
    Result<DirectoryRecord> read_dot(uint64_t lba) {
        DM_TRY(check_extent(lba, block_size, "directory"));
        std::vector<std::byte> b(block_size);
        DM_TRY(m_medium.read_blocks(lba, b));
        auto r = decode_directory_record(b);
        if (!r.ok()) return r.error().with_context("first record of the directory at " + hex_lba(lba));
        if (!(r->identifier.size() == 1 && r->identifier[0] == '\0') || !(r->flags & flag::directory))
            return make_error(Errc::corrupt, "the directory at " + hex_lba(lba) + " does not start with its \".\" record");
        return r;
    }

    Result<rockridge::RockRidge> parse_rr(const DirectoryRecord& r) {
        return rockridge::parse_sua(r.system_use, m_vs.sp_skip,
                                    [this](const rockridge::CeLocation& loc) { return read_ce_area(m_medium, loc); });
    }

    void apply_rr(NodeAttr& a, const DirectoryRecord& r) {
        if (m_view != FsType::rockridge || !m_vs.rock_ridge) return;
        auto rr = parse_rr(r);
        if (rr.ok()) apply_rr_info(a, *rr);
    }

    static void apply_rr_info(NodeAttr& a, const rockridge::RockRidge& rr) {
        if (rr.mode) {
            uint32_t m = *rr.mode;
            a.mode = m & 07777;
            if (S_ISDIR(m)) a.type = NodeType::directory;
            else if (S_ISLNK(m)) a.type = NodeType::symlink;
            else if (S_ISCHR(m)) a.type = NodeType::char_device;
            else if (S_ISBLK(m)) a.type = NodeType::block_device;
            else if (S_ISFIFO(m)) a.type = NodeType::fifo;
            else if (S_ISSOCK(m)) a.type = NodeType::socket;
        }
        if (rr.links) a.nlink = *rr.links;
        if (rr.uid) a.uid = *rr.uid;
        if (rr.gid) a.gid = *rr.gid;
        if (rr.ino) a.file_id = *rr.ino;
        if (rr.rdev) a.rdev = *rr.rdev;
        if (rr.symlink) {
            a.type = NodeType::symlink;
            a.symlink = *rr.symlink;
            a.size = rr.symlink->size();
            a.extents.clear();
        }
        if (a.type != NodeType::file && a.type != NodeType::directory && a.type != NodeType::symlink) {
            a.extents.clear();
            a.size = 0;
        }
        if (rr.mtime) a.mtime = {*rr.mtime, 0};
        if (rr.atime) a.atime = {*rr.atime, 0};
        if (rr.ctime) a.ctime = {*rr.ctime, 0};
        if (rr.birth) a.birth = {*rr.birth, 0};
    }

    media::SectorSource& m_medium;
    VolumeSet m_vs;
    FsType m_view;
    const VolumeDescriptor* m_vd;
};

}  // namespace

Result<VolumeSet> read_volume_set(media::SectorSource& m, uint64_t start) {
    VolumeSet vs;
    vs.session_start = start;
    std::vector<std::byte> b(block_size);
    bool terminated = false;
    uint64_t lba = start + 16;
    for (int i = 0; i < 64 && lba < m.block_count(); ++i, ++lba) {
        DM_TRY(m.read_blocks(lba, b));
        auto type = peek_volume_descriptor(b);
        if (!type) {
            if (i == 0) return make_error(Errc::not_found, "no ISO 9660 volume descriptor at block " + std::to_string(lba));
            return make_error(Errc::corrupt, "the volume descriptor set at block " + std::to_string(start + 16) +
                                                 " has no terminator");
        }
        ++vs.descriptor_count;
        if (*type == VdType::terminator) {
            terminated = true;
            ++lba;
            break;
        }
        if (*type != VdType::primary && *type != VdType::supplementary) continue;
        auto vd = decode_volume_descriptor(b);
        if (!vd.ok()) {
            // A damaged supplementary descriptor costs only its own tree.
            auto e = vd.error().with_context("volume descriptor at block " + std::to_string(lba));
            if (*type == VdType::primary) return e;
            vs.problems.push_back(e.message);
            continue;
        }
        if (vd->type == VdType::primary) {
            if (!vs.pvd) vs.pvd = std::move(*vd);
        } else if (vd->version == 2) {
            if (!vs.enhanced) vs.enhanced = std::move(*vd);
        } else if (vd->is_joliet()) {
            if (!vs.joliet || vd->joliet_level() > vs.joliet->joliet_level()) vs.joliet = std::move(*vd);
        }
    }
    if (!terminated) return make_error(Errc::corrupt, "the volume descriptor set at block " + std::to_string(start + 16) +
                                                          " has no terminator");
    if (!vs.pvd) return make_error(Errc::corrupt, "no primary volume descriptor in the session at block " +
                                                      std::to_string(start));
    // UDF's volume recognition sequence may follow (a bridge disc).
    for (int i = 0; i < 8 && lba < m.block_count(); ++i, ++lba) {
        DM_TRY(m.read_blocks(lba, b));
        std::string_view id(reinterpret_cast<const char*>(b.data() + 1), 5);
        if (id == "NSR02" || id == "NSR03") vs.udf_vrs = true;
        if (id != "BEA01" && id != "NSR02" && id != "NSR03" && id != "TEA01" && id != "BOOT2" && id != "CD001") break;
    }
    // Each tree's root must be readable: a damaged root is a damaged session,
    // not a reason to fall back silently to another tree.
    auto check_root = [&](const VolumeDescriptor& vd, const char* which) -> Status {
        const auto& r = vd.root;
        uint64_t blocks = (uint64_t(r.data_length) + block_size - 1) / block_size;
        if (!(r.flags & flag::directory) || r.data_length == 0 || r.extent >= m.block_count() ||
            blocks > m.block_count() - r.extent)
            return make_error(Errc::corrupt, std::string("the root directory of the ") + which + " tree (block " +
                                                 std::to_string(r.extent) + ") is damaged or beyond the medium");
        return {};
    };
    DM_TRY(check_root(*vs.pvd, "ISO 9660"));
    if (vs.joliet)
        if (auto st = check_root(*vs.joliet, "Joliet"); !st.ok()) {
            vs.problems.push_back(st.error().message);
            vs.joliet.reset();
        }
    // Rock Ridge: SP in the "." record of the root.
    const auto& root = vs.pvd->root;
    if (root.extent < m.block_count()) {
        DM_TRY(m.read_blocks(root.extent, b));
        auto dot = decode_directory_record(b);
        if (dot.ok()) {
            auto rr = rockridge::parse_sua(dot->system_use, 0, [&](const rockridge::CeLocation& loc) {
                return read_ce_area(m, loc);
            });
            if (rr.ok() && rr->has_sp) {
                vs.rock_ridge = true;
                vs.sp_skip = rr->sp_skip;
                vs.rr_extensions = rr->extensions;
            }
        }
    }
    return vs;
}

Result<std::unique_ptr<model::FileSystemReader>> open_reader(media::SectorSource& m, const VolumeSet& vs, FsType view) {
    switch (view) {
    case FsType::iso9660:
        break;
    case FsType::rockridge:
        if (!vs.rock_ridge) return make_error(Errc::not_found, "the session has no Rock Ridge extensions");
        break;
    case FsType::joliet:
        if (!vs.joliet)
            return make_error(vs.problems.empty() ? Errc::not_found : Errc::corrupt,
                              vs.problems.empty() ? "the session has no Joliet tree"
                                                  : "the session's Joliet tree cannot be read: " + vs.problems.front());
        break;
    default:
        return make_error(Errc::invalid_argument, "not an ISO 9660 view");
    }
    return std::unique_ptr<model::FileSystemReader>(new IsoReader(m, vs, view));
}

}  // namespace mastering::iso9660
