// Whether a session can be continued: a burn interrupted after it wrote a
// session's descriptors and directories (they come first) leaves them
// pointing at blocks that were never recorded. Such a session is never
// imported (the next one continues the newest whole session, as xorriso's
// -load sbsector picks an older one), and master-info marks it
// (docs/interruptions.md).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "mastering/media/sector_source.h"
#include "mastering/media/toc.h"

namespace mastering::image {

// The blocks of `medium` up to the end of what was recorded of `session`: all
// a whole session may refer to (its own blocks and those of the sessions
// before it). Readers opened on it see an extent beyond as beyond the medium.
std::shared_ptr<media::SectorSource> recorded_part(std::shared_ptr<media::SectorSource> medium,
                                                   const media::Session& session);

// Why `session` is incomplete (its file systems' descriptors reach beyond
// what was recorded of it), or nothing when they do not.
std::optional<std::string> incomplete_session(std::shared_ptr<media::SectorSource> medium, const media::Session& session);

}  // namespace mastering::image
