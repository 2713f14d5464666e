// Issue 16, item 7: two initiators burning one BD-RE both succeeded and one
// session was lost. The drive accepts writes from one initiator at a time:
// the first that prevents medium removal (every burner does while it
// writes) holds the drive until it allows removal, logs out or the drive is
// reset; the writes of the others end in RESERVATION CONFLICT and change
// nothing.
#include <gtest/gtest.h>

#include "tests/emulator/mmc_host.h"

using namespace dmtest;

namespace {

void expect_conflict(const Reply& r, const char* what) {
    EXPECT_EQ(r.status, sc::Status::reservation_conflict) << what << ": " << r.describe();
}

}  // namespace

TEST(OneWriter, a_second_initiator_cannot_write_an_overwritable_disc_while_the_first_burns) {
    Host first(Profile::bd_re, 50000);
    first.settle();
    ASSERT_TRUE(first.format(0x00).good());
    Host second(first.drive_ptr(), 2);
    second.settle();

    first.ok(sc::cdb::prevent_allow(true));  // the first burn starts
    ASSERT_TRUE(first.write(0, 32, 1).good());
    second.ok(sc::cdb::prevent_allow(true));  // allowed (several may prevent removal), but no claim
    expect_conflict(second.cmd(sc::cdb::write10(0, 32), pattern(0, 32, 2)), "WRITE over the first's session");
    expect_conflict(second.cmd(sc::cdb::write10(1000, 32), pattern(1000, 32, 2)), "WRITE elsewhere");
    expect_conflict(second.format(0x00), "FORMAT UNIT");
    EXPECT_TRUE(second.read_matches(0, 32, 1)) << "the second initiator reads what the first wrote";
    EXPECT_TRUE(first.write(32, 32, 1).good()) << "the first goes on";
    first.ok(sc::cdb::prevent_allow(false));  // the end of the first burn

    EXPECT_TRUE(second.write(1000, 32, 2).good()) << "released: the second may write now";
    second.ok(sc::cdb::prevent_allow(false));
    second.ok(sc::cdb::prevent_allow(true));  // the second claims the drive
    expect_conflict(first.cmd(sc::cdb::write10(0, 32), pattern(0, 32, 3)), "now the first is refused");
    EXPECT_TRUE(first.read_matches(0, 64, 1));
    EXPECT_TRUE(first.read_matches(1000, 32, 2));
}

TEST(OneWriter, a_logout_releases_the_drive) {
    Host first(Profile::dvd_plus_rw, 50000);
    first.settle();
    ASSERT_TRUE(first.format(0x26).good());
    {
        Host second(first.drive_ptr(), 2);
        second.settle();
        second.ok(sc::cdb::prevent_allow(true));
        expect_conflict(first.cmd(sc::cdb::write10(0, 16), pattern(0, 16)), "WRITE while the other prevents");
        EXPECT_TRUE(second.write(0, 16, 2).good());
    }  // the second logs out without allowing removal
    EXPECT_TRUE(first.write(0, 16, 1).good()) << "a logout releases the drive";
    EXPECT_TRUE(first.read_matches(0, 16, 1));
}

TEST(OneWriter, sequential_media_refuse_the_second_writer_the_same_way) {
    Host first(Profile::cd_r);
    first.settle();
    Host second(first.drive_ptr(), 2);
    second.settle();
    first.ok(sc::cdb::prevent_allow(true));
    uint32_t nwa = first.next_writable();
    ASSERT_TRUE(first.write(nwa, 16, 1, 16).good());
    uint32_t next = second.next_writable();
    expect_conflict(second.cmd(sc::cdb::write10(next, 16), pattern(next, 16, 2)), "WRITE at the next writable address");
    expect_conflict(second.cmd(sc::cdb::close_track_session(2, 0)), "CLOSE SESSION");
    first.drive().reset(2);  // a LOGICAL UNIT RESET ends the claim, as it ends PREVENT
    second.settle();
    EXPECT_TRUE(second.write(next, 16, 2, 16).good());
}
