// The hand-off of a session's ready tasks to its logical unit: an executor
// coroutine takes the tasks whose data are complete, in order, while the
// session goes on reading (the next WRITE's data arrive while this one is
// written); what the target answers itself goes to the LunFront, what the
// unit can answer at once runs here (try_execute_now: no thread hand-off on
// the hot path), and the rest runs on the unit's worker strand, consecutive
// commands in one hand-off (a batch).
#pragma once

#include <memory>

#include "emulator/iscsi/task.h"
#include "emulator/lun_front.h"

namespace emulator::iscsi {

// Commands of one logical unit run one at a time on its strand of the
// server's worker pool.
using LuStrand = asio::strand<asio::thread_pool::executor_type>;

class Dispatcher {
public:
    Dispatcher(Connection& conn, TaskSet& tasks, BufferPool& buffers);
    // After login: where the session's commands go.
    void attach(const LunFront* front, std::shared_ptr<LuStrand> strand, NexusId nexus, bool by_reference);

    // The executor coroutine; `keep` keeps its session alive while it runs.
    void start(std::shared_ptr<void> keep);
    // The session read a PDU that may have made the head task ready.
    void wake();
    // Wait until the executor finished a batch (or stopped).
    awaitable<void> progress();
    // A batch is running, or one is ready to run.
    bool busy() { return m_executing || m_tasks.head_ready(); }
    // The session stopped reading: the executor ends; wait for it.
    awaitable<void> stop();
    // The connection closed: every wait ends.
    void cancel();

private:
    // A task on its way to the unit: its CDB, its Data-In buffer, its reply.
    struct Job {
        Task task;
        BufferPool::Ref data_in;
        CommandReply reply;
        LogicalUnit* unit = nullptr;  // nullptr: the LunFront answers
    };
    using Batch = std::shared_ptr<std::vector<Job>>;

    awaitable<void> run_tasks(std::shared_ptr<void> keep);
    Job prepare(Task t);
    Batch take_ready();
    awaitable<void> run(Batch batch);

    Connection& m_conn;
    TaskSet& m_tasks;
    BufferPool& m_buffers;
    const LunFront* m_front = nullptr;
    std::shared_ptr<LuStrand> m_strand;
    NexusId m_nexus = 0;
    bool m_by_reference = false;
    asio::steady_timer m_wake, m_progress;
    bool m_running = false;      // the executor coroutine has not ended
    bool m_executing = false;    // it runs a batch
    bool m_reader_done = false;  // the session stopped reading: the executor ends
};

}  // namespace emulator::iscsi
