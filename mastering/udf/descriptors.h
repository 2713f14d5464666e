// UDF / ECMA-167 on-disc primitives shared by the UDF writer and reader:
// descriptor tags (CRC-ITU-T and checksum), entity identifiers (regid),
// OSTA compressed Unicode (d-strings and file identifiers), timestamps, and
// the extent and allocation descriptor forms. Offsets follow ECMA-167 3rd
// edition part 3/4 and OSTA UDF 2.50; ../shared/spec/mastering.md has the
// layout facts.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mastering/codec/bytes.h"
#include "mastering/codec/result.h"

namespace mastering::udf {

constexpr uint32_t block_size = 2048;

// Tag identifiers (ECMA-167 3/7.2.1, 4/7.2.1).
enum class TagId : uint16_t {
    primary_volume = 1,
    anchor = 2,
    pointer = 3,
    implementation_use = 4,
    partition = 5,
    logical_volume = 6,
    unallocated_space = 7,
    terminating = 8,
    integrity = 9,
    file_set = 256,
    file_identifier = 257,
    allocation_extent = 258,
    indirect_entry = 259,
    terminal_entry = 260,
    file_entry = 261,
    extended_attribute_header = 262,
    unallocated_space_entry = 263,
    space_bitmap = 264,
    partition_integrity = 265,
    extended_file_entry = 266,
};

// ICB file types (ECMA-167 4/14.6.6, UDF 2.50 2.3.5.2).
enum class FileType : uint8_t {
    unspecified = 0,
    directory = 4,
    regular = 5,
    block_device = 6,
    char_device = 7,
    fifo = 9,
    socket = 10,
    symlink = 12,
    vat20 = 248,
    metadata = 250,
    metadata_mirror = 251,
    metadata_bitmap = 252,
};

// UDF revisions as the descriptors record them (BCD-like: 2.01 = 0x0201).
constexpr uint16_t rev102 = 0x0102, rev150 = 0x0150, rev200 = 0x0200, rev201 = 0x0201, rev250 = 0x0250,
                   rev260 = 0x0260;
std::optional<uint16_t> revision_from_text(std::string_view s);  // "2.01" -> 0x0201
// The same for a user's flag: a clear error for a revision we do not write.
Result<uint16_t> parse_revision(std::string_view s);
std::string revision_text(uint16_t rev);                          // 0x0201 -> "2.01"

uint16_t crc_itu(const std::byte* p, size_t n);

// Descriptor tag (16 bytes). finish_tag fills checksum and CRC over
// `crc_length` bytes after the tag; call it last.
void finish_tag(std::byte* d, TagId id, uint16_t version, uint32_t location, size_t crc_length,
                uint16_t serial = 1);
struct Tag {
    uint16_t id = 0;
    uint16_t version = 0;
    uint16_t serial = 0;
    uint16_t crc = 0;
    uint16_t crc_length = 0;
    uint32_t location = 0;
};
// A tag that checks (checksum; CRC when the bytes it covers are in `d`).
// `expected_location` must match unless nullopt. Tag identifier 0 marks an
// empty block, unless `id_zero`: UDF's sparing table (2.2.12) has that
// identifier and an otherwise valid tag.
Result<Tag> check_tag(std::span<const std::byte> d, std::optional<uint32_t> expected_location, bool id_zero = false);
// A sound anchor volume descriptor pointer recorded for block `location`.
bool is_anchor(std::span<const std::byte> block, uint32_t location);

// Entity identifier (regid, 32 bytes). Suffix bytes as given.
void store_regid(std::byte* p, std::string_view ident, std::span<const uint8_t> suffix = {}, uint8_t flags = 0);
std::string load_regid(const std::byte* p);  // the identifier without padding
// UDF identifiers ("*UDF LV Info", "*UDF Metadata Partition", ...): suffix
// revision, OS class, OS id. The domain ("*OSTA UDF Compliant"): revision, flags.
void store_udf_regid(std::byte* p, std::string_view ident, uint16_t revision);
void store_domain_regid(std::byte* p, uint16_t revision);
constexpr std::string_view domain_ident = "*OSTA UDF Compliant";
void store_impl_regid(std::byte* p);  // "*discmaster", OS class UNIX, Linux

// charspec (64 bytes): CS0, "OSTA Compressed Unicode".
void store_charspec(std::byte* p);

// OSTA compressed Unicode (UDF 2.1.1): compression id 8 (one byte per
// character) when every character is below U+0100, else 16 (UCS-2 big-endian).
std::string encode_cs0(std::string_view utf8, size_t max_bytes);
std::string decode_cs0(const std::byte* p, size_t n);
// d-string field of `width` bytes: CS0 text, zero padding, length in the last byte.
void store_dstring(std::byte* p, size_t width, std::string_view utf8);
std::string load_dstring(const std::byte* p, size_t width);

// Timestamp (12 bytes, ECMA-167 1/7.3): we write UTC (type 1, offset 0).
void store_timestamp(std::byte* p, int64_t unix_seconds, uint32_t nsec = 0);
// Seconds and nanoseconds since the epoch (the recorded offset applied).
std::pair<int64_t, uint32_t> load_timestamp(const std::byte* p);

// extent_ad (8 bytes) and lb_addr/long_ad (16 bytes) / short_ad (8 bytes).
void store_extent_ad(std::byte* p, uint32_t length, uint32_t location);
struct LongAd {
    uint32_t length = 0;    // bytes (bits 0..29)
    uint8_t type = 0;       // bits 30..31: 0 recorded, 1 allocated, 2 not allocated, 3 next extent
    uint32_t block = 0;     // logical block within the partition
    uint16_t partition = 0; // partition reference number
    uint32_t unique_id = 0; // UDF 2.00+: ADImpUse (file identifiers only)
};
void store_long_ad(std::byte* p, const LongAd& ad);
LongAd load_long_ad(const std::byte* p);

// Extents: at most 1 GiB - one block each (ECMA-167 4/14.14.1.1: 30-bit length).
constexpr uint32_t max_extent_bytes = 0x3FFFF800u;

}  // namespace mastering::udf
