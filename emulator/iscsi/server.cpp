#include "emulator/iscsi/server.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "emulator/iscsi/session.h"

namespace emulator::iscsi {

using asio::use_awaitable;
using boost::system::error_code;

struct Server::Impl final : SessionHost {
    Server& server;
    // The pool outlives the io_contexts: sessions still pending in an
    // io_context when it is destroyed hold strands of the pool.
    asio::thread_pool lu_pool;
    BufferPool buffer_pool;  // Data-In and Data-Out of every connection
    // One io_context per I/O thread, each connection on one of them for its
    // whole life: its coroutines never hop threads (no wake-ups between
    // threads on the hot path); the acceptor lives on the first.
    std::vector<std::unique_ptr<asio::io_context>> ios;
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;
    std::optional<tcp::acceptor> acceptor;
    size_t next_io = 0;
    std::vector<std::thread> threads;
    std::mutex sessions_mutex;
    std::set<std::shared_ptr<Session>> sessions;
    std::mutex strands_mutex;
    std::map<std::string, std::shared_ptr<LuStrand>> lu_strands;
    std::atomic<uint16_t> next_tsih{1};
    std::atomic<bool> stopping{false};
    NexusRegistry nexuses;

    Impl(Server& s, unsigned lu_threads, unsigned io_threads)
        : server(s), lu_pool(lu_threads), nexuses(s.m_options.nexus_retention) {
        for (unsigned i = 0; i < std::max(1u, io_threads); ++i) ios.push_back(std::make_unique<asio::io_context>(1));
        acceptor.emplace(*ios[0]);
    }

    // SessionHost
    const Directory& directory() const override { return server; }
    const ServerOptions& options() const override { return server.m_options; }
    BufferPool& buffers() override { return buffer_pool; }
    std::shared_ptr<LuStrand> strand_for(const std::string& target) override {
        std::lock_guard lock(strands_mutex);
        auto& s = lu_strands[target];
        if (!s) s = std::make_shared<LuStrand>(lu_pool.get_executor());
        return s;
    }
    uint16_t new_tsih() override {
        uint16_t tsih = next_tsih++;
        return tsih ? tsih : next_tsih++;  // 0 is no session (RFC 7143 11.12.6)
    }
    NexusRegistry& nexus_registry() override { return nexuses; }
    bool stopping_now() const override { return stopping; }

    awaitable<void> accept_loop();
    awaitable<void> expire_nexuses();
};

// Nexuses kept after a session ended without a Logout close once no login
// of their initiator port came back in time.
awaitable<void> Server::Impl::expire_nexuses() {
    asio::steady_timer tick(co_await asio::this_coro::executor);
    auto every = std::clamp<std::chrono::milliseconds>(nexuses.retention() / 4, std::chrono::milliseconds(10),
                                                       std::chrono::milliseconds(1000));
    while (!stopping) {
        tick.expires_after(every);
        error_code ec;
        co_await tick.async_wait(asio::redirect_error(use_awaitable, ec));
        for (const auto& port : nexuses.expire())
            server.m_options.log(port.initiator + ": no new login within " +
                                 std::to_string(nexuses.retention().count() / 1000) + " s: its I_T nexus with " +
                                 port.target + " is closed");
    }
}

// Each connection a session, on the next I/O thread.
awaitable<void> Server::Impl::accept_loop() {
    while (!stopping) {
        error_code ec;
        auto& io = *ios[next_io++ % ios.size()];
        tcp::socket sock = co_await acceptor->async_accept(io, asio::redirect_error(use_awaitable, ec));
        if (ec) {
            if (stopping || ec == asio::error::operation_aborted) break;
            continue;
        }
        auto session = std::make_shared<Session>(*this, std::move(sock));
        {
            std::lock_guard lock(sessions_mutex);
            sessions.insert(session);
        }
        asio::co_spawn(session->executor(), session->run(), [this, session](std::exception_ptr e) {
            if (e) {
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& x) {
                    server.m_options.log(std::string("connection dropped after an error: ") + x.what());
                }
            }
            std::lock_guard lock(sessions_mutex);
            sessions.erase(session);
        });
    }
}

// ---------------------------------------------------------------------------

Server::Server(ServerOptions options) : m_options(std::move(options)) {
    if (!m_options.log) m_options.log = [](const std::string& s) { std::fprintf(stderr, "master-drive: %s\n", s.c_str()); };
    m_impl = std::make_unique<Impl>(*this, std::max(1u, m_options.lu_threads), m_options.io_threads);
}

Server::~Server() { stop(); }

void Server::add_target(TargetInfo target) {
    std::lock_guard lock(m_targets_mutex);
    std::string name = target.name;
    m_targets[name] = std::make_shared<TargetInfo>(std::move(target));
}

void Server::remove_target(const std::string& name) {
    std::lock_guard lock(m_targets_mutex);
    m_targets.erase(name);
}

void Server::set_global_auth(AuthPolicy auth) { m_auth = std::move(auth); }

const TargetInfo* Server::find(const std::string& name) const {
    std::lock_guard lock(m_targets_mutex);
    auto it = m_targets.find(name);
    return it == m_targets.end() ? nullptr : it->second.get();
}

std::vector<std::string> Server::names() const {
    std::lock_guard lock(m_targets_mutex);
    std::vector<std::string> out;
    for (const auto& [n, t] : m_targets) out.push_back(n);
    return out;
}

std::string Server::portal() const { return m_options.address + ":" + std::to_string(m_port) + ",1"; }

Result<std::string> target_address(const std::string& text, uint16_t default_port) {
    auto bad = [&](const std::string& why) {
        return mastering::make_error(mastering::Errc::invalid_argument, "\"" + text + "\" is not HOST[:PORT]: " + why);
    };
    std::string host = text, port;
    if (!text.empty() && text[0] == '[') {  // [IPv6] or [IPv6]:PORT
        auto close = text.find(']');
        if (close == std::string::npos) return bad("no ']'");
        host = text.substr(0, close + 1);
        if (close + 1 < text.size()) {
            if (text[close + 1] != ':') return bad("what follows ']' is not :PORT");
            port = text.substr(close + 2);
        }
    } else if (auto colon = text.find(':'); colon != std::string::npos) {
        if (text.find(':', colon + 1) != std::string::npos) {
            host = "[" + text + "]";  // a bare IPv6 address
        } else {
            host = text.substr(0, colon);
            port = text.substr(colon + 1);
        }
    }
    if (host.empty() || host == "[]") return bad("no host");
    if (host.find_first_of(", \t") != std::string::npos) return bad("a host has no ',' or blanks");
    unsigned long number = default_port;
    if (!port.empty()) {
        char* end = nullptr;
        number = std::strtoul(port.c_str(), &end, 10);
        if (*end || number == 0 || number > 65535) return bad("the port is 1 to 65535");
    }
    return host + ":" + std::to_string(number) + ",1";
}

Status Server::start() {
    auto& impl = *m_impl;
    // sendfile() to a connection the initiator closed raises SIGPIPE (sendmsg
    // is told not to): a process that kept the default, which ends it, now
    // ignores it and sees EPIPE instead.
    struct sigaction old {};
    if (::sigaction(SIGPIPE, nullptr, &old) == 0 && old.sa_handler == SIG_DFL) ::signal(SIGPIPE, SIG_IGN);
    error_code ec;
    auto addr = asio::ip::make_address(m_options.address, ec);
    if (ec) return mastering::make_error(mastering::Errc::invalid_argument, "not an IP address: " + m_options.address);
    tcp::endpoint ep(addr, m_options.port);
    impl.acceptor->open(ep.protocol(), ec);
    if (!ec) impl.acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) impl.acceptor->bind(ep, ec);
    if (!ec) impl.acceptor->listen(128, ec);
    if (ec)
        return mastering::make_error(mastering::Errc::io, "cannot listen on " + m_options.address + ":" +
                                                              std::to_string(m_options.port) + ": " + ec.message());
    m_port = impl.acceptor->local_endpoint().port();
    m_target_addresses.clear();
    for (const auto& a : m_options.announce) m_target_addresses.push_back(DM_TRY(target_address(a, m_port)));
    for (auto& io : impl.ios) impl.work.push_back(asio::make_work_guard(*io));
    asio::co_spawn(*impl.ios[0], impl.accept_loop(), asio::detached);
    asio::co_spawn(*impl.ios[0], impl.expire_nexuses(), asio::detached);
    for (auto& io : impl.ios) impl.threads.emplace_back([&io = *io] { io.run(); });
    return {};
}

void Server::stop() {
    if (!m_impl || m_impl->threads.empty()) return;
    auto& impl = *m_impl;
    impl.stopping = true;
    asio::post(*impl.ios[0], [&impl] {
        error_code ec;
        impl.acceptor->close(ec);
        std::lock_guard lock(impl.sessions_mutex);
        for (const auto& s : impl.sessions) s->close();
    });
    impl.work.clear();
    // Give connections a moment to finish; then stop the loop.
    for (int i = 0; i < 100; ++i) {
        {
            std::lock_guard lock(impl.sessions_mutex);
            if (impl.sessions.empty()) break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    for (auto& io : impl.ios) io->stop();
    for (auto& t : impl.threads) t.join();
    impl.threads.clear();
    impl.lu_pool.join();
    impl.nexuses.close_all();
}

std::vector<ConnectionInfo> Server::connections() {
    std::vector<ConnectionInfo> out;
    std::lock_guard lock(m_impl->sessions_mutex);
    for (const auto& s : m_impl->sessions) out.push_back(s->info());
    return out;
}

}  // namespace emulator::iscsi
