#include "mastering/boot/eltorito.h"

#include <cstring>

#include "mastering/codec/text.h"

namespace mastering::boot {

using namespace codec;

namespace {

constexpr uint8_t k_header_validation = 0x01, k_header_more = 0x90, k_header_final = 0x91;
constexpr uint8_t k_bootable = 0x88, k_not_bootable = 0x00;
constexpr uint8_t k_extension = 0x44;        // extension entry (2.5)
constexpr uint8_t k_extension_follows = 0x20;  // media byte bit 5 (section entries)
constexpr size_t k_max_catalog_entries = 64 * 1024;

std::string hex8(uint8_t v) {
    const char* d = "0123456789abcdef";
    return std::string("0x") + d[v >> 4] + d[v & 15];
}

std::string id_text(const std::byte* p, size_t n) {
    std::string s(reinterpret_cast<const char*>(p), n);
    while (!s.empty() && s.back() == '\0') s.pop_back();
    return s;
}

void store_id(std::byte* p, size_t n, std::string_view s) {
    std::memcpy(p, s.data(), std::min(n, s.size()));  // the rest stays zero
}

void encode_entry(const CatalogEntry& e, bool section_entry, std::byte* p) {
    p[0] = std::byte(e.bootable ? k_bootable : k_not_bootable);
    p[1] = std::byte(uint8_t(e.emulation) | (section_entry ? (e.media_flags & 0xD0) : 0));
    store_le16(p + 2, e.load_segment);
    p[4] = std::byte(e.system_type);
    store_le16(p + 6, e.sector_count);
    store_le32(p + 8, e.load_rba);
    if (section_entry) std::memcpy(p + 12, e.selection.data(), e.selection.size());
}

Result<CatalogEntry> decode_entry(const std::byte* p, bool section_entry, size_t index) {
    CatalogEntry e;
    uint8_t ind = u8(p[0]);
    if (ind != k_bootable && ind != k_not_bootable)
        return make_error(Errc::corrupt, "boot catalog entry " + std::to_string(index) + ": boot indicator " + hex8(ind) + " is neither bootable (0x88) nor not (0x00)");
    e.bootable = ind == k_bootable;
    uint8_t media = u8(p[1]);
    if ((media & 0x0F) > 4)
        return make_error(Errc::corrupt, "boot catalog entry " + std::to_string(index) + ": unknown boot media type " +
                                             std::to_string(media & 0x0F));
    e.emulation = Emulation(media & 0x0F);
    if (section_entry) e.media_flags = media & 0xF0;
    e.load_segment = load_le16(p + 2);
    e.system_type = u8(p[4]);
    e.sector_count = load_le16(p + 6);
    e.load_rba = load_le32(p + 8);
    if (section_entry) std::memcpy(e.selection.data(), p + 12, e.selection.size());
    return e;
}

}  // namespace

std::string_view platform_name(Platform p) {
    switch (p) {
    case Platform::x86: return "BIOS";
    case Platform::powerpc: return "PPC";
    case Platform::mac: return "Mac";
    case Platform::efi: return "UEFI";
    }
    return "other";
}

std::string_view emulation_name(Emulation e) {
    switch (e) {
    case Emulation::none: return "none";
    case Emulation::floppy_1_2: return "fd1.2";
    case Emulation::floppy_1_44: return "fd1.4";
    case Emulation::floppy_2_88: return "fd2.8";
    case Emulation::hard_disk: return "hd";
    }
    return "?";
}

void encode_boot_record(const BootRecord& r, std::byte* p) {
    std::memset(p, 0, 2048);
    p[0] = std::byte{0};  // ECMA-119 8.2: boot record
    std::memcpy(p + 1, "CD001", 5);
    p[6] = std::byte{1};
    store_id(p + 7, 32, el_torito_id);
    store_le32(p + 71, r.catalog_lba);
}

Result<BootRecord> decode_boot_record(Bytes b) {
    if (b.size() < 2048) return make_error(Errc::corrupt, "boot record shorter than a block");
    if (u8(b[0]) != 0 || std::memcmp(b.data() + 1, "CD001", 5) != 0)
        return make_error(Errc::corrupt, "not a boot record volume descriptor");
    if (id_text(b.data() + 7, 32) != el_torito_id)
        return make_error(Errc::unsupported, "boot record of another system (\"" + load_padded(b.data() + 7, 32) + "\")");
    return BootRecord{load_le32(b.data() + 71)};
}

std::vector<std::pair<Platform, CatalogEntry>> Catalog::all_entries() const {
    std::vector<std::pair<Platform, CatalogEntry>> out{{platform, default_entry}};
    for (const auto& s : sections)
        for (const auto& e : s.entries) out.emplace_back(s.platform, e);
    return out;
}

size_t catalog_blocks(const Catalog& c) {
    size_t entries = 2;
    for (const auto& s : c.sections) entries += 1 + s.entries.size();
    return (entries * catalog_entry_bytes + 2047) / 2048;
}

std::vector<std::byte> encode_catalog(const Catalog& c) {
    std::vector<std::byte> out(catalog_blocks(c) * 2048, std::byte{0});
    std::byte* p = out.data();
    // Validation entry (2.1): the words of the entry sum to zero.
    p[0] = std::byte(k_header_validation);
    p[1] = std::byte(uint8_t(c.platform));
    store_id(p + 4, 24, c.id);
    p[30] = std::byte{0x55};
    p[31] = std::byte{0xAA};
    uint16_t sum = 0;
    for (size_t i = 0; i < catalog_entry_bytes; i += 2) sum = uint16_t(sum + load_le16(p + i));
    store_le16(p + 28, uint16_t(-sum));
    p += catalog_entry_bytes;
    encode_entry(c.default_entry, false, p);
    p += catalog_entry_bytes;
    for (size_t s = 0; s < c.sections.size(); ++s) {
        const auto& sec = c.sections[s];
        p[0] = std::byte(s + 1 == c.sections.size() ? k_header_final : k_header_more);
        p[1] = std::byte(uint8_t(sec.platform));
        store_le16(p + 2, uint16_t(sec.entries.size()));
        store_id(p + 4, 28, sec.id);
        p += catalog_entry_bytes;
        for (const auto& e : sec.entries) {
            encode_entry(e, true, p);
            p += catalog_entry_bytes;
        }
    }
    return out;
}

Result<Catalog> decode_catalog(Bytes b) {
    if (b.size() < 2 * catalog_entry_bytes) return make_error(Errc::corrupt, "boot catalog: truncated");
    const std::byte* p = b.data();
    if (u8(p[0]) != k_header_validation || u8(p[30]) != 0x55 || u8(p[31]) != 0xAA)
        return make_error(Errc::corrupt, "boot catalog: no validation entry (header 1, key 55 AA)");
    uint16_t sum = 0;
    for (size_t i = 0; i < catalog_entry_bytes; i += 2) sum = uint16_t(sum + load_le16(p + i));
    if (sum != 0) return make_error(Errc::corrupt, "boot catalog: the validation entry's checksum does not sum to zero");
    Catalog c;
    c.platform = Platform(u8(p[1]));
    c.id = id_text(p + 4, 24);
    c.default_entry = DM_TRY(decode_entry(p + catalog_entry_bytes, false, 1));
    size_t pos = 2 * catalog_entry_bytes, index = 2;
    bool final_seen = false;
    while (!final_seen && pos + catalog_entry_bytes <= b.size()) {
        uint8_t h = u8(b[pos]);
        if (h != k_header_more && h != k_header_final) break;  // the end of the catalog
        final_seen = h == k_header_final;
        CatalogSection sec;
        sec.platform = Platform(u8(b[pos + 1]));
        uint16_t n = load_le16(b.data() + pos + 2);
        sec.id = id_text(b.data() + pos + 4, 28);
        pos += catalog_entry_bytes;
        ++index;
        for (uint16_t k = 0; k < n; ++k) {
            if (pos + catalog_entry_bytes > b.size() || index > k_max_catalog_entries)
                return make_error(Errc::corrupt, "boot catalog: a section announces " + std::to_string(n) +
                                                     " entries but the catalog ends first");
            auto e = DM_TRY(decode_entry(b.data() + pos, true, index));
            pos += catalog_entry_bytes;
            ++index;
            // Extension entries (2.5) continue the selection criteria: skipped.
            for (bool more = e.media_flags & k_extension_follows; more;) {
                if (pos + catalog_entry_bytes > b.size())
                    return make_error(Errc::corrupt, "boot catalog: an extension entry lies beyond the catalog");
                if (u8(b[pos]) != k_extension)
                    return make_error(Errc::corrupt, "boot catalog: entry " + std::to_string(index) +
                                                         " should be an extension entry (0x44)");
                more = u8(b[pos + 1]) & k_extension_follows;
                pos += catalog_entry_bytes;
                ++index;
            }
            sec.entries.push_back(e);
        }
        c.sections.push_back(std::move(sec));
    }
    return c;
}

}  // namespace mastering::boot
