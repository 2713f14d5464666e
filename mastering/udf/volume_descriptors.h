// The volume structure of UDF (ECMA-167 parts 2 and 3, OSTA UDF 2.50 2.2) as
// values with one encode and one decode each: the volume recognition
// sequence (2/9.1), the anchor (3/10.2) and volume
// descriptor pointers (3/10.3), the primary (3/10.1), implementation use
// (3/10.4, UDF 2.2.7: "*UDF LV Info"), partition (3/10.5), logical volume
// (3/10.6) with its partition maps (3/10.7; UDF 2.2.8 virtual, 2.2.9
// sparable, 2.2.10 metadata), unallocated space (3/10.8) and terminating
// (3/10.9) descriptors, and the logical volume integrity descriptor (3/10.10,
// UDF 2.2.6). encode writes the descriptor's bytes (encoded_size(): 512 for
// the fixed ones) with its tag; decode checks the tag (checksum, CRC,
// identifier; the location when given) and every length against the bytes.
// docs/udf.md ("On-disc structures") lists the fields.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mastering/udf/descriptors.h"

namespace mastering::udf {

constexpr size_t volume_descriptor_bytes = 512;  // the fixed-size descriptors

// A volume structure descriptor of the recognition sequence (2/9.1: type
// 0, a 5-byte identifier, version 1; a block each): "BEA01", "NSR02" (UDF
// up to 1.50) or "NSR03", "TEA01", after ISO 9660's "CD001" in a bridge.
struct VolumeStructureDescriptor {
    uint8_t type = 0;
    std::string identifier;             // 5 bytes
    uint8_t version = 1;
    bool operator==(const VolumeStructureDescriptor&) const = default;
};
void encode(const VolumeStructureDescriptor& d, std::byte* block);  // a whole block
Result<VolumeStructureDescriptor> decode_volume_structure(Bytes b);

// Anchor volume descriptor pointer (3/10.2): where the main and reserve
// volume descriptor sequences are.
struct AnchorPointer {
    DescriptorTag tag;
    ExtentAd main, reserve;
    bool operator==(const AnchorPointer&) const = default;
};
void encode(const AnchorPointer& d, std::byte* out);
Result<AnchorPointer> decode_anchor(Bytes b, std::optional<uint32_t> location = std::nullopt);

// Volume descriptor pointer (3/10.3): the sequence continues elsewhere.
struct VolumeDescriptorPointer {
    DescriptorTag tag;
    uint32_t sequence_number = 0;
    ExtentAd next;
    bool operator==(const VolumeDescriptorPointer&) const = default;
};
void encode(const VolumeDescriptorPointer& d, std::byte* out);
Result<VolumeDescriptorPointer> decode_pointer(Bytes b, std::optional<uint32_t> location = std::nullopt);

// Primary volume descriptor (3/10.1; UDF 2.2.2).
struct PrimaryVolumeDescriptor {
    DescriptorTag tag;
    uint32_t sequence_number = 0;
    uint32_t number = 0;
    std::string volume_id;              // d-string of 32 bytes
    uint16_t volume_sequence = 1, max_volume_sequence = 1;
    uint16_t interchange_level = 2, max_interchange_level = 3;
    uint32_t charset_list = 1, max_charset_list = 1;
    std::string volume_set_id;          // d-string of 128 bytes
    Charspec descriptor_charset, explanatory_charset;
    ExtentAd abstract, copyright;
    EntityId application, implementation;
    model::Timestamp recorded;
    std::array<std::byte, 64> implementation_use{};
    uint32_t predecessor = 0;
    uint16_t flags = 0;
    bool operator==(const PrimaryVolumeDescriptor&) const = default;
};
void encode(const PrimaryVolumeDescriptor& d, std::byte* out);
Result<PrimaryVolumeDescriptor> decode_primary(Bytes b, std::optional<uint32_t> location = std::nullopt);

// Implementation use volume descriptor (3/10.4) holding UDF's logical volume
// information (UDF 2.2.7: identifier "*UDF LV Info").
struct ImplementationUseVolumeDescriptor {
    DescriptorTag tag;
    uint32_t sequence_number = 0;
    EntityId identifier;
    Charspec lv_charset;
    std::string logical_volume_id;      // d-string of 128 bytes
    std::string info1, info2, info3;    // d-strings of 36 bytes
    EntityId implementation;
    std::array<std::byte, 128> implementation_use{};
    bool operator==(const ImplementationUseVolumeDescriptor&) const = default;
};
void encode(const ImplementationUseVolumeDescriptor& d, std::byte* out);
Result<ImplementationUseVolumeDescriptor> decode_implementation_use(Bytes b,
                                                                    std::optional<uint32_t> location = std::nullopt);

// Partition access types (3/10.5.7).
namespace access_type {
constexpr uint32_t pseudo_overwritable = 0, read_only = 1, write_once = 2, rewritable = 3, overwritable = 4;
}
// Partition header descriptor (4/14.3): the partition contents use of an
// "+NSR02"/"+NSR03" partition: where its space tables and bitmaps are.
struct PartitionHeader {
    ShortAd unallocated_table, unallocated_bitmap, integrity_table, freed_table, freed_bitmap;
    bool operator==(const PartitionHeader&) const = default;
};
// Partition descriptor (3/10.5; UDF 2.2.14).
struct PartitionDescriptor {
    DescriptorTag tag;
    uint32_t sequence_number = 0;
    uint16_t flags = 1;                 // bit 0: space allocated
    uint16_t number = 0;
    EntityId contents;                  // "+NSR02" (UDF up to 1.50) or "+NSR03"
    PartitionHeader header;
    uint32_t access = access_type::read_only;
    uint32_t start = 0, length = 0;     // blocks
    EntityId implementation;
    std::array<std::byte, 128> implementation_use{};
    bool operator==(const PartitionDescriptor&) const = default;
};
void encode(const PartitionDescriptor& d, std::byte* out);
Result<PartitionDescriptor> decode_partition(Bytes b, std::optional<uint32_t> location = std::nullopt);

// A partition map (3/10.7): type 1 (physical, 6 bytes), or type 2 (64
// bytes) named by its identifier: "*UDF Virtual Partition" (UDF 2.2.8),
// "*UDF Sparable Partition" (2.2.9) or "*UDF Metadata Partition" (2.2.10).
struct PartitionMap {
    enum class Kind : uint8_t { physical, virtual_, sparable, metadata };
    Kind kind = Kind::physical;
    uint16_t volume_sequence = 1;
    uint16_t partition_number = 0;      // of the partition descriptor it maps
    EntityId identifier;                // type 2
    // Sparable: packets of this many blocks, up to 4 sparing tables of `table_bytes` each.
    uint16_t packet_length = 0;
    uint32_t table_bytes = 0;
    std::vector<uint32_t> sparing_tables;
    // Metadata: the metadata file, its mirror and its bitmap (#FFFFFFFF:
    // none), logical blocks of the partition; units in blocks; flags (bit 0:
    // the mirror duplicates the metadata file).
    uint32_t metadata_file = 0, mirror_file = 0, bitmap_file = 0xFFFFFFFFu;
    uint32_t allocation_unit = 32;
    uint16_t alignment_unit = 1;
    uint8_t flags = 0;
    bool operator==(const PartitionMap&) const = default;

    size_t encoded_size() const { return kind == Kind::physical ? 6 : 64; }
};
constexpr std::string_view virtual_partition_ident = "*UDF Virtual Partition";
constexpr std::string_view sparable_partition_ident = "*UDF Sparable Partition";
constexpr std::string_view metadata_partition_ident = "*UDF Metadata Partition";

// Logical volume descriptor (3/10.6; UDF 2.2.4).
struct LogicalVolumeDescriptor {
    DescriptorTag tag;
    uint32_t sequence_number = 0;
    Charspec charset;
    std::string logical_volume_id;      // d-string of 128 bytes
    uint32_t logical_block_size = block_size;
    EntityId domain;                    // "*OSTA UDF Compliant" with the revision
    LongAd file_set;                    // logical volume contents use: the file set descriptor
    EntityId implementation;
    std::array<std::byte, 128> implementation_use{};
    ExtentAd integrity;                 // the integrity sequence
    std::vector<PartitionMap> maps;     // at most 16

    size_t encoded_size() const;        // 440 + the map table
    bool operator==(const LogicalVolumeDescriptor&) const = default;
};
void encode(const LogicalVolumeDescriptor& d, std::byte* out);
Result<LogicalVolumeDescriptor> decode_logical_volume(Bytes b, std::optional<uint32_t> location = std::nullopt);

// Unallocated space descriptor (3/10.8): volume space no partition holds.
struct UnallocatedSpaceDescriptor {
    DescriptorTag tag;
    uint32_t sequence_number = 0;
    std::vector<ExtentAd> extents;

    size_t encoded_size() const { return 24 + 8 * extents.size(); }
    bool operator==(const UnallocatedSpaceDescriptor&) const = default;
};
void encode(const UnallocatedSpaceDescriptor& d, std::byte* out);
Result<UnallocatedSpaceDescriptor> decode_unallocated_space(Bytes b, std::optional<uint32_t> location = std::nullopt);

// Terminating descriptor (3/10.9, also 4/14.2): the end of a sequence.
struct TerminatingDescriptor {
    DescriptorTag tag;
    bool operator==(const TerminatingDescriptor&) const = default;
};
void encode(const TerminatingDescriptor& d, std::byte* out);
Result<TerminatingDescriptor> decode_terminating(Bytes b, std::optional<uint32_t> location = std::nullopt);

// Logical volume integrity descriptor (3/10.10; UDF 2.2.6): open or closed,
// the next unique id (logical volume header descriptor, 4/14.15, UDF 3.2.1),
// per partition its free and total blocks, and UDF's implementation use
// (2.2.6.4): counts of files and directories and the revisions.
namespace integrity_type {
constexpr uint32_t open = 0, close = 1;
}
struct IntegrityImplementationUse {
    EntityId implementation;
    uint32_t files = 0, directories = 0;
    uint16_t min_read_revision = 0, min_write_revision = 0, max_write_revision = 0;
    std::vector<std::byte> rest;        // implementation use beyond UDF's 46 bytes
    bool operator==(const IntegrityImplementationUse&) const = default;
};
struct LogicalVolumeIntegrityDescriptor {
    DescriptorTag tag;
    model::Timestamp recorded;
    uint32_t type = integrity_type::close;
    ExtentAd next;                      // a continuation of the integrity sequence
    uint64_t next_unique_id = 0;
    struct Space {
        uint32_t free = 0, size = 0;  // blocks
        bool operator==(const Space&) const = default;
    };
    std::vector<Space> partitions;      // one per partition map, in map order
    // UDF's 46 bytes; absent when a volume records fewer.
    std::optional<IntegrityImplementationUse> udf;

    size_t encoded_size() const;
    bool operator==(const LogicalVolumeIntegrityDescriptor&) const = default;
};
void encode(const LogicalVolumeIntegrityDescriptor& d, std::byte* out);
Result<LogicalVolumeIntegrityDescriptor> decode_integrity(Bytes b, std::optional<uint32_t> location = std::nullopt);

}  // namespace mastering::udf
