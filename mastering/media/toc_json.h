// A table of contents as JSON: {"media": {...}, "sessions": [...]}, the form
// master-info --json and master-drive ctl status print.
#pragma once

#include <nlohmann/json.hpp>

#include "mastering/media/toc.h"

namespace mastering::media {

nlohmann::json to_json(const Toc& toc);

}  // namespace mastering::media
