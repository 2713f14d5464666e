// The iSCSI target (RFC 7143) over Boost.Asio: one coroutine per connection
// reading exact-length PDUs, a writer coroutine draining a bounded send queue,
// device commands run on a per-LUN strand of a worker pool (so a slow command
// never stalls another session), NOP-In pings to find dead initiators.
#pragma once

#include <utility>  // before Asio (GCC 12 + Boost 1.74)

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "emulator/iscsi/login.h"

namespace emulator::iscsi {

struct ServerOptions {
    std::string address = "127.0.0.1";
    uint16_t port = 3260;  // 0: any free port
    TargetLimits limits;
    std::chrono::milliseconds nop_interval{10000};  // ping an idle initiator this often
    std::chrono::milliseconds nop_timeout{10000};   // and drop it if it does not answer in time
    std::chrono::milliseconds login_timeout{15000};
    // How long the I_T nexus of a session that ended without a Logout is kept
    // for a new login of the same initiator port (nexus_registry.h): as long
    // as open-iscsi retries by default (its replacement_timeout, 120 s).
    std::chrono::milliseconds nexus_retention{120000};
    // What SendTargets answers as TargetAddress, each "HOST[:PORT]" (the
    // listening port by default; IPv6 as [ADDRESS]). None by default: the
    // initiator then logs in through the address it discovered through (RFC
    // 7143 appendix C), which works through NAT and port forwards where no
    // address of ours would.
    std::vector<std::string> announce;
    unsigned io_threads = 2;
    unsigned lu_threads = 4;
    size_t max_command_bytes = 64u << 20;  // largest expected data transfer of one command
    std::function<void(const std::string&)> log;  // one line per event (stderr by default)
};

struct ConnectionInfo {
    std::string peer;
    std::string initiator;
    std::string target;
    bool discovery = false;
    bool logged_in = false;
    uint64_t commands = 0;
};

class Server final : public Directory {
public:
    explicit Server(ServerOptions options);
    ~Server() override;
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    void add_target(TargetInfo target);
    void remove_target(const std::string& name);
    void set_global_auth(AuthPolicy auth);

    Status start();
    void stop();
    uint16_t port() const { return m_port; }
    std::vector<ConnectionInfo> connections();

    // Directory
    const TargetInfo* find(const std::string& name) const override;
    std::vector<std::string> names() const override;
    const AuthPolicy& global_auth() const override { return m_auth; }
    std::string portal() const override;
    std::vector<std::string> target_addresses() const override { return m_target_addresses; }

    struct Impl;

private:
    ServerOptions m_options;
    std::unique_ptr<Impl> m_impl;
    mutable std::mutex m_targets_mutex;
    std::map<std::string, std::shared_ptr<TargetInfo>> m_targets;
    AuthPolicy m_auth;
    uint16_t m_port = 0;
    std::vector<std::string> m_target_addresses;  // "HOST:PORT,1", from ServerOptions::announce
};

// "HOST", "HOST:PORT", "[IPV6]" or "[IPV6]:PORT" as a TargetAddress value
// (RFC 7143 13.8) of portal group 1; `default_port` when none is given.
Result<std::string> target_address(const std::string& text, uint16_t default_port);

}  // namespace emulator::iscsi
