#include "mastering/burn/burn_tree.h"

#include "mastering/image/file_system_image.h"

namespace mastering::burn {

Result<BurnReport> burn_tree(DiscRecorder& rec, const BurnRequest& req) {
    DiscFormatData f(rec);
    BurnReport report;
    report.before = DM_TRY(f.media());
    const MediaInfo& m = report.before;
    if (m.state == MediaState::no_medium) return make_error(Errc::no_medium, rec.address() + ": no medium in the drive");
    if (m.state == MediaState::closed)
        return make_error(Errc::unsupported, rec.address() + ": the disc is closed: multisession is not possible on this disc");
    if (m.state == MediaState::unsupported)
        return make_error(Errc::unsupported, rec.address() + ": this medium cannot be written here");

    image::FileSystemImage img;
    img.choose_defaults_for_media(m.profile);
    if (req.file_systems) DM_TRY(img.set_file_systems(*req.file_systems));
    if (req.udf_revision) {
        DM_TRY(img.set_udf_revision(*req.udf_revision));
        DM_TRY(img.set_file_systems(img.file_systems() | model::mask(model::FsType::udf)));
    }
    if (!req.volume_name.empty()) DM_TRY(img.set_volume_name(req.volume_name));

    // The start first: it may close a session an interrupted burn left open.
    uint32_t start = DM_TRY(f.next_session_start());
    if (m.state == MediaState::appendable) {
        auto medium = DM_TRY(drive_medium(rec));
        auto toc = DM_TRY(medium->toc());
        // The newest session whose file system can be read (an interrupted,
        // then closed session may hold none).
        std::optional<Error> last_error;
        for (auto it = toc.sessions.rbegin(); it != toc.sessions.rend(); ++it) {
            auto t = img.import_file_system(medium, it->start);
            if (t.ok()) {
                report.imported = *t;
                report.imported_session_start = it->start;
                break;
            }
            if (!last_error) last_error = t.error();
        }
        if (!report.imported_session_start && last_error)
            return last_error->with_context(rec.address() + ": cannot import the last session");
    }
    img.set_session_start_block(start);
    auto after = DM_TRY(f.media());
    img.set_free_media_blocks(after.free_blocks ? after.free_blocks : 1);
    for (const auto& r : req.remove) DM_TRY(img.remove_tree(r));
    DM_TRY(img.add_tree(req.from, req.include_base, req.at));
    auto stream = img.create_result_image();
    if (!stream.ok()) {
        if (stream.error().code == Errc::no_space)
            return stream.error().with_context(rec.address() + ": not enough space on the disc");
        return stream.error();
    }
    report.result = DM_TRY(f.write(**stream, req.write));
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
