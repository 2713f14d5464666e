#include "mastering/udf/partition_tables.h"

#include <cstring>

namespace mastering::udf {

using codec::load_le16;
using codec::load_le32;
using codec::store_le16;
using codec::store_le32;

// --- Sparing table (UDF 2.2.12): identifier (16), reallocation table length
// (48: the number of entries), sequence number (52), entries (56: original,
// mapped; 8 bytes each). ---------------------------------------------------------
namespace {
constexpr size_t k_sparing_entries = 56;
}

void encode(const SparingTable& t, std::byte* out) {
    size_t size = t.encoded_size();
    std::memset(out, 0, size);
    encode(t.identifier, out + 16);
    store_le16(out + 48, uint16_t(t.entries.size()));
    store_le32(out + 52, t.sequence_number);
    for (size_t i = 0; i < t.entries.size(); ++i) {
        store_le32(out + k_sparing_entries + 8 * i, t.entries[i].original);
        store_le32(out + k_sparing_entries + 8 * i + 4, t.entries[i].mapped);
    }
    finish_tag(out, TagId(0), t.tag, size);
}

Result<SparingTable> decode_sparing_table(Bytes b, std::optional<uint32_t> location) {
    SparingTable t;
    t.tag = DM_TRY(expect_tag(b, TagId(0), location, "sparing table", k_sparing_entries));
    const std::byte* p = b.data();
    t.identifier = decode_regid(p + 16);
    if (t.identifier.identifier != sparing_table_ident)
        return make_error(Errc::corrupt, "UDF sparing table identified as \"" + t.identifier.identifier + "\"");
    size_t count = load_le16(p + 48);
    t.sequence_number = load_le32(p + 52);
    if (k_sparing_entries + 8 * count > b.size())
        return make_error(Errc::corrupt, "UDF sparing table: " + std::to_string(count) + " entries reach beyond its " +
                                             std::to_string(b.size()) + " bytes");
    for (size_t i = 0; i < count; ++i)
        t.entries.push_back({load_le32(p + k_sparing_entries + 8 * i), load_le32(p + k_sparing_entries + 8 * i + 4)});
    return t;
}

// --- Virtual allocation table (UDF 2.2.11) ---------------------------------------
// 2.00 and later: header length (0), implementation use length (2), logical
// volume id (4, 128), previous VAT ICB (132), files (136), directories
// (140), minimum read (144), minimum and maximum write revision (146, 148),
// implementation use (152), then the entries (4 bytes each).
// 1.50: the entries, then the identifier (32 bytes) and the previous VAT
// ICB (4 bytes).
namespace {
constexpr size_t k_vat_header = 152, k_vat150_trailer = 36;
}

size_t VirtualAllocationTable::encoded_size() const {
    return (header ? k_vat_header + implementation_use.size() : k_vat150_trailer) + 4 * entries.size();
}

std::vector<std::byte> encode(const VirtualAllocationTable& t) {
    std::vector<std::byte> out(t.encoded_size(), std::byte{0});
    std::byte* p = out.data();
    size_t first = 0;
    if (t.header) {
        first = k_vat_header + t.implementation_use.size();
        store_le16(p, uint16_t(first));
        store_le16(p + 2, uint16_t(t.implementation_use.size()));
        encode_dstring(p + 4, 128, t.logical_volume_id);
        store_le32(p + 132, t.previous);
        store_le32(p + 136, t.files);
        store_le32(p + 140, t.directories);
        store_le16(p + 144, t.min_read_revision);
        store_le16(p + 146, t.min_write_revision);
        store_le16(p + 148, t.max_write_revision);
        if (!t.implementation_use.empty())
            std::memcpy(p + k_vat_header, t.implementation_use.data(), t.implementation_use.size());
    }
    for (size_t v = 0; v < t.entries.size(); ++v) store_le32(p + first + 4 * v, t.entries[v]);
    if (!t.header) {
        std::byte* trailer = p + 4 * t.entries.size();
        encode(t.identifier, trailer);
        store_le32(trailer + 32, t.previous);
    }
    return out;
}

Result<VirtualAllocationTable> decode_vat(Bytes b, bool header) {
    VirtualAllocationTable t;
    t.header = header;
    const std::byte* p = b.data();
    size_t first = 0, end = b.size();
    if (header) {
        if (b.size() < k_vat_header) return make_error(Errc::corrupt, "UDF virtual allocation table is truncated");
        first = load_le16(p);
        if (first < k_vat_header || first > b.size())
            return make_error(Errc::corrupt, "UDF virtual allocation table: header length " + std::to_string(first));
        t.logical_volume_id = decode_dstring(p + 4, 128);
        t.previous = load_le32(p + 132);
        t.files = load_le32(p + 136);
        t.directories = load_le32(p + 140);
        t.min_read_revision = load_le16(p + 144);
        t.min_write_revision = load_le16(p + 146);
        t.max_write_revision = load_le16(p + 148);
        t.implementation_use.assign(p + k_vat_header, p + first);
    } else {
        if (b.size() < k_vat150_trailer) return make_error(Errc::corrupt, "UDF virtual allocation table is truncated");
        end = b.size() - k_vat150_trailer;
        t.identifier = decode_regid(p + end);
        if (t.identifier.identifier != vat_ident)
            return make_error(Errc::corrupt, "UDF virtual allocation table identified as \"" + t.identifier.identifier + "\"");
        t.previous = load_le32(p + end + 32);
    }
    for (size_t k = first; k + 4 <= end; k += 4) t.entries.push_back(load_le32(p + k));
    return t;
}

}  // namespace mastering::udf
