#include "tests/support/tgtd.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

namespace dmtest {

int free_tcp_port() {
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = 0;
    if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0)
        port = ntohs(a.sin_port);
    ::close(s);
    return port;
}

namespace {
bool port_open(int port) {
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(s);
    return ok;
}
std::atomic<int> g_control{0};
}  // namespace

Tgtd::Tgtd() {
    if (!find_program("tgtd")) {
        m_error = "tgtd is not installed";
        return;
    }
    m_port = free_tcp_port();
    m_control = 100 + int(::getpid() % 3000) * 10 + (g_control++ % 10);  // tgtadm accepts up to 32767
    std::string log = (m_dir.path() / "tgtd.log").string();
    m_process = std::make_unique<Process>(std::vector<std::string>{"tgtd", "-f", "-C", std::to_string(m_control), "--iscsi",
                                                                   "portal=127.0.0.1:" + std::to_string(m_port)},
                                          log);
    if (!m_process->started()) {
        m_error = "cannot start tgtd";
        return;
    }
    for (int i = 0; i < 100 && !port_open(m_port); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (!port_open(m_port)) m_error = "tgtd did not start listening: " + read_file(log);
}

Tgtd::~Tgtd() {
    if (!running()) return;
    // tgtd ignores SIGTERM while it has targets: delete them first, then ask it to exit.
    for (int tid = 1; tid < m_next_tid; ++tid)
        adm({"--op", "delete", "--mode", "target", "--tid", std::to_string(tid), "--force"});
    run({"tgtadm", "-C", std::to_string(m_control), "--op", "delete", "--mode", "system"},
        {.timeout = std::chrono::seconds(10)});
    if (!m_process->wait(std::chrono::milliseconds(2500))) m_process->stop(SIGKILL);
}

bool Tgtd::adm(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"tgtadm", "-C", std::to_string(m_control), "--lld", "iscsi"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run(argv, {.timeout = std::chrono::seconds(30)});
    if (r.exit_code != 0) m_error = r.command + ": " + r.err + r.out;
    return r.exit_code == 0;
}

bool Tgtd::add_target(const std::string& iqn, const std::string& path, const std::string& device_type) {
    std::string tid = std::to_string(m_next_tid++);
    return adm({"--op", "new", "--mode", "target", "--tid", tid, "-T", iqn}) &&
           adm({"--op", "new", "--mode", "logicalunit", "--tid", tid, "--lun", "1", "--device-type", device_type, "-b",
                path}) &&
           adm({"--op", "bind", "--mode", "target", "--tid", tid, "-I", "ALL"});
}

std::string Tgtd::url(const std::string& iqn, int lun) const {
    return "iscsi://127.0.0.1:" + std::to_string(m_port) + "/" + iqn + "/" + std::to_string(lun);
}

}  // namespace dmtest
