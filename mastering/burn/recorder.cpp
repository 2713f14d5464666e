#include "mastering/burn/recorder.h"

#include <cstdio>
#include <thread>

#include "mastering/codec/bytes.h"

namespace mastering::burn {

namespace op = scsi::op;
using transport::Direction;

std::string explain(uint8_t opcode, const scsi::Sense& s) {
    char lba[48] = "";
    if (s.information) std::snprintf(lba, sizeof lba, " at block %u", *s.information);
    std::string what;
    using K = scsi::SenseKey;
    if (s.key == K::not_ready && s.asc == 0x3A) what = "no medium in the drive";
    else if (s.key == K::not_ready && s.asc == 0x04) what = "the drive is not ready";
    else if (s.key == K::unit_attention && s.asc == 0x28) what = "the medium was changed";
    else if (s.key == K::unit_attention && s.asc == 0x29) what = "the drive was reset or lost power";
    else if (s.key == K::medium_error && s.asc == 0x0C && s.ascq == 0x09) what = std::string("buffer underrun while writing") + lba;
    else if (s.key == K::medium_error && s.asc == 0x0C) what = std::string("write error") + lba;
    else if (s.key == K::medium_error && s.asc == 0x11) what = std::string("read error") + lba;
    else if (s.key == K::medium_error && s.asc == 0x72) what = "the drive could not close the session";
    else if (s.key == K::illegal_request && s.asc == 0x63) what = "not enough space on the disc";
    else if (s.key == K::illegal_request && s.asc == 0x21 && s.ascq == 0x02)
        what = std::string("the drive refused the write address") + lba + " (the disc is closed or was changed)";
    else if (s.key == K::illegal_request && s.asc == 0x21) what = std::string("block out of range") + lba;
    else if (s.key == K::illegal_request && s.asc == 0x30 && s.ascq == 0x05) what = "this disc cannot be written";
    else if (s.key == K::illegal_request && s.asc == 0x30) what = "the medium does not support this operation";
    else if (s.key == K::illegal_request && s.asc == 0x20) what = "the drive does not support this command";
    else if (s.key == K::illegal_request && s.asc == 0x53) what = "medium removal is prevented";
    else if (s.key == K::data_protect) what = "the disc is write protected";
    else what = scsi::describe(s);
    return std::string(scsi::op_name(opcode)) + ": " + what;
}

Errc errc_for(const scsi::Sense& s) {
    if (s.key == scsi::SenseKey::not_ready && s.asc == 0x3A) return Errc::no_medium;
    if (s.key == scsi::SenseKey::illegal_request && s.asc == 0x63) return Errc::no_space;
    return Errc::device;
}

Result<std::unique_ptr<DiscRecorder>> DiscRecorder::open(const std::string& address, bool exclusive) {
    transport::OpenOptions o;
    o.exclusive = exclusive;
    auto t = DM_TRY(transport::open_transport(address, o));
    std::unique_ptr<DiscRecorder> r(new DiscRecorder);
    r->m_address = address;
    r->m_transport = std::move(t);
    DM_TRY(r->identify());
    return r;
}

Result<Reply> DiscRecorder::command(const scsi::Cdb& cdb, Direction dir, std::span<std::byte> data,
                                    std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    int attentions = 0;
    for (;;) {
        transport::Command c(cdb.bytes(), dir, data);
        c.timeout = timeout;
        DM_TRY(m_transport->execute(c));
        Reply r;
        r.status = c.status;
        r.sense = c.decoded_sense();
        r.transferred = c.transferred;
        if (dir == Direction::in) r.data.assign(reinterpret_cast<const uint8_t*>(data.data()),
                                                reinterpret_cast<const uint8_t*>(data.data()) + c.transferred);
        if (r.status == scsi::Status::check_condition && r.sense) {
            const auto& s = *r.sense;
            bool ua = s.key == scsi::SenseKey::unit_attention && (s.asc == 0x28 || s.asc == 0x29 || s.asc == 0x2A);
            bool busy = s.key == scsi::SenseKey::not_ready && s.asc == 0x04 &&
                        (s.ascq == 0x01 || s.ascq == 0x04 || s.ascq == 0x07 || s.ascq == 0x08);
            // A reset, power loss or medium change in the middle of writing
            // means what was written may be gone: a write is never retried
            // after one (queries are: the attention only reports the change).
            uint8_t op = cdb.b[0];
            bool writing = op == scsi::op::write10 || op == scsi::op::write12 || op == scsi::op::synchronize_cache ||
                           op == scsi::op::close_track_session || op == scsi::op::send_cue_sheet ||
                           op == scsi::op::reserve_track;
            if (ua && writing && s.asc != 0x2A) return r;
            if (ua && ++attentions <= 4) continue;
            if (busy && std::chrono::steady_clock::now() < deadline) {
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
                continue;
            }
        }
        if (r.status == scsi::Status::busy && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            continue;
        }
        return r;
    }
}

Result<Reply> DiscRecorder::must(const scsi::Cdb& cdb, Direction dir, std::span<std::byte> data,
                                 std::chrono::milliseconds timeout) {
    auto r = DM_TRY(command(cdb, dir, data, timeout));
    if (!r.good()) {
        if (r.sense) return make_error(errc_for(*r.sense), m_address + ": " + explain(cdb.b[0], *r.sense));
        char st[64];
        std::snprintf(st, sizeof st, ": status %02Xh", unsigned(r.status));
        return make_error(Errc::device, m_address + ": " + std::string(scsi::op_name(cdb.b[0])) + st);
    }
    return r;
}

Result<Reply> DiscRecorder::query(const scsi::Cdb& cdb, size_t alloc) {
    std::vector<std::byte> buf(alloc);
    return must(cdb, Direction::in, buf);
}

Status DiscRecorder::wait_ready(std::chrono::milliseconds timeout) {
    auto r = DM_TRY(command(scsi::cdb::test_unit_ready(), Direction::none, {}, timeout));
    if (!r.good() && r.sense) return make_error(errc_for(*r.sense), m_address + ": " + explain(op::test_unit_ready, *r.sense));
    return {};
}

Status DiscRecorder::identify() {
    auto inq = DM_TRY(query(scsi::cdb::inquiry(96), 96));
    auto d = DM_TRY(scsi::decode_inquiry(inq.data));
    if (d.device_type != 5) return make_error(Errc::invalid_argument, m_address + ": not a CD/DVD/BD drive (SCSI device type " +
                                                                           std::to_string(d.device_type) + ")");
    m_vendor = d.vendor;
    m_product = d.product;
    m_revision = d.revision;
    std::vector<std::byte> buf(65530);
    auto r = DM_TRY(command(scsi::cdb::get_configuration(0, 0, uint16_t(buf.size())), Direction::in, buf));
    if (r.good()) {
        if (auto cfg = scsi::decode_configuration(r.data); cfg.ok())
            for (auto [p, cur] : cfg->profiles()) m_profiles.push_back(media::Profile(p));
    }
    return {};
}

Result<media::Profile> DiscRecorder::current_profile() {
    std::vector<std::byte> buf(8);
    auto r = DM_TRY(command(scsi::cdb::get_configuration(1, 0, 8), Direction::in, buf));
    if (!r.good() || r.data.size() < 8) return media::Profile::none;
    return media::Profile(codec::load_be16(&r.data[6]));
}

Status DiscRecorder::eject() {
    DM_TRY(lock(false));
    DM_TRY(must(scsi::cdb::start_stop_unit(true, false)));
    return {};
}

Status DiscRecorder::load() {
    DM_TRY(must(scsi::cdb::start_stop_unit(true, true)));
    return {};
}

Status DiscRecorder::lock(bool locked) {
    DM_TRY(must(scsi::cdb::prevent_allow(locked)));
    return {};
}

std::vector<RecorderInfo> list_recorders(const std::vector<std::string>& extra) {
    std::vector<std::string> addresses = transport::list_mmc_sg_devices();
    addresses.insert(addresses.end(), extra.begin(), extra.end());
    std::vector<RecorderInfo> out;
    for (const auto& a : addresses) {
        auto r = DiscRecorder::open(a);
        if (!r.ok()) continue;
        RecorderInfo i{a, (*r)->vendor(), (*r)->product(), (*r)->revision()};
        if (auto p = (*r)->current_profile(); p.ok()) i.current = *p;
        out.push_back(i);
    }
    return out;
}

}  // namespace mastering::burn
