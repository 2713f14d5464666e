// Byte-exact integer helpers: little/big endian and ISO 9660 both-endian
// fields (ECMA-119 7.2/7.3), shift-based so they are constexpr and need no
// byteswap. Unchecked: the caller guarantees the span is long enough (use
// ByteCursor for input that may be short).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

namespace mastering::codec {

using Bytes = std::span<const std::byte>;
using MutableBytes = std::span<std::byte>;

constexpr uint8_t u8(std::byte b) { return static_cast<uint8_t>(b); }

constexpr uint16_t load_le16(const std::byte* p) { return uint16_t(u8(p[0]) | (u8(p[1]) << 8)); }
constexpr uint16_t load_be16(const std::byte* p) { return uint16_t((u8(p[0]) << 8) | u8(p[1])); }
constexpr uint32_t load_le24(const std::byte* p) { return uint32_t(u8(p[0])) | (uint32_t(u8(p[1])) << 8) | (uint32_t(u8(p[2])) << 16); }
constexpr uint32_t load_be24(const std::byte* p) { return (uint32_t(u8(p[0])) << 16) | (uint32_t(u8(p[1])) << 8) | uint32_t(u8(p[2])); }
constexpr uint32_t load_le32(const std::byte* p) {
    return uint32_t(u8(p[0])) | (uint32_t(u8(p[1])) << 8) | (uint32_t(u8(p[2])) << 16) | (uint32_t(u8(p[3])) << 24);
}
constexpr uint32_t load_be32(const std::byte* p) {
    return (uint32_t(u8(p[0])) << 24) | (uint32_t(u8(p[1])) << 16) | (uint32_t(u8(p[2])) << 8) | uint32_t(u8(p[3]));
}
constexpr uint64_t load_le64(const std::byte* p) { return uint64_t(load_le32(p)) | (uint64_t(load_le32(p + 4)) << 32); }
constexpr uint64_t load_be64(const std::byte* p) { return (uint64_t(load_be32(p)) << 32) | uint64_t(load_be32(p + 4)); }

constexpr void store_le16(std::byte* p, uint16_t v) { p[0] = std::byte(v); p[1] = std::byte(v >> 8); }
constexpr void store_be16(std::byte* p, uint16_t v) { p[0] = std::byte(v >> 8); p[1] = std::byte(v); }
constexpr void store_le24(std::byte* p, uint32_t v) { p[0] = std::byte(v); p[1] = std::byte(v >> 8); p[2] = std::byte(v >> 16); }
constexpr void store_be24(std::byte* p, uint32_t v) { p[0] = std::byte(v >> 16); p[1] = std::byte(v >> 8); p[2] = std::byte(v); }
constexpr void store_le32(std::byte* p, uint32_t v) {
    p[0] = std::byte(v); p[1] = std::byte(v >> 8); p[2] = std::byte(v >> 16); p[3] = std::byte(v >> 24);
}
constexpr void store_be32(std::byte* p, uint32_t v) {
    p[0] = std::byte(v >> 24); p[1] = std::byte(v >> 16); p[2] = std::byte(v >> 8); p[3] = std::byte(v);
}
constexpr void store_le64(std::byte* p, uint64_t v) { store_le32(p, uint32_t(v)); store_le32(p + 4, uint32_t(v >> 32)); }
constexpr void store_be64(std::byte* p, uint64_t v) { store_be32(p, uint32_t(v >> 32)); store_be32(p + 4, uint32_t(v)); }

// The same for buffers of uint8_t (SCSI CDBs, parameter lists and replies,
// iSCSI headers): one set of helpers whatever the buffer's element type.
inline const std::byte* as_byte_ptr(const uint8_t* p) { return reinterpret_cast<const std::byte*>(p); }
inline std::byte* as_byte_ptr(uint8_t* p) { return reinterpret_cast<std::byte*>(p); }
inline uint16_t load_be16(const uint8_t* p) { return load_be16(as_byte_ptr(p)); }
inline uint32_t load_be24(const uint8_t* p) { return load_be24(as_byte_ptr(p)); }
inline uint32_t load_be32(const uint8_t* p) { return load_be32(as_byte_ptr(p)); }
inline uint64_t load_be64(const uint8_t* p) { return load_be64(as_byte_ptr(p)); }
inline void store_be16(uint8_t* p, uint16_t v) { store_be16(as_byte_ptr(p), v); }
inline void store_be24(uint8_t* p, uint32_t v) { store_be24(as_byte_ptr(p), v); }
inline void store_be32(uint8_t* p, uint32_t v) { store_be32(as_byte_ptr(p), v); }
inline void store_be64(uint8_t* p, uint64_t v) { store_be64(as_byte_ptr(p), v); }

// ECMA-119 7.2.3 / 7.3.3: both-endian fields. Writers always fill both halves.
constexpr void store_both16(std::byte* p, uint16_t v) { store_le16(p, v); store_be16(p + 2, v); }
constexpr void store_both32(std::byte* p, uint32_t v) { store_le32(p, v); store_be32(p + 4, v); }

// Readers take the little-endian half as the truth and report whether the
// big-endian half agrees (a diagnostic, not a failure: the reader goes on with the
// little-endian value and may say that the halves differ).
struct BothEndian32 { uint32_t value; bool consistent; };
struct BothEndian16 { uint16_t value; bool consistent; };
constexpr BothEndian16 load_both16(const std::byte* p) { return {load_le16(p), load_le16(p) == load_be16(p + 2)}; }
constexpr BothEndian32 load_both32(const std::byte* p) { return {load_le32(p), load_le32(p) == load_be32(p + 4)}; }

// Spans over text for writing fixed-width, space-padded string fields.
inline std::span<const std::byte> as_bytes(std::string_view s) {
    return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

// Whether every byte is zero: the first is, and each equals the next (one
// memcmp of the span against itself shifted by one, which libc vectorizes).
inline bool all_zero(Bytes b) {
    return b.empty() || (b[0] == std::byte{0} && std::memcmp(b.data(), b.data() + 1, b.size() - 1) == 0);
}

}  // namespace mastering::codec
