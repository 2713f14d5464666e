// Issue 3, must-show 1: the command sequences of libburn/xorriso, wodim,
// growisofs and IMAPI2 (docs/interop.md runs the programs themselves)
// against the drive model, for every recordable profile: identify, burn
// three sessions, close; after each step the disc and track information and
// the TOC answer as a real drive does, and READ returns the written data at
// the right LBAs.
#include <gtest/gtest.h>

#include "mastering/codec/bytes.h"
#include "tests/emulator/mmc_host.h"

using namespace dmtest;
namespace sc = mastering::scsi;
namespace mm = mastering::media;

namespace {

enum class Client { libburn, wodim_tao, wodim_sao, growisofs, imapi };
const char* client_name(Client c) {
    switch (c) {
    case Client::libburn: return "libburn";
    case Client::wodim_tao: return "wodim_tao";
    case Client::wodim_sao: return "wodim_sao";
    case Client::growisofs: return "growisofs";
    case Client::imapi: return "imapi2";
    }
    return "?";
}

struct Session {
    uint32_t start, blocks;
    uint8_t salt;
};

bool is_cd(Profile p) { return mm::profile_info(p).family == mm::Family::cd; }
bool overwritable(Profile p) { return mm::is_overwritable(p); }
bool dvd_minus(Profile p) { return p == Profile::dvd_r || p == Profile::dvd_rw || p == Profile::dvd_r_dl; }

// --- Identification, as each client does it -------------------------------------

void identify(Host& h, Client c, Profile p) {
    h.ok(sc::cdb::inquiry(36), {}, 36);
    h.settle();
    auto cfg = h.configuration();
    EXPECT_EQ(cfg.current_profile, uint16_t(p));
    bool listed = false;
    for (auto [prof, current] : cfg.profiles()) listed |= prof == uint16_t(p) && current;
    EXPECT_TRUE(listed) << "the mounted profile is in the profile list, marked current";
    switch (c) {
    case Client::libburn:
    case Client::imapi: {
        auto r = h.ok(sc::cdb::mode_sense10(0x2A, 0, 8), {}, 8);
        uint16_t full = uint16_t(mastering::codec::load_be16(r.data.data()) + 2);
        h.ok(sc::cdb::mode_sense10(0x2A, 0, full), {}, full);
        h.ok(sc::cdb::get_performance(0x03, 4), {}, 8 + 4 * 16);
        h.ok(sc::cdb::mode_sense10(0x01, 0, 64), {}, 64);
        h.disc_info();
        h.ok(sc::cdb::read_capacity(), {}, 8);
        if (is_cd(p)) h.cmd(sc::cdb::read_toc(2, 1, 4096), {}, 4096);  // fails on a blank CD, as on real drives
        h.mode_sense_05();
        if (overwritable(p)) h.ok(sc::cdb::read_format_capacities(252), {}, 252);
        h.track_info(1, 0xFF);
        if (!is_cd(p)) h.ok(sc::cdb::read_disc_structure(mm::profile_info(p).family == mm::Family::bd ? 1 : 0, 0, 4100), {}, 4100);
        auto ev = h.ok(sc::cdb::get_event_status(0x7E, 8), {}, 8);
        EXPECT_EQ(ev.data.size(), 8u);
        break;
    }
    case Client::wodim_tao:
    case Client::wodim_sao: {
        auto r = h.ok(sc::cdb::mode_sense10(0x3F, 0, 8), {}, 8);
        EXPECT_GE(mastering::codec::load_be16(r.data.data()), 6);
        h.ok(sc::cdb::mode_sense10(0x2A, 0, 256), {}, 256);
        for (uint8_t pc : {0, 1, 2}) h.ok(sc::cdb::mode_sense10(0x05, pc, 256), {}, 256);
        h.disc_info();
        auto atip = h.ok(sc::cdb::read_toc(4, 0, 28), {}, 28);
        auto a = sc::decode_atip(atip.data);
        ASSERT_TRUE(a.ok());
        EXPECT_EQ(a->rewritable, p == Profile::cd_rw);
        break;
    }
    case Client::growisofs: {
        if (p == Profile::bd_r) h.cmd(sc::cdb::get_configuration(2, 0x0038, 16), {}, 16);
        h.ok(sc::cdb::read_disc_information(32), {}, 32);
        if (overwritable(p) || p == Profile::bd_r) {
            auto r = h.ok(sc::cdb::read_format_capacities(12), {}, 12);
            uint8_t len = r.data[3];
            EXPECT_GE(len, 16) << "growisofs requires at least two capacity descriptors";
            EXPECT_EQ(len % 8, 0);
            h.ok(sc::cdb::read_format_capacities(uint16_t(4 + len)), {}, 4 + len);
        }
        h.ok(sc::cdb::prevent_allow(true));
        h.ok(sc::cdb::read_capacity(), {}, 8);
        h.cmd(sc::cdb::read10(16, 1), {}, 2048);  // the volume descriptor, if any
        h.ok(sc::cdb::prevent_allow(false));
        break;
    }
    }
}

// --- One session, written the way each client does it -----------------------------

// Where the next session goes on overwritable media (xorriso / growisofs
// pseudo-multisession: after the previous session, 32-block aligned).
uint32_t next_overwritable_start(const std::vector<Session>& done) {
    if (done.empty()) return 32;
    uint32_t end = done.back().start + done.back().blocks;
    return (end + 31) / 32 * 32;
}

Session burn(Host& h, Client c, Profile p, const std::vector<Session>& done, uint32_t blocks, uint8_t salt) {
    Session s{0, blocks, salt};
    if (overwritable(p)) {
        if (h.disc_info().disc_status == 0) {  // unformatted: format it first
            uint8_t type = p == Profile::dvd_plus_rw ? 0x26 : 0x00;
            EXPECT_TRUE(h.format(type).good());
        }
        s.start = next_overwritable_start(done);
        EXPECT_TRUE(h.write(s.start, blocks, salt).good());
        h.ok(sc::cdb::synchronize_cache());
        h.ok(sc::cdb::close_track_session(2, 0));
        return s;
    }
    sc::WriteParameters w;
    w.multisession = 3;  // keep the disc appendable
    w.track_mode = 4;
    w.data_block_type = 8;
    if (is_cd(p)) {
        h.ok(sc::cdb::prevent_allow(true));
        h.ok(sc::cdb::set_cd_speed(0xFFFF, 0xFFFF));
        if (c == Client::wodim_sao) {
            w.write_type = 2;
            EXPECT_TRUE(h.mode_select_05(w).good());
            auto ti = h.track_info(1, 0xFF);
            EXPECT_TRUE(ti.nwa_valid);
            // In SAO mode the next writable address is where the pre-gap starts.
            s.start = uint32_t(int32_t(ti.next_writable) + 150);
            EXPECT_EQ(s.start, ti.start);
            // Cue sheet: pre-gap (index 0) 150 blocks before the data, data (index 1), lead-out.
            uint8_t tno = uint8_t(ti.track);
            EXPECT_TRUE(h.send_cue_sheet({Host::cue_entry(0, 0, 0x14, -150),  // lead-in
                                          Host::cue_entry(tno, 0, 0x10, int32_t(s.start) - 150),
                                          Host::cue_entry(tno, 1, 0x10, int32_t(s.start)),
                                          Host::cue_entry(0xAA, 1, 0x10, int32_t(s.start + blocks))})
                            .good());
            // wodim asks where to write after the cue sheet: from the pre-gap.
            auto after = h.track_info(1, 0xFF);
            EXPECT_TRUE(after.nwa_valid);
            EXPECT_EQ(int32_t(after.next_writable), int32_t(s.start) - 150);
            EXPECT_EQ(after.track, ti.track) << "the cue sheet's first track is the one being written";
            // From the pre-gap on: 150 blocks of zeros, then the data.
            std::vector<std::byte> gap(size_t(150) * 2048);
            h.ok(sc::cdb::write12(uint32_t(int32_t(s.start) - 150), 150), gap);
            EXPECT_TRUE(h.write(s.start, blocks, salt, 27).good());
            h.ok(sc::cdb::synchronize_cache());
            return s;  // SAO: the drive closes the session after the data
        }
        w.write_type = 1;  // TAO
        EXPECT_TRUE(h.mode_select_05(w).good());
        auto ti = h.track_info(1, 0xFF);
        EXPECT_TRUE(ti.nwa_valid);
        EXPECT_TRUE(ti.blank);
        s.start = ti.next_writable;
        EXPECT_TRUE(h.write(s.start, blocks, salt, 16).good());
        h.ok(sc::cdb::synchronize_cache(c == Client::wodim_tao));
        EXPECT_TRUE(h.wait_ready());
        h.ok(sc::cdb::close_track_session(2, 0));  // fixate: ms 11b keeps it appendable
        h.ok(sc::cdb::prevent_allow(false));
        return s;
    }
    if (dvd_minus(p)) {
        w.write_type = 0;  // incremental
        w.ls_v = true;
        w.link_size = 16;
        w.fixed_packet = true;
        w.packet_size = 16;
        w.track_mode = 5;
        EXPECT_TRUE(h.mode_select_05(w).good());
    } else {
        h.ok(sc::cdb::set_streaming(28), std::vector<std::byte>(28));
    }
    if (c == Client::growisofs && !done.empty()) {
        // growisofs -M: the last session from TOC format 1, the next start from
        // the track information of the first track of the last session.
        auto t1 = h.toc1();
        EXPECT_TRUE(t1.has_value());
        auto di = h.disc_info();
        auto ti = h.track_info(1, di.first_track_last_session);
        s.start = ti.start;
    } else if (c == Client::imapi) {
        auto di = h.disc_info();
        auto ti = h.track_info(2, di.sessions);
        s.start = ti.next_writable;
    } else {
        s.start = h.next_writable();
    }
    if (mm::profile_info(p).family == mm::Family::bd && c == Client::libburn) {
        uint32_t reserve = (blocks + 31) / 32 * 32;
        h.ok(sc::cdb::reserve_track(reserve));
    }
    EXPECT_TRUE(h.write(s.start, blocks, salt, 16).good());
    if (c == Client::growisofs) {
        h.ok(sc::cdb::synchronize_cache(true));
        EXPECT_TRUE(h.wait_ready());
        h.ok(sc::cdb::synchronize_cache(false));
    } else {
        h.ok(sc::cdb::synchronize_cache());
    }
    // CLOSE TRACK with the logical number of the track just written.
    h.ok(sc::cdb::close_track_session(1, h.track_info(0, s.start).track));
    h.ok(sc::cdb::close_track_session(2, 0));
    EXPECT_TRUE(h.wait_ready());
    return s;
}

// --- What the drive must answer after each session ----------------------------

void verify(Host& h, Profile p, const std::vector<Session>& done, bool sao) {
    for (const auto& s : done) EXPECT_TRUE(h.read_matches(s.start, s.blocks, s.salt));
    auto di = h.disc_info();
    if (overwritable(p)) {
        EXPECT_NE(di.disc_status, 0);
        EXPECT_EQ(di.sessions, 1);  // overwritable media report one session
        auto cap = sc::decode_read_capacity(h.ok(sc::cdb::read_capacity(), {}, 8).data);
        ASSERT_TRUE(cap.ok());
        EXPECT_GE(cap->last_lba + 1, done.back().start + done.back().blocks);
        return;
    }
    EXPECT_EQ(di.disc_status, 1) << "appendable";
    EXPECT_EQ(di.sessions, done.size() + 1) << "the sessions and the empty one to come";
    EXPECT_EQ(di.last_session_state, 0) << "the last session is empty";
    EXPECT_EQ(di.erasable, mm::profile_info(p).erasable);
    auto inv = h.track_info(1, 0xFF);
    EXPECT_TRUE(inv.nwa_valid);
    EXPECT_TRUE(inv.blank);
    EXPECT_GT(inv.next_writable, done.back().start + done.back().blocks - 1);
    EXPECT_EQ(inv.session, done.size() + 1);
    EXPECT_GT(inv.free_blocks, 0u);
    auto t0 = h.toc0();
    ASSERT_TRUE(t0.has_value());
    ASSERT_EQ(t0->entries.size(), done.size() + 1) << "one track per session and the lead-out";
    for (size_t i = 0; i < done.size(); ++i) {
        EXPECT_EQ(t0->entries[i].track, i + 1);
        EXPECT_EQ(uint32_t(t0->entries[i].lba), done[i].start);
        auto ti = h.track_info(1, uint32_t(i + 1));
        EXPECT_EQ(ti.start, done[i].start);
        EXPECT_EQ(ti.session, i + 1);
        EXPECT_FALSE(ti.nwa_valid) << "a closed track takes no more data";
        EXPECT_GE(ti.size, done[i].blocks);
    }
    EXPECT_EQ(t0->entries.back().track, 0xAA);
    EXPECT_GE(uint32_t(t0->entries.back().lba), done.back().start + done.back().blocks);
    auto t1 = h.toc1();
    ASSERT_TRUE(t1.has_value());
    EXPECT_EQ(t1->last_session, done.size());
    EXPECT_EQ(uint32_t(t1->start), done.back().start) << "the start of the last session (wodim -msinfo's first number)";
    auto t2 = h.toc2();
    if (is_cd(p)) {
        ASSERT_TRUE(t2.has_value());
        EXPECT_EQ(t2->last_session, done.size());
        int b0 = 0, a2 = 0;
        for (const auto& e : t2->entries) {
            b0 += e.point == 0xB0;
            a2 += e.point == 0xA2;
        }
        EXPECT_EQ(a2, int(done.size())) << "a lead-out per session";
        EXPECT_EQ(b0, 1) << "B0: the next program area while appendable";
        // CD gaps: the next session starts 11,400 blocks after the first
        // session's end, 6,900 after later ones; a TAO track ends with 2
        // run-out blocks (a 300-block first session: wodim -msinfo "0,11702").
        uint32_t end = done.back().start + done.back().blocks + (sao ? 0 : 2);
        EXPECT_EQ(inv.start, end + (done.size() == 1 ? 11400 : 6900));
        // In SAO mode the initiator writes the pre-gap: the next writable address is its start.
        EXPECT_EQ(int32_t(inv.next_writable), int32_t(inv.start) - (sao ? 150 : 0));
    } else {
        EXPECT_FALSE(t2.has_value()) << "full TOC on DVD/BD: 5/24/00, which libburn expects";
    }
}

void finalize(Host& h, Profile p) {
    if (overwritable(p)) return;
    if (is_cd(p) || dvd_minus(p)) {
        sc::WriteParameters w = h.mode_sense_05();
        w.multisession = 0;
        if (is_cd(p)) w.write_type = 1;  // the closing track goes track at once
        EXPECT_TRUE(h.mode_select_05(w).good());
        // An empty session cannot be closed: burn a last track to close with.
        auto ti = h.track_info(1, 0xFF);
        EXPECT_TRUE(h.write(ti.next_writable, 32, 9).good());
        h.ok(sc::cdb::synchronize_cache());
        h.ok(sc::cdb::close_track_session(1, 0xFF));
        h.ok(sc::cdb::close_track_session(2, 0));
    } else {
        uint8_t f = p == Profile::bd_r ? 6 : 5;
        h.ok(sc::cdb::close_track_session(f, 0));
    }
    auto di = h.disc_info();
    EXPECT_EQ(di.disc_status, 2) << "complete";
    EXPECT_EQ(di.last_session_state, 3);
    auto before = h.drive().status().toc;
    auto r = h.cmd(sc::cdb::write10(0, 16), pattern(0, 16));
    EXPECT_FALSE(r.good());
    EXPECT_EQ(r.sense, sc::sense::invalid_address_for_write);
    auto after = h.drive().status().toc;
    EXPECT_EQ(after.sessions.size(), before.sessions.size()) << "a refused write changes nothing";
}

struct Case {
    Profile profile;
    Client client;
};

std::string case_name(const ::testing::TestParamInfo<Case>& i) {
    std::string n = std::string(mm::profile_name(i.param.profile)) + "_" + client_name(i.param.client);
    for (auto& ch : n)
        if (ch == '-' || ch == '+') ch = ch == '+' ? 'p' : '_';
    return n;
}

std::vector<Case> cases() {
    std::vector<Case> v;
    for (Profile p : {Profile::cd_r, Profile::cd_rw, Profile::dvd_r, Profile::dvd_rw, Profile::dvd_plus_r,
                      Profile::dvd_plus_r_dl, Profile::dvd_plus_rw, Profile::dvd_ram, Profile::bd_r, Profile::bd_re}) {
        v.push_back({p, Client::libburn});
        v.push_back({p, Client::imapi});
        if (is_cd(p)) {
            v.push_back({p, Client::wodim_tao});
            v.push_back({p, Client::wodim_sao});
        } else {
            v.push_back({p, Client::growisofs});
        }
    }
    return v;
}

class ClientSequences : public ::testing::TestWithParam<Case> {};

}  // namespace

TEST_P(ClientSequences, identify_burn_three_sessions_close) {
    auto [p, c] = GetParam();
    Host h(p);
    identify(h, c, p);
    EXPECT_EQ(h.disc_info().disc_status, p == Profile::dvd_ram ? 3 : 0) << "a new disc is blank";
    std::vector<Session> done;
    for (uint8_t k = 1; k <= 3; ++k) {
        SCOPED_TRACE("session " + std::to_string(k));
        done.push_back(burn(h, c, p, done, 300 + 17 * k, k));
        verify(h, p, done, c == Client::wodim_sao);
        identify(h, c, p);  // the client looks again before the next session
    }
    finalize(h, p);
    for (const auto& s : done) EXPECT_TRUE(h.read_matches(s.start, s.blocks, s.salt));
}

INSTANTIATE_TEST_SUITE_P(AllProfiles, ClientSequences, ::testing::ValuesIn(cases()), case_name);

// cdrdao writes a CD_ROM_XA session at once: cue sheet data form 20h, and
// every block (pre-gap included) as a 2336-byte XA sector (8-byte sub-header,
// 2048 bytes of user data, 280 of EDC/ECC). The drive keeps the user data;
// READ(10) returns it and the track reads as data mode 2.
TEST(ClientSequences, cdrdao_xa_mode2_form1_session_at_once) {
    Host h(Profile::cd_r);
    h.settle();
    sc::WriteParameters w;
    w.write_type = 2;  // SAO
    w.multisession = 3;
    w.data_block_type = 10;
    ASSERT_TRUE(h.mode_select_05(w).good());
    auto entry = Host::cue_entry;
    constexpr uint32_t blocks = 300;
    EXPECT_TRUE(h.send_cue_sheet({entry(0, 0, 0x24, -150), entry(1, 0, 0x20, -150), entry(1, 1, 0x20, 0),
                                  entry(0xAA, 1, 0x24, blocks)})
                    .good());
    EXPECT_EQ(int32_t(h.track_info(1, 0xFF).next_writable), -150);
    // XA sectors: sub-header (form 1), user data = pattern(), EDC/ECC filler.
    auto xa = [](int64_t lba, uint32_t n) {
        std::vector<std::byte> out(size_t(n) * 2336, std::byte{0x5A});
        auto user = pattern(lba, n);
        for (uint32_t i = 0; i < n; ++i) {
            std::byte* s = out.data() + size_t(i) * 2336;
            std::memset(s, 0, 8);
            s[2] = s[6] = std::byte{0x08};  // submode: data, form 1
            std::memcpy(s + 8, user.data() + size_t(i) * 2048, 2048);
        }
        return out;
    };
    for (int64_t lba = -150; lba < int64_t(blocks); lba += 25)
        h.ok(sc::cdb::write10(uint32_t(int32_t(lba)), 25), xa(lba, 25));
    h.ok(sc::cdb::synchronize_cache());
    EXPECT_TRUE(h.wait_ready());
    EXPECT_TRUE(h.read_matches(0, blocks)) << "READ(10) returns the user data of the XA sectors";
    auto t = h.track_info(1, 1);
    EXPECT_EQ(t.data_mode, 2);
    EXPECT_EQ(t.size, blocks);
    // An audio cue sheet is refused: this recorder writes data discs.
    Host audio(Profile::cd_r);
    audio.settle();
    ASSERT_TRUE(audio.mode_select_05(w).good());
    EXPECT_FALSE(audio.send_cue_sheet({entry(1, 1, 0x00, 0), entry(0xAA, 1, 0x01, blocks)}).good());
}
