// Issue 16, item 12: master-mount and signals, and the mount points it
// refuses. SIGINT and SIGTERM unmount and exit 0, in the foreground and as a
// daemon (whose working directory is /), with a relative mount point; a
// mount point that would hide the source, a non-empty directory (unless -o
// nonempty) and an existing mount point are refused with one line and exit
// 1, before anything is mounted. The kernel's mount table is the judge.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "tests/fuse/mount_support.h"

using namespace dmtest;
using fusetest::in_mount_table;
using fusetest::Mount;
using fusetest::wait_mounted;

namespace {

// An image of one small tree, and the directory it lies in.
struct Image {
    TempDir dir{"mount-safety"};
    std::string iso = (dir / "doc.iso").string();
    Image() {
        write_file(dir / "t/readme.txt", "readme\n");
        auto r = run({tool("master-image"), "create", iso, "--from", (dir / "t").string()});
        EXPECT_EQ(r.exit_code, 0) << r.err;
    }
};

// A file's text, empty if it cannot be read (a process that just ended).
std::string text_of(const fs::path& p) {
    std::ifstream f(p);
    std::stringstream text;
    text << f.rdbuf();
    return text.str();
}

// The process ids of running master-mount daemons whose arguments include `arg`.
std::vector<int> daemons_with(const std::string& arg) {
    std::vector<int> pids;
    for (const auto& e : fs::directory_iterator("/proc")) {
        std::string name = e.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::string cmdline = text_of(e.path() / "cmdline"), status = text_of(e.path() / "status");
        if (cmdline.find("master-mount") == std::string::npos || cmdline.find(arg) == std::string::npos) continue;
        if (status.find("State:\tZ") != std::string::npos) continue;  // exited, not yet reaped
        pids.push_back(std::stoi(name));
    }
    return pids;
}

// One line on stderr, naming `what`; exit 1; nothing mounted.
void expect_refused(const RunResult& r, const std::string& what, const fs::path& mountpoint) {
    EXPECT_EQ(r.exit_code, 1) << r.command << "\n" << r.err;
    EXPECT_NE(r.err.find(what), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(in_mount_table(mountpoint)) << r.command;
    for (int i = 0; i < 5 && in_mount_table(mountpoint); ++i) run({"fusermount3", "-u", mountpoint.string()});
}

}  // namespace

TEST(ThirdPartyMasterMount, a_signal_in_the_foreground_unmounts_a_relative_mount_point_and_exits_0) {
    REQUIRE_FUSE();
    Image img;
    for (int sig : {SIGINT, SIGTERM}) {
        SCOPED_TRACE(strsignal(sig));
        fs::path mnt = img.dir / "mnt";
        // Started in the image's directory with relative paths, as a user types it.
        Mount m(mnt, {"sh", "-c", "cd '" + img.dir.path().string() + "' && exec '" + tool("master-mount") + "' doc.iso mnt -f"});
        ASSERT_TRUE(m.mounted()) << m.log();
        EXPECT_EQ(read_file(mnt / "readme.txt"), "readme\n");
        EXPECT_EQ(m.stop(sig), 0) << m.log();
        EXPECT_EQ(m.log().find("cannot mount"), std::string::npos) << m.log();
        EXPECT_EQ(m.log().find("failed to unmount"), std::string::npos) << m.log();
        EXPECT_FALSE(in_mount_table(mnt)) << "left mounted";
        std::error_code ec;
        EXPECT_TRUE(fs::is_empty(mnt, ec)) << ec.message() << ": the directory is itself again";
    }
}

TEST(ThirdPartyMasterMount, a_signal_to_the_daemon_unmounts_a_relative_mount_point) {
    REQUIRE_FUSE();
    Image img;
    for (int sig : {SIGTERM, SIGINT}) {
        SCOPED_TRACE(strsignal(sig));
        fs::path mnt = img.dir / ("bg" + std::to_string(sig));
        fs::create_directories(mnt);
        auto r = run({tool("master-mount"), "doc.iso", mnt.filename().string()}, {.cwd = img.dir.path()});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        ASSERT_TRUE(wait_mounted(mnt, true));
        Mount cleanup(mnt, {"true"});  // unmounts whatever a failure leaves behind
        EXPECT_EQ(read_file(mnt / "readme.txt"), "readme\n");
        auto pids = daemons_with(mnt.filename().string());
        ASSERT_EQ(pids.size(), 1u);
        ASSERT_EQ(::kill(pids[0], sig), 0);
        EXPECT_TRUE(wait_mounted(mnt, false)) << "still mounted after the signal";
        std::error_code ec;
        EXPECT_TRUE(fs::is_empty(mnt, ec)) << ec.message() << ": no stale mount";
        for (int i = 0; i < 400 && !daemons_with(mnt.filename().string()).empty(); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
        EXPECT_TRUE(daemons_with(mnt.filename().string()).empty()) << "the daemon ended";
    }
}

TEST(ThirdPartyMasterMount, a_mount_point_that_would_hide_the_source_is_refused) {
    REQUIRE_FUSE();
    Image img;
    // The image itself, absolute and relative.
    expect_refused(run({tool("master-mount"), img.iso, img.iso}), "is the source itself", img.iso);
    expect_refused(run({tool("master-mount"), "doc.iso", "./doc.iso"}, {.cwd = img.dir.path()}), "is the source itself",
                   img.iso);
    EXPECT_EQ(run({tool("master-info"), img.iso}).exit_code, 0) << "the image stays readable";
    // The directory that holds it.
    expect_refused(run({tool("master-mount"), "doc.iso", "."}, {.cwd = img.dir.path()}), "holds the source",
                   img.dir.path());
    // A directory inside a virtual disc, by path and by drive address.
    fs::path disc = img.dir / "d.vdisc";
    ASSERT_EQ(run({tool("master-image"), "create", disc.string(), "--media", "bd-r"}).exit_code, 0);
    ASSERT_EQ(run({tool("master-burn"), "--drive", "emu:" + disc.string(), "--from", (img.dir / "t").string()}).exit_code, 0);
    fs::create_directories(disc / "inside");
    expect_refused(run({tool("master-mount"), disc.string(), (disc / "inside").string()}), "lies inside the source",
                   disc / "inside");
    expect_refused(run({tool("master-mount"), "emu:" + disc.string(), (disc / "inside").string()}),
                   "lies inside the source", disc / "inside");
}

TEST(ThirdPartyMasterMount, a_non_empty_directory_is_refused_unless_nonempty_is_given) {
    REQUIRE_FUSE();
    Image img;
    fs::path full = img.dir / "full";
    write_file(full / "mine.txt", "mine\n");
    expect_refused(run({tool("master-mount"), img.iso, full.string()}), "is not empty", full);
    EXPECT_EQ(read_file(full / "mine.txt"), "mine\n");
    // libfuse 2's -o nonempty, alone or in a list: mounted over it, and it is back after the unmount.
    for (const char* opt : {"nonempty", "default_permissions,nonempty"}) {
        Mount m(img.iso, full, {"-o", opt});
        ASSERT_TRUE(m.mounted()) << m.log();
        EXPECT_EQ(read_file(full / "readme.txt"), "readme\n");
        EXPECT_FALSE(fs::exists(full / "mine.txt"));
        EXPECT_EQ(m.unmount(), 0);
        EXPECT_EQ(read_file(full / "mine.txt"), "mine\n");
    }
}

TEST(ThirdPartyMasterMount, an_existing_mount_point_is_refused) {
    REQUIRE_FUSE();
    Image img;
    fs::path mnt = img.dir / "mnt";
    Mount first(img.iso, mnt);
    ASSERT_TRUE(first.mounted()) << first.log();
    // Not on top of it, not even with -o nonempty.
    for (std::vector<std::string> extra : {std::vector<std::string>{}, std::vector<std::string>{"-o", "nonempty"}}) {
        std::vector<std::string> argv = {tool("master-mount"), img.iso, mnt.string()};
        argv.insert(argv.end(), extra.begin(), extra.end());
        auto r = run(argv);
        EXPECT_EQ(r.exit_code, 1) << r.err;
        EXPECT_NE(r.err.find("is a mount point already"), std::string::npos) << r.err;
    }
    std::ifstream table("/proc/self/mountinfo");
    std::string line;
    int mounts = 0;
    while (std::getline(table, line)) mounts += line.find(" " + mnt.string() + " ") != std::string::npos;
    EXPECT_EQ(mounts, 1) << "one mount on " << mnt;
    EXPECT_EQ(read_file(mnt / "readme.txt"), "readme\n") << "the first mount still serves";
}

// A source whose name holds a comma (the FUSE option list's separator).
TEST(ThirdPartyMasterMount, a_source_named_with_a_comma_mounts) {
    REQUIRE_FUSE();
    Image img;
    fs::path odd = img.dir / "a,b.iso";
    fs::copy_file(img.iso, odd);
    Mount m(odd.string(), img.dir / "m");
    ASSERT_TRUE(m.mounted()) << m.log();
    EXPECT_EQ(read_file(img.dir / "m/readme.txt"), "readme\n");
}
