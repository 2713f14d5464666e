// Recording commands: WRITE(10/12), SYNCHRONIZE CACHE, RESERVE TRACK, CLOSE
// TRACK/SESSION, SEND CUE SHEET, BLANK, FORMAT UNIT, SEND OPC — each write
// mode as the profile does it (../spec/mmc-drive.md §2).
#include <algorithm>
#include <cstring>

#include "emulator/mmc/handlers.h"
#include "emulator/mmc/recorder.h"

namespace emulator::mmc {

namespace op = sc::op;
namespace sense = sc::sense;
using P = mastering::media::Profile;
using mastering::media::Family;

namespace {

bool dvd_minus(P medium) { return medium == P::dvd_r || medium == P::dvd_rw || medium == P::dvd_r_dl; }
bool dvd_plus_r(P medium) { return medium == P::dvd_plus_r || medium == P::dvd_plus_r_dl; }

// The spare area a BD-R formatted with spares offers to pseudo-overwrite
// (4,096 clusters of 32 blocks; at most a sixteenth of a small test disc).
constexpr uint32_t k_bd_r_spare_blocks = 4096 * 32;

CommandReply with_info(sc::Sense s, uint64_t lba) {
    s.information = uint32_t(lba);
    return {sc::Status::check_condition, s, 0};
}

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
    uint32_t block = d.m_sao_leadout ? d.m_sao_block : 2048;
    if (c.out.size() < size_t(n) * block) return Drive::check(sense::invalid_field_in_cdb);
    auto& m = d.model();
    if (m.rom || !mastering::media::is_writable(m.profile)) return Drive::check(sense::cannot_write_medium);
    auto data = c.out.first(size_t(n) * 2048);
    std::vector<std::byte> user;  // the user data of larger (XA or raw) sectors
    if (block != 2048) {
        user.resize(size_t(n) * 2048);
        for (uint32_t i = 0; i < n; ++i)
            std::memcpy(user.data() + size_t(i) * 2048, c.out.data() + size_t(i) * block + d.m_sao_user_offset, 2048);
        data = user;
    }

    if (m.overwritable()) {
        if (!m.formatted) return Drive::check(sense::incompatible_medium);
        if (lba < 0 || uint64_t(lba) + n > m.formatted_blocks) return with_info(sense::lba_out_of_range, uint64_t(lba));
        if (m.profile == P::dvd_rw_ro && (lba % 16 || n % 16)) return with_info(sense::invalid_address_for_write, uint64_t(lba));
        if (auto f = d.write_faults(uint64_t(lba), n)) return *f;
        if (!d.m_disc->write(uint64_t(lba), data).ok()) return with_info(sense::write_error, uint64_t(lba));
        d.emulate_speed(n);
        return Drive::good();
    }
    if (m.finalized) return with_info(sense::invalid_address_for_write, uint64_t(lba));

    // BD-R SRM+POW: blocks already recorded are overwritten logically (the
    // drive records the data in replacement blocks and reads them back in
    // their place); what follows them must start at the next writable address.
    if (m.pow && lba >= 0) {
        uint32_t k = uint32_t(first_unreadable(m, uint64_t(lba), n) - uint64_t(lba));
        if (k > 0) {
            if (uint64_t(m.pow_replaced) + k > m.pow_spare) return with_info(sense::no_defect_spare_location, uint64_t(lba));
            if (auto f = d.write_faults(uint64_t(lba), k)) return *f;
            if (!d.m_disc->write(uint64_t(lba), data.first(size_t(k) * 2048)).ok())
                return with_info(sense::write_error, uint64_t(lba));
            m.pow_replaced += k;
            if (!d.m_disc->save_model().ok()) return with_info(sense::write_error, uint64_t(lba));
            d.emulate_speed(k);
            if (k == n) return Drive::good();
            lba += k;
            n -= k;
            data = data.subspan(size_t(k) * 2048);
        }
    }

    // CD session-at-once: the blocks the cue sheet announced, pre-gap first.
    if (d.m_sao_leadout) {
        if (lba != d.m_sao_next) return with_info(sense::invalid_address_for_write, uint64_t(lba));
        TrackRecord* t = open_track(m);
        if (!t) return Drive::check(sense::command_sequence_error);
        if (lba + n > *d.m_sao_leadout) return with_info(sense::end_of_user_area, uint64_t(lba));
        if (auto f = d.write_faults(uint64_t(std::max<int64_t>(lba, 0)), n)) {
            t->damaged = true;
            return *f;
        }
        // Pre-gap blocks carry no user data: only what lies in the track is kept.
        int64_t first_data = std::max<int64_t>(lba, t->start);
        if (first_data < lba + n) {
            auto part = data.subspan(size_t(first_data - lba) * 2048);
            if (!d.m_disc->write(uint64_t(first_data), part).ok()) return with_info(sense::write_error, uint64_t(lba));
            t->recorded = uint32_t(lba + n - t->start);
        }
        d.m_sao_next = lba + n;
        d.emulate_speed(n);
        return Drive::good();
    }

    auto target = lba < 0 ? std::nullopt : write_target(m, uint64_t(lba));
    if (!target) {
        auto nwa = m.next_writable();
        if (nwa && uint64_t(lba) == *nwa) return with_info(sense::end_of_user_area, uint64_t(lba));
        return with_info(sense::invalid_address_for_write, uint64_t(lba));
    }
    if (uint64_t(lba) + n > m.capacity) return with_info(sense::end_of_user_area, uint64_t(lba));
    TrackRecord* t = target->track;
    if (t && t->reserved && t->recorded + n > t->reserved) return with_info(sense::invalid_address_for_write, uint64_t(lba));
    if (target->new_track) {
        auto* s = m.open_session();
        if (dvd_plus_r(m.medium) && !s->tracks.empty())
            return with_info(sense::invalid_address_for_write, uint64_t(lba));  // one track per DVD+R session
        TrackRecord nt;
        nt.number = m.track_count() + 1;
        nt.start = uint32_t(lba);
        nt.tao = m.is_cd();
        s->tracks.push_back(nt);
        t = &s->tracks.back();
    }
    if (auto f = d.write_faults(uint64_t(lba), n)) {
        if (f->sense.key == sc::SenseKey::medium_error && d.m_disc) t->damaged = true;
        return *f;
    }
    if (!d.m_disc->write(uint64_t(lba), data).ok()) return with_info(sense::write_error, uint64_t(lba));
    t->recorded += n;
    d.emulate_speed(n);
    return Drive::good();
}

CommandReply Handlers::synchronize_cache(Drive& d, Ctx& c) {
    auto& m = d.model();
    if (!d.m_disc->sync().ok()) return Drive::check(sense::write_error);
    bool changed = false;
    if (!m.overwritable() && !m.rom && !m.finalized) {
        TrackRecord* t = open_track(m);
        if (d.m_sao_leadout) {
            if (t && t->reserved && t->recorded >= t->reserved) {
                close_session(m, d.m_page05.multisession != 3);
                d.m_sao_leadout.reset();
                changed = true;
            }
        } else if (t && m.is_cd() && t->tao && t->reserved == 0 && t->recorded > 0) {
            close_track(m, *t);  // CD TAO: the track ends with the data (libburn sends no CLOSE TRACK)
            changed = true;
        } else if (t && dvd_minus(m.medium) && d.m_page05.write_type == 2 && t->reserved && t->recorded >= t->reserved) {
            close_session(m, true);  // DVD-R DAO: a single session, closed by the drive
            changed = true;
        }
    }
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
    if (dvd_plus_r(m.medium) && !s->tracks.empty()) return Drive::check(sense::no_more_reservations);
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
            bool finalize = (m.is_cd() || dvd_minus(m.medium)) && d.m_page05.multisession != 3;
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
    d.m_sao_leadout.reset();
    if (!d.m_disc->sync().ok()) return Drive::check(sense::session_fixation_error);
    if (immed) d.set_busy(sense::operation_in_progress, std::chrono::milliseconds(100));
    return Drive::good();
}

CommandReply Handlers::send_cue_sheet(Drive& d, Ctx& c) {
    auto& m = d.model();
    size_t len = load_be24(&c.cdb[6]);
    if (!m.is_cd() || m.rom) return Drive::check(sense::incompatible_medium);
    if (d.m_page05.write_type != 2 && d.m_page05.write_type != 3) return Drive::check(sense::command_sequence_error);
    if (len == 0 || len % 8 || c.out.size() < len) return Drive::check(sense::parameter_list_length_error);
    auto inv = m.invisible_start();
    if (!inv || m.finalized) return Drive::check(sense::command_sequence_error);
    const auto* p = reinterpret_cast<const uint8_t*>(c.out.data());
    std::optional<int32_t> leadout, pregap;
    std::optional<uint8_t> data_form;
    std::vector<std::pair<uint8_t, int32_t>> starts;  // (track number, index 1 LBA)
    for (size_t i = 0; i < len; i += 8) {
        const uint8_t* e = p + i;
        uint8_t adr = e[0] & 0x0F, tno = e[1], index = e[2];
        if (adr != 1) continue;  // MCN / ISRC entries
        int32_t lba = sc::msf_to_lba({e[5], e[6], e[7]});
        if (tno == 0xAA) leadout = lba;
        else if (tno >= 1 && tno <= 99 && index == 1) {
            starts.emplace_back(tno, lba);
            if (!data_form) data_form = e[3];
        }
        else if (tno >= 1 && tno <= 99 && index == 0 && !pregap) pregap = lba;
    }
    if (!leadout || starts.empty() || starts.front().second != int32_t(*inv) || *leadout <= starts.back().second)
        return Drive::check(sense::invalid_field_in_parameter_list);
    // The sector format of the data (MMC "Data Form of Main Data"): mode 1
    // user data, XA mode 2 form 1 with its sub-header, or raw sectors.
    uint32_t block = 2048, offset = 0;
    uint8_t mode = 1;
    switch (data_form.value_or(0x10)) {
    case 0x10: break;
    case 0x11: block = 2352, offset = 16; break;
    case 0x20: block = 2336, offset = 8, mode = 2; break;
    case 0x21: block = 2352, offset = 24, mode = 2; break;
    case 0x00: case 0x01: return Drive::check(sense::invalid_field_in_parameter_list);  // audio: not emulated
    default: break;  // other codes (wodim sends FFh for mode 1 data): 2048-byte user data
    }
    auto* s = m.open_session();
    d.m_sao_first_track = m.track_count() + 1;
    d.m_sao_block = block;
    d.m_sao_user_offset = offset;
    for (size_t i = 0; i < starts.size(); ++i) {
        int32_t end = i + 1 < starts.size() ? starts[i + 1].second : *leadout;
        if (end <= starts[i].second || uint32_t(end) > m.capacity) return Drive::check(sense::invalid_field_in_parameter_list);
        TrackRecord t;
        t.number = m.track_count() + 1;
        t.start = uint32_t(starts[i].second);
        t.reserved = uint32_t(end - starts[i].second);
        t.data_mode = mode;
        s->tracks.push_back(t);
    }
    d.m_sao_leadout = *leadout;
    d.m_sao_next = pregap.value_or(starts.front().second - 150);
    return Drive::good();
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
    d.m_sao_leadout.reset();
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
