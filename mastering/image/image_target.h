// Image files as the places new sessions go (append.h): a new image file
// (master-image create) or the next session of an existing one (master-image
// append), laid out as docs/architecture.md "Images" describes.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "mastering/image/append.h"
#include "mastering/model/layout.h"

namespace mastering::image {

struct NewImageOptions {
    std::optional<media::Profile> media;  // size the image for this medium
    bool sync = false;                    // on stable storage before it appears
    bool force = false;                   // replace an image that holds several sessions
};

// A new image file at `path`, its first session at LBA 32. An existing image
// of several sessions is replaced only with `force`.
std::unique_ptr<SessionTarget> new_image_file_target(std::string path, const NewImageOptions& options,
                                                     model::ProgressFn progress = {});
// The next session of the image file at `path`, after its newest; the file
// is locked against other writers before its sessions are read.
std::unique_ptr<SessionTarget> image_file_target(std::string path, model::ProgressFn progress = {});

}  // namespace mastering::image
