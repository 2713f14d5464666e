// Issue 16, item 9: a full host disk reached the initiator only as "write
// error at block N", was not logged, and a failed save left a temp file
// beside toc.json. The drive answers DATA PROTECT / SPACE ALLOCATION FAILED
// (27/07) when the host is out of space, logs the cause, removes the temp
// file and keeps the last good toc.json. The host's file size limit
// (RLIMIT_FSIZE, EFBIG) stands in for a full file system: no mount needed.
#include <gtest/gtest.h>

#include <sys/resource.h>

#include <csignal>

#include "emulator/media/vdisc.h"
#include "tests/emulator/mmc_host.h"

using namespace dmtest;
namespace sense = mastering::scsi::sense;

namespace {

// Files of this process may grow to `bytes` while it lives (writes beyond
// fail with EFBIG instead of raising SIGXFSZ).
class FileSizeLimit {
public:
    explicit FileSizeLimit(rlim_t bytes) {
        ::getrlimit(RLIMIT_FSIZE, &m_old);
        m_old_handler = std::signal(SIGXFSZ, SIG_IGN);
        rlimit lower = m_old;
        lower.rlim_cur = bytes;
        ::setrlimit(RLIMIT_FSIZE, &lower);
    }
    ~FileSizeLimit() {
        ::setrlimit(RLIMIT_FSIZE, &m_old);
        std::signal(SIGXFSZ, m_old_handler);
    }

private:
    rlimit m_old{};
    void (*m_old_handler)(int) = SIG_DFL;
};

struct LoggedDrive {
    TempDir dir{"host-storage"};
    std::string path = (dir / "disc.vdisc").string();
    std::vector<std::string> log;
    std::shared_ptr<emulator::mmc::Drive> drive;

    explicit LoggedDrive(Profile p) {
        emulator::mmc::DriveOptions o;
        o.log = [this](const std::string& s) { log.push_back(s); };
        drive = std::make_shared<emulator::mmc::Drive>(o);
        auto disc = emulator::media::VirtualDisc::create_blank(path, p);
        EXPECT_TRUE(disc.ok());
        (*disc)->set_durable(false);
        EXPECT_TRUE(drive->insert(std::move(*disc)).ok());
    }
    std::string all_log() const {
        std::string s;
        for (const auto& l : log) s += l + "\n";
        return s;
    }
};

}  // namespace

TEST(HostStorage, a_write_the_host_has_no_room_for_is_out_of_space_and_logged) {
    LoggedDrive d(Profile::dvd_plus_r);
    Host h(d.drive, 1);
    h.settle();
    uint32_t nwa = h.next_writable();
    ASSERT_TRUE(h.write(nwa, 16, 1).good());
    Reply r;
    {
        FileSizeLimit full(64 * 2048);
        r = h.cmd(sc::cdb::write10(nwa + 16, 64), pattern(nwa + 16, 64));
    }
    EXPECT_EQ(r.status, sc::Status::check_condition);
    EXPECT_EQ(r.sense.key, sense::space_allocation_failed.key) << r.describe();
    EXPECT_EQ(r.sense.asc, 0x27);
    EXPECT_EQ(r.sense.ascq, 0x07) << "SPACE ALLOCATION FAILED WRITE PROTECT, not a medium's write error";
    EXPECT_EQ(r.sense.information.value_or(0), nwa + 16);
    EXPECT_NE(d.all_log().find("out of space"), std::string::npos) << d.all_log();
    EXPECT_NE(d.all_log().find("data.img"), std::string::npos) << "the log names the file: " << d.all_log();
    EXPECT_TRUE(h.write(nwa + 16, 16, 2).good()) << "room again: the burn can go on";
}

TEST(HostStorage, a_failed_sync_keeps_the_last_toc_json_and_leaves_no_temp_file) {
    LoggedDrive d(Profile::dvd_plus_r);
    Host h(d.drive, 1);
    h.settle();
    uint32_t nwa = h.next_writable();
    ASSERT_TRUE(h.write(nwa, 16, 1).good());
    ASSERT_TRUE(h.cmd(sc::cdb::synchronize_cache()).good());
    Reply r;
    {
        FileSizeLimit full(100);  // toc.json.tmp cannot be written
        r = h.cmd(sc::cdb::close_track_session(1, 1));
    }
    EXPECT_EQ(r.status, sc::Status::check_condition);
    EXPECT_EQ(r.sense.key, sense::space_allocation_failed.key) << r.describe();
    EXPECT_EQ(r.sense.asc, 0x27);
    EXPECT_EQ(r.sense.ascq, 0x07);
    EXPECT_NE(d.all_log().find("toc.json"), std::string::npos) << d.all_log();
    EXPECT_FALSE(fs::exists(fs::path(d.path) / "toc.json.tmp")) << "no temp file left beside toc.json";
    auto reopened = emulator::media::VirtualDisc::open(d.path, false);
    ASSERT_TRUE(reopened.ok()) << reopened.error().message;
    EXPECT_EQ((*reopened)->model().sessions.at(0).tracks.at(0).recorded, 16u) << "the last synchronized state";
}

TEST(HostStorage, releasing_the_medium_reports_a_failed_sync) {
    LoggedDrive d(Profile::dvd_plus_r);
    {
        Host h(d.drive, 1);
        h.settle();
        ASSERT_TRUE(h.write(h.next_writable(), 16, 1).good());
    }
    mastering::Status released;
    {
        FileSizeLimit full(100);
        released = d.drive->release();
    }
    ASSERT_FALSE(released.ok()) << "a stop whose sync failed is no success";
    EXPECT_NE(released.error().message.find("toc.json"), std::string::npos) << released.error().message;
    EXPECT_EQ(released.error().code, mastering::Errc::no_space);
    EXPECT_NE(d.all_log().find("cannot synchronize the medium"), std::string::npos) << d.all_log();
    EXPECT_FALSE(fs::exists(fs::path(d.path) / "toc.json.tmp"));
    EXPECT_TRUE(d.drive->release().ok()) << "nothing left to release";
}
