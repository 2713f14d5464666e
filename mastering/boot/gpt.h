// The GUID partition table (UEFI 2.x, 5.3): the header at 512-byte sector 1
// (and its backup at the disk's last sector), the partition entry array and
// GUIDs, as plain values with one decode/encode each. Numbers are
// little-endian; a GUID is stored with its first three fields little-endian.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mastering/codec/bytes.h"
#include "mastering/codec/result.h"

namespace mastering::boot {

struct Guid {
    std::array<uint8_t, 16> bytes{};  // as stored on disk

    bool is_zero() const;
    // "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7" (the registry's text form).
    std::string text() const;
    bool operator==(const Guid&) const = default;
};
std::optional<Guid> parse_guid(std::string_view text);
// A random (version 4) GUID from a 64-bit seed stream (callers give a random
// or, for reproducible images, a fixed seed).
Guid make_guid(uint64_t& seed);

extern const Guid gpt_type_basic_data;   // EBD0A0A2-B9E5-4433-87C0-68B6B72699C7
extern const Guid gpt_type_efi_system;   // C12A7328-F81F-11D2-BA4B-00A0C93EC93B

constexpr uint32_t gpt_header_bytes = 92;
constexpr uint32_t gpt_entry_bytes = 128;
constexpr size_t gpt_name_units = 36;  // UTF-16 code units in an entry's name

struct GptHeader {
    uint32_t revision = 0x00010000;
    uint32_t header_size = gpt_header_bytes;
    uint64_t current_lba = 1;
    uint64_t backup_lba = 0;
    uint64_t first_usable = 0;
    uint64_t last_usable = 0;
    Guid disk_guid;
    uint64_t entries_lba = 2;
    uint32_t entry_count = 0;
    uint32_t entry_size = gpt_entry_bytes;
    uint32_t entries_crc = 0;

    bool operator==(const GptHeader&) const = default;
};
// Fill a 512-byte sector; the header's own CRC is computed here.
void encode_gpt_header(const GptHeader& h, std::byte* sector);
// Checks the "EFI PART" signature, the header size and the header CRC.
Result<GptHeader> decode_gpt_header(codec::Bytes sector);

struct GptEntry {
    uint32_t number = 0;         // 1-based place in the array
    Guid type, unique;
    uint64_t first_lba = 0, last_lba = 0;  // inclusive
    uint64_t attributes = 0;     // bit 0: required by the platform; bit 60: read-only
    std::u16string name;

    bool operator==(const GptEntry&) const = default;
};
// The array of `count` entries of 128 bytes (entries at their numbers, the
// rest zero).
std::vector<std::byte> encode_gpt_entries(const std::vector<GptEntry>& entries, uint32_t count);
// The used entries (type not zero) of an array of `count` entries of
// `entry_size` bytes.
Result<std::vector<GptEntry>> decode_gpt_entries(codec::Bytes array, uint32_t count, uint32_t entry_size);

// UTF-8 <-> an entry name's UTF-16 (characters beyond the BMP become '_').
std::u16string gpt_name(std::string_view utf8);
std::string gpt_name_text(const std::u16string& name);

}  // namespace mastering::boot
