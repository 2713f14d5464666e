#include "emulator/iscsi/connection.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cstring>

#include "mastering/os/file.h"

namespace emulator::iscsi {

using asio::use_awaitable;
using boost::system::error_code;

namespace {
constexpr auto never = std::chrono::steady_clock::time_point::max();
constexpr auto now_ = std::chrono::steady_clock::time_point::min();
constexpr size_t k_queue_limit = 8u << 20;  // bytes queued before the session waits for the writer
}  // namespace

Connection::Connection(tcp::socket sock, BufferPool& buffers, Log log)
    : m_sock(std::move(sock)), m_buffers(buffers), m_log(std::move(log)), m_wake(m_sock.get_executor()),
      m_drained(m_sock.get_executor()) {
    error_code ec;
    auto ep = m_sock.remote_endpoint(ec);
    m_peer = ec ? "?" : ep.address().to_string() + ":" + std::to_string(ep.port());
    m_sock.set_option(tcp::no_delay(true), ec);
    m_sock.non_blocking(true, ec);  // flush_now() never waits
    m_sock.set_option(asio::socket_base::keep_alive(true), ec);
    m_wake.expires_at(never);
    m_drained.expires_at(never);
}

void Connection::shutdown(const std::string& why) {
    if (!m_open) return;
    m_open = false;
    if (!why.empty() && m_log) m_log(why);
    error_code ec;
    m_sock.shutdown(tcp::socket::shutdown_both, ec);
    m_sock.close(ec);
    m_wake.cancel();
    m_drained.cancel();
    if (m_on_shutdown) std::exchange(m_on_shutdown, nullptr)();
}

// ---- Sending: a bounded queue, drained by the session coroutine itself
// before it waits (as far as the socket takes it without blocking: one system
// call for all it queued since it last waited, no hand-off) and by a writer
// coroutine for the rest and for what others queue meanwhile.

Connection::Out Connection::framed(const Pdu& header, size_t len) {
    Out o;
    o.head.resize(header_size(header, m_digests.header));
    encode_header(header, uint32_t(len), m_digests.header, {o.head.data(), o.head.size()});
    o.len = len;
    return o;
}

void Connection::send(Pdu p) {
    Out o = framed(p, p.data.size());
    o.tail = encode_data_tail(p.data.size(), m_digests.data ? p.data.data() : nullptr);
    o.own = std::move(p.data);
    queue(std::move(o));
}

void Connection::send(const Pdu& header, BufferPool::Ref payload, size_t off, size_t len) {
    Out o = framed(header, len);
    o.tail = encode_data_tail(len, m_digests.data ? reinterpret_cast<const uint8_t*>(payload->data() + off) : nullptr);
    o.payload = std::move(payload);
    o.off = off;
    queue(std::move(o));
}

void Connection::send(const Pdu& header, const FileRange& file, size_t off, size_t len) {
    DM_VERIFY(!m_digests.data);  // data from a file are only asked for without a data digest
    Out o = framed(header, len);
    o.tail = encode_data_tail(len, nullptr);
    o.file = file;
    o.off = off;
    queue(std::move(o));
}

void Connection::queue(Out o) {
    m_queued += o.size();
    m_queue.push_back(std::move(o));
    if (!m_batching) wake_writer();
}

void Connection::wake_writer() { m_wake.expires_at(now_); }

// The iovecs of what the queue has next in memory (up to 32 PDUs): headers,
// data from a buffer or a file's mapping, tails. `file_next`: they stop at
// file data that go by sendfile.
size_t Connection::gather(std::array<iovec, 96>& iov, bool& file_next) const {
    size_t n_iov = 0;
    file_next = false;
    for (size_t i = 0; i < m_queue.size() && i < 32 && !file_next; ++i) {
        const Out& o = m_queue[i];
        size_t skip = o.sent;
        const std::byte* data = nullptr;
        bool by_sendfile = false;
        if (o.file.file) {
            data = o.file.file->mapped(o.file.offset + o.off, o.len);
            by_sendfile = !data;
        } else if (o.len) {
            data = o.payload ? o.payload->data() + o.off : reinterpret_cast<const std::byte*>(o.own.data());
        }
        struct Seg {
            const uint8_t* p;
            size_t n;
            bool file;
        };
        const Seg segs[3] = {{o.head.data(), o.head.size(), false},
                             {reinterpret_cast<const uint8_t*>(data), o.len, by_sendfile},
                             {o.tail.bytes.data(), o.tail.size, false}};
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
    return n_iov;
}

// `n` bytes of the queue's head went out.
void Connection::consumed(size_t n) {
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

// Write what the socket takes now from the head of the queue, without
// blocking: memory gathered into one sendmsg, with the data of a file straight
// from its mapping (one copy, into the socket: full segments, one call for
// many PDUs), or where it is not mapped with sendfile (a header before them
// goes with MSG_MORE). True once the queue is empty; false when the socket is
// full or the connection went.
bool Connection::write_queue_now() {
    int sock = m_sock.native_handle();
    while (m_open && !m_queue.empty()) {
        std::array<iovec, 96> iov;
        bool file_next = false;
        size_t n_iov = gather(iov, file_next);
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
                // Mapped data beyond the file's end: it was truncated since
                // those commands ran. What it still has is copied, the rest
                // goes as zeros.
                for (Out& o : m_queue)
                    if (o.file.file) copy_file_data(o);
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) shutdown("");
            return false;
        }
        consumed(size_t(w));
    }
    if (m_queue.empty()) m_drained.expires_at(now_);
    return m_open && m_queue.empty();
}

// The file data of `o` into a buffer of its own, zeros where the file no
// longer has them. A file that cannot be read ends the connection: its data
// cannot be sent, and zeros would pass for them.
void Connection::copy_file_data(Out& o) {
    auto buf = m_buffers.get(o.len, true);
    auto got = mastering::os::pread_some(o.file.file->fd(), buf->data(), o.len, o.file.offset + o.off, "the disc's data");
    if (!got.ok()) {
        shutdown(got.error().message + ": closing the connection");
        return;
    }
    o.payload = std::move(buf);
    o.file = {};
    o.off = 0;
}

void Connection::set_batching(bool on) {
    m_batching = on;
    if (!on && !m_queue.empty()) wake_writer();
}

void Connection::flush_now() {
    if (m_open && !m_queue.empty()) write_queue_now();
}

Connection::Waiting::Waiting(Connection& c) : m_c(c), m_was(c.m_batching) {
    if (!m_was) return;
    m_c.flush_now();
    m_c.m_batching = false;
    if (!m_c.m_queue.empty()) m_c.wake_writer();
}

void Connection::start_writer() { asio::co_spawn(m_sock.get_executor(), writer(), asio::detached); }

awaitable<void> Connection::writer() {
    auto self = shared_from_this();
    while (m_open) {
        if (m_queue.empty()) {
            m_drained.expires_at(now_);
            if (m_closing_after_drain) break;
            error_code ec;
            m_wake.expires_at(never);
            co_await m_wake.async_wait(asio::redirect_error(use_awaitable, ec));
            continue;
        }
        if (write_queue_now() || !m_open) continue;
        error_code ec;  // the socket is full: wait until it takes more
        co_await m_sock.async_wait(tcp::socket::wait_write, asio::redirect_error(use_awaitable, ec));
        if (ec) shutdown("");
    }
    m_drained.expires_at(now_);
    if (m_closing_after_drain) shutdown("");
}

awaitable<void> Connection::throttle() {
    while (m_open && m_queued > k_queue_limit) {
        Waiting waiting(*this);  // its flush may be all the writing needed
        if (m_queued <= k_queue_limit) break;
        error_code ec;
        m_drained.expires_at(never);
        co_await m_drained.async_wait(asio::redirect_error(use_awaitable, ec));
    }
}

void Connection::close_after_drain() {
    m_closing_after_drain = true;
    wake_writer();
}

awaitable<void> Connection::finish() {
    auto self = shared_from_this();
    if (m_open && !m_queue.empty()) {
        close_after_drain();
        asio::steady_timer limit(m_sock.get_executor(), std::chrono::seconds(5));
        limit.async_wait([self](error_code ec) {
            if (!ec) self->shutdown("");
        });
        while (m_open && !m_queue.empty()) {
            error_code ec;
            m_drained.expires_at(never);
            co_await m_drained.async_wait(asio::redirect_error(use_awaitable, ec));
        }
        limit.cancel();
    }
    shutdown("");
}

// ---- Receiving

// Bytes arrive through a small buffer (a header and what follows it in one
// system call); the rest of a large data segment is read straight into its
// destination.
awaitable<bool> Connection::receive(void* destination, size_t n) {
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

// Where the data segment of `p` goes: where `placement` puts it (a
// well-framed PDU only), or into the PDU.
uint8_t* Connection::data_buffer(Pdu& p, DataPlacement* placement) {
    uint8_t op = p.opcode();
    bool well_formed = is_initiator_opcode(op) && (p.ahs.empty() || op == opcode::scsi_command);
    if (std::byte* placed = well_formed && placement ? placement->destination(p) : nullptr)
        return reinterpret_cast<uint8_t*>(placed);
    p.data.resize(p.data_length());
    return p.data.data();
}

awaitable<ReadResult> Connection::read_pdu(uint32_t max_data, DataPlacement* placement) {
    ReadResult res;
    Pdu p;
    if (placement) placement->reset();
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
    // The header (AHS, header digest) first: the data's destination is chosen
    // from fields the digest has checked.
    p.ahs.resize(ahs);
    std::array<uint8_t, 4> digest{};
    if ((ahs && !co_await receive(p.ahs.data(), ahs)) || (m_digests.header && !co_await receive(digest.data(), 4))) {
        res.fatal = true;
        co_return res;
    }
    if (m_digests.header) {
        if (auto st = check_header_digest(p.bhs, p.ahs, digest); !st.ok()) {
            res.fatal = true;  // the framing cannot be trusted
            res.error = st.error().message;
            co_return res;
        }
    }
    if (dsl) {
        uint8_t* data = data_buffer(p, placement);
        std::array<uint8_t, 7> tail{};  // padding and data digest
        size_t tail_len = (4 - dsl % 4) % 4 + (m_digests.data ? 4 : 0);
        if (!co_await receive(data, dsl) || !co_await receive(tail.data(), tail_len)) {
            res.fatal = true;
            co_return res;
        }
        if (m_digests.data && !check_data_digest({data, dsl}, {tail.data(), tail_len}).ok()) {
            if (placement) placement->reset();  // reject, keep going
            res.reject = true;
            res.reason = reject_reason::data_digest_error;
            res.error = "data digest error";
        }
    }
    if (res.reject) {
    } else if (!is_initiator_opcode(op)) {
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

}  // namespace emulator::iscsi
