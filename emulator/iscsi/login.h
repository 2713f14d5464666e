// The iSCSI login phase as a pure state machine (RFC 7143 §6, §12, §13):
// security negotiation (AuthMethod None or CHAP with MD5, one-way or mutual),
// operational negotiation of every key, discovery and normal sessions. It
// takes Login Requests and returns Login Responses (pdu_session.h); the
// session only moves them.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "emulator/iscsi/pdu_session.h"
#include "emulator/logical_unit.h"

namespace emulator::iscsi {

struct ChapSecret {
    std::string user, secret;
};

// Who may log in to a target: CHAP secrets checked when the initiator
// authenticates (none: no authentication required), and the target's own
// secret for mutual CHAP.
struct AuthPolicy {
    std::vector<ChapSecret> initiators;
    std::optional<ChapSecret> target;
    bool required() const { return !initiators.empty(); }
};

struct TargetInfo {
    std::string name;                 // iqn.2026-11.org.discmaster:NAME
    std::shared_ptr<LogicalUnit> lu;  // LUN 0
    AuthPolicy auth;                  // empty: the global policy applies
};

// What the login phase needs from the server.
class Directory {
public:
    virtual ~Directory() = default;
    virtual const TargetInfo* find(const std::string& name) const = 0;
    virtual std::vector<std::string> names() const = 0;
    virtual const AuthPolicy& global_auth() const = 0;
    virtual std::string portal() const = 0;  // where it listens: "127.0.0.1:3260,1"
    // The TargetAddress values SendTargets gives with each target (none: the
    // initiator uses the address it discovered through).
    virtual std::vector<std::string> target_addresses() const = 0;
};

// Limits of this target (what it declares and the ceilings it negotiates to).
struct TargetLimits {
    uint32_t max_recv_data_segment = 256 * 1024;
    uint32_t max_burst = 16u << 20;
    uint32_t first_burst = 256 * 1024;
    uint32_t max_outstanding_r2t = 8;
    uint32_t max_commands = 64;  // command window (MaxCmdSN - ExpCmdSN + 1)
};

// The result of negotiation.
struct SessionParams {
    bool discovery = false;
    std::string initiator_name, initiator_alias, target_name;
    bool header_digest = false, data_digest = false;
    bool initial_r2t = true, immediate_data = true;
    uint32_t max_connections = 1;
    uint32_t initiator_max_recv = 8192;  // what we may send in one data segment
    uint32_t target_max_recv = 8192;     // what we accept (declared)
    uint32_t max_burst = 262144, first_burst = 65536;
    uint32_t default_time2wait = 2, default_time2retain = 20;
    uint32_t max_outstanding_r2t = 1;
    bool data_pdu_in_order = true, data_sequence_in_order = true;
    uint32_t error_recovery_level = 0;
    std::string auth_user;  // the CHAP name that logged in, if any
};

// Parsing and writing key=value text (RFC 7143 §6.1).
using KeyList = std::vector<std::pair<std::string, std::string>>;
Result<KeyList> parse_keys(std::span<const uint8_t> text);
std::vector<uint8_t> encode_keys(const KeyList& keys);

class LoginNegotiator {
public:
    LoginNegotiator(const Directory& dir, TargetLimits limits, uint16_t tsih);

    enum class State { more, full_feature, failed };
    struct Outcome {
        LoginResponse response;
        State state;
        std::string reason;  // why it failed, for the log
    };
    Outcome on_request(const LoginRequest& request);
    const SessionParams& params() const { return m_params; }
    const TargetInfo* target() const { return m_target; }
    const Isid& isid() const { return m_isid; }
    uint32_t exp_cmd_sn() const { return m_exp_cmd_sn; }
    uint32_t stat_sn() const { return m_stat_sn; }

private:
    using Chap = std::map<std::string, std::string>;  // the CHAP keys and AuthMethod offers of a request
    Outcome fail(const LoginRequest& req, uint8_t status_class, uint8_t detail, std::string why);
    std::optional<Outcome> check_sequence(const LoginRequest& req);
    std::optional<Outcome> take_keys(const LoginRequest& req, const KeyList& keys, KeyList& reply, Chap& chap);
    std::optional<Outcome> security(const LoginRequest& req, Chap& chap, KeyList& reply);
    LoginResponse response_for(const LoginRequest& req);
    std::optional<std::string> negotiate(const std::string& key, const std::string& value, KeyList& reply,
                                         std::string& error);
    const AuthPolicy& policy() const;

    const Directory& m_dir;
    TargetLimits m_limits;
    uint16_t m_tsih;
    SessionParams m_params;
    const TargetInfo* m_target = nullptr;
    Isid m_isid{};
    bool m_started = false;
    uint8_t m_stage = 0;
    bool m_declared_mrdsl = false;
    bool m_tpgt_sent = false;
    std::vector<uint8_t> m_partial;  // text of a request continued over several PDUs
    enum class Auth { none_yet, chosen_none, chap_chosen, chap_challenged, done } m_auth = Auth::none_yet;
    uint8_t m_chap_id = 0;
    std::vector<uint8_t> m_chap_challenge;
    uint32_t m_exp_cmd_sn = 0;
    uint32_t m_stat_sn = 0;
};

}  // namespace emulator::iscsi
