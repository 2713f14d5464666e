#include "mastering/udf/reader.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>

#include "mastering/udf/volume.h"

namespace mastering::udf {

using model::DirEntry;
using model::NodeAttr;
using model::NodeType;

namespace {

constexpr uint64_t k_max_directory_bytes = 256ull << 20;
constexpr uint64_t k_max_symlink_bytes = 64 * 1024;

std::string at(uint64_t lba) { return " at block " + std::to_string(lba); }

uint32_t posix_mode(const FileEntry& fe) {
    uint32_t p = fe.permissions;
    uint32_t mode = (p & 07) | ((p >> 2) & 070) | ((p >> 4) & 0700);
    if (fe.icb.flags & icb_flag::setuid) mode |= S_ISUID;
    if (fe.icb.flags & icb_flag::setgid) mode |= S_ISGID;
    if (fe.icb.flags & icb_flag::sticky) mode |= S_ISVTX;
    return mode;
}

NodeType node_type(FileType t) {
    switch (t) {
    case FileType::directory: return NodeType::directory;
    case FileType::symlink: return NodeType::symlink;
    case FileType::block_device: return NodeType::block_device;
    case FileType::char_device: return NodeType::char_device;
    case FileType::fifo: return NodeType::fifo;
    case FileType::socket: return NodeType::socket;
    default: return NodeType::file;
    }
}

class UdfReader final : public model::FileSystemReader {
public:
    explicit UdfReader(media::SectorSource& m) : m_m(m), m_vol(m) {}
    Status open(uint64_t start) {
        DM_TRY(m_vol.open(start));
        LongAd fsd_ad = m_vol.file_set();
        uint64_t l = DM_TRY(m_vol.partitions().lba(fsd_ad.partition, fsd_ad.block));
        auto b = DM_TRY(read_block(m_m, l));
        auto fsd = decode_file_set(b, fsd_ad.block);
        if (!fsd.ok()) return fsd.error().with_context("UDF file set descriptor" + at(l));
        m_root = fsd->root;
        m_fileset_id = fsd->file_set_id;
        return {};
    }

    model::FsType type() const override { return model::FsType::udf; }
    std::string volume_id() const override {
        return m_vol.summary().logical_volume.empty() ? m_fileset_id : m_vol.summary().logical_volume;
    }

    Result<NodeAttr> root() override {
        auto e = m_vol.entries().read(m_root);
        if (!e.ok()) return e.error().with_context("UDF root directory");
        if (e->fe.icb.file_type != FileType::directory) return make_error(Errc::corrupt, "the UDF root is not a directory");
        return to_attr(*e, m_root);
    }

    Result<std::vector<DirEntry>> list(const NodeAttr& dir) override {
        if (dir.type != NodeType::directory) return make_error(Errc::invalid_argument, "not a directory");
        LongAd icb = icb_of(dir);
        auto e = DM_TRY(m_vol.entries().read(icb));
        auto data = DM_TRY(m_vol.entries().read_all(e, k_max_directory_bytes));
        std::vector<DirEntry> out;
        size_t off = 0;
        while (off + 38 <= data.size()) {
            auto fid = decode_file_identifier(std::span(data).subspan(off));
            if (!fid.ok()) return fid.error().with_context("file identifier in the directory" + at(e.lba));
            off += fid->encoded_size();
            if (fid->characteristics & (fid_flag::deleted | fid_flag::parent)) continue;
            std::string name = fid->name();
            // UDF 1.50 system file of sparable volumes (hidden in the root): not user data.
            if ((fid->characteristics & fid_flag::hidden) && name == "Non-Allocatable Space") continue;
            if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
                name.find('\0') != std::string::npos)
                continue;
            auto ce = m_vol.entries().read(fid->icb);
            if (!ce.ok()) return ce.error().with_context(name);
            out.push_back({std::move(name), DM_TRY(to_attr(*ce, fid->icb))});
        }
        return out;
    }

    Result<size_t> read(const NodeAttr& file, uint64_t offset, std::span<std::byte> out) override {
        if (offset >= file.size) return size_t(0);
        size_t n = size_t(std::min<uint64_t>(out.size(), file.size - offset));
        if (!file.inline_data.empty() || file.extents.empty()) {
            size_t have = offset < file.inline_data.size() ? std::min(n, size_t(file.inline_data.size() - offset)) : 0;
            if (have) std::memcpy(out.data(), file.inline_data.data() + offset, have);
            if (have < n) std::memset(out.data() + have, 0, n - have);
            return n;
        }
        DM_TRY(m_vol.entries().read_extents(file.extents, offset, out.first(n)));
        return n;
    }

private:
    // A node's id is its ICB (partition reference + 1, logical block): stable,
    // unique per file, shared by hard links, and enough to read it again.
    static uint64_t id_of(const LongAd& icb) { return (uint64_t(icb.partition) + 1) << 32 | icb.block; }
    static LongAd icb_of(const NodeAttr& a) {
        LongAd ad;
        ad.length = block_size;
        ad.block = uint32_t(a.id);
        ad.partition = uint16_t((a.id >> 32) - 1);
        return ad;
    }

    Result<NodeAttr> to_attr(const Entry& e, const LongAd& icb) {
        const FileEntry& fe = e.fe;
        NodeAttr a;
        a.id = id_of(icb);
        a.type = node_type(fe.icb.file_type);
        a.mode = posix_mode(fe);
        a.uid = fe.uid == 0xFFFFFFFFu ? 0 : fe.uid;
        a.gid = fe.gid == 0xFFFFFFFFu ? 0 : fe.gid;
        a.nlink = std::max<uint32_t>(1, fe.links) + (a.type == NodeType::directory ? 1 : 0);
        a.size = fe.size;
        a.mtime = fe.modification;
        a.atime = fe.access;
        a.ctime = fe.attribute;
        a.birth = fe.extended ? fe.creation : fe.modification;
        a.file_id = fe.unique_id;
        a.extra["user.udf.unique_id"] = std::to_string(fe.unique_id);
        if (e.rdev) a.rdev = *e.rdev;
        if (a.type == NodeType::symlink) {
            auto d = DM_TRY(m_vol.entries().read_all(e, k_max_symlink_bytes));
            auto path = decode_path(d);
            if (!path.ok()) return path.error().with_context("symbolic link" + at(e.lba));
            a.symlink = path_text(*path);
            a.size = a.symlink.size();
        } else if (a.type == NodeType::file) {
            a.extents = e.extents;
            a.inline_data = e.inline_data;
            uint64_t total = 0;
            for (const auto& x : a.extents) total += x.length;
            if (a.inline_data.empty() && total < a.size)
                return make_error(Errc::corrupt, "UDF file entry" + at(e.lba) + " records fewer bytes than its size");
        }
        return a;
    }

    media::SectorSource& m_m;
    Volume m_vol;
    LongAd m_root;
    std::string m_fileset_id;
};

}  // namespace

bool has_recognition_sequence(media::SectorSource& m, uint64_t start) {
    std::vector<std::byte> b(block_size);
    // The sequence may follow ISO 9660 descriptors: look through the first 64 blocks.
    bool bea = false;
    for (uint64_t l = start + 16; l < start + 80 && l < m.block_count(); ++l) {
        if (!m.read_blocks(l, b).ok()) return false;
        auto d = decode_volume_structure(b);
        std::string_view id = d.ok() ? std::string_view(d->identifier) : std::string_view();
        if (id == "BEA01") bea = true;
        else if ((id == "NSR02" || id == "NSR03") && bea) return true;
        else if (id != "CD001" && id != "BOOT2" && id != "TEA01") return false;
    }
    return false;
}

Result<VolumeSummary> read_summary(media::SectorSource& m, uint64_t session_start) {
    Volume v(m);
    DM_TRY(v.open(session_start));
    return v.summary();
}

std::optional<uint32_t> session_blocks(media::SectorSource& m, uint64_t session_start) {
    if (!has_recognition_sequence(m, session_start)) return std::nullopt;
    Volume v(m);
    if (!v.open(session_start).ok()) return std::nullopt;
    uint64_t n = m.block_count();
    // The volume ends with an anchor: the partition's last block (our
    // sessions), or after the partition and the reserve sequence (mkudffs).
    uint64_t pend = uint64_t(v.summary().partition_start) + v.summary().partition_blocks;
    if (pend > session_start + 256 && pend <= n && v.is_anchor(pend - 1)) return uint32_t(pend - session_start);
    for (uint64_t from : {std::max(pend, v.reserve_end()), pend})
        for (uint64_t l = from; l < n && l < from + 600; ++l)
            if (v.is_anchor(l)) return uint32_t(l + 1 - session_start);
    return uint32_t(n - session_start);
}

Result<std::unique_ptr<model::FileSystemReader>> open_reader(media::SectorSource& m, uint64_t session_start) {
    auto r = std::make_unique<UdfReader>(m);
    DM_TRY(r->open(session_start));
    return std::unique_ptr<model::FileSystemReader>(std::move(r));
}

}  // namespace mastering::udf
