// Issue 16, item 13 (the /proc/mounts part): master-mount of an iscsi://
// source with CHAP secrets, served by master-drive --chap. The source the
// kernel lists in the world-readable /proc/mounts (the FUSE fsname) and
// master-mount's own messages show the address with its secrets masked.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/fuse/mount_support.h"
#include "tests/support/master_drive.h"

using namespace dmtest;
using fusetest::Mount;

namespace {
std::string text_of(const fs::path& p) {
    std::ifstream f(p);
    std::stringstream text;
    text << f.rdbuf();
    return text.str();
}
}  // namespace

TEST(ThirdPartyMasterMount, no_chap_secret_reaches_proc_mounts_or_the_messages) {
    REQUIRE_FUSE();
    TempDir dir{"mount-secret"};
    write_file(dir / "t/a.txt", "behind chap\n");
    std::string iso = (dir / "d.iso").string();
    ASSERT_EQ(run({tool("master-image"), "create", iso, "--from", (dir / "t").string()}).exit_code, 0);
    const std::string secret = "alice-secret-123", target_secret = "drive-secret-456";
    MasterDrive drive({"rom=" + iso}, {"--chap", "alice:" + secret, "--chap-target", "drive:" + target_secret});
    ASSERT_TRUE(drive.running()) << drive.error();
    std::string url = drive.url("rom", "alice", secret) + "?target_user=drive&target_password=" + target_secret;

    Mount m(url, dir / "m");
    ASSERT_TRUE(m.mounted()) << m.log();
    EXPECT_EQ(read_file(dir / "m/a.txt"), "behind chap\n") << "logged in with the secrets";
    for (const char* table : {"/proc/mounts", "/proc/self/mountinfo"}) {
        std::string text = text_of(table);
        EXPECT_EQ(text.find(secret), std::string::npos) << table << ":\n" << text;
        EXPECT_EQ(text.find(target_secret), std::string::npos) << table << ":\n" << text;
        EXPECT_NE(text.find("iscsi://alice%***@" + drive.portal()), std::string::npos) << table << " names the source:\n" << text;
    }
    // Its messages: a session the disc does not have.
    auto bad = run({tool("master-mount"), url, (dir / "other").string(), "--session", "5"});
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_NE(bad.err.find("not 5"), std::string::npos) << bad.err;
    EXPECT_EQ(bad.err.find(secret), std::string::npos) << bad.err;
    EXPECT_EQ(bad.err.find(target_secret), std::string::npos) << bad.err;
    EXPECT_EQ(m.unmount(), 0) << m.log();
    EXPECT_EQ(m.log().find(secret), std::string::npos) << m.log();
}
