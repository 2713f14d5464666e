#include "mastering/image/image_target.h"

#include "mastering/image/image_file.h"

namespace mastering::image {

namespace {

WrittenSession written(uint32_t number, const WriteReport& w) { return {number, w.session_start, w.session_blocks}; }

class NewImageFile final : public SessionTarget {
public:
    NewImageFile(std::string path, std::optional<media::Profile> media, bool sync, model::ProgressFn progress)
        : m_path(std::move(path)), m_media(media), m_sync(sync), m_progress(std::move(progress)) {}
    std::string describe() const override { return m_path; }
    Result<NextSession> prepare() override {
        return NextSession{.profile = m_media.value_or(media::Profile::none), .image_file = true,
                           .start = first_session_lba, .free_blocks = 0, .blank = true};
    }
    Result<std::shared_ptr<media::Medium>> medium() override {
        return make_error(Errc::internal, m_path + ": a new image has no session to import");
    }
    Result<WrittenSession> write(ImageStream& stream) override {
        if (m_progress) stream.set_progress(m_progress);
        return written(1, DM_TRY(write_new_image(stream, m_path, m_sync)));
    }

private:
    std::string m_path;
    std::optional<media::Profile> m_media;
    bool m_sync;
    model::ProgressFn m_progress;
};

class ImageFile final : public SessionTarget {
public:
    ImageFile(std::string path, model::ProgressFn progress) : m_path(std::move(path)), m_progress(std::move(progress)) {}
    std::string describe() const override { return m_path; }
    Result<NextSession> prepare() override {
        m_medium = DM_TRY(open_image_medium(m_path));
        auto toc = DM_TRY(m_medium->toc());
        m_sessions = uint32_t(toc.sessions.size());
        return NextSession{.profile = media::Profile::none, .image_file = true, .start = *toc.next_writable,
                           .free_blocks = 0, .blank = toc.sessions.empty()};
    }
    Result<std::shared_ptr<media::Medium>> medium() override {
        if (!m_medium) return make_error(Errc::internal, m_path + ": not prepared");
        return m_medium;
    }
    Result<WrittenSession> write(ImageStream& stream) override {
        m_medium.reset();
        if (m_progress) stream.set_progress(m_progress);
        return written(m_sessions + 1, DM_TRY(append_to_image_file(stream, m_path)));
    }

private:
    std::string m_path;
    model::ProgressFn m_progress;
    std::shared_ptr<media::Medium> m_medium;
    uint32_t m_sessions = 0;
};

}  // namespace

std::unique_ptr<SessionTarget> new_image_file_target(std::string path, std::optional<media::Profile> media, bool sync,
                                                     model::ProgressFn progress) {
    return std::make_unique<NewImageFile>(std::move(path), media, sync, std::move(progress));
}

std::unique_ptr<SessionTarget> image_file_target(std::string path, model::ProgressFn progress) {
    return std::make_unique<ImageFile>(std::move(path), std::move(progress));
}

}  // namespace mastering::image
