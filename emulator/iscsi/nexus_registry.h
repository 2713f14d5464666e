// The I_T nexuses of a target (SAM-5's I_T nexus: an initiator port and a
// target port; in iSCSI the initiator port is named by InitiatorName + ISID):
// one per initiator port and target, each with a NexusId of its own
// for as long as it exists. A logical unit keeps unit attentions and
// reservations per nexus, so a nexus outlives the session that opened it
// when the session ends without a Logout:
// - a new login by the same initiator port (what an initiator does after a
//   connection failure, TSIH 0) resumes the nexus: the unit does not see a
//   new nexus and raises no power-on/reset unit attention (6/29/00), and a
//   session of that port still alive is ended (session reinstatement, RFC
//   7143 6.3.5);
// - a Logout closes the nexus at once (an I_T nexus loss: a prevention of
//   medium removal made through it ends, as SPC-4's PREVENT ALLOW MEDIUM
//   REMOVAL requires), and so does a nexus no login resumed within the
//   retention time.
// Plain and thread-safe: sessions on any I/O thread claim and release.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "emulator/iscsi/pdu_session.h"
#include "emulator/logical_unit.h"

namespace emulator::iscsi {

class NexusRegistry {
public:
    using Clock = std::chrono::steady_clock;
    explicit NexusRegistry(std::chrono::milliseconds retention) : m_retention(retention) {}

    struct Port {
        std::string target, initiator;
        Isid isid{};
        auto operator<=>(const Port&) const = default;
    };
    struct Claim {
        NexusId id = 0;
        bool resumed = false;              // the unit knew the nexus: no nexus_opened
        std::function<void()> end_previous;  // ends the session that held it (reinstatement)
    };
    // A session of `port` reached the full feature phase. `owner` names it and
    // `end_owner` ends it should a later login of the same port reinstate it.
    Claim claim(const Port& port, const void* owner, std::function<void()> end_owner,
                const std::shared_ptr<LogicalUnit>& unit);
    // The session `owner` ended: with `close_now` (a Logout, the server
    // stopping) the nexus closes; otherwise it is kept for the retention time.
    // Nothing happens when another session has claimed the port since.
    void release(const Port& port, const void* owner, bool close_now);
    // Closes the nexuses kept past the retention time; returns their ports.
    std::vector<Port> expire(Clock::time_point now = Clock::now());
    // Closes every nexus no session holds (the server stops).
    void close_all();
    std::chrono::milliseconds retention() const { return m_retention; }

private:
    struct Entry {
        NexusId id = 0;
        std::shared_ptr<LogicalUnit> unit;  // set while the unit knows the nexus
        const void* owner = nullptr;
        std::function<void()> end_owner;
        Clock::time_point kept_until{};
    };
    void close(Entry& e);

    std::chrono::milliseconds m_retention;
    std::mutex m_mutex;
    std::map<Port, Entry> m_entries;
    NexusId m_next_id = 1;
};

}  // namespace emulator::iscsi
