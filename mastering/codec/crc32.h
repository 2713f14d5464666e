// CRC-32 as IEEE 802.3 and the UEFI specification (5.3.2, the GPT header and
// partition array checksums) define it: polynomial 0x04C11DB7, bits
// reflected, initial value and final XOR 0xFFFFFFFF. crc32("123456789") is
// 0xCBF43926.
#pragma once

#include <cstdint>

#include "mastering/codec/bytes.h"

namespace mastering::codec {

// `crc` continues an earlier call over the bytes before `data` (0 to start).
uint32_t crc32(Bytes data, uint32_t crc = 0);

}  // namespace mastering::codec
