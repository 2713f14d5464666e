// Media profiles: one vocabulary for images, drives and the emulator.
// Codes are the MMC profile numbers (MMC-6 §5.3.1, listed in docs/mmc.md §2),
// names are the ones every tool and file uses (docs/architecture.md).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace mastering::media {

enum class Profile : uint16_t {
    none = 0x0000,
    cd_rom = 0x0008,
    cd_r = 0x0009,
    cd_rw = 0x000A,
    dvd_rom = 0x0010,
    dvd_r = 0x0011,          // DVD-R sequential recording
    dvd_ram = 0x0012,
    dvd_rw_ro = 0x0013,      // DVD-RW restricted overwrite
    dvd_rw = 0x0014,         // DVD-RW sequential recording
    dvd_r_dl = 0x0015,
    dvd_plus_rw = 0x001A,
    dvd_plus_r = 0x001B,
    dvd_plus_r_dl = 0x002B,
    bd_rom = 0x0040,
    bd_r = 0x0041,           // BD-R sequential recording mode (SRM)
    bd_r_rrm = 0x0042,
    bd_re = 0x0043,
};

enum class Family : uint8_t { cd, dvd, bd };

// How a medium takes writes.
enum class Recording : uint8_t {
    read_only,      // pressed or closed ROM media
    write_once,     // CD-R, DVD±R, BD-R: sequential, never rewritten
    sequential_rw,  // CD-RW, DVD-RW SR: sequential, erasable by BLANK
    overwritable,   // DVD+RW, DVD-RW RO, DVD-RAM, BD-RE: random writes after formatting
};

struct ProfileInfo {
    Profile profile;
    std::string_view name;     // "dvd+r", ...
    std::string_view title;    // "DVD+R", for people
    Family family;
    Recording recording;
    uint64_t capacity_blocks;  // user data blocks of 2048 bytes of a typical blank medium
    bool erasable;
    Profile closed_as;         // the ROM profile a closed disc of this kind reads like
};

const ProfileInfo& profile_info(Profile p);
// Every profile the project knows, in MMC code order.
std::span<const ProfileInfo> all_profiles();
// By the name of docs/architecture.md ("cd-r", "dvd+r-dl", ...); nullopt if unknown.
std::optional<Profile> profile_from_name(std::string_view name);
std::string_view profile_name(Profile p);

inline bool is_writable(Profile p) { return profile_info(p).recording != Recording::read_only; }
inline bool is_sequential(Profile p) {
    auto r = profile_info(p).recording;
    return r == Recording::write_once || r == Recording::sequential_rw;
}
inline bool is_overwritable(Profile p) { return profile_info(p).recording == Recording::overwritable; }

constexpr uint32_t block_size = 2048;

}  // namespace mastering::media
