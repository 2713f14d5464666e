// The recorded state of a virtual disc: what a medium holds beyond its data —
// profile, capacity, sessions and tracks with their states and next writable
// addresses, formatting. It is what toc.json stores (docs/vdisc.md) and what
// the MMC model (emulator/mmc) reads and changes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mastering/codec/result.h"
#include "mastering/media/profile.h"
#include "mastering/media/toc.h"

namespace emulator::media {

using mastering::Result;
using mastering::Status;
using mastering::media::Profile;

struct TrackRecord {
    uint32_t number = 1;     // disc-wide track number
    uint32_t start = 0;      // LBA of its first user-data block
    uint32_t recorded = 0;   // blocks written and acknowledged
    uint32_t reserved = 0;   // > 0: a reserved track of this size (RESERVE TRACK, SAO, DAO)
    bool closed = false;     // no further writes (closed track / complete)
    bool damaged = false;
    uint8_t data_mode = 1;
    bool tao = false;        // CD written track-at-once: 2 run-out blocks follow it
    uint32_t end() const;    // first block after the track's recorded (or reserved) area, run-out included
};

struct SessionRecord {
    uint32_t number = 1;
    bool closed = false;
    uint32_t start = 0;      // where its first track starts (the next writable address while empty)
    std::vector<TrackRecord> tracks;
};

struct DiscModel {
    Profile profile = Profile::none;   // the current profile (DVD-RW: sequential or restricted overwrite)
    Profile medium = Profile::none;    // the kind of medium (dvd_rw for both DVD-RW profiles)
    uint32_t capacity = 0;             // user-data blocks
    bool finalized = false;            // complete: no more sessions
    bool formatted = false;            // overwritable media
    uint32_t formatted_blocks = 0;
    bool rom = false;                  // a closed disc loaded from an image
    uint32_t rom_blocks = 0;
    // BD-R formatted SRM+POW (pseudo-overwrite): a write to recorded blocks
    // is a logical overwrite, recorded in replacement blocks of the spare
    // area; pow_replaced of pow_spare are used.
    bool pow = false;
    uint32_t pow_spare = 0;
    uint32_t pow_replaced = 0;
    std::vector<SessionRecord> sessions;  // oldest first; the last may be open (empty or incomplete)
    uint32_t session_gap = 0;          // blocks between sessions (lead-out/lead-in, border); CD: see below
    uint64_t generation = 0;           // bumped by every saved change

    // Addressing rules of the medium's family.
    bool is_cd() const;
    bool is_dvd_minus() const;         // DVD-R, DVD-RW, DVD-R DL
    bool one_track_per_session() const;  // DVD+R (DL): a session holds one track
    uint32_t alignment() const;        // write unit the drive pads tracks to: CD 1, DVD 16, BD 32
    // Blocks between a closed session's end and the next session's first
    // track: CD 11,400 after the first session and 6,900 after later ones
    // (lead-out + lead-in + pre-gap), otherwise session_gap.
    uint32_t gap_after_session(size_t index) const;
    // Where a track after `t` in the same session would start.
    uint32_t next_track_start(const TrackRecord& t) const;
    // The open (last, not closed) session, or nullptr.
    SessionRecord* open_session();
    const SessionRecord* open_session() const;
    // The invisible track's start: where a new track would begin (nullopt: none).
    std::optional<uint32_t> invisible_start() const;
    // Where the next write must go on sequential media (the growing track's
    // next block, else the invisible track's start).
    std::optional<uint32_t> next_writable() const;
    uint32_t track_count() const;

    bool overwritable() const;         // random writes (formatted DVD+RW, DVD-RW RO, DVD-RAM, BD-RE)
    bool blank() const;                // nothing recorded
    // The summary every tool shows (master-info, master-drive status).
    mastering::media::Toc toc() const;
};

// Empty if the model obeys its profile's rules (tracks in order, inside the
// capacity, at most one open session, ...); otherwise what is wrong.
std::string check_invariants(const DiscModel& m);

nlohmann::json to_json(const DiscModel& m);
Result<DiscModel> disc_model_from_json(const nlohmann::json& j);

// A blank medium of a profile (capacity: the profile's, unless given).
DiscModel blank_disc(Profile profile, std::optional<uint32_t> capacity = {});
// A closed disc of `blocks` blocks read like the ROM profile of `as`.
DiscModel rom_disc(Profile as, uint32_t blocks);

}  // namespace emulator::media
