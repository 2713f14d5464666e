// The tables that map the blocks of a UDF partition, as values with one
// encode and one decode each: the sparing table of a sparable partition
// (UDF 2.50 2.2.12) and the virtual allocation table of a virtual partition
// (UDF 2.2.11; the UDF 1.50 form has no header and ends with an
// identifier). docs/udf.md ("On-disc structures") lists the fields.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mastering/udf/descriptors.h"

namespace mastering::udf {

// Sparing table (UDF 2.2.12): a descriptor with tag identifier 0, the
// identifier "*UDF Sparing Table", a sequence number and the map entries:
// packets of the partition (original) relocated to spare packets (mapped),
// sorted by original; #FFFFFFF0 and above mark spare packets not in use
// (#FFFFFFFF: available).
struct SparingEntry {
    uint32_t original = 0xFFFFFFFFu, mapped = 0;
    bool operator==(const SparingEntry&) const = default;
};
struct SparingTable {
    DescriptorTag tag;
    EntityId identifier;
    uint32_t sequence_number = 0;
    std::vector<SparingEntry> entries;

    size_t encoded_size() const { return 56 + 8 * entries.size(); }
    bool operator==(const SparingTable&) const = default;
};
constexpr std::string_view sparing_table_ident = "*UDF Sparing Table";
constexpr uint32_t sparing_available = 0xFFFFFFFFu, sparing_unused_min = 0xFFFFFFF0u;
void encode(const SparingTable& t, std::byte* out);
Result<SparingTable> decode_sparing_table(Bytes b, std::optional<uint32_t> location = std::nullopt);

// Virtual allocation table: the contents of the VAT file (UDF 2.00 and
// later: file type 248 with a header; 1.50: file type 0, the entries, then
// "*UDF Virtual Alloc Tbl" and the previous VAT's block). Entry k is the
// block of the underlying partition where virtual block k lies (#FFFFFFFF:
// none).
struct VirtualAllocationTable {
    bool header = true;                 // the 2.00 form; false: 1.50
    std::string logical_volume_id;      // 2.00: d-string of 128 bytes
    uint32_t previous = 0xFFFFFFFFu;    // the previous VAT's ICB (#FFFFFFFF: none recorded)
    uint32_t files = 0, directories = 0;
    uint16_t min_read_revision = 0, min_write_revision = 0, max_write_revision = 0;
    std::vector<std::byte> implementation_use;
    EntityId identifier;                // 1.50: "*UDF Virtual Alloc Tbl"
    std::vector<uint32_t> entries;

    size_t encoded_size() const;
    bool operator==(const VirtualAllocationTable&) const = default;
};
constexpr std::string_view vat_ident = "*UDF Virtual Alloc Tbl";
std::vector<std::byte> encode(const VirtualAllocationTable& t);
// `header`: the 2.00 form (the VAT file's type is 248), else the 1.50 form.
Result<VirtualAllocationTable> decode_vat(Bytes b, bool header);

}  // namespace mastering::udf
