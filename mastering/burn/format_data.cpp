#include "mastering/burn/format_data.h"

#include <array>
#include <chrono>
#include <cstring>

#include "mastering/codec/bytes.h"
#include "mastering/image/image_file.h"
#include "mastering/udf/descriptors.h"

namespace mastering::burn {

namespace op = scsi::op;
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

constexpr uint32_t k_unit = 32;  // blocks per WRITE: 64 KiB

bool is_cd(Profile p) { return media::profile_info(p).family == media::Family::cd; }
bool dvd_minus(Profile p) { return p == Profile::dvd_r || p == Profile::dvd_rw || p == Profile::dvd_r_dl; }

// Reads blocks of the recorder's medium with READ(10).
class DriveBlocks final : public media::SectorSource {
public:
    DriveBlocks(DiscRecorder& r, uint64_t blocks) : m_rec(r), m_blocks(blocks) {}
    Status read_blocks(uint64_t lba, std::span<std::byte> out) override {
        uint64_t n = out.size() / 2048;
        for (uint64_t done = 0; done < n;) {
            uint32_t k = uint32_t(std::min<uint64_t>(k_unit, n - done));
            auto chunk = out.subspan(size_t(done) * 2048, size_t(k) * 2048);
            DM_TRY(m_rec.must(scsi::cdb::read10(uint32_t(lba + done), uint16_t(k)), Direction::in, chunk));
            done += k;
        }
        return {};
    }
    uint64_t block_count() const override { return m_blocks; }
    std::string describe() const override { return m_rec.address(); }
    void set_block_count(uint64_t n) { m_blocks = n; }

private:
    DiscRecorder& m_rec;
    uint64_t m_blocks;
};

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
Status DiscFormatData::send_cue_sheet(uint32_t start, uint32_t blocks) {
    std::vector<std::byte> tib(48);
    auto r = DM_TRY(m_rec.must(scsi::cdb::read_track_information(1, 0xFF, 48), Direction::in, tib));
    auto ti = DM_TRY(scsi::decode_track_information(r.data));
    auto entry = [](uint8_t tno, uint8_t index, uint8_t form, int32_t lba) {
        scsi::Msf m = scsi::lba_to_msf(lba);
        return std::array<uint8_t, 8>{0x41, tno, index, form, 0, m.m, m.s, m.f};
    };
    uint8_t tno = uint8_t(ti.track);
    std::vector<uint8_t> cue = {0x41, 0x00, 0x00, 0x14, 0, 0, 0, 0};  // lead-in
    for (const auto& e : {entry(tno, 0, 0x10, int32_t(start) - 150), entry(tno, 1, 0x10, int32_t(start)),
                          entry(0xAA, 1, 0x14, int32_t(start + blocks))})
        cue.insert(cue.end(), e.begin(), e.end());
    DM_TRY(m_rec.must(scsi::cdb::send_cue_sheet(uint32_t(cue.size())), Direction::out,
                      std::span(reinterpret_cast<std::byte*>(cue.data()), cue.size())));
    // The pre-gap: 150 blocks of zeros before the data.
    std::vector<std::byte> gap(size_t(30) * 2048);
    for (int32_t lba = int32_t(start) - 150; lba < int32_t(start); lba += 30)
        DM_TRY(m_rec.must(scsi::cdb::write10(uint32_t(lba), 30), Direction::out, gap));
    return {};
}

Status DiscFormatData::select_write_parameters(Profile p, uint8_t cd_write_type, uint8_t multisession, bool bufe) {
    scsi::WriteParameters w;
    w.multisession = multisession;
    w.bufe = bufe;
    if (is_cd(p)) {
        w.write_type = cd_write_type;
    } else {
        w.write_type = 0;  // incremental
        w.ls_v = true;
        w.link_size = 16;
        w.fixed_packet = true;
        w.packet_size = 16;
        w.track_mode = 5;
    }
    auto page = scsi::mode_sense10_reply(scsi::encode_write_parameters(w));
    page[0] = page[1] = 0;
    DM_TRY(m_rec.must(scsi::cdb::mode_select10(uint16_t(page.size())), Direction::out,
                      std::span(reinterpret_cast<std::byte*>(page.data()), page.size())));
    return {};
}

Status DiscFormatData::close_incomplete_session(const MediaInfo& m) {
    // An interrupted burn left an open track: close it as libburn does before appending.
    if (is_cd(m.profile) || dvd_minus(m.profile)) DM_TRY(select_write_parameters(m.profile, 1, 3, false));
    DM_TRY(m_rec.command(scsi::cdb::close_track_session(1, 0xFF)));
    DM_TRY(m_rec.must(scsi::cdb::close_track_session(2, 0), Direction::none, {}, std::chrono::minutes(10)));
    return {};
}

Status DiscFormatData::prepare_overwritable(const MediaInfo& m) {
    if (m.formatted) return {};
    uint8_t type = m.profile == Profile::dvd_plus_rw ? 0x26 : m.profile == Profile::dvd_rw ? 0x15 : 0x00;
    std::vector<uint8_t> plist(12, 0);
    plist[1] = 0x02;  // Immed: poll until done
    codec::store_be16(&plist[2], 8);
    codec::store_be32(&plist[4], type == 0x15 ? 0 : 0xFFFFFFFF);
    plist[8] = uint8_t(type << 2);
    DM_TRY(m_rec.must(scsi::cdb::format_unit(), Direction::out,
                      std::span(reinterpret_cast<std::byte*>(plist.data()), plist.size())));
    return m_rec.wait_ready(std::chrono::minutes(30));
}

Result<WriteResult> DiscFormatData::write_blocks(const MediaInfo& m, uint32_t start, uint32_t blocks,
                                                 const std::function<Status(uint64_t, std::span<std::byte>)>& produce,
                                                 const std::vector<std::byte>* superblock, const WriteOptions& o,
                                                 const std::vector<std::byte>* anchor256) {
    Profile p = m.profile;
    if (m.overwritable) DM_TRY(prepare_overwritable(m));
    if (o.speed_kbs) {
        if (is_cd(p)) (void)m_rec.command(scsi::cdb::set_cd_speed(0xFFFF, o.speed_kbs));
        else {
            std::vector<uint8_t> d(28, 0);
            codec::store_be32(&d[8], uint32_t(m.capacity ? m.capacity - 1 : 0));
            codec::store_be32(&d[12], 0xFFFFFFFF / 2);
            codec::store_be32(&d[16], 1000);
            codec::store_be32(&d[20], o.speed_kbs);
            codec::store_be32(&d[24], 1000);
            (void)m_rec.command(scsi::cdb::set_streaming(28), Direction::out,
                                std::span(reinterpret_cast<std::byte*>(d.data()), d.size()));
        }
    }
    if (!m.overwritable && (is_cd(p) || dvd_minus(p)))
        DM_TRY(select_write_parameters(p, o.session_at_once ? 2 : 1, o.close_disc ? 0 : 3, true));  // SAO or TAO
    (void)m_rec.command(scsi::cdb::prevent_allow(true));
    struct Unlock {
        DiscRecorder& r;
        ~Unlock() { (void)r.command(scsi::cdb::prevent_allow(false)); }
    } unlock{m_rec};

    // A CD track is at least 300 blocks (4 seconds): short sessions are padded.
    uint32_t total = is_cd(p) && !m.overwritable ? std::max<uint32_t>(blocks, 300) : blocks;
    bool sao = o.session_at_once && is_cd(p) && !m.overwritable;
    if (sao) DM_TRY(send_cue_sheet(start, total));
    std::vector<std::byte> buf(size_t(k_unit) * 2048);
    auto t0 = std::chrono::steady_clock::now();
    WriteProgress prog;
    prog.sectors_total = total;
    uint32_t writes = 0;
    for (uint32_t done = 0; done < total;) {
        if (o.cancel && *o.cancel)
            return make_error(Errc::cancelled, m_rec.address() + ": cancelled after " + std::to_string(done) +
                                                   " blocks; " +
                                                   (m.overwritable ? "the disc still shows its previous session"
                                                                   : "the earlier sessions are intact, the interrupted one "
                                                                     "is closed by the next burn"));
        uint32_t n = std::min(k_unit, total - done);
        auto chunk = std::span(buf.data(), size_t(n) * 2048);
        uint32_t from_stream = done < blocks ? std::min(n, blocks - done) : 0;
        if (from_stream) DM_TRY(produce(uint64_t(done) * 2048, chunk.first(size_t(from_stream) * 2048)));
        if (from_stream < n) std::memset(chunk.data() + size_t(from_stream) * 2048, 0, size_t(n - from_stream) * 2048);
        DM_TRY(m_rec.must(scsi::cdb::write10(start + done, uint16_t(n)), Direction::out, chunk));
        done += n;
        if (o.progress && (++writes % 16 == 0 || done == total)) {
            prog.sectors = done;
            prog.bytes = uint64_t(done) * 2048;
            prog.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            prog.eta_seconds = prog.seconds / done * (total - done);
            if (writes % 64 == 0) {
                std::vector<std::byte> bc(12);
                auto r = m_rec.command(scsi::cdb::read_buffer_capacity(12), Direction::in, bc);
                if (r.ok() && r->good())
                    if (auto b = scsi::decode_buffer_capacity(r->data); b.ok() && b->size)
                        prog.buffer_percent = uint32_t(100 - uint64_t(b->free) * 100 / b->size);
            }
            o.progress(prog);
        }
    }
    DM_TRY(m_rec.must(scsi::cdb::synchronize_cache(), Direction::none, {}, std::chrono::minutes(10)));
    if (sao) DM_TRY(m_rec.wait_ready());  // the drive writes the lead-out and closes the session itself
    WriteResult res;
    res.start = start;
    res.blocks = total;
    if (m.overwritable) {
        // The descriptors at LBA 0–31 last: only now does the new session exist.
        if (superblock) {
            std::vector<std::byte> sb = *superblock;
            for (uint32_t b = 0; b < 32; b += 16)
                DM_TRY(m_rec.must(scsi::cdb::write10(b, 16), Direction::out, std::span(sb.data() + size_t(b) * 2048, 16 * 2048)));
            if (anchor256) {
                // UDF: block 256 points at the newest session, as LBA 0-31 do for ISO 9660.
                // A DVD-RW in restricted overwrite takes whole ECC blocks of 16 only.
                uint16_t unit = p == Profile::dvd_rw_ro ? 16 : 1;
                std::vector<std::byte> a(size_t(unit) * 2048);
                if (unit > 1) DM_TRY(m_rec.must(scsi::cdb::read10(256, unit), Direction::in, a));
                std::copy(anchor256->begin(), anchor256->end(), a.begin());
                DM_TRY(m_rec.must(scsi::cdb::write10(256, unit), Direction::out, a));
            }
            DM_TRY(m_rec.must(scsi::cdb::synchronize_cache(), Direction::none, {}, std::chrono::minutes(10)));
        }
        if (p == Profile::dvd_plus_rw) (void)m_rec.command(scsi::cdb::close_track_session(2, 0), Direction::none, {}, std::chrono::minutes(10));
    } else {
        if (!is_cd(p)) {
            // The track just written, by its logical number.
            std::vector<std::byte> tib(48);
            auto r = DM_TRY(m_rec.command(scsi::cdb::read_track_information(0, start, 48), Direction::in, tib));
            if (r.good())
                if (auto ti = scsi::decode_track_information(r.data); ti.ok())
                    DM_TRY(m_rec.must(scsi::cdb::close_track_session(1, ti->track), Direction::none, {},
                                      std::chrono::minutes(10)));
        }
        if (!sao) DM_TRY(m_rec.must(scsi::cdb::close_track_session(2, 0), Direction::none, {}, std::chrono::minutes(10)));
        if (o.close_disc && !is_cd(p) && !dvd_minus(p))
            DM_TRY(m_rec.must(scsi::cdb::close_track_session(p == Profile::bd_r ? 6 : 5, 0), Direction::none, {},
                              std::chrono::minutes(10)));
        res.closed = o.close_disc;
    }
    if (o.verify) {
        std::vector<std::byte> want(size_t(k_unit) * 2048), got(size_t(k_unit) * 2048);
        for (uint32_t done = 0; done < blocks;) {
            uint32_t n = std::min(k_unit, blocks - done);
            DM_TRY(produce(uint64_t(done) * 2048, std::span(want.data(), size_t(n) * 2048)));
            DM_TRY(m_rec.must(scsi::cdb::read10(start + done, uint16_t(n)), Direction::in, std::span(got.data(), size_t(n) * 2048)));
            if (std::memcmp(want.data(), got.data(), size_t(n) * 2048) != 0) {
                for (uint32_t k = 0; k < n; ++k)
                    if (std::memcmp(want.data() + size_t(k) * 2048, got.data() + size_t(k) * 2048, 2048) != 0)
                        return make_error(Errc::device, m_rec.address() + ": verify failed: block " +
                                                            std::to_string(start + done + k) + " reads back different data");
            }
            done += n;
        }
        res.verified = true;
    }
    return res;
}

Result<WriteResult> DiscFormatData::write(image::ImageStream& stream, const WriteOptions& o) {
    uint32_t start = DM_TRY(next_session_start());
    auto m = DM_TRY(media());
    if (stream.start_block() != start)
        return make_error(Errc::internal, "the session was laid out for block " + std::to_string(stream.start_block()) +
                                              " but the disc's next writable address is " + std::to_string(start));
    uint64_t need = stream.block_count() + (is_cd(m.profile) && !m.overwritable ? 2 : 0);
    if (need > m.free_blocks)
        return make_error(Errc::no_space, m_rec.address() + ": not enough space: the session needs " + std::to_string(need) +
                                              " blocks, the disc has " + std::to_string(m.free_blocks) + " free");
    std::vector<std::byte> sb, anchor;
    if (m.overwritable) {
        sb = stream.superblock(start + stream.block_count());
        // A UDF anchor at block 256 from an earlier session is pointed at this one.
        anchor = stream.udf_image_anchor();
        if (!anchor.empty() && start > 256) {
            std::vector<std::byte> old(2048);
            auto r = m_rec.command(scsi::cdb::read10(256, 1), Direction::in, old);
            if (!r.ok() || !r->good() || !udf::is_anchor(old, 256)) anchor.clear();
        } else {
            anchor.clear();  // a first session carries its own
        }
    }
    auto res = DM_TRY(write_blocks(m, start, stream.block_count(),
                                   [&](uint64_t off, std::span<std::byte> out) -> Status {
                                       size_t n = DM_TRY(stream.read_at(off, out));
                                       if (n != out.size()) return make_error(Errc::internal, "the image stream ended early");
                                       return {};
                                   },
                                   m.overwritable ? &sb : nullptr, o, anchor.empty() ? nullptr : &anchor));
    res.session_number = uint32_t(m.toc.sessions.size() + 1);
    return res;
}

Result<WriteResult> DiscFormatData::write_image(media::SectorSource& image, const WriteOptions& o) {
    auto m = DM_TRY(media());
    if (m.state == MediaState::no_medium) return make_error(Errc::no_medium, m_rec.address() + ": no medium in the drive");
    if (m.state == MediaState::closed)
        return make_error(Errc::unsupported, m_rec.address() + ": the disc is closed: multisession is not possible on this disc");
    if (m.state != MediaState::blank)
        return make_error(Errc::invalid_argument, m_rec.address() + ": an image file goes onto a blank disc only; "
                                                                   "use --from to add a session to this one");
    uint32_t start = m.overwritable ? 0 : m.next_writable.value_or(0);
    uint64_t blocks = image.block_count();
    uint64_t free = m.overwritable ? m.capacity : m.free_blocks;
    if (blocks > free)
        return make_error(Errc::no_space, m_rec.address() + ": not enough space: the image has " + std::to_string(blocks) +
                                              " blocks, the disc has " + std::to_string(free) + " free");
    auto res = DM_TRY(write_blocks(m, start, uint32_t(blocks),
                                   [&](uint64_t off, std::span<std::byte> out) { return image.read_blocks(off / 2048, out); },
                                   nullptr, o));
    res.session_number = 1;
    return res;
}

namespace {
class DriveMedium final : public media::Medium {
public:
    explicit DriveMedium(std::unique_ptr<DiscRecorder> r) : m_owned(std::move(r)), m_rec(m_owned.get()), m_blocks(*m_rec, 0) {}
    explicit DriveMedium(DiscRecorder& r) : m_rec(&r), m_blocks(*m_rec, 0) {}
    Status read_blocks(uint64_t lba, std::span<std::byte> out) override { return m_blocks.read_blocks(lba, out); }
    uint64_t block_count() const override { return m_count; }
    std::string describe() const override { return m_rec->address(); }
    Result<media::Toc> toc() override {
        DiscFormatData f(*m_rec);
        auto m = DM_TRY(f.media());
        if (m.state == MediaState::no_medium) return make_error(Errc::no_medium, m_rec->address() + ": no medium in the drive");
        return m.toc;
    }
    Status init() {
        DiscFormatData f(*m_rec);
        auto m = DM_TRY(f.media());
        if (m.state == MediaState::no_medium) return make_error(Errc::no_medium, m_rec->address() + ": no medium in the drive");
        for (const auto& s : m.toc.sessions) m_count = std::max<uint64_t>(m_count, uint64_t(s.start) + s.size);
        if (m.overwritable) m_count = m.capacity;
        m_blocks.set_block_count(m_count);
        return {};
    }

private:
    std::unique_ptr<DiscRecorder> m_owned;
    DiscRecorder* m_rec;
    DriveBlocks m_blocks;
    uint64_t m_count = 0;
};
}  // namespace

Result<std::shared_ptr<media::Medium>> open_drive_medium(const std::string& address) {
    auto rec = DM_TRY(DiscRecorder::open(address));
    auto m = std::make_shared<DriveMedium>(std::move(rec));
    DM_TRY(m->init());
    return std::shared_ptr<media::Medium>(m);
}

Result<std::shared_ptr<media::Medium>> drive_medium(DiscRecorder& recorder) {
    auto m = std::make_shared<DriveMedium>(recorder);
    DM_TRY(m->init());
    return std::shared_ptr<media::Medium>(m);
}

}  // namespace mastering::burn
