// Test support shared by every test binary: temporary directories, running
// programs (ours and third-party), building and comparing file trees.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dmtest {

namespace fs = std::filesystem;

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it
// when the object dies, unless DM_KEEP_TMP is set in the environment.
class TempDir {
public:
    explicit TempDir(const std::string& tag = "dmtest");
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return m_path; }
    fs::path operator/(const std::string& rel) const { return m_path / rel; }

private:
    fs::path m_path;
};

struct RunResult {
    int exit_code = -1;       // exit status; 128+N for signal N; -1 if it could not start
    bool timed_out = false;
    std::string out;
    std::string err;
    std::string command;      // for failure messages
};

struct RunOptions {
    std::chrono::seconds timeout{300};
    std::optional<std::string> input;    // written to the child's stdin
    std::optional<fs::path> cwd;
    std::vector<std::string> env;        // extra NAME=VALUE entries
};

// Run argv[0] (searched in PATH) with its arguments; never throws.
RunResult run(const std::vector<std::string>& argv, const RunOptions& options = {});

// A program running in the background (a daemon under test): stdout and
// stderr go to `log`. The destructor kills it (SIGKILL) if it still runs.
class Process {
public:
    Process(const std::vector<std::string>& argv, const fs::path& log, const std::vector<std::string>& env = {});
    ~Process();
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    bool started() const { return m_pid > 0; }
    int pid() const { return m_pid; }
    bool running();
    // Sends `sig`, waits up to `grace` for the exit (SIGKILL after that);
    // the exit status as run() reports it (128+N for signal N).
    int stop(int sig, std::chrono::milliseconds grace = std::chrono::seconds(20));
    // Waits up to `timeout` for the exit; nullopt if it still runs.
    std::optional<int> wait(std::chrono::milliseconds timeout);
    std::string log() const;

private:
    int m_pid = -1;
    std::optional<int> m_status;
    fs::path m_log;
};

// SIGSTOP to `pid`, returning once every thread of it has stopped (one on
// another CPU could otherwise still answer one more request): a server that
// keeps its connections open and answers nothing.
void freeze_process(int pid);

// osirrox (xorriso) extracts the tree of one session of an image (the
// session starting at `sbsector`; nullopt: the newest) into `out`, holes kept,
// hard links restored: the third-party reader the mastering tests judge by.
RunResult osirrox_extract(const std::string& image, const fs::path& out, std::optional<uint64_t> sbsector = {});

// Absolute path of one of our tools (master-image, ...), from the build tree
// (or from $DM_TEST_TOOLS_DIR when set).
std::string tool(const std::string& name);
// The session starts master-info reports for an image, virtual disc or drive
// (a test failure, and an empty list, if it cannot read the source).
std::vector<uint32_t> session_starts(const std::string& source);
// Path of a program in PATH, or nullopt.
std::optional<std::string> find_program(const std::string& name);

// Third-party programs the tests need are installed by scripts/install-deps.sh;
// a missing one is a failure, unless DM_ALLOW_MISSING_TOOLS=1 turns it into a
// skip. Use as: DM_REQUIRE_PROGRAM("xorriso");
bool allow_missing_tools();
#define DM_REQUIRE_PROGRAM(name)                                                              \
    do {                                                                                      \
        if (!::dmtest::find_program(name)) {                                                  \
            if (::dmtest::allow_missing_tools()) GTEST_SKIP() << name << " is not installed"; \
            FAIL() << name << " is not installed (scripts/install-deps.sh installs it)";      \
        }                                                                                     \
    } while (0)

// Files.
void write_file(const fs::path& p, const std::string& content);
std::string read_file(const fs::path& p);
// A file of `size` bytes of deterministic pseudo-random content from `seed`.
void write_random_file(const fs::path& p, uint64_t size, uint32_t seed);

// One entry of a tree as a reader would see it.
struct Entry {
    char type = '?';           // 'f' file, 'd' directory, 'l' symlink, 'c'/'b' device, 'p' fifo, 's' socket
    uint32_t mode = 0;         // permission bits (07777)
    uint64_t size = 0;
    std::string digest;        // content digest of files
    std::string link;          // symlink target
    uint64_t inode = 0;        // for hard-link grouping
    uint32_t nlink = 0;
    int64_t mtime = 0;
};

struct TreeOptions {
    bool modes = true;
    bool contents = true;
    bool hard_links = false;   // compare hard-link grouping
    bool mtimes = false;
};

// relative path ("a/b.txt", "" for the root) -> entry, via lstat.
std::map<std::string, Entry> scan_tree(const fs::path& root, const TreeOptions& o = {});
// Empty if equal; otherwise a readable list of differences (at most ~40 lines).
std::string diff_trees(const std::map<std::string, Entry>& expected, const std::map<std::string, Entry>& actual,
                       const TreeOptions& o = {});

}  // namespace dmtest
