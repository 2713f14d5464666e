// Extract one session's tree through our own readers (the counterpart of
// osirrox_extract and dm-udfread for the tests): directories, files (zero
// blocks as holes), symlinks, modes, mtimes and hard links (by file id).
#pragma once

#include <string>

#include "mastering/media/sector_source.h"
#include "mastering/model/fs_reader.h"
#include "tests/support/support.h"

namespace dmtest {

// Empty on success, else what failed.
std::string extract_with_reader(mastering::media::SectorSource& medium, uint64_t session_start,
                                mastering::model::FsType fs, const fs::path& out);
// The same for an image file.
std::string extract_image(const std::string& image, uint64_t session_start, mastering::model::FsType fs,
                          const fs::path& out);

}  // namespace dmtest
