#include "tests/support/support.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace dmtest {

TempDir::TempDir(const std::string& tag) {
    const char* base = std::getenv("TMPDIR");
    std::string templ = std::string(base && *base ? base : "/tmp") + "/" + tag + ".XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    if (!::mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed: " + std::string(std::strerror(errno)));
    m_path = buf.data();
}

TempDir::~TempDir() {
    if (std::getenv("DM_KEEP_TMP")) return;
    std::error_code ec;
    // Directories may have been made read-only by a test; give write back first.
    for (auto it = fs::recursive_directory_iterator(m_path, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_directory(ec) && !it->is_symlink(ec)) ::chmod(it->path().c_str(), 0700);
    }
    fs::remove_all(m_path, ec);
}

std::vector<uint32_t> session_starts(const std::string& source) {
    auto r = run({tool("master-info"), source, "--json"});
    std::vector<uint32_t> out;
    EXPECT_EQ(r.exit_code, 0) << r.err;
    if (r.exit_code != 0) return out;
    auto j = nlohmann::json::parse(r.out);  // named: the loop must not range over a temporary's member
    for (const auto& s : j["sessions"]) out.push_back(s["start"].get<uint32_t>());
    return out;
}

std::optional<std::string> find_program(const std::string& name) {
    if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? std::optional(name) : std::nullopt;
    const char* path = std::getenv("PATH");
    std::string p = path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    std::stringstream ss(p);
    std::string dir;
    while (std::getline(ss, dir, ':')) {
        std::string cand = (dir.empty() ? "." : dir) + "/" + name;
        if (::access(cand.c_str(), X_OK) == 0) return cand;
    }
    return std::nullopt;
}

bool allow_missing_tools() {
    const char* v = std::getenv("DM_ALLOW_MISSING_TOOLS");
    return v && std::string(v) == "1";
}

RunResult osirrox_extract(const std::string& image, const fs::path& out, std::optional<uint64_t> sbsector) {
    std::vector<std::string> a = {"osirrox", "-osirrox", "sparse=1m", "-hardlinks", "on"};
    if (sbsector) a.insert(a.end(), {"-load", "sbsector", std::to_string(*sbsector)});
    a.insert(a.end(), {"-indev", image, "-extract", "/", out.string()});
    return run(a);
}

// DM_TEST_TOOLS_DIR runs the tests against other builds of the tools (e.g.
// an issue's base, to show that a test fails there).
std::string tool(const std::string& name) {
    const char* other = std::getenv("DM_TEST_TOOLS_DIR");
    return std::string(other && *other ? other : DM_TOOLS_DIR) + "/" + name;
}

namespace {
std::vector<std::string> environment_with(const std::vector<std::string>& extra) {
    std::vector<std::string> envs;
    for (char** e = environ; *e; ++e) envs.emplace_back(*e);
    envs.insert(envs.end(), extra.begin(), extra.end());
    return envs;
}
std::vector<char*> c_strings(std::vector<std::string>& v) {
    std::vector<char*> out;
    for (auto& s : v) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}
int exit_status(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1; }
}  // namespace

Process::Process(const std::vector<std::string>& argv, const fs::path& log, const std::vector<std::string>& env)
    : m_log(log) {
    if (argv.empty()) return;
    std::vector<std::string> envs = environment_with(env), argv_copy = argv;
    auto envp = c_strings(envs), args = c_strings(argv_copy);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid = -1;
    if (::posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), envp.data()) == 0) m_pid = pid;
    posix_spawn_file_actions_destroy(&fa);
}

Process::~Process() {
    if (running()) stop(SIGKILL);
}

bool Process::running() { return m_pid > 0 && !wait(std::chrono::milliseconds(0)); }

std::optional<int> Process::wait(std::chrono::milliseconds timeout) {
    if (m_status || m_pid <= 0) return m_status;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int status = 0;
        pid_t r = ::waitpid(m_pid, &status, WNOHANG);
        if (r == m_pid) return m_status = exit_status(status);
        if (r < 0 && errno != EINTR) return m_status = -1;
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

int Process::stop(int sig, std::chrono::milliseconds grace) {
    if (!running()) return m_status.value_or(-1);
    ::kill(m_pid, sig);
    if (auto st = wait(grace)) return *st;
    ::kill(m_pid, SIGKILL);
    return wait(std::chrono::seconds(60)).value_or(-1);
}

std::string Process::log() const {
    std::error_code ec;
    return fs::exists(m_log, ec) ? read_file(m_log) : std::string();
}

RunResult run(const std::vector<std::string>& argv, const RunOptions& options) {
    RunResult r;
    for (const auto& a : argv) r.command += (r.command.empty() ? "" : " ") + a;
    if (argv.empty()) return r;
    int in_pipe[2], out_pipe[2], err_pipe[2];
    if (::pipe2(in_pipe, O_CLOEXEC) || ::pipe2(out_pipe, O_CLOEXEC) || ::pipe2(err_pipe, O_CLOEXEC)) return r;

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in_pipe[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
    if (options.cwd) posix_spawn_file_actions_addchdir_np(&fa, options.cwd->c_str());
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);

    std::vector<std::string> envs = environment_with(options.env), argv_copy = argv;
    auto envp = c_strings(envs), args = c_strings(argv_copy);

    pid_t pid = -1;
    int rc = ::posix_spawnp(&pid, args[0], &fa, &attr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    ::close(in_pipe[0]);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    if (rc != 0) {
        ::close(in_pipe[1]);
        ::close(out_pipe[0]);
        ::close(err_pipe[0]);
        r.err = "cannot start " + argv[0] + ": " + std::strerror(rc);
        return r;
    }

    std::string input = options.input.value_or("");
    size_t input_done = 0;
    if (input.empty()) { ::close(in_pipe[1]); in_pipe[1] = -1; }
    else ::fcntl(in_pipe[1], F_SETFL, O_NONBLOCK);
    ::signal(SIGPIPE, SIG_IGN);

    auto deadline = std::chrono::steady_clock::now() + options.timeout;
    std::array<char, 65536> buf;
    int open_fds = 2;
    while (open_fds > 0 || in_pipe[1] >= 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) { r.timed_out = true; break; }
        pollfd fds[3] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}, {in_pipe[1], POLLOUT, 0}};
        int n = ::poll(fds, 3, int(std::min<int64_t>(left.count(), 1000)));
        if (n < 0 && errno != EINTR) break;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t k = ::read(fds[i].fd, buf.data(), buf.size());
            if (k > 0) (i == 0 ? r.out : r.err).append(buf.data(), size_t(k));
            else if (k == 0 || errno != EINTR) {
                ::close(fds[i].fd);
                (i == 0 ? out_pipe[0] : err_pipe[0]) = -1;
                --open_fds;
            }
        }
        if (in_pipe[1] >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t k = ::write(in_pipe[1], input.data() + input_done, input.size() - input_done);
            if (k > 0) input_done += size_t(k);
            if (k < 0 && errno != EAGAIN && errno != EINTR) input_done = input.size();
            if (input_done == input.size()) { ::close(in_pipe[1]); in_pipe[1] = -1; }
        }
    }
    if (r.timed_out) ::kill(-pid, SIGKILL);
    for (int fd : {in_pipe[1], out_pipe[0], err_pipe[0]})
        if (fd >= 0) ::close(fd);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    r.exit_code = exit_status(status);
    return r;
}

void write_file(const fs::path& p, const std::string& content) {
    fs::create_directories(p.parent_path());
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f.write(content.data(), std::streamsize(content.size()));
    if (!f) throw std::runtime_error("cannot write " + p.string());
}

std::string read_file(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    if (!f) throw std::runtime_error("cannot read " + p.string());
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

void write_random_file(const fs::path& p, uint64_t size, uint32_t seed) {
    fs::create_directories(p.parent_path());
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    std::mt19937_64 rng(seed);
    std::vector<uint64_t> chunk(8192);
    uint64_t left = size;
    while (left > 0) {
        for (auto& w : chunk) w = rng();
        size_t n = size_t(std::min<uint64_t>(left, chunk.size() * 8));
        f.write(reinterpret_cast<const char*>(chunk.data()), std::streamsize(n));
        left -= n;
    }
    if (!f) throw std::runtime_error("cannot write " + p.string());
}

namespace {

// A digest of the content that does not depend on how zeros are stored:
// 64 KiB chunks that are all zero (holes included) are left out, every other
// chunk is hashed with its index. Holes are skipped without reading them, so
// a sparse 5 GiB file costs almost nothing.
std::string digest_file(const fs::path& p) {
    int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return "unreadable";
    struct stat st {};
    ::fstat(fd, &st);
    uint64_t size = uint64_t(st.st_size);
    constexpr uint64_t chunk = 64 * 1024;
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_md5(), nullptr);
    std::vector<unsigned char> buf(chunk);
    uint64_t pos = 0;
    while (pos < size) {
        off_t d = ::lseek(fd, off_t(pos), SEEK_DATA);
        if (d < 0) break;  // only a hole is left
        uint64_t at = uint64_t(d) / chunk * chunk;
        ssize_t n = ::pread(fd, buf.data(), size_t(std::min(chunk, size - at)), off_t(at));
        if (n <= 0) break;
        bool zero = std::all_of(buf.begin(), buf.begin() + n, [](unsigned char c) { return c == 0; });
        if (!zero) {
            uint64_t index = at / chunk;
            EVP_DigestUpdate(md, &index, sizeof index);
            EVP_DigestUpdate(md, buf.data(), size_t(n));
        }
        pos = at + uint64_t(n);
    }
    ::close(fd);
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_DigestFinal_ex(md, out, &len);
    EVP_MD_CTX_free(md);
    std::string hex;
    char b[3];
    for (unsigned i = 0; i < len; ++i) {
        std::snprintf(b, sizeof b, "%02x", out[i]);
        hex += b;
    }
    return hex;
}

char type_of(mode_t m) {
    if (S_ISREG(m)) return 'f';
    if (S_ISDIR(m)) return 'd';
    if (S_ISLNK(m)) return 'l';
    if (S_ISCHR(m)) return 'c';
    if (S_ISBLK(m)) return 'b';
    if (S_ISFIFO(m)) return 'p';
    if (S_ISSOCK(m)) return 's';
    return '?';
}

}  // namespace

std::map<std::string, Entry> scan_tree(const fs::path& root, const TreeOptions& o) {
    std::map<std::string, Entry> out;
    auto add = [&](const fs::path& p, const std::string& rel) {
        struct stat st {};
        if (::lstat(p.c_str(), &st) != 0) return;
        Entry e;
        e.type = type_of(st.st_mode);
        e.mode = st.st_mode & 07777;
        e.inode = st.st_ino;
        e.nlink = uint32_t(st.st_nlink);
        e.mtime = st.st_mtim.tv_sec;
        if (e.type == 'f') {
            e.size = uint64_t(st.st_size);
            if (o.contents) e.digest = digest_file(p);
        } else if (e.type == 'l') {
            std::error_code ec;
            e.link = fs::read_symlink(p, ec).string();
        }
        out[rel] = e;
    };
    add(root, "");
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec))
        add(it->path(), it->path().lexically_relative(root).string());  // not fs::relative: it resolves symlinks
    return out;
}

std::string diff_trees(const std::map<std::string, Entry>& expected, const std::map<std::string, Entry>& actual,
                       const TreeOptions& o) {
    std::ostringstream d;
    int lines = 0;
    auto note = [&](const std::string& s) {
        if (lines++ < 40) d << s << '\n';
    };
    for (const auto& [path, e] : expected) {
        auto it = actual.find(path);
        std::string name = path.empty() ? "/" : path;
        if (it == actual.end()) { note("missing: " + name); continue; }
        const Entry& a = it->second;
        if (a.type != e.type) { note(name + ": type " + a.type + ", expected " + e.type); continue; }
        if (o.modes && a.mode != e.mode) {
            char buf[64];
            std::snprintf(buf, sizeof buf, ": mode %04o, expected %04o", a.mode, e.mode);
            note(name + buf);
        }
        if (e.type == 'f' && a.size != e.size)
            note(name + ": size " + std::to_string(a.size) + ", expected " + std::to_string(e.size));
        else if (e.type == 'f' && o.contents && a.digest != e.digest) note(name + ": contents differ");
        if (e.type == 'l' && a.link != e.link) note(name + ": link -> " + a.link + ", expected -> " + e.link);
        if (o.mtimes && e.type != 'l' && a.mtime != e.mtime)
            note(name + ": mtime " + std::to_string(a.mtime) + ", expected " + std::to_string(e.mtime));
    }
    for (const auto& [path, a] : actual)
        if (!expected.count(path)) note("unexpected: " + path);
    if (o.hard_links) {
        // Two files share an inode in one tree iff they do in the other.
        auto groups = [](const std::map<std::string, Entry>& t) {
            std::map<uint64_t, std::set<std::string>> by_ino;
            for (const auto& [p, e] : t)
                if (e.type == 'f') by_ino[e.inode].insert(p);
            std::set<std::set<std::string>> g;
            for (auto& [ino, s] : by_ino)
                if (s.size() > 1) g.insert(s);
            return g;
        };
        auto ge = groups(expected), ga = groups(actual);
        for (const auto& s : ge)
            if (!ga.count(s)) note("hard-link group not preserved: " + *s.begin() + " (+" + std::to_string(s.size() - 1) + ")");
        for (const auto& s : ga)
            if (!ge.count(s)) note("unexpected hard-link group: " + *s.begin() + " (+" + std::to_string(s.size() - 1) + ")");
    }
    if (lines > 40) d << "... and " << (lines - 40) << " more\n";
    return d.str();
}

}  // namespace dmtest
