// What the FUSE tests share: whether FUSE is here, master-mount running in
// the foreground until it is unmounted, and what the kernel's mount table
// says about a directory.
#pragma once

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support/support.h"

namespace fusetest {

using namespace dmtest;

inline bool fuse_available() { return ::access("/dev/fuse", R_OK | W_OK) == 0 && find_program("fusermount3"); }

#define REQUIRE_FUSE()                                                                                   \
    do {                                                                                                 \
        if (!fusetest::fuse_available()) GTEST_SKIP() << "/dev/fuse or fusermount3 missing: FUSE tests skipped"; \
    } while (0)

// Whether the kernel lists `dir` (an absolute path without spaces) as a mount point.
inline bool in_mount_table(const fs::path& dir) {
    std::ifstream f("/proc/self/mountinfo");
    std::stringstream text;
    text << f.rdbuf();
    return text.str().find(" " + dir.string() + " ") != std::string::npos;
}

// Waits up to `seconds` until `dir` is (or is no longer) a mount point.
inline bool wait_mounted(const fs::path& dir, bool mounted, int seconds = 10) {
    for (int i = 0; i < seconds * 40; ++i) {
        if (in_mount_table(dir) == mounted) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return false;
}

// master-mount in the foreground (argv as given, or the usual one); unmounted
// with fusermount3 -u on destruction, so that a failed test leaves no mount.
class Mount {
public:
    Mount(const std::string& source, const fs::path& dir, std::vector<std::string> extra = {})
        : Mount(dir, with(std::vector<std::string>{tool("master-mount"), source, dir.string(), "-f"}, extra)) {}
    Mount(const fs::path& dir, const std::vector<std::string>& argv) : m_dir(dir) {
        fs::create_directories(dir);
        struct stat before {};
        ::stat(dir.c_str(), &before);
        m_process = std::make_unique<Process>(argv, dir.parent_path() / (dir.filename().string() + ".log"));
        for (int i = 0; i < 200; ++i) {
            struct stat now {};
            if (::stat(dir.c_str(), &now) == 0 && now.st_dev != before.st_dev) {
                m_mounted = true;
                break;
            }
            if (!m_process->running()) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
        }
    }
    ~Mount() {
        unmount();
        // Whatever a failure left behind (a stale mount, mounts on top of it).
        for (int i = 0; i < 5 && in_mount_table(fs::absolute(m_dir)); ++i) run({"fusermount3", "-u", m_dir.string()});
    }
    int unmount() {
        if (m_mounted) run({"fusermount3", "-u", m_dir.string()});
        m_mounted = false;
        auto st = m_process->wait(std::chrono::seconds(10));
        return st ? *st : m_process->stop(9);
    }
    // Sends `sig` and returns the exit status; the mount is master-mount's to undo.
    int stop(int sig) {
        int st = m_process->stop(sig, std::chrono::seconds(10));
        m_mounted = false;
        return st;
    }
    bool mounted() const { return m_mounted; }
    std::string log() const { return m_process->log(); }

private:
    static std::vector<std::string> with(std::vector<std::string> argv, const std::vector<std::string>& extra) {
        argv.insert(argv.end(), extra.begin(), extra.end());
        return argv;
    }
    fs::path m_dir;
    std::unique_ptr<Process> m_process;
    bool m_mounted = false;
};

}  // namespace fusetest
