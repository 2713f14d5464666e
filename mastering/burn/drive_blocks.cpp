#include "mastering/burn/drive_blocks.h"

#include "mastering/burn/format_data.h"

namespace mastering::burn {

using transport::Direction;

Status DriveBlocks::read_blocks(uint64_t lba, std::span<std::byte> out) {
    uint64_t n = out.size() / 2048;
    for (uint64_t done = 0; done < n;) {
        uint32_t k = uint32_t(std::min<uint64_t>(k_unit, n - done));
        auto chunk = out.subspan(size_t(done) * 2048, size_t(k) * 2048);
        DM_TRY(m_rec.must(scsi::cdb::read10(uint32_t(lba + done), uint16_t(k)), Direction::in, chunk));
        done += k;
    }
    return {};
}

namespace {
class DriveMedium final : public media::Medium {
public:
    explicit DriveMedium(std::unique_ptr<DiscRecorder> r) : m_owned(std::move(r)), m_rec(m_owned.get()), m_blocks(*m_rec, 0) {}
    explicit DriveMedium(DiscRecorder& r) : m_rec(&r), m_blocks(*m_rec, 0) {}
    Status read_blocks(uint64_t lba, std::span<std::byte> out) override { return m_blocks.read_blocks(lba, out); }
    uint64_t block_count() const override { return m_count; }
    std::string describe() const override { return m_rec->address(); }
    Result<media::Toc> toc() override {
        DiscFormatData f(*m_rec);
        auto m = DM_TRY(f.media());
        if (m.state == MediaState::no_medium) return make_error(Errc::no_medium, m_rec->address() + ": no medium in the drive");
        return m.toc;
    }
    Status init() {
        DiscFormatData f(*m_rec);
        auto m = DM_TRY(f.media());
        if (m.state == MediaState::no_medium) return make_error(Errc::no_medium, m_rec->address() + ": no medium in the drive");
        for (const auto& s : m.toc.sessions) m_count = std::max<uint64_t>(m_count, uint64_t(s.start) + s.size);
        if (m.overwritable) m_count = m.capacity;
        m_blocks.set_block_count(m_count);
        return {};
    }

private:
    std::unique_ptr<DiscRecorder> m_owned;
    DiscRecorder* m_rec;
    DriveBlocks m_blocks;
    uint64_t m_count = 0;
};
}  // namespace

Result<std::shared_ptr<media::Medium>> open_drive_medium(const std::string& address) {
    auto rec = DM_TRY(DiscRecorder::open(address));
    auto m = std::make_shared<DriveMedium>(std::move(rec));
    DM_TRY(m->init());
    return std::shared_ptr<media::Medium>(m);
}

Result<std::shared_ptr<media::Medium>> drive_medium(DiscRecorder& recorder) {
    auto m = std::make_shared<DriveMedium>(recorder);
    DM_TRY(m->init());
    return std::shared_ptr<media::Medium>(m);
}


}  // namespace mastering::burn
