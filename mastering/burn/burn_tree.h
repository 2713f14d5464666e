// The seed's workflow in one call (IMAPI2's sample, generalised): look at the
// medium, import the last session's file system when the disc is not blank,
// apply removals, add a host tree, lay out the new session for the disc's next
// writable address, check the free space, and write it.
#pragma once

#include <string>
#include <vector>

#include "mastering/burn/format_data.h"
#include "mastering/model/fs_reader.h"

namespace mastering::burn {

struct BurnRequest {
    std::string from;                    // host directory
    std::string at = "/";                // where its contents go in the image
    bool include_base = false;
    std::vector<std::string> remove;     // image paths removed from the imported tree
    std::optional<model::FsMask> file_systems;  // default: the medium's defaults
    std::optional<uint16_t> udf_revision;       // adds UDF with this revision
    std::string volume_name;
    WriteOptions write;
};

struct BurnReport {
    MediaInfo before;
    WriteResult result;
    model::FsType imported = model::FsType::none;
    std::optional<uint32_t> imported_session_start;
};

Result<BurnReport> burn_tree(DiscRecorder& recorder, const BurnRequest& request);
// A plain image file onto a blank disc.
Result<BurnReport> burn_image(DiscRecorder& recorder, const std::string& image_path, const WriteOptions& options);

}  // namespace mastering::burn
