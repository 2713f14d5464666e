// GET CONFIGURATION: the profile list and the feature descriptors of each
// profile (MMC-6 5.2 and 5.3; docs/drive-model.md "Features"), current flags
// following the mounted medium.
#include <algorithm>

#include "emulator/mmc/handlers.h"

namespace emulator::mmc {

namespace sense = sc::sense;
using mastering::media::Family;
using sc::Bytes;

namespace {

// Every profile this drive can hold, highest first (as MMC recommends).
constexpr Profile k_profiles[] = {Profile::bd_re, Profile::bd_r, Profile::bd_rom, Profile::dvd_plus_r_dl,
                                  Profile::dvd_plus_r, Profile::dvd_plus_rw, Profile::dvd_r_dl, Profile::dvd_rw,
                                  Profile::dvd_rw_ro, Profile::dvd_ram, Profile::dvd_r, Profile::dvd_rom,
                                  Profile::cd_rw, Profile::cd_r, Profile::cd_rom};

bool any_of(Profile p, std::initializer_list<Profile> set) { return std::find(set.begin(), set.end(), p) != set.end(); }

Bytes u32(uint32_t v) {
    Bytes b(4);
    store_be32(b.data(), v);
    return b;
}

std::vector<sc::Feature> features(Profile p, bool pow, const std::string& serial) {
    using P = Profile;
    Family fam = p == P::none ? Family::cd : mastering::media::profile_info(p).family;
    bool medium = p != P::none;
    std::vector<sc::Feature> f;
    // 0000 profile list
    Bytes list;
    for (P q : k_profiles) {
        uint8_t d[4] = {0, 0, uint8_t(q == p ? 1 : 0), 0};  // profile number, CurrentP
        store_be16(d, uint16_t(q));
        list.insert(list.end(), d, d + 4);
    }
    f.push_back({0x0000, 0, true, true, list});
    f.push_back({0x0001, 2, true, true, {0, 0, 0, 1, 0x01, 0, 0, 0}});      // core: SCSI, DBE
    f.push_back({0x0002, 1, true, true, {0x02, 0, 0, 0}});                  // morphing: OCEvent
    f.push_back({0x0003, 2, true, true, {0x29 | 0x10, 0, 0, 0}});           // removable: tray, eject, lock, load
    uint8_t blocking = fam == Family::cd ? 1 : fam == Family::dvd ? 16 : 32;
    Bytes rr = u32(2048);
    rr.insert(rr.end(), {0, blocking, 0x01, 0});
    f.push_back({0x0010, 0, false, medium, rr});                            // random readable
    f.push_back({0x001D, 0, false, medium && fam == Family::cd, {}});       // multi-read
    f.push_back({0x001E, 2, false, medium && fam == Family::cd, {0, 0, 0, 0}});  // CD read
    f.push_back({0x001F, 1, false, medium && fam == Family::dvd, {0, 0, 0, 0}}); // DVD read
    Bytes rw = u32(0);
    Bytes bs = u32(2048);
    rw.insert(rw.end(), bs.begin(), bs.end());
    rw.insert(rw.end(), {0, blocking, 0x01, 0});
    f.push_back({0x0020, 0, false, any_of(p, {P::dvd_ram, P::bd_re}), rw});         // random writable
    uint8_t link = fam == Family::dvd ? 16 : 7;
    f.push_back({0x0021, 1, false, any_of(p, {P::cd_r, P::cd_rw, P::dvd_r, P::dvd_rw, P::dvd_r_dl, P::bd_r}),
                 {0x01, 0x00, 0x40 | 0x04, 1, link, 0, 0, 0}});                     // incremental streaming
    f.push_back({0x0023, 0, false, any_of(p, {P::dvd_plus_rw, P::dvd_rw, P::dvd_rw_ro, P::dvd_ram, P::bd_re, P::bd_r}),
                 {0, 0, 0, 0}});                                                     // formattable
    f.push_back({0x0024, 0, false, any_of(p, {P::dvd_ram, P::bd_re}), {0x80, 0, 0, 0}});  // defect management
    Bytes wo = u32(2048);
    wo.insert(wo.end(), {0, blocking, 0x01, 0});
    f.push_back({0x0025, 0, false, any_of(p, {P::dvd_r, P::dvd_r_dl, P::dvd_plus_r, P::dvd_plus_r_dl, P::bd_r}), wo});
    f.push_back({0x0026, 0, false, p == P::dvd_rw_ro, {0, 0, 0, 0}});               // restricted overwrite
    f.push_back({0x002A, 1, false, p == P::dvd_plus_rw, {0x01, 0, 0, 0}});          // DVD+RW
    f.push_back({0x002B, 0, false, p == P::dvd_plus_r, {0x01, 0, 0, 0}});           // DVD+R
    f.push_back({0x002D, 2, false, any_of(p, {P::cd_r, P::cd_rw}), {0x46, 0, 0x01, 0x00}});      // CD TAO
    f.push_back({0x002E, 1, false, any_of(p, {P::cd_r, P::cd_rw}), {0x66, 0x00, 0xFF, 0xFF}});   // CD mastering (SAO)
    f.push_back({0x002F, 1, false, any_of(p, {P::dvd_r, P::dvd_rw, P::dvd_r_dl}), {0x46, 0, 0, 0}});  // DVD-R/RW write
    f.push_back({0x0038, 0, false, p == P::bd_r && pow, {0, 0, 0, 0}});            // BD-R pseudo-overwrite
    f.push_back({0x003B, 0, false, p == P::dvd_plus_r_dl, {0x01, 0, 0, 0}});        // DVD+R DL
    Bytes bd(28, 0);
    bd[8] = 0x00; bd[9] = 0x0E;  // class 0: BD-ROM/BD-R/BD-RE versions
    f.push_back({0x0040, 1, false, medium && fam == Family::bd, bd});                // BD read
    Bytes bdw(20, 0);
    bdw[8] = 0x00; bdw[9] = 0x0E;
    f.push_back({0x0041, 1, false, any_of(p, {P::bd_r, P::bd_re}), bdw});           // BD write
    f.push_back({0x0100, 0, true, true, {}});                                        // power management
    f.push_back({0x0105, 1, true, true, {0x01, 0, 0, 0x0A}});                        // timeout
    f.push_back({0x0107, 3, true, true, {0x1F, 0, 0, 0}});                           // real-time streaming
    Bytes sn(serial.begin(), serial.end());
    while (sn.size() % 4) sn.push_back(' ');
    f.push_back({0x0108, 0, true, true, sn});                                        // drive serial number
    return f;
}

}  // namespace

CommandReply Handlers::get_configuration(Drive& d, Ctx& c) {
    uint8_t rt = c.cdb[1] & 3;
    uint16_t start = load_be16(&c.cdb[2]);
    uint16_t alloc = load_be16(&c.cdb[7]);
    if (rt == 3) return Drive::check(sense::invalid_field_in_cdb);
    Profile p = (d.m_tray_open || !d.m_disc) ? Profile::none : d.profile();
    sc::Configuration cfg;
    cfg.current_profile = uint16_t(p);
    for (auto& f : features(p, p != Profile::none && d.model().pow, d.m_options.serial)) {
        if (rt == 2 ? f.code != start : f.code < start) continue;
        if (rt == 1 && !f.current) continue;
        cfg.features.push_back(std::move(f));
    }
    return Drive::reply(c, sc::encode_configuration(cfg), alloc);
}

}  // namespace emulator::mmc
