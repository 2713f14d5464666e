// Issue 3, must-show 2: each misuse (docs/drive-model.md "Sense data") gets the right
// sense key/ASC/ASCQ; a refused write changes nothing.
#include <gtest/gtest.h>

#include "tests/emulator/mmc_host.h"

using namespace dmtest;
namespace sc = mastering::scsi;
namespace sense = sc::sense;

namespace {

void expect_sense(const Reply& r, const sc::Sense& want, const char* what) {
    EXPECT_EQ(r.status, sc::Status::check_condition) << what;
    EXPECT_EQ(sc::describe(r.sense), sc::describe(want)) << what;
}

std::string toc_json(Host& h) {
    auto t = h.drive().status().toc;
    std::string s;
    for (const auto& se : t.sessions)
        for (const auto& tr : se.tracks) s += std::to_string(tr.start) + ":" + std::to_string(tr.recorded) + ";";
    return s + (t.next_writable ? std::to_string(*t.next_writable) : "-");
}

// After a refused command: the disc obeys its rules and is still blank, with
// the one empty session a blank disc has.
void expect_still_blank(Host& h, const std::string& what) {
    EXPECT_EQ(h.drive().check_medium_invariants(), "") << what;
    auto di = h.disc_info();
    EXPECT_EQ(di.disc_status, 0) << "still blank: " << what;
    EXPECT_EQ(di.sessions, 1) << "its one empty session: " << what;
}

}  // namespace

TEST(DriveSense, unit_attentions) {
    Host h(Profile::dvd_plus_r);
    // INQUIRY passes a pending unit attention by; the next command reports it.
    EXPECT_TRUE(h.cmd(sc::cdb::inquiry(36), {}, 36).good());
    expect_sense(h.cmd(sc::cdb::test_unit_ready()), sense::power_on_reset, "first command after login");
    expect_sense(h.cmd(sc::cdb::test_unit_ready()), sense::medium_changed, "the medium was inserted");
    EXPECT_TRUE(h.cmd(sc::cdb::test_unit_ready()).good());
    // A second initiator changes the write parameters: the first hears of it.
    Host other(h.drive_ptr(), 2);
    other.settle();
    sc::WriteParameters w;
    w.write_type = 0;
    w.multisession = 3;
    EXPECT_TRUE(other.mode_select_05(w).good());
    expect_sense(h.cmd(sc::cdb::test_unit_ready()), sense::mode_parameters_changed, "mode parameters changed");
    // REQUEST SENSE reports the last error, once.
    h.cmd(sc::cdb::read_toc(7, 0, 12), {}, 12);
    auto rs = h.cmd(sc::cdb::request_sense(18), {}, 18);
    ASSERT_TRUE(rs.good());
    auto s = sc::decode_sense(rs.data);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(*s, sense::invalid_field_in_cdb);
    auto again = sc::decode_sense(h.cmd(sc::cdb::request_sense(18), {}, 18).data);
    EXPECT_EQ(again->key, sc::SenseKey::no_sense);
}

TEST(DriveSense, no_medium_tray_and_removal) {
    Host h(Profile::cd_r);
    h.settle();
    auto first = h.ok(sc::cdb::get_event_status(0x10, 8), {}, 8);
    EXPECT_EQ(first.data[4], 2) << "the inserted medium is new media";
    EXPECT_EQ(h.ok(sc::cdb::get_event_status(0x10, 8), {}, 8).data[4], 0) << "reported once";
    h.ok(sc::cdb::prevent_allow(true));
    expect_sense(h.cmd(sc::cdb::start_stop_unit(true, false)), sense::removal_prevented, "eject while prevented");
    EXPECT_FALSE(h.drive().eject().ok()) << "the control API honours the lock too";
    h.ok(sc::cdb::prevent_allow(false));
    h.ok(sc::cdb::start_stop_unit(true, false));  // tray opens, the medium stays in it
    expect_sense(h.cmd(sc::cdb::test_unit_ready()), sense::medium_not_present_tray_open, "tray open");
    expect_sense(h.cmd(sc::cdb::read_capacity(), {}, 8), sense::medium_not_present_tray_open, "read with the tray open");
    // GESN reports the removal, then the tray closes and the medium is new again.
    auto ev = h.ok(sc::cdb::get_event_status(0x10, 8), {}, 8);
    EXPECT_EQ(ev.data[4], 3) << "media removal";
    EXPECT_EQ(ev.data[5] & 1, 1) << "tray open";
    Host other(h.drive_ptr(), 2);  // a second initiator
    other.settle();
    h.ok(sc::cdb::start_stop_unit(true, true));
    EXPECT_TRUE(h.cmd(sc::cdb::test_unit_ready()).good()) << "the initiator that loaded the medium gets no unit attention";
    expect_sense(other.cmd(sc::cdb::test_unit_ready()), sense::medium_changed, "reload seen by another initiator");
    h.ok(sc::Cdb{{0x1B, 0, 0, 0, 0x30 | 0x02}, 6});  // POWER CONDITION 3 with LoEj: LoEj is ignored
    EXPECT_TRUE(h.cmd(sc::cdb::test_unit_ready()).good()) << "a power condition change does not eject";
    ev = h.ok(sc::cdb::get_event_status(0x10, 8), {}, 8);
    EXPECT_EQ(ev.data[4], 2) << "new media";
    auto disc = h.drive().eject();
    ASSERT_TRUE(disc.ok());
    h.ok(sc::cdb::start_stop_unit(true, true));  // close the empty tray
    expect_sense(h.cmd(sc::cdb::test_unit_ready()), sense::medium_not_present_tray_closed, "no medium");
    auto cfg = h.configuration();
    EXPECT_EQ(cfg.current_profile, 0) << "GET CONFIGURATION: current profile 0 without a medium";
    ASSERT_TRUE(h.drive().insert(std::move(*disc)).ok());
    expect_sense(h.cmd(sc::cdb::test_unit_ready()), sense::medium_changed, "inserted");
}

TEST(DriveSense, illegal_requests) {
    Host h(Profile::cd_r);
    h.settle();
    expect_sense(h.cmd(sc::Cdb{{0xC7}, 10}), sense::invalid_opcode, "unknown opcode");
    expect_sense(h.cmd(sc::cdb::read_toc(7, 0, 12), {}, 12), sense::invalid_field_in_cdb, "TOC format 7");
    expect_sense(h.cmd(sc::cdb::mode_sense10(0x05, 3, 64), {}, 64), sense::saving_parameters_not_supported,
                 "saved values");
    expect_sense(h.cmd(sc::cdb::mode_sense10(0x33, 0, 64), {}, 64), sense::invalid_field_in_cdb, "unknown page");
    sc::WriteParameters bad;
    bad.multisession = 2;  // reserved value
    expect_sense(h.mode_select_05(bad), sense::invalid_field_in_parameter_list, "multisession 10b");
    expect_sense(h.cmd(sc::cdb::mode_select10(60), std::vector<std::byte>(4)), sense::parameter_list_length_error,
                 "short parameter list");
    expect_sense(h.cmd(sc::cdb::read10(100, 1), {}, 2048), sense::lba_out_of_range, "read a blank disc");
    expect_sense(h.cmd(sc::cdb::read_disc_structure(0, 0, 2052), {}, 2052), sense::cannot_read_medium,
                 "DVD structure of a CD");
    expect_sense(h.cmd(sc::cdb::blank(0)), sense::incompatible_medium, "blank a CD-R");
    expect_sense(h.format(0x00), sense::cannot_format_medium, "format a CD-R");
    expect_sense(h.cmd(sc::cdb::send_cue_sheet(8), std::vector<std::byte>(8)), sense::command_sequence_error,
                 "cue sheet while page 05 says TAO");
    sc::Cdb async_gesn = sc::cdb::get_event_status(0x10, 8);
    async_gesn.b[1] = 0;  // not polled
    expect_sense(h.cmd(async_gesn, {}, 8), sense::invalid_field_in_cdb, "asynchronous GESN");
    sc::Cdb truncated = sc::cdb::read10(0, 1);
    truncated.length = 6;
    expect_sense(h.cmd(truncated, {}, 2048), sense::invalid_field_in_cdb, "CDB shorter than its command");
}

TEST(DriveSense, refused_writes_change_nothing) {
    Host h(Profile::dvd_plus_r, 20000);
    h.settle();
    uint32_t nwa = h.next_writable();
    EXPECT_TRUE(h.write(nwa, 64, 1).good());
    std::string before = toc_json(h);
    expect_sense(h.cmd(sc::cdb::write10(nwa + 128, 16), pattern(nwa + 128, 16)), sense::invalid_address_for_write,
                 "not at the next writable address");
    expect_sense(h.cmd(sc::cdb::write10(0, 16), pattern(0, 16)), sense::invalid_address_for_write, "over written data");
    EXPECT_EQ(toc_json(h), before);
    // Beyond the end: the next writable address, but past the capacity.
    Host small(Profile::cd_r, 1000);
    small.settle();
    EXPECT_TRUE(small.write(0, 992, 1).good());
    std::string s_before = toc_json(small);
    expect_sense(small.cmd(sc::cdb::write10(992, 16), pattern(992, 16)), sense::end_of_user_area, "beyond the capacity");
    EXPECT_EQ(toc_json(small), s_before);
    // A ROM disc cannot be written.
    TempDir dir;
    write_random_file(dir / "x.iso", 100 * 2048, 1);
    auto rom = emulator::media::VirtualDisc::create_from_image((dir / "rom.vdisc").string(), (dir / "x.iso").string(),
                                                                Profile::dvd_rom);
    ASSERT_TRUE(rom.ok()) << rom.error().message;
    auto drive = std::make_shared<emulator::mmc::Drive>();
    ASSERT_TRUE(drive->insert(std::move(*rom)).ok());
    Host r(drive, 7);
    r.settle();
    expect_sense(r.cmd(sc::cdb::write10(100, 16), pattern(100, 16)), sense::cannot_write_medium, "write a ROM disc");
    EXPECT_TRUE(r.cmd(sc::cdb::read10(99, 1), {}, 2048).good());
    expect_sense(r.cmd(sc::cdb::read10(100, 1), {}, 2048), sense::lba_out_of_range, "read beyond a ROM disc");
}

TEST(DriveSense, reservations_and_track_rules) {
    Host h(Profile::dvd_plus_r, 100000);
    h.settle();
    h.ok(sc::cdb::reserve_track(100));
    expect_sense(h.cmd(sc::cdb::reserve_track(100)), sense::no_more_reservations, "one track per DVD+R session");
    auto ti = h.track_info(1, 1);
    EXPECT_TRUE(ti.reserved);
    EXPECT_EQ(ti.size, 112u) << "reservations are padded to the 16-block ECC unit";
    EXPECT_TRUE(h.write(ti.start, 112, 1).good());
    expect_sense(h.cmd(sc::cdb::write10(ti.start + 112, 16), pattern(ti.start + 112, 16)),
                 sense::invalid_address_for_write, "beyond the reserved track");
    Host cd(Profile::cd_r, 100000);
    cd.settle();
    expect_sense(cd.cmd(sc::cdb::close_track_session(1, 5)), sense::invalid_field_in_cdb, "close a track that does not exist");
    expect_sense(cd.cmd(sc::cdb::close_track_session(3, 0)), sense::invalid_field_in_cdb, "reserved close function");
    // Finalizing a blank disc is refused and leaves it blank (it used to
    // leave a complete disc with no session, whose DISC INFORMATION read
    // past the end of the session list: found by fuzz_mmc_drive).
    for (Profile p : {Profile::cd_r, Profile::dvd_plus_r, Profile::dvd_r, Profile::bd_r}) {
        Host blank(p, 100000);
        blank.settle();
        for (uint8_t function : {4, 5, 6}) {
            expect_sense(blank.cmd(sc::cdb::close_track_session(function, 0)), sense::command_sequence_error,
                         "finalize a blank disc");
            expect_still_blank(blank, "close function " + std::to_string(function));
        }
    }
    // So is unclosing or erasing the last session of a blank rewritable disc
    // (BLANK 5 and 6): the empty session stays (it was dropped before the
    // refusal; fuzz_mmc_drive found the disc left with none).
    for (Profile p : {Profile::cd_rw, Profile::dvd_rw}) {
        Host rw(p, 100000);
        rw.settle();
        for (uint8_t type : {5, 6}) {
            expect_sense(rw.cmd(sc::cdb::blank(type)), sense::command_sequence_error, "unclose or erase on a blank disc");
            expect_still_blank(rw, "blank type " + std::to_string(type));
        }
    }
}

TEST(DriveSense, overwritable_media) {
    Host h(Profile::dvd_plus_rw, 50000);
    h.settle();
    expect_sense(h.cmd(sc::cdb::write10(0, 16), pattern(0, 16)), sense::incompatible_medium, "write an unformatted DVD+RW");
    EXPECT_TRUE(h.format(0x26).good());
    EXPECT_TRUE(h.write(1000, 32, 1).good());
    EXPECT_TRUE(h.write(16, 16, 2).good()) << "random writes anywhere after formatting";
    EXPECT_TRUE(h.read_matches(1000, 32, 1));
    expect_sense(h.cmd(sc::cdb::write10(50000, 16), pattern(50000, 16)), sense::lba_out_of_range, "beyond the formatted size");
    Host rw(Profile::dvd_rw, 50000);
    rw.settle();
    EXPECT_TRUE(rw.format(0x15, 0).good()) << "quick format to restricted overwrite";
    EXPECT_EQ(rw.configuration().current_profile, uint16_t(Profile::dvd_rw_ro));
    expect_sense(rw.cmd(sc::cdb::write10(8, 16), pattern(8, 16)), sense::invalid_address_for_write,
                 "restricted overwrite writes 16-block units");
    EXPECT_TRUE(rw.write(16, 32, 3).good());
    EXPECT_TRUE(rw.cmd(sc::cdb::blank(0)).good());
    EXPECT_EQ(rw.configuration().current_profile, uint16_t(Profile::dvd_rw)) << "full blank: back to sequential";
}

TEST(DriveSense, immed_operations_report_progress) {
    Host h(Profile::bd_re, 50000);
    h.settle();
    EXPECT_TRUE(h.format(0x00, 0xFFFFFFFF, true).good());
    auto r = h.cmd(sc::cdb::test_unit_ready());
    expect_sense(r, sense::format_in_progress, "TUR while formatting");
    ASSERT_TRUE(r.sense.progress.has_value());
    auto rs = h.cmd(sc::cdb::request_sense(18), {}, 18);
    auto s = sc::decode_sense(rs.data);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->asc, 0x04);
    EXPECT_TRUE(s->progress.has_value()) << "SKSV progress in REQUEST SENSE";
    expect_sense(h.cmd(sc::cdb::write10(0, 16), pattern(0, 16)), sense::format_in_progress, "write while formatting");
    EXPECT_TRUE(h.wait_ready());
    EXPECT_TRUE(h.write(0, 16, 1).good());
}
