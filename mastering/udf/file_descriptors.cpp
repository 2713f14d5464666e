#include "mastering/udf/file_descriptors.h"

#include <algorithm>
#include <cstring>

namespace mastering::udf {

using codec::load_le16;
using codec::load_le32;
using codec::load_le64;
using codec::store_le16;
using codec::store_le32;
using codec::store_le64;
using codec::u8;

// --- File set descriptor (4/14.1) ---------------------------------------------
// recording time (16), interchange level (28), maximum (30), character set
// list (32), maximum (36), file set number (40), file set descriptor number
// (44), logical volume id charset (48), logical volume id (112, 128), file
// set charset (240), file set id (304, 32), copyright and abstract file ids
// (336, 368; 32 each), root directory ICB (400), domain (416), next extent
// (448), system stream directory ICB (464).
void encode(const FileSetDescriptor& d, std::byte* out) {
    std::memset(out, 0, file_set_descriptor_bytes);
    encode_timestamp(out + 16, d.recorded);
    store_le16(out + 28, d.interchange_level);
    store_le16(out + 30, d.max_interchange_level);
    store_le32(out + 32, d.charset_list);
    store_le32(out + 36, d.max_charset_list);
    store_le32(out + 40, d.file_set_number);
    store_le32(out + 44, d.file_set_descriptor_number);
    encode(d.lv_charset, out + 48);
    encode_dstring(out + 112, 128, d.logical_volume_id);
    encode(d.file_set_charset, out + 240);
    encode_dstring(out + 304, 32, d.file_set_id);
    encode_dstring(out + 336, 32, d.copyright_file);
    encode_dstring(out + 368, 32, d.abstract_file);
    encode(d.root, out + 400);
    encode(d.domain, out + 416);
    encode(d.next, out + 448);
    encode(d.system_stream_directory, out + 464);
    finish_tag(out, TagId::file_set, d.tag, file_set_descriptor_bytes);
}

Result<FileSetDescriptor> decode_file_set(Bytes b, std::optional<uint32_t> location) {
    FileSetDescriptor d;
    d.tag = DM_TRY(expect_tag(b, TagId::file_set, location, "file set descriptor", file_set_descriptor_bytes));
    const std::byte* p = b.data();
    d.recorded = decode_timestamp(p + 16);
    d.interchange_level = load_le16(p + 28);
    d.max_interchange_level = load_le16(p + 30);
    d.charset_list = load_le32(p + 32);
    d.max_charset_list = load_le32(p + 36);
    d.file_set_number = load_le32(p + 40);
    d.file_set_descriptor_number = load_le32(p + 44);
    d.lv_charset = decode_charspec(p + 48);
    d.logical_volume_id = decode_dstring(p + 112, 128);
    d.file_set_charset = decode_charspec(p + 240);
    d.file_set_id = decode_dstring(p + 304, 32);
    d.copyright_file = decode_dstring(p + 336, 32);
    d.abstract_file = decode_dstring(p + 368, 32);
    d.root = decode_long_ad(p + 400);
    d.domain = decode_regid(p + 416);
    d.next = decode_long_ad(p + 448);
    d.system_stream_directory = decode_long_ad(p + 464);
    return d;
}

// --- File identifier descriptor (4/14.4) --------------------------------------
// file version number (16), characteristics (18), identifier length (19),
// ICB (20), implementation use length (36), implementation use (38), the
// identifier, padding to a multiple of 4 bytes.
std::string FileIdentifier::name() const {
    return decode_cs0(reinterpret_cast<const std::byte*>(identifier.data()), identifier.size());
}

size_t encode(const FileIdentifier& d, std::byte* out) {
    size_t size = d.encoded_size();
    std::memset(out, 0, size);
    store_le16(out + 16, d.version_number);
    out[18] = std::byte(d.characteristics);
    out[19] = std::byte(d.identifier.size());
    encode(d.icb, out + 20);
    store_le16(out + 36, uint16_t(d.implementation_use.size()));
    std::memcpy(out + 38, d.implementation_use.data(), d.implementation_use.size());
    std::memcpy(out + 38 + d.implementation_use.size(), d.identifier.data(), d.identifier.size());
    finish_tag(out, TagId::file_identifier, d.tag, size);
    return size;
}

Result<FileIdentifier> decode_file_identifier(Bytes b, std::optional<uint32_t> location) {
    FileIdentifier d;
    d.tag = DM_TRY(expect_tag(b, TagId::file_identifier, location, "file identifier", 38));
    const std::byte* p = b.data();
    d.version_number = load_le16(p + 16);
    d.characteristics = u8(p[18]);
    size_t l_fi = u8(p[19]), l_iu = load_le16(p + 36);
    if (38 + l_iu + l_fi > b.size()) return beyond_bytes("file identifier", 38 + l_iu + l_fi, b.size());
    d.icb = decode_long_ad(p + 20);
    d.implementation_use.assign(reinterpret_cast<const char*>(p + 38), l_iu);
    d.identifier.assign(reinterpret_cast<const char*>(p + 38 + l_iu), l_fi);
    return d;
}

// --- Allocation extent descriptor (4/14.5): previous location (16), length
// of the descriptors (20), the descriptors (24). -------------------------------
void encode(const AllocationExtent& d, std::byte* out) {
    store_le32(out + 16, d.previous);
    store_le32(out + 20, uint32_t(d.descriptors.size()));
    std::memcpy(out + allocation_extent_header, d.descriptors.data(), d.descriptors.size());
    finish_tag(out, TagId::allocation_extent, d.tag, d.encoded_size());
}

Result<AllocationExtent> decode_allocation_extent(Bytes b, std::optional<uint32_t> location) {
    AllocationExtent d;
    d.tag = DM_TRY(expect_tag(b, TagId::allocation_extent, location, "allocation extent descriptor",
                              allocation_extent_header));
    d.previous = load_le32(b.data() + 16);
    uint64_t length = load_le32(b.data() + 20);
    if (allocation_extent_header + length > b.size())
        return beyond_bytes("allocation extent descriptor", allocation_extent_header + length, b.size());
    d.descriptors.assign(b.data() + allocation_extent_header, b.data() + allocation_extent_header + length);
    return d;
}

// --- File entry (4/14.9) and extended file entry (4/14.17) ----------------------
// Both: ICB tag (16: prior entries, strategy 20, parameter 22, maximum
// entries 24, file type 27, parent 28, flags 34), uid (36), gid (40),
// permissions (44), link count (48), record format (50), record display
// attributes (51), record length (52), information length (56). Then
//   file entry:    blocks recorded (64), access (72), modification (84),
//                  attribute (96), checkpoint (108), EA ICB (112),
//                  implementation (128), unique id (160), L_EA (168),
//                  L_AD (172), extended attributes (176)
//   extended:      object size (64), blocks recorded (72), access (80),
//                  modification (92), creation (104), attribute (116),
//                  checkpoint (128), EA ICB (136), stream directory (152),
//                  implementation (168), unique id (200), L_EA (208),
//                  L_AD (212), extended attributes (216)
// and the allocation descriptors after the extended attributes.
namespace {
struct EntryOffsets {
    size_t blocks, access, modification, attribute, checkpoint, ea_icb, implementation, unique, l_ea, l_ad;
};
constexpr EntryOffsets k_fe{64, 72, 84, 96, 108, 112, 128, 160, 168, 172};
constexpr EntryOffsets k_efe{72, 80, 92, 116, 128, 136, 168, 200, 208, 212};

void encode_icb_tag(const IcbTag& t, std::byte* p) {
    store_le32(p, t.prior_entries);
    store_le16(p + 4, t.strategy);
    store_le16(p + 6, t.strategy_parameter);
    store_le16(p + 8, t.max_entries);
    p[11] = std::byte(uint8_t(t.file_type));
    store_le32(p + 12, t.parent_block);
    store_le16(p + 16, t.parent_partition);
    store_le16(p + 18, t.flags);
}

IcbTag decode_icb_tag(const std::byte* p) {
    IcbTag t;
    t.prior_entries = load_le32(p);
    t.strategy = load_le16(p + 4);
    t.strategy_parameter = load_le16(p + 6);
    t.max_entries = load_le16(p + 8);
    t.file_type = FileType(u8(p[11]));
    t.parent_block = load_le32(p + 12);
    t.parent_partition = load_le16(p + 16);
    t.flags = load_le16(p + 18);
    return t;
}
}  // namespace

void encode(const FileEntry& d, std::byte* out) {
    const EntryOffsets& o = d.extended ? k_efe : k_fe;
    size_t header = d.header_size();
    std::memset(out, 0, header);
    encode_icb_tag(d.icb, out + 16);
    store_le32(out + 36, d.uid);
    store_le32(out + 40, d.gid);
    store_le32(out + 44, d.permissions);
    store_le16(out + 48, d.links);
    out[50] = std::byte(d.record_format);
    out[51] = std::byte(d.record_attributes);
    store_le32(out + 52, d.record_length);
    store_le64(out + 56, d.size);
    store_le64(out + o.blocks, d.blocks);
    encode_timestamp(out + o.access, d.access);
    encode_timestamp(out + o.modification, d.modification);
    encode_timestamp(out + o.attribute, d.attribute);
    store_le32(out + o.checkpoint, d.checkpoint);
    encode(d.extended_attribute_icb, out + o.ea_icb);
    encode(d.implementation, out + o.implementation);
    store_le64(out + o.unique, d.unique_id);
    store_le32(out + o.l_ea, uint32_t(d.extended_attributes.size()));
    store_le32(out + o.l_ad, uint32_t(d.allocation.size()));
    if (d.extended) {
        store_le64(out + 64, d.object_size);
        encode_timestamp(out + 104, d.creation);
        encode(d.stream_directory, out + 152);
    }
    std::byte* p = out + header;
    if (!d.extended_attributes.empty()) std::memcpy(p, d.extended_attributes.data(), d.extended_attributes.size());
    p += d.extended_attributes.size();
    if (!d.allocation.empty()) std::memcpy(p, d.allocation.data(), d.allocation.size());
    finish_tag(out, d.extended ? TagId::extended_file_entry : TagId::file_entry, d.tag, d.encoded_size());
}

Result<FileEntry> decode_file_entry(Bytes b, std::optional<uint32_t> location) {
    if (b.size() < file_entry_header) return beyond_bytes("file entry", file_entry_header, b.size());
    auto t = check_tag(b, location);
    if (!t.ok()) return t.error().with_context("UDF file entry");
    if (t->id != uint16_t(TagId::file_entry) && t->id != uint16_t(TagId::extended_file_entry))
        return make_error(Errc::corrupt, "expected a UDF file entry, found tag " + std::to_string(t->id));
    FileEntry d;
    d.tag = DescriptorTag{t->version, t->serial, t->location};
    d.extended = t->id == uint16_t(TagId::extended_file_entry);
    size_t header = d.header_size();
    if (b.size() < header) return beyond_bytes("extended file entry", header, b.size());
    const EntryOffsets& o = d.extended ? k_efe : k_fe;
    const std::byte* p = b.data();
    d.icb = decode_icb_tag(p + 16);
    d.uid = load_le32(p + 36);
    d.gid = load_le32(p + 40);
    d.permissions = load_le32(p + 44);
    d.links = load_le16(p + 48);
    d.record_format = u8(p[50]);
    d.record_attributes = u8(p[51]);
    d.record_length = load_le32(p + 52);
    d.size = load_le64(p + 56);
    d.blocks = load_le64(p + o.blocks);
    d.access = decode_timestamp(p + o.access);
    d.modification = decode_timestamp(p + o.modification);
    d.attribute = decode_timestamp(p + o.attribute);
    d.checkpoint = load_le32(p + o.checkpoint);
    d.extended_attribute_icb = decode_long_ad(p + o.ea_icb);
    d.implementation = decode_regid(p + o.implementation);
    d.unique_id = load_le64(p + o.unique);
    if (d.extended) {
        d.object_size = load_le64(p + 64);
        d.creation = decode_timestamp(p + 104);
        d.stream_directory = decode_long_ad(p + 152);
    }
    uint64_t l_ea = load_le32(p + o.l_ea), l_ad = load_le32(p + o.l_ad);
    if (header + l_ea + l_ad > b.size())
        return make_error(Errc::corrupt, "UDF file entry: extended attributes and descriptors (" +
                                             std::to_string(l_ea + l_ad) + " bytes) overflow it");
    d.extended_attributes.assign(p + header, p + header + l_ea);
    d.allocation.assign(p + header + l_ea, p + header + l_ea + l_ad);
    return d;
}

// --- Extended attributes (4/14.10) ---------------------------------------------
// Header descriptor (4/14.10.1): implementation attributes location (16),
// application attributes location (20); its CRC covers the header alone.
// Each attribute (4/14.10.2): type (0), subtype (4), length (8), data (12).
// A device specification (4/14.10.7): implementation use length (12), major
// (16), minor (20), implementation use (24).
namespace {
constexpr size_t k_ea_header = 24, k_attribute_header = 12, k_device_type = 12;
}

size_t ExtendedAttributes::encoded_size() const {
    size_t n = k_ea_header;
    for (const auto& a : attributes) n += k_attribute_header + a.data.size();
    return n;
}

void encode(const ExtendedAttributes& d, std::byte* out) {
    std::memset(out, 0, d.encoded_size());
    store_le32(out + 16, d.implementation_location);
    store_le32(out + 20, d.application_location);
    std::byte* p = out + k_ea_header;
    for (const auto& a : d.attributes) {
        store_le32(p, a.type);
        p[4] = std::byte(a.subtype);
        store_le32(p + 8, uint32_t(k_attribute_header + a.data.size()));
        if (!a.data.empty()) std::memcpy(p + k_attribute_header, a.data.data(), a.data.size());
        p += k_attribute_header + a.data.size();
    }
    finish_tag(out, TagId::extended_attribute_header, d.tag, k_ea_header);
}

Result<ExtendedAttributes> decode_extended_attributes(Bytes b, std::optional<uint32_t> location) {
    ExtendedAttributes d;
    d.tag = DM_TRY(expect_tag(b, TagId::extended_attribute_header, location, "extended attribute header", k_ea_header));
    d.implementation_location = load_le32(b.data() + 16);
    d.application_location = load_le32(b.data() + 20);
    size_t off = k_ea_header;
    while (off + k_attribute_header <= b.size()) {
        const std::byte* p = b.data() + off;
        uint64_t length = load_le32(p + 8);
        if (length < k_attribute_header || off + length > b.size())
            return beyond_bytes("extended attribute", off + length, b.size());
        d.attributes.push_back({load_le32(p), u8(p[4]), std::vector<std::byte>(p + k_attribute_header, p + length)});
        off += size_t(length);
    }
    return d;
}

ExtendedAttribute device_specification(DeviceNumbers d) {
    ExtendedAttribute a{k_device_type, 1, std::vector<std::byte>(12)};
    store_le32(a.data.data(), 0);  // no implementation use
    store_le32(a.data.data() + 4, d.major);
    store_le32(a.data.data() + 8, d.minor);
    return a;
}

std::optional<DeviceNumbers> device_numbers(const ExtendedAttribute& a) {
    if (a.type != k_device_type || a.data.size() < 12) return std::nullopt;
    uint64_t iu = load_le32(a.data.data());
    if (12 + iu > a.data.size()) return std::nullopt;
    return DeviceNumbers{load_le32(a.data.data() + 4), load_le32(a.data.data() + 8)};
}

// --- Path components (4/14.16.1): type (0), identifier length (1), version
// (2), identifier (4). ----------------------------------------------------------
namespace path_type {
constexpr uint8_t root_alias = 1, root = 2, parent = 3, current = 4, name = 5;
}

std::vector<std::byte> encode(const std::vector<PathComponent>& path) {
    std::vector<std::byte> out;
    for (const auto& c : path) {
        size_t at = out.size(), n = std::min<size_t>(c.identifier.size(), 255);
        out.resize(at + 4 + n);
        out[at] = std::byte(c.type);
        out[at + 1] = std::byte(n);
        store_le16(out.data() + at + 2, c.version);
        std::memcpy(out.data() + at + 4, c.identifier.data(), n);
    }
    return out;
}

Result<std::vector<PathComponent>> decode_path(Bytes b) {
    std::vector<PathComponent> path;
    size_t off = 0;
    while (off + 4 <= b.size()) {
        const std::byte* p = b.data() + off;
        size_t n = u8(p[1]);
        if (off + 4 + n > b.size()) return beyond_bytes("path component", off + 4 + n, b.size());
        path.push_back({u8(p[0]), load_le16(p + 2), std::string(reinterpret_cast<const char*>(p + 4), n)});
        off += 4 + n;
    }
    if (off != b.size()) return beyond_bytes("path component", off + 4, b.size());
    return path;
}

std::vector<PathComponent> path_components(std::string_view target) {
    std::vector<PathComponent> out;
    if (!target.empty() && target.front() == '/') out.push_back({path_type::root, 0, {}});
    size_t i = 0;
    while (i < target.size()) {
        size_t j = target.find('/', i);
        if (j == std::string_view::npos) j = target.size();
        std::string_view part = target.substr(i, j - i);
        if (part == ".") out.push_back({path_type::current, 0, {}});
        else if (part == "..") out.push_back({path_type::parent, 0, {}});
        else if (!part.empty()) out.push_back({path_type::name, 0, encode_cs0(part, 255)});
        i = j + 1;
    }
    return out;
}

std::string path_text(const std::vector<PathComponent>& path) {
    std::string out;
    for (const auto& c : path) {
        std::string part;
        switch (c.type) {
        case path_type::root_alias:
        case path_type::root: out = "/"; continue;
        case path_type::parent: part = ".."; break;
        case path_type::current: part = "."; break;
        case path_type::name:
            part = decode_cs0(reinterpret_cast<const std::byte*>(c.identifier.data()), c.identifier.size());
            break;
        default: break;
        }
        if (!out.empty() && out.back() != '/') out += '/';
        out += part;
    }
    return out;
}

}  // namespace mastering::udf
