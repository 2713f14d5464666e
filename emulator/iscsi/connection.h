// The I/O of one iSCSI connection over Boost.Asio: PDUs framed on the way out
// into a bounded send queue (sendmsg for memory, the disc file's mapping or
// sendfile for read data), and read on the way in through a small receive
// buffer, with a large data segment read straight into its destination. It
// knows frames (pdu.h), not what they mean: the session (session.h) does.
#pragma once

#include <utility>  // before Asio (GCC 12 + Boost 1.74)

#include <boost/asio.hpp>
#include <boost/container/small_vector.hpp>

#include <sys/uio.h>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "emulator/iscsi/buffer_pool.h"
#include "emulator/iscsi/pdu.h"
#include "emulator/logical_unit.h"

namespace emulator::iscsi {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using asio::awaitable;

// The digests in force (RFC 7143 13.1): none during login, as negotiated after.
struct Digests {
    bool header = false, data = false;
};

// Where the data segment of a PDU whose header just arrived goes: straight
// into the buffer of the command it belongs to, or (nullptr) into the PDU.
class DataPlacement {
public:
    virtual std::byte* destination(const Pdu& header) = 0;
    // A new PDU begins, or the placed data failed their digest: whatever was
    // placed for the last PDU is void.
    virtual void reset() = 0;

protected:
    ~DataPlacement() = default;
};

// One PDU as read.
struct ReadResult {
    std::optional<Pdu> pdu;
    bool fatal = false;   // framing lost or connection closed
    bool reject = false;  // a well-framed PDU to reject
    uint8_t reason = 0;
    std::string error;
};

class Connection : public std::enable_shared_from_this<Connection> {
public:
    using Log = std::function<void(const std::string&)>;
    Connection(tcp::socket sock, BufferPool& buffers, Log log);
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    tcp::socket::executor_type executor() { return m_sock.get_executor(); }
    const std::string& peer() const { return m_peer; }
    bool open() const { return m_open; }
    void set_digests(Digests d) { m_digests = d; }
    const Digests& digests() const { return m_digests; }
    // Called once when the connection closes (the session's timers stop).
    void on_shutdown(std::function<void()> f) { m_on_shutdown = std::move(f); }

    // ---- Sending. Each PDU is framed with the digests in force when it is
    // queued. A whole PDU from memory:
    void send(Pdu p);
    // A header whose `len` bytes of data lie in `payload` from `off`, or in a
    // file (read data sent without a copy; only without a data digest).
    void send(const Pdu& header, BufferPool::Ref payload, size_t off, size_t len);
    void send(const Pdu& header, const FileRange& file, size_t off, size_t len);
    // The writer coroutine: drains what the session does not write itself.
    void start_writer();
    // Wait until the queue is small again: a slow reader costs bounded memory.
    awaitable<void> throttle();
    // What is queued last (a Login Reject, a Logout Response) goes out, then
    // the connection closes.
    void close_after_drain();
    // At the end of the session: give the queue up to 5 s to go out, then close.
    awaitable<void> finish();
    void shutdown(const std::string& why);

    // While the session coroutine runs it "batches": it writes what it queued
    // before it waits (one system call for all of it, no hand-off), instead
    // of waking the writer per PDU.
    void set_batching(bool on);
    bool batching() const { return m_batching; }
    // Held while the session waits (for the socket, a worker, the writer):
    // what it queued goes out first, and what is queued meanwhile wakes the writer.
    class Waiting {
    public:
        explicit Waiting(Connection& c);
        ~Waiting() { m_c.m_batching = m_was; }
        Waiting(const Waiting&) = delete;
        Waiting& operator=(const Waiting&) = delete;

    private:
        Connection& m_c;
        bool m_was;
    };

    // ---- Receiving: one PDU, its data segment placed by `placement` (none:
    // into the PDU).
    awaitable<ReadResult> read_pdu(uint32_t max_data, DataPlacement* placement);
    std::chrono::steady_clock::time_point last_received() const { return m_last_rx; }

private:
    struct Out {
        boost::container::small_vector<uint8_t, 52> head;  // BHS + AHS + header digest
        std::vector<uint8_t> own;   // the data of a PDU built in memory
        BufferPool::Ref payload;    // or from a buffer
        FileRange file;             // or from a file: its bytes [off, off + len)
        size_t off = 0, len = 0;
        DataTail tail;              // padding + data digest
        size_t sent = 0;            // bytes of it already written
        size_t size() const { return head.size() + len + tail.size; }
    };
    void queue(Out o);
    Out framed(const Pdu& header, size_t len);
    void wake_writer();
    size_t gather(std::array<iovec, 96>& iov, bool& file_next) const;
    void consumed(size_t n);
    bool write_queue_now();
    void copy_file_data(Out& o);
    void flush_now();
    awaitable<void> writer();
    awaitable<bool> receive(void* destination, size_t n);
    uint8_t* data_buffer(Pdu& p, DataPlacement* placement);

    tcp::socket m_sock;
    BufferPool& m_buffers;
    Log m_log;
    std::string m_peer;
    Digests m_digests;
    std::function<void()> m_on_shutdown;
    asio::steady_timer m_wake, m_drained;
    std::deque<Out> m_queue;
    size_t m_queued = 0;
    bool m_open = true;
    bool m_batching = false;
    bool m_closing_after_drain = false;
    std::chrono::steady_clock::time_point m_last_rx = std::chrono::steady_clock::now();
    std::array<uint8_t, 16384> m_rx;  // received, not yet taken: [m_rx_pos, m_rx_end)
    size_t m_rx_pos = 0, m_rx_end = 0;
};

}  // namespace emulator::iscsi
