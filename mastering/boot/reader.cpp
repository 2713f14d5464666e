#include "mastering/boot/reader.h"

#include <cstring>

#include "mastering/boot/boot_info.h"

namespace mastering::boot {

namespace {
constexpr int k_max_descriptors = 64;
constexpr uint64_t k_max_catalog_blocks = 16;
}  // namespace

Result<std::optional<SessionBoot>> read_session_boot(media::SectorSource& m, uint64_t start) {
    std::vector<std::byte> b(2048);
    std::optional<SessionBoot> out;
    for (int i = 0; i < k_max_descriptors; ++i) {
        uint64_t lba = start + 16 + uint64_t(i);
        if (lba >= m.block_count()) break;
        DM_TRY(m.read_blocks(lba, b));
        if (std::memcmp(b.data() + 1, "CD001", 5) != 0 || codec::u8(b[0]) == 255) break;
        if (codec::u8(b[0]) != 0) continue;
        auto br = decode_boot_record(b);
        if (!br.ok()) continue;  // a boot record of another system
        out = SessionBoot{};
        out->boot_record_lba = uint32_t(lba);
        out->catalog_lba = br->catalog_lba;
        break;
    }
    if (!out) return out;
    uint64_t cat = out->catalog_lba;
    if (cat >= m.block_count())
        return make_error(Errc::corrupt, "the El Torito boot catalog at block " + std::to_string(cat) +
                                             " lies beyond the medium (" + std::to_string(m.block_count()) + " blocks)");
    uint64_t n = std::min<uint64_t>(k_max_catalog_blocks, m.block_count() - cat);
    std::vector<std::byte> bytes(size_t(n) * 2048);
    DM_TRY(m.read_blocks(cat, bytes));
    auto c = decode_catalog(bytes);
    if (!c.ok()) return c.error().with_context("El Torito boot catalog at block " + std::to_string(cat));
    out->catalog = std::move(*c);
    for (const auto& [platform, e] : out->catalog.all_entries()) {
        ImageFacts f;
        if (e.load_rba >= m.block_count()) {
            f.readable = false;
        } else {
            DM_TRY(m.read_blocks(e.load_rba, b));
            f.boot_info_table = has_boot_info_table(b, e.load_rba);
            f.isohybrid_capable = is_isohybrid_capable(b);
        }
        out->images.push_back(f);
    }
    return out;
}

Result<std::optional<MediumSystemArea>> read_system_area(media::SectorSource& m) {
    if (m.block_count() < 16) return std::optional<MediumSystemArea>{};
    MediumSystemArea s;
    s.bytes.resize(system_area_bytes);
    DM_TRY(m.read_blocks(0, s.bytes));
    if (codec::all_zero(s.bytes)) return std::optional<MediumSystemArea>{};
    // Whatever the blocks hold is kept; what cannot be decoded is reported.
    if (auto d = decode_system_area(s.bytes); d.ok()) s.decoded = std::move(*d);
    else s.problem = d.error().message;
    return std::optional<MediumSystemArea>(std::move(s));
}

}  // namespace mastering::boot
