// Reading what makes a medium bootable: a session's El Torito boot record and
// catalog, with what each entry's image shows (a boot-info table, the
// isohybrid signature), and the medium's system area (blocks 0-15: MBR, GPT).
// Every structure from the medium is bounds-checked; the ISO fuzz target
// (tests/fuzz/iso9660_reader_fuzz.cpp) runs these over arbitrary images.
#pragma once

#include <optional>
#include <vector>

#include "mastering/boot/eltorito.h"
#include "mastering/boot/system_area.h"
#include "mastering/media/sector_source.h"

namespace mastering::boot {

struct ImageFacts {
    bool boot_info_table = false;
    bool isohybrid_capable = false;
    bool readable = true;               // its first block lies on the medium
};

struct SessionBoot {
    uint32_t boot_record_lba = 0;
    uint32_t catalog_lba = 0;
    Catalog catalog;
    std::vector<ImageFacts> images;     // one per Catalog::all_entries()
};

// The boot record among the descriptors at session_start + 16 and the
// catalog it points at; nullopt when the session has no El Torito record.
Result<std::optional<SessionBoot>> read_session_boot(media::SectorSource& medium, uint64_t session_start);

struct MediumSystemArea {
    std::vector<std::byte> bytes;       // blocks 0-15 as they are
    SystemArea decoded;
    std::string problem;                // why an MBR or GPT there could not be decoded
};
// Blocks 0-15 of the medium; nullopt when they are all zero (or the medium is
// shorter).
Result<std::optional<MediumSystemArea>> read_system_area(media::SectorSource& medium);

}  // namespace mastering::boot
