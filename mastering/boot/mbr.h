// The master boot record (the first 512 bytes of a disk): bootstrap code,
// disk signature and the table of four primary partitions, as a plain value
// with one decode/encode. Addresses are in 512-byte sectors. docs/boot.md
// has the layout and how an isohybrid image fills it.
#pragma once

#include <array>
#include <cstdint>

#include "mastering/codec/bytes.h"
#include "mastering/codec/result.h"

namespace mastering::boot {

constexpr uint32_t sector_bytes = 512;
constexpr size_t mbr_code_bytes = 440;
// An isohybrid MBR keeps the boot image's 512-byte LBA (64-bit) at 432.
constexpr size_t isohybrid_lba_offset = 432;

// Cylinder/head/sector as stored: head, sector | cylinder bits 8-9 << 6, cylinder bits 0-7.
using Chs = std::array<uint8_t, 3>;
// The CHS address of `lba` with the given geometry; cylinders beyond 1023
// give the conventional 1023/254/63 (FE FF FF).
Chs chs_of(uint64_t lba, uint32_t heads = 64, uint32_t sectors_per_head = 32);
constexpr Chs chs_beyond = {0xFE, 0xFF, 0xFF};

struct MbrPartition {
    uint8_t status = 0;      // 0x80: active (bootable)
    uint8_t type = 0;        // partition type (0x17, 0xEF, 0xEE ...)
    Chs chs_first{}, chs_last{};
    uint32_t first_lba = 0;
    uint32_t sectors = 0;

    bool used() const { return sectors != 0 || type != 0; }
    bool operator==(const MbrPartition&) const = default;
};

struct Mbr {
    std::array<std::byte, mbr_code_bytes> code{};
    uint32_t disk_signature = 0;
    uint16_t reserved = 0;
    std::array<MbrPartition, 4> partitions{};

    bool operator==(const Mbr&) const = default;
};

// Fill a 512-byte sector (with the 55 AA signature).
void encode_mbr(const Mbr& m, std::byte* sector);
// Requires the 55 AA signature and a known status byte (0x00 or 0x80) in
// every used entry.
Result<Mbr> decode_mbr(codec::Bytes sector);

}  // namespace mastering::boot
