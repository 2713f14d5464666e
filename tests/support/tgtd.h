// A private tgtd (Debian package tgt) on 127.0.0.1 for tests and benchmarks
// that compare against, or initiate to, a third-party iSCSI target.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "tests/support/support.h"

namespace dmtest {

class Tgtd {
public:
    // Starts tgtd in the foreground on a free port with a private control socket.
    Tgtd();
    ~Tgtd();
    Tgtd(const Tgtd&) = delete;
    Tgtd& operator=(const Tgtd&) = delete;

    bool running() const { return m_process && m_process->started(); }
    const std::string& error() const { return m_error; }
    int port() const { return m_port; }

    // A target `iqn` with LUN 1 of `device_type` ("cd" or "disk") backed by `path`.
    bool add_target(const std::string& iqn, const std::string& path, const std::string& device_type = "cd");
    std::string url(const std::string& iqn, int lun = 1) const;

private:
    bool adm(const std::vector<std::string>& args);
    int m_port = 0;
    int m_control = 0;
    int m_next_tid = 1;
    std::string m_error;
    TempDir m_dir{"tgtd"};
    std::unique_ptr<Process> m_process;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_tcp_port();

}  // namespace dmtest
