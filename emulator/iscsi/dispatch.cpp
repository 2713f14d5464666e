#include "emulator/iscsi/dispatch.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "mastering/scsi/commands.h"

namespace emulator::iscsi {

using asio::use_awaitable;
using boost::system::error_code;
namespace sc = mastering::scsi;

namespace {
constexpr auto never = std::chrono::steady_clock::time_point::max();
constexpr auto now_ = std::chrono::steady_clock::time_point::min();
constexpr size_t k_batch_tasks = 32;
constexpr size_t k_batch_data_in = 8u << 20;  // unless it is one task

std::span<const std::byte> data_out_of(const Task& t) {
    if (!t.out) return {};
    return t.out->span();
}
}  // namespace

Dispatcher::Dispatcher(Connection& conn, TaskSet& tasks, BufferPool& buffers)
    : m_conn(conn), m_tasks(tasks), m_buffers(buffers), m_wake(conn.executor()), m_progress(conn.executor()) {}

void Dispatcher::attach(const LunFront* front, std::shared_ptr<LuStrand> strand, NexusId nexus, bool by_reference) {
    m_front = front;
    m_strand = std::move(strand);
    m_nexus = nexus;
    m_by_reference = by_reference;
}

void Dispatcher::start(std::shared_ptr<void> keep) {
    asio::co_spawn(m_conn.executor(), run_tasks(std::move(keep)), asio::detached);
}

void Dispatcher::wake() {
    if (m_tasks.head_ready()) m_wake.expires_at(now_);
}

awaitable<void> Dispatcher::progress() {
    Connection::Waiting waiting(m_conn);
    error_code ec;
    m_progress.expires_at(never);
    co_await m_progress.async_wait(asio::redirect_error(use_awaitable, ec));
}

awaitable<void> Dispatcher::stop() {
    m_reader_done = true;
    m_wake.expires_at(now_);
    while (m_running) co_await progress();
}

void Dispatcher::cancel() {
    m_wake.cancel();
    m_progress.cancel();
}

awaitable<void> Dispatcher::run_tasks(std::shared_ptr<void> keep) {
    (void)keep;  // held in the coroutine's frame
    m_running = true;
    m_conn.set_batching(true);
    while (m_conn.open() && !m_reader_done) {
        co_await m_conn.throttle();
        Batch batch = take_ready();
        if (batch->empty()) {
            Connection::Waiting waiting(m_conn);
            error_code ec;
            m_wake.expires_at(never);
            co_await m_wake.async_wait(asio::redirect_error(use_awaitable, ec));
            continue;
        }
        m_executing = true;
        co_await run(batch);
        m_executing = false;
        m_progress.expires_at(now_);
    }
    m_conn.set_batching(false);
    m_running = false;
    m_progress.expires_at(now_);
}

Dispatcher::Job Dispatcher::prepare(Task t) {
    Job j;
    j.unit = m_front->route(t.lun, cdb_span(t.cdb));
    // A command that fills all the Data-In it reports (READ, by the command
    // vocabulary) needs no zero fill of its (large) buffer; every other
    // command gets zeros.
    bool fills_all = sc::fills_data_in(cdb_span(t.cdb));
    j.data_in = m_buffers.get(t.read ? t.edtl : 0, !fills_all);
    j.task = std::move(t);
    return j;
}

// The ready tasks at the head of the queue, in order (at most 32, and 8 MiB
// of Data-In unless it is one task).
Dispatcher::Batch Dispatcher::take_ready() {
    auto batch = std::make_shared<std::vector<Job>>();
    size_t data_in = 0;
    while (batch->size() < k_batch_tasks && m_tasks.head_ready()) {
        const Task& head = m_tasks.head();
        if (!batch->empty() && head.read && data_in + head.edtl > k_batch_data_in) break;
        if (head.read) data_in += head.edtl;
        batch->push_back(prepare(m_tasks.take_head()));
    }
    return batch;
}

// Run a batch in order: what the target or the unit answers at once here, the
// rest on the unit's worker strand, consecutive commands of one unit in one
// hand-off (the batch keeps their buffers alive even if the connection goes
// meanwhile).
awaitable<void> Dispatcher::run(Batch batch) {
    auto& jobs = *batch;
    for (size_t i = 0; i < jobs.size() && m_conn.open();) {
        Job& j = jobs[i];
        if (!j.unit) {
            j.reply = m_front->answer(j.task.lun, cdb_span(j.task.cdb), j.data_in->span());
            m_tasks.respond(j.task, j.reply, j.data_in);
            ++i;
            continue;
        }
        if (auto now = j.unit->try_execute_now(m_nexus, cdb_span(j.task.cdb), data_out_of(j.task), j.data_in->span(),
                                               m_by_reference)) {
            j.reply = *now;
            m_tasks.respond(j.task, j.reply, j.data_in);
            ++i;
            continue;
        }
        size_t end = i + 1;
        while (end < jobs.size() && jobs[end].unit == j.unit) ++end;
        auto done = std::make_shared<asio::steady_timer>(m_conn.executor(), never);
        auto conn_ex = m_conn.executor();
        NexusId nexus = m_nexus;
        Connection::Waiting waiting(m_conn);
        asio::post(*m_strand, [=] {
            for (size_t k = i; k < end; ++k) {
                Job& w = (*batch)[k];
                w.reply = w.unit->execute(nexus, cdb_span(w.task.cdb), data_out_of(w.task), w.data_in->span());
            }
            asio::post(conn_ex, [done] { done->expires_at(now_); });
        });
        error_code ec;
        co_await done->async_wait(asio::redirect_error(use_awaitable, ec));
        if (!m_conn.open()) co_return;
        for (; i < end; ++i) m_tasks.respond(jobs[i].task, jobs[i].reply, jobs[i].data_in);
    }
}

}  // namespace emulator::iscsi
