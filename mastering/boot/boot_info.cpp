#include "mastering/boot/boot_info.h"

#include <cstring>

namespace mastering::boot {

using namespace codec;

uint32_t boot_info_sum(Bytes data, uint32_t sum) {
    size_t i = 0;
    for (; i + 4 <= data.size(); i += 4) sum += load_le32(data.data() + i);
    if (i < data.size()) {
        std::byte last[4] = {};
        std::memcpy(last, data.data() + i, data.size() - i);
        sum += load_le32(last);
    }
    return sum;
}

void encode_boot_info_table(const BootInfoTable& t, std::byte* image) {
    std::byte* p = image + boot_info_offset;
    std::memset(p, 0, boot_info_bytes);
    store_le32(p, t.pvd_lba);
    store_le32(p + 4, t.file_lba);
    store_le32(p + 8, t.file_length);
    store_le32(p + 12, t.checksum);
}

BootInfoTable decode_boot_info_table(const std::byte* image) {
    const std::byte* p = image + boot_info_offset;
    return {load_le32(p), load_le32(p + 4), load_le32(p + 8), load_le32(p + 12)};
}

bool has_boot_info_table(Bytes head, uint32_t lba) {
    if (head.size() < boot_info_min_image) return false;
    auto t = decode_boot_info_table(head.data());
    return t.file_lba == lba && t.file_length >= boot_info_min_image && t.pvd_lba >= 16 && t.pvd_lba <= lba &&
           all_zero(head.subspan(boot_info_offset + 16, boot_info_bytes - 16));
}

bool is_isohybrid_capable(Bytes head) {
    return head.size() >= 68 && load_le32(head.data() + 64) == 0x7078C0FBu;
}

}  // namespace mastering::boot
