// Opening a session's file systems: which ones it holds, and a reader for
// one of them. The orchestrator's job, since it knows every file system
// (ISO 9660 with its Rock Ridge and Joliet views, UDF); the reader interface
// they share is mastering/model/fs_reader.h.
#pragma once

#include <cstdint>
#include <memory>

#include "mastering/codec/result.h"
#include "mastering/media/sector_source.h"
#include "mastering/model/fs_reader.h"

namespace mastering::image {

// Which file systems the session starting at `session_start` holds.
Result<model::FsMask> identify_file_systems(media::SectorSource& medium, uint64_t session_start);
// A reader for one file system of that session. `fs` = none: the most
// advanced present, as IMAPI2 orders them: UDF, then Rock Ridge (over plain
// ISO 9660 and Joliet), then Joliet, then ISO 9660.
Result<std::unique_ptr<model::FileSystemReader>> open_file_system(media::SectorSource& medium, uint64_t session_start,
                                                            model::FsType fs = model::FsType::none);

}  // namespace mastering::image
