// A deliberately plain iSCSI initiator for the target's tests: it speaks PDUs
// over a blocking socket, so a test can send exactly what it wants (including
// malformed PDUs) and see exactly what comes back. It builds its PDUs by hand
// from RFC 7143's layouts; only the CRC32C function is shared with the target.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dmtest {

struct RawPdu {
    std::vector<uint8_t> bhs = std::vector<uint8_t>(48, 0);
    std::vector<uint8_t> data;
    uint8_t opcode() const { return bhs[0] & 0x3F; }
    uint8_t flags() const { return bhs[1]; }
    uint32_t u32(size_t off) const {
        return uint32_t(bhs[off]) << 24 | uint32_t(bhs[off + 1]) << 16 | uint32_t(bhs[off + 2]) << 8 | bhs[off + 3];
    }
    void set32(size_t off, uint32_t v) {
        for (int i = 0; i < 4; ++i) bhs[off + size_t(i)] = uint8_t(v >> (24 - 8 * i));
    }
};

struct LoginOptions {
    std::string initiator = "iqn.2026-11.org.discmaster.test:raw";
    std::string target;           // empty: a discovery session
    std::map<std::string, std::string> keys;  // operational keys to offer (stage 1)
    std::optional<std::pair<std::string, std::string>> chap;         // user, secret
    std::optional<std::pair<std::string, std::string>> mutual_chap;  // expected target user, secret
    // The ISID (with InitiatorName: the initiator port). Unset: the host's
    // own, different for every IscsiHost, as an initiator gives each session.
    std::optional<std::array<uint8_t, 6>> isid;
};

struct ScsiResult {
    bool completed = false;       // a SCSI Response (or Data-In with status) arrived
    uint8_t status = 0xFF;
    uint8_t response = 0;
    std::vector<uint8_t> data;    // Data-In, assembled by offset
    std::vector<uint8_t> sense;   // sense data of a CHECK CONDITION
    uint8_t residual_flags = 0;   // 0x04 overflow, 0x02 underflow
    uint32_t residual = 0;
    std::vector<RawPdu> r2ts;     // R2Ts the target sent for this command
    std::vector<RawPdu> other;    // anything else (Reject, NOP-In, ...)
};

class IscsiHost {
public:
    explicit IscsiHost(int port);
    ~IscsiHost();
    IscsiHost(const IscsiHost&) = delete;
    IscsiHost& operator=(const IscsiHost&) = delete;

    bool connected() const { return m_fd >= 0; }
    // Full login; empty string on success, else why it failed. The
    // negotiated keys (the target's answers) are in negotiated().
    std::string login(const LoginOptions& o);
    const std::map<std::string, std::string>& negotiated() const { return m_answers; }
    uint16_t login_status() const { return m_login_status; }

    // Raw traffic.
    bool send_bytes(const std::vector<uint8_t>& bytes);
    bool send(RawPdu p);  // fills ITT-independent framing: lengths, padding, digests
    std::optional<RawPdu> receive(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
    // True if the target closes the connection within the timeout (reading
    // and dropping whatever it still sends).
    bool closed_by_target(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

    // One SCSI command; `out` is sent as immediate data / unsolicited / R2T data
    // as negotiated. `expected` is the EDTL (read: bytes wanted).
    ScsiResult command(const std::vector<uint8_t>& cdb, uint32_t expected, bool read,
                       const std::vector<uint8_t>& out = {});
    std::vector<std::string> send_targets(const std::string& what = "All");
    // The whole answer: TargetName and TargetAddress keys in order.
    std::vector<std::pair<std::string, std::string>> send_targets_keys(const std::string& what = "All");
    bool nop_ping(const std::vector<uint8_t>& payload);
    uint8_t task_management(uint8_t function, uint32_t ref_itt = 0xFFFFFFFF);
    bool logout();

    uint32_t next_itt() { return m_itt++; }
    uint32_t cmd_sn() const { return m_cmd_sn; }
    void set_cmd_sn(uint32_t sn) { m_cmd_sn = sn; }
    uint32_t take_cmd_sn() { return m_cmd_sn++; }
    uint32_t exp_stat_sn() const { return m_exp_stat_sn; }
    void set_digests(bool header, bool data) {
        m_header_digest = header;
        m_data_digest = data;
    }
    uint32_t max_send() const { return m_max_send; }

private:
    bool read_exact(uint8_t* p, size_t n, std::chrono::milliseconds timeout);
    std::optional<RawPdu> login_step(uint8_t csg, uint8_t nsg, bool transit,
                                     const std::vector<std::pair<std::string, std::string>>& keys, std::string& error);
    int m_fd = -1;
    std::array<uint8_t, 6> m_isid;
    uint32_t m_itt = 0x100;
    uint32_t m_cmd_sn = 1;
    uint32_t m_exp_stat_sn = 0;
    uint16_t m_tsih = 0;
    uint16_t m_login_status = 0;
    bool m_header_digest = false, m_data_digest = false;
    bool m_immediate_data = true, m_initial_r2t = true;
    uint32_t m_first_burst = 65536, m_max_burst = 262144, m_max_send = 8192;
    std::map<std::string, std::string> m_answers;
};

std::string to_hex(const std::vector<uint8_t>& b);
std::vector<uint8_t> chap_response(uint8_t id, const std::string& secret, const std::vector<uint8_t>& challenge);

}  // namespace dmtest
