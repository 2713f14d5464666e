#include "mastering/boot/system_area.h"

#include <cstring>

#include "mastering/codec/crc32.h"

namespace mastering::boot {

using namespace codec;

namespace {

constexpr uint64_t k_gpt_attributes = 0x1000000000000001ull;  // required by the platform, read-only
constexpr uint64_t k_first_usable = system_area_bytes / sector_bytes;

std::vector<std::byte> gpt_array(const SystemArea& s) {
    return encode_gpt_entries(s.gpt_entries, s.gpt ? s.gpt->entry_count : 0);
}

}  // namespace

std::vector<std::byte> encode_system_area(const SystemArea& s) {
    std::vector<std::byte> out(system_area_bytes, std::byte{0});
    if (s.mbr) encode_mbr(*s.mbr, out.data());
    if (s.gpt) {
        auto array = gpt_array(s);
        GptHeader h = *s.gpt;
        h.entries_crc = crc32(array);
        DM_VERIFY(h.entries_lba * sector_bytes + array.size() <= out.size());
        std::memcpy(out.data() + h.entries_lba * sector_bytes, array.data(), array.size());
        encode_gpt_header(h, out.data() + h.current_lba * sector_bytes);
    }
    return out;
}

BackupGpt encode_backup_gpt(const SystemArea& s) {
    DM_VERIFY(s.gpt);
    auto array = gpt_array(s);
    GptHeader h = *s.gpt;
    h.entries_crc = crc32(array);
    uint64_t array_sectors = array.size() / sector_bytes;
    h.current_lba = s.gpt->backup_lba;
    h.backup_lba = s.gpt->current_lba;
    h.entries_lba = h.current_lba - array_sectors;
    BackupGpt b;
    b.first_sector = h.entries_lba;
    b.bytes.resize(array.size() + sector_bytes);
    std::memcpy(b.bytes.data(), array.data(), array.size());
    encode_gpt_header(h, b.bytes.data() + array.size());
    return b;
}

Result<SystemArea> decode_system_area(Bytes area) {
    SystemArea s;
    if (area.size() < 2 * sector_bytes) return make_error(Errc::corrupt, "system area: shorter than two sectors");
    auto mbr = decode_mbr(area.first(sector_bytes));
    if (mbr.ok()) s.mbr = *mbr;
    else if (mbr.error().code != Errc::not_found) return mbr.error();
    auto h = decode_gpt_header(area.subspan(sector_bytes, sector_bytes));
    if (!h.ok()) {
        if (h.error().code == Errc::not_found) return s;
        return h.error();
    }
    uint64_t array_bytes = uint64_t(h->entry_count) * h->entry_size;
    if (h->entries_lba > area.size() / sector_bytes || array_bytes > area.size() - h->entries_lba * sector_bytes)
        return make_error(Errc::unsupported, "GPT: the partition array lies beyond the system area");
    auto array = area.subspan(size_t(h->entries_lba) * sector_bytes, size_t(array_bytes));
    if (crc32(array) != h->entries_crc) return make_error(Errc::corrupt, "GPT: the partition array's CRC does not match");
    s.gpt_entries = DM_TRY(decode_gpt_entries(array, h->entry_count, h->entry_size));
    s.gpt = *h;
    return s;
}

Status check_mbr_template(Bytes b) {
    if (b.size() < isohybrid_lba_offset || b.size() > sector_bytes)
        return make_error(Errc::invalid_argument, "an isohybrid MBR template holds 432 to 512 bytes of boot code, not " +
                                                      std::to_string(b.size()));
    if (all_zero(b.first(isohybrid_lba_offset)))
        return make_error(Errc::invalid_argument, "the isohybrid MBR template holds no boot code (all zeros)");
    if (b.size() == sector_bytes && (u8(b[510]) != 0x55 || u8(b[511]) != 0xAA))
        return make_error(Errc::invalid_argument, "a 512-byte isohybrid MBR template must end in the MBR signature 55 AA");
    return {};
}

Result<SystemArea> plan_system_area(const HybridPlan& p) {
    SystemArea s;
    uint64_t seed = p.seed;
    Mbr m;
    bool isohybrid = !p.mbr_template.empty();
    if (isohybrid) {
        DM_TRY(check_mbr_template(p.mbr_template));
        std::memcpy(m.code.data(), p.mbr_template.data(), isohybrid_lba_offset);
        store_le64(m.code.data() + isohybrid_lba_offset, p.bios_image_sector);
        if (p.mbr_template.size() >= 444) m.disk_signature = load_le32(p.mbr_template.data() + 440);
        if (m.disk_signature == 0) {
            Guid g = make_guid(seed);
            m.disk_signature = uint32_t(g.bytes[0]) | uint32_t(g.bytes[1]) << 8 | uint32_t(g.bytes[2]) << 16 |
                               uint32_t(g.bytes[3] | 1) << 24;
        }
    }
    if (p.iso_sectors > 0xFFFFFFFFull || p.image_sectors > 0xFFFFFFFFull)
        return make_error(Errc::unsupported, "an MBR partition table describes at most 2 TiB");
    auto& p1 = m.partitions[0];
    p1.status = isohybrid ? 0x80 : 0x00;
    p1.type = isohybrid ? (p.gpt_basdat ? 0x00 : 0x17) : 0x83;
    p1.first_lba = 0;
    p1.sectors = uint32_t(p.iso_sectors);
    p1.chs_first = chs_of(0);
    p1.chs_last = chs_of(p.iso_sectors - 1);
    for (const auto& a : p.appended) {
        if (a.number < 2 || a.number > 4)
            return make_error(Errc::invalid_argument, "appended partition " + std::to_string(a.number) +
                                                          ": the number must be 2, 3 or 4 (1 is the ISO image)");
        auto& e = m.partitions[a.number - 1];
        if (e.used()) return make_error(Errc::invalid_argument, "partition " + std::to_string(a.number) + " given twice");
        e = {0x00, a.mbr_type, chs_of(a.first), chs_of(a.first + a.sectors - 1), uint32_t(a.first), uint32_t(a.sectors)};
    }
    if (p.gpt_basdat) {
        if (!isohybrid) return make_error(Errc::invalid_argument, "--isohybrid-gpt-basdat needs --isohybrid-mbr");
        size_t slot = 1;
        for (const auto& r : p.efi_images) {
            while (slot < 4 && m.partitions[slot].used()) ++slot;
            if (slot >= 4) return make_error(Errc::invalid_argument, "more EFI boot images than free MBR partition entries");
            m.partitions[slot] = {0x00, 0xEF, chs_beyond, chs_beyond, uint32_t(r.first), uint32_t(r.sectors)};
        }
        if (p.image_sectors < k_first_usable + gpt_backup_sectors + 1)
            return make_error(Errc::internal, "the image is too small for a GPT");
        GptHeader h;
        h.backup_lba = p.image_sectors - 1;
        h.first_usable = k_first_usable;
        h.last_usable = h.backup_lba - gpt_array_sectors - 1;
        h.disk_guid = make_guid(seed);
        h.entry_count = gpt_entry_count;
        s.gpt = h;
        auto add = [&](uint64_t first, uint64_t sectors, const char* name) {
            GptEntry e;
            e.number = uint32_t(s.gpt_entries.size() + 1);
            e.type = gpt_type_basic_data;
            e.unique = make_guid(seed);
            e.first_lba = first;
            e.last_lba = first + sectors - 1;
            e.attributes = k_gpt_attributes;
            e.name = gpt_name(name);
            s.gpt_entries.push_back(std::move(e));
        };
        add(0, std::min(p.iso_sectors, h.last_usable), "ISOHybrid");
        uint32_t n = 1;
        for (const auto& r : p.efi_images) add(r.first, r.sectors, ("ISOHybrid" + std::to_string(n++)).c_str());
        for (const auto& r : p.appended) add(r.first, r.sectors, ("ISOHybrid" + std::to_string(n++)).c_str());
    }
    s.mbr = m;
    return s;
}

}  // namespace mastering::boot
