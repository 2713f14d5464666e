// What a caller asks for to make a session bootable (docs/boot.md), in the
// terms of xorriso -as mkisofs: El Torito boot images with their emulation
// and load size, the catalog's path, and a hybrid system area (an isohybrid
// MBR, a GPT, appended partitions). The writer checks it when it lays out
// the session (boot_part.h); tools/common/boot_options.h fills it from the
// command line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mastering/boot/eltorito.h"

namespace mastering::boot {

struct BootImageSpec {
    std::string path;                 // in the disc's tree; else a host file, stored hidden
    Platform platform = Platform::x86;
    // mkisofs: floppy emulation (1.2, 1.44 or 2.88 MB by the image's size)
    // unless no emulation or hard disk emulation is asked for.
    enum class Mode { floppy, no_emulation, hard_disk } mode = Mode::floppy;
    std::optional<uint32_t> load_size;  // 512-byte sectors (no emulation); default: the whole image
    bool boot_info_table = false;

    bool operator==(const BootImageSpec&) const = default;
};

struct AppendedPartitionSpec {
    uint32_t number = 0;              // MBR entry 2-4
    uint8_t type = 0;                 // MBR partition type (0xEF: EFI system partition)
    std::string host_path;            // a file (a FAT image, ...) appended after the ISO

    bool operator==(const AppendedPartitionSpec&) const = default;
};

struct BootSpec {
    std::vector<BootImageSpec> images;   // the first is the default entry
    std::string catalog_path;            // "" = /boot.catalog (xorriso's default)
    std::string isohybrid_mbr;           // host path of an MBR template (isohdpfx.bin)
    bool gpt_basdat = false;             // a GPT marking the ISO and EFI images as basic data
    std::vector<AppendedPartitionSpec> appended;

    bool empty() const { return images.empty() && isohybrid_mbr.empty() && !gpt_basdat && appended.empty(); }
    bool operator==(const BootSpec&) const = default;
};

constexpr const char* default_catalog_path = "/boot.catalog";

}  // namespace mastering::boot
