// The boot-info table (genisoimage's -boot-info-table, which ISOLINUX and
// GRUB's eltorito.img read to find themselves and the volume): 56 bytes at
// byte 8 of a no-emulation boot image, written into the image's copy on the
// disc. Numbers are little-endian.
//   8-11  the primary volume descriptor's block (session start + 16)
//  12-15  the boot image's first block
//  16-19  the boot image's length in bytes
//  20-23  the sum of the image's 32-bit words from byte 64 to its end
//  24-63  zero
#pragma once

#include <cstdint>
#include <optional>

#include "mastering/codec/bytes.h"

namespace mastering::boot {

constexpr size_t boot_info_offset = 8;
constexpr size_t boot_info_bytes = 56;
// An image must hold the table and the first word the checksum covers.
constexpr size_t boot_info_min_image = 64;

struct BootInfoTable {
    uint32_t pvd_lba = 0;
    uint32_t file_lba = 0;
    uint32_t file_length = 0;
    uint32_t checksum = 0;

    bool operator==(const BootInfoTable&) const = default;
};

// Adds the little-endian 32-bit words of `data` to `sum`; `data` starts at
// a byte offset of the image that is a multiple of 4 (a short last word is
// padded with zeros).
uint32_t boot_info_sum(codec::Bytes data, uint32_t sum = 0);

// Encode into the image's bytes 8-63 (`image` holds at least 64 bytes).
void encode_boot_info_table(const BootInfoTable& t, std::byte* image);
BootInfoTable decode_boot_info_table(const std::byte* image);

// Whether the first 64 bytes of an image at `lba` carry a boot-info table
// for it: its own block, a PVD block from 16 to that block, a length of at
// least 64 bytes and zero reserved bytes (the checksum is not checked: that
// needs the whole image).
bool has_boot_info_table(codec::Bytes head, uint32_t lba);

// ISOLINUX images that an isohybrid MBR can start carry 0x7078C0FB at byte
// 64 (syslinux 4 and later, doc/isohybrid).
bool is_isohybrid_capable(codec::Bytes head);

}  // namespace mastering::boot
