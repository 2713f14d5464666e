#include "mastering/udf/descriptors.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "mastering/codec/iso_date.h"
#include "mastering/codec/text.h"

namespace mastering::udf {

using codec::load_le16;
using codec::load_le32;
using codec::store_le16;
using codec::store_le32;
using codec::u8;

std::optional<uint16_t> revision_from_text(std::string_view s) {
    static constexpr std::pair<std::string_view, uint16_t> k[] = {
        {"1.02", rev102}, {"1.50", rev150}, {"2.00", rev200}, {"2.01", rev201}, {"2.50", rev250}, {"2.60", rev260}};
    for (auto& [t, v] : k)
        if (t == s) return v;
    return std::nullopt;
}

Result<uint16_t> parse_revision(std::string_view s) {
    auto r = revision_from_text(s);
    if (!r || *r == rev260)
        return make_error(Errc::invalid_argument, "unknown UDF revision \"" + std::string(s) + "\" (1.02, 1.50, 2.01, 2.50)");
    return *r;
}

std::string revision_text(uint16_t rev) {
    char b[16];
    std::snprintf(b, sizeof b, "%x.%02x", rev >> 8, rev & 0xFF);
    return b;
}

namespace {
// Slicing by 8: t[k][b] is the CRC of byte b followed by k zero bytes, so
// that eight bytes are folded in with eight look-ups (a file entry or an
// identifier per file makes this the writer's hottest loop).
using CrcTables = std::array<std::array<uint16_t, 256>, 8>;
constexpr CrcTables make_crc_tables() {
    CrcTables t{};
    for (unsigned i = 0; i < 256; ++i) {
        uint16_t c = uint16_t(i << 8);
        for (int k = 0; k < 8; ++k) c = uint16_t((c & 0x8000) ? (c << 1) ^ 0x1021 : c << 1);
        t[0][i] = c;
    }
    for (size_t k = 1; k < 8; ++k)
        for (unsigned i = 0; i < 256; ++i)
            t[k][i] = uint16_t((t[k - 1][i] << 8) ^ t[0][t[k - 1][i] >> 8]);
    return t;
}
constexpr CrcTables k_crc = make_crc_tables();
}  // namespace

uint16_t crc_itu(const std::byte* p, size_t n) {
    uint16_t crc = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        unsigned hi = u8(p[i]) ^ (crc >> 8), lo = u8(p[i + 1]) ^ (crc & 0xFF);
        crc = uint16_t(k_crc[7][hi] ^ k_crc[6][lo] ^ k_crc[5][u8(p[i + 2])] ^ k_crc[4][u8(p[i + 3])] ^
                       k_crc[3][u8(p[i + 4])] ^ k_crc[2][u8(p[i + 5])] ^ k_crc[1][u8(p[i + 6])] ^ k_crc[0][u8(p[i + 7])]);
    }
    for (; i < n; ++i) crc = uint16_t((crc << 8) ^ k_crc[0][((crc >> 8) ^ u8(p[i])) & 0xFF]);
    return crc;
}

namespace {
uint8_t tag_checksum(const std::byte* d) {
    unsigned sum = 0;
    for (int i = 0; i < 16; ++i)
        if (i != 4) sum += u8(d[i]);
    return uint8_t(sum);
}
}  // namespace

// Tag (3/7.2): identifier (0), version (2), checksum (4), reserved (5),
// serial (6), CRC (8), CRC length (10), location (12).
void finish_tag(std::byte* d, TagId id, const DescriptorTag& tag, size_t bytes) {
    size_t crc_length = bytes - tag_bytes;
    store_le16(d, uint16_t(id));
    store_le16(d + 2, tag.version);
    d[5] = std::byte{0};
    store_le16(d + 6, tag.serial);
    store_le16(d + 8, crc_itu(d + tag_bytes, crc_length));
    store_le16(d + 10, uint16_t(crc_length));
    store_le32(d + 12, tag.location);
    d[4] = std::byte(tag_checksum(d));
}

Result<Tag> check_tag(Bytes d, std::optional<uint32_t> expected_location, bool id_zero) {
    if (d.size() < tag_bytes) return make_error(Errc::corrupt, "UDF descriptor tag is truncated");
    Tag t;
    t.id = load_le16(d.data());
    t.version = load_le16(d.data() + 2);
    t.serial = load_le16(d.data() + 6);
    t.crc = load_le16(d.data() + 8);
    t.crc_length = load_le16(d.data() + 10);
    t.location = load_le32(d.data() + 12);
    if ((t.id == 0 && !id_zero) || tag_checksum(d.data()) != u8(d[4]))
        return make_error(Errc::corrupt, "UDF descriptor tag checksum mismatch (tag " + std::to_string(t.id) + ")");
    if (t.version != 2 && t.version != 3)
        return make_error(Errc::corrupt, "UDF descriptor version " + std::to_string(t.version) + " is unknown");
    if (expected_location && t.location != *expected_location)
        return make_error(Errc::corrupt, "UDF descriptor " + std::to_string(t.id) + " records location " +
                                             std::to_string(t.location) + " but sits at " +
                                             std::to_string(*expected_location));
    if (size_t(t.crc_length) + tag_bytes <= d.size() && crc_itu(d.data() + tag_bytes, t.crc_length) != t.crc)
        return make_error(Errc::corrupt, "UDF descriptor " + std::to_string(t.id) + " at " +
                                             std::to_string(t.location) + ": CRC mismatch");
    return t;
}

Result<DescriptorTag> expect_tag(Bytes d, TagId id, std::optional<uint32_t> location, std::string_view what,
                                 size_t min_bytes) {
    if (d.size() < min_bytes)
        return make_error(Errc::corrupt, "UDF " + std::string(what) + " is truncated (" + std::to_string(d.size()) +
                                             " of " + std::to_string(min_bytes) + " bytes)");
    auto t = check_tag(d, location, id == TagId(0));
    if (!t.ok()) return t.error().with_context("UDF " + std::string(what));
    if (t->id != uint16_t(id))
        return make_error(Errc::corrupt, "expected a UDF " + std::string(what) + ", found tag " + std::to_string(t->id));
    return DescriptorTag{t->version, t->serial, t->location};
}

Error beyond_bytes(std::string_view what, uint64_t need, size_t have) {
    return make_error(Errc::corrupt, "UDF " + std::string(what) + ": its lengths (" + std::to_string(need) +
                                         " bytes) reach beyond its " + std::to_string(have) + " bytes");
}

uint16_t peek_tag_id(Bytes d) { return d.size() < 2 ? 0 : load_le16(d.data()); }

bool is_anchor(Bytes block, uint32_t location) {
    auto t = check_tag(block, location);
    return t.ok() && t->id == uint16_t(TagId::anchor);
}

namespace {
constexpr uint8_t k_os_class_unix = 4, k_os_linux = 5;
}

EntityId EntityId::udf(std::string_view identifier, uint16_t revision) {
    return EntityId{0, std::string(identifier), {uint8_t(revision), uint8_t(revision >> 8), k_os_class_unix, k_os_linux}};
}

EntityId EntityId::domain(uint16_t revision) {
    return EntityId{0, std::string(domain_ident), {uint8_t(revision), uint8_t(revision >> 8), 0}};
}

EntityId EntityId::implementation() { return EntityId{0, "*discmaster", {k_os_class_unix, k_os_linux}}; }

// regid (1/7.4): flags (0), identifier (1, 23 bytes), suffix (24, 8 bytes).
void encode(const EntityId& id, std::byte* p) {
    std::memset(p, 0, regid_bytes);
    p[0] = std::byte(id.flags);
    std::memcpy(p + 1, id.identifier.data(), std::min<size_t>(id.identifier.size(), 23));
    for (size_t i = 0; i < id.suffix.size(); ++i) p[24 + i] = std::byte(id.suffix[i]);
}

EntityId decode_regid(const std::byte* p) {
    EntityId id;
    id.flags = u8(p[0]);
    id.identifier.assign(reinterpret_cast<const char*>(p + 1), 23);
    while (!id.identifier.empty() && (id.identifier.back() == '\0' || id.identifier.back() == ' '))
        id.identifier.pop_back();
    for (size_t i = 0; i < id.suffix.size(); ++i) id.suffix[i] = u8(p[24 + i]);
    return id;
}

// charspec (1/7.2.1): type (0), information (1, 63 bytes).
void encode(const Charspec& c, std::byte* p) {
    std::memset(p, 0, 64);
    p[0] = std::byte(c.type);
    std::memcpy(p + 1, c.information.data(), std::min<size_t>(c.information.size(), 63));
}

Charspec decode_charspec(const std::byte* p) {
    Charspec c;
    c.type = u8(p[0]);
    c.information.assign(reinterpret_cast<const char*>(p + 1), 63);
    while (!c.information.empty() && c.information.back() == '\0') c.information.pop_back();
    return c;
}

std::string encode_cs0(std::string_view utf8, size_t max_bytes) {
    std::u32string cps = codec::utf8_to_u32(utf8);
    bool wide = false;
    for (char32_t c : cps)
        if (c > 0xFF) wide = true;
    std::string out(1, char(wide ? 16 : 8));
    for (char32_t c : cps) {
        if (wide) {
            // UTF-16 big-endian: characters beyond the BMP as surrogate pairs
            // (as Windows and Linux write and read them).
            char16_t units[2];
            size_t n = 1;
            if (c > 0xFFFF && c <= 0x10FFFF) {
                units[0] = char16_t(0xD800 + ((c - 0x10000) >> 10));
                units[1] = char16_t(0xDC00 + ((c - 0x10000) & 0x3FF));
                n = 2;
            } else {
                units[0] = c > 0xFFFF ? u'_' : char16_t(c);
            }
            if (out.size() + 2 * n > max_bytes) break;
            for (size_t k = 0; k < n; ++k) {
                out.push_back(char(units[k] >> 8));
                out.push_back(char(units[k] & 0xFF));
            }
        } else {
            if (out.size() + 1 > max_bytes) break;
            out.push_back(char(c));
        }
    }
    return out;
}

std::string decode_cs0(const std::byte* p, size_t n) {
    if (n == 0) return {};
    uint8_t comp = u8(p[0]);
    std::u32string cps;
    if (comp == 8 || comp == 254) {
        for (size_t i = 1; i < n; ++i) cps.push_back(char32_t(u8(p[i])));
    } else if (comp == 16 || comp == 255) {
        for (size_t i = 1; i + 1 < n; i += 2) {
            char32_t c = char32_t((u8(p[i]) << 8) | u8(p[i + 1]));
            if (c >= 0xD800 && c < 0xDC00 && i + 3 < n) {
                char32_t lo = char32_t((u8(p[i + 2]) << 8) | u8(p[i + 3]));
                if (lo >= 0xDC00 && lo < 0xE000) {
                    c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
                    i += 2;
                }
            }
            cps.push_back(c);
        }
    } else {
        return {};
    }
    return codec::u32_to_utf8(cps);
}

void encode_dstring(std::byte* p, size_t width, std::string_view utf8) {
    std::memset(p, 0, width);
    if (utf8.empty()) return;
    std::string cs0 = encode_cs0(utf8, width - 1);
    std::memcpy(p, cs0.data(), cs0.size());
    p[width - 1] = std::byte(cs0.size());
}

std::string decode_dstring(const std::byte* p, size_t width) {
    size_t n = u8(p[width - 1]);
    if (n == 0 || n > width - 1) return {};
    return decode_cs0(p, n);
}

// Timestamp (1/7.3): type and time zone (0), year (2), month, day, hour,
// minute, second (4..8), centiseconds, hundreds and units of microseconds (9..11).
void encode_timestamp(std::byte* p, model::Timestamp t) {
    codec::Civil c = codec::to_civil(t.sec);
    if (c.year < 1 || c.year > 9999) c = {c.year < 1 ? 1 : 9999, 1, 1, 0, 0, 0};
    store_le16(p, uint16_t(0x1000));  // type 1 (local time), offset 0 minutes: UTC
    store_le16(p + 2, uint16_t(c.year));
    p[4] = std::byte(c.month);
    p[5] = std::byte(c.day);
    p[6] = std::byte(c.hour);
    p[7] = std::byte(c.minute);
    p[8] = std::byte(c.second);
    uint32_t us = t.nsec / 1000;
    p[9] = std::byte(us / 10000);
    p[10] = std::byte(us / 100 % 100);
    p[11] = std::byte(us % 100);
}

model::Timestamp decode_timestamp(const std::byte* p) {
    uint16_t tz = load_le16(p);
    int year = int16_t(load_le16(p + 2));
    unsigned month = u8(p[4]), day = u8(p[5]);
    if (month < 1 || month > 12 || day < 1 || day > 31 || year < 1) return {0, 0};
    unsigned hour = std::min(23u, unsigned(u8(p[6]))), minute = std::min(59u, unsigned(u8(p[7])));
    unsigned second = std::min(60u, unsigned(u8(p[8])));
    int64_t t = codec::days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
    if ((tz >> 12) == 1) {
        int offset = tz & 0x0FFF;
        if (offset & 0x800) offset -= 0x1000;  // 12-bit two's complement
        if (offset >= -1440 && offset <= 1440) t -= int64_t(offset) * 60;
    }
    uint32_t us = std::min(99u, unsigned(u8(p[9]))) * 10000 + std::min(99u, unsigned(u8(p[10]))) * 100 +
                  std::min(99u, unsigned(u8(p[11])));
    return {t, us * 1000};
}

void encode(const ExtentAd& e, std::byte* p) {
    store_le32(p, e.length);
    store_le32(p + 4, e.location);
}

ExtentAd decode_extent_ad(const std::byte* p) { return {load_le32(p), load_le32(p + 4)}; }

namespace {
uint32_t length_and_type(uint32_t length, uint8_t type) { return (length & 0x3FFFFFFFu) | (uint32_t(type & 3) << 30); }
}  // namespace

// short_ad (4/14.14.1): length and type (0), position (4).
void encode(const ShortAd& ad, std::byte* p) {
    store_le32(p, length_and_type(ad.length, ad.type));
    store_le32(p + 4, ad.position);
}

ShortAd decode_short_ad(const std::byte* p) {
    uint32_t l = load_le32(p);
    return {l & 0x3FFFFFFFu, uint8_t(l >> 30), load_le32(p + 4)};
}

// long_ad (4/14.14.2): length and type (0), lb_addr (4: block, 8: partition),
// implementation use (10: flags, 12: UDF unique id).
void encode(const LongAd& ad, std::byte* p) {
    store_le32(p, length_and_type(ad.length, ad.type));
    store_le32(p + 4, ad.block);
    store_le16(p + 8, ad.partition);
    store_le16(p + 10, ad.flags);
    store_le32(p + 12, ad.unique_id);
}

LongAd decode_long_ad(const std::byte* p) {
    LongAd ad;
    uint32_t l = load_le32(p);
    ad.length = l & 0x3FFFFFFFu;
    ad.type = uint8_t(l >> 30);
    ad.block = load_le32(p + 4);
    ad.partition = load_le16(p + 8);
    ad.flags = load_le16(p + 10);
    ad.unique_id = load_le32(p + 12);
    return ad;
}

// ext_ad (4/14.14.3): length and type (0), recorded length (4), information
// length (8), lb_addr (12: block, 16: partition), implementation use (18).
void encode(const ExtAd& ad, std::byte* p) {
    store_le32(p, length_and_type(ad.length, ad.type));
    store_le32(p + 4, ad.recorded_length);
    store_le32(p + 8, ad.information_length);
    store_le32(p + 12, ad.block);
    store_le16(p + 16, ad.partition);
    store_le16(p + 18, 0);
}

ExtAd decode_ext_ad(const std::byte* p) {
    ExtAd ad;
    uint32_t l = load_le32(p);
    ad.length = l & 0x3FFFFFFFu;
    ad.type = uint8_t(l >> 30);
    ad.recorded_length = load_le32(p + 4);
    ad.information_length = load_le32(p + 8);
    ad.block = load_le32(p + 12);
    ad.partition = load_le16(p + 16);
    return ad;
}

Result<std::vector<LongAd>> decode_ads(Bytes area, AdForm form, uint16_t partition) {
    std::vector<LongAd> out;
    size_t size = form == AdForm::short_ad ? short_ad_bytes : form == AdForm::long_ad ? long_ad_bytes : ext_ad_bytes;
    if (form == AdForm::embedded) return out;
    if (uint8_t(form) > uint8_t(AdForm::embedded))
        return make_error(Errc::unsupported, "UDF allocation descriptor type " + std::to_string(int(form)));
    for (size_t off = 0; off + size <= area.size(); off += size) {
        const std::byte* p = area.data() + off;
        LongAd ad;
        if (form == AdForm::short_ad) {
            ShortAd s = decode_short_ad(p);
            ad = LongAd{s.length, s.type, s.position, partition};
        } else if (form == AdForm::long_ad) {
            ad = decode_long_ad(p);
        } else {
            ExtAd e = decode_ext_ad(p);
            ad = LongAd{e.length, e.type, e.block, e.partition};
        }
        if (ad.length == 0) break;
        out.push_back(ad);
    }
    return out;
}

size_t encode_ads(std::span<const LongAd> ads, AdForm form, std::byte* out) {
    bool short_form = form == AdForm::short_ad;
    for (const LongAd& ad : ads) {
        if (short_form) encode(ShortAd{ad.length, ad.type, ad.block}, out);
        else encode(ad, out);
        out += short_form ? short_ad_bytes : long_ad_bytes;
    }
    return ads.size() * (short_form ? short_ad_bytes : long_ad_bytes);
}

std::vector<LongAd> extent_ads(const std::vector<model::Extent>& extents, uint32_t partition_start) {
    std::vector<LongAd> ads;
    for (const auto& e : extents) {
        uint64_t off = 0;
        while (off < e.length) {
            uint32_t len = uint32_t(std::min<uint64_t>(e.length - off, max_extent_bytes));
            LongAd ad;
            ad.length = len;
            if (e.sparse) ad.type = extent_type::unallocated;  // not recorded, not allocated
            else ad.block = uint32_t(e.lba + off / block_size - partition_start);
            ads.push_back(ad);
            off += len;
        }
    }
    return ads;
}

}  // namespace mastering::udf
