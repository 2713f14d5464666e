#include "mastering/codec/iso_date.h"

#include <cstdio>
#include <cstring>
#include <ctime>

namespace mastering::codec {

namespace {
// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
void civil_from_days(int64_t z, int& y, unsigned& m, unsigned& d) {
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = unsigned(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t yy = int64_t(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y = int(yy + (m <= 2));
}
}  // namespace

int64_t days_from_civil(int y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = unsigned(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + int64_t(doe) - 719468;
}
Civil to_civil(int64_t t) {
    int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    int64_t rem = t - days * 86400;
    Civil c{};
    civil_from_days(days, c.year, c.month, c.day);
    c.hour = unsigned(rem / 3600);
    c.minute = unsigned(rem % 3600 / 60);
    c.second = unsigned(rem % 60);
    return c;
}

void encode_date7(int64_t t, std::byte* out) {
    Civil c = to_civil(t);
    int y = c.year - 1900;
    if (y < 0) { y = 0; c = {1900, 1, 1, 0, 0, 0}; }
    if (y > 255) { y = 255; c = {2155, 12, 31, 23, 59, 59}; }
    out[0] = std::byte(y);
    out[1] = std::byte(c.month);
    out[2] = std::byte(c.day);
    out[3] = std::byte(c.hour);
    out[4] = std::byte(c.minute);
    out[5] = std::byte(c.second);
    out[6] = std::byte{0};
}

int64_t decode_date7(const std::byte* in) {
    unsigned month = u8(in[1]), day = u8(in[2]);
    if (month == 0 || day == 0 || month > 12 || day > 31) return 0;
    int64_t t = days_from_civil(1900 + u8(in[0]), month, day) * 86400 + int64_t(u8(in[3])) * 3600 +
                int64_t(u8(in[4])) * 60 + u8(in[5]);
    int8_t offset = static_cast<int8_t>(u8(in[6]));
    if (offset >= -48 && offset <= 52) t -= int64_t(offset) * 15 * 60;
    return t;
}

void encode_date17(int64_t t, std::byte* out) {
    if (t == 0) {
        std::memset(out, '0', 16);
        out[16] = std::byte{0};
        return;
    }
    Civil c = to_civil(t);
    if (c.year < 1 || c.year > 9999) c = {c.year < 1 ? 1 : 9999, 1, 1, 0, 0, 0};
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d%02u%02u%02u%02u%02u00", c.year, c.month, c.day, c.hour, c.minute, c.second);
    std::memcpy(out, buf, 16);
    out[16] = std::byte{0};
}

int64_t decode_date17(const std::byte* in) {
    int v[7] = {};
    const int widths[7] = {4, 2, 2, 2, 2, 2, 2};
    const std::byte* p = in;
    for (int i = 0; i < 7; ++i) {
        for (int k = 0; k < widths[i]; ++k, ++p) {
            char ch = char(u8(*p));
            if (ch < '0' || ch > '9') return 0;
            v[i] = v[i] * 10 + (ch - '0');
        }
    }
    if (v[0] == 0 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31) return 0;
    int64_t t = days_from_civil(v[0], unsigned(v[1]), unsigned(v[2])) * 86400 + v[3] * 3600 + v[4] * 60 + v[5];
    int8_t offset = static_cast<int8_t>(u8(in[16]));
    if (offset >= -48 && offset <= 52) t -= int64_t(offset) * 15 * 60;
    return t;
}

}  // namespace mastering::codec
