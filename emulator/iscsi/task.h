// The tasks of one session (RFC 7143 4.2, 11.3 - 11.8): the commands it has
// taken and not yet handed to the logical unit, in CmdSN order; for a WRITE,
// its R2Ts and where its Data-Out go (straight into the command's buffer as
// they arrive); and once a command ran, its answer: Data-In in segments and
// bursts as negotiated, the status and the residual.
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <string>

#include "emulator/iscsi/command_window.h"
#include "emulator/iscsi/connection.h"
#include "emulator/iscsi/login.h"
#include "emulator/iscsi/pdu_scsi.h"

namespace emulator::iscsi {

struct Task {
    uint32_t itt = 0;
    uint32_t cmd_sn = 0;
    uint64_t lun = 0;
    bool read = false, write = false;
    uint32_t edtl = 0;         // Expected Data Transfer Length
    Cdb cdb;
    BufferPool::Ref out;       // all the data-out (a WRITE), filled as it arrives
    uint32_t received = 0;
    uint32_t filled = 0;       // out[0, filled) holds data-out that came in order
    bool zeroed = false;       // out[filled, edtl) was zeroed: data came out of order
    uint32_t unsolicited_limit = 0;  // data the initiator may send without R2T
    uint32_t r2t_next = 0;           // offset up to which R2Ts were sent
    uint32_t r2t_sn = 0;
    uint32_t outstanding = 0;
    uint32_t ttt = reserved_tag;
    bool ready() const { return received >= edtl || !write; }
};

// What the residual of a command is (RFC 7143 11.4.5): what a READ did not
// fill or had beyond the expected length, what a WRITE did not use or needed
// beyond what was sent, and all of it for a command that moved no data.
Residual residual_of(const Task& t, const CommandReply& reply, size_t data_in_length);

class TaskSet final : public DataPlacement {
public:
    TaskSet(Connection& conn, BufferPool& buffers, CommandWindow& window, TagSource& tags, const SessionParams& params,
            size_t max_command_bytes);

    // DataPlacement: immediate data of a new WRITE and the Data-Out a task
    // may take go into its buffer, so that written data are copied once.
    std::byte* destination(const Pdu& header) override;
    void reset() override { m_placed = {}; }

    // Why a PDU is refused: a Reject reason, and a line for the log (empty: none).
    struct Refusal {
        uint8_t reason;
        std::string why;
    };
    // A command the session took from the CmdSN window.
    std::optional<Refusal> add(ScsiCommand cmd);
    std::optional<Refusal> data_out(const DataOut& d);
    // R2Ts for every queued WRITE that waits for data, not only the head one:
    // the initiator sends them all in one go instead of one burst per round
    // trip (MaxOutstandingR2T counts per task).
    void solicit_all();

    // The head of the queue (the oldest command) has all its data.
    bool head_ready();
    const Task& head() const { return m_tasks.at(m_order.front()); }
    Task take_head();
    bool empty() const { return m_tasks.empty(); }
    size_t size() const { return m_tasks.size(); }
    bool abort(uint32_t itt);
    void clear();

    // The answer to a command that ran: Data-In from `data_in` (or the file
    // range the reply names), the status on the last one when GOOD, else a
    // SCSI Response.
    void respond(const Task& t, const CommandReply& reply, const BufferPool::Ref& data_in);

private:
    void solicit(Task& t);
    void before_data_out(Task& t, uint32_t off);
    bool data_out_fits(const Task& t, uint32_t ttt, uint32_t off, uint32_t len) const;
    void send_status(const Task& t, const CommandReply& reply, const Residual& residual, uint32_t data_sn);

    Connection& m_conn;
    BufferPool& m_buffers;
    CommandWindow& m_window;
    TagSource& m_tags;
    const SessionParams& m_params;
    size_t m_max_command_bytes;
    std::map<uint32_t, Task> m_tasks;
    std::deque<uint32_t> m_order;
    struct Placed {
        uint32_t len = 0;     // the current PDU's data went straight to a WRITE's buffer
        BufferPool::Ref out;  // the new command's buffer, if it is a command
    } m_placed;
};

}  // namespace emulator::iscsi
