#include "mastering/image/image_target.h"

#include <sys/stat.h>

#include "mastering/image/image_file.h"

namespace mastering::image {

namespace {

WrittenSession written(uint32_t number, const WriteReport& w) { return {number, w.session_start, w.session_blocks}; }

class NewImageFile final : public SessionTarget {
public:
    NewImageFile(std::string path, const NewImageOptions& o, model::ProgressFn progress)
        : m_path(std::move(path)), m_options(o), m_progress(std::move(progress)) {}
    std::string describe() const override { return m_path; }
    Result<NextSession> prepare() override {
        if (!m_options.force) DM_TRY(refuse_multisession());
        return NextSession{.profile = m_options.media.value_or(media::Profile::none), .image_file = true,
                           .start = first_session_lba, .free_blocks = 0, .blank = true};
    }
    Result<std::shared_ptr<media::Medium>> medium() override {
        return make_error(Errc::internal, m_path + ": a new image has no session to import");
    }
    Result<WrittenSession> write(ImageStream& stream) override {
        if (m_progress) stream.set_progress(m_progress);
        return written(1, DM_TRY(write_new_image(stream, m_path, m_options.sync)));
    }
    std::vector<std::string> outputs() const override { return {m_path, m_path + ".partial"}; }

private:
    // Several sessions are work a create would throw away (a .vdisc asks for
    // --force too); one session is what a create made before.
    Status refuse_multisession() const {
        struct stat st {};
        if (::stat(m_path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return {};
        auto existing = open_image_medium(m_path);
        if (!existing.ok()) return {};
        auto toc = (*existing)->toc();
        if (!toc.ok() || toc->sessions.size() < 2) return {};
        return make_error(Errc::exists, m_path + " holds an image of " + std::to_string(toc->sessions.size()) +
                                            " sessions; create would replace it: add --force to replace it, or use "
                                            "master-image append to add a session");
    }

    std::string m_path;
    NewImageOptions m_options;
    model::ProgressFn m_progress;
};

class ImageFile final : public SessionTarget {
public:
    ImageFile(std::string path, model::ProgressFn progress) : m_path(std::move(path)), m_progress(std::move(progress)) {}
    std::string describe() const override { return m_path; }
    Result<NextSession> prepare() override {
        // The lock first: another append must not read the same sessions.
        m_lock = DM_TRY(lock_image_file(m_path));
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
        auto w = DM_TRY(append_to_image_file(stream, m_path, m_lock.get()));
        DM_TRY(m_lock.close(m_path));
        WrittenSession s = written(m_sessions + 1, w);
        if (w.reclaimed_bytes)
            s.notes.push_back(std::to_string(w.reclaimed_bytes >> 20) + " MiB after the last session, left by an "
                                                                        "interrupted append, were reused");
        return s;
    }
    std::vector<std::string> outputs() const override { return {m_path}; }

private:
    std::string m_path;
    model::ProgressFn m_progress;
    os::Fd m_lock;
    std::shared_ptr<media::Medium> m_medium;
    uint32_t m_sessions = 0;
};

}  // namespace

std::unique_ptr<SessionTarget> new_image_file_target(std::string path, const NewImageOptions& options,
                                                     model::ProgressFn progress) {
    return std::make_unique<NewImageFile>(std::move(path), options, std::move(progress));
}

std::unique_ptr<SessionTarget> image_file_target(std::string path, model::ProgressFn progress) {
    return std::make_unique<ImageFile>(std::move(path), std::move(progress));
}

}  // namespace mastering::image
