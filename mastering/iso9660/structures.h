// ECMA-119 (ISO 9660) on-disc structures as plain values with decode/encode:
// volume descriptors (8.4 primary, 8.5 supplementary/enhanced, 8.3
// terminator), directory records (9.1) and path table records (9.4).
// Offsets are 0-based; comments give the standard's 1-based byte positions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mastering/codec/bytes.h"
#include "mastering/codec/result.h"

namespace mastering::iso9660 {

constexpr uint32_t block_size = 2048;

enum class VdType : uint8_t { boot = 0, primary = 1, supplementary = 2, partition = 3, terminator = 255 };

// Directory record flags (9.1.6).
namespace flag {
constexpr uint8_t hidden = 0x01, directory = 0x02, associated = 0x04, record = 0x08, protection = 0x10,
                  multi_extent = 0x80;
}

struct DirectoryRecord {
    uint8_t ext_attr_length = 0;
    uint32_t extent = 0;           // LBA
    uint32_t data_length = 0;      // bytes
    int64_t recorded = 0;          // seconds since the epoch (7-byte form)
    uint8_t flags = 0;
    uint16_t volume_sequence = 1;
    std::string identifier;        // raw bytes (d-characters, UCS-2 for Joliet, \0 / \1 for . and ..)
    std::string system_use;        // SUSP area, raw
    bool endian_consistent = true; // both-endian halves agreed (diagnostic)

    // Length of the encoded record (33 + identifier + pad + system use).
    size_t encoded_size() const;
};

constexpr size_t dir_record_base = 33;
// Decode one record from `bytes` (which starts at the record's length byte).
// Checks length >= 33 + identifier length and that the record fits.
Result<DirectoryRecord> decode_directory_record(codec::Bytes bytes);
// Encode into `out` (at least encoded_size() bytes); returns the size written.
size_t encode_directory_record(const DirectoryRecord& r, std::byte* out);

struct VolumeDescriptor {
    VdType type = VdType::primary;
    uint8_t version = 1;            // 2 for the ISO 9660:1999 enhanced descriptor
    uint8_t flags = 0;              // SVD volume flags (BP 8)
    std::string system_id;          // BP 9-40
    std::string volume_id;          // BP 41-72 (raw: UCS-2 BE in a Joliet SVD)
    uint32_t volume_space_size = 0; // BP 81-88
    std::string escape_sequences;   // BP 89-120 (SVD: Joliet "%/@", "%/C", "%/E")
    uint16_t volume_set_size = 1;
    uint16_t volume_sequence = 1;
    uint16_t logical_block_size = 2048;
    uint32_t path_table_size = 0;
    uint32_t l_path_table = 0, l_path_table_opt = 0;
    uint32_t m_path_table = 0, m_path_table_opt = 0;
    DirectoryRecord root;           // BP 157-190
    std::string volume_set_id, publisher_id, preparer_id, application_id;  // 128 each
    std::string copyright_file, abstract_file, bibliographic_file;         // 37 each
    int64_t created = 0, modified = 0, expires = 0, effective = 0;
    uint8_t file_structure_version = 1;
    bool endian_consistent = true;

    bool is_joliet() const;       // SVD with a Joliet escape sequence
    int joliet_level() const;     // 1..3, 0 if not Joliet
};

// Parse a 2048-byte volume descriptor block (any type); checks "CD001".
Result<VolumeDescriptor> decode_volume_descriptor(codec::Bytes block);
// Fill a 2048-byte block. Text fields are stored as given (raw bytes), padded
// with spaces (or with UCS-2 spaces for Joliet SVDs: pass them pre-encoded).
void encode_volume_descriptor(const VolumeDescriptor& vd, std::byte* block);
void encode_terminator(std::byte* block);
// Only the type byte and "CD001" check, cheap.
std::optional<VdType> peek_volume_descriptor(codec::Bytes block);

struct PathTableRecord {
    std::string identifier;
    uint8_t ext_attr_length = 0;
    uint32_t extent = 0;
    uint16_t parent = 1;  // 1-based directory number
    size_t encoded_size() const { return 8 + identifier.size() + (identifier.size() & 1); }
};
size_t encode_path_table_record(const PathTableRecord& r, bool big_endian, std::byte* out);
Result<PathTableRecord> decode_path_table_record(codec::Bytes bytes, bool big_endian);

}  // namespace mastering::iso9660
