// A master-drive serve process for tests and benchmarks: virtual recorders on
// a free port of 127.0.0.1 with a control socket, stopped with SIGTERM.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tests/support/support.h"

namespace dmtest {

class MasterDrive {
public:
    // `drives` as --drive takes them (NAME=PROFILE:PATH, NAME=PATH, NAME=);
    // `extra` are more serve arguments (--chap ..., --config ...).
    explicit MasterDrive(const std::vector<std::string>& drives, const std::vector<std::string>& extra = {});
    ~MasterDrive();
    MasterDrive(const MasterDrive&) = delete;
    MasterDrive& operator=(const MasterDrive&) = delete;

    bool running() const { return m_port > 0; }
    const std::string& error() const { return m_error; }
    int port() const { return m_port; }
    std::string portal() const { return "127.0.0.1:" + std::to_string(m_port); }
    // iscsi://127.0.0.1:PORT/iqn.2026-11.org.discmaster:NAME/0, with CHAP credentials if given.
    std::string url(const std::string& drive, const std::string& user = "", const std::string& secret = "") const;
    std::string control() const { return (m_dir / "control.sock").string(); }
    // master-drive ctl --control SOCKET args...
    RunResult ctl(const std::vector<std::string>& args) const;
    // SIGTERM (or `sig`), then the exit status.
    int stop(int sig = 15);
    std::string log() const { return m_process ? m_process->log() : std::string(); }
    int pid() const { return m_process ? m_process->pid() : -1; }

private:
    TempDir m_dir{"master-drive"};
    std::unique_ptr<Process> m_process;
    int m_port = 0;
    std::string m_error;
};

}  // namespace dmtest
