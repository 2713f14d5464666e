// The primitives every UDF structure is made of (ECMA-167 3rd edition, OSTA
// UDF 2.50), as values with one encode and one decode each: the descriptor
// tag with its checksum and CRC (3/7.2), entity identifiers (regid, 1/7.4),
// character set specifications (charspec, 1/7.2.1), OSTA compressed Unicode
// and d-strings (UDF 2.1.1, 2.1.3), timestamps (1/7.3), extent_ad (3/7.1),
// short_ad, long_ad and ext_ad (4/14.14). Offsets are ECMA-167's relative
// byte positions (0-based); docs/udf.md ("On-disc structures") has the facts.
// The descriptors built of them: volume_descriptors.h (part 3),
// file_descriptors.h (part 4), partition_tables.h (sparing table, VAT).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mastering/codec/bytes.h"
#include "mastering/codec/result.h"
#include "mastering/model/fs_reader.h"

namespace mastering::udf {

using codec::Bytes;

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

// CRC-ITU-T (ECMA-167 1/7.2.6: polynomial 0x1021, initial value 0).
uint16_t crc_itu(const std::byte* p, size_t n);

// --- Descriptor tag (3/7.2: 16 bytes) ---------------------------------------
constexpr size_t tag_bytes = 16;
// What a descriptor's value keeps of its tag: the identifier is its type's,
// and the checksum, CRC and CRC length follow from its bytes.
struct DescriptorTag {
    uint16_t version = 3;   // 2 for UDF up to 1.50 (NSR02), 3 from 2.00 (NSR03)
    uint16_t serial = 1;
    uint32_t location = 0;  // the logical block the descriptor records as its own
    bool operator==(const DescriptorTag&) const = default;
};
constexpr uint16_t descriptor_version(uint16_t revision) { return revision >= rev200 ? 3 : 2; }
// A tag as found: every field.
struct Tag {
    uint16_t id = 0;
    uint16_t version = 0;
    uint16_t serial = 0;
    uint16_t crc = 0;
    uint16_t crc_length = 0;
    uint32_t location = 0;
};
// Writes the tag of the descriptor at `d` whose other `bytes - 16` bytes are
// in place: the CRC covers them all. Call it last.
void finish_tag(std::byte* d, TagId id, const DescriptorTag& tag, size_t bytes);
// A tag that checks (checksum; CRC when the bytes it covers are in `d`).
// `expected_location` must match unless nullopt. Tag identifier 0 marks an
// empty block, unless `id_zero`: UDF's sparing table (2.2.12) has that
// identifier and an otherwise valid tag.
Result<Tag> check_tag(Bytes d, std::optional<uint32_t> expected_location, bool id_zero = false);
// The common start of every decode: at least `min_bytes`, a tag that checks,
// and identifier `id`. `what` names the descriptor in errors.
Result<DescriptorTag> expect_tag(Bytes d, TagId id, std::optional<uint32_t> location, std::string_view what,
                                 size_t min_bytes);
// The error for a structure whose recorded lengths (`need` bytes) reach
// beyond the `have` bytes it was given.
Error beyond_bytes(std::string_view what, uint64_t need, size_t have);
// The tag identifier alone, unchecked (0 for fewer than 2 bytes).
uint16_t peek_tag_id(Bytes d);
// A sound anchor volume descriptor pointer recorded for block `location`.
bool is_anchor(Bytes block, uint32_t location);

// --- Entity identifier (regid, 1/7.4: 32 bytes) -----------------------------
struct EntityId {
    uint8_t flags = 0;
    std::string identifier;          // up to 23 bytes; decode drops trailing NULs and spaces
    std::array<uint8_t, 8> suffix{};
    bool operator==(const EntityId&) const = default;

    // UDF identifiers ("*UDF LV Info", "*UDF Sparable Partition", ...):
    // suffix revision, OS class, OS identifier (UDF 2.1.5).
    static EntityId udf(std::string_view identifier, uint16_t revision);
    // The domain "*OSTA UDF Compliant": revision, domain flags (UDF 2.1.5).
    static EntityId domain(uint16_t revision);
    // Ours: "*discmaster", OS class UNIX, OS Linux (UDF 2.1.5).
    static EntityId implementation();
    // The revision of a UDF or domain identifier suffix.
    uint16_t revision() const { return uint16_t(suffix[0] | (suffix[1] << 8)); }
};
constexpr std::string_view domain_ident = "*OSTA UDF Compliant";
constexpr size_t regid_bytes = 32;
void encode(const EntityId& id, std::byte* p);
EntityId decode_regid(const std::byte* p);

// --- Character set specification (charspec, 1/7.2.1: 64 bytes) -------------
struct Charspec {
    uint8_t type = 0;                                // CS0
    std::string information = "OSTA Compressed Unicode";  // UDF 2.1.2; decode drops trailing NULs
    bool operator==(const Charspec&) const = default;
};
void encode(const Charspec& c, std::byte* p);
Charspec decode_charspec(const std::byte* p);

// --- OSTA compressed Unicode (UDF 2.1.1) and d-strings (1/7.2.12) -----------
// Compression id 8 (one byte per character) when every character is below
// U+0100, else 16 (UTF-16 big-endian, characters beyond the BMP as surrogate
// pairs); at most `max_bytes` with the id.
std::string encode_cs0(std::string_view utf8, size_t max_bytes);
std::string decode_cs0(const std::byte* p, size_t n);
// A d-string field of `width` bytes: CS0 text, zero padding, its length in
// the last byte (0 for an empty field).
void encode_dstring(std::byte* p, size_t width, std::string_view utf8);
std::string decode_dstring(const std::byte* p, size_t width);

// --- Timestamp (1/7.3: 12 bytes) --------------------------------------------
// Written as UTC (type 1, offset 0) with microseconds; read with the
// recorded offset applied. Years beyond 1..9999 are written as the nearest
// of those.
void encode_timestamp(std::byte* p, model::Timestamp t);
model::Timestamp decode_timestamp(const std::byte* p);

// --- Extents and allocation descriptors ---------------------------------------
// extent_ad (3/7.1: 8 bytes): a length in bytes and a block of the volume.
struct ExtentAd {
    uint32_t length = 0;
    uint32_t location = 0;
    bool operator==(const ExtentAd&) const = default;
};
void encode(const ExtentAd& e, std::byte* p);
ExtentAd decode_extent_ad(const std::byte* p);

// The type in an allocation descriptor's two top length bits (4/14.14.1.1).
namespace extent_type {
constexpr uint8_t recorded = 0, allocated = 1, unallocated = 2, next_extent = 3;
}
// Extents: at most 1 GiB - one block each (4/14.14.1.1: 30-bit length).
constexpr uint32_t max_extent_bytes = 0x3FFFF800u;

// short_ad (4/14.14.1: 8 bytes): in the partition of the entry holding it.
struct ShortAd {
    uint32_t length = 0;   // bytes (bits 0..29)
    uint8_t type = 0;      // bits 30..31 (extent_type)
    uint32_t position = 0; // logical block
    bool operator==(const ShortAd&) const = default;
};
// long_ad (4/14.14.2: 16 bytes): block and partition reference (lb_addr,
// 4/7.1), then 6 bytes of implementation use (ADImpUse, UDF 2.3.10.1):
// flags, and in a file identifier the UDF unique id of its entry (2.3.4.3).
struct LongAd {
    uint32_t length = 0;
    uint8_t type = 0;
    uint32_t block = 0;
    uint16_t partition = 0;
    uint32_t unique_id = 0;
    uint16_t flags = 0;
    bool operator==(const LongAd&) const = default;
};
// ext_ad (4/14.14.3: 20 bytes): extent, recorded and information lengths,
// lb_addr, 2 bytes of implementation use.
struct ExtAd {
    uint32_t length = 0;
    uint8_t type = 0;
    uint32_t recorded_length = 0;
    uint32_t information_length = 0;
    uint32_t block = 0;
    uint16_t partition = 0;
    bool operator==(const ExtAd&) const = default;
};
constexpr size_t short_ad_bytes = 8, long_ad_bytes = 16, ext_ad_bytes = 20;
void encode(const ShortAd& ad, std::byte* p);
void encode(const LongAd& ad, std::byte* p);
void encode(const ExtAd& ad, std::byte* p);
ShortAd decode_short_ad(const std::byte* p);
LongAd decode_long_ad(const std::byte* p);
ExtAd decode_ext_ad(const std::byte* p);

// Which descriptors an entry's allocation area holds (ICB tag flags bits
// 0..2, 4/14.6.8), or the file's bytes themselves (embedded).
enum class AdForm : uint8_t { short_ad = 0, long_ad = 1, ext_ad = 2, embedded = 3 };
// An allocation area's descriptors up to the first of length 0 (4/12.1),
// each as a long_ad (a short_ad lies in `partition`, the entry's own).
// Errors for an unknown form; embedded has none.
Result<std::vector<LongAd>> decode_ads(Bytes area, AdForm form, uint16_t partition);
// Descriptors of `form` (short_ad or long_ad) one after the other; the bytes written.
size_t encode_ads(std::span<const LongAd> ads, AdForm form, std::byte* out);
// The long_ads of extents (absolute blocks) of a partition starting at
// `partition_start`, each at most max_extent_bytes; holes stay unrecorded.
std::vector<LongAd> extent_ads(const std::vector<model::Extent>& extents, uint32_t partition_start);

}  // namespace mastering::udf
