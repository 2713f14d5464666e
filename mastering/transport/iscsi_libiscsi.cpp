// iSCSI backend through libiscsi: iscsi://[user%secret@]host[:port]/IQN/LUN
// (docs/iscsi-client.md). One session per transport, driven by our own poll
// loop, so that the connection, the login and every command have a deadline.
//
// libiscsi keeps pointers to a command's task and to what its callback writes
// into until it calls back, and it calls back late: when a dropped connection
// cancels what was queued, or when the context is destroyed ("You may NOT
// cancel a task until the callback has been invoked", scsi-lowlevel.h). So
// everything a callback may touch lives as long as the context (Session), and
// a session that lost its connection or waited too long for an answer is
// closed at once and never serviced again: every later command fails with the
// reason, and the context is destroyed without a logout.
//
// Between commands a keeper thread services the connection, so that the
// target's NOP-In pings are answered while the caller works on something else
// (a burn scanning its source tree): targets drop an initiator that stays
// silent (master-drive after --nop-interval, LIO after its nopin timeout).
// libiscsi is not thread-safe: one mutex covers every call into it.
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>

#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

extern "C" {
#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>
}

#include "mastering/scsi/commands.h"
#include "mastering/transport/iscsi_address.h"
#include "mastering/transport/transport.h"

namespace mastering::transport {

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* k_initiator_name = "iqn.2026-11.org.discmaster:initiator";
// A logout is a courtesy: a target that does not answer it within this time is
// simply disconnected.
constexpr auto k_logout_timeout = std::chrono::seconds(5);
// How often the keeper looks at an idle connection: well within any target's
// ping timeout (master-drive's shortest is a second).
constexpr auto k_keeper_period = std::chrono::milliseconds(200);

// What a libiscsi callback reports into.
struct Completion {
    bool done = false;
    int status = 0;
};

void on_complete(iscsi_context*, int status, void*, void* private_data) {
    auto* c = static_cast<Completion*>(private_data);
    c->done = true;
    c->status = status;
}

// Blocks SIGPIPE in this thread while libiscsi writes to its socket (its
// writev of data has no MSG_NOSIGNAL: a target that is gone would kill the
// program) and discards the SIGPIPE raised meanwhile.
class SigpipeBlock {
public:
    SigpipeBlock() {
        sigemptyset(&m_pipe);
        sigaddset(&m_pipe, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &m_pipe, &m_old);
        sigset_t pending;
        sigpending(&pending);
        m_was_pending = sigismember(&pending, SIGPIPE) == 1;
    }
    ~SigpipeBlock() {
        timespec zero{};
        if (!m_was_pending)
            while (sigtimedwait(&m_pipe, nullptr, &zero) == SIGPIPE) {
            }
        pthread_sigmask(SIG_SETMASK, &m_old, nullptr);
    }
    SigpipeBlock(const SigpipeBlock&) = delete;
    SigpipeBlock& operator=(const SigpipeBlock&) = delete;

private:
    sigset_t m_pipe{}, m_old{};
    bool m_was_pending = false;
};

// libiscsi's message, first line only (some run over three).
std::string first_line(const char* s) {
    std::string t = s ? s : "";
    if (auto nl = t.find('\n'); nl != std::string::npos) t.resize(nl);
    while (!t.empty() && (t.back() == '.' || t.back() == ' ')) t.pop_back();
    return t;
}

std::string seconds(std::chrono::milliseconds d) {
    auto ms = d.count();
    return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
}

// One libiscsi context and what its callbacks may still point at.
class Session {
public:
    Session(iscsi_context* ctx, std::string shown) : m_ctx(ctx), m_shown(std::move(shown)) {}
    ~Session() {
        if (m_keeper.joinable()) {
            {
                std::lock_guard lock(m_mutex);
                m_stop = true;
            }
            m_wake.notify_all();
            m_keeper.join();
        }
        if (m_closed.empty() && !m_failed && iscsi_is_logged_in(m_ctx)) {
            auto* c = keep(std::make_unique<Completion>());
            if (iscsi_logout_async(m_ctx, on_complete, c) == 0) (void)wait(*c, Clock::now() + k_logout_timeout, [] {
                return std::string("no answer to the logout");
            });
        }
        iscsi_destroy_context(m_ctx);  // may still call back into what we keep
        for (scsi_task* t : m_abandoned) scsi_free_scsi_task(t);
    }
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    iscsi_context* ctx() const { return m_ctx; }
    const std::string& shown() const { return m_shown; }
    // Held for every call into libiscsi once the keeper runs.
    std::mutex& mutex() { return m_mutex; }
    // From now on the idle connection is serviced in the background.
    void start_keeper() {
        m_keeper = std::thread([this] { keep_alive(); });
    }

    // Services the connection until `c` is done. Past the deadline, or when the
    // connection fails, the session is closed with the reason (`timeout` says
    // what did not answer) and that is the error.
    Status wait(const Completion& c, Clock::time_point deadline, const std::function<std::string()>& timeout) {
        while (!c.done) {
            DM_TRY(check_open());
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (left.count() <= 0) return close(timeout());
            pollfd pfd{iscsi_get_fd(m_ctx), short(iscsi_which_events(m_ctx)), 0};
            int n = ::poll(&pfd, 1, int(std::min<int64_t>(left.count(), 1000)));
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return close(std::string("poll: ") + std::strerror(errno));
            short revents = n > 0 ? pfd.revents : 0;
            if (revents & (POLLERR | POLLHUP)) note_socket_error(pfd.fd);
            int r;
            {
                SigpipeBlock quiet;
                r = iscsi_service(m_ctx, revents);
            }
            if (r < 0) {
                m_failed = true;  // the caller may still name the failure better (a refused connection)
                if (!c.done) return close(lost_connection());
            }
        }
        return {};
    }

    // Why the session can no longer be used, or nothing.
    Status check_open() {
        if (m_closed.empty() && m_failed) close(lost_connection());
        if (m_closed.empty()) return {};
        return make_error(Errc::io, m_closed);
    }
    // Closes the connection for good: `why` (the first one given) is every
    // later command's error.
    Error close(const std::string& why) {
        if (m_closed.empty()) {
            m_closed = m_shown + ": " + why;
            if (iscsi_get_fd(m_ctx) >= 0) (void)iscsi_disconnect(m_ctx);
        }
        return make_error(Errc::io, m_closed);
    }
    // "lost the connection to the drive (connection reset by peer) ...".
    std::string lost_connection() const {
        std::string how = m_socket_error ? std::string(std::strerror(m_socket_error)) : "the server closed it";
        for (auto& ch : how) ch = char(std::tolower(static_cast<unsigned char>(ch)));
        return "lost the connection to the drive (" + how +
               "): check that the server (master-drive or the iSCSI target) still runs and is reachable";
    }
    int socket_error() const { return m_socket_error; }

    // Keeps a completion alive until the context is destroyed.
    Completion* keep(std::unique_ptr<Completion> c) {
        m_kept.push_back(std::move(c));
        return m_kept.back().get();
    }
    // A task libiscsi may still refer to: freed after the context.
    void abandon(scsi_task* task, std::unique_ptr<Completion> c) {
        m_abandoned.push_back(task);
        keep(std::move(c));
    }

private:
    // Answers what arrives while no command runs (NOP-In pings), and notices a
    // connection that went away; never blocks while holding the mutex.
    void keep_alive() {
        std::unique_lock lock(m_mutex);
        while (!m_stop) {
            m_wake.wait_for(lock, k_keeper_period);
            for (int round = 0; round < 4 && !m_stop && m_closed.empty() && !m_failed; ++round) {
                pollfd pfd{iscsi_get_fd(m_ctx), short(iscsi_which_events(m_ctx)), 0};
                if (::poll(&pfd, 1, 0) <= 0) break;
                if (pfd.revents & (POLLERR | POLLHUP)) note_socket_error(pfd.fd);
                SigpipeBlock quiet;
                if (iscsi_service(m_ctx, pfd.revents) < 0) m_failed = true;
            }
        }
    }

    // The socket's pending error, read before libiscsi reads (and clears) it.
    void note_socket_error(int fd) {
        int err = 0;
        socklen_t len = sizeof err;
        if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err) m_socket_error = err;
    }

    iscsi_context* m_ctx;
    std::string m_shown;
    std::string m_closed;
    bool m_failed = false;  // libiscsi gave up on the connection
    int m_socket_error = 0;
    std::vector<std::unique_ptr<Completion>> m_kept;
    std::vector<scsi_task*> m_abandoned;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_stop = false;
    std::thread m_keeper;
};

class IscsiTransport final : public Transport {
public:
    IscsiTransport(std::unique_ptr<Session> session, int lun) : m_session(std::move(session)), m_lun(lun) {}
    std::string address() const override { return m_session->shown(); }

protected:
    Status do_execute(Command& cmd) override {
        Session& s = *m_session;
        std::lock_guard lock(s.mutex());
        DM_TRY(s.check_open());
        int dir = cmd.data.empty() ? SCSI_XFER_NONE
                  : cmd.direction == Direction::in ? SCSI_XFER_READ
                  : cmd.direction == Direction::out ? SCSI_XFER_WRITE
                                                    : SCSI_XFER_NONE;
        scsi_task* task = scsi_create_task(cmd.cdb_length, cmd.cdb.data(), dir,
                                           dir == SCSI_XFER_NONE ? 0 : int(cmd.data.size()));
        if (!task) return make_error(Errc::internal, s.shown() + ": out of memory for a SCSI task");
        if (dir == SCSI_XFER_READ &&
            scsi_task_add_data_in_buffer(task, int(cmd.data.size()), reinterpret_cast<unsigned char*>(cmd.data.data())) != 0) {
            scsi_free_scsi_task(task);
            return make_error(Errc::internal, s.shown() + ": cannot attach a data-in buffer");
        }
        iscsi_data out{cmd.data.size(), reinterpret_cast<unsigned char*>(cmd.data.data())};
        auto done = std::make_unique<Completion>();
        if (iscsi_scsi_command_async(s.ctx(), m_lun, task, on_complete, dir == SCSI_XFER_WRITE ? &out : nullptr,
                                     done.get()) != 0) {
            scsi_free_scsi_task(task);
            return make_error(Errc::io, s.shown() + ": cannot send the command: " + first_line(iscsi_get_error(s.ctx())));
        }
        std::string name(scsi::command_name(std::span(cmd.cdb.data(), cmd.cdb_length)));
        auto waited = s.wait(*done, Clock::now() + cmd.timeout, [&] {
            return "the drive did not answer " + name + " within " + seconds(cmd.timeout) + "; the connection is closed";
        });
        if (!done->done) {  // libiscsi still holds the task: it lives as long as the context
            s.abandon(task, std::move(done));
            return waited;
        }
        Status result = take_result(cmd, *task, done->status);
        scsi_free_scsi_task(task);
        return result;
    }

private:
    // The outcome of a command libiscsi has let go of.
    Status take_result(Command& cmd, const scsi_task& task, int status) {
        Session& s = *m_session;
        if (status == SCSI_STATUS_CANCELLED) return s.close(s.lost_connection());  // libiscsi dropped the session
        if (status == SCSI_STATUS_ERROR || status == SCSI_STATUS_TIMEOUT)
            return make_error(Errc::io, s.shown() + ": the command failed in the iSCSI layer: " +
                                            first_line(iscsi_get_error(s.ctx())));
        cmd.status = scsi::Status(task.status & 0xFF);
        if (cmd.status == scsi::Status::check_condition && task.datain.size >= 2 && task.datain.data) {
            // The response's data segment: SenseLength (2 bytes) + sense data.
            size_t len = (size_t(task.datain.data[0]) << 8) | task.datain.data[1];
            len = std::min(len, size_t(task.datain.size) - 2);
            cmd.sense.assign(task.datain.data + 2, task.datain.data + 2 + len);
        } else if (cmd.status == scsi::Status::check_condition) {
            scsi::Sense sense{scsi::SenseKey(task.sense.key), uint8_t(task.sense.ascq >> 8), uint8_t(task.sense.ascq)};
            auto b = scsi::encode_fixed_sense(sense);
            cmd.sense.assign(b.begin(), b.end());
        }
        if (task.residual_status == SCSI_RESIDUAL_UNDERFLOW) cmd.residual = task.residual;
        bool moved = cmd.direction != Direction::none && !cmd.data.empty();
        cmd.transferred = moved ? cmd.data.size() - std::min(cmd.data.size(), cmd.residual) : 0;
        return {};
    }

    std::unique_ptr<Session> m_session;
    int m_lun;
};

// Where the CHAP secret comes from: the address, a secret file (the default
// secret), or libiscsi's LIBISCSI_CHAP_PASSWORD; the user from the address or
// LIBISCSI_CHAP_USERNAME (docs/iscsi-client.md). True when the login uses CHAP.
Result<bool> set_credentials(iscsi_context* ctx, const IscsiAddress& a, const std::string& shown) {
    std::string file_secret = default_chap_secret();
    const char* env_user = std::getenv("LIBISCSI_CHAP_USERNAME");
    const char* env_secret = std::getenv("LIBISCSI_CHAP_PASSWORD");
    std::string user = !a.user.empty() ? a.user : env_user ? env_user : "";
    if (!file_secret.empty() && !a.secret.empty())
        return make_error(Errc::invalid_argument,
                          shown + ": the CHAP secret is given twice (in the address and in a secret file): give it once");
    if (!file_secret.empty()) {
        if (user.empty())
            return make_error(Errc::invalid_argument,
                              shown + ": a CHAP secret file needs the user name in the address: iscsi://USER@HOST/...");
        iscsi_set_initiator_username_pwd(ctx, user.c_str(), file_secret.c_str());
        return true;
    }
    if (!a.user.empty() && a.secret.empty() && !(env_secret && *env_secret))
        return make_error(Errc::invalid_argument,
                          shown + ": the address names CHAP user '" + a.user +
                              "' but no secret: give it with --chap-secret-file FILE or LIBISCSI_CHAP_PASSWORD");
    // libiscsi's URL parser has applied the address's (or the environment's) credentials.
    return !user.empty() && (!a.secret.empty() || (env_secret && *env_secret));
}

// A refused login in words, from libiscsi's "... Status: NAME(CODE)" and the
// login status classes of RFC 7143 §11.13.5.
std::string login_refused(const std::string& target, const std::string& libiscsi_says, bool with_chap) {
    unsigned code = 0;
    if (auto open = libiscsi_says.rfind('('); open != std::string::npos) code = unsigned(std::atoi(libiscsi_says.c_str() + open + 1));
    std::string head = "cannot log in to " + target + ": ";
    switch (code) {
    case 0x0201:
        return head + (with_chap ? "the target refused the CHAP user name or secret"
                                 : "the target requires CHAP: give the user in the address (iscsi://USER@HOST/...) "
                                   "and the secret (--chap-secret-file FILE or LIBISCSI_CHAP_PASSWORD)");
    case 0x0202: return head + "this initiator is not allowed to use the target";
    case 0x0203:
    case 0x0204: return head + "the server has no such target (master-drive ctl status or iscsi-ls -s lists them)";
    default: return head + libiscsi_says;
    }
}

// Connect, log in, and take the unit attentions a fresh login brings (as
// libiscsi's own full connect does), all before `deadline`.
Status connect_and_log_in(Session& s, const IscsiAddress& a, bool with_chap, Clock::time_point deadline,
                          std::chrono::milliseconds budget) {
    std::string portal = a.portal();
    auto* connected = s.keep(std::make_unique<Completion>());
    if (iscsi_connect_async(s.ctx(), portal.c_str(), on_complete, connected) != 0) {
        std::string why = first_line(iscsi_get_error(s.ctx()));
        if (why.find("resolv") != std::string::npos)
            return s.close("cannot find the host '" + a.host + "' (not a known name or address)");
        return s.close("cannot connect to " + portal + ": " + why);
    }
    DM_TRY(s.wait(*connected, deadline, [&] {
        return "no connection to " + portal + " within " + seconds(budget) + ": is the host reachable and the port right?";
    }));
    if (connected->status != SCSI_STATUS_GOOD) {
        std::string why = s.socket_error() ? std::strerror(s.socket_error()) : first_line(iscsi_get_error(s.ctx()));
        for (auto& ch : why) ch = char(std::tolower(static_cast<unsigned char>(ch)));
        return s.close("cannot connect to " + portal + ": " + why +
                       " (is master-drive or the iSCSI target running there, and is the port right?)");
    }
    auto* logged_in = s.keep(std::make_unique<Completion>());
    if (iscsi_login_async(s.ctx(), on_complete, logged_in) != 0)
        return s.close("cannot log in to " + a.target + ": " + first_line(iscsi_get_error(s.ctx())));
    DM_TRY(s.wait(*logged_in, deadline, [&] {
        return portal + " accepted the connection but did not answer the iSCSI login within " + seconds(budget) +
               ": is it an iSCSI target, and is the port right?";
    }));
    if (logged_in->status != SCSI_STATUS_GOOD)
        return s.close(s.socket_error() ? "cannot log in to " + a.target + ": " + s.lost_connection()
                                        : login_refused(a.target, first_line(iscsi_get_error(s.ctx())), with_chap));
    return {};
}

}  // namespace

Result<std::unique_ptr<Transport>> open_iscsi(const std::string& url, const OpenOptions& options) {
    auto address = DM_TRY(parse_iscsi_address(url));
    std::string shown = redact_address(url);
    iscsi_context* ctx = iscsi_create_context(k_initiator_name);
    if (!ctx) return make_error(Errc::internal, "cannot create an iSCSI context");
    auto session = std::make_unique<Session>(ctx, shown);
    iscsi_url* u = iscsi_parse_full_url(ctx, url.c_str());
    if (!u)  // libiscsi's own message would repeat the secret
        return make_error(Errc::invalid_argument, shown + ": libiscsi does not accept this address");
    iscsi_set_targetname(ctx, u->target);
    iscsi_destroy_url(u);
    iscsi_set_session_type(ctx, ISCSI_SESSION_NORMAL);
    if (address.parameters.find("header_digest=") == std::string::npos)
        iscsi_set_header_digest(ctx, ISCSI_HEADER_DIGEST_NONE_CRC32C);
    iscsi_set_noautoreconnect(ctx, 1);
    bool with_chap = DM_TRY(set_credentials(ctx, address, shown));
    auto deadline = Clock::now() + options.login_timeout;
    DM_TRY(connect_and_log_in(*session, address, with_chap, deadline, options.login_timeout));
    Session* keeper = session.get();
    auto transport = std::make_unique<IscsiTransport>(std::move(session), int(address.lun));
    // The unit attentions of a fresh login (power on, reset) are taken here.
    for (int i = 0; i < 10; ++i) {
        const uint8_t tur[6] = {0x00, 0, 0, 0, 0, 0};
        Command c(tur);
        c.timeout = std::max(std::chrono::milliseconds(1),
                             std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
        DM_TRY(transport->execute(c));
        auto sense = c.decoded_sense();
        if (!sense || sense->key != scsi::SenseKey::unit_attention) break;
    }
    keeper->start_keeper();
    return std::unique_ptr<Transport>(std::move(transport));
}

}  // namespace mastering::transport
