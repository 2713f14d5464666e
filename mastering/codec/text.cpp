#include "mastering/codec/text.h"

#include <cstring>

namespace mastering::codec {

void store_padded(std::byte* field, size_t width, std::string_view s, char pad) {
    size_t n = std::min(width, s.size());
    std::memcpy(field, s.data(), n);
    std::memset(field + n, pad, width - n);
}

std::string load_padded(const std::byte* field, size_t width) {
    std::string s(reinterpret_cast<const char*>(field), width);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
    return s;
}

std::u32string utf8_to_u32(std::string_view s) {
    std::u32string out;
    out.reserve(s.size());
    size_t i = 0;
    while (i < s.size()) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        char32_t cp;
        size_t n;
        if (c < 0x80) { cp = c; n = 1; }
        else if ((c & 0xE0) == 0xC0) { cp = c & 0x1F; n = 2; }
        else if ((c & 0xF0) == 0xE0) { cp = c & 0x0F; n = 3; }
        else if ((c & 0xF8) == 0xF0) { cp = c & 0x07; n = 4; }
        else { out.push_back(0xFFFD); ++i; continue; }
        if (i + n > s.size()) { out.push_back(0xFFFD); break; }
        bool ok = true;
        for (size_t k = 1; k < n; ++k) {
            unsigned char cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) { ok = false; break; }
            cp = (cp << 6) | (cc & 0x3F);
        }
        if (!ok) { out.push_back(0xFFFD); ++i; continue; }
        out.push_back(cp);
        i += n;
    }
    return out;
}

std::string u32_to_utf8(std::u32string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char32_t cp : s) {
        if (cp < 0x80) out += char(cp);
        else if (cp < 0x800) { out += char(0xC0 | (cp >> 6)); out += char(0x80 | (cp & 0x3F)); }
        else if (cp < 0x10000) {
            out += char(0xE0 | (cp >> 12)); out += char(0x80 | ((cp >> 6) & 0x3F)); out += char(0x80 | (cp & 0x3F));
        } else {
            out += char(0xF0 | (cp >> 18)); out += char(0x80 | ((cp >> 12) & 0x3F));
            out += char(0x80 | ((cp >> 6) & 0x3F)); out += char(0x80 | (cp & 0x3F));
        }
    }
    return out;
}

std::string ucs2be_to_utf8(const std::byte* data, size_t bytes) {
    std::u32string cps;
    for (size_t i = 0; i + 1 < bytes; i += 2) {
        char32_t u = char32_t(load_be16(data + i));
        if (u >= 0xD800 && u < 0xDC00 && i + 3 < bytes) {
            char32_t lo = load_be16(data + i + 2);
            if (lo >= 0xDC00 && lo < 0xE000) {
                cps.push_back(0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
                i += 2;
                continue;
            }
        }
        cps.push_back(u);
    }
    return u32_to_utf8(cps);
}

std::string u32_to_ucs2be(std::u32string_view s) {
    std::string out;
    out.reserve(s.size() * 2);
    for (char32_t cp : s) {
        if (cp > 0xFFFF || (cp >= 0xD800 && cp < 0xE000)) cp = '_';
        out += char(cp >> 8);
        out += char(cp & 0xFF);
    }
    return out;
}

}  // namespace mastering::codec
