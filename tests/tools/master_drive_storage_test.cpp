// Issue 16, item 9: master-drive said "every medium synchronized" when
// stopping although the last sync had failed (a full host disk). Now the
// failure is logged with its cause and the stop reports it and exits
// non-zero. A directory in the place of toc.json.tmp makes the last save
// fail (a file size limit would also stop the server's own log file;
// tests/emulator/host_storage_test.cpp simulates the full disk itself).
#include <gtest/gtest.h>

#include "emulator/media/vdisc.h"
#include "tests/support/master_drive.h"
#include "tests/support/support.h"

using namespace dmtest;

TEST(MasterDriveStorage, a_stop_whose_sync_fails_says_so) {
    TempDir dir("drive-storage");
    fs::path disc = dir / "d.vdisc";
    MasterDrive md({"d=dvd+r:" + disc.string()});
    ASSERT_TRUE(md.running()) << md.error();
    fs::create_directory(disc / "toc.json.tmp");
    int status = md.stop();
    std::string log = md.log();
    EXPECT_NE(status, 0) << log;
    EXPECT_NE(log.find("not every medium synchronized"), std::string::npos) << log;
    EXPECT_EQ(log.find("master-drive: every medium synchronized"), std::string::npos) << log;
    EXPECT_NE(log.find("d: cannot synchronize the medium"), std::string::npos) << "logged with the drive's name\n" << log;
    EXPECT_NE(log.find("toc.json.tmp"), std::string::npos) << "the log names the file\n" << log;
    EXPECT_TRUE(emulator::media::VirtualDisc::open(disc.string(), false).ok()) << "the last good toc.json stays";
}
