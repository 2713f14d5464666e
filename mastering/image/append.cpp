#include "mastering/image/append.h"

#include "mastering/image/file_system_image.h"

namespace mastering::image {

using model::FsType;

namespace {

// The request's choices that hold before a session is imported: the
// medium's defaults, file systems, UDF, the ISO 9660 level. The volume name
// is checked here and set after the import (an explicit one wins).
Status configure(FileSystemImage& img, const SessionRequest& r, const NextSession& next) {
    img.set_dedup(r.dedup);
    img.set_session_start_block(next.start);
    if (next.profile != media::Profile::none) {
        img.choose_defaults_for_media(next.profile);
        if (next.image_file) img.set_absolute_volume_size(false);  // its own emulated TOC
    }
    if (next.free_blocks) img.set_free_media_blocks(next.free_blocks);
    if (r.file_systems) DM_TRY(img.set_file_systems(*r.file_systems));
    auto add_udf = [&] { return img.set_file_systems(img.file_systems() | model::mask(FsType::udf)); };
    if (r.udf_revision) {
        DM_TRY(img.set_udf_revision(*r.udf_revision));
        DM_TRY(add_udf());
    }
    if (!r.udf_partition.empty()) {
        media::Profile p = next.profile != media::Profile::none ? next.profile : media::Profile::cd_rw;
        uint16_t packet = DM_TRY(parse_udf_partition(r.udf_partition, media::profile_info(p).family));
        DM_TRY(img.set_udf_sparable_packet(packet));
        DM_TRY(add_udf());
    }
    if (r.iso_level) DM_TRY(img.set_iso_level(*r.iso_level));
    if (!r.volume_name.empty()) DM_TRY(img.set_volume_name(r.volume_name));
    return {};
}

// The newest session whose file system can be read (an interrupted, then
// closed session may hold none), imported into a fresh image each time, so
// that a failed import leaves nothing behind.
Result<std::unique_ptr<FileSystemImage>> import_newest(SessionTarget& target, const SessionRequest& r,
                                                       const NextSession& next, AppendReport& report) {
    auto medium = DM_TRY(target.medium());
    auto toc = DM_TRY(medium->toc());
    std::optional<Error> first_error;
    for (auto it = toc.sessions.rbegin(); it != toc.sessions.rend(); ++it) {
        auto img = std::make_unique<FileSystemImage>();
        DM_TRY(configure(*img, r, next));
        // Unless told otherwise, the new session carries the file systems of
        // the one it continues (the import adds them to any chosen).
        if (!r.file_systems)
            if (auto present = FileSystemImage::identify_file_systems(*medium, it->start); present.ok())
                (void)img->set_file_systems(*present);
        auto t = img->import_file_system(medium, it->start);
        if (t.ok()) {
            report.imported = *t;
            report.imported_session_start = it->start;
            return img;
        }
        if (!first_error) first_error = t.error();
    }
    if (first_error) return first_error->with_context(target.describe() + ": cannot import the last session");
    auto img = std::make_unique<FileSystemImage>();
    DM_TRY(configure(*img, r, next));
    return img;
}

}  // namespace

Result<AppendReport> append_session(SessionTarget& target, const SessionRequest& r) {
    {
        // A malformed request is refused before the medium is touched.
        FileSystemImage scratch;
        DM_TRY(configure(scratch, r, NextSession{}));
    }
    NextSession next = DM_TRY(target.prepare());
    AppendReport report;
    std::unique_ptr<FileSystemImage> img;
    if (next.blank) {
        img = std::make_unique<FileSystemImage>();
        DM_TRY(configure(*img, r, next));
    } else {
        img = DM_TRY(import_newest(target, r, next, report));
        if (!r.volume_name.empty()) DM_TRY(img->set_volume_name(r.volume_name));
    }
    for (const auto& path : r.remove) DM_TRY(img->remove_tree(path));
    if (!r.from.empty()) DM_TRY(img->add_tree(r.from, r.include_base, r.at));
    img->set_boot(r.boot);
    auto stream = img->create_result_image();
    if (!stream.ok()) {
        if (stream.error().code == Errc::no_space)
            return stream.error().with_context(target.describe() + ": not enough space on the " +
                                               (next.image_file ? "medium" : "disc"));
        return stream.error();
    }
    report.session = DM_TRY(target.write(**stream));
    report.files = (*stream)->file_count();
    report.directories = (*stream)->directory_count();
    report.new_data_blocks = (*stream)->new_data_blocks();
    return report;
}

}  // namespace mastering::image
