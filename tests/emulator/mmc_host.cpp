#include "tests/emulator/mmc_host.h"

#include <cstring>
#include <thread>

#include "mastering/codec/bytes.h"

namespace dmtest {

std::string Reply::describe() const {
    if (good()) return "GOOD";
    return sc::describe(sense);
}

std::vector<std::byte> pattern(int64_t lba, uint32_t blocks, uint8_t salt) {
    std::vector<std::byte> b(size_t(blocks) * 2048);
    for (uint32_t i = 0; i < blocks; ++i) {
        uint64_t x = uint64_t(lba + i) * 0x9E3779B97F4A7C15ull + salt;
        for (size_t k = 0; k < 2048; k += 8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            std::memcpy(&b[size_t(i) * 2048 + k], &x, 8);
        }
    }
    return b;
}

Host::Host(Profile profile, std::optional<uint32_t> capacity, bool durable) {
    m_dir = std::make_unique<TempDir>("mmc");
    m_disc_path = (m_dir->path() / "disc.vdisc").string();
    auto disc = emulator::media::VirtualDisc::create_blank(m_disc_path, profile, capacity);
    if (!disc.ok()) throw std::runtime_error(disc.error().message);
    (*disc)->set_durable(durable);
    m_drive = std::make_shared<emulator::mmc::Drive>();
    m_drive->nexus_opened(m_nexus);
    auto st = m_drive->insert(std::move(*disc));
    if (!st.ok()) throw std::runtime_error(st.error().message);
}

Host::Host(std::shared_ptr<emulator::mmc::Drive> drive, emulator::NexusId nexus)
    : m_drive(std::move(drive)), m_nexus(nexus) {
    m_drive->nexus_opened(m_nexus);
}

Host::~Host() { m_drive->nexus_closed(m_nexus); }

Reply Host::cmd(const sc::Cdb& c, std::span<const std::byte> out, size_t in_len) {
    std::vector<std::byte> in(in_len);
    auto r = m_drive->execute(m_nexus, c.bytes(), out, in);
    Reply rep;
    rep.status = r.status;
    rep.sense = r.sense;
    rep.data.resize(r.data_in_length);
    if (r.data_in_length) std::memcpy(rep.data.data(), in.data(), r.data_in_length);
    return rep;
}

Reply Host::ok(const sc::Cdb& c, std::span<const std::byte> out, size_t in_len) {
    Reply r = cmd(c, out, in_len);
    EXPECT_TRUE(r.good()) << sc::op_name(c.b[0]) << ": " << r.describe();
    return r;
}

void Host::settle() {
    for (int i = 0; i < 8; ++i)
        if (cmd(sc::cdb::test_unit_ready()).good()) return;
}

bool Host::wait_ready() {
    for (int i = 0; i < 1000; ++i) {
        auto r = cmd(sc::cdb::test_unit_ready());
        if (r.good()) return true;
        if (r.sense.key != sc::SenseKey::not_ready || r.sense.asc != 0x04) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

sc::DiscInformation Host::disc_info() {
    auto r = ok(sc::cdb::read_disc_information(34), {}, 34);
    auto d = sc::decode_disc_information(r.data);
    EXPECT_TRUE(d.ok());
    return d.ok() ? *d : sc::DiscInformation{};
}

sc::TrackInformation Host::track_info(uint8_t type, uint32_t number) {
    auto r = ok(sc::cdb::read_track_information(type, number, 48), {}, 48);
    auto t = sc::decode_track_information(r.data);
    EXPECT_TRUE(t.ok());
    return t.ok() ? *t : sc::TrackInformation{};
}

std::optional<sc::Toc0> Host::toc0() {
    auto r = cmd(sc::cdb::read_toc(0, 0, 804), {}, 804);
    if (!r.good()) return std::nullopt;
    auto t = sc::decode_toc_format0(r.data);
    EXPECT_TRUE(t.ok());
    return t.ok() ? std::optional(*t) : std::nullopt;
}

std::optional<sc::SessionInfo> Host::toc1() {
    auto r = cmd(sc::cdb::read_toc(1, 0, 12), {}, 12);
    if (!r.good()) return std::nullopt;
    auto t = sc::decode_toc_format1(r.data);
    return t.ok() ? std::optional(*t) : std::nullopt;
}

std::optional<sc::FullToc> Host::toc2() {
    auto r = cmd(sc::cdb::read_toc(2, 1, 4096), {}, 4096);
    if (!r.good()) return std::nullopt;
    auto t = sc::decode_full_toc(r.data);
    return t.ok() ? std::optional(*t) : std::nullopt;
}

sc::Configuration Host::configuration(uint8_t rt, uint16_t start) {
    auto head = ok(sc::cdb::get_configuration(rt, start, 8), {}, 8);
    uint32_t len = head.data.size() >= 4 ? mastering::codec::load_be32(head.data.data()) + 4 : 8;
    auto r = ok(sc::cdb::get_configuration(rt, start, uint16_t(std::min<uint32_t>(len, 65535))), {}, len);
    auto c = sc::decode_configuration(r.data);
    EXPECT_TRUE(c.ok());
    return c.ok() ? *c : sc::Configuration{};
}

Reply Host::mode_select_05(const sc::WriteParameters& w) {
    auto page = sc::encode_write_parameters(w);
    auto list = sc::mode_sense10_reply(page);
    list[0] = list[1] = 0;  // the mode data length is reserved in MODE SELECT
    return cmd(sc::cdb::mode_select10(uint16_t(list.size())),
               std::span(reinterpret_cast<const std::byte*>(list.data()), list.size()));
}

sc::WriteParameters Host::mode_sense_05() {
    auto r = ok(sc::cdb::mode_sense10(0x05, 0, 256), {}, 256);
    auto pages = sc::mode_pages(r.data);
    EXPECT_TRUE(pages.ok());
    auto p = sc::find_mode_page(*pages, 0x05);
    EXPECT_TRUE(p.has_value());
    auto w = sc::decode_write_parameters(*p);
    return w.ok() ? *w : sc::WriteParameters{};
}

Reply Host::write(uint32_t lba, uint32_t blocks, uint8_t salt, uint32_t unit) {
    for (uint32_t done = 0; done < blocks;) {
        uint32_t n = std::min(unit, blocks - done);
        auto data = pattern(int64_t(lba) + done, n, salt);
        Reply r = cmd(sc::cdb::write10(lba + done, uint16_t(n)), data);
        if (!r.good()) return r;
        done += n;
    }
    return {};
}

bool Host::read_matches(uint32_t lba, uint32_t blocks, uint8_t salt) {
    for (uint32_t done = 0; done < blocks;) {
        uint32_t n = std::min<uint32_t>(64, blocks - done);
        auto r = cmd(sc::cdb::read10(lba + done, uint16_t(n)), {}, size_t(n) * 2048);
        if (!r.good()) {
            ADD_FAILURE() << "READ(10) at " << lba + done << ": " << r.describe();
            return false;
        }
        auto want = pattern(int64_t(lba) + done, n, salt);
        if (r.data.size() != want.size() || std::memcmp(r.data.data(), want.data(), want.size()) != 0) {
            ADD_FAILURE() << "READ(10) at " << lba + done << ": wrong data";
            return false;
        }
        done += n;
    }
    return true;
}

std::vector<uint8_t> Host::cue_entry(uint8_t tno, uint8_t index, uint8_t form, int32_t lba) {
    sc::Msf m = sc::lba_to_msf(lba);
    return {0x41, tno, index, form, 0, m.m, m.s, m.f};
}

Reply Host::send_cue_sheet(const std::vector<std::vector<uint8_t>>& entries) {
    std::vector<uint8_t> cue;
    for (const auto& e : entries) cue.insert(cue.end(), e.begin(), e.end());
    return cmd(sc::cdb::send_cue_sheet(uint32_t(cue.size())), std::span(reinterpret_cast<const std::byte*>(cue.data()), cue.size()));
}

Reply Host::format(uint8_t type, uint32_t blocks, bool immed, uint8_t subtype) {
    std::vector<uint8_t> p(12, 0);
    p[1] = immed ? 0x02 : 0;
    mastering::codec::store_be16(&p[2], 8);
    mastering::codec::store_be32(&p[4], blocks);
    p[8] = uint8_t(type << 2 | (subtype & 3));
    return cmd(sc::cdb::format_unit(), std::span(reinterpret_cast<const std::byte*>(p.data()), p.size()));
}

}  // namespace dmtest
