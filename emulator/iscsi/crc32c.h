// CRC32C (Castagnoli), the iSCSI header and data digest (RFC 7143 §13.1):
// SSE4.2's crc32 instruction where the CPU has it, a table otherwise.
#pragma once

#include <cstddef>
#include <cstdint>

namespace emulator::iscsi {

uint32_t crc32c(const void* data, size_t length, uint32_t crc = 0);

}  // namespace emulator::iscsi
