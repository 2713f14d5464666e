// The sessions of an image file (docs/architecture.md "Images"), recovered
// from the chain of their descriptors as libisoburn's TOC emulation does, or
// for images without the copy at LBA 16 (genisoimage -C sessions put together
// with dd, a disc's data) by scanning for each next session's descriptors.
#include "mastering/image/image_file.h"

#include "mastering/iso9660/structures.h"
#include "mastering/udf/reader.h"

namespace mastering::image {

namespace {

uint32_t round_up(uint64_t v, uint32_t a) { return uint32_t((v + a - 1) / a * a); }

// The PVD of a session starting at `start`, if there is one.
std::optional<iso9660::VolumeDescriptor> pvd_at(media::SectorSource& m, uint64_t start) {
    if (start + 16 >= m.block_count()) return std::nullopt;
    std::vector<std::byte> b(iso9660::block_size);
    if (!m.read_blocks(start + 16, b).ok()) return std::nullopt;
    if (iso9660::peek_volume_descriptor(b) != iso9660::VdType::primary) return std::nullopt;
    auto vd = iso9660::decode_volume_descriptor(b);
    if (!vd.ok() || vd->volume_space_size == 0) return std::nullopt;
    return std::move(*vd);
}

// The size of the session starting at `start`: its PVD's volume space size,
// or for a UDF-only session the end of its partition.
std::optional<uint32_t> session_size_at(media::SectorSource& m, uint64_t start) {
    if (auto pvd = pvd_at(m, start)) return pvd->volume_space_size;
    if (start + 16 >= m.block_count()) return std::nullopt;
    return udf::session_blocks(m, start);
}

media::Session make_session(uint32_t number, uint32_t start, uint32_t size) {
    media::Session s;
    s.number = number;
    s.start = start;
    s.size = size;
    s.state = media::SessionState::complete;
    media::Track t;
    t.number = number;
    t.session = number;
    t.start = start;
    t.size = size;
    t.recorded = size;
    t.state = media::TrackState::complete;
    s.tracks.push_back(t);
    return s;
}


using Sessions = std::vector<media::Session>;
constexpr size_t k_max_sessions = 10000;

Status add_session(media::SectorSource& m, Sessions& out, uint32_t start, uint32_t size) {
    if (out.size() >= k_max_sessions) return make_error(Errc::corrupt, m.describe() + ": endless session chain");
    out.push_back(make_session(uint32_t(out.size() + 1), start, size));
    return {};
}

// An image file: the chain of sessions from LBA 32, up to the total size that
// the copy of the newest session's descriptors at LBA 16 records.
Status chain_from_32(media::SectorSource& m, uint32_t first_size, uint64_t total, Sessions& out) {
    uint32_t start = first_session_lba, size = first_size;
    while (true) {
        DM_TRY(add_session(m, out, start, size));
        uint64_t end = uint64_t(start) + size;
        if (end >= total) return {};
        uint32_t next = round_up(end, session_alignment);
        auto next_size = session_size_at(m, next);
        if (!next_size) {
            next = round_up(end, 16);  // growisofs aligns to 16 blocks
            next_size = session_size_at(m, next);
        }
        if (!next_size) return {};
        start = next;
        size = *next_size;
    }
}

// A UDF volume from block 0 (mkudffs), and the sessions appended after it,
// each on a 32-block boundary.
Status udf_chain_from_0(media::SectorSource& m, uint32_t head, Sessions& out) {
    uint32_t start = 0, size = head;
    while (true) {
        DM_TRY(add_session(m, out, start, size));
        uint32_t next = round_up(uint64_t(start) + size, session_alignment);
        auto next_size = session_size_at(m, next);
        if (!next_size) return {};
        start = next;
        size = *next_size;
    }
}

// The first session starting at or after `from`: a PVD whose root directory
// follows it (an ISO image stored as a file inside a session has its root
// near its own start, far below where it lies).
std::optional<uint32_t> next_session_from(media::SectorSource& m, uint64_t from) {
    uint64_t blocks = m.block_count();
    std::vector<std::byte> buf(64 * size_t(iso9660::block_size));
    for (uint64_t scan = from; scan + 16 < blocks;) {
        uint64_t n = std::min<uint64_t>(64, blocks - scan);
        if (!m.read_blocks(scan, std::span(buf.data(), size_t(n) * iso9660::block_size)).ok()) return std::nullopt;
        for (uint64_t i = 0; i < n; ++i) {
            auto blk = std::span<const std::byte>(buf.data() + i * iso9660::block_size, iso9660::block_size);
            if (iso9660::peek_volume_descriptor(blk) != iso9660::VdType::primary || scan + i < 16 + from) continue;
            uint64_t lba = scan + i - 16;
            if (auto vd = pvd_at(m, lba); vd && vd->root.extent >= lba + 16) return uint32_t(lba);
        }
        scan += n;
    }
    return std::nullopt;
}

// One session at 0; later ones (genisoimage -C put together with dd, or the
// data of a sequential disc) are found by their descriptors after each
// session's end. A session's volume space size is its own size (genisoimage,
// libisofs) or counts from LBA 0 (what we write on sequential media): the
// next session is looked for from the nearer end.
Status scan_from_0(media::SectorSource& m, uint32_t head, Sessions& out) {
    uint32_t start = 0, size = head;
    while (true) {
        DM_TRY(add_session(m, out, start, size));
        bool maybe_absolute = size > start;
        std::optional<uint32_t> found = next_session_from(m, maybe_absolute ? size : uint64_t(start) + size);
        // A size counted from LBA 0: the next session starts before the
        // relative end, or the relative end lies beyond the image.
        if (maybe_absolute && ((found && *found < uint64_t(start) + size) ||
                               (!found && uint64_t(start) + size > m.block_count())))
            out.back() = make_session(out.back().number, start, size - start);
        if (!found) return {};
        start = *found;
        size = pvd_at(m, start)->volume_space_size;
    }
}

}  // namespace

Result<media::Toc> emulate_toc(media::SectorSource& m) {
    media::Toc toc;
    toc.profile = media::Profile::none;
    auto head = session_size_at(m, 0);
    if (!head) {
        if (m.block_count() == 0) {
            toc.state = media::DiscState::blank;
            toc.next_writable = first_session_lba;
            return toc;
        }
        return make_error(Errc::corrupt, m.describe() + ": no ISO 9660 primary volume descriptor and no UDF at block 16 "
                                                        "(not a disc image, or truncated)");
    }
    uint64_t blocks = m.block_count();
    // LBA 16 holds a copy of the newest session's descriptors (an image
    // file: its root lies in that session, at 32 or later), or a session of
    // its own (a disc's data from block 0: its root lies below 32).
    auto pvd0 = pvd_at(m, 0);
    bool session_at_0 = pvd0 && pvd0->root.extent < first_session_lba;
    if (auto first = session_at_0 ? std::nullopt : session_size_at(m, first_session_lba))
        DM_TRY(chain_from_32(m, *first, std::min<uint64_t>(*head, blocks), toc.sessions));
    else if (!pvd0)
        DM_TRY(udf_chain_from_0(m, *head, toc.sessions));
    else
        DM_TRY(scan_from_0(m, *head, toc.sessions));
    const auto& last = toc.sessions.back();
    if (uint64_t(last.start) + last.size > blocks)
        return make_error(Errc::corrupt, m.describe() + ": truncated: session " + std::to_string(last.number) +
                                             " ends at block " + std::to_string(uint64_t(last.start) + last.size) +
                                             " but the image has " + std::to_string(blocks) + " blocks");
    toc.state = media::DiscState::appendable;
    // Right after the newest session, as libisoburn computes it: padding
    // beyond a session's size (xorriso writes 300 KiB) is overwritten.
    toc.next_writable = std::max(first_session_lba, round_up(uint64_t(last.start) + last.size, session_alignment));
    return toc;
}

namespace {
class ImageMedium final : public media::Medium {
public:
    explicit ImageMedium(std::unique_ptr<media::SectorSource> s) : m_src(std::move(s)) {}
    Status read_blocks(uint64_t lba, std::span<std::byte> out) override { return m_src->read_blocks(lba, out); }
    uint64_t block_count() const override { return m_src->block_count(); }
    std::string describe() const override { return m_src->describe(); }
    int block_fd() const override { return m_src->block_fd(); }
    Result<media::Toc> toc() override { return emulate_toc(*m_src); }

private:
    std::unique_ptr<media::SectorSource> m_src;
};
}  // namespace

Result<std::shared_ptr<media::Medium>> open_image_medium(const std::string& path) {
    auto src = DM_TRY(media::open_image_file(path));
    return std::shared_ptr<media::Medium>(new ImageMedium(std::move(src)));
}

}  // namespace mastering::image
