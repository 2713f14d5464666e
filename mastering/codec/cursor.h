// ByteCursor: bounds-checked reading of untrusted bytes (images, PDUs, CDBs).
// A read past the end never touches memory outside the span: it sets a sticky
// failure flag and yields zeros, so a decoder reads its fields in order and
// checks once (`finish`) — short input is an error, never UB.
#pragma once

#include <cstring>
#include <string>
#include <string_view>

#include "mastering/codec/bytes.h"
#include "mastering/codec/result.h"

namespace mastering::codec {

class ByteCursor {
public:
    explicit ByteCursor(Bytes data) : m_data(data) {}

    size_t position() const { return m_pos; }
    size_t remaining() const { return m_failed ? 0 : m_data.size() - m_pos; }
    bool failed() const { return m_failed; }

    bool seek(size_t pos) {
        if (pos > m_data.size()) return fail();
        m_pos = pos;
        return true;
    }
    bool skip(size_t n) { return take(n).size() == n || n == 0; }

    // The next n bytes, or an empty span (and the failure flag) if fewer remain.
    Bytes take(size_t n) {
        if (m_failed || n > m_data.size() - m_pos) { fail(); return {}; }
        Bytes out = m_data.subspan(m_pos, n);
        m_pos += n;
        return out;
    }

    uint8_t u8() { auto b = take(1); return b.empty() ? 0 : codec::u8(b[0]); }
    uint16_t le16() { auto b = take(2); return b.empty() ? 0 : load_le16(b.data()); }
    uint16_t be16() { auto b = take(2); return b.empty() ? 0 : load_be16(b.data()); }
    uint32_t le24() { auto b = take(3); return b.empty() ? 0 : load_le24(b.data()); }
    uint32_t be24() { auto b = take(3); return b.empty() ? 0 : load_be24(b.data()); }
    uint32_t le32() { auto b = take(4); return b.empty() ? 0 : load_le32(b.data()); }
    uint32_t be32() { auto b = take(4); return b.empty() ? 0 : load_be32(b.data()); }
    uint64_t le64() { auto b = take(8); return b.empty() ? 0 : load_le64(b.data()); }
    uint64_t be64() { auto b = take(8); return b.empty() ? 0 : load_be64(b.data()); }
    BothEndian16 both16() { auto b = take(4); return b.empty() ? BothEndian16{0, true} : load_both16(b.data()); }
    BothEndian32 both32() { auto b = take(8); return b.empty() ? BothEndian32{0, true} : load_both32(b.data()); }
    std::string_view text(size_t n) {
        auto b = take(n);
        return {reinterpret_cast<const char*>(b.data()), b.size()};
    }

    // Ok if no read went past the end; otherwise a `corrupt` error naming what
    // was being decoded.
    Status finish(std::string_view what) const {
        if (!m_failed) return {};
        return make_error(Errc::corrupt, std::string(what) + ": truncated (" + std::to_string(m_data.size()) + " bytes)");
    }

private:
    bool fail() { m_failed = true; return false; }

    Bytes m_data;
    size_t m_pos = 0;
    bool m_failed = false;
};

}  // namespace mastering::codec
