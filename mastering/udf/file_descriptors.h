// The file structure of UDF (ECMA-167 part 4, OSTA UDF 2.50 2.3) as values
// with one encode and one decode each: the file set descriptor (4/14.1),
// file identifier descriptors (4/14.4), allocation extent descriptors
// (4/14.5), the ICB tag (4/14.6), file entries and extended file entries
// (4/14.9, 4/14.17) as one value, extended attributes (4/14.10: the header
// and the device specification UDF uses for devices), and the path
// components of a symbolic link (4/14.16). encode writes encoded_size()
// bytes with the tag; decode checks the tag (checksum, CRC, identifier; the
// location when given) and every length against the bytes it was given.
// docs/udf.md ("On-disc structures") lists the fields.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mastering/udf/descriptors.h"

namespace mastering::udf {

// File set descriptor (4/14.1; UDF 2.3.2).
struct FileSetDescriptor {
    DescriptorTag tag;
    model::Timestamp recorded;
    uint16_t interchange_level = 3, max_interchange_level = 3;
    uint32_t charset_list = 1, max_charset_list = 1;
    uint32_t file_set_number = 0, file_set_descriptor_number = 0;
    Charspec lv_charset;
    std::string logical_volume_id;      // d-string of 128 bytes
    Charspec file_set_charset;
    std::string file_set_id;            // d-strings of 32 bytes
    std::string copyright_file, abstract_file;
    LongAd root;                        // the root directory's ICB
    EntityId domain;
    LongAd next;                        // the next extent of file set descriptors
    LongAd system_stream_directory;     // UDF 2.00+
    bool operator==(const FileSetDescriptor&) const = default;
};
constexpr size_t file_set_descriptor_bytes = 512;
void encode(const FileSetDescriptor& d, std::byte* out);
Result<FileSetDescriptor> decode_file_set(Bytes b, std::optional<uint32_t> location = std::nullopt);

// File characteristics of a file identifier (4/14.4.3).
namespace fid_flag {
constexpr uint8_t hidden = 0x01, directory = 0x02, deleted = 0x04, parent = 0x08, metadata = 0x10;
}
// File identifier descriptor (4/14.4; UDF 2.3.4): one name of a directory.
struct FileIdentifier {
    DescriptorTag tag;
    uint16_t version_number = 1;
    uint8_t characteristics = 0;
    LongAd icb;                         // the entry named; UDF's unique id in its implementation use
    std::string implementation_use;     // raw bytes
    std::string identifier;             // raw OSTA compressed Unicode (empty for the parent)

    size_t encoded_size() const { return (38 + implementation_use.size() + identifier.size() + 3) & ~size_t(3); }
    std::string name() const;           // the identifier in UTF-8
    bool operator==(const FileIdentifier&) const = default;
};
// The size of a file identifier with a name of `name_bytes` and no implementation use.
constexpr size_t file_identifier_bytes(size_t name_bytes) { return (38 + name_bytes + 3) & ~size_t(3); }
size_t encode(const FileIdentifier& d, std::byte* out);
// One identifier at the start of `b` (a directory's bytes from there on).
Result<FileIdentifier> decode_file_identifier(Bytes b, std::optional<uint32_t> location = std::nullopt);

// Allocation extent descriptor (4/14.5): allocation descriptors continued
// from an entry (or the extent before), in a block of their own.
struct AllocationExtent {
    DescriptorTag tag;
    uint32_t previous = 0;              // the block of the entry or extent before
    std::vector<std::byte> descriptors; // the allocation descriptors, raw

    size_t encoded_size() const { return 24 + descriptors.size(); }
    bool operator==(const AllocationExtent&) const = default;
};
constexpr size_t allocation_extent_header = 24;
void encode(const AllocationExtent& d, std::byte* out);
Result<AllocationExtent> decode_allocation_extent(Bytes b, std::optional<uint32_t> location = std::nullopt);

// ICB tag flags (4/14.6.8) beyond the allocation descriptor form (bits 0..2).
namespace icb_flag {
constexpr uint16_t setuid = 0x40, setgid = 0x80, sticky = 0x100;
}
// ICB tag (4/14.6: 20 bytes in every entry).
struct IcbTag {
    uint32_t prior_entries = 0;
    uint16_t strategy = 4;              // UDF 2.3.5.1: strategy 4
    uint16_t strategy_parameter = 0;
    uint16_t max_entries = 1;
    FileType file_type = FileType::unspecified;
    uint32_t parent_block = 0;          // lb_addr of the parent ICB
    uint16_t parent_partition = 0;
    uint16_t flags = 0;
    AdForm form() const { return AdForm(flags & 7); }
    bool operator==(const IcbTag&) const = default;
};

// File entry (4/14.9) or, when `extended`, extended file entry (4/14.17;
// UDF 2.00 and later): one value, the fields a file entry lacks (object
// size, creation time, stream directory) ignored there.
struct FileEntry {
    DescriptorTag tag;
    bool extended = true;
    IcbTag icb;
    uint32_t uid = 0, gid = 0;
    uint32_t permissions = 0;           // 4/14.9.5: other, group, owner in 5-bit groups
    uint16_t links = 1;
    uint8_t record_format = 0, record_attributes = 0;
    uint32_t record_length = 0;
    uint64_t size = 0;                  // information length
    uint64_t object_size = 0;           // extended only
    uint64_t blocks = 0;                // logical blocks recorded
    model::Timestamp access, modification, creation, attribute;  // creation: extended only
    uint32_t checkpoint = 1;
    LongAd extended_attribute_icb;
    LongAd stream_directory;            // extended only
    EntityId implementation;
    uint64_t unique_id = 0;
    std::vector<std::byte> extended_attributes;
    std::vector<std::byte> allocation;  // allocation descriptors, or the embedded bytes

    size_t header_size() const { return extended ? 216 : 176; }
    size_t encoded_size() const { return header_size() + extended_attributes.size() + allocation.size(); }
    bool operator==(const FileEntry&) const = default;
};
constexpr size_t file_entry_header = 176, extended_file_entry_header = 216;
void encode(const FileEntry& d, std::byte* out);
// A file entry or an extended file entry (by its tag).
Result<FileEntry> decode_file_entry(Bytes b, std::optional<uint32_t> location = std::nullopt);

// Extended attributes (4/14.10): a header descriptor, then attributes of
// the generic format (4/14.10.2). UDF records a device's numbers as a device
// specification (4/14.10.7, type 12).
struct ExtendedAttribute {
    uint32_t type = 0;
    uint8_t subtype = 1;
    std::vector<std::byte> data;        // after the 12-byte attribute header
    bool operator==(const ExtendedAttribute&) const = default;
};
struct ExtendedAttributes {
    DescriptorTag tag;
    uint32_t implementation_location = 0, application_location = 0;  // offsets; encoded_size() when none
    std::vector<ExtendedAttribute> attributes;

    size_t encoded_size() const;
    bool operator==(const ExtendedAttributes&) const = default;
};
void encode(const ExtendedAttributes& d, std::byte* out);
Result<ExtendedAttributes> decode_extended_attributes(Bytes b, std::optional<uint32_t> location = std::nullopt);
struct DeviceNumbers {
    uint32_t major = 0, minor = 0;
    bool operator==(const DeviceNumbers&) const = default;
};
ExtendedAttribute device_specification(DeviceNumbers d);
std::optional<DeviceNumbers> device_numbers(const ExtendedAttribute& a);

// Path components of a symbolic link (4/14.16): root (2), parent (3), the
// directory itself (4), a name (5, OSTA compressed Unicode).
struct PathComponent {
    uint8_t type = 5;
    uint16_t version = 0;
    std::string identifier;             // raw CS0 bytes
    bool operator==(const PathComponent&) const = default;
};
std::vector<std::byte> encode(const std::vector<PathComponent>& path);
Result<std::vector<PathComponent>> decode_path(Bytes b);
// A POSIX symlink target and its components.
std::vector<PathComponent> path_components(std::string_view target);
std::string path_text(const std::vector<PathComponent>& path);

}  // namespace mastering::udf
