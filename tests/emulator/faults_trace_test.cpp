// Issue 3, must-show 4: fault plans and command traces.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "emulator/media/fault_plan.h"
#include "tests/emulator/mmc_host.h"

using namespace dmtest;
namespace sc = mastering::scsi;
namespace sense = sc::sense;

TEST(FaultPlan, parse_and_format) {
    auto p = emulator::media::parse_fault_plan("write-error:100-120; underrun:500, remove:9,power-loss:7;not-ready:3;slow:20ms:2a");
    ASSERT_TRUE(p.ok()) << p.error().message;
    ASSERT_EQ(p->faults.size(), 6u);
    EXPECT_EQ(emulator::media::format_fault_plan(*p),
              "write-error:100-120;underrun:500;remove:9;power-loss:7;not-ready:3;slow:20ms:2a");
    EXPECT_TRUE(emulator::media::parse_fault_plan("none")->empty());
    for (const char* bad : {"explode:1", "write-error:9-1", "underrun:x", "slow:99999999", "slow:5:zz"})
        EXPECT_FALSE(emulator::media::parse_fault_plan(bad).ok()) << bad;
}

TEST(FaultPlan, write_error_at_an_lba_range) {
    Host h(Profile::dvd_plus_r, 100000);
    h.settle();
    ASSERT_TRUE(h.drive().set_fault_plan("write-error:40-47").ok());
    uint32_t start = h.next_writable();
    EXPECT_TRUE(h.write(start, 32, 1).good());
    auto r = h.write(start + 32, 16, 1);
    EXPECT_EQ(r.sense, sense::write_error);
    ASSERT_TRUE(r.sense.information.has_value());
    EXPECT_EQ(*r.sense.information, 40u);
    EXPECT_EQ(h.disc_info().last_session_state, 2) << "the session is damaged";
    EXPECT_TRUE(h.track_info(1, 1).damage);
    EXPECT_TRUE(h.read_matches(start, 32, 1)) << "what was written before the error stays";
}

TEST(FaultPlan, underrun_and_not_ready) {
    Host h(Profile::cd_r, 100000);
    h.settle();
    ASSERT_TRUE(h.drive().set_fault_plan("underrun:48").ok());
    uint32_t start = h.next_writable();
    EXPECT_TRUE(h.write(start, 48, 1).good());
    EXPECT_EQ(h.write(start + 48, 16, 1).sense, sense::loss_of_streaming);
    ASSERT_TRUE(h.drive().set_fault_plan("not-ready:2").ok());
    EXPECT_EQ(h.cmd(sc::cdb::read_capacity(), {}, 8).sense, sense::becoming_ready);
    EXPECT_EQ(h.cmd(sc::cdb::test_unit_ready()).sense, sense::becoming_ready);
    EXPECT_TRUE(h.cmd(sc::cdb::test_unit_ready()).good());
}

TEST(FaultPlan, medium_removed_mid_burn) {
    Host h(Profile::bd_r, 100000);
    h.settle();
    uint32_t start = h.next_writable();
    EXPECT_TRUE(h.write(start, 64, 1).good());
    h.ok(sc::cdb::synchronize_cache());
    ASSERT_TRUE(h.drive().set_fault_plan("remove:32").ok());
    EXPECT_TRUE(h.write(start + 64, 32, 1).good());
    EXPECT_EQ(h.write(start + 96, 16, 1).sense, sense::medium_not_present_tray_open);
    EXPECT_EQ(h.cmd(sc::cdb::test_unit_ready()).sense, sense::medium_not_present_tray_open);
    EXPECT_FALSE(h.drive().status().medium_present);
    // Put the disc back: the drive had synchronized 64 blocks; the rest was in its buffer.
    auto disc = emulator::media::VirtualDisc::open(h.disc_path());
    ASSERT_TRUE(disc.ok()) << disc.error().message;
    EXPECT_EQ((*disc)->model().sessions.back().tracks.back().recorded, 64u);
    ASSERT_TRUE(h.drive().insert(std::move(*disc)).ok());
    h.settle();
    EXPECT_TRUE(h.read_matches(start, 64, 1));
    EXPECT_EQ(h.next_writable(), start + 64) << "the incomplete track continues where the medium is";
}

TEST(FaultPlan, power_loss_keeps_only_what_was_synchronized) {
    Host h(Profile::dvd_r, 100000);
    h.settle();
    uint32_t start = h.next_writable();
    EXPECT_TRUE(h.write(start, 48, 1).good());
    h.ok(sc::cdb::synchronize_cache());
    EXPECT_TRUE(h.write(start + 48, 32, 1).good());  // in the drive's buffer only
    ASSERT_TRUE(h.drive().set_fault_plan("power-loss:16").ok());
    EXPECT_EQ(h.write(start + 80, 32, 1).sense, sense::power_on_reset);
    h.settle();
    EXPECT_TRUE(h.read_matches(start, 48, 1));
    EXPECT_EQ(h.cmd(sc::cdb::read10(start + 48, 1), {}, 2048).sense, sense::lba_out_of_range)
        << "unsynchronized blocks are gone";
    EXPECT_EQ(h.next_writable(), start + 48);
    EXPECT_EQ(h.disc_info().last_session_state, 1) << "the track stays incomplete";
}

TEST(FaultPlan, slow_commands_take_their_time) {
    Host h(Profile::cd_r, 100000);
    h.settle();
    ASSERT_TRUE(h.drive().set_fault_plan("slow:30ms:25").ok());
    h.drive().trace(true);
    h.ok(sc::cdb::read_capacity(), {}, 8);
    h.ok(sc::cdb::test_unit_ready());
    auto t = h.drive().trace();
    ASSERT_EQ(t.size(), 2u);
    auto a = nlohmann::json::parse(t[0]), b = nlohmann::json::parse(t[1]);
    EXPECT_GE(a["us"].get<int64_t>(), 30000) << "READ CAPACITY (25h) is slowed";
    EXPECT_EQ(b["op"], "TEST UNIT READY");
}

TEST(Trace, a_burn_lists_exactly_the_commands_issued) {
    Host h(Profile::dvd_plus_r, 100000);
    h.settle();
    h.drive().trace(true);
    std::vector<sc::Cdb> sent = {sc::cdb::inquiry(36), sc::cdb::read_disc_information(34),
                                 sc::cdb::read_track_information(1, 0xFF, 48)};
    for (const auto& c : sent) h.cmd(c, {}, 64);
    uint32_t start = h.next_writable();
    sent.push_back(sc::cdb::read_track_information(1, 0xFF, 48));
    h.cmd(sc::cdb::write10(start, 16), pattern(start, 16));
    sent.push_back(sc::cdb::write10(start, 16));
    h.cmd(sc::cdb::write10(start + 999, 16), pattern(start, 16));  // refused: traced with its sense
    sent.push_back(sc::cdb::write10(start + 999, 16));
    for (auto c : {sc::cdb::synchronize_cache(), sc::cdb::close_track_session(1, 1), sc::cdb::close_track_session(2, 0)}) {
        h.cmd(c);
        sent.push_back(c);
    }
    auto lines = h.drive().trace();
    ASSERT_EQ(lines.size(), sent.size());
    for (size_t i = 0; i < sent.size(); ++i) {
        auto j = nlohmann::json::parse(lines[i]);
        EXPECT_EQ(j["op"], std::string(sc::op_name(sent[i].b[0])));
        char hex[3];
        std::snprintf(hex, sizeof hex, "%02x", sent[i].b[0]);
        EXPECT_EQ(j["cdb"].get<std::string>().substr(0, 2), hex);
        EXPECT_TRUE(j.contains("status") && j.contains("us") && j.contains("in") && j.contains("out"));
    }
    auto w = nlohmann::json::parse(lines[4]);
    EXPECT_EQ(w["out"], 16 * 2048);
    auto refused = nlohmann::json::parse(lines[5]);
    EXPECT_EQ(refused["sense"], "5/21/02");
    // The trace file gets the same lines.
    TempDir dir;
    ASSERT_TRUE(h.drive().set_trace_file((dir / "t.jsonl").string()).ok());
    h.cmd(sc::cdb::test_unit_ready());
    ASSERT_TRUE(h.drive().set_trace_file("").ok());
    auto text = read_file(dir / "t.jsonl");
    EXPECT_EQ(nlohmann::json::parse(text.substr(0, text.find('\n')))["op"], "TEST UNIT READY");
}

TEST(Reading, a_read_past_the_recorded_area_sends_the_good_blocks_and_names_the_first_bad_one) {
    // What the Linux sr driver relies on: a read-ahead that runs past the end
    // of a write-once disc's recorded area keeps the blocks before it.
    Host h(Profile::dvd_plus_r, 100000);
    h.settle();
    uint32_t start = h.next_writable();
    ASSERT_TRUE(h.write(start, 48, 3).good());
    h.ok(sc::cdb::synchronize_cache());
    auto r = h.cmd(sc::cdb::read10(start + 40, 16), {}, 16 * 2048);
    EXPECT_EQ(r.sense, sense::lba_out_of_range);
    ASSERT_TRUE(r.sense.information.has_value()) << "VALID with the first unreadable block";
    EXPECT_EQ(*r.sense.information, start + 48);
    ASSERT_EQ(r.data.size(), 8u * 2048) << "the 8 recorded blocks are transferred";
    auto want = pattern(start + 40, 8, 3);
    EXPECT_EQ(std::memcmp(r.data.data(), want.data(), want.size()), 0);
    // Entirely unrecorded: nothing is sent, the information is the start.
    r = h.cmd(sc::cdb::read10(start + 60, 4), {}, 4 * 2048);
    EXPECT_EQ(r.sense, sense::lba_out_of_range);
    EXPECT_EQ(r.data.size(), 0u);
    EXPECT_EQ(r.sense.information, std::optional<uint32_t>(start + 60));
}

TEST(Reading, an_open_session_on_dvd_and_bd_is_in_the_capacity_and_the_toc) {
    // growisofs leaves a pre-formatted BD-R with an open session and reads it
    // back through the kernel, which sizes the device by READ CAPACITY and
    // finds the session with READ TOC format 1.
    for (Profile p : {Profile::dvd_plus_r, Profile::bd_r}) {
        Host h(p, 100000);
        h.settle();
        uint32_t start = h.next_writable();
        ASSERT_TRUE(h.write(start, 48, 2).good());
        h.ok(sc::cdb::synchronize_cache());
        auto cap = h.ok(sc::cdb::read_capacity(), {}, 8);
        ASSERT_EQ(cap.data.size(), 8u);
        uint32_t last = uint32_t(cap.data[0]) << 24 | uint32_t(cap.data[1]) << 16 | uint32_t(cap.data[2]) << 8 | cap.data[3];
        EXPECT_EQ(last, start + 47);
        auto toc = h.ok(sc::cdb::read_toc(1, 0, 12), {}, 12);
        ASSERT_EQ(toc.data.size(), 12u);
        EXPECT_EQ(toc.data[3], 1) << "last session number";
        uint32_t first_lba = uint32_t(toc.data[8]) << 24 | uint32_t(toc.data[9]) << 16 | uint32_t(toc.data[10]) << 8 | toc.data[11];
        EXPECT_EQ(first_lba, start);
    }
    // A CD's open session stays out of its TOC, as CD drives report it.
    Host cd(Profile::cd_r, 100000);
    cd.settle();
    uint32_t s = cd.next_writable();
    ASSERT_TRUE(cd.write(s, 16, 2).good());
    EXPECT_FALSE(cd.cmd(sc::cdb::read_toc(1, 0, 12), {}, 12).good());
}
