// What master-info and master-mount --list report about a medium: its TOC and,
// for every session, the file systems it holds and their volume identifiers,
// its boot catalog, and the medium's system area (MBR, GPT).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mastering/boot/reader.h"
#include "mastering/media/sector_source.h"
#include "mastering/model/fs_reader.h"

namespace mastering::image {

struct SessionReport {
    media::Session session;
    model::FsMask file_systems = 0;
    std::string volume_id;          // ISO 9660 PVD
    std::string joliet_volume_id;
    std::string udf_revision;       // "2.01"
    std::string udf_volume_id;      // logical volume identifier
    std::string udf_partition;      // "physical", "metadata", "virtual", "sparable"
    std::optional<uint32_t> udf_files, udf_directories;
    std::string problem;            // why the file systems could not be read, if so
    std::string incomplete;         // why the session is not whole (an interrupted burn), if so
    std::optional<boot::SessionBoot> boot;  // its El Torito catalog
    std::string boot_problem;       // why that could not be read, if so
};

struct MediumReport {
    std::string source;
    media::Toc toc;
    std::vector<SessionReport> sessions;
    std::optional<boot::MediumSystemArea> system_area;  // blocks 0-15, when not all zero
};

Result<MediumReport> inspect_medium(media::Medium& medium);
nlohmann::json to_json(const MediumReport& r);
std::string to_text(const MediumReport& r);

}  // namespace mastering::image
