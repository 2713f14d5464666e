#include "emulator/iscsi/crc32c.h"

#include <array>
#include <cstring>

namespace emulator::iscsi {

namespace {

constexpr std::array<uint32_t, 256> make_table() {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
        uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        t[i] = c;
    }
    return t;
}
constexpr auto k_table = make_table();

uint32_t crc_table(const uint8_t* p, size_t n, uint32_t c) {
    while (n--) c = k_table[(c ^ *p++) & 0xFF] ^ (c >> 8);
    return c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t crc_sse42(const uint8_t* p, size_t n, uint32_t c) {
    uint64_t c64 = c;
    while (n >= 8) {
        uint64_t v;
        std::memcpy(&v, p, 8);
        c64 = __builtin_ia32_crc32di(c64, v);
        p += 8;
        n -= 8;
    }
    c = uint32_t(c64);
    while (n--) c = __builtin_ia32_crc32qi(c, *p++);
    return c;
}
bool have_sse42() { return __builtin_cpu_supports("sse4.2"); }
#endif

}  // namespace

uint32_t crc32c(const void* data, size_t length, uint32_t crc) {
    const auto* p = static_cast<const uint8_t*>(data);
    uint32_t c = ~crc;
#if defined(__x86_64__)
    static const bool sse = have_sse42();
    if (sse) return ~crc_sse42(p, length, c);
#endif
    return ~crc_table(p, length, c);
}

}  // namespace emulator::iscsi
