#include "emulator/media/disc_model.h"

namespace emulator::media {

using nlohmann::json;
namespace mm = mastering::media;

uint32_t TrackRecord::end() const {
    uint32_t used = std::max(recorded, reserved);
    return start + used + (tao && closed ? 2 : 0);
}

bool DiscModel::overwritable() const {
    return !rom && mm::is_overwritable(profile);
}

bool DiscModel::is_cd() const { return mm::profile_info(medium).family == mm::Family::cd; }

bool DiscModel::is_dvd_minus() const {
    return medium == Profile::dvd_r || medium == Profile::dvd_rw || medium == Profile::dvd_r_dl;
}

bool DiscModel::one_track_per_session() const { return medium == Profile::dvd_plus_r || medium == Profile::dvd_plus_r_dl; }

uint32_t DiscModel::alignment() const {
    switch (mm::profile_info(medium).family) {
    case mm::Family::cd: return 1;
    case mm::Family::dvd: return 16;
    case mm::Family::bd: return 32;
    }
    return 1;
}

uint32_t DiscModel::gap_after_session(size_t index) const {
    if (is_cd()) return index == 0 ? 11400 : 6900;
    return session_gap;
}

uint32_t DiscModel::next_track_start(const TrackRecord& t) const {
    uint32_t a = alignment();
    uint32_t end = t.end() + (is_cd() && t.tao ? 150 : 0);
    return (end + a - 1) / a * a;
}

SessionRecord* DiscModel::open_session() {
    if (sessions.empty() || sessions.back().closed) return nullptr;
    return &sessions.back();
}

const SessionRecord* DiscModel::open_session() const {
    if (sessions.empty() || sessions.back().closed) return nullptr;
    return &sessions.back();
}

std::optional<uint32_t> DiscModel::invisible_start() const {
    if (rom || finalized || overwritable()) return std::nullopt;
    const SessionRecord* s = open_session();
    if (!s) return std::nullopt;
    if (s->tracks.empty()) return s->start;
    const TrackRecord& last = s->tracks.back();
    if (!last.closed && last.reserved == 0) return std::nullopt;  // the growing track is the invisible one
    uint32_t at = next_track_start(last);
    if (at >= capacity) return std::nullopt;
    return at;
}

std::optional<uint32_t> DiscModel::next_writable() const {
    if (rom || finalized || overwritable()) return std::nullopt;
    const SessionRecord* s = open_session();
    if (!s) return std::nullopt;
    if (!s->tracks.empty()) {
        const TrackRecord& last = s->tracks.back();
        if (!last.closed && (last.reserved == 0 || last.recorded < last.reserved)) return last.start + last.recorded;
    }
    return invisible_start();
}

uint32_t DiscModel::track_count() const {
    uint32_t n = 0;
    for (const auto& s : sessions) n += uint32_t(s.tracks.size());
    return n;
}

bool DiscModel::blank() const {
    if (rom) return false;
    if (overwritable()) return !formatted;
    for (const auto& s : sessions)
        if (!s.tracks.empty()) return false;
    return true;
}

mm::Toc DiscModel::toc() const {
    mm::Toc t;
    t.profile = profile;
    t.capacity = rom ? rom_blocks : overwritable() ? (formatted ? formatted_blocks : capacity) : capacity;
    if (rom) {
        t.state = mm::DiscState::complete;
        mm::Session s{1, 0, rom_blocks, mm::SessionState::complete, {}};
        s.tracks.push_back({1, 1, 0, rom_blocks, mm::TrackState::complete, true, rom_blocks, std::nullopt});
        t.sessions.push_back(s);
        return t;
    }
    if (overwritable()) {
        t.state = formatted ? mm::DiscState::other : mm::DiscState::blank;
        if (formatted) {
            mm::Session s{1, 0, formatted_blocks, mm::SessionState::complete, {}};
            s.tracks.push_back({1, 1, 0, formatted_blocks, mm::TrackState::complete, true, formatted_blocks, std::nullopt});
            t.sessions.push_back(s);
            t.free_blocks = 0;
        } else {
            t.free_blocks = capacity;
        }
        return t;
    }
    t.state = finalized ? mm::DiscState::complete : blank() ? mm::DiscState::blank : mm::DiscState::appendable;
    for (const auto& s : sessions) {
        if (s.tracks.empty()) continue;
        mm::Session out;
        out.number = s.number;
        out.start = s.tracks.front().start;
        out.size = s.tracks.back().start + std::max(s.tracks.back().recorded, s.tracks.back().reserved) - out.start;
        out.state = s.closed ? mm::SessionState::complete : mm::SessionState::incomplete;
        for (const auto& tr : s.tracks) {
            mm::Track o;
            o.number = tr.number;
            o.session = s.number;
            o.start = tr.start;
            o.size = std::max(tr.recorded, tr.reserved);
            o.recorded = tr.recorded;
            o.state = tr.closed ? mm::TrackState::complete
                      : tr.reserved ? mm::TrackState::reserved
                                    : mm::TrackState::incomplete;
            if (!tr.closed) o.next_writable = tr.start + tr.recorded;
            out.tracks.push_back(o);
        }
        t.sessions.push_back(std::move(out));
    }
    t.set_next_writable(next_writable());
    return t;
}

uint64_t data_end(const DiscModel& m) {
    if (m.rom) return m.rom_blocks;
    uint64_t end = 0;
    if (!m.overwritable())
        for (const auto& s : m.sessions)
            for (const auto& t : s.tracks)
                if (t.recorded) end = std::max<uint64_t>(end, uint64_t(t.start) + t.recorded);
    return end;
}

std::string check_invariants(const DiscModel& m) {
    if (m.rom) return m.sessions.empty() ? "" : "a ROM disc has no recorded sessions";
    if (m.overwritable()) {
        if (m.formatted && m.formatted_blocks > m.capacity) return "formatted beyond the capacity";
        return "";
    }
    if (m.sessions.empty()) return "a sequential disc without a session (even a blank one has its empty session)";
    if (m.pow && m.medium != Profile::bd_r) return "pseudo-overwrite on a medium other than BD-R";
    if (m.pow_replaced > m.pow_spare) return "more replacement blocks used than the spare area holds";
    uint32_t prev_end = 0, number = 0;
    for (size_t i = 0; i < m.sessions.size(); ++i) {
        const auto& s = m.sessions[i];
        if (s.number != i + 1) return "sessions out of order";
        if (!s.closed && i + 1 != m.sessions.size()) return "an open session that is not the last";
        if (s.closed && s.tracks.empty()) return "a closed session without tracks";
        if (i > 0) {  // after the session before and its gap (lead-out, lead-in, border), where the drive puts it
            uint32_t a = m.alignment();
            uint64_t earliest = uint64_t(m.sessions[i - 1].tracks.back().end()) + m.gap_after_session(i - 1);
            earliest = (earliest + a - 1) / a * a;
            if (s.start < earliest)
                return "session " + std::to_string(s.number) + " starts at block " + std::to_string(s.start) +
                       ", inside the recorded data or the gap before it (at block " + std::to_string(earliest) +
                       " at the earliest)";
        }
        if (!s.tracks.empty() && s.tracks.front().start < s.start)
            return "track " + std::to_string(s.tracks.front().number) + " starts before its session";
        for (const auto& t : s.tracks) {
            if (t.number != ++number) return "tracks out of order";
            if (t.start < prev_end) return "track " + std::to_string(t.number) + " overlaps the one before";
            if (uint64_t(t.start) + std::max(t.recorded, t.reserved) > m.capacity) return "a track beyond the capacity";
            if (t.reserved && t.recorded > t.reserved) return "more recorded than reserved";
            if (s.closed && !t.closed) return "an open track in a closed session";
            prev_end = t.end();
        }
    }
    if (m.finalized && m.open_session() && !m.open_session()->tracks.empty()) return "a complete disc with an open session";
    if (auto nwa = m.next_writable(); nwa && *nwa > m.capacity) return "next writable address beyond the capacity";
    if (m.is_cd() && m.track_count() > 99) return "more than 99 tracks on a CD";
    return "";
}

DiscModel blank_disc(Profile profile, std::optional<uint32_t> capacity) {
    DiscModel m;
    m.profile = profile;
    m.medium = profile == Profile::dvd_rw_ro ? Profile::dvd_rw : profile;
    m.capacity = capacity.value_or(uint32_t(mm::profile_info(profile).capacity_blocks));
    switch (mm::profile_info(m.medium).family) {
    case mm::Family::cd: m.session_gap = 0; break;  // CD gaps are fixed (gap_after_session)
    case mm::Family::dvd: m.session_gap = mm::is_sequential(profile) && profile != Profile::dvd_plus_r &&
                                                  profile != Profile::dvd_plus_r_dl
                                              ? 2048   // DVD-R border-out + border-in
                                              : 1024;  // DVD+R session closure + intro
        break;
    case mm::Family::bd: m.session_gap = 0; break;
    }
    if (profile == Profile::dvd_ram) {  // sold formatted
        m.formatted = true;
        m.formatted_blocks = m.capacity;
    }
    if (!mm::is_overwritable(profile)) m.sessions.push_back({1, false, 0, {}});
    return m;
}

DiscModel rom_disc(Profile as, uint32_t blocks) {
    DiscModel m;
    m.profile = mm::profile_info(as).closed_as;
    m.medium = m.profile;
    m.rom = true;
    m.rom_blocks = blocks;
    m.capacity = blocks;
    m.finalized = true;
    return m;
}

}  // namespace emulator::media
