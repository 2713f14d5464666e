#include "mastering/image/inspect.h"

#include <cstdio>

#include "mastering/boot/report.h"
#include "mastering/image/open_file_system.h"
#include "mastering/image/session_check.h"
#include "mastering/media/toc_json.h"
#include "mastering/udf/descriptors.h"
#include "mastering/udf/reader.h"

namespace mastering::image {

using model::FsType;
using model::fs_mask_names;
using model::fs_name;
using model::has;

Result<MediumReport> inspect_medium(media::Medium& medium) {
    MediumReport r;
    r.source = medium.describe();
    r.toc = DM_TRY(medium.toc());
    // Not owned: the caller's medium outlives the report.
    std::shared_ptr<media::SectorSource> shared(std::shared_ptr<void>(), &medium);
    for (const auto& s : r.toc.sessions) {
        SessionReport sr;
        sr.session = s;
        if (auto why = incomplete_session(shared, s)) sr.incomplete = *why;
        auto fs = identify_file_systems(medium, s.start);
        if (!fs.ok()) {
            sr.problem = fs.error().message;
        } else {
            sr.file_systems = *fs;
            if (auto iso = open_file_system(medium, s.start, FsType::iso9660); iso.ok()) sr.volume_id = (*iso)->volume_id();
            if (has(*fs, FsType::joliet))
                if (auto j = open_file_system(medium, s.start, FsType::joliet); j.ok()) sr.joliet_volume_id = (*j)->volume_id();
            if (has(*fs, FsType::iso9660)) {
                if (auto b = boot::read_session_boot(medium, s.start); b.ok()) sr.boot = std::move(*b);
                else sr.boot_problem = b.error().message;
            }
            if (has(*fs, FsType::udf)) {
                if (auto u = udf::read_summary(medium, s.start); u.ok()) {
                    sr.udf_revision = udf::revision_text(u->revision);
                    sr.udf_volume_id = u->logical_volume;
                    sr.udf_partition = u->partition_kind;
                    sr.udf_files = u->files;
                    sr.udf_directories = u->directories;
                } else {
                    sr.problem = u.error().message;
                }
            }
        }
        r.sessions.push_back(std::move(sr));
    }
    if (auto sa = boot::read_system_area(medium); sa.ok()) r.system_area = std::move(*sa);
    return r;
}

nlohmann::json to_json(const MediumReport& r) {
    using nlohmann::json;
    json out = media::to_json(r.toc);
    json sessions = json::array();
    for (const auto& s : r.sessions) {
        json fs = json::array();
        for (FsType t : {FsType::iso9660, FsType::rockridge, FsType::joliet, FsType::udf})
            if (has(s.file_systems, t)) fs.push_back(std::string(fs_name(t)));
        json js = media::to_json(media::Toc{.sessions = {s.session}})["sessions"][0];
        js["file_systems"] = fs;
        if (!s.volume_id.empty()) js["volume_id"] = s.volume_id;
        if (!s.joliet_volume_id.empty()) js["joliet_volume_id"] = s.joliet_volume_id;
        if (!s.udf_revision.empty()) {
            json u = {{"revision", s.udf_revision}, {"volume_id", s.udf_volume_id}, {"partition", s.udf_partition}};
            if (s.udf_files) u["files"] = *s.udf_files;
            if (s.udf_directories) u["directories"] = *s.udf_directories;
            js["udf"] = u;
        }
        if (!s.problem.empty()) js["problem"] = s.problem;
        js["whole"] = s.incomplete.empty();
        if (!s.incomplete.empty()) js["incomplete"] = s.incomplete;
        if (s.boot) js["boot"] = boot::to_json(*s.boot);
        if (!s.boot_problem.empty()) js["boot_problem"] = s.boot_problem;
        sessions.push_back(std::move(js));
    }
    json j = {{"source", r.source}, {"media", out["media"]}, {"sessions", sessions}};
    if (r.system_area) j["system_area"] = boot::to_json(*r.system_area);
    return j;
}

std::string to_text(const MediumReport& r) {
    std::string out;
    char line[512];
    std::snprintf(line, sizeof line, "source:   %s\nmedia:    %s, %s\n", r.source.c_str(),
                  r.toc.profile == media::Profile::none ? "image file"
                                                         : std::string(media::profile_info(r.toc.profile).title).c_str(),
                  std::string(media::to_string(r.toc.state)).c_str());
    out += line;
    if (r.toc.capacity) {
        std::snprintf(line, sizeof line, "capacity: %llu blocks, %llu free\n",
                      static_cast<unsigned long long>(r.toc.capacity), static_cast<unsigned long long>(r.toc.free_blocks));
        out += line;
    }
    if (r.toc.next_writable) {
        std::snprintf(line, sizeof line, "next writable address: %u\n", *r.toc.next_writable);
        out += line;
    }
    std::snprintf(line, sizeof line, "sessions: %zu\n", r.sessions.size());
    out += line;
    for (const auto& s : r.sessions) {
        std::snprintf(line, sizeof line, "  session %u: start %u, %u blocks, %s, file systems: %s", s.session.number,
                      s.session.start, s.session.size, std::string(media::to_string(s.session.state)).c_str(),
                      s.file_systems ? fs_mask_names(s.file_systems).c_str() : "none");
        out += line;
        if (!s.volume_id.empty()) out += ", volume \"" + s.volume_id + "\"";
        if (!s.udf_revision.empty()) out += ", UDF " + s.udf_revision + " \"" + s.udf_volume_id + "\" (" + s.udf_partition + ")";
        if (!s.problem.empty()) out += " (" + s.problem + ")";
        out += "\n";
        if (!s.incomplete.empty())
            out += "    INCOMPLETE (an interrupted burn): " + s.incomplete + "; a new session continues an older one\n";
        if (s.boot) out += boot::to_text(*s.boot, "    ");
        if (!s.boot_problem.empty()) out += "    El Torito: " + s.boot_problem + "\n";
    }
    if (r.system_area) out += "system area:\n" + boot::to_text(*r.system_area, "  ");
    return out;
}

}  // namespace mastering::image
