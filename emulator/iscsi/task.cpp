#include "emulator/iscsi/task.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace emulator::iscsi {

namespace sc = mastering::scsi;

Residual residual_of(const Task& t, const CommandReply& reply, size_t len) {
    if (t.read) {
        if (reply.data_in_overflow) return {true, false, uint32_t(reply.data_in_overflow)};
        if (len < t.edtl) return {false, true, uint32_t(t.edtl - len)};
    } else if (t.write) {
        if (reply.data_out_overflow) return {true, false, uint32_t(reply.data_out_overflow)};
        if (reply.data_out_used < t.edtl) return {false, true, uint32_t(t.edtl - reply.data_out_used)};
    } else if (t.edtl) {
        return {false, true, t.edtl};
    }
    return {};
}

TaskSet::TaskSet(Connection& conn, BufferPool& buffers, CommandWindow& window, TagSource& tags,
                 const SessionParams& params, size_t max_command_bytes)
    : m_conn(conn), m_buffers(buffers), m_window(window), m_tags(tags), m_params(params),
      m_max_command_bytes(max_command_bytes) {}

// A WRITE's buffer is not zeroed when it is taken from the pool (a burn would
// pay a memset per byte): while data-out arrive in order, each at the end of
// what came before (as DataPDUInOrder has them), what they cover is all the
// command uses. The first that does not zeroes what lies beyond, before it is
// placed, so that no stale bytes of another command reach the medium through
// a gap.
std::byte* TaskSet::destination(const Pdu& header) {
    uint32_t dsl = header.data_length();
    if (dsl == 0) return nullptr;
    if (header.opcode() == opcode::scsi_command) {
        auto c = ScsiCommand::decode(header);
        if (!c.ok() || !c->write || c->expected_length > m_max_command_bytes || dsl > c->expected_length) return nullptr;
        m_placed.out = m_buffers.get(c->expected_length, false);  // see above
        m_placed.len = dsl;
        return m_placed.out->data();
    }
    if (header.opcode() == opcode::data_out && header.ahs_length() == 0) {
        auto d = DataOut::decode(header);
        if (!d.ok()) return nullptr;
        auto it = m_tasks.find(d->itt);
        if (it == m_tasks.end() || !data_out_fits(it->second, d->ttt, d->buffer_offset, dsl)) return nullptr;
        m_placed.len = dsl;
        before_data_out(it->second, d->buffer_offset);
        return it->second.out->data() + d->buffer_offset;
    }
    return nullptr;
}

std::optional<TaskSet::Refusal> TaskSet::add(ScsiCommand cmd) {
    if (m_tasks.count(cmd.itt)) return Refusal{reject_reason::task_in_progress, ""};
    if (cmd.expected_length > m_max_command_bytes)
        return Refusal{reject_reason::invalid_pdu_field, "a command expects " + std::to_string(cmd.expected_length) +
                                                             " bytes: more than this target accepts"};
    Task t;
    t.itt = cmd.itt;
    t.cmd_sn = cmd.cmd_sn;
    t.lun = cmd.lun;
    t.read = cmd.read;
    t.write = cmd.write;
    t.edtl = cmd.expected_length;
    if (t.write) {
        size_t imm = 0;
        if (m_placed.out && m_placed.out->size() == t.edtl) {  // immediate data already in place
            t.out = std::move(m_placed.out);
            imm = m_placed.len;
        } else {
            t.out = m_buffers.get(t.edtl, false);  // see destination()
            imm = std::min<size_t>(cmd.data.size(), t.edtl);
            if (imm) std::memcpy(t.out->data(), cmd.data.data(), imm);
        }
        t.received = uint32_t(imm);
        t.filled = uint32_t(imm);
        t.unsolicited_limit = m_params.initial_r2t ? uint32_t(imm) : std::min(m_params.first_burst, t.edtl);
        if (cmd.final && !m_params.initial_r2t) t.unsolicited_limit = uint32_t(imm);  // no unsolicited Data-Out follows
        t.r2t_next = t.unsolicited_limit;
    } else if (!cmd.data.empty()) {
        return Refusal{reject_reason::protocol_error, ""};
    }
    t.cdb = std::move(cmd.cdb);
    uint32_t itt = t.itt;
    m_tasks.emplace(itt, std::move(t));
    m_order.push_back(itt);
    return std::nullopt;
}

void TaskSet::solicit_all() {
    if (m_tasks.empty()) return;
    for (uint32_t itt : m_order) {
        auto it = m_tasks.find(itt);
        if (it != m_tasks.end() && !it->second.ready()) solicit(it->second);
    }
}

// R2Ts for a task's solicited data (RFC 7143 11.8).
void TaskSet::solicit(Task& t) {
    if (!t.write) return;
    if (t.received < t.unsolicited_limit && t.r2t_next == t.unsolicited_limit && t.outstanding == 0 &&
        t.received < std::min(t.unsolicited_limit, t.edtl))
        return;  // unsolicited data still on their way
    while (t.r2t_next < t.edtl && t.outstanding < std::max<uint32_t>(1, m_params.max_outstanding_r2t)) {
        uint32_t len = std::min(m_params.max_burst, t.edtl - t.r2t_next);
        if (t.ttt == reserved_tag) t.ttt = m_tags.next();
        R2t r;
        r.lun = t.lun;
        r.itt = t.itt;
        r.ttt = t.ttt;
        r.sn = m_window.current();
        r.r2t_sn = t.r2t_sn++;
        r.buffer_offset = t.r2t_next;
        r.desired_length = len;
        m_conn.send(r.encode());
        t.r2t_next += len;
        ++t.outstanding;
    }
}

void TaskSet::before_data_out(Task& t, uint32_t off) {
    if (t.zeroed || off == t.filled) return;
    std::memset(t.out->data() + t.filled, 0, t.edtl - t.filled);
    t.zeroed = true;
}

// A Data-Out the task asked for (or may send unsolicited), inside its buffer.
bool TaskSet::data_out_fits(const Task& t, uint32_t ttt, uint32_t off, uint32_t len) const {
    if (!t.write) return false;
    bool unsolicited = ttt == reserved_tag;
    return (unsolicited || ttt == t.ttt) && uint64_t(off) + len <= t.edtl &&
           (!unsolicited || uint64_t(off) + len <= t.unsolicited_limit);
}

std::optional<TaskSet::Refusal> TaskSet::data_out(const DataOut& d) {
    char tag[16];
    std::snprintf(tag, sizeof tag, "0x%08x", d.itt);
    auto it = m_tasks.find(d.itt);
    if (it == m_tasks.end() || !it->second.write)
        return Refusal{reject_reason::invalid_pdu_field, std::string("Data-Out for an unknown task ") + tag + ": rejected"};
    Task& t = it->second;
    uint32_t off = d.buffer_offset, len = m_placed.len ? m_placed.len : uint32_t(d.data.size());
    bool unsolicited = d.ttt == reserved_tag;
    if (!data_out_fits(t, d.ttt, off, len))
        return Refusal{reject_reason::invalid_pdu_field, "Data-Out outside what was asked for (offset " +
                                                             std::to_string(off) + ", " + std::to_string(len) +
                                                             " bytes): rejected"};
    if (len && !m_placed.len) {
        before_data_out(t, off);
        std::memcpy(t.out->data() + off, d.data.data(), len);
    }
    if (!t.zeroed) t.filled = off + len;
    t.received += len;
    if (!unsolicited && d.final && t.outstanding) --t.outstanding;
    return std::nullopt;
}

bool TaskSet::head_ready() {
    while (!m_order.empty()) {
        auto it = m_tasks.find(m_order.front());
        if (it != m_tasks.end()) return it->second.ready();
        m_order.pop_front();
    }
    return false;
}

Task TaskSet::take_head() {
    auto it = m_tasks.find(m_order.front());
    Task t = std::move(it->second);
    m_tasks.erase(it);
    m_order.pop_front();
    return t;
}

bool TaskSet::abort(uint32_t itt) { return m_tasks.erase(itt) > 0; }

void TaskSet::clear() { m_tasks.clear(); }

void TaskSet::respond(const Task& t, const CommandReply& reply, const BufferPool::Ref& data_in) {
    size_t len = std::min(reply.data_in_length, data_in->size());
    Residual residual = residual_of(t, reply, len);
    bool good = reply.status == sc::Status::good;
    // Data-In in PDUs of at most the initiator's segment size, sequences of at
    // most MaxBurstLength; the status rides on the last one when GOOD (RFC
    // 7143 11.7.4, "phase collapse").
    uint32_t seg = std::max<uint32_t>(512, m_params.initiator_max_recv);
    uint32_t data_sn = 0;
    for (size_t off = 0; off < len;) {
        size_t n = std::min<size_t>(seg, len - off);
        size_t burst_end = (off / m_params.max_burst + 1) * m_params.max_burst;
        if (off + n > burst_end) n = burst_end - off;
        bool last = off + n == len;
        DataIn d;
        d.final = last || off + n == burst_end;
        d.lun = t.lun;
        d.itt = t.itt;
        d.data_sn = data_sn++;
        d.buffer_offset = uint32_t(off);
        if (last && good) {
            d.has_status = true;
            d.status = uint8_t(reply.status);
            d.residual = residual;
            d.sn = m_window.status();
        } else {
            d.sn = m_window.without_stat_sn();
        }
        if (reply.data_in_file.file) m_conn.send(d.encode(), reply.data_in_file, off, n);
        else m_conn.send(d.encode(), data_in, off, n);
        off += n;
        if (last && good) return;
    }
    send_status(t, reply, residual, data_sn);
}

void TaskSet::send_status(const Task& t, const CommandReply& reply, const Residual& residual, uint32_t data_sn) {
    ScsiResponse r;
    r.response = 0x00;  // command completed at target
    r.status = uint8_t(reply.status);
    r.residual = residual;
    r.itt = t.itt;
    r.sn = m_window.status();
    r.exp_data_sn = data_sn;
    if (reply.status == sc::Status::check_condition) {
        auto s = sc::encode_fixed_sense(reply.sense);
        r.sense.assign(s.begin(), s.end());
    }
    m_conn.send(r.encode());
}

}  // namespace emulator::iscsi
