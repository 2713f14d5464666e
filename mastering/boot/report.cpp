#include "mastering/boot/report.h"

#include <cstdio>

namespace mastering::boot {

using nlohmann::json;

namespace {

std::string hex2(unsigned v) {
    char b[8];
    std::snprintf(b, sizeof b, "0x%02x", v & 0xFF);
    return b;
}

std::string platform_text(Platform p) {
    std::string_view n = platform_name(p);
    return n == "other" ? hex2(unsigned(p)) : std::string(n);
}

uint64_t isohybrid_sector(const Mbr& m) { return codec::load_le64(m.code.data() + isohybrid_lba_offset); }

bool has_code(const Mbr& m) { return !codec::all_zero(std::span<const std::byte>(m.code).first(isohybrid_lba_offset)); }

}  // namespace

json to_json(const SessionBoot& b) {
    json entries = json::array();
    auto all = b.catalog.all_entries();
    for (size_t i = 0; i < all.size(); ++i) {
        const auto& [platform, e] = all[i];
        json j = {{"platform", platform_text(platform)},  {"bootable", e.bootable},
                  {"emulation", std::string(emulation_name(e.emulation))},
                  {"load_segment", e.load_segment}, {"system_type", e.system_type},
                  {"load_sectors", e.sector_count}, {"lba", e.load_rba}};
        if (i < b.images.size()) {
            j["boot_info_table"] = b.images[i].boot_info_table;
            j["isohybrid"] = b.images[i].isohybrid_capable;
        }
        entries.push_back(std::move(j));
    }
    return {{"boot_record_lba", b.boot_record_lba}, {"catalog_lba", b.catalog_lba},
            {"platform", platform_text(b.catalog.platform)}, {"entries", entries}};
}

json to_json(const MediumSystemArea& s) {
    json out = json::object();
    if (const auto& m = s.decoded.mbr) {
        json parts = json::array();
        for (size_t i = 0; i < 4; ++i) {
            const auto& p = m->partitions[i];
            if (!p.used()) continue;
            parts.push_back({{"number", i + 1}, {"active", p.status == 0x80}, {"type", hex2(p.type)},
                             {"first_sector", p.first_lba}, {"sectors", p.sectors}});
        }
        json mj = {{"disk_signature", m->disk_signature}, {"boot_code", has_code(*m)}, {"partitions", parts}};
        if (has_code(*m)) mj["isohybrid_boot_sector"] = isohybrid_sector(*m);
        out["mbr"] = mj;
    }
    if (const auto& h = s.decoded.gpt) {
        json parts = json::array();
        for (const auto& e : s.decoded.gpt_entries)
            parts.push_back({{"number", e.number}, {"type", e.type.text()}, {"guid", e.unique.text()},
                             {"first_sector", e.first_lba}, {"last_sector", e.last_lba},
                             {"attributes", e.attributes}, {"name", gpt_name_text(e.name)}});
        out["gpt"] = {{"disk_guid", h->disk_guid.text()}, {"first_usable", h->first_usable},
                      {"last_usable", h->last_usable}, {"backup_lba", h->backup_lba},
                      {"entries", h->entry_count}, {"partitions", parts}};
    }
    if (!s.problem.empty()) out["problem"] = s.problem;
    return out;
}

std::string to_text(const SessionBoot& b, const std::string& indent) {
    std::string out;
    char line[512];
    auto all = b.catalog.all_entries();
    std::snprintf(line, sizeof line, "%sEl Torito: boot record at block %u, catalog at block %u, %zu %s\n", indent.c_str(),
                  b.boot_record_lba, b.catalog_lba, all.size(), all.size() == 1 ? "entry" : "entries");
    out += line;
    for (size_t i = 0; i < all.size(); ++i) {
        const auto& [platform, e] = all[i];
        std::string emu = e.emulation == Emulation::none ? "no emulation" : std::string(emulation_name(e.emulation));
        std::snprintf(line, sizeof line, "%s  %zu: %s, %s, %s, load segment 0x%04x, %u sectors, block %u", indent.c_str(),
                      i + 1, platform_text(platform).c_str(), e.bootable ? "bootable" : "not bootable", emu.c_str(),
                      unsigned(e.load_segment), unsigned(e.sector_count), e.load_rba);
        out += line;
        if (e.emulation == Emulation::hard_disk) out += ", partition type " + hex2(e.system_type);
        if (i < b.images.size() && b.images[i].boot_info_table) out += ", boot-info table";
        if (i < b.images.size() && b.images[i].isohybrid_capable) out += ", isohybrid-capable";
        out += "\n";
    }
    return out;
}

std::string to_text(const MediumSystemArea& s, const std::string& indent) {
    std::string out;
    char line[512];
    if (const auto& m = s.decoded.mbr) {
        std::snprintf(line, sizeof line, "%sMBR: disk signature 0x%08x%s\n", indent.c_str(), m->disk_signature,
                      has_code(*m) ? (", boot code (isohybrid boot image at sector " + std::to_string(isohybrid_sector(*m)) + ")").c_str()
                                   : "");
        out += line;
        for (size_t i = 0; i < 4; ++i) {
            const auto& p = m->partitions[i];
            if (!p.used()) continue;
            std::snprintf(line, sizeof line, "%s  partition %zu: %stype %s, sectors %u + %u\n", indent.c_str(), i + 1,
                          p.status == 0x80 ? "active, " : "", hex2(p.type).c_str(), p.first_lba, p.sectors);
            out += line;
        }
    }
    if (const auto& h = s.decoded.gpt) {
        std::snprintf(line, sizeof line, "%sGPT: disk %s, %u entries, usable sectors %llu-%llu, backup header at %llu\n",
                      indent.c_str(), h->disk_guid.text().c_str(), h->entry_count,
                      static_cast<unsigned long long>(h->first_usable), static_cast<unsigned long long>(h->last_usable),
                      static_cast<unsigned long long>(h->backup_lba));
        out += line;
        for (const auto& e : s.decoded.gpt_entries) {
            std::string type = e.type == gpt_type_basic_data   ? "basic data"
                               : e.type == gpt_type_efi_system ? "EFI system"
                                                               : e.type.text();
            std::snprintf(line, sizeof line, "%s  partition %u \"%s\": %s, sectors %llu-%llu, attributes 0x%016llx\n",
                          indent.c_str(), e.number, gpt_name_text(e.name).c_str(), type.c_str(),
                          static_cast<unsigned long long>(e.first_lba), static_cast<unsigned long long>(e.last_lba),
                          static_cast<unsigned long long>(e.attributes));
            out += line;
        }
    }
    if (!s.problem.empty()) out += indent + "(" + s.problem + ")\n";
    if (out.empty()) out = indent + "not an MBR or GPT\n";
    return out;
}

}  // namespace mastering::boot
