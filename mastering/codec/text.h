// Text in on-disc fields: fixed-width space-padded a-/d-strings (ECMA-119
// 7.4), and UTF-8 <-> UCS-2 big-endian (Joliet) conversion.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mastering/codec/bytes.h"

namespace mastering::codec {

// Copy `s` into a field of `width` bytes, padding with spaces (truncating).
void store_padded(std::byte* field, size_t width, std::string_view s, char pad = ' ');
// A padded field without its trailing pad characters (spaces and NULs).
std::string load_padded(const std::byte* field, size_t width);

// UTF-8 -> Unicode code points; invalid sequences become U+FFFD.
std::u32string utf8_to_u32(std::string_view s);
std::string u32_to_utf8(std::u32string_view s);
// UCS-2 big-endian bytes (Joliet) -> UTF-8. Surrogate pairs are joined.
std::string ucs2be_to_utf8(const std::byte* data, size_t bytes);
// Code points -> UCS-2 big-endian bytes; characters outside the BMP become '_'.
std::string u32_to_ucs2be(std::u32string_view s);

inline bool is_d_char(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }

}  // namespace mastering::codec
