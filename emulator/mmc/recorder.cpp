#include "emulator/mmc/recorder.h"

#include <algorithm>

namespace emulator::mmc {

using mastering::media::Profile;

namespace {

bool rom_or_formatted(const DiscModel& m) { return m.rom || (m.overwritable() && m.formatted); }
uint32_t formatted_size(const DiscModel& m) { return m.rom ? m.rom_blocks : m.formatted_blocks; }

uint8_t track_mode(const DiscModel& m) {
    if (m.is_cd()) return 4;
    if (m.medium == Profile::dvd_r || m.medium == Profile::dvd_rw || m.medium == Profile::dvd_r_dl) return 5;
    return 7;
}

// DVD-R/-RW tracks are written in packets: variable (incremental) packets on
// sequential media, fixed 16-block packets on restricted overwrite, as real
// drives report them (growisofs refuses a sequential track that claims fixed
// packets).
void dvd_minus_packets(const DiscModel& m, sc::TrackInformation& ti) {
    if (m.medium != Profile::dvd_r && m.medium != Profile::dvd_rw && m.medium != Profile::dvd_r_dl) return;
    ti.packet = true;
    ti.fixed_packet = m.profile == Profile::dvd_rw_ro;
    ti.packet_size = ti.fixed_packet ? 16 : 0;
}

sc::TrackInformation info_of(const DiscModel& m, const TrackRecord& t, uint32_t session) {
    sc::TrackInformation ti;
    ti.track = uint16_t(t.number);
    ti.session = uint16_t(session);
    ti.damage = t.damaged;
    ti.track_mode = track_mode(m);
    ti.data_mode = t.data_mode;
    ti.start = t.start;
    ti.size = std::max(t.recorded, t.reserved);
    ti.reserved = t.reserved > 0 && !t.closed;
    ti.blank = false;
    ti.nwa_valid = !t.closed && (t.reserved == 0 || t.recorded < t.reserved);
    ti.next_writable = ti.nwa_valid ? t.start + t.recorded : 0;
    ti.free_blocks = t.closed ? 0 : t.reserved ? t.reserved - t.recorded : m.capacity - (t.start + t.recorded);
    if (!t.closed && t.reserved == 0) ti.size = ti.free_blocks + t.recorded;  // an incomplete track runs to the end
    ti.lra_valid = t.recorded > 0;
    ti.last_recorded = t.recorded ? t.start + t.recorded - 1 : 0;
    dvd_minus_packets(m, ti);
    return ti;
}

sc::TrackInformation invisible_info(const DiscModel& m, uint32_t start) {
    sc::TrackInformation ti;
    const auto* s = m.open_session();
    ti.track = uint16_t(m.track_count() + 1);
    ti.session = uint16_t(s ? s->number : m.sessions.size() + 1);
    ti.track_mode = track_mode(m);
    ti.data_mode = 1;
    ti.blank = true;
    ti.nwa_valid = true;
    ti.start = start;
    ti.next_writable = start;
    ti.free_blocks = m.capacity > start ? m.capacity - start : 0;
    ti.size = ti.free_blocks;
    dvd_minus_packets(m, ti);
    return ti;
}

}  // namespace

bool readable(const DiscModel& m, uint64_t lba, uint64_t n) {
    if (rom_or_formatted(m)) return lba + n <= formatted_size(m);
    if (m.overwritable()) return false;
    for (const auto& s : m.sessions)
        for (const auto& t : s.tracks)
            if (lba >= t.start && lba + n <= uint64_t(t.start) + t.recorded) return true;
    return false;
}

uint64_t first_unreadable(const DiscModel& m, uint64_t lba, uint64_t n) {
    // The end of the readable stretch `at` lies in (tracks of a session may
    // follow each other: walk on from one to the next).
    auto stretch_end = [&](uint64_t at) -> uint64_t {
        if (rom_or_formatted(m)) return std::max<uint64_t>(at, formatted_size(m));
        if (m.overwritable()) return at;
        for (const auto& s : m.sessions)
            for (const auto& t : s.tracks)
                if (at >= t.start && at < uint64_t(t.start) + t.recorded) return uint64_t(t.start) + t.recorded;
        return at;
    };
    uint64_t at = lba;
    for (uint64_t next; at < lba + n && (next = stretch_end(at)) > at;) at = next;
    return std::min(at, lba + n);
}

uint32_t read_capacity_blocks(const DiscModel& m) {
    if (rom_or_formatted(m)) return formatted_size(m);
    // Sequential media: up to the last recorded block, an open session's
    // too (its blocks read back; growisofs appends to a BD-R it left with an
    // open session after pre-formatting it, and reads it through the kernel,
    // which sizes the device by this answer).
    uint32_t end = 0;
    for (const auto& s : m.sessions)
        for (const auto& t : s.tracks) end = std::max(end, t.start + t.recorded);
    return end;
}

sc::DiscInformation disc_information(const DiscModel& m) {
    sc::DiscInformation d;
    d.erasable = mastering::media::profile_info(m.medium).erasable;
    if (m.rom) {
        d.disc_status = 2;
        d.last_session_state = 3;
        return d;
    }
    if (m.overwritable()) {
        d.disc_status = !m.formatted ? 0 : (m.profile == Profile::dvd_ram || m.profile == Profile::bd_re) ? 3 : 2;
        d.last_session_state = m.formatted ? 3 : 0;
        if (m.profile == Profile::dvd_plus_rw || m.profile == Profile::bd_re) d.bg_format_status = m.formatted ? 3 : 0;
        return d;
    }
    d.disc_status = m.finalized ? 2 : m.blank() ? 0 : 1;
    d.sessions = uint16_t(m.sessions.size());
    if (m.sessions.empty()) return d;  // not a state the drive leaves a disc in (check_invariants)
    const auto& last = m.sessions.back();
    d.last_session_state = m.finalized ? 3 : last.closed ? 3 : last.tracks.empty() ? 0 : 1;
    bool damaged = std::any_of(last.tracks.begin(), last.tracks.end(), [](const auto& t) { return t.damaged; });
    if (damaged && !last.closed) d.last_session_state = 2;
    uint32_t first_in_last = last.tracks.empty() ? m.track_count() + 1 : last.tracks.front().number;
    uint32_t last_in_last = m.invisible_start() ? m.track_count() + 1 : m.track_count();
    d.first_track_last_session = uint16_t(first_in_last);
    d.last_track_last_session = uint16_t(std::max(first_in_last, last_in_last));
    if (!m.finalized) {
        auto next = m.invisible_start();
        if (m.is_cd()) {
            auto put_msf = [](int32_t lba) {
                sc::Msf f = sc::lba_to_msf(lba);
                return uint32_t(f.m) << 16 | uint32_t(f.s) << 8 | f.f;
            };
            if (next) d.last_session_leadin = put_msf(int32_t(*next) - 150 - (last.tracks.empty() && m.sessions.size() == 1 ? 4500 : 4500));
            d.last_possible_leadout = put_msf(int32_t(m.capacity) - 150);
        } else {
            if (next) d.last_session_leadin = *next;
            d.last_possible_leadout = m.capacity;
        }
    }
    return d;
}

std::optional<sc::TrackInformation> track_information(const DiscModel& m, uint8_t type, uint32_t number) {
    if (m.rom || (m.overwritable() && m.formatted)) {
        TrackRecord t;
        t.number = 1;
        t.start = 0;
        t.recorded = formatted_size(m);
        t.closed = true;
        bool match = type == 0 ? number < formatted_size(m) : number == 1 || (type == 1 && number == 0xFF && m.overwritable());
        if (!match) return std::nullopt;
        auto ti = info_of(m, t, 1);
        if (m.overwritable()) {
            ti.free_blocks = 0;
            ti.nwa_valid = false;
        }
        return ti;
    }
    if (m.overwritable()) {  // unformatted
        if (type == 1 && (number == 1 || number == 0xFF)) {
            auto ti = invisible_info(m, 0);
            ti.track = 1;
            ti.session = 1;
            return ti;
        }
        return std::nullopt;
    }
    auto inv = m.invisible_start();
    uint32_t inv_number = m.track_count() + 1;
    // FFh: the invisible track, or the incomplete track that is still growing.
    if (type == 1 && number == 0xFF && !inv) {
        if (const auto* s = m.open_session(); s && !s->tracks.empty() && !s->tracks.back().closed)
            return info_of(m, s->tracks.back(), s->number);
    }
    for (const auto& s : m.sessions) {
        for (const auto& t : s.tracks) {
            bool match = type == 0   ? number >= t.start && number < std::max(t.end(), t.start + 1)
                         : type == 1 ? number == t.number
                                     : number == s.number && &t == &s.tracks.front();
            if (match) return info_of(m, t, s.number);
        }
        if (type == 2 && number == s.number && s.tracks.empty() && inv) return invisible_info(m, *inv);
    }
    if (inv && ((type == 1 && (number == 0xFF || number == inv_number)) || (type == 0 && number >= *inv && number < m.capacity)))
        return invisible_info(m, *inv);
    return std::nullopt;
}

namespace {
// The sessions READ TOC reports: closed ones; on DVD and BD media also an
// open one that holds recorded data (the drive fabricates their TOC: growisofs
// finds the session it left open on a pre-formatted BD-R this way, and the
// kernel's multisession query the data it can mount).
bool in_toc(const DiscModel& m, const media::SessionRecord& s) {
    if (s.closed) return true;
    if (m.is_cd()) return false;
    for (const auto& t : s.tracks)
        if (t.recorded > 0) return true;
    return false;
}
}  // namespace

std::optional<sc::Toc0> toc_format0(const DiscModel& m, uint8_t from) {
    sc::Toc0 t;
    int32_t leadout = 0;
    if (m.rom || (m.overwritable() && m.formatted)) {
        t.entries.push_back({0x14, 1, 0});
        leadout = int32_t(formatted_size(m));
    } else {
        for (const auto& s : m.sessions) {
            if (!in_toc(m, s)) continue;
            for (const auto& tr : s.tracks) {
                t.entries.push_back({0x14, uint8_t(tr.number), int32_t(tr.start)});
                leadout = int32_t(tr.end());
            }
        }
        if (t.entries.empty()) return std::nullopt;
    }
    t.first_track = t.entries.front().track;
    t.last_track = t.entries.back().track;
    if (from == 0xAA) t.entries.clear();
    else if (from > 1)
        t.entries.erase(std::remove_if(t.entries.begin(), t.entries.end(), [&](const auto& e) { return e.track < from; }),
                        t.entries.end());
    t.entries.push_back({0x14, 0xAA, leadout});
    return t;
}

std::optional<sc::SessionInfo> toc_format1(const DiscModel& m) {
    sc::SessionInfo s;
    if (m.rom || (m.overwritable() && m.formatted)) return s;
    const media::SessionRecord* last = nullptr;
    for (const auto& x : m.sessions)
        if (in_toc(m, x) && !x.tracks.empty()) last = &x;
    if (!last) return std::nullopt;
    s.first_session = 1;
    s.last_session = uint8_t(last->number);
    s.first_track_last_session = uint8_t(last->tracks.front().number);
    s.start = int32_t(last->tracks.front().start);
    return s;
}

std::optional<sc::FullToc> full_toc(const DiscModel& m) {
    if (!m.is_cd()) return std::nullopt;
    sc::FullToc t;
    auto msf = [](int32_t lba) { return sc::lba_to_msf(lba); };
    std::vector<const media::SessionRecord*> closed;
    if (m.rom) {
        t.entries.push_back({1, 0x14, 0, 0xA0, {}, 0, {1, 0x00, 0}});
        t.entries.push_back({1, 0x14, 0, 0xA1, {}, 0, {1, 0, 0}});
        t.entries.push_back({1, 0x14, 0, 0xA2, {}, 0, msf(int32_t(m.rom_blocks))});
        t.entries.push_back({1, 0x14, 0, 1, {}, 0, msf(0)});
        return t;
    }
    for (const auto& s : m.sessions)
        if (s.closed && !s.tracks.empty()) closed.push_back(&s);
    if (closed.empty()) return std::nullopt;
    t.first_session = uint8_t(closed.front()->number);
    t.last_session = uint8_t(closed.back()->number);
    for (const auto* s : closed) {
        uint8_t sn = uint8_t(s->number);
        const auto& first = s->tracks.front();
        const auto& last = s->tracks.back();
        t.entries.push_back({sn, 0x14, 0, 0xA0, {}, 0, {uint8_t(first.number), 0x00, 0}});  // first track, CD-ROM
        t.entries.push_back({sn, 0x14, 0, 0xA1, {}, 0, {uint8_t(last.number), 0, 0}});
        t.entries.push_back({sn, 0x14, 0, 0xA2, {}, 0, msf(int32_t(last.end()))});
        for (const auto& tr : s->tracks) t.entries.push_back({sn, 0x14, 0, uint8_t(tr.number), {}, 0, msf(int32_t(tr.start))});
        if (s == closed.back() && !m.finalized)
            if (auto next = m.invisible_start())  // B0: the next program area, and the last possible lead-out
                t.entries.push_back({sn, 0x54, 0, 0xB0, msf(int32_t(*next)), 2, msf(int32_t(m.capacity) - 150)});
        if (s == closed.front())
            t.entries.push_back({sn, 0x54, 0, 0xC0, {0x40, 0, 0}, 0, {97, 15, 0}});  // ATIP: optimum power, first lead-in
    }
    return t;
}

TrackRecord* open_track(DiscModel& m) {
    auto* s = m.open_session();
    if (!s || s->tracks.empty() || s->tracks.back().closed) return nullptr;
    return &s->tracks.back();
}

std::optional<WriteTarget> write_target(DiscModel& m, uint64_t lba) {
    auto* s = m.open_session();
    if (!s || m.finalized) return std::nullopt;
    for (auto& t : s->tracks) {
        if (t.closed) continue;
        bool full = t.reserved && t.recorded >= t.reserved;
        if (!full && lba == uint64_t(t.start) + t.recorded) return WriteTarget{&t, false};
    }
    if (auto inv = m.invisible_start(); inv && lba == *inv) return WriteTarget{nullptr, true};
    return std::nullopt;
}

void close_track(DiscModel& m, TrackRecord& t) {
    uint32_t a = m.alignment();
    if (t.reserved) t.recorded = t.reserved;  // a short reserved track is padded
    t.recorded = (t.recorded + a - 1) / a * a;
    if (t.start + t.recorded > m.capacity) t.recorded = m.capacity - t.start;
    t.closed = true;
}

void close_session(DiscModel& m, bool finalize) {
    auto* s = m.open_session();
    if (s) {
        for (auto& t : s->tracks)
            if (!t.closed) close_track(m, t);
        if (!s->tracks.empty()) s->closed = true;
    }
    if (finalize) {
        if (s && s->tracks.empty()) m.sessions.pop_back();  // no empty session on a complete disc
        m.finalized = true;
        return;
    }
    if (s && s->closed) {
        size_t index = m.sessions.size() - 1;
        uint32_t a = m.alignment();
        uint32_t next = s->tracks.back().end() + m.gap_after_session(index);
        next = (next + a - 1) / a * a;
        if (next >= m.capacity) {
            m.finalized = true;  // no room for another session
            return;
        }
        m.sessions.push_back({uint32_t(m.sessions.size() + 1), false, next, {}});
    }
}

}  // namespace emulator::mmc
