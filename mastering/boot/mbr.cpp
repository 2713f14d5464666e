#include "mastering/boot/mbr.h"

#include <cstring>

namespace mastering::boot {

using namespace codec;

Chs chs_of(uint64_t lba, uint32_t heads, uint32_t spt) {
    uint64_t cyl = lba / (uint64_t(heads) * spt);
    if (cyl > 1023) return chs_beyond;
    uint32_t head = uint32_t((lba / spt) % heads);
    uint32_t sector = uint32_t(lba % spt) + 1;
    return {uint8_t(head), uint8_t(sector | ((cyl >> 2) & 0xC0)), uint8_t(cyl & 0xFF)};
}

void encode_mbr(const Mbr& m, std::byte* p) {
    std::memset(p, 0, sector_bytes);
    std::memcpy(p, m.code.data(), m.code.size());
    store_le32(p + 440, m.disk_signature);
    store_le16(p + 444, m.reserved);
    for (size_t i = 0; i < 4; ++i) {
        const auto& e = m.partitions[i];
        std::byte* q = p + 446 + 16 * i;
        q[0] = std::byte(e.status);
        for (int k = 0; k < 3; ++k) q[1 + k] = std::byte(e.chs_first[k]);
        q[4] = std::byte(e.type);
        for (int k = 0; k < 3; ++k) q[5 + k] = std::byte(e.chs_last[k]);
        store_le32(q + 8, e.first_lba);
        store_le32(q + 12, e.sectors);
    }
    p[510] = std::byte{0x55};
    p[511] = std::byte{0xAA};
}

Result<Mbr> decode_mbr(Bytes b) {
    if (b.size() < sector_bytes) return make_error(Errc::corrupt, "MBR: shorter than 512 bytes");
    const std::byte* p = b.data();
    if (u8(p[510]) != 0x55 || u8(p[511]) != 0xAA) return make_error(Errc::not_found, "no MBR signature (55 AA)");
    Mbr m;
    std::memcpy(m.code.data(), p, m.code.size());
    m.disk_signature = load_le32(p + 440);
    m.reserved = load_le16(p + 444);
    for (size_t i = 0; i < 4; ++i) {
        const std::byte* q = p + 446 + 16 * i;
        auto& e = m.partitions[i];
        e.status = u8(q[0]);
        for (int k = 0; k < 3; ++k) e.chs_first[k] = u8(q[1 + k]);
        e.type = u8(q[4]);
        for (int k = 0; k < 3; ++k) e.chs_last[k] = u8(q[5 + k]);
        e.first_lba = load_le32(q + 8);
        e.sectors = load_le32(q + 12);
        if (e.used() && e.status != 0 && e.status != 0x80)
            return make_error(Errc::corrupt, "MBR partition " + std::to_string(i + 1) + ": status byte " +
                                                 std::to_string(e.status) + " is neither 0x00 nor 0x80");
    }
    return m;
}

}  // namespace mastering::boot
