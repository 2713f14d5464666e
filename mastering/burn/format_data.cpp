// DiscFormatData's view of the medium: its profile, state, sessions (from
// the drive's TOC, or on overwritable media the chain of ISO 9660 sessions),
// capacity and next writable address; and where a new session would start.
#include "mastering/burn/format_data.h"

#include "mastering/burn/drive_blocks.h"
#include "mastering/image/image_file.h"

namespace mastering::burn {

using media::Profile;
using transport::Direction;

std::string_view to_string(MediaState s) {
    switch (s) {
    case MediaState::no_medium: return "no medium";
    case MediaState::blank: return "blank";
    case MediaState::appendable: return "appendable";
    case MediaState::closed: return "closed";
    case MediaState::unsupported: return "unsupported";
    }
    return "?";
}

namespace {

media::Toc sequential_toc(DiscRecorder& rec, const scsi::DiscInformation& di, Profile p, bool closed) {
    media::Toc t;
    t.profile = p;
    uint32_t last_track = di.last_track_last_session;
    for (uint32_t n = di.first_track; n >= 1 && n <= last_track; ++n) {
        std::vector<std::byte> buf(48);
        auto r = rec.command(scsi::cdb::read_track_information(1, n, 48), Direction::in, buf);
        if (!r.ok() || !r->good()) break;
        auto ti = scsi::decode_track_information(r->data);
        if (!ti.ok() || ti->blank) continue;  // the invisible track
        if (t.sessions.empty() || t.sessions.back().number != ti->session) {
            media::Session s;
            s.number = ti->session;
            s.start = ti->start;
            t.sessions.push_back(s);
        }
        media::Track tr;
        tr.number = ti->track;
        tr.session = ti->session;
        tr.start = ti->start;
        tr.size = ti->size;
        tr.recorded = ti->lra_valid ? ti->last_recorded - ti->start + 1 : 0;
        tr.state = ti->nwa_valid ? (ti->reserved ? media::TrackState::reserved : media::TrackState::incomplete)
                                 : media::TrackState::complete;
        if (tr.state != media::TrackState::complete) tr.size = tr.recorded;
        if (ti->nwa_valid) tr.next_writable = ti->next_writable;
        auto& s = t.sessions.back();
        s.tracks.push_back(tr);
        s.size = tr.start + tr.size - s.start;
    }
    for (auto& s : t.sessions) {
        bool open = !closed && &s == &t.sessions.back() && (di.last_session_state == 1 || di.last_session_state == 2);
        s.state = open ? media::SessionState::incomplete : media::SessionState::complete;
    }
    return t;
}

}  // namespace

bool DiscFormatData::is_cd(Profile p) { return media::profile_info(p).family == media::Family::cd; }
bool DiscFormatData::dvd_minus(Profile p) { return p == Profile::dvd_r || p == Profile::dvd_rw || p == Profile::dvd_r_dl; }

// Overwritable media: capacity from READ FORMAT CAPACITIES, sessions from the
// chain of ISO 9660 sessions on the disc (as on an image file).
Status DiscFormatData::overwritable_media(MediaInfo& m, const scsi::DiscInformation& di) {
    m.overwritable = true;
    m.formatted = di.disc_status != 0;
    auto fc = DM_TRY(m_rec.query(scsi::cdb::read_format_capacities(252), 252));
    auto caps = DM_TRY(scsi::decode_format_capacities(fc.data));
    m.capacity = caps.current.blocks;
    if (!m.formatted && !caps.formattable.empty()) m.capacity = caps.formattable.front().blocks;
    m.toc.capacity = m.capacity;
    m.state = MediaState::blank;
    m.next_writable = image::first_session_lba;
    if (m.formatted) {
        DriveBlocks blocks(m_rec, m.capacity);
        auto t = image::emulate_toc(blocks);
        if (t.ok() && !t->sessions.empty()) {
            m.toc.sessions = t->sessions;
            m.state = MediaState::appendable;
            m.next_writable = t->next_writable;
            m.last_session_start = t->sessions.back().start;
        }
    }
    m.toc.state = m.state == MediaState::blank ? media::DiscState::blank : media::DiscState::appendable;
    m.toc.next_writable = m.next_writable;
    m.free_blocks = m.capacity > *m.next_writable ? m.capacity - *m.next_writable : 0;
    m.toc.free_blocks = m.free_blocks;
    return {};
}

Result<MediaInfo> DiscFormatData::media() {
    MediaInfo m;
    auto tur = DM_TRY(m_rec.command(scsi::cdb::test_unit_ready()));
    if (!tur.good() && tur.sense && tur.sense->asc == 0x3A) return m;
    m.profile = DM_TRY(m_rec.current_profile());
    if (m.profile == Profile::none) return m;
    auto dib = DM_TRY(m_rec.query(scsi::cdb::read_disc_information(34), 34));
    auto di = DM_TRY(scsi::decode_disc_information(dib.data));
    m.erasable = di.erasable;
    m.toc.profile = m.profile;
    if (!media::is_writable(m.profile)) {
        m.state = MediaState::closed;
        auto cap = DM_TRY(m_rec.query(scsi::cdb::read_capacity(), 8));
        auto rc = DM_TRY(scsi::decode_read_capacity(cap.data));
        m.capacity = uint64_t(rc.last_lba) + 1;
        media::Session s{1, 0, uint32_t(m.capacity), media::SessionState::complete, {}};
        s.tracks.push_back({1, 1, 0, uint32_t(m.capacity), media::TrackState::complete, true, uint32_t(m.capacity), {}});
        m.toc.sessions.push_back(s);
        m.toc.state = media::DiscState::complete;
        m.toc.capacity = m.capacity;
        m.last_session_start = 0;
        return m;
    }
    if (media::is_overwritable(m.profile)) {
        DM_TRY(overwritable_media(m, di));
        return m;
    }
    m.state = di.disc_status == 0 ? MediaState::blank : di.disc_status == 1 ? MediaState::appendable
              : di.disc_status == 2                  ? MediaState::closed
                                                     : MediaState::unsupported;
    m.last_session_incomplete = di.last_session_state == 1 || di.last_session_state == 2;
    m.toc = sequential_toc(m_rec, di, m.profile, m.state == MediaState::closed);
    if (m.state != MediaState::closed) {
        std::vector<std::byte> buf(48);
        auto r = DM_TRY(m_rec.command(scsi::cdb::read_track_information(1, 0xFF, 48), Direction::in, buf));
        if (r.good()) {
            auto ti = DM_TRY(scsi::decode_track_information(r.data));
            if (ti.nwa_valid) {
                // The blank track's start is where the next session's data
                // begins; a CD drive left in session-at-once mode reports its
                // pre-gap (150 blocks earlier) as the next writable address.
                m.next_writable = ti.blank && is_cd(m.profile) ? ti.start : ti.next_writable;
                m.free_blocks = ti.free_blocks;
            }
        }
    }
    for (auto it = m.toc.sessions.rbegin(); it != m.toc.sessions.rend(); ++it)
        if (it->state == media::SessionState::complete) {
            m.last_session_start = it->start;
            break;
        }
    m.capacity = m.next_writable ? uint64_t(*m.next_writable) + m.free_blocks : 0;
    if (!m.next_writable && !m.toc.sessions.empty()) m.capacity = m.toc.sessions.back().start + m.toc.sessions.back().size;
    m.toc.capacity = m.capacity;
    m.toc.next_writable = m.next_writable;
    m.toc.free_blocks = m.free_blocks;
    m.toc.state = m.state == MediaState::blank ? media::DiscState::blank
                  : m.state == MediaState::appendable ? media::DiscState::appendable
                                                      : media::DiscState::complete;
    return m;
}

Result<uint32_t> DiscFormatData::next_session_start() {
    auto m = DM_TRY(media());
    if (m.state == MediaState::no_medium) return make_error(Errc::no_medium, m_rec.address() + ": no medium in the drive");
    if (m.state == MediaState::closed)
        return make_error(Errc::unsupported, m_rec.address() + ": the disc is closed: multisession is not possible on this disc");
    if (m.last_session_incomplete) {
        DM_TRY(close_incomplete_session(m));
        m = DM_TRY(media());
    }
    if (!m.next_writable) return make_error(Errc::device, m_rec.address() + ": the drive reports no writable address");
    return *m.next_writable;
}

// Session at once on CD: a cue sheet with the lead-in, the track's pre-gap
// (index 0, 150 blocks before the data), its data (index 1) and the lead-out;
// then the initiator writes from the pre-gap on. Mode 1 data, 2048 bytes.
Status DiscFormatData::close_incomplete_session(const MediaInfo& m) {
    // An interrupted burn left an open track: close it as libburn does before appending.
    if (is_cd(m.profile) || dvd_minus(m.profile)) DM_TRY(select_write_parameters(m.profile, 1, 3, false));
    DM_TRY(m_rec.command(scsi::cdb::close_track_session(1, 0xFF)));
    DM_TRY(m_rec.must(scsi::cdb::close_track_session(2, 0), Direction::none, {}, std::chrono::minutes(10)));
    return {};
}

}  // namespace mastering::burn
