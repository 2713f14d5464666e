#include "mastering/boot/gpt.h"

#include <cstring>

#include "mastering/codec/crc32.h"
#include "mastering/codec/text.h"

namespace mastering::boot {

using namespace codec;

namespace {
constexpr char k_signature[8] = {'E', 'F', 'I', ' ', 'P', 'A', 'R', 'T'};
// The text's byte order: the first three fields are stored little-endian.
constexpr int k_text_order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
}  // namespace

const Guid gpt_type_basic_data = *parse_guid("EBD0A0A2-B9E5-4433-87C0-68B6B72699C7");
const Guid gpt_type_efi_system = *parse_guid("C12A7328-F81F-11D2-BA4B-00A0C93EC93B");

bool Guid::is_zero() const {
    for (uint8_t b : bytes)
        if (b) return false;
    return true;
}

std::string Guid::text() const {
    static const char* d = "0123456789ABCDEF";
    std::string s;
    for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
        uint8_t b = bytes[size_t(k_text_order[i])];
        s += d[b >> 4];
        s += d[b & 15];
    }
    return s;
}

std::optional<Guid> parse_guid(std::string_view t) {
    if (t.size() != 36 || t[8] != '-' || t[13] != '-' || t[18] != '-' || t[23] != '-') return std::nullopt;
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    Guid g;
    size_t pos = 0;
    for (int i = 0; i < 16; ++i) {
        if (t[pos] == '-') ++pos;
        int hi = nibble(t[pos]), lo = nibble(t[pos + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        g.bytes[size_t(k_text_order[i])] = uint8_t(hi << 4 | lo);
        pos += 2;
    }
    return g;
}

Guid make_guid(uint64_t& seed) {
    Guid g;
    for (size_t i = 0; i < 16; i += 8) {
        // splitmix64: every seed gives a well-spread value.
        uint64_t z = (seed += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        for (size_t k = 0; k < 8; ++k) g.bytes[i + k] = uint8_t(z >> (8 * k));
    }
    g.bytes[7] = uint8_t((g.bytes[7] & 0x0F) | 0x40);  // version 4 (stored little-endian)
    g.bytes[8] = uint8_t((g.bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
    return g;
}

void encode_gpt_header(const GptHeader& h, std::byte* p) {
    std::memset(p, 0, 512);
    std::memcpy(p, k_signature, 8);
    store_le32(p + 8, h.revision);
    store_le32(p + 12, h.header_size);
    store_le64(p + 24, h.current_lba);
    store_le64(p + 32, h.backup_lba);
    store_le64(p + 40, h.first_usable);
    store_le64(p + 48, h.last_usable);
    std::memcpy(p + 56, h.disk_guid.bytes.data(), 16);
    store_le64(p + 72, h.entries_lba);
    store_le32(p + 80, h.entry_count);
    store_le32(p + 84, h.entry_size);
    store_le32(p + 88, h.entries_crc);
    store_le32(p + 16, crc32(Bytes(p, h.header_size)));
}

Result<GptHeader> decode_gpt_header(Bytes b) {
    if (b.size() < 512) return make_error(Errc::corrupt, "GPT header: shorter than a sector");
    const std::byte* p = b.data();
    if (std::memcmp(p, k_signature, 8) != 0) return make_error(Errc::not_found, "no GPT header (\"EFI PART\")");
    GptHeader h;
    h.revision = load_le32(p + 8);
    h.header_size = load_le32(p + 12);
    if (h.header_size < gpt_header_bytes || h.header_size > 512)
        return make_error(Errc::corrupt, "GPT header: size " + std::to_string(h.header_size) + " is not 92 to 512");
    std::byte copy[512];
    std::memcpy(copy, p, 512);
    store_le32(copy + 16, 0);
    if (crc32(Bytes(copy, h.header_size)) != load_le32(p + 16))
        return make_error(Errc::corrupt, "GPT header: CRC mismatch");
    h.current_lba = load_le64(p + 24);
    h.backup_lba = load_le64(p + 32);
    h.first_usable = load_le64(p + 40);
    h.last_usable = load_le64(p + 48);
    std::memcpy(h.disk_guid.bytes.data(), p + 56, 16);
    h.entries_lba = load_le64(p + 72);
    h.entry_count = load_le32(p + 80);
    h.entry_size = load_le32(p + 84);
    h.entries_crc = load_le32(p + 88);
    if (h.entry_size < gpt_entry_bytes || h.entry_size % 8 != 0 || h.entry_size > 4096)
        return make_error(Errc::corrupt, "GPT header: entry size " + std::to_string(h.entry_size));
    if (h.entry_count > 65536) return make_error(Errc::corrupt, "GPT header: " + std::to_string(h.entry_count) + " entries");
    return h;
}

std::vector<std::byte> encode_gpt_entries(const std::vector<GptEntry>& entries, uint32_t count) {
    std::vector<std::byte> out(size_t(count) * gpt_entry_bytes, std::byte{0});
    for (const auto& e : entries) {
        DM_VERIFY(e.number >= 1 && e.number <= count);
        std::byte* q = out.data() + size_t(e.number - 1) * gpt_entry_bytes;
        std::memcpy(q, e.type.bytes.data(), 16);
        std::memcpy(q + 16, e.unique.bytes.data(), 16);
        store_le64(q + 32, e.first_lba);
        store_le64(q + 40, e.last_lba);
        store_le64(q + 48, e.attributes);
        for (size_t i = 0; i < e.name.size() && i < gpt_name_units; ++i) store_le16(q + 56 + 2 * i, uint16_t(e.name[i]));
    }
    return out;
}

Result<std::vector<GptEntry>> decode_gpt_entries(Bytes b, uint32_t count, uint32_t entry_size) {
    if (entry_size < gpt_entry_bytes) return make_error(Errc::corrupt, "GPT: entries shorter than 128 bytes");
    if (b.size() / entry_size < count) return make_error(Errc::corrupt, "GPT: the partition array is truncated");
    std::vector<GptEntry> out;
    for (uint32_t i = 0; i < count; ++i) {
        const std::byte* q = b.data() + size_t(i) * entry_size;
        GptEntry e;
        std::memcpy(e.type.bytes.data(), q, 16);
        if (e.type.is_zero()) continue;
        e.number = i + 1;
        std::memcpy(e.unique.bytes.data(), q + 16, 16);
        e.first_lba = load_le64(q + 32);
        e.last_lba = load_le64(q + 40);
        e.attributes = load_le64(q + 48);
        for (size_t k = 0; k < gpt_name_units; ++k) {
            uint16_t u = load_le16(q + 56 + 2 * k);
            if (u == 0) break;
            e.name.push_back(char16_t(u));
        }
        out.push_back(std::move(e));
    }
    return out;
}

std::u16string gpt_name(std::string_view utf8) {
    std::u16string out;
    for (char32_t c : utf8_to_u32(utf8)) out.push_back(c > 0xFFFF ? u'_' : char16_t(c));
    if (out.size() > gpt_name_units) out.resize(gpt_name_units);
    return out;
}

std::string gpt_name_text(const std::u16string& name) {
    std::u32string s;
    for (char16_t c : name) s.push_back(c >= 0xD800 && c <= 0xDFFF ? U'_' : char32_t(c));
    return u32_to_utf8(s);
}

}  // namespace mastering::boot
