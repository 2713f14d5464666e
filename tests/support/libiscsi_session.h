// A logged-in libiscsi session for tests and benchmarks: login by URL
// (iscsi://host:port/IQN/LUN), past the unit attentions a new I_T nexus
// sees; logout and cleanup on destruction.
#pragma once

#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>

#include <string>

namespace dmtest {

class LibiscsiSession {
public:
    struct Options {
        std::string initiator = "iqn.2026-11.org.discmaster.test:initiator";
        iscsi_header_digest header_digest = ISCSI_HEADER_DIGEST_NONE_CRC32C;
    };
    explicit LibiscsiSession(const std::string& url) : LibiscsiSession(url, Options{}) {}
    LibiscsiSession(const std::string& url, const Options& options);
    ~LibiscsiSession();
    LibiscsiSession(const LibiscsiSession&) = delete;
    LibiscsiSession& operator=(const LibiscsiSession&) = delete;

    explicit operator bool() const { return m_logged_in; }
    iscsi_context* ctx() const { return m_ctx; }
    int lun() const { return m_lun; }
    const std::string& error() const { return m_error; }
    // The target went away: close without a logout (libiscsi would retry it forever).
    void abandon() { m_logged_in = false; }

private:
    iscsi_context* m_ctx = nullptr;
    int m_lun = 0;
    bool m_logged_in = false;
    std::string m_error;
};

// iscsi://127.0.0.1:PORT/IQN/LUN
std::string local_iscsi_url(int port, const std::string& iqn, int lun = 0);

}  // namespace dmtest
