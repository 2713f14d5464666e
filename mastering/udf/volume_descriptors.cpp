#include "mastering/udf/volume_descriptors.h"

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

namespace {

template <size_t N>
void copy_out(const std::array<std::byte, N>& a, std::byte* p) {
    std::memcpy(p, a.data(), N);
}
template <size_t N>
void copy_in(std::array<std::byte, N>& a, const std::byte* p) {
    std::memcpy(a.data(), p, N);
}

}  // namespace

// --- Volume structure descriptor (2/9.1): type (0), identifier (1, 5),
// version (6). ------------------------------------------------------------------
void encode(const VolumeStructureDescriptor& d, std::byte* block) {
    std::memset(block, 0, block_size);
    block[0] = std::byte(d.type);
    std::memcpy(block + 1, d.identifier.data(), std::min<size_t>(d.identifier.size(), 5));
    block[6] = std::byte(d.version);
}

Result<VolumeStructureDescriptor> decode_volume_structure(Bytes b) {
    if (b.size() < 7) return make_error(Errc::corrupt, "UDF volume structure descriptor is truncated");
    return VolumeStructureDescriptor{u8(b[0]), std::string(reinterpret_cast<const char*>(b.data() + 1), 5), u8(b[6])};
}

// --- Anchor (3/10.2): main sequence (16), reserve sequence (24). -------------
void encode(const AnchorPointer& d, std::byte* out) {
    std::memset(out, 0, volume_descriptor_bytes);
    encode(d.main, out + 16);
    encode(d.reserve, out + 24);
    finish_tag(out, TagId::anchor, d.tag, volume_descriptor_bytes);
}

Result<AnchorPointer> decode_anchor(Bytes b, std::optional<uint32_t> location) {
    AnchorPointer d;
    d.tag = DM_TRY(expect_tag(b, TagId::anchor, location, "anchor volume descriptor pointer", volume_descriptor_bytes));
    d.main = decode_extent_ad(b.data() + 16);
    d.reserve = decode_extent_ad(b.data() + 24);
    return d;
}

// --- Volume descriptor pointer (3/10.3): sequence number (16), next (20). ----
void encode(const VolumeDescriptorPointer& d, std::byte* out) {
    std::memset(out, 0, volume_descriptor_bytes);
    store_le32(out + 16, d.sequence_number);
    encode(d.next, out + 20);
    finish_tag(out, TagId::pointer, d.tag, volume_descriptor_bytes);
}

Result<VolumeDescriptorPointer> decode_pointer(Bytes b, std::optional<uint32_t> location) {
    VolumeDescriptorPointer d;
    d.tag = DM_TRY(expect_tag(b, TagId::pointer, location, "volume descriptor pointer", volume_descriptor_bytes));
    d.sequence_number = load_le32(b.data() + 16);
    d.next = decode_extent_ad(b.data() + 20);
    return d;
}

// --- Primary volume descriptor (3/10.1) --------------------------------------
// sequence number (16), number (20), volume id (24, 32), volume sequence (56),
// maximum (58), interchange level (60), maximum (62), character set list
// (64), maximum (68), volume set id (72, 128), descriptor and explanatory
// charsets (200, 264), abstract (328), copyright (336), application (344),
// recording time (376), implementation (388), implementation use (420, 64),
// predecessor sequence (484), flags (488).
void encode(const PrimaryVolumeDescriptor& d, std::byte* out) {
    std::memset(out, 0, volume_descriptor_bytes);
    store_le32(out + 16, d.sequence_number);
    store_le32(out + 20, d.number);
    encode_dstring(out + 24, 32, d.volume_id);
    store_le16(out + 56, d.volume_sequence);
    store_le16(out + 58, d.max_volume_sequence);
    store_le16(out + 60, d.interchange_level);
    store_le16(out + 62, d.max_interchange_level);
    store_le32(out + 64, d.charset_list);
    store_le32(out + 68, d.max_charset_list);
    encode_dstring(out + 72, 128, d.volume_set_id);
    encode(d.descriptor_charset, out + 200);
    encode(d.explanatory_charset, out + 264);
    encode(d.abstract, out + 328);
    encode(d.copyright, out + 336);
    encode(d.application, out + 344);
    encode_timestamp(out + 376, d.recorded);
    encode(d.implementation, out + 388);
    copy_out(d.implementation_use, out + 420);
    store_le32(out + 484, d.predecessor);
    store_le16(out + 488, d.flags);
    finish_tag(out, TagId::primary_volume, d.tag, volume_descriptor_bytes);
}

Result<PrimaryVolumeDescriptor> decode_primary(Bytes b, std::optional<uint32_t> location) {
    PrimaryVolumeDescriptor d;
    d.tag = DM_TRY(expect_tag(b, TagId::primary_volume, location, "primary volume descriptor", volume_descriptor_bytes));
    const std::byte* p = b.data();
    d.sequence_number = load_le32(p + 16);
    d.number = load_le32(p + 20);
    d.volume_id = decode_dstring(p + 24, 32);
    d.volume_sequence = load_le16(p + 56);
    d.max_volume_sequence = load_le16(p + 58);
    d.interchange_level = load_le16(p + 60);
    d.max_interchange_level = load_le16(p + 62);
    d.charset_list = load_le32(p + 64);
    d.max_charset_list = load_le32(p + 68);
    d.volume_set_id = decode_dstring(p + 72, 128);
    d.descriptor_charset = decode_charspec(p + 200);
    d.explanatory_charset = decode_charspec(p + 264);
    d.abstract = decode_extent_ad(p + 328);
    d.copyright = decode_extent_ad(p + 336);
    d.application = decode_regid(p + 344);
    d.recorded = decode_timestamp(p + 376);
    d.implementation = decode_regid(p + 388);
    copy_in(d.implementation_use, p + 420);
    d.predecessor = load_le32(p + 484);
    d.flags = load_le16(p + 488);
    return d;
}

// --- Implementation use volume descriptor (3/10.4) ---------------------------
// sequence number (16), identifier (20), then UDF's LVInformation (2.2.7.2):
// charset (52), logical volume id (116, 128), LVInfo1-3 (244, 280, 316; 36
// each), implementation (352), implementation use (384, 128).
void encode(const ImplementationUseVolumeDescriptor& d, std::byte* out) {
    std::memset(out, 0, volume_descriptor_bytes);
    store_le32(out + 16, d.sequence_number);
    encode(d.identifier, out + 20);
    encode(d.lv_charset, out + 52);
    encode_dstring(out + 116, 128, d.logical_volume_id);
    encode_dstring(out + 244, 36, d.info1);
    encode_dstring(out + 280, 36, d.info2);
    encode_dstring(out + 316, 36, d.info3);
    encode(d.implementation, out + 352);
    copy_out(d.implementation_use, out + 384);
    finish_tag(out, TagId::implementation_use, d.tag, volume_descriptor_bytes);
}

Result<ImplementationUseVolumeDescriptor> decode_implementation_use(Bytes b, std::optional<uint32_t> location) {
    ImplementationUseVolumeDescriptor d;
    d.tag = DM_TRY(expect_tag(b, TagId::implementation_use, location, "implementation use volume descriptor",
                              volume_descriptor_bytes));
    const std::byte* p = b.data();
    d.sequence_number = load_le32(p + 16);
    d.identifier = decode_regid(p + 20);
    d.lv_charset = decode_charspec(p + 52);
    d.logical_volume_id = decode_dstring(p + 116, 128);
    d.info1 = decode_dstring(p + 244, 36);
    d.info2 = decode_dstring(p + 280, 36);
    d.info3 = decode_dstring(p + 316, 36);
    d.implementation = decode_regid(p + 352);
    copy_in(d.implementation_use, p + 384);
    return d;
}

// --- Partition descriptor (3/10.5) -------------------------------------------
// sequence number (16), flags (20), number (22), contents (24), contents use
// (56, 128: the partition header descriptor, 4/14.3: five short_ads), access
// type (184), start (188), length (192), implementation (196),
// implementation use (228, 128).
void encode(const PartitionDescriptor& d, std::byte* out) {
    std::memset(out, 0, volume_descriptor_bytes);
    store_le32(out + 16, d.sequence_number);
    store_le16(out + 20, d.flags);
    store_le16(out + 22, d.number);
    encode(d.contents, out + 24);
    const ShortAd* header[] = {&d.header.unallocated_table, &d.header.unallocated_bitmap, &d.header.integrity_table,
                               &d.header.freed_table, &d.header.freed_bitmap};
    for (size_t i = 0; i < 5; ++i) encode(*header[i], out + 56 + 8 * i);
    store_le32(out + 184, d.access);
    store_le32(out + 188, d.start);
    store_le32(out + 192, d.length);
    encode(d.implementation, out + 196);
    copy_out(d.implementation_use, out + 228);
    finish_tag(out, TagId::partition, d.tag, volume_descriptor_bytes);
}

Result<PartitionDescriptor> decode_partition(Bytes b, std::optional<uint32_t> location) {
    PartitionDescriptor d;
    d.tag = DM_TRY(expect_tag(b, TagId::partition, location, "partition descriptor", volume_descriptor_bytes));
    const std::byte* p = b.data();
    d.sequence_number = load_le32(p + 16);
    d.flags = load_le16(p + 20);
    d.number = load_le16(p + 22);
    d.contents = decode_regid(p + 24);
    ShortAd* header[] = {&d.header.unallocated_table, &d.header.unallocated_bitmap, &d.header.integrity_table,
                         &d.header.freed_table, &d.header.freed_bitmap};
    for (size_t i = 0; i < 5; ++i) *header[i] = decode_short_ad(p + 56 + 8 * i);
    d.access = load_le32(p + 184);
    d.start = load_le32(p + 188);
    d.length = load_le32(p + 192);
    d.implementation = decode_regid(p + 196);
    copy_in(d.implementation_use, p + 228);
    return d;
}

// --- Partition maps (3/10.7) -------------------------------------------------
// Type 1: type (0), length (1), volume sequence (2), partition number (4).
// Type 2: type, length, identifier (4), volume sequence (36), partition
// number (38), then per kind: sparable (2.2.9) packet length (40), number
// of sparing tables (42), size of each (44), their locations (48, 4 each);
// metadata (2.2.10) metadata file (40), mirror (44), bitmap (48), allocation
// unit (52), alignment unit (56), flags (58).
namespace {

void encode_map(const PartitionMap& m, std::byte* p) {
    std::memset(p, 0, m.encoded_size());
    if (m.kind == PartitionMap::Kind::physical) {
        p[0] = std::byte{1};
        p[1] = std::byte{6};
        store_le16(p + 2, m.volume_sequence);
        store_le16(p + 4, m.partition_number);
        return;
    }
    p[0] = std::byte{2};
    p[1] = std::byte{64};
    encode(m.identifier, p + 4);
    store_le16(p + 36, m.volume_sequence);
    store_le16(p + 38, m.partition_number);
    if (m.kind == PartitionMap::Kind::sparable) {
        store_le16(p + 40, m.packet_length);
        size_t tables = std::min<size_t>(m.sparing_tables.size(), 4);
        p[42] = std::byte(tables);
        store_le32(p + 44, m.table_bytes);
        for (size_t k = 0; k < tables; ++k) store_le32(p + 48 + 4 * k, m.sparing_tables[k]);
    } else if (m.kind == PartitionMap::Kind::metadata) {
        store_le32(p + 40, m.metadata_file);
        store_le32(p + 44, m.mirror_file);
        store_le32(p + 48, m.bitmap_file);
        store_le32(p + 52, m.allocation_unit);
        store_le16(p + 56, m.alignment_unit);
        p[58] = std::byte(m.flags);
    }
}

Result<PartitionMap> decode_map(const std::byte* p, size_t length) {
    PartitionMap m;
    uint8_t type = u8(p[0]);
    if (type == 1) {
        m.volume_sequence = load_le16(p + 2);
        m.partition_number = load_le16(p + 4);
        return m;
    }
    if (type != 2 || length < 64) return make_error(Errc::unsupported, "UDF partition map type " + std::to_string(type));
    m.identifier = decode_regid(p + 4);
    m.volume_sequence = load_le16(p + 36);
    m.partition_number = load_le16(p + 38);
    const std::string& id = m.identifier.identifier;
    if (id == virtual_partition_ident) {
        m.kind = PartitionMap::Kind::virtual_;
    } else if (id == sparable_partition_ident) {
        m.kind = PartitionMap::Kind::sparable;
        m.packet_length = load_le16(p + 40);
        m.table_bytes = load_le32(p + 44);
        for (size_t k = 0; k < u8(p[42]) && k < 4; ++k) m.sparing_tables.push_back(load_le32(p + 48 + 4 * k));
    } else if (id == metadata_partition_ident) {
        m.kind = PartitionMap::Kind::metadata;
        m.metadata_file = load_le32(p + 40);
        m.mirror_file = load_le32(p + 44);
        m.bitmap_file = load_le32(p + 48);
        m.allocation_unit = load_le32(p + 52);
        m.alignment_unit = load_le16(p + 56);
        m.flags = u8(p[58]);
    } else {
        return make_error(Errc::unsupported, "UDF partition map \"" + id + "\"");
    }
    return m;
}

constexpr size_t k_lvd_maps = 440, k_max_maps = 16;

}  // namespace

// --- Logical volume descriptor (3/10.6) --------------------------------------
// sequence number (16), charset (20), logical volume id (84, 128), logical
// block size (212), domain (216), contents use (248: the file set's long_ad),
// map table length (264), number of maps (268), implementation (272),
// implementation use (304, 128), integrity sequence (432), maps (440).
size_t LogicalVolumeDescriptor::encoded_size() const {
    size_t n = k_lvd_maps;
    for (const auto& m : maps) n += m.encoded_size();
    return n;
}

void encode(const LogicalVolumeDescriptor& d, std::byte* out) {
    size_t size = d.encoded_size();
    std::memset(out, 0, size);  // encoded_size() bytes, as the header promises
    store_le32(out + 16, d.sequence_number);
    encode(d.charset, out + 20);
    encode_dstring(out + 84, 128, d.logical_volume_id);
    store_le32(out + 212, d.logical_block_size);
    encode(d.domain, out + 216);
    encode(d.file_set, out + 248);
    store_le32(out + 264, uint32_t(size - k_lvd_maps));
    store_le32(out + 268, uint32_t(d.maps.size()));
    encode(d.implementation, out + 272);
    copy_out(d.implementation_use, out + 304);
    encode(d.integrity, out + 432);
    std::byte* p = out + k_lvd_maps;
    for (const auto& m : d.maps) {
        encode_map(m, p);
        p += m.encoded_size();
    }
    finish_tag(out, TagId::logical_volume, d.tag, size);
}

Result<LogicalVolumeDescriptor> decode_logical_volume(Bytes b, std::optional<uint32_t> location) {
    LogicalVolumeDescriptor d;
    d.tag = DM_TRY(expect_tag(b, TagId::logical_volume, location, "logical volume descriptor", k_lvd_maps));
    const std::byte* p = b.data();
    d.sequence_number = load_le32(p + 16);
    d.charset = decode_charspec(p + 20);
    d.logical_volume_id = decode_dstring(p + 84, 128);
    d.logical_block_size = load_le32(p + 212);
    d.domain = decode_regid(p + 216);
    d.file_set = decode_long_ad(p + 248);
    d.implementation = decode_regid(p + 272);
    copy_in(d.implementation_use, p + 304);
    d.integrity = decode_extent_ad(p + 432);
    uint32_t table = load_le32(p + 264), count = load_le32(p + 268);
    if (count > k_max_maps || table > block_size - k_lvd_maps)
        return make_error(Errc::corrupt, "UDF logical volume descriptor: partition map table too large");
    if (k_lvd_maps + table > b.size()) return beyond_bytes("logical volume descriptor", k_lvd_maps + table, b.size());
    size_t off = 0;
    for (uint32_t i = 0; i < count; ++i) {
        if (off + 2 > table) return make_error(Errc::corrupt, "UDF partition map table truncated");
        const std::byte* m = p + k_lvd_maps + off;
        size_t len = u8(m[1]);
        if (len < 6 || off + len > table) return make_error(Errc::corrupt, "UDF partition map length");
        d.maps.push_back(DM_TRY(decode_map(m, len)));
        off += len;
    }
    return d;
}

// --- Unallocated space descriptor (3/10.8): sequence number (16), count (20),
// extents (24). ---------------------------------------------------------------
void encode(const UnallocatedSpaceDescriptor& d, std::byte* out) {
    size_t size = d.encoded_size();
    std::memset(out, 0, size);
    store_le32(out + 16, d.sequence_number);
    store_le32(out + 20, uint32_t(d.extents.size()));
    for (size_t i = 0; i < d.extents.size(); ++i) encode(d.extents[i], out + 24 + 8 * i);
    finish_tag(out, TagId::unallocated_space, d.tag, size);
}

Result<UnallocatedSpaceDescriptor> decode_unallocated_space(Bytes b, std::optional<uint32_t> location) {
    UnallocatedSpaceDescriptor d;
    d.tag = DM_TRY(expect_tag(b, TagId::unallocated_space, location, "unallocated space descriptor", 24));
    d.sequence_number = load_le32(b.data() + 16);
    uint64_t count = load_le32(b.data() + 20);
    if (24 + 8 * count > b.size()) return beyond_bytes("unallocated space descriptor", size_t(24 + 8 * count), b.size());
    for (size_t i = 0; i < count; ++i) d.extents.push_back(decode_extent_ad(b.data() + 24 + 8 * i));
    return d;
}

// --- Terminating descriptor (3/10.9) -----------------------------------------
void encode(const TerminatingDescriptor& d, std::byte* out) {
    std::memset(out, 0, volume_descriptor_bytes);
    finish_tag(out, TagId::terminating, d.tag, volume_descriptor_bytes);
}

Result<TerminatingDescriptor> decode_terminating(Bytes b, std::optional<uint32_t> location) {
    return TerminatingDescriptor{
        DM_TRY(expect_tag(b, TagId::terminating, location, "terminating descriptor", volume_descriptor_bytes))};
}

// --- Logical volume integrity descriptor (3/10.10) ---------------------------
// recording time (16), type (28), next extent (32), contents use (40, 32: the
// next unique id first), number of partitions N (72), implementation use
// length (76), free space table (80, 4 N), size table (80 + 4 N),
// implementation use (80 + 8 N): UDF's implementation (0), files (32),
// directories (36), minimum read (40), minimum and maximum write revision (42, 44).
namespace {
constexpr size_t k_lvid_tables = 80, k_udf_iu = 46;
}

size_t LogicalVolumeIntegrityDescriptor::encoded_size() const {
    return k_lvid_tables + 8 * partitions.size() + (udf ? k_udf_iu + udf->rest.size() : 0);
}

void encode(const LogicalVolumeIntegrityDescriptor& d, std::byte* out) {
    size_t size = d.encoded_size(), n = d.partitions.size();
    std::memset(out, 0, size);
    encode_timestamp(out + 16, d.recorded);
    store_le32(out + 28, d.type);
    encode(d.next, out + 32);
    store_le64(out + 40, d.next_unique_id);
    store_le32(out + 72, uint32_t(n));
    store_le32(out + 76, uint32_t(size - k_lvid_tables - 8 * n));
    for (size_t i = 0; i < n; ++i) {
        store_le32(out + k_lvid_tables + 4 * i, d.partitions[i].free);
        store_le32(out + k_lvid_tables + 4 * (n + i), d.partitions[i].size);
    }
    if (d.udf) {
        std::byte* iu = out + k_lvid_tables + 8 * n;
        encode(d.udf->implementation, iu);
        store_le32(iu + 32, d.udf->files);
        store_le32(iu + 36, d.udf->directories);
        store_le16(iu + 40, d.udf->min_read_revision);
        store_le16(iu + 42, d.udf->min_write_revision);
        store_le16(iu + 44, d.udf->max_write_revision);
        if (!d.udf->rest.empty()) std::memcpy(iu + k_udf_iu, d.udf->rest.data(), d.udf->rest.size());
    }
    finish_tag(out, TagId::integrity, d.tag, size);
}

Result<LogicalVolumeIntegrityDescriptor> decode_integrity(Bytes b, std::optional<uint32_t> location) {
    LogicalVolumeIntegrityDescriptor d;
    d.tag = DM_TRY(expect_tag(b, TagId::integrity, location, "logical volume integrity descriptor", k_lvid_tables));
    const std::byte* p = b.data();
    d.recorded = decode_timestamp(p + 16);
    d.type = load_le32(p + 28);
    d.next = decode_extent_ad(p + 32);
    d.next_unique_id = load_le64(p + 40);
    uint64_t n = load_le32(p + 72), l_iu = load_le32(p + 76);
    uint64_t size = k_lvid_tables + 8 * n + l_iu;
    if (size > b.size()) return beyond_bytes("logical volume integrity descriptor", size_t(std::min<uint64_t>(size, SIZE_MAX)), b.size());
    for (size_t i = 0; i < n; ++i)
        d.partitions.push_back({load_le32(p + k_lvid_tables + 4 * i), load_le32(p + k_lvid_tables + 4 * (n + i))});
    if (l_iu >= k_udf_iu) {
        const std::byte* iu = p + k_lvid_tables + 8 * n;
        IntegrityImplementationUse u;
        u.implementation = decode_regid(iu);
        u.files = load_le32(iu + 32);
        u.directories = load_le32(iu + 36);
        u.min_read_revision = load_le16(iu + 40);
        u.min_write_revision = load_le16(iu + 42);
        u.max_write_revision = load_le16(iu + 44);
        u.rest.assign(iu + k_udf_iu, iu + l_iu);
        d.udf = std::move(u);
    }
    return d;
}

}  // namespace mastering::udf
