// One iSCSI session on its one connection (RFC 7143, ErrorRecoveryLevel 0,
// MaxConnections 1): the login (driving login.h's negotiator), then the full
// feature phase: the CmdSN window and StatSN, NOP pings to find a vanished
// initiator, text (SendTargets), task management and logout, with SCSI
// commands going to the task set (task.h) and on to the logical unit
// (dispatch.h). Every coroutine of a session runs on its connection's thread.
#pragma once

#include <memory>
#include <mutex>

#include "emulator/iscsi/command_window.h"
#include "emulator/iscsi/dispatch.h"
#include "emulator/iscsi/nexus_registry.h"
#include "emulator/iscsi/server.h"

namespace emulator::iscsi {

// What a session needs of the server it belongs to.
class SessionHost {
public:
    virtual const Directory& directory() const = 0;
    virtual const ServerOptions& options() const = 0;
    virtual BufferPool& buffers() = 0;
    virtual std::shared_ptr<LuStrand> strand_for(const std::string& target) = 0;
    virtual uint16_t new_tsih() = 0;
    virtual NexusRegistry& nexus_registry() = 0;
    virtual bool stopping_now() const = 0;

protected:
    ~SessionHost() = default;
};

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(SessionHost& host, tcp::socket sock);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    tcp::socket::executor_type executor() { return m_conn->executor(); }
    ConnectionInfo info();
    // Close the connection (from any thread).
    void close();
    // A new login of the same initiator port took over (RFC 7143 6.3.5): the
    // session ends, its tasks with it (from any thread).
    void reinstated();
    // The whole life of the session: login, full feature phase, close.
    awaitable<void> run();

private:
    awaitable<bool> login();
    void logged_in();
    awaitable<void> pinger();
    awaitable<void> full_feature();
    void handle(Pdu p);

    using Header = std::array<uint8_t, bhs_length>;
    void reject(const Header& header, uint8_t reason);
    bool accept_cmd_sn(const Header& header, uint32_t cmd_sn, bool immediate);
    void on_nop_out(Pdu p);
    void on_command(Pdu p);
    void on_data_out(Pdu p);
    void on_task_management(Pdu p);
    void on_text(Pdu p);
    void send_text_part(uint32_t itt);
    KeyList send_targets(const std::string& which) const;
    void on_logout(Pdu p);
    void claim_nexus();
    void release_nexus();
    void log(const std::string& what);

    SessionHost& m_host;
    const ServerOptions& m_o;
    std::shared_ptr<Connection> m_conn;
    SessionParams m_params;
    CommandWindow m_window;
    TagSource m_tags;
    TaskSet m_tasks;
    Dispatcher m_dispatch;
    LunFront m_front;
    bool m_ffp = false;
    Isid m_isid{};
    const TargetInfo* m_target = nullptr;
    NexusId m_nexus = 0;
    NexusRegistry::Port m_port;  // the initiator port and target of m_nexus
    // How the session ended (after the full feature phase began).
    enum class End { open, logged_out, reinstated, closed_by_target } m_end = End::open;
    asio::steady_timer m_ping;
    uint32_t m_ping_ttt = 0;          // the tag of our unanswered NOP-In
    std::vector<uint8_t> m_text_rest;  // what a long Text Response has still to send
    std::mutex m_info_mutex;
    ConnectionInfo m_info;
};

}  // namespace emulator::iscsi
