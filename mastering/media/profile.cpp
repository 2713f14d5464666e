#include "mastering/media/profile.h"

#include <array>

namespace mastering::media {

namespace {

// Capacities in 2048-byte blocks (docs/mmc.md, "3. Media models"; CD: an
// 80-minute disc, 360 000 blocks; BD: single layer).
constexpr std::array<ProfileInfo, 17> k_profiles{{
    {Profile::none, "none", "no medium", Family::cd, Recording::read_only, 0, false, Profile::none},
    {Profile::cd_rom, "cd-rom", "CD-ROM", Family::cd, Recording::read_only, 360000, false, Profile::cd_rom},
    {Profile::cd_r, "cd-r", "CD-R", Family::cd, Recording::write_once, 360000, false, Profile::cd_rom},
    {Profile::cd_rw, "cd-rw", "CD-RW", Family::cd, Recording::sequential_rw, 360000, true, Profile::cd_rom},
    {Profile::dvd_rom, "dvd-rom", "DVD-ROM", Family::dvd, Recording::read_only, 2298496, false, Profile::dvd_rom},
    {Profile::dvd_r, "dvd-r", "DVD-R", Family::dvd, Recording::write_once, 2298496, false, Profile::dvd_rom},
    {Profile::dvd_ram, "dvd-ram", "DVD-RAM", Family::dvd, Recording::overwritable, 2236704, true, Profile::dvd_rom},
    {Profile::dvd_rw_ro, "dvd-rw", "DVD-RW (restricted overwrite)", Family::dvd, Recording::overwritable, 2297888, true, Profile::dvd_rom},
    {Profile::dvd_rw, "dvd-rw", "DVD-RW", Family::dvd, Recording::sequential_rw, 2297888, true, Profile::dvd_rom},
    {Profile::dvd_r_dl, "dvd-r-dl", "DVD-R DL", Family::dvd, Recording::write_once, 4171712, false, Profile::dvd_rom},
    {Profile::dvd_plus_rw, "dvd+rw", "DVD+RW", Family::dvd, Recording::overwritable, 2295104, true, Profile::dvd_rom},
    {Profile::dvd_plus_r, "dvd+r", "DVD+R", Family::dvd, Recording::write_once, 2295104, false, Profile::dvd_rom},
    {Profile::dvd_plus_r_dl, "dvd+r-dl", "DVD+R DL", Family::dvd, Recording::write_once, 4173824, false, Profile::dvd_rom},
    {Profile::bd_rom, "bd-rom", "BD-ROM", Family::bd, Recording::read_only, 12219392, false, Profile::bd_rom},
    {Profile::bd_r, "bd-r", "BD-R", Family::bd, Recording::write_once, 12219392, false, Profile::bd_rom},
    {Profile::bd_r_rrm, "bd-r-rrm", "BD-R (random recording)", Family::bd, Recording::write_once, 12219392, false, Profile::bd_rom},
    {Profile::bd_re, "bd-re", "BD-RE", Family::bd, Recording::overwritable, 11826176, true, Profile::bd_rom},
}};

}  // namespace

std::span<const ProfileInfo> all_profiles() { return {k_profiles.data() + 1, k_profiles.size() - 1}; }

const ProfileInfo& profile_info(Profile p) {
    for (const auto& i : k_profiles)
        if (i.profile == p) return i;
    return k_profiles[0];
}

std::optional<Profile> profile_from_name(std::string_view name) {
    // dvd-rw names the medium; a blank DVD-RW is in sequential recording mode.
    if (name == "dvd-rw") return Profile::dvd_rw;
    for (const auto& i : all_profiles())
        if (i.name == name) return i.profile;
    return std::nullopt;
}

std::string_view profile_name(Profile p) { return profile_info(p).name; }

}  // namespace mastering::media
