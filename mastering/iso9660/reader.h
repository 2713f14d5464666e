// Reading an ISO 9660 session: its volume descriptor set, and the directory
// hierarchy seen through one of three views — plain ISO 9660, Rock Ridge
// (RRIP names, POSIX attributes, symlinks, devices, relocated directories),
// or Joliet (UCS-2 names). Every structure is bounds-checked: a corrupt record,
// an extent beyond the medium or a continuation loop is an error, never UB.
#pragma once

#include <memory>
#include <optional>

#include "mastering/iso9660/structures.h"
#include "mastering/media/sector_source.h"
#include "mastering/model/fs_reader.h"

namespace mastering::iso9660 {

struct VolumeSet {
    uint64_t session_start = 0;
    std::optional<VolumeDescriptor> pvd;
    std::optional<VolumeDescriptor> joliet;   // the highest-level Joliet SVD
    std::optional<VolumeDescriptor> enhanced; // ISO 9660:1999 EVD
    bool rock_ridge = false;                  // SP in the root's "." record
    uint8_t sp_skip = 0;
    std::vector<std::string> rr_extensions;   // ER identifiers
    bool udf_vrs = false;                     // NSR02/NSR03 after the terminator
    uint32_t descriptor_count = 0;
    std::vector<std::string> problems;        // damaged supplementary descriptors, skipped
};

// Reads the descriptors at session_start + 16 up to the terminator (and the
// UDF volume recognition sequence right after it).
Result<VolumeSet> read_volume_set(media::SectorSource& medium, uint64_t session_start);

// A reader for one view; `view` is iso9660, rockridge or joliet.
Result<std::unique_ptr<model::FileSystemReader>> open_reader(media::SectorSource& medium, const VolumeSet& vs,
                                                              model::FsType view);

}  // namespace mastering::iso9660
