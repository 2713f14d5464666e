// Disc -> Session -> Track: the table of contents shared by image files,
// virtual discs, drives and the emulator (after cdemu libmirage's
// disc/session/track). Addresses are LBAs of 2048-byte blocks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mastering/media/profile.h"

namespace mastering::media {

enum class DiscState : uint8_t { blank, appendable, complete, other /* formatted overwritable */ };
enum class SessionState : uint8_t { empty, incomplete, complete };
enum class TrackState : uint8_t { invisible, incomplete, reserved, complete };

std::string_view to_string(DiscState s);
std::string_view to_string(SessionState s);
std::string_view to_string(TrackState s);
std::optional<DiscState> disc_state_from_string(std::string_view s);
std::optional<SessionState> session_state_from_string(std::string_view s);
std::optional<TrackState> track_state_from_string(std::string_view s);

struct Track {
    uint32_t number = 1;           // 1-based, counted over the whole disc
    uint32_t session = 1;          // 1-based session number
    uint32_t start = 0;            // first user-data LBA
    uint32_t size = 0;             // blocks, recorded or reserved
    TrackState state = TrackState::complete;
    bool data = true;              // data (mode 1) vs audio
    uint32_t recorded = 0;         // blocks actually written (<= size)
    std::optional<uint32_t> next_writable;  // NWA while the track takes writes
};

struct Session {
    uint32_t number = 1;
    uint32_t start = 0;            // start of its first track
    uint32_t size = 0;             // blocks from start to the end of its last track
    SessionState state = SessionState::complete;
    std::vector<Track> tracks;
};

struct Toc {
    Profile profile = Profile::none;
    DiscState state = DiscState::blank;
    uint64_t capacity = 0;         // user data blocks of the medium (0: unknown/unlimited)
    std::vector<Session> sessions; // complete and incomplete sessions, oldest first
    std::optional<uint32_t> next_writable;  // where a new session would start
    uint64_t free_blocks = 0;

    // The newest session holding data, if any.
    const Session* last_session() const;
    // Where a new session would start; the blocks from there to the
    // capacity are the free ones.
    void set_next_writable(std::optional<uint32_t> lba);
};

}  // namespace mastering::media
