#include "mastering/image/session_check.h"

#include "mastering/iso9660/reader.h"
#include "mastering/udf/reader.h"

namespace mastering::image {

namespace {

class RecordedPart final : public media::SectorSource {
public:
    RecordedPart(std::shared_ptr<media::SectorSource> m, uint64_t end) : m_medium(std::move(m)), m_end(end) {}
    Status read_blocks(uint64_t lba, std::span<std::byte> out) override {
        uint64_t n = out.size() / media::block_size;
        if (lba > m_end || n > m_end - lba)
            return make_error(Errc::corrupt, describe() + ": block " + std::to_string(lba + n - 1) +
                                                 " lies beyond the " + std::to_string(m_end) + " blocks recorded");
        return m_medium->read_blocks(lba, out);
    }
    uint64_t block_count() const override { return m_end; }
    std::string describe() const override { return m_medium->describe(); }
    int block_fd() const override { return m_medium->block_fd(); }

private:
    std::shared_ptr<media::SectorSource> m_medium;
    uint64_t m_end;
};

std::string recorded_text(const media::Session& s) {
    return std::to_string(s.size) + " blocks recorded from block " + std::to_string(s.start);
}

// An ISO 9660 volume space size counts the session's own blocks
// (genisoimage, libisofs, image files) or, on sequential media, all blocks
// from LBA 0 (ours): a session is whole when one reading fits.
std::optional<std::string> iso9660_problem(const iso9660::VolumeSet& vs, const media::Session& s) {
    uint64_t end = uint64_t(s.start) + s.size;
    const auto& pvd = *vs.pvd;
    uint64_t size = pvd.volume_space_size;
    bool fits = uint64_t(s.start) + size <= end || (size > s.start && size <= end);
    if (!fits)
        return "its volume descriptor records " + std::to_string(size) + " blocks, " + recorded_text(s);
    uint64_t root_end = pvd.root.extent + (uint64_t(pvd.root.data_length) + media::block_size - 1) / media::block_size;
    if (root_end > end) return "its root directory lies beyond the " + recorded_text(s);
    return std::nullopt;
}

}  // namespace

std::shared_ptr<media::SectorSource> recorded_part(std::shared_ptr<media::SectorSource> medium,
                                                   const media::Session& session) {
    uint64_t end = std::min<uint64_t>(uint64_t(session.start) + session.size, medium->block_count());
    return std::make_shared<RecordedPart>(std::move(medium), end);
}

std::optional<std::string> incomplete_session(std::shared_ptr<media::SectorSource> medium, const media::Session& s) {
    auto part = recorded_part(medium, s);
    // A structure that cannot be read within the recorded blocks but can be
    // on the whole medium lies beyond them; one that cannot be read at all
    // is damage, which the import reports.
    auto vs = iso9660::read_volume_set(*part, s.start);
    if (!vs.ok() && vs.error().code != Errc::not_found) {
        if (!iso9660::read_volume_set(*medium, s.start).ok()) return std::nullopt;
        return "its volume descriptors reach beyond the " + recorded_text(s) + " (" + vs.error().message + ")";
    }
    if (vs.ok() && vs->pvd) {
        if (auto p = iso9660_problem(*vs, s)) return p;
        if (!vs->udf_vrs) return std::nullopt;
    } else if (!udf::has_recognition_sequence(*part, s.start)) {
        return std::nullopt;  // no file system we know: the import says so
    }
    // UDF (alone, or bridged): its volume, partitions and, on write-once
    // media, the VAT at the session's last recorded block.
    if (auto u = udf::read_summary(*part, s.start); !u.ok()) {
        if (!udf::read_summary(*medium, s.start).ok()) return std::nullopt;
        return "its UDF volume reaches beyond the " + recorded_text(s) + " (" + u.error().message + ")";
    }
    return std::nullopt;
}

}  // namespace mastering::image
