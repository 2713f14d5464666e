#include "mastering/scsi/sense.h"

#include <cstdio>

#include "mastering/codec/bytes.h"

namespace mastering::scsi {

using codec::load_be16;
using codec::load_be32;
using codec::store_be16;
using codec::store_be32;

std::array<uint8_t, fixed_sense_length> encode_fixed_sense(const Sense& s) {
    std::array<uint8_t, fixed_sense_length> b{};
    b[0] = 0x70;
    if (s.information) {
        b[0] |= 0x80;  // VALID: the information field holds something
        store_be32(&b[3], *s.information);
    }
    b[2] = uint8_t(s.key) & 0x0F;
    b[7] = fixed_sense_length - 8;  // additional sense length
    b[12] = s.asc;
    b[13] = s.ascq;
    if (s.progress) {
        b[15] = 0x80;  // SKSV
        store_be16(&b[16], *s.progress);
    }
    return b;
}

Result<Sense> decode_sense(std::span<const uint8_t> b) {
    if (b.size() < 1) return make_error(Errc::corrupt, "empty sense data");
    uint8_t code = b[0] & 0x7F;
    Sense s;
    if (code == 0x70 || code == 0x71) {
        if (b.size() < 14) return make_error(Errc::corrupt, "fixed-format sense data shorter than 14 bytes");
        s.key = SenseKey(b[2] & 0x0F);
        s.asc = b[12];
        s.ascq = b[13];
        if (b[0] & 0x80) s.information = load_be32(&b[3]);
        if (b.size() >= 18 && (b[15] & 0x80)) s.progress = load_be16(&b[16]);
        return s;
    }
    if (code == 0x72 || code == 0x73) {
        if (b.size() < 8) return make_error(Errc::corrupt, "descriptor-format sense data shorter than 8 bytes");
        s.key = SenseKey(b[1] & 0x0F);
        s.asc = b[2];
        s.ascq = b[3];
        size_t end = std::min<size_t>(b.size(), 8 + size_t(b[7]));
        for (size_t p = 8; p + 2 <= end;) {
            uint8_t type = b[p], len = b[p + 1];
            if (p + 2 + len > end) break;
            if (type == 0x00 && len >= 10) {  // information descriptor (64-bit; keep the low 32 bits)
                s.information = load_be32(&b[p + 8]);
            } else if (type == 0x02 && len >= 6 && (b[p + 4] & 0x80)) {  // sense-key specific
                s.progress = load_be16(&b[p + 5]);
            }
            p += 2 + len;
        }
        return s;
    }
    char msg[64];
    std::snprintf(msg, sizeof msg, "unknown sense response code %02Xh", code);
    return make_error(Errc::corrupt, msg);
}

namespace {
const char* key_name(SenseKey k) {
    switch (k) {
    case SenseKey::no_sense: return "NO SENSE";
    case SenseKey::recovered_error: return "RECOVERED ERROR";
    case SenseKey::not_ready: return "NOT READY";
    case SenseKey::medium_error: return "MEDIUM ERROR";
    case SenseKey::hardware_error: return "HARDWARE ERROR";
    case SenseKey::illegal_request: return "ILLEGAL REQUEST";
    case SenseKey::unit_attention: return "UNIT ATTENTION";
    case SenseKey::data_protect: return "DATA PROTECT";
    case SenseKey::blank_check: return "BLANK CHECK";
    case SenseKey::aborted_command: return "ABORTED COMMAND";
    case SenseKey::miscompare: return "MISCOMPARE";
    }
    return "SENSE KEY";
}
}  // namespace

std::string describe(const Sense& s) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "%s (%X/%02X/%02X)", key_name(s.key), unsigned(s.key), s.asc, s.ascq);
    return buf;
}

}  // namespace mastering::scsi
