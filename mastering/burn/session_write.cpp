// DiscFormatData writing a session: the write mode its profile takes (CD
// TAO or SAO with a cue sheet, DVD-R incremental, DVD+R, BD-R SRM, and
// overwritable media with the head written last), progress, cancel, closing
// the track and session, and verifying.
#include <array>
#include <chrono>
#include <cstring>

#include "mastering/burn/drive_blocks.h"
#include "mastering/burn/format_data.h"
#include "mastering/codec/bytes.h"

namespace mastering::burn {

using media::Profile;
using transport::Direction;

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

Status DiscFormatData::write_head(Profile p, const image::SessionHead& head) {
    std::vector<std::byte> blocks = head.blocks;
    for (uint32_t b = 0; b < image::head_blocks; b += 16)
        DM_TRY(m_rec.must(scsi::cdb::write10(b, 16), Direction::out, std::span(blocks.data() + size_t(b) * 2048, 16 * 2048)));
    if (!head.anchor.empty()) {
        // A DVD-RW in restricted overwrite takes whole ECC blocks of 16 only.
        uint16_t unit = p == Profile::dvd_rw_ro ? 16 : 1;
        std::vector<std::byte> a(size_t(unit) * 2048);
        if (unit > 1) DM_TRY(m_rec.must(scsi::cdb::read10(image::udf_anchor_lba, unit), Direction::in, a));
        std::copy(head.anchor.begin(), head.anchor.end(), a.begin());
        DM_TRY(m_rec.must(scsi::cdb::write10(image::udf_anchor_lba, unit), Direction::out, a));
    }
    DM_TRY(m_rec.must(scsi::cdb::synchronize_cache(), Direction::none, {}, std::chrono::minutes(10)));
    return {};
}

void DiscFormatData::set_speed(const MediaInfo& m, uint16_t kbs) {
    if (is_cd(m.profile)) {
        (void)m_rec.command(scsi::cdb::set_cd_speed(0xFFFF, kbs));
        return;
    }
    std::vector<uint8_t> d(28, 0);
    codec::store_be32(&d[8], uint32_t(m.capacity ? m.capacity - 1 : 0));
    codec::store_be32(&d[12], 0xFFFFFFFF / 2);
    codec::store_be32(&d[16], 1000);
    codec::store_be32(&d[20], kbs);
    codec::store_be32(&d[24], 1000);
    (void)m_rec.command(scsi::cdb::set_streaming(28), Direction::out,
                        std::span(reinterpret_cast<std::byte*>(d.data()), d.size()));
}

Status DiscFormatData::write_data(const MediaInfo& m, uint32_t start, uint32_t blocks, uint32_t total,
                                  const Producer& produce, const WriteOptions& o) {
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
            if (writes % 64 == 0) prog.buffer_percent = buffer_fill().value_or(prog.buffer_percent);
            o.progress(prog);
        }
    }
    return {};
}

std::optional<uint32_t> DiscFormatData::buffer_fill() {
    std::vector<std::byte> bc(12);
    auto r = m_rec.command(scsi::cdb::read_buffer_capacity(12), Direction::in, bc);
    if (r.ok() && r->good())
        if (auto b = scsi::decode_buffer_capacity(r->data); b.ok() && b->size)
            return uint32_t(100 - uint64_t(b->free) * 100 / b->size);
    return std::nullopt;
}

Status DiscFormatData::close_written(Profile p, uint32_t start, bool sao, bool close_disc) {
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
    if (close_disc && !is_cd(p) && !dvd_minus(p))
        DM_TRY(m_rec.must(scsi::cdb::close_track_session(p == Profile::bd_r ? 6 : 5, 0), Direction::none, {},
                          std::chrono::minutes(10)));
    return {};
}

Status DiscFormatData::verify(uint32_t start, uint32_t blocks, const Producer& produce) {
    std::vector<std::byte> want(size_t(k_unit) * 2048), got(size_t(k_unit) * 2048);
    for (uint32_t done = 0; done < blocks;) {
        uint32_t n = std::min(k_unit, blocks - done);
        DM_TRY(produce(uint64_t(done) * 2048, std::span(want.data(), size_t(n) * 2048)));
        DM_TRY(m_rec.must(scsi::cdb::read10(start + done, uint16_t(n)), Direction::in, std::span(got.data(), size_t(n) * 2048)));
        for (uint32_t k = 0; k < n; ++k)
            if (std::memcmp(want.data() + size_t(k) * 2048, got.data() + size_t(k) * 2048, 2048) != 0)
                return make_error(Errc::device, m_rec.address() + ": verify failed: block " +
                                                    std::to_string(start + done + k) + " reads back different data");
        done += n;
    }
    return {};
}

Result<WriteResult> DiscFormatData::write_blocks(const MediaInfo& m, uint32_t start, uint32_t blocks,
                                                 const Producer& produce, const image::SessionHead* head,
                                                 const WriteOptions& o) {
    Profile p = m.profile;
    if (m.overwritable) DM_TRY(prepare_overwritable(m));
    if (o.speed_kbs) set_speed(m, o.speed_kbs);
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
    DM_TRY(write_data(m, start, blocks, total, produce, o));
    DM_TRY(m_rec.must(scsi::cdb::synchronize_cache(), Direction::none, {}, std::chrono::minutes(10)));
    if (sao) DM_TRY(m_rec.wait_ready());  // the drive writes the lead-out and closes the session itself
    WriteResult res;
    res.start = start;
    res.blocks = total;
    if (m.overwritable) {
        // The head last: only now does the new session exist.
        if (head) DM_TRY(write_head(p, *head));
        if (p == Profile::dvd_plus_rw) (void)m_rec.command(scsi::cdb::close_track_session(2, 0), Direction::none, {}, std::chrono::minutes(10));
    } else {
        DM_TRY(close_written(p, start, sao, o.close_disc));
        res.closed = o.close_disc;
    }
    if (o.verify) {
        DM_TRY(verify(start, blocks, produce));
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
    std::optional<image::SessionHead> head;
    if (m.overwritable) {
        DriveBlocks before(m_rec, m.capacity);
        head = DM_TRY(image::session_head(stream, before, m.toc));
    }
    auto res = DM_TRY(write_blocks(m, start, stream.block_count(),
                                   [&](uint64_t off, std::span<std::byte> out) -> Status {
                                       size_t n = DM_TRY(stream.read_at(off, out));
                                       if (n != out.size()) return make_error(Errc::internal, "the image stream ended early");
                                       return {};
                                   },
                                   head ? &*head : nullptr, o));
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

}  // namespace mastering::burn
