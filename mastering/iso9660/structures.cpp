#include "mastering/iso9660/structures.h"

#include <cstring>

#include "mastering/codec/cursor.h"
#include "mastering/codec/iso_date.h"
#include "mastering/codec/text.h"

namespace mastering::iso9660 {

using namespace codec;

size_t DirectoryRecord::encoded_size() const {
    size_t n = dir_record_base + identifier.size();
    if (n & 1) ++n;  // padding field after an even-length identifier
    return n + system_use.size();
}

Result<DirectoryRecord> decode_directory_record(Bytes b) {
    if (b.empty()) return make_error(Errc::corrupt, "empty directory record");
    size_t len = u8(b[0]);
    if (len < dir_record_base) return make_error(Errc::corrupt, "directory record shorter than 33 bytes");
    if (len > b.size()) return make_error(Errc::corrupt, "directory record crosses the end of its block");
    ByteCursor c(b.first(len));
    c.u8();
    DirectoryRecord r;
    r.ext_attr_length = c.u8();
    auto ext = c.both32();
    auto size = c.both32();
    r.extent = ext.value;
    r.data_length = size.value;
    r.recorded = decode_date7(c.take(7).data());
    r.flags = c.u8();
    c.skip(2);  // file unit size, interleave gap
    auto seq = c.both16();
    r.volume_sequence = seq.value;
    r.endian_consistent = ext.consistent && size.consistent && seq.consistent;
    size_t name_len = c.u8();
    if (dir_record_base + name_len > len)
        return make_error(Errc::corrupt, "directory record identifier longer than the record");
    r.identifier = std::string(c.text(name_len));
    size_t su = dir_record_base + name_len + ((name_len & 1) == 0 ? 1 : 0);
    if (su < len) r.system_use.assign(reinterpret_cast<const char*>(b.data() + su), len - su);
    DM_TRY(c.finish("directory record"));
    return r;
}

size_t encode_directory_record(const DirectoryRecord& r, std::byte* out) {
    size_t len = r.encoded_size();
    DM_VERIFY(len <= 255);
    std::memset(out, 0, len);
    out[0] = std::byte(len);
    out[1] = std::byte(r.ext_attr_length);
    store_both32(out + 2, r.extent);
    store_both32(out + 10, r.data_length);
    encode_date7(r.recorded, out + 18);
    out[25] = std::byte(r.flags);
    store_both16(out + 28, r.volume_sequence);
    out[32] = std::byte(r.identifier.size());
    std::memcpy(out + 33, r.identifier.data(), r.identifier.size());
    size_t su = dir_record_base + r.identifier.size() + ((r.identifier.size() & 1) == 0 ? 1 : 0);
    std::memcpy(out + su, r.system_use.data(), r.system_use.size());
    return len;
}

bool VolumeDescriptor::is_joliet() const { return joliet_level() != 0; }

int VolumeDescriptor::joliet_level() const {
    if (type != VdType::supplementary || version != 1 || escape_sequences.size() < 3) return 0;
    if (escape_sequences[0] != '%' || escape_sequences[1] != '/') return 0;
    switch (escape_sequences[2]) {
    case '@': return 1;
    case 'C': return 2;
    case 'E': return 3;
    }
    return 0;
}

std::optional<VdType> peek_volume_descriptor(Bytes b) {
    if (b.size() < 7 || std::memcmp(b.data() + 1, "CD001", 5) != 0) return std::nullopt;
    return VdType(u8(b[0]));
}

Result<VolumeDescriptor> decode_volume_descriptor(Bytes b) {
    if (b.size() < block_size) return make_error(Errc::corrupt, "volume descriptor shorter than a block");
    if (!peek_volume_descriptor(b)) return make_error(Errc::corrupt, "no ISO 9660 volume descriptor (CD001) here");
    const std::byte* p = b.data();
    VolumeDescriptor vd;
    vd.type = VdType(u8(p[0]));
    vd.version = u8(p[6]);
    if (vd.type != VdType::primary && vd.type != VdType::supplementary) return vd;
    vd.flags = u8(p[7]);
    vd.system_id = std::string(reinterpret_cast<const char*>(p + 8), 32);
    vd.volume_id = std::string(reinterpret_cast<const char*>(p + 40), 32);
    auto space = load_both32(p + 80);
    vd.volume_space_size = space.value;
    vd.escape_sequences = std::string(reinterpret_cast<const char*>(p + 88), 32);
    auto set_size = load_both16(p + 120), seq = load_both16(p + 124), bs = load_both16(p + 128);
    auto pts = load_both32(p + 132);
    vd.volume_set_size = set_size.value;
    vd.volume_sequence = seq.value;
    vd.logical_block_size = bs.value;
    vd.path_table_size = pts.value;
    vd.l_path_table = load_le32(p + 140);
    vd.l_path_table_opt = load_le32(p + 144);
    vd.m_path_table = load_be32(p + 148);
    vd.m_path_table_opt = load_be32(p + 152);
    vd.endian_consistent = space.consistent && set_size.consistent && seq.consistent && bs.consistent && pts.consistent;
    auto root = decode_directory_record(b.subspan(156, 34));
    if (!root.ok()) return root.error().with_context("root directory record");
    vd.root = std::move(root.value());
    auto text = [&](size_t off, size_t n) { return std::string(reinterpret_cast<const char*>(p + off), n); };
    vd.volume_set_id = text(190, 128);
    vd.publisher_id = text(318, 128);
    vd.preparer_id = text(446, 128);
    vd.application_id = text(574, 128);
    vd.copyright_file = text(702, 37);
    vd.abstract_file = text(739, 37);
    vd.bibliographic_file = text(776, 37);
    vd.created = decode_date17(p + 813);
    vd.modified = decode_date17(p + 830);
    vd.expires = decode_date17(p + 847);
    vd.effective = decode_date17(p + 864);
    vd.file_structure_version = u8(p[881]);
    if (vd.logical_block_size != block_size)
        return make_error(Errc::unsupported, "logical block size " + std::to_string(vd.logical_block_size) +
                                                 " (only 2048 is supported)");
    return vd;
}

void encode_terminator(std::byte* block) {
    std::memset(block, 0, block_size);
    block[0] = std::byte(255);
    std::memcpy(block + 1, "CD001", 5);
    block[6] = std::byte{1};
}

void encode_volume_descriptor(const VolumeDescriptor& vd, std::byte* p) {
    std::memset(p, 0, block_size);
    p[0] = std::byte(vd.type);
    std::memcpy(p + 1, "CD001", 5);
    p[6] = std::byte(vd.version);
    p[7] = std::byte(vd.flags);
    store_padded(p + 8, 32, vd.system_id);
    store_padded(p + 40, 32, vd.volume_id);
    store_both32(p + 80, vd.volume_space_size);
    std::memcpy(p + 88, vd.escape_sequences.data(), std::min<size_t>(32, vd.escape_sequences.size()));
    store_both16(p + 120, vd.volume_set_size);
    store_both16(p + 124, vd.volume_sequence);
    store_both16(p + 128, vd.logical_block_size);
    store_both32(p + 132, vd.path_table_size);
    store_le32(p + 140, vd.l_path_table);
    store_le32(p + 144, vd.l_path_table_opt);
    store_be32(p + 148, vd.m_path_table);
    store_be32(p + 152, vd.m_path_table_opt);
    DirectoryRecord root = vd.root;
    root.system_use.clear();
    root.identifier = std::string(1, '\0');
    encode_directory_record(root, p + 156);
    store_padded(p + 190, 128, vd.volume_set_id);
    store_padded(p + 318, 128, vd.publisher_id);
    store_padded(p + 446, 128, vd.preparer_id);
    store_padded(p + 574, 128, vd.application_id);
    store_padded(p + 702, 37, vd.copyright_file);
    store_padded(p + 739, 37, vd.abstract_file);
    store_padded(p + 776, 37, vd.bibliographic_file);
    encode_date17(vd.created, p + 813);
    encode_date17(vd.modified, p + 830);
    encode_date17(vd.expires, p + 847);
    encode_date17(vd.effective, p + 864);
    p[881] = std::byte(vd.file_structure_version);
}

size_t encode_path_table_record(const PathTableRecord& r, bool be, std::byte* out) {
    size_t n = r.encoded_size();
    std::memset(out, 0, n);
    out[0] = std::byte(r.identifier.size());
    out[1] = std::byte(r.ext_attr_length);
    if (be) { store_be32(out + 2, r.extent); store_be16(out + 6, r.parent); }
    else { store_le32(out + 2, r.extent); store_le16(out + 6, r.parent); }
    std::memcpy(out + 8, r.identifier.data(), r.identifier.size());
    return n;
}

Result<PathTableRecord> decode_path_table_record(Bytes b, bool be) {
    ByteCursor c(b);
    PathTableRecord r;
    size_t len = c.u8();
    r.ext_attr_length = c.u8();
    r.extent = be ? c.be32() : c.le32();
    r.parent = be ? c.be16() : c.le16();
    if (len == 0) return make_error(Errc::corrupt, "path table record with an empty identifier");
    r.identifier = std::string(c.text(len));
    DM_TRY(c.finish("path table record"));
    return r;
}

}  // namespace mastering::iso9660
