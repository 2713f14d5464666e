// Issue 16, item 13 ("Must show" 4): a CHAP secret given to the tools is never
// shown. Every tool runs with an iscsi:// address that carries the secret
// (and master-drive with --chap), on the way that works and on the ways that
// fail; then their output, their JSON, master-drive's log and traces, and
// /proc/mounts while master-mount has the drive mounted are searched for it.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <thread>

#include "tests/support/master_drive.h"
#include "tests/support/support.h"

using namespace dmtest;

namespace {

const std::string k_secret = "Sekr1t-7f2a9c-only-alice-knows";

// Where in `text` the secret shows, with some context; "" when nowhere.
std::string shown(const std::string& text) {
    auto at = text.find(k_secret);
    if (at == std::string::npos) return "";
    auto from = at < 200 ? 0 : at - 200;
    return text.substr(from, 400);
}

}  // namespace

TEST(ChapSecret, no_tool_output_log_or_mount_shows_it) {
    TempDir dir{"chap-secret"};
    write_file(dir / "day1/a.txt", "first\n");
    write_file(dir / "day2/b.txt", "second\n");
    fs::create_directories(dir / "traces");
    MasterDrive d({"burner=dvd+r:" + (dir / "burner.vdisc").string()},
                  {"--chap", "alice:" + k_secret, "--trace-dir", (dir / "traces").string()});
    ASSERT_TRUE(d.running()) << d.error();
    const std::string url = d.url("burner", "alice", k_secret);
    std::string everything;  // all that any tool printed or wrote
    auto keep = [&](const RunResult& r) {
        everything += r.out + r.err;
        return r;
    };
    auto run_tool = [&](std::vector<std::string> args) {
        args[0] = tool(args[0]);
        return keep(run(args, {.timeout = std::chrono::seconds(120)}));
    };

    // The ways that work: two sessions burned (text and JSON), the disc inspected, listed.
    auto burn = run_tool({"master-burn", "--drive", url, "--from", (dir / "day1").string()});
    ASSERT_EQ(burn.exit_code, 0) << burn.err;
    EXPECT_NE(burn.out.find("alice%***@"), std::string::npos) << "the drive is named, masked\n" << burn.out;
    auto json = run_tool({"master-burn", "--drive", url, "--from", (dir / "day2").string(), "--json"});
    ASSERT_EQ(json.exit_code, 0) << json.err;
    EXPECT_NE(json.out.find("\"drive\":\"iscsi://alice%***@"), std::string::npos) << json.out;
    auto info = run_tool({"master-info", url});
    ASSERT_EQ(info.exit_code, 0) << info.err;
    EXPECT_NE(info.out.find("source:   iscsi://alice%***@"), std::string::npos) << info.out;
    EXPECT_EQ(run_tool({"master-info", url, "--json"}).exit_code, 0);
    EXPECT_EQ(run_tool({"master-mount", url, "--list"}).exit_code, 0);

    // The ways that fail: a wrong target, a closed port, a malformed address,
    // a tool that does not take drives, a mount point that is not there.
    std::string wrong_target = "iscsi://alice%" + k_secret + "@" + d.portal() + "/iqn.2026-11.org.discmaster:nosuch/0";
    EXPECT_EQ(run_tool({"master-info", wrong_target}).exit_code, 1);
    EXPECT_EQ(run_tool({"master-burn", "--drive", "iscsi://alice%" + k_secret + "@127.0.0.1:1/iqn.x:y/0", "--from",
                        (dir / "day1").string(), "--json"})
                  .exit_code,
              1);
    EXPECT_EQ(run_tool({"master-info", "iscsi://alice%" + k_secret + "@" + d.portal() + "/iqn.x:y"}).exit_code, 1);
    EXPECT_EQ(run_tool({"master-info", "iscsi://alice:" + k_secret + "@" + d.portal() + ":99999/iqn.x:y/0"}).exit_code, 1);
    EXPECT_NE(run_tool({"master-image", "append", url, "--from", (dir / "day1").string()}).exit_code, 0);
    EXPECT_NE(run_tool({"master-mount", url, (dir / "nowhere").string(), "--session", "9"}).exit_code, 0);
    EXPECT_EQ(run_tool({"master-drive", "serve", "--listen", "127.0.0.1:0", "--drive", "x=", "--chap",
                        "alice" + k_secret})
                  .exit_code,
              1);

    // Mounted: /proc/mounts is readable by every user.
    if (::access("/dev/fuse", R_OK | W_OK) == 0 && find_program("fusermount3")) {
        fs::create_directories(dir / "mnt");
        Process mount({tool("master-mount"), url, (dir / "mnt").string(), "-f"}, dir / "mount.log");
        bool mounted = false;
        for (int i = 0; i < 400 && !mounted && mount.running(); ++i) {
            mounted = read_file("/proc/mounts").find((dir / "mnt").string()) != std::string::npos;
            if (!mounted) std::this_thread::sleep_for(std::chrono::milliseconds(25));
        }
        EXPECT_TRUE(mounted) << mount.log();
        std::string mounts = read_file("/proc/mounts");
        EXPECT_EQ(shown(mounts), "") << "/proc/mounts";
        EXPECT_NE(mounts.find("iscsi://alice%***@"), std::string::npos) << mounts;
        if (mounted) {
            EXPECT_EQ(read_file(dir / "mnt/b.txt"), "second\n");
        }
        run({"fusermount3", "-u", (dir / "mnt").string()});
        mount.wait(std::chrono::seconds(10));
        everything += mount.log();
    }

    // The server: its status, its log, its traces.
    everything += d.ctl({"status", "--json"}).out;
    everything += d.ctl({"trace", "burner"}).out;
    EXPECT_EQ(d.stop(), 0);
    everything += d.log();
    for (const auto& t : fs::directory_iterator(dir / "traces")) everything += read_file(t.path());
    EXPECT_EQ(shown(everything), "") << "the secret shows in what the tools printed or wrote";
}

// The secret from a file: iscsi://USER@HOST/... plus --chap-secret-file,
// which must be private to its owner.
TEST(ChapSecret, from_a_secret_file_the_tools_log_in) {
    TempDir dir{"chap-secret-file"};
    write_file(dir / "day1/a.txt", "first\n");
    MasterDrive d({"burner=dvd+r:" + (dir / "burner.vdisc").string()}, {"--chap", "alice:" + k_secret});
    ASSERT_TRUE(d.running()) << d.error();
    const std::string url = "iscsi://alice@" + d.portal() + "/iqn.2026-11.org.discmaster:burner/0";
    const std::string file = (dir / "secret").string();
    write_file(file, k_secret + "\n");
    ::chmod(file.c_str(), 0600);
    auto burn = run({tool("master-burn"), "--drive", url, "--from", (dir / "day1").string(), "--chap-secret-file", file});
    ASSERT_EQ(burn.exit_code, 0) << burn.err;
    auto info = run({tool("master-info"), url, "--chap-secret-file", file});
    ASSERT_EQ(info.exit_code, 0) << info.err;
    EXPECT_NE(info.out.find("sessions: 1"), std::string::npos) << info.out;
    auto list = run({tool("master-mount"), url, "--list", "--chap-secret-file", file});
    EXPECT_EQ(list.exit_code, 0) << list.err;
    // libiscsi's environment variables work as well.
    auto env = run({tool("master-info"), url}, {.env = {"LIBISCSI_CHAP_PASSWORD=" + k_secret}});
    EXPECT_EQ(env.exit_code, 0) << env.err;
    // No secret at all for a named user: said at once, not as a refused login.
    auto none = run({tool("master-info"), url});
    EXPECT_EQ(none.exit_code, 1);
    EXPECT_NE(none.err.find("names CHAP user 'alice' but no secret"), std::string::npos) << none.err;
    // A file others may read is refused.
    ::chmod(file.c_str(), 0644);
    auto open = run({tool("master-info"), url, "--chap-secret-file", file});
    EXPECT_EQ(open.exit_code, 1);
    EXPECT_NE(open.err.find("chmod 600"), std::string::npos) << open.err;
    EXPECT_EQ(shown(burn.out + burn.err + info.out + info.err + list.out + list.err + env.out + env.err + none.err +
                    open.err + d.log()),
              "");
}
