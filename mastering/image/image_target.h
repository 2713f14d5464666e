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

// A new image file at `path`, its first session at LBA 32; sized for `media`
// when given; with `sync` on stable storage before it appears.
std::unique_ptr<SessionTarget> new_image_file_target(std::string path, std::optional<media::Profile> media, bool sync,
                                                     model::ProgressFn progress = {});
// The next session of the image file at `path`, after its newest.
std::unique_ptr<SessionTarget> image_file_target(std::string path, model::ProgressFn progress = {});

}  // namespace mastering::image
