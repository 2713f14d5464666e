#include "mastering/image/append.h"

#include <sys/stat.h>

#include "mastering/image/file_system_image.h"
#include "mastering/image/session_check.h"

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

template <typename S>
std::string session_name(const S& s) {
    return "session " + std::to_string(s.number) + " (block " + std::to_string(s.start) + ")";
}

// One import attempt, into a fresh image so that a failed one leaves nothing
// behind, through the session's recorded blocks only.
Result<std::unique_ptr<FileSystemImage>> import_session(std::shared_ptr<media::SectorSource> medium,
                                                        const media::Session& s, const SessionRequest& r,
                                                        const NextSession& next) {
    auto part = recorded_part(std::move(medium), s);
    auto img = std::make_unique<FileSystemImage>();
    DM_TRY(configure(*img, r, next));
    // Unless told otherwise, the new session carries the file systems of the
    // one it continues (the import adds them to any chosen).
    if (!r.file_systems)
        if (auto present = FileSystemImage::identify_file_systems(*part, s.start); present.ok())
            (void)img->set_file_systems(*present);
    DM_TRY(img->import_file_system(part, s.start));
    return img;
}

// The newest session that is whole and can be read; the newer ones are
// passed over, each with its reason (docs/interruptions.md).
Result<std::unique_ptr<FileSystemImage>> import_newest(SessionTarget& target, const SessionRequest& r,
                                                       const NextSession& next, AppendReport& report) {
    auto medium = DM_TRY(target.medium());
    auto toc = DM_TRY(medium->toc());
    // Told only when a session is continued: a refusal says it all itself.
    auto tell = [&](const std::string& text) {
        if (!r.notice) return;
        for (const auto& p : report.passed_over)
            r.notice(target.describe() + ": " + session_name(p) + " cannot be continued: " + p.reason);
        r.notice(target.describe() + ": " + text);
    };
    std::optional<Error> first_error;
    for (auto it = toc.sessions.rbegin(); it != toc.sessions.rend(); ++it) {
        std::string reason;
        if (auto problem = incomplete_session(medium, *it)) {
            reason = "incomplete: " + *problem;
        } else {
            auto img = import_session(medium, *it, r, next);
            if (img.ok()) {
                report.imported = (*img)->imported_file_system();
                report.imported_session_start = it->start;
                if (!report.passed_over.empty()) tell("continuing " + session_name(*it) + ", the newest whole session");
                return img;
            }
            if (!first_error) first_error = img.error();
            reason = img.error().message;
        }
        report.passed_over.push_back({it->number, it->start, reason});
    }
    if (first_error && !next.write_once)
        return first_error->with_context(target.describe() + ": cannot import the last session");
    if (!toc.sessions.empty())
        tell("no session can be continued: the new session holds only what is added now (the others stay readable "
             "at their starts)");
    auto img = std::make_unique<FileSystemImage>();
    DM_TRY(configure(*img, r, next));
    return img;
}

// The tree must not hold a file the target writes: it would change while it
// is read ("the file changed size").
Status check_outputs(const model::Tree& tree, const std::vector<std::string>& outputs) {
    std::vector<std::pair<std::string, std::pair<uint64_t, uint64_t>>> ids;
    for (const auto& path : outputs) {
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0) ids.push_back({path, {uint64_t(st.st_dev), uint64_t(st.st_ino)}});
    }
    if (ids.empty()) return {};
    std::vector<const model::Node*> queue{tree.root()};
    for (size_t qi = 0; qi < queue.size(); ++qi)
        for (const model::Node* n : *queue[qi]->children) {
            if (n->is_dir()) queue.push_back(n);
            const model::Content* c = n->content;
            if (!c || c->kind != model::ContentKind::host_file) continue;
            for (const auto& [path, id] : ids)
                if (c->dev == id.first && c->ino == id.second)
                    return make_error(Errc::invalid_argument,
                                      "the tree to add holds " + path + ", which this command writes (as " +
                                          model::Tree::path_of(n) + "); write it outside the tree, or --remove " +
                                          model::Tree::path_of(n));
        }
    return {};
}

}  // namespace

Result<AppendReport> append_session(SessionTarget& target, const SessionRequest& r) {
    {
        // A malformed request is refused before the medium is touched.
        FileSystemImage scratch;
        DM_TRY(configure(scratch, r, NextSession{}));
    }
    auto stop = [&]() -> std::optional<Error> {
        if (!r.cancel || !*r.cancel) return std::nullopt;
        return make_error(Errc::cancelled, target.describe() + ": cancelled before anything was written; it is as it was");
    };
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
    if (auto e = stop()) return *e;
    for (const auto& path : r.remove) DM_TRY(img->remove_tree(path));
    if (!r.from.empty()) DM_TRY(img->add_tree(r.from, r.include_base, r.at));
    DM_TRY(check_outputs(img->tree(), target.outputs()));
    if (auto e = stop()) return *e;
    img->set_boot(r.boot);
    auto stream = img->create_result_image();
    if (!stream.ok()) {
        if (stream.error().code == Errc::no_space)
            return stream.error().with_context(target.describe() + ": not enough space on the " +
                                               (next.image_file ? "medium" : "disc"));
        return stream.error();
    }
    if (auto e = stop()) return *e;
    (*stream)->set_cancel_flag(r.cancel);
    report.session = DM_TRY(target.write(**stream));
    if (r.notice)
        for (const auto& note : report.session.notes) r.notice(target.describe() + ": " + note);
    report.files = (*stream)->file_count();
    report.directories = (*stream)->directory_count();
    report.new_data_blocks = (*stream)->new_data_blocks();
    return report;
}

}  // namespace mastering::image
