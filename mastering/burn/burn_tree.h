// The seed's workflow onto a disc (IMAPI2's sample, generalised): the
// engine's append_session (image/append.h) with the recorder's disc as the
// target. A blank disc gets the defaults of its media; an appendable one has
// its newest readable session imported; the new session goes to the disc's
// next writable address, within its free space.
#pragma once

#include <string>
#include <vector>

#include "mastering/burn/format_data.h"
#include "mastering/image/append.h"

namespace mastering::burn {

struct BurnRequest : image::SessionRequest {
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
