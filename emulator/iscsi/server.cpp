#include "emulator/iscsi/server.h"

#include <boost/asio.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <signal.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cstdio>
#include <cstring>
#include <deque>
#include <optional>

#include "emulator/iscsi/buffer_pool.h"
#include "emulator/iscsi/crc32c.h"
#include "mastering/scsi/mmc.h"

namespace emulator::iscsi {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
using boost::system::error_code;
namespace sc = mastering::scsi;

namespace {

bool serial_lt(uint32_t a, uint32_t b) { return a != b && uint32_t(b - a) < 0x80000000u; }

std::string hex32(uint32_t v) {
    char b[16];
    std::snprintf(b, sizeof b, "0x%08x", v);
    return b;
}

}  // namespace

class Connection;

struct Server::Impl {
    // The pool outlives the io_contexts: connections still pending in an
    // io_context when it is destroyed hold strands of the pool.
    asio::thread_pool lu_pool;
    BufferPool buffers;  // Data-In and Data-Out of every connection
    // One io_context per I/O thread, each connection on one of them for its
    // whole life: its coroutines never hop threads (no wake-ups between
    // threads on the hot path); the acceptor lives on the first.
    std::vector<std::unique_ptr<asio::io_context>> ios;
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;
    std::optional<tcp::acceptor> acceptor;
    size_t next_io = 0;
    std::vector<std::thread> threads;
    std::mutex conns_mutex;
    std::set<std::shared_ptr<Connection>> conns;
    std::mutex strands_mutex;
    std::map<std::string, std::shared_ptr<asio::strand<asio::thread_pool::executor_type>>> lu_strands;
    std::atomic<uint16_t> next_tsih{1};
    std::atomic<uint64_t> next_nexus{1};
    std::atomic<bool> stopping{false};
    std::function<void(const std::string&)> log;

    Impl(unsigned lu_threads, unsigned io_threads) : lu_pool(lu_threads) {
        for (unsigned i = 0; i < std::max(1u, io_threads); ++i) ios.push_back(std::make_unique<asio::io_context>(1));
        acceptor.emplace(*ios[0]);
    }
    std::shared_ptr<asio::strand<asio::thread_pool::executor_type>> strand_for(const std::string& target) {
        std::lock_guard lock(strands_mutex);
        auto& s = lu_strands[target];
        if (!s) s = std::make_shared<asio::strand<asio::thread_pool::executor_type>>(lu_pool.get_executor());
        return s;
    }
};

class Connection : public std::enable_shared_from_this<Connection> {
public:
    Connection(Server& server, Server::Impl& impl, const ServerOptions& o, tcp::socket sock)
        : m_server(server), m_impl(impl), m_o(o), m_sock(std::move(sock)), m_wake(m_sock.get_executor()),
          m_drained(m_sock.get_executor()), m_ping(m_sock.get_executor()), m_done(m_sock.get_executor()) {
        error_code ec;
        auto ep = m_sock.remote_endpoint(ec);
        m_info.peer = ec ? "?" : ep.address().to_string() + ":" + std::to_string(ep.port());
        m_sock.set_option(tcp::no_delay(true), ec);
        m_sock.non_blocking(true, ec);  // flush_now() never waits
        m_sock.set_option(asio::socket_base::keep_alive(true), ec);
        m_wake.expires_at(std::chrono::steady_clock::time_point::max());
        m_drained.expires_at(std::chrono::steady_clock::time_point::max());
    }

    tcp::socket::executor_type executor() { return m_sock.get_executor(); }

    ConnectionInfo info() {
        std::lock_guard lock(m_info_mutex);
        return m_info;
    }

    void close() {
        asio::post(m_sock.get_executor(), [self = shared_from_this()] { self->shutdown("closed by the target"); });
    }

    awaitable<void> run() {
        auto self = shared_from_this();
        asio::co_spawn(m_sock.get_executor(), writer(), asio::detached);
        co_await session();
        // What was queued last (a Login Reject, a Logout Response) goes out
        // before the connection closes; an initiator that does not read gets 5 s.
        if (m_open && !m_queue.empty()) {
            m_closing_after_drain = true;
            m_wake.expires_at(std::chrono::steady_clock::time_point::min());
            asio::steady_timer limit(m_sock.get_executor(), std::chrono::seconds(5));
            limit.async_wait([self](error_code ec) {
                if (!ec) self->shutdown("");
            });
            while (m_open && !m_queue.empty()) {
                error_code ec;
                m_drained.expires_at(std::chrono::steady_clock::time_point::max());
                co_await m_drained.async_wait(asio::redirect_error(use_awaitable, ec));
            }
            limit.cancel();
        }
        shutdown("");
        if (m_nexus && m_target) m_target->lu->nexus_closed(m_nexus);
        m_nexus = 0;
    }

private:
    // ---- Sending: a bounded queue, drained by the session coroutine itself
    // before it waits (as far as the socket takes it without blocking: one
    // system call for all it queued since it last waited, no hand-off) and by
    // a writer coroutine for the rest and for what others queue meanwhile.
    struct Out {
        std::vector<uint8_t> head;  // BHS + AHS + header digest
        BufferPool::Ref payload;    // the data, from memory
        FileRange file;             // or from a file (sendfile): its bytes [off, off + len)
        size_t off = 0, len = 0;
        std::array<uint8_t, 7> tail{};  // padding + data digest
        size_t tail_len = 0;
        size_t sent = 0;  // bytes of it already written
        size_t size() const { return head.size() + len + tail_len; }
    };

    void wake_writer() { m_wake.expires_at(std::chrono::steady_clock::time_point::min()); }

    // Write what the socket takes now from the head of the queue, without
    // blocking: memory gathered into one sendmsg (up to 32 PDUs), with the
    // data of a file straight from its mapping (one copy, into the socket:
    // full segments, one call for many PDUs), or where it is not mapped with
    // sendfile (a header before them goes with MSG_MORE). True once the queue
    // is empty; false when the socket is full or the connection went.
    bool write_queue_now() {
        int sock = m_sock.native_handle();
        while (m_open && !m_queue.empty()) {
            std::array<iovec, 96> iov;
            size_t n_iov = 0;
            bool file_next = false;
            for (size_t i = 0; i < m_queue.size() && i < 32 && !file_next; ++i) {
                const Out& o = m_queue[i];
                size_t skip = o.sent;
                struct Seg {
                    const uint8_t* p;
                    size_t n;
                    bool file;
                };
                const std::byte* data = nullptr;
                bool by_sendfile = false;
                if (o.file.file) {
                    data = o.file.file->mapped(o.file.offset + o.off, o.len);
                    by_sendfile = !data;
                } else if (o.len) {
                    data = o.payload->data() + o.off;
                }
                const Seg segs[3] = {{o.head.data(), o.head.size(), false},
                                     {reinterpret_cast<const uint8_t*>(data), o.len, by_sendfile},
                                     {o.tail.data(), o.tail_len, false}};
                for (const Seg& g : segs) {
                    if (skip >= g.n) {
                        skip -= g.n;
                        continue;
                    }
                    if (g.file) {
                        file_next = true;
                        break;
                    }
                    iov[n_iov++] = {const_cast<uint8_t*>(g.p + skip), g.n - skip};
                    skip = 0;
                }
            }
            ssize_t w;
            if (n_iov) {
                msghdr msg{};
                msg.msg_iov = iov.data();
                msg.msg_iovlen = n_iov;
                w = ::sendmsg(sock, &msg, MSG_DONTWAIT | MSG_NOSIGNAL | (file_next ? MSG_MORE : 0));
            } else {
                // The first unsent bytes are file data of the queue's head.
                Out& o = m_queue.front();
                size_t done = o.sent - o.head.size();
                off_t at = off_t(o.file.offset + o.off + done);
                w = ::sendfile(sock, o.file.file->fd(), &at, o.len - done);
                if (w == 0) {
                    // The file is shorter than when the command ran (blanked
                    // meanwhile): the rest of these data go as zeros.
                    copy_file_data(o);
                    continue;
                }
            }
            if (w < 0) {
                if (errno == EINTR) continue;
                if (errno == EFAULT) {
                    // Mapped data beyond the file's end: it was truncated
                    // since those commands ran. What it still has is copied,
                    // the rest goes as zeros.
                    for (Out& o : m_queue)
                        if (o.file.file) copy_file_data(o);
                    continue;
                }
                if (errno != EAGAIN && errno != EWOULDBLOCK) shutdown("");
                return false;
            }
            size_t n = size_t(w);
            m_queued -= n;
            while (n && !m_queue.empty()) {
                Out& o = m_queue.front();
                size_t left = o.size() - o.sent;
                if (n < left) {
                    o.sent += n;
                    break;
                }
                n -= left;
                m_queue.pop_front();
            }
        }
        if (m_queue.empty()) m_drained.expires_at(std::chrono::steady_clock::time_point::min());
        return m_open && m_queue.empty();
    }

    // The file data of `o` into a buffer of its own (zeros where the file
    // no longer has them).
    void copy_file_data(Out& o) {
        auto buf = m_impl.buffers.get(o.off + o.len, true);
        for (size_t done = 0; done < o.len;) {
            ssize_t n = ::pread(o.file.file->fd(), buf->data() + o.off + done, o.len - done,
                                off_t(o.file.offset + o.off + done));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            done += size_t(n);
        }
        o.payload = std::move(buf);
        o.file = {};
    }

    // Write what is queued now, as far as the socket takes it.
    void flush_now() {
        if (m_open && !m_queue.empty()) write_queue_now();
    }

    // Held by the session coroutine while it waits (for the socket, the
    // worker, the writer): what it queued goes out first, and what it queues
    // meanwhile (it does not) or others queue wakes the writer at once.
    class Waiting {
    public:
        explicit Waiting(Connection& c) : m_c(c), m_was(c.m_batching) {
            if (!m_was) return;
            m_c.flush_now();
            m_c.m_batching = false;
            if (!m_c.m_queue.empty()) m_c.wake_writer();
        }
        ~Waiting() { m_c.m_batching = m_was; }
        Waiting(const Waiting&) = delete;
        Waiting& operator=(const Waiting&) = delete;

    private:
        Connection& m_c;
        bool m_was;
    };

    void send(const Pdu& p, BufferPool::Ref payload = {}, size_t off = 0, size_t len = 0, const FileRange* file = nullptr) {
        Out o;
        if (!payload && !file) {
            o.head = encode(p, m_params.header_digest, m_params.data_digest);
        } else {
            Pdu h = p;
            h.data.clear();
            h.bhs[5] = uint8_t(len >> 16);
            h.bhs[6] = uint8_t(len >> 8);
            h.bhs[7] = uint8_t(len);
            auto bytes = encode(h, m_params.header_digest, false);
            bytes[5] = uint8_t(len >> 16);  // encode() writes the (empty) data length
            bytes[6] = uint8_t(len >> 8);
            bytes[7] = uint8_t(len);
            if (m_params.header_digest) {  // recompute: the header changed
                uint32_t c = crc32c(bytes.data(), bhs_length);
                std::memcpy(&bytes[bhs_length], &c, 4);  // little-endian host
            }
            o.head = std::move(bytes);
            o.payload = std::move(payload);
            if (file) o.file = *file;
            o.off = off;
            o.len = len;
            size_t pad = (4 - len % 4) % 4;
            o.tail_len = pad;
            if (m_params.data_digest && len) {
                // (Data from a file are only asked for without a data digest.)
                uint32_t c = crc32c(o.payload->data() + off, len);
                uint8_t zeros[3] = {0, 0, 0};
                if (pad) c = crc32c(zeros, pad, c);
                std::memcpy(&o.tail[pad], &c, 4);
                o.tail_len += 4;
            }
        }
        m_queued += o.size();
        m_queue.push_back(std::move(o));
        if (!m_batching) wake_writer();
    }

    awaitable<void> writer() {
        auto self = shared_from_this();
        while (m_open) {
            if (m_queue.empty()) {
                m_drained.expires_at(std::chrono::steady_clock::time_point::min());
                if (m_closing_after_drain) break;
                error_code ec;
                m_wake.expires_at(std::chrono::steady_clock::time_point::max());
                co_await m_wake.async_wait(asio::redirect_error(use_awaitable, ec));
                continue;
            }
            if (write_queue_now() || !m_open) continue;
            error_code ec;  // the socket is full: wait until it takes more
            co_await m_sock.async_wait(tcp::socket::wait_write, asio::redirect_error(use_awaitable, ec));
            if (ec) shutdown("");
        }
        m_drained.expires_at(std::chrono::steady_clock::time_point::min());
        if (m_closing_after_drain) shutdown("");
    }

    // Wait until the queue is small again: a slow reader costs bounded memory.
    awaitable<void> throttle() {
        while (m_open && m_queued > (8u << 20)) {
            Waiting waiting(*this);  // its flush may be all the writing needed
            if (m_queued <= (8u << 20)) break;
            error_code ec;
            m_drained.expires_at(std::chrono::steady_clock::time_point::max());
            co_await m_drained.async_wait(asio::redirect_error(use_awaitable, ec));
        }
    }

    void shutdown(const std::string& why) {
        if (!m_open) return;
        m_open = false;
        if (!why.empty()) log(why);
        error_code ec;
        m_sock.shutdown(tcp::socket::shutdown_both, ec);
        m_sock.close(ec);
        m_wake.cancel();
        m_drained.cancel();
        m_ping.cancel();
        m_done.cancel();
        m_exec_wake.cancel();
        m_exec_progress.cancel();
    }

    void log(const std::string& what) {
        if (!m_o.log) return;
        std::string who = m_info.initiator.empty() ? m_info.peer : m_info.initiator + " (" + m_info.peer + ")";
        m_o.log(who + ": " + what);
    }

    // ---- Reading one PDU.
    struct ReadResult {
        std::optional<Pdu> pdu;
        bool fatal = false;   // framing lost or connection closed
        bool reject = false;  // a well-framed PDU to reject
        uint8_t reason = 0;
        std::string error;
    };

    // Bytes arrive through a small buffer (a header and what follows it in one
    // system call); the rest of a large data segment is read straight into
    // its destination.
    awaitable<bool> receive(void* destination, size_t n) {
        auto* out = static_cast<uint8_t*>(destination);
        size_t got = std::min(n, m_rx_end - m_rx_pos);
        if (got) std::memcpy(out, m_rx.data() + m_rx_pos, got);
        m_rx_pos += got;
        if (got == n) co_return true;
        Waiting waiting(*this);
        error_code ec;
        if (n - got >= m_rx.size() / 2) {
            co_await asio::async_read(m_sock, asio::buffer(out + got, n - got), asio::redirect_error(use_awaitable, ec));
            co_return !ec;
        }
        while (got < n) {
            m_rx_pos = m_rx_end = 0;
            size_t r = co_await m_sock.async_read_some(asio::buffer(m_rx), asio::redirect_error(use_awaitable, ec));
            if (ec) co_return false;
            m_rx_end = r;
            m_rx_pos = std::min(n - got, r);
            std::memcpy(out + got, m_rx.data(), m_rx_pos);
            got += m_rx_pos;
        }
        co_return true;
    }

    // Where the data segment of a PDU whose header just arrived goes: into
    // the buffer of the WRITE it belongs to (immediate data of a new command,
    // a Data-Out the task may take), so that written data are copied once
    // from the socket; nullptr: into the PDU, and the usual checks follow.
    std::byte* data_destination(const Pdu& p) {
        uint32_t dsl = p.data_length();
        if (!m_ffp || m_params.discovery || dsl == 0) return nullptr;
        if (p.opcode() == opcode::scsi_command && (p.flags() & 0x20)) {
            uint32_t edtl = p.get32(20);
            if (edtl > m_o.max_command_bytes || dsl > edtl) return nullptr;
            m_placed.out = m_impl.buffers.get(edtl, false);  // see before_data_out()
            m_placed.len = dsl;
            return m_placed.out->data();
        }
        if (p.opcode() == opcode::data_out && p.ahs_length() == 0) {
            auto it = m_tasks.find(p.itt());
            if (it == m_tasks.end() || !data_out_fits(it->second, p, dsl)) return nullptr;
            m_placed.len = dsl;
            before_data_out(it->second, p.get32(40));
            return it->second.out->data() + p.get32(40);
        }
        return nullptr;
    }

    awaitable<ReadResult> read_pdu(uint32_t max_data) {
        ReadResult res;
        Pdu p;
        m_placed = {};
        if (!co_await receive(p.bhs.data(), bhs_length)) {
            res.fatal = true;
            co_return res;
        }
        m_last_rx = std::chrono::steady_clock::now();
        uint8_t op = p.opcode();
        uint32_t ahs = p.ahs_length(), dsl = p.data_length();
        if (dsl > max_data || ahs > 1024) {
            res.fatal = true;
            res.error = opcode_name(op) + " announces a " + std::to_string(dsl) + "-byte data segment (limit " +
                        std::to_string(max_data) + "): closing the connection";
            co_return res;
        }
        // The header (AHS, header digest) first: the data's destination is
        // chosen from fields the digest has checked.
        Framing head{ahs, 0, 0, m_params.header_digest, false};
        std::vector<uint8_t> rest(head.rest());
        if (!rest.empty() && !co_await receive(rest.data(), rest.size())) {
            res.fatal = true;
            co_return res;
        }
        if (auto st = fill(p, head, p.bhs, rest); !st.ok()) {
            res.fatal = true;  // header digest: the framing cannot be trusted
            res.error = st.error().message;
            co_return res;
        }
        if (dsl) {
            bool well_formed = is_initiator_opcode(op) && (ahs == 0 || op == opcode::scsi_command);
            std::byte* placed = well_formed ? data_destination(p) : nullptr;
            uint8_t* data = reinterpret_cast<uint8_t*>(placed);
            if (!placed) {
                p.data.resize(dsl);
                data = p.data.data();
            }
            std::array<uint8_t, 7> tail{};  // padding and data digest
            size_t pad = (4 - dsl % 4) % 4, tail_len = pad + (m_params.data_digest ? 4 : 0);
            if (!co_await receive(data, dsl) || !co_await receive(tail.data(), tail_len)) {
                res.fatal = true;
                co_return res;
            }
            if (m_params.data_digest) {
                uint32_t want = crc32c(tail.data(), pad, crc32c(data, dsl));
                uint32_t got = uint32_t(tail[pad]) | uint32_t(tail[pad + 1]) << 8 | uint32_t(tail[pad + 2]) << 16 |
                               uint32_t(tail[pad + 3]) << 24;
                if (got != want) {  // reject, keep going
                    m_placed = {};
                    res.reject = true;
                    res.reason = reject_reason::data_digest_error;
                    res.error = "data digest error";
                    res.pdu = std::move(p);
                    co_return res;
                }
            }
        }
        if (!is_initiator_opcode(op)) {
            res.reject = true;
            res.reason = reject_reason::command_not_supported;
            res.error = "unknown " + opcode_name(op);
        } else if (ahs && op != opcode::scsi_command) {
            res.reject = true;
            res.reason = reject_reason::protocol_error;
            res.error = opcode_name(op) + " with additional header segments";
        }
        res.pdu = std::move(p);
        co_return res;
    }

    void reject(const Pdu& bad, uint8_t reason) {
        Pdu r;
        r.set_opcode(opcode::reject);
        r.bhs[1] = 0x80;
        r.bhs[2] = reason;
        r.set32(16, reserved_tag);
        r.set32(24, m_stat_sn);
        r.set32(28, m_exp_cmd_sn);
        r.set32(32, m_exp_cmd_sn + m_o.limits.max_commands - 1);
        r.data.assign(bad.bhs.begin(), bad.bhs.end());
        send(r);
    }

    void fill_sn(Pdu& r, bool advance) {
        r.set32(24, advance ? m_stat_sn++ : m_stat_sn);
        r.set32(28, m_exp_cmd_sn);
        r.set32(32, m_exp_cmd_sn + m_o.limits.max_commands - 1);
    }

    // ---- The session: login, then the full feature phase.
    awaitable<void> session() {
        uint16_t tsih = m_impl.next_tsih++;
        if (tsih == 0) tsih = m_impl.next_tsih++;
        LoginNegotiator login(m_server, m_o.limits, tsih);
        asio::steady_timer watchdog(m_sock.get_executor(), m_o.login_timeout);
        watchdog.async_wait([self = shared_from_this()](error_code ec) {
            if (!ec && !self->m_ffp) self->shutdown("login did not complete in time: closing the connection");
        });
        while (m_open && !m_ffp) {
            auto rr = co_await read_pdu(8192);
            if (rr.fatal || !rr.pdu) {
                if (!rr.error.empty()) log(rr.error);
                co_return;
            }
            if (rr.pdu->opcode() != opcode::login_request) {
                log(opcode_name(rr.pdu->opcode()) + " before login: closing the connection");
                Pdu r;  // Login Response: initiator error, invalid request during login
                r.set_opcode(opcode::login_response);
                r.set32(16, rr.pdu->itt());
                r.bhs[36] = 0x02;
                r.bhs[37] = 0x0B;
                send(r);
                m_closing_after_drain = true;
                m_wake.expires_at(std::chrono::steady_clock::time_point::min());
                co_return;
            }
            auto out = login.on_request(*rr.pdu);
            m_params = login.params();  // digests apply from the first FFP PDU; login PDUs have none
            m_params.header_digest = m_params.data_digest = false;
            send(out.response);
            if (out.state == LoginNegotiator::State::failed) {
                log("login refused: " + out.reason);
                m_closing_after_drain = true;
                m_wake.expires_at(std::chrono::steady_clock::time_point::min());
                co_return;
            }
            if (out.state == LoginNegotiator::State::full_feature) {
                m_ffp = true;
                m_params = login.params();
                m_target = login.target();
                m_stat_sn = login.stat_sn();
                m_exp_cmd_sn = login.exp_cmd_sn();
            }
        }
        watchdog.cancel();
        {
            std::lock_guard lock(m_info_mutex);
            m_info.initiator = m_params.initiator_name;
            m_info.target = m_params.discovery ? "" : m_params.target_name;
            m_info.discovery = m_params.discovery;
            m_info.logged_in = true;
        }
        log(std::string(m_params.discovery ? "discovery session" : "logged in to " + m_params.target_name) +
            (m_params.auth_user.empty() ? "" : " as " + m_params.auth_user) +
            (m_params.header_digest ? ", header digest" : "") + (m_params.data_digest ? ", data digest" : ""));
        if (m_target) {
            m_nexus = m_impl.next_nexus++;
            m_target->lu->nexus_opened(m_nexus);
            m_lu_strand = m_impl.strand_for(m_target->name);
        }
        asio::co_spawn(m_sock.get_executor(), pinger(), asio::detached);
        co_await full_feature();
    }

    awaitable<void> pinger() {
        auto self = shared_from_this();
        if (m_o.nop_interval.count() <= 0) co_return;
        while (m_open) {
            error_code ec;
            m_ping.expires_after(m_o.nop_interval);
            co_await m_ping.async_wait(asio::redirect_error(use_awaitable, ec));
            if (!m_open) break;
            auto idle = std::chrono::steady_clock::now() - m_last_rx;
            if (m_ping_ttt) {
                if (idle >= m_o.nop_timeout) {
                    shutdown("no answer to NOP-In within " + std::to_string(m_o.nop_timeout.count()) +
                             " ms: the initiator is gone");
                    break;
                }
                continue;
            }
            if (idle < m_o.nop_interval) continue;
            Pdu p;
            p.set_opcode(opcode::nop_in);
            p.bhs[1] = 0x80;
            p.set32(16, reserved_tag);
            m_ping_ttt = m_next_ttt++;
            if (m_ping_ttt == reserved_tag || m_ping_ttt == 0) m_ping_ttt = m_next_ttt = 1;
            p.set32(20, m_ping_ttt);
            fill_sn(p, false);
            send(p);
            m_ping.expires_after(m_o.nop_timeout);
        }
    }

    struct Task {
        uint32_t itt = 0;
        uint32_t cmd_sn = 0;
        Pdu cmd;
        uint64_t lun = 0;
        bool read = false, write = false;
        uint32_t edtl = 0;
        BufferPool::Ref out;  // all the data-out (a WRITE), filled as it arrives
        uint32_t received = 0;
        uint32_t filled = 0;   // out[0, filled) holds data-out that came in order
        bool zeroed = false;   // out[filled, edtl) was zeroed: data came out of order
        uint32_t unsolicited_limit = 0;  // data the initiator may send without R2T
        uint32_t r2t_next = 0;           // offset up to which R2Ts were sent
        uint32_t r2t_sn = 0;
        uint32_t outstanding = 0;
        uint32_t ttt = reserved_tag;
        bool ready() const { return received >= edtl || !write; }
    };

    // The session coroutine reads PDUs; the executor coroutine runs the tasks
    // whose data are complete, in order, meanwhile (the next WRITE's data
    // arrive while this one is written; READs and WRITEs that are ready
    // together go to the device in one batch).
    awaitable<void> full_feature() {
        m_batching = true;
        asio::co_spawn(m_sock.get_executor(), run_tasks(), asio::detached);
        while (m_open) {
            // Bounded: while the executor has work, at most max_commands tasks wait.
            while (m_open && m_tasks.size() >= m_o.limits.max_commands && head_ready()) co_await executor_progress();
            if (!m_open) break;
            auto rr = co_await read_pdu(m_params.target_max_recv);
            if (rr.fatal || !rr.pdu) {
                if (!rr.error.empty()) log(rr.error);
                break;
            }
            if (rr.reject) {
                log("rejected: " + rr.error);
                reject(*rr.pdu, rr.reason);
                continue;
            }
            Pdu& p = *rr.pdu;
            {
                std::lock_guard lock(m_info_mutex);
                ++m_info.commands;
            }
            switch (p.opcode()) {
            case opcode::nop_out: on_nop_out(p); break;
            case opcode::scsi_command: on_command(std::move(p)); break;
            case opcode::data_out: on_data_out(p); break;
            case opcode::task_management:
            case opcode::logout_request:
                // Every task that can complete does so (and is answered)
                // before these act on the task set or the session.
                while (m_open && (m_executing || head_ready())) co_await executor_progress();
                if (p.opcode() == opcode::task_management) on_task_management(p);
                else on_logout(p);
                break;
            case opcode::text_request: on_text(p); break;
            case opcode::login_request:
                log("Login Request in the full feature phase: rejected");
                reject(p, reject_reason::protocol_error);
                break;
            default:
                reject(p, reject_reason::command_not_supported);
            }
            solicit_all();
            if (head_ready()) m_exec_wake.expires_at(std::chrono::steady_clock::time_point::min());
        }
        m_reader_done = true;
        m_exec_wake.expires_at(std::chrono::steady_clock::time_point::min());
        while (m_executor_running) co_await executor_progress();
        m_batching = false;
        if (!m_queue.empty()) wake_writer();
    }

    bool head_ready() {
        while (!m_order.empty()) {
            auto it = m_tasks.find(m_order.front());
            if (it != m_tasks.end()) return it->second.ready();
            m_order.pop_front();
        }
        return false;
    }

    awaitable<void> executor_progress() {
        Waiting waiting(*this);
        error_code ec;
        m_exec_progress.expires_at(std::chrono::steady_clock::time_point::max());
        co_await m_exec_progress.async_wait(asio::redirect_error(use_awaitable, ec));
    }

    // CmdSN checks for commands that are not immediate (RFC 7143 §4.2.2.1).
    bool accept_cmd_sn(const Pdu& p) {
        uint32_t sn = p.get32(24);
        if (p.immediate()) return true;
        uint32_t max = m_exp_cmd_sn + m_o.limits.max_commands - 1;
        if (sn == m_exp_cmd_sn) {
            ++m_exp_cmd_sn;
            return true;
        }
        if (serial_lt(sn, m_exp_cmd_sn) || serial_lt(max, sn)) {
            log("CmdSN " + hex32(sn) + " outside the window [" + hex32(m_exp_cmd_sn) + ", " + hex32(max) + "]: rejected");
            reject(p, reject_reason::protocol_error);
            return false;
        }
        // Inside the window but ahead: this target runs commands in order, so
        // an initiator that skipped a CmdSN has broken the sequence.
        log("CmdSN " + hex32(sn) + " skips " + hex32(m_exp_cmd_sn) + ": rejected");
        reject(p, reject_reason::protocol_error);
        return false;
    }

    void on_nop_out(const Pdu& p) {
        if (p.itt() == reserved_tag) {  // the answer to our ping
            if (p.get32(20) == m_ping_ttt) m_ping_ttt = 0;
            return;
        }
        if (!accept_cmd_sn(p)) return;
        Pdu r;
        r.set_opcode(opcode::nop_in);
        r.bhs[1] = 0x80;
        r.set64(8, p.lun());
        r.set32(16, p.itt());
        r.set32(20, reserved_tag);
        fill_sn(r, true);
        r.data = p.data;
        send(r);
    }

    void on_command(Pdu p) {
        if (m_params.discovery) {
            log("SCSI Command in a discovery session: rejected");
            reject(p, reject_reason::protocol_error);
            return;
        }
        if (!accept_cmd_sn(p)) return;
        Task t;
        t.itt = p.itt();
        t.cmd_sn = p.get32(24);
        t.lun = p.lun();
        t.read = p.flags() & 0x40;
        t.write = p.flags() & 0x20;
        t.edtl = p.get32(20);
        if (m_tasks.count(t.itt)) {
            reject(p, reject_reason::task_in_progress);
            return;
        }
        if (t.edtl > m_o.max_command_bytes) {
            log("a command expects " + std::to_string(t.edtl) + " bytes: more than this target accepts");
            reject(p, reject_reason::invalid_pdu_field);
            return;
        }
        if (t.write) {
            size_t imm = 0;
            if (m_placed.out && m_placed.out->size() == t.edtl) {  // immediate data already in place
                t.out = std::move(m_placed.out);
                imm = m_placed.len;
            } else {
                t.out = m_impl.buffers.get(t.edtl, false);  // see before_data_out()
                imm = std::min<size_t>(p.data.size(), t.edtl);
                if (imm) std::memcpy(t.out->data(), p.data.data(), imm);
            }
            t.received = uint32_t(imm);
            t.filled = uint32_t(imm);
            t.unsolicited_limit = m_params.initial_r2t ? uint32_t(imm) : std::min(m_params.first_burst, t.edtl);
            if ((p.flags() & 0x80) && !m_params.initial_r2t) t.unsolicited_limit = uint32_t(imm);  // F: no unsolicited Data-Out follows
            t.r2t_next = t.unsolicited_limit;
        } else if (!p.data.empty()) {
            reject(p, reject_reason::protocol_error);
            return;
        }
        t.cmd = std::move(p);
        t.cmd.data.clear();
        uint32_t itt = t.itt;
        m_tasks.emplace(itt, std::move(t));
        m_order.push_back(itt);
    }

    // R2Ts for every queued WRITE that waits for data, not only the head
    // one: the initiator sends them all in one go instead of one burst per
    // round trip (MaxOutstandingR2T counts per task).
    void solicit_all() {
        if (m_tasks.empty()) return;
        for (uint32_t itt : m_order) {
            auto it = m_tasks.find(itt);
            if (it != m_tasks.end() && !it->second.ready()) solicit(it->second);
        }
    }

    // Send R2Ts for a task's solicited data.
    void solicit(Task& t) {
        if (!t.write) return;
        if (t.received < t.unsolicited_limit && t.r2t_next == t.unsolicited_limit && t.outstanding == 0 &&
            t.received < std::min(t.unsolicited_limit, t.edtl))
            return;  // unsolicited data still on their way
        while (t.r2t_next < t.edtl && t.outstanding < std::max<uint32_t>(1, m_params.max_outstanding_r2t)) {
            uint32_t len = std::min(m_params.max_burst, t.edtl - t.r2t_next);
            if (t.ttt == reserved_tag) {
                t.ttt = m_next_ttt++;
                if (t.ttt == reserved_tag) t.ttt = m_next_ttt++;
            }
            Pdu r;
            r.set_opcode(opcode::r2t);
            r.bhs[1] = 0x80;
            r.set64(8, t.lun);
            r.set32(16, t.itt);
            r.set32(20, t.ttt);
            fill_sn(r, false);
            r.set32(36, t.r2t_sn++);
            r.set32(40, t.r2t_next);
            r.set32(44, len);
            send(r);
            t.r2t_next += len;
            ++t.outstanding;
        }
    }

    // A Data-Out the task asked for (or may send unsolicited), inside its buffer.
    // A WRITE's buffer is not zeroed when it is taken from the pool (a burn
    // would pay a memset per byte): while data-out arrive in order, each at
    // the end of what came before (as DataPDUInOrder has them), what they
    // cover is all the command uses. The first that does not zeroes what
    // lies beyond, before it is placed, so that no stale bytes of another
    // command reach the medium through a gap.
    void before_data_out(Task& t, uint32_t off) {
        if (t.zeroed || off == t.filled) return;
        std::memset(t.out->data() + t.filled, 0, t.edtl - t.filled);
        t.zeroed = true;
    }

    bool data_out_fits(const Task& t, const Pdu& p, uint32_t len) const {
        if (!t.write) return false;
        uint32_t ttt = p.get32(20), off = p.get32(40);
        bool unsolicited = ttt == reserved_tag;
        return (unsolicited || ttt == t.ttt) && uint64_t(off) + len <= t.edtl &&
               (!unsolicited || uint64_t(off) + len <= t.unsolicited_limit);
    }

    void on_data_out(const Pdu& p) {
        auto it = m_tasks.find(p.itt());
        if (it == m_tasks.end() || !it->second.write) {
            log("Data-Out for an unknown task " + hex32(p.itt()) + ": rejected");
            reject(p, reject_reason::invalid_pdu_field);
            return;
        }
        Task& t = it->second;
        uint32_t ttt = p.get32(20), off = p.get32(40), len = m_placed.len ? m_placed.len : uint32_t(p.data.size());
        bool unsolicited = ttt == reserved_tag;
        if (!data_out_fits(t, p, len)) {
            log("Data-Out outside what was asked for (offset " + std::to_string(off) + ", " + std::to_string(len) +
                " bytes): rejected");
            reject(p, reject_reason::invalid_pdu_field);
            return;
        }
        if (len && !m_placed.len) {
            before_data_out(t, off);
            std::memcpy(t.out->data() + off, p.data.data(), len);
        }
        if (!t.zeroed) t.filled = off + len;
        t.received += len;
        if (!unsolicited && (p.flags() & 0x80) && t.outstanding) --t.outstanding;
    }

    // A task on its way to the device: its CDB, its Data-In buffer, its reply.
    struct Job {
        Task task;
        std::vector<uint8_t> cdb;
        BufferPool::Ref data_in;
        CommandReply reply;
    };
    using Batch = std::shared_ptr<std::vector<Job>>;

    Job prepare(Task t) {
        Job j;
        const uint8_t* cdb_bytes = &t.cmd.bhs[32];
        j.cdb.assign(cdb_bytes, cdb_bytes + 16);
        if (!t.cmd.ahs.empty() && t.cmd.ahs.size() >= 4 && t.cmd.ahs[2] == 1) {  // extended CDB AHS
            size_t ext = size_t(t.cmd.ahs[0] << 8 | t.cmd.ahs[1]) - 1;
            ext = std::min(ext, t.cmd.ahs.size() - 4);
            j.cdb.insert(j.cdb.end(), t.cmd.ahs.begin() + 4, t.cmd.ahs.begin() + 4 + long(ext));
        }
        // READ fills all it reports and nothing more is sent: no zero fill
        // for its (large) buffer; every other command gets zeros.
        bool fills_all = j.cdb[0] == sc::op::read10 || j.cdb[0] == sc::op::read12;
        j.data_in = m_impl.buffers.get(t.read ? t.edtl : 0, !fills_all);
        j.task = std::move(t);
        return j;
    }

    // The ready tasks at the head of the queue, in order (at most 32, and 8
    // MiB of Data-In unless it is one task).
    Batch take_ready() {
        auto batch = std::make_shared<std::vector<Job>>();
        size_t data_in = 0;
        while (batch->size() < 32 && head_ready()) {
            auto it = m_tasks.find(m_order.front());
            if (!batch->empty() && data_in + it->second.edtl > (8u << 20) && it->second.read) break;
            if (it->second.read) data_in += it->second.edtl;
            batch->push_back(prepare(std::move(it->second)));
            m_tasks.erase(it);
            m_order.pop_front();
        }
        return batch;
    }

    // The executor coroutine (see full_feature()).
    awaitable<void> run_tasks() {
        auto self = shared_from_this();
        m_executor_running = true;
        m_batching = true;
        while (m_open && !m_reader_done) {
            co_await throttle();
            Batch batch = take_ready();
            if (batch->empty()) {
                Waiting waiting(*this);
                error_code ec;
                m_exec_wake.expires_at(std::chrono::steady_clock::time_point::max());
                co_await m_exec_wake.async_wait(asio::redirect_error(use_awaitable, ec));
                continue;
            }
            m_executing = true;
            co_await run(batch);
            m_executing = false;
            m_exec_progress.expires_at(std::chrono::steady_clock::time_point::min());
        }
        m_batching = false;
        m_executor_running = false;
        m_exec_progress.expires_at(std::chrono::steady_clock::time_point::min());
    }

    // Commands the target answers itself, not the device.
    static bool target_level(const Job& j) { return j.cdb[0] == sc::op::report_luns || (j.task.lun >> 48) != 0; }

    void answer_here(Job& j) {
        auto& data_in = *j.data_in;
        CommandReply& reply = j.reply;
        if (j.cdb[0] == sc::op::report_luns) {
            // A target concern: LUN 0 only.
            const auto& cdb = j.cdb;
            uint32_t alloc = uint32_t(cdb[6]) << 24 | uint32_t(cdb[7]) << 16 | uint32_t(cdb[8]) << 8 | cdb[9];
            std::vector<uint8_t> list(16, 0);
            list[3] = 8;
            size_t n = std::min<size_t>({list.size(), alloc, data_in.size()});
            std::memcpy(data_in.data(), list.data(), n);
            reply.data_in_length = n;
            reply.data_in_overflow = std::min<size_t>(list.size(), alloc) - n;
        } else if (j.cdb[0] == sc::op::inquiry && data_in.size()) {
            // No such LUN: peripheral qualifier 011b, device type 1Fh.
            std::vector<uint8_t> inq(36, 0);
            inq[0] = 0x7F;
            inq[2] = 5;
            inq[3] = 2;
            inq[4] = 31;
            size_t n = std::min(inq.size(), data_in.size());
            std::memcpy(data_in.data(), inq.data(), n);
            reply.data_in_length = n;
        } else {
            reply.status = sc::Status::check_condition;
            reply.sense = {sc::SenseKey::illegal_request, 0x25, 0x00};  // logical unit not supported
        }
    }

    static std::span<const std::byte> data_out(const Job& j) {
        if (!j.task.out) return {};
        return j.task.out->span();
    }

    // Run a batch in order: what the target or the device answers at once
    // here, the rest on the device's worker strand, consecutive device
    // commands in one hand-off (the batch keeps their buffers alive even if
    // the connection goes meanwhile).
    awaitable<void> run(Batch batch) {
        auto& jobs = *batch;
        for (size_t i = 0; i < jobs.size() && m_open;) {
            Job& j = jobs[i];
            if (target_level(j)) {
                answer_here(j);
                respond(j.task, j.reply, j.data_in);
                ++i;
                continue;
            }
            // Without a data digest to compute, read data may be sent straight from the disc's file.
            if (auto now = m_target->lu->try_execute_now(m_nexus, j.cdb, data_out(j), j.data_in->span(),
                                                         !m_params.data_digest)) {
                j.reply = *now;
                respond(j.task, j.reply, j.data_in);
                ++i;
                continue;
            }
            size_t end = i + 1;
            while (end < jobs.size() && !target_level(jobs[end])) ++end;
            auto done = std::make_shared<asio::steady_timer>(m_sock.get_executor(), std::chrono::steady_clock::time_point::max());
            auto lu = m_target->lu;
            auto conn_ex = m_sock.get_executor();
            NexusId nexus = m_nexus;
            Waiting waiting(*this);
            asio::post(*m_lu_strand, [=] {
                for (size_t k = i; k < end; ++k) {
                    Job& w = (*batch)[k];
                    w.reply = lu->execute(nexus, w.cdb, data_out(w), w.data_in->span());
                }
                asio::post(conn_ex, [done] { done->expires_at(std::chrono::steady_clock::time_point::min()); });
            });
            error_code ec;
            co_await done->async_wait(asio::redirect_error(use_awaitable, ec));
            if (!m_open) co_return;
            for (; i < end; ++i) respond(jobs[i].task, jobs[i].reply, jobs[i].data_in);
        }
    }

    void respond(const Task& t, const CommandReply& reply, const BufferPool::Ref& data_in) {
        size_t len = std::min(reply.data_in_length, data_in->size());
        uint8_t res_flags = 0;
        uint32_t residual = 0;
        if (t.read) {
            if (reply.data_in_overflow) {
                res_flags = 0x04;  // O
                residual = uint32_t(reply.data_in_overflow);
            } else if (len < t.edtl) {
                res_flags = 0x02;  // U
                residual = uint32_t(t.edtl - len);
            }
        } else if (t.write) {
            if (reply.data_out_overflow) {
                res_flags = 0x04;
                residual = uint32_t(reply.data_out_overflow);
            } else if (reply.data_out_used < t.edtl) {
                res_flags = 0x02;
                residual = uint32_t(t.edtl - reply.data_out_used);
            }
        } else if (t.edtl) {
            res_flags = 0x02;
            residual = t.edtl;
        }
        bool good = reply.status == sc::Status::good;
        // Data-In in PDUs of at most the initiator's segment size, sequences of
        // at most MaxBurstLength; the status rides on the last one when GOOD.
        uint32_t seg = std::max<uint32_t>(512, m_params.initiator_max_recv);
        uint32_t data_sn = 0;
        for (size_t off = 0; off < len;) {
            size_t n = std::min<size_t>(seg, len - off);
            size_t burst_end = (off / m_params.max_burst + 1) * m_params.max_burst;
            if (off + n > burst_end) n = burst_end - off;
            bool last = off + n == len;
            Pdu d;
            d.set_opcode(opcode::data_in);
            d.bhs[1] = uint8_t((last || off + n == burst_end) ? 0x80 : 0);
            d.set64(8, t.lun);
            d.set32(16, t.itt);
            d.set32(20, reserved_tag);
            d.set32(36, data_sn++);
            d.set32(40, uint32_t(off));
            if (last && good) {
                d.bhs[1] |= uint8_t(0x01 | res_flags);  // S, with the residual
                d.bhs[3] = uint8_t(reply.status);
                d.set32(44, residual);
                fill_sn(d, true);
            } else {
                d.set32(28, m_exp_cmd_sn);
                d.set32(32, m_exp_cmd_sn + m_o.limits.max_commands - 1);
            }
            if (reply.data_in_file.file) send(d, {}, off, n, &reply.data_in_file);
            else send(d, data_in, off, n);
            off += n;
            if (last && good) return;
        }
        Pdu r;
        r.set_opcode(opcode::scsi_response);
        r.bhs[1] = uint8_t(0x80 | res_flags);
        r.bhs[2] = 0x00;  // command completed at target
        r.bhs[3] = uint8_t(reply.status);
        r.set32(16, t.itt);
        fill_sn(r, true);
        r.set32(36, data_sn);
        r.set32(44, residual);
        if (reply.status == sc::Status::check_condition) {
            auto s = sc::encode_fixed_sense(reply.sense);
            r.data = {0, uint8_t(s.size())};
            r.data.insert(r.data.end(), s.begin(), s.end());
        }
        send(r);
    }

    void on_task_management(const Pdu& p) {
        if (!accept_cmd_sn(p)) return;
        uint8_t function = p.flags() & 0x7F;
        uint8_t response = 0;  // function complete
        uint32_t ref = p.get32(20);
        switch (function) {
        case 1: {  // ABORT TASK
            auto it = m_tasks.find(ref);
            if (it == m_tasks.end()) response = 1;  // task does not exist (done or unknown)
            else m_tasks.erase(it);
            break;
        }
        case 2:  // ABORT TASK SET
        case 3:  // CLEAR ACA
        case 4:  // CLEAR TASK SET
            if (function != 3) m_tasks.clear();
            break;
        case 5:  // LOGICAL UNIT RESET
        case 6:  // TARGET WARM RESET
        case 7:  // TARGET COLD RESET
            m_tasks.clear();
            if (m_target) m_target->lu->reset(m_nexus);
            break;
        case 8:  // TASK REASSIGN: needs ErrorRecoveryLevel 2
            response = 4;  // task allegiance reassignment not supported
            break;
        default:
            response = 5;  // function not supported
        }
        Pdu r;
        r.set_opcode(opcode::task_management_response);
        r.bhs[1] = 0x80;
        r.bhs[2] = response;
        r.set32(16, p.itt());
        fill_sn(r, true);
        send(r);
        if (function == 7) {  // cold reset: the connection goes too
            m_closing_after_drain = true;
            m_wake.expires_at(std::chrono::steady_clock::time_point::min());
        }
    }

    void on_text(const Pdu& p) {
        if (!accept_cmd_sn(p)) return;
        if (p.get32(20) != reserved_tag && !m_text_rest.empty()) {  // continuation of our long answer
            send_text_part(p);
            return;
        }
        auto keys = parse_keys(p.data);
        KeyList reply;
        if (!keys.ok()) {
            reject(p, reject_reason::protocol_error);
            return;
        }
        for (const auto& [k, v] : *keys) {
            if (k == "SendTargets") {
                std::vector<std::string> names;
                if (v == "All") {
                    if (!m_params.discovery && !m_params.target_name.empty()) names = {m_params.target_name};
                    if (m_params.discovery) names = m_server.names();
                } else if (v.empty()) {
                    if (!m_params.target_name.empty()) names = {m_params.target_name};
                } else if (m_server.find(v)) {
                    names = {v};
                }
                for (const auto& n : names) {
                    reply.emplace_back("TargetName", n);
                    reply.emplace_back("TargetAddress", m_server.portal());
                }
            } else {
                reply.emplace_back(k, "NotUnderstood");
            }
        }
        m_text_rest = encode_keys(reply);
        m_text_itt = p.itt();
        send_text_part(p);
    }

    void send_text_part(const Pdu& p) {
        uint32_t seg = std::max<uint32_t>(512, m_params.initiator_max_recv);
        Pdu r;
        r.set_opcode(opcode::text_response);
        r.set32(16, p.itt());
        size_t n = std::min<size_t>(seg, m_text_rest.size());
        r.data.assign(m_text_rest.begin(), m_text_rest.begin() + long(n));
        m_text_rest.erase(m_text_rest.begin(), m_text_rest.begin() + long(n));
        if (m_text_rest.empty()) {
            r.bhs[1] = 0x80;  // final
            r.set32(20, reserved_tag);
        } else {
            r.bhs[1] = 0x40;  // continue: the initiator asks for the rest
            r.set32(20, 0x1000 + (m_next_ttt++ & 0xFFF));
        }
        fill_sn(r, true);
        send(r);
    }

    void on_logout(const Pdu& p) {
        if (!accept_cmd_sn(p)) return;
        uint8_t reason = p.flags() & 0x7F;
        Pdu r;
        r.set_opcode(opcode::logout_response);
        r.bhs[1] = 0x80;
        r.bhs[2] = reason == 2 ? 2 : 0;  // connection recovery is not supported (ErrorRecoveryLevel 0)
        r.set32(16, p.itt());
        fill_sn(r, true);
        r.set16(40, uint16_t(m_params.default_time2wait));
        r.set16(42, uint16_t(m_params.default_time2retain));
        send(r);
        if (reason != 2) {
            log("logged out");
            m_closing_after_drain = true;
            m_wake.expires_at(std::chrono::steady_clock::time_point::min());
        }
    }

    Server& m_server;
    Server::Impl& m_impl;
    const ServerOptions& m_o;
    tcp::socket m_sock;
    asio::steady_timer m_wake, m_drained, m_ping, m_done;
    std::deque<Out> m_queue;
    size_t m_queued = 0;
    bool m_open = true;
    bool m_batching = false;  // the session coroutine runs and will flush what it queues
    bool m_closing_after_drain = false;
    bool m_ffp = false;
    SessionParams m_params;
    const TargetInfo* m_target = nullptr;
    std::shared_ptr<asio::strand<asio::thread_pool::executor_type>> m_lu_strand;
    NexusId m_nexus = 0;
    asio::steady_timer m_exec_wake{m_sock.get_executor()}, m_exec_progress{m_sock.get_executor()};
    bool m_executor_running = false;  // the executor coroutine has not ended
    bool m_executing = false;         // it runs a batch
    bool m_reader_done = false;       // the session coroutine stopped reading: the executor ends
    uint32_t m_stat_sn = 0, m_exp_cmd_sn = 0;
    uint32_t m_next_ttt = 1;
    uint32_t m_ping_ttt = 0;
    std::chrono::steady_clock::time_point m_last_rx = std::chrono::steady_clock::now();
    std::map<uint32_t, Task> m_tasks;
    std::deque<uint32_t> m_order;
    std::array<uint8_t, 16384> m_rx;  // received, not yet taken: [m_rx_pos, m_rx_end)
    size_t m_rx_pos = 0, m_rx_end = 0;
    struct Placed {
        uint32_t len = 0;         // the current PDU's data went straight to a WRITE's buffer
        BufferPool::Ref out;      // the new command's buffer, if it is a command
    } m_placed;
    std::vector<uint8_t> m_text_rest;
    uint32_t m_text_itt = 0;
    std::mutex m_info_mutex;
    ConnectionInfo m_info;
};

// ---------------------------------------------------------------------------

Server::Server(ServerOptions options) : m_options(std::move(options)) {
    if (!m_options.log) m_options.log = [](const std::string& s) { std::fprintf(stderr, "master-drive: %s\n", s.c_str()); };
    m_impl = std::make_unique<Impl>(std::max(1u, m_options.lu_threads), m_options.io_threads);
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

Status Server::start() {
    auto& impl = *m_impl;
    impl.log = m_options.log;
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
    for (auto& io : impl.ios) impl.work.push_back(asio::make_work_guard(*io));
    asio::co_spawn(
        *impl.ios[0],
        [this, &impl]() -> awaitable<void> {
            while (!impl.stopping) {
                error_code aec;
                auto& io = *impl.ios[impl.next_io++ % impl.ios.size()];
                tcp::socket sock = co_await impl.acceptor->async_accept(io, asio::redirect_error(use_awaitable, aec));
                if (aec) {
                    if (impl.stopping || aec == asio::error::operation_aborted) break;
                    continue;
                }
                auto conn = std::make_shared<Connection>(*this, impl, m_options, std::move(sock));
                {
                    std::lock_guard lock(impl.conns_mutex);
                    impl.conns.insert(conn);
                }
                asio::co_spawn(conn->executor(), conn->run(), [conn, &impl](std::exception_ptr e) {
                    if (e) {
                        try {
                            std::rethrow_exception(e);
                        } catch (const std::exception& x) {
                            if (impl.log) impl.log(std::string("connection dropped after an error: ") + x.what());
                        }
                    }
                    std::lock_guard lock(impl.conns_mutex);
                    impl.conns.erase(conn);
                });
            }
        },
        asio::detached);
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
        std::lock_guard lock(impl.conns_mutex);
        for (const auto& c : impl.conns) c->close();
    });
    impl.work.clear();
    // Give connections a moment to finish; then stop the loop.
    for (int i = 0; i < 100; ++i) {
        {
            std::lock_guard lock(impl.conns_mutex);
            if (impl.conns.empty()) break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    for (auto& io : impl.ios) io->stop();
    for (auto& t : impl.threads) t.join();
    impl.threads.clear();
    impl.lu_pool.join();
}

std::vector<ConnectionInfo> Server::connections() {
    std::vector<ConnectionInfo> out;
    std::lock_guard lock(m_impl->conns_mutex);
    for (const auto& c : m_impl->conns) out.push_back(c->info());
    return out;
}

}  // namespace emulator::iscsi
