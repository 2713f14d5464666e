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

json to_json(const DiscModel& m) {
    json sessions = json::array();
    for (const auto& s : m.sessions) {
        json tracks = json::array();
        for (const auto& t : s.tracks)
            tracks.push_back({{"number", t.number}, {"start", t.start}, {"recorded", t.recorded},
                              {"reserved", t.reserved}, {"closed", t.closed}, {"damaged", t.damaged},
                              {"data_mode", t.data_mode}, {"tao", t.tao}});
        sessions.push_back({{"number", s.number}, {"closed", s.closed}, {"start", s.start}, {"tracks", tracks}});
    }
    auto toc = m.toc();
    return {
        {"format", "discmaster-vdisc"},
        {"version", 1},
        {"profile", std::string(mm::profile_name(m.profile))},
        {"profile_code", uint16_t(m.profile)},
        {"medium", std::string(mm::profile_name(m.medium))},
        {"capacity", m.capacity},
        {"state", std::string(mm::to_string(toc.state))},
        {"finalized", m.finalized},
        {"formatted", m.formatted},
        {"formatted_blocks", m.formatted_blocks},
        {"rom", m.rom},
        {"rom_blocks", m.rom_blocks},
        {"pow", m.pow},
        {"pow_spare", m.pow_spare},
        {"pow_replaced", m.pow_replaced},
        {"session_gap", m.session_gap},
        {"generation", m.generation},
        {"sessions", sessions},
    };
}

Result<DiscModel> disc_model_from_json(const json& j) {
    try {
        if (j.value("format", "") != "discmaster-vdisc")
            return mastering::make_error(mastering::Errc::corrupt, "toc.json: not a discmaster virtual disc");
        if (j.value("version", 0) != 1)
            return mastering::make_error(mastering::Errc::unsupported, "toc.json: unknown version");
        DiscModel m;
        m.profile = Profile(j.at("profile_code").get<uint16_t>());
        auto medium = mm::profile_from_name(j.at("medium").get<std::string>());
        if (!medium || mm::profile_info(m.profile).profile != m.profile)
            return mastering::make_error(mastering::Errc::corrupt, "toc.json: unknown profile");
        m.medium = *medium;
        m.capacity = j.at("capacity").get<uint32_t>();
        m.finalized = j.at("finalized").get<bool>();
        m.formatted = j.at("formatted").get<bool>();
        m.formatted_blocks = j.at("formatted_blocks").get<uint32_t>();
        m.rom = j.at("rom").get<bool>();
        m.rom_blocks = j.at("rom_blocks").get<uint32_t>();
        m.pow = j.value("pow", false);
        m.pow_spare = j.value("pow_spare", 0u);
        m.pow_replaced = j.value("pow_replaced", 0u);
        m.session_gap = j.value("session_gap", 0u);
        m.generation = j.value("generation", uint64_t(0));
        uint32_t prev_end = 0;
        for (const auto& js : j.at("sessions")) {
            SessionRecord s;
            s.number = js.at("number").get<uint32_t>();
            s.closed = js.at("closed").get<bool>();
            s.start = js.at("start").get<uint32_t>();
            for (const auto& jt : js.at("tracks")) {
                TrackRecord t;
                t.number = jt.at("number").get<uint32_t>();
                t.start = jt.at("start").get<uint32_t>();
                t.recorded = jt.at("recorded").get<uint32_t>();
                t.reserved = jt.at("reserved").get<uint32_t>();
                t.closed = jt.at("closed").get<bool>();
                t.damaged = jt.value("damaged", false);
                t.data_mode = jt.value("data_mode", uint8_t(1));
                t.tao = jt.value("tao", false);
                if (t.start < prev_end || uint64_t(t.start) + std::max(t.recorded, t.reserved) > m.capacity)
                    return mastering::make_error(mastering::Errc::corrupt, "toc.json: track " + std::to_string(t.number) +
                                                                               " overlaps another or lies beyond the capacity");
                prev_end = t.end();
                s.tracks.push_back(t);
            }
            m.sessions.push_back(std::move(s));
        }
        // A state no medium can be in (an edited or damaged file) is refused
        // here, not left for the drive's commands to trip over.
        if (auto broken = check_invariants(m); !broken.empty())
            return mastering::make_error(mastering::Errc::corrupt, "toc.json: " + broken);
        return m;
    } catch (const json::exception& e) {
        return mastering::make_error(mastering::Errc::corrupt, std::string("toc.json: ") + e.what());
    }
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
