// The system area of a bootable image (ECMA-119 6.2.1: the first 16 blocks,
// which ISO 9660 leaves to the system): the MBR in sector 0 and a GPT from
// sector 1 (its backup at the image's end), as one typed value with one
// encode/decode, and how a hybrid image fills them, the way xorriso's
// -isohybrid-mbr, -isohybrid-gpt-basdat and -append_partition do
// (docs/boot.md "Hybrid images").
#pragma once

#include <optional>
#include <vector>

#include "mastering/boot/gpt.h"
#include "mastering/boot/mbr.h"

namespace mastering::boot {

constexpr size_t system_area_bytes = 16 * 2048;
// The GPT array we write: 248 entries fill sectors 2-63, so the first usable
// sector is 64, the end of the system area.
constexpr uint32_t gpt_entry_count = 248;
constexpr uint32_t gpt_array_sectors = gpt_entry_count * gpt_entry_bytes / sector_bytes;
// Sectors the backup GPT takes at the end of the image (array and header).
constexpr uint32_t gpt_backup_sectors = gpt_array_sectors + 1;

struct SystemArea {
    std::optional<Mbr> mbr;
    std::optional<GptHeader> gpt;     // the primary header
    std::vector<GptEntry> gpt_entries;

    bool empty() const { return !mbr && !gpt; }
    bool operator==(const SystemArea&) const = default;
};

// The 32 KiB system area: MBR, primary GPT header and array (the array's CRC
// and the header's are computed here).
std::vector<std::byte> encode_system_area(const SystemArea& s);
// The backup GPT: the array, then the header at the primary's backup_lba.
// `first_sector` is where these bytes begin.
struct BackupGpt {
    uint64_t first_sector = 0;
    std::vector<std::byte> bytes;
};
BackupGpt encode_backup_gpt(const SystemArea& s);
// What a system area holds: an MBR (55 AA), a GPT (a header whose CRC and
// array CRC check). Neither is an empty value, not an error; a damaged GPT
// header or array is an error.
Result<SystemArea> decode_system_area(codec::Bytes area);

// What a hybrid image puts there, from the layout.
struct Region {
    uint64_t first = 0;    // 512-byte sectors
    uint64_t sectors = 0;
    uint8_t mbr_type = 0;
    uint32_t number = 0;   // appended partitions: the MBR entry asked for (1-4)
};
struct HybridPlan {
    std::vector<std::byte> mbr_template;  // the isohybrid MBR's boot code (empty: none)
    uint64_t bios_image_sector = 0;       // the isohybrid MBR's boot image
    bool gpt_basdat = false;              // a GPT with basic data partitions
    std::vector<Region> efi_images;       // El Torito EFI images inside the ISO
    std::vector<Region> appended;         // appended partitions, after the ISO
    uint64_t iso_sectors = 0;             // what MBR partition 1 covers, from 0
    uint64_t image_sectors = 0;           // the whole image (the backup GPT ends it)
    uint64_t seed = 0;                    // disk signature and GUIDs
};
Result<SystemArea> plan_system_area(const HybridPlan& p);

// Whether `bytes` can be an isohybrid MBR template: MBR boot code of 432 to
// 512 bytes, not all zero, and with 55 AA at 510 when it is a whole sector.
Status check_mbr_template(codec::Bytes bytes);

}  // namespace mastering::boot
