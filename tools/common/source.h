// Opening what a tool is pointed at (master-info SOURCE, master-mount SOURCE,
// master-image IMAGE): a plain image file, a virtual disc (NAME.vdisc) or a
// drive address (/dev/srN, /dev/sgN, iscsi://..., emu:PATH), as a Medium.
#pragma once

#include <memory>
#include <string>

#include "mastering/codec/result.h"
#include "mastering/media/sector_source.h"

namespace tools {

enum class SourceKind { image_file, virtual_disc, drive };
SourceKind classify_source(const std::string& source);

mastering::Result<std::shared_ptr<mastering::media::Medium>> open_source(const std::string& source);

}  // namespace tools
