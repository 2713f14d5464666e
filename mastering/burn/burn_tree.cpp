#include "mastering/burn/burn_tree.h"

namespace mastering::burn {

namespace {

// The disc in a recorder as the place the next session goes.
class DiscTarget final : public image::SessionTarget {
public:
    DiscTarget(DiscRecorder& rec, const WriteOptions& o) : m_rec(rec), m_format(rec), m_options(o) {}
    std::string describe() const override { return m_rec.address(); }

    Result<image::NextSession> prepare() override {
        m_before = DM_TRY(m_format.media());
        const MediaInfo& m = m_before;
        if (m.state == MediaState::no_medium) return make_error(Errc::no_medium, describe() + ": no medium in the drive");
        if (m.state == MediaState::closed)
            return make_error(Errc::unsupported, describe() + ": the disc is closed: multisession is not possible on this disc");
        if (m.state == MediaState::unsupported)
            return make_error(Errc::unsupported, describe() + ": this medium cannot be written here");
        // The start first: it may close a session an interrupted burn left open.
        uint32_t start = DM_TRY(m_format.next_session_start());
        auto after = DM_TRY(m_format.media());
        return image::NextSession{.profile = m.profile, .image_file = false, .start = start,
                                  .free_blocks = after.free_blocks ? after.free_blocks : 1,
                                  .blank = m.state != MediaState::appendable};
    }
    Result<std::shared_ptr<media::Medium>> medium() override { return drive_medium(m_rec); }
    Result<image::WrittenSession> write(image::ImageStream& stream) override {
        m_result = DM_TRY(m_format.write(stream, m_options));
        return image::WrittenSession{m_result.session_number, m_result.start, m_result.blocks};
    }

    const MediaInfo& before() const { return m_before; }
    const WriteResult& result() const { return m_result; }

private:
    DiscRecorder& m_rec;
    DiscFormatData m_format;
    WriteOptions m_options;
    MediaInfo m_before;
    WriteResult m_result;
};

}  // namespace

Result<BurnReport> burn_tree(DiscRecorder& rec, const BurnRequest& req) {
    DiscTarget target(rec, req.write);
    auto appended = DM_TRY(image::append_session(target, req));
    BurnReport report;
    report.before = target.before();
    report.result = target.result();
    report.imported = appended.imported;
    report.imported_session_start = appended.imported_session_start;
    return report;
}

Result<BurnReport> burn_image(DiscRecorder& rec, const std::string& path, const WriteOptions& o) {
    DiscFormatData f(rec);
    BurnReport report;
    report.before = DM_TRY(f.media());
    auto src = DM_TRY(media::open_image_file(path));
    report.result = DM_TRY(f.write_image(*src, o));
    return report;
}

}  // namespace mastering::burn
