// The iSCSI transport when the other side fails (issue 16, items 4, 10, 14):
// a refused port, a server killed in the middle of a command, a server that
// stops answering. Each scenario runs in a child process with a deadline, so
// that a crash or a hang is a failed test, not a dead or stuck test run.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include <array>
#include <functional>
#include <thread>

#include "mastering/transport/transport.h"
#include "tests/support/master_drive.h"
#include "tests/support/support.h"

using namespace mastering;
using namespace mastering::transport;

namespace {

// Runs `scenario` in a child process: its answer ("" when all went as
// expected, else what did not), "crashed (signal N)", or "hung" when it did
// not finish within `limit`.
std::string in_child(const std::function<std::string()>& scenario, std::chrono::seconds limit) {
    int fds[2];
    if (::pipe(fds) != 0) return "pipe failed";
    pid_t pid = ::fork();
    if (pid == 0) {
        ::close(fds[0]);
        std::string answer = scenario();
        (void)!::write(fds[1], answer.data(), answer.size());
        ::_exit(0);
    }
    ::close(fds[1]);
    auto deadline = std::chrono::steady_clock::now() + limit;
    int status = 0;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            ::close(fds[0]);
            return "hung (killed after " + std::to_string(limit.count()) + " s)";
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::string answer;
    char buf[4096];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) answer.append(buf, size_t(n));
    ::close(fds[0]);
    if (WIFSIGNALED(status)) return "crashed (signal " + std::to_string(WTERMSIG(status)) + ")";
    return answer;
}

// "" if `message` is one line containing every one of `parts`, else why not.
std::string says(const std::string& message, std::initializer_list<const char*> parts) {
    if (message.find('\n') != std::string::npos) return "more than one line: " + message;
    for (const char* p : parts)
        if (message.find(p) == std::string::npos) return "\"" + std::string(p) + "\" missing in: " + message;
    return "";
}

// Opens `url` in a child process (in_child) and runs `body` on the transport.
std::string with_transport(const std::string& url, const std::function<std::string(std::unique_ptr<Transport>&)>& body) {
    return in_child(
        [&]() -> std::string {
            auto t = open_transport(url);
            if (!t.ok()) return "cannot open: " + t.error().message;
            return body(*t);
        },
        std::chrono::seconds(60));
}

const uint8_t k_tur[6] = {0x00, 0, 0, 0, 0, 0};

struct Drive {
    dmtest::TempDir dir{"iscsi-connection"};
    std::unique_ptr<dmtest::MasterDrive> server;
    explicit Drive(const std::vector<std::string>& extra = {}) {
        server = std::make_unique<dmtest::MasterDrive>(std::vector<std::string>{"d=dvd+r:" + (dir / "d.vdisc").string()},
                                                       extra);
    }
    std::string url() const { return server->url("d"); }
};

}  // namespace

TEST(IscsiConnection, a_refused_port_is_one_clear_line) {
    // A port nothing listens on: bound, then closed.
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    std::string port = std::to_string(ntohs(a.sin_port));
    ::close(s);
    auto t = open_transport("iscsi://127.0.0.1:" + port + "/iqn.2026-11.org.discmaster:d/0");
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.error().code, Errc::io);
    EXPECT_EQ(says(t.error().message, {"cannot connect to 127.0.0.1:", "connection refused", "port"}), "");
}

TEST(IscsiConnection, a_server_killed_during_a_command_fails_it_and_every_later_one) {
    Drive d;
    ASSERT_TRUE(d.server->running()) << d.server->error();
    // The drive holds every WRITE(10) for 5 s: the server dies while one waits.
    auto fault = d.server->ctl({"fault", "d", "slow:5000:2A"});
    ASSERT_EQ(fault.exit_code, 0) << fault.err;
    int server_pid = d.server->pid();
    std::string answer = with_transport(d.url(), [&](std::unique_ptr<Transport>& t) -> std::string {
        std::thread killer([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
            ::kill(server_pid, SIGKILL);
        });
        std::vector<std::byte> block(32 * 2048);
        const uint8_t write10[10] = {0x2A, 0, 0, 0, 0, 0, 0, 0, 32, 0};
        Command w(write10, Direction::out, block);
        Status first = t->execute(w);
        killer.join();
        if (first.ok()) return "the WRITE succeeded on a dead server";
        if (auto why = says(first.error().message, {"lost the connection to the drive"}); !why.empty()) return why;
        // Later commands fail at once with the same reason; nothing is
        // left for libiscsi to call back into when the context goes.
        Command c(k_tur);
        Status later = t->execute(c);
        if (later.ok()) return "a later command succeeded";
        if (later.error().message != first.error().message) return "a later command says: " + later.error().message;
        t.reset();
        return "";
    });
    EXPECT_EQ(answer, "");
}

TEST(IscsiConnection, a_server_that_stops_answering_times_out_the_command) {
    Drive d;
    ASSERT_TRUE(d.server->running()) << d.server->error();
    int server_pid = d.server->pid();
    std::string answer = with_transport(d.url(), [&](std::unique_ptr<Transport>& t) -> std::string {
        dmtest::freeze_process(server_pid);  // the TCP connection stays; nothing answers
        Command c(k_tur);
        c.timeout = std::chrono::seconds(2);
        Status st = t->execute(c);
        if (st.ok()) return "the command succeeded on a stopped server";
        if (auto why = says(st.error().message, {"did not answer TEST UNIT READY within 2 s"}); !why.empty()) return why;
        Command again(k_tur);
        Status later = t->execute(again);
        if (later.ok() || later.error().message != st.error().message)
            return "a later command: " + (later.ok() ? std::string("succeeded") : later.error().message);
        t.reset();  // no logout to wait for on a session that timed out
        return "";
    });
    ::kill(server_pid, SIGCONT);
    EXPECT_EQ(answer, "");
}

TEST(IscsiConnection, a_silent_server_times_out_the_login) {
    Drive d;
    ASSERT_TRUE(d.server->running()) << d.server->error();
    int server_pid = d.server->pid();
    dmtest::freeze_process(server_pid);  // the kernel still accepts connections; no login answer comes
    std::string url = d.url();
    std::string answer = in_child(
        [&]() -> std::string {
            OpenOptions o;
            o.login_timeout = std::chrono::seconds(1);
            auto t = open_transport(url, o);
            if (t.ok()) return "logged in to a stopped server";
            return says(t.error().message, {"accepted the connection but did not answer the iSCSI login within 1 s"});
        },
        std::chrono::seconds(60));
    ::kill(server_pid, SIGCONT);
    EXPECT_EQ(answer, "");
}

// A session between commands (the burn engine scanning a large tree before
// it writes) still answers the target's NOP-In pings, as the kernel's
// initiator does: master-drive drops an initiator that does not answer
// within --nop-interval, LIO within its nopin timeout.
TEST(IscsiConnection, an_idle_session_answers_the_targets_pings) {
    Drive d({"--nop-interval", "1"});
    ASSERT_TRUE(d.server->running()) << d.server->error();
    std::string answer = with_transport(d.url(), [&](std::unique_ptr<Transport>& t) -> std::string {
        std::this_thread::sleep_for(std::chrono::seconds(5));  // pinged every second, dropped after a second unanswered
        Command c(k_tur);
        Status st = t->execute(c);
        return st.ok() ? "" : st.error().message;
    });
    EXPECT_EQ(answer, "") << d.server->log();
}
