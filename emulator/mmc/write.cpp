// Recording commands: WRITE(10/12), SYNCHRONIZE CACHE, RESERVE TRACK, CLOSE
// TRACK/SESSION, SEND CUE SHEET, BLANK, FORMAT UNIT, SEND OPC. What a WRITE,
// a SYNCHRONIZE CACHE and a cue sheet do depends on the write mode: the
// drive's recording strategy (recording.h) answers them.
#include <algorithm>

#include "emulator/mmc/handlers.h"
#include "emulator/mmc/recorder.h"
#include "emulator/mmc/recording.h"

namespace emulator::mmc {

namespace op = sc::op;
namespace sense = sc::sense;
using P = mastering::media::Profile;

namespace {

// The spare area a BD-R formatted with spares offers to pseudo-overwrite
// (4,096 clusters of 32 blocks; at most a sixteenth of a small test disc).
constexpr uint32_t k_bd_r_spare_blocks = 4096 * 32;

}  // namespace

void Drive::set_busy(const sc::Sense& s, std::chrono::milliseconds how_long) {
    m_busy_since = std::chrono::steady_clock::now();
    m_busy_until = m_busy_since + how_long;
    m_busy_sense = s;
}

CommandReply Handlers::write(Drive& d, Ctx& c) {
    bool twelve = c.cdb[0] == op::write12;
    int64_t lba = int32_t(load_be32(&c.cdb[2]));  // SAO writes start in the pre-gap, at -150
    uint32_t n = twelve ? load_be32(&c.cdb[6]) : load_be16(&c.cdb[7]);
    if (n == 0) return Drive::good();
    RecordingStrategy& rec = d.recording();
    SectorFormat format = rec.sector_format();
    if (c.out.size() < size_t(n) * format.block) return Drive::check(sense::invalid_field_in_cdb);
    std::vector<std::byte> scratch;  // the user data of larger (XA or raw) sectors
    return rec.write(d, lba, n, format.user_data(c.out, n, scratch));
}

CommandReply Handlers::synchronize_cache(Drive& d, Ctx& c) {
    auto& m = d.model();
    if (!d.m_disc->sync().ok()) return Drive::check(sense::write_error);
    bool changed = !m.overwritable() && !m.rom && !m.finalized && d.recording().synchronize(m, d.m_page05);
    if (changed && !d.m_disc->save_model().ok()) return Drive::check(sense::write_error);
    if (c.cdb[1] & 2) d.set_busy(sense::long_write_in_progress, std::chrono::milliseconds(50));
    return Drive::good();
}

CommandReply Handlers::reserve_track(Drive& d, Ctx& c) {
    auto& m = d.model();
    if (c.cdb[1] & 1) return Drive::check(sense::invalid_field_in_cdb);  // ARSV (by address): not supported
    uint32_t size = load_be32(&c.cdb[5]);
    if (m.rom || m.overwritable() || m.finalized) return Drive::check(sense::command_sequence_error);
    auto inv = m.invisible_start();
    if (!inv) return Drive::check(open_track(m) ? sense::command_sequence_error : sense::no_more_reservations);
    auto* s = m.open_session();
    if (m.one_track_per_session() && !s->tracks.empty()) return Drive::check(sense::no_more_reservations);
    if (m.is_cd() && m.track_count() >= 99) return Drive::check(sense::no_more_reservations);
    uint32_t a = m.alignment();
    size = (size + a - 1) / a * a;
    if (size == 0 || uint64_t(*inv) + size > m.capacity) return Drive::check(sense::invalid_field_in_cdb);
    TrackRecord t;
    t.number = m.track_count() + 1;
    t.start = *inv;
    t.reserved = size;
    t.tao = m.is_cd();
    s->tracks.push_back(t);
    if (!d.m_disc->save_model().ok()) return Drive::check(sense::write_error);
    return Drive::good();
}

CommandReply Handlers::close_track_session(Drive& d, Ctx& c) {
    auto& m = d.model();
    uint8_t function = c.cdb[2] & 7;
    uint16_t number = load_be16(&c.cdb[4]);
    bool immed = c.cdb[1] & 1;
    if (function == 3 || function == 7) return Drive::check(sense::invalid_field_in_cdb);
    if (m.overwritable() || function == 0) {
        // DVD+RW / BD-RE: stop background formatting, or close the (one) session: nothing to record.
        if (immed) d.set_busy(sense::operation_in_progress, std::chrono::milliseconds(50));
        return Drive::good();
    }
    if (m.rom || m.finalized) return Drive::check(sense::command_sequence_error);
    auto* s = m.open_session();
    if (function == 1) {
        TrackRecord* target = nullptr;
        if (s)
            for (auto& t : s->tracks)
                if (!t.closed && (number == 0xFF || number == 0 || t.number == number)) target = &t;
        if (!target) {
            bool known = number == 0xFF || number == 0;
            for (const auto& ss : m.sessions)
                for (const auto& t : ss.tracks) known |= t.number == number;
            if (!known) return Drive::check(sense::invalid_field_in_cdb);
        } else {
            if (target->recorded == 0 && target->reserved == 0) return Drive::check(sense::empty_reserved_track);
            close_track(m, *target);
        }
    } else if (function == 2) {
        if (s && !s->tracks.empty()) {
            bool finalize = (m.is_cd() || m.is_dvd_minus()) && d.m_page05.multisession != 3;
            // DVD-R DL is single-session (growisofs treats it so): a closed session completes it.
            if (m.medium == P::dvd_r_dl) finalize = true;
            close_session(m, finalize);
        }
    } else {  // 4, 5, 6: close and finalize
        // A blank disc has nothing to finalize: it stays blank (finalizing
        // it dropped its one empty session and left a complete disc with no
        // session at all).
        if (m.blank()) return Drive::check(sense::command_sequence_error);
        close_session(m, true);
    }
    d.m_recording.reset();
    if (!d.m_disc->sync().ok()) return Drive::check(sense::session_fixation_error);
    if (immed) d.set_busy(sense::operation_in_progress, std::chrono::milliseconds(100));
    return Drive::good();
}

CommandReply Handlers::send_cue_sheet(Drive& d, Ctx& c) {
    return d.recording().send_cue_sheet(d.model(), d.m_page05, load_be24(&c.cdb[6]), c.out);
}

CommandReply Handlers::blank(Drive& d, Ctx& c) {
    auto& m = d.model();
    if (!mastering::media::profile_info(m.medium).erasable || m.medium == P::dvd_plus_rw || m.medium == P::bd_re ||
        m.medium == P::dvd_ram)
        return Drive::check(sense::incompatible_medium);
    uint8_t type = c.cdb[1] & 7;
    bool immed = c.cdb[1] & 0x10;
    switch (type) {
    case 0:
    case 1: {
        uint32_t capacity = m.capacity;
        m = media::blank_disc(m.medium, capacity);
        if (!d.m_disc->discard_data().ok()) return Drive::check(sense::write_error);
        break;
    }
    case 5:    // unclose the last session
    case 6: {  // erase the last session
        if (m.profile == P::dvd_rw_ro) return Drive::check(sense::invalid_field_in_cdb);
        // The last recorded session, behind the empty one an appendable disc
        // ends with; none (a blank disc): refused, and nothing changes.
        if (m.blank()) return Drive::check(sense::command_sequence_error);
        if (m.sessions.back().tracks.empty()) m.sessions.pop_back();
        if (type == 5) {
            m.finalized = false;
            m.sessions.back().closed = false;
            break;
        }
        uint32_t start = m.sessions.back().tracks.empty() ? m.sessions.back().start : m.sessions.back().tracks.front().start;
        uint32_t number = m.sessions.back().number;
        m.sessions.back() = {number, false, start, {}};
        m.finalized = false;
        break;
    }
    default:
        return Drive::check(sense::invalid_field_in_cdb);
    }
    d.m_recording.reset();
    if (!d.m_disc->sync().ok()) return Drive::check(sense::write_error);
    if (immed) d.set_busy(sense::operation_in_progress, std::chrono::milliseconds(200));
    return Drive::good();
}

CommandReply Handlers::format_unit(Drive& d, Ctx& c) {
    auto& m = d.model();
    if ((c.cdb[1] & 0x17) != 0x11) return Drive::check(sense::invalid_field_in_cdb);  // FmtData, format code 1
    if (c.out.size() < 12) return Drive::check(sense::parameter_list_length_error);
    const auto* p = reinterpret_cast<const uint8_t*>(c.out.data());
    bool immed = p[1] & 0x02;
    if (load_be16(&p[2]) != 8) return Drive::check(sense::parameter_list_length_error);
    uint32_t blocks = load_be32(&p[4]);
    uint8_t type = p[8] >> 2;
    uint32_t size = (blocks == 0 || blocks == 0xFFFFFFFF || blocks > m.capacity) ? m.capacity : blocks;
    switch (m.medium) {
    case P::dvd_plus_rw:
        if (type != 0x26 && type != 0x00) return Drive::check(sense::invalid_field_in_parameter_list);
        m.formatted = true;
        m.formatted_blocks = m.capacity;
        break;
    case P::dvd_rw:
        if (type != 0x00 && type != 0x10 && type != 0x11 && type != 0x13 && type != 0x15)
            return Drive::check(sense::invalid_field_in_parameter_list);
        m.profile = P::dvd_rw_ro;
        m.formatted = true;
        m.formatted_blocks = (size / 16) * 16;
        m.sessions.clear();
        m.finalized = false;
        break;
    case P::dvd_ram:
        if (type != 0x00) return Drive::check(sense::invalid_field_in_parameter_list);
        m.formatted = true;
        m.formatted_blocks = m.capacity;
        break;
    case P::bd_re:
        if (type != 0x00 && type != 0x30 && type != 0x31) return Drive::check(sense::invalid_field_in_parameter_list);
        m.formatted = true;
        m.formatted_blocks = size;
        break;
    case P::bd_r: {
        // Type 32h with spare areas: subtype 0 SRM+POW, 1 SRM without POW
        // (2, random recording mode, is profile 0042h: not emulated).
        uint8_t subtype = p[8] & 3;
        if (type != 0x00 && type != 0x32) return Drive::check(sense::invalid_field_in_parameter_list);
        if (type == 0x32 && subtype > 1) return Drive::check(sense::invalid_field_in_parameter_list);
        if (!m.blank()) return Drive::check(sense::cannot_format_medium);
        m.pow = type == 0x32 && subtype == 0;
        m.pow_spare = m.pow ? std::min(k_bd_r_spare_blocks, m.capacity / 16) : 0;
        m.pow_replaced = 0;
        break;  // sequential recording: tracks, sessions and NWAs as before
    }
    default:
        return Drive::check(sense::cannot_format_medium);
    }
    if (!d.m_disc->sync().ok()) return Drive::check(sense::write_error);
    if (immed) d.set_busy(sense::format_in_progress, std::chrono::milliseconds(300));
    return Drive::good();
}

CommandReply Handlers::send_opc(Drive&, Ctx&) { return Drive::good(); }

}  // namespace emulator::mmc
