#include "emulator/iscsi/login.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace emulator::iscsi {

using mastering::Errc;
using mastering::make_error;

Result<KeyList> parse_keys(std::span<const uint8_t> text) {
    KeyList out;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = pos;
        while (end < text.size() && text[end] != 0) ++end;
        std::string item(reinterpret_cast<const char*>(text.data() + pos), end - pos);
        pos = end + 1;
        if (item.empty()) continue;  // padding / stray NULs
        size_t eq = item.find('=');
        if (eq == std::string::npos || eq == 0) return make_error(Errc::corrupt, "text key without '=': \"" + item.substr(0, 64) + "\"");
        std::string key = item.substr(0, eq);
        if (key.size() > 63) return make_error(Errc::corrupt, "text key longer than 63 bytes");
        for (char c : key)
            if (!(std::isalnum(uint8_t(c)) || c == '.' || c == '-' || c == '+' || c == '@' || c == '_'))
                return make_error(Errc::corrupt, "invalid character in text key \"" + key + "\"");
        if (item.size() - eq - 1 > 8192) return make_error(Errc::corrupt, "text value of " + key + " is too long");
        out.emplace_back(key, item.substr(eq + 1));
        if (out.size() > 512) return make_error(Errc::corrupt, "too many text keys");
    }
    return out;
}

std::vector<uint8_t> encode_keys(const KeyList& keys) {
    std::vector<uint8_t> out;
    for (const auto& [k, v] : keys) {
        out.insert(out.end(), k.begin(), k.end());
        out.push_back('=');
        out.insert(out.end(), v.begin(), v.end());
        out.push_back(0);
    }
    return out;
}

namespace {

std::optional<uint64_t> number(const std::string& v) {
    if (v.empty() || v.size() > 20) return std::nullopt;
    char* end = nullptr;
    errno = 0;
    unsigned long long n = (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) ? std::strtoull(v.c_str() + 2, &end, 16)
                                                                                         : std::strtoull(v.c_str(), &end, 10);
    if (errno || *end != '\0') return std::nullopt;
    return n;
}

std::vector<std::string> split(const std::string& v) {
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos <= v.size()) {
        size_t c = v.find(',', pos);
        out.push_back(v.substr(pos, c == std::string::npos ? std::string::npos : c - pos));
        pos = c == std::string::npos ? v.size() + 1 : c + 1;
    }
    return out;
}

std::string to_hex(std::span<const uint8_t> b) {
    std::string s = "0x";
    char h[3];
    for (uint8_t v : b) {
        std::snprintf(h, sizeof h, "%02x", v);
        s += h;
    }
    return s;
}

std::optional<std::vector<uint8_t>> from_hex(const std::string& v) {
    if (v.size() < 3 || v[0] != '0' || (v[1] != 'x' && v[1] != 'X')) return std::nullopt;
    std::string h = v.substr(2);
    if (h.size() % 2) h = "0" + h;
    std::vector<uint8_t> out;
    for (size_t i = 0; i < h.size(); i += 2) {
        char* end = nullptr;
        std::string byte = h.substr(i, 2);
        unsigned long x = std::strtoul(byte.c_str(), &end, 16);
        if (*end) return std::nullopt;
        out.push_back(uint8_t(x));
    }
    return out;
}

std::vector<uint8_t> chap_md5(uint8_t id, const std::string& secret, std::span<const uint8_t> challenge) {
    std::vector<uint8_t> out(16);
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_md5(), nullptr);
    EVP_DigestUpdate(md, &id, 1);
    EVP_DigestUpdate(md, secret.data(), secret.size());
    EVP_DigestUpdate(md, challenge.data(), challenge.size());
    unsigned len = 0;
    EVP_DigestFinal_ex(md, out.data(), &len);
    EVP_MD_CTX_free(md);
    return out;
}

bool yes_no(const std::string& v, bool& out) {
    if (v == "Yes") out = true;
    else if (v == "No") out = false;
    else return false;
    return true;
}

}  // namespace

LoginNegotiator::LoginNegotiator(const Directory& dir, TargetLimits limits, uint16_t tsih)
    : m_dir(dir), m_limits(limits), m_tsih(tsih) {
    m_params.target_max_recv = limits.max_recv_data_segment;
    uint32_t r = 0;
    RAND_bytes(reinterpret_cast<unsigned char*>(&r), sizeof r);
    m_stat_sn = r & 0xFFFF;
}

const AuthPolicy& LoginNegotiator::policy() const {
    if (m_target && (m_target->auth.required() || m_target->auth.target)) return m_target->auth;
    return m_dir.global_auth();
}

LoginResponse LoginNegotiator::response_for(const LoginRequest& req) {
    LoginResponse r;
    r.csg = req.csg;  // the stage as asked
    r.isid = req.isid;
    r.itt = req.itt;
    r.sn = {m_stat_sn++, m_exp_cmd_sn, m_exp_cmd_sn + m_limits.max_commands - 1};
    return r;
}

LoginNegotiator::Outcome LoginNegotiator::fail(const LoginRequest& req, uint8_t cls, uint8_t detail, std::string why) {
    LoginResponse r = response_for(req);
    r.csg = 0;
    r.status_class = cls;
    r.status_detail = detail;
    return {r, State::failed, std::move(why)};
}

std::optional<std::string> LoginNegotiator::negotiate(const std::string& key, const std::string& v, KeyList& reply,
                                                      std::string& error) {
    auto& p = m_params;
    auto num_min = [&](uint32_t& field, uint64_t lo, uint64_t hi, uint32_t ours) -> std::optional<std::string> {
        auto n = number(v);
        if (!n || *n < lo || *n > hi) return "Reject";
        field = uint32_t(std::min<uint64_t>(*n, ours));
        return std::to_string(field);
    };
    if (key == "HeaderDigest" || key == "DataDigest") {
        for (const auto& opt : split(v)) {
            if (opt == "CRC32C" || opt == "None") {
                (key == "HeaderDigest" ? p.header_digest : p.data_digest) = opt == "CRC32C";
                return opt;
            }
        }
        return "Reject";
    }
    if (key == "MaxConnections") return num_min(p.max_connections, 1, 65535, 1);
    if (key == "InitialR2T") {
        bool b;
        if (!yes_no(v, b)) return "Reject";
        p.initial_r2t = b;  // OR with ours (No)
        return b ? "Yes" : "No";
    }
    if (key == "ImmediateData") {
        bool b;
        if (!yes_no(v, b)) return "Reject";
        p.immediate_data = b;  // AND with ours (Yes)
        return b ? "Yes" : "No";
    }
    if (key == "MaxRecvDataSegmentLength") {
        auto n = number(v);
        if (!n || *n < 512 || *n > 16777215) return "Reject";
        p.initiator_max_recv = uint32_t(*n);
        if (!m_declared_mrdsl) {
            m_declared_mrdsl = true;
            reply.emplace_back("MaxRecvDataSegmentLength", std::to_string(p.target_max_recv));
        }
        return std::nullopt;  // declarative: no answer to this key itself
    }
    if (key == "MaxBurstLength") {
        auto r = num_min(p.max_burst, 512, 16777215, m_limits.max_burst);
        if (p.first_burst > p.max_burst) p.first_burst = p.max_burst;
        return r;
    }
    if (key == "FirstBurstLength") {
        auto r = num_min(p.first_burst, 512, 16777215, std::min(m_limits.first_burst, p.max_burst));
        return r;
    }
    if (key == "DefaultTime2Wait") {
        auto n = number(v);
        if (!n || *n > 3600) return "Reject";
        p.default_time2wait = uint32_t(std::max<uint64_t>(*n, 2));
        return std::to_string(p.default_time2wait);
    }
    if (key == "DefaultTime2Retain") return num_min(p.default_time2retain, 0, 3600, 0);
    if (key == "MaxOutstandingR2T") return num_min(p.max_outstanding_r2t, 1, 65535, m_limits.max_outstanding_r2t);
    if (key == "DataPDUInOrder" || key == "DataSequenceInOrder") {
        bool b;
        if (!yes_no(v, b)) return "Reject";
        // OR with ours (Yes): always Yes.
        (key == "DataPDUInOrder" ? p.data_pdu_in_order : p.data_sequence_in_order) = true;
        return "Yes";
    }
    if (key == "ErrorRecoveryLevel") return num_min(p.error_recovery_level, 0, 2, 0);
    if (key == "IFMarker" || key == "OFMarker") return "No";  // RFC 3720 markers: not supported
    if (key == "IFMarkInt" || key == "OFMarkInt") return "Irrelevant";
    if (key == "InitiatorAlias") {
        p.initiator_alias = v;
        return std::nullopt;
    }
    if (key == "MaxOutstandingUnexpectedPDUs" || key == "TaskReporting" || key == "iSCSIProtocolLevel")
        return key == "iSCSIProtocolLevel" ? std::optional<std::string>("1") : std::optional<std::string>("NotUnderstood");
    if (key.rfind("X-", 0) == 0 || key.rfind("X#", 0) == 0) return "NotUnderstood";
    (void)error;
    return "NotUnderstood";
}

// RFC 7143 6.2, 11.12: the request fits the login's sequence of stages.
std::optional<LoginNegotiator::Outcome> LoginNegotiator::check_sequence(const LoginRequest& req) {
    uint8_t csg = req.csg, nsg = req.nsg;
    bool transit = req.transit;
    if (transit && req.cont) return fail(req, 0x02, 0x00, "Login Request with both T and C set");
    if (req.version_min != 0x00) return fail(req, 0x02, 0x05, "unsupported iSCSI version (only version 0)");
    if (csg == 2 || (transit && (nsg == 2 || nsg < csg || (csg == 0 && nsg == 0)))) return fail(req, 0x02, 0x00, "invalid login stage");
    if (!m_started) {
        m_started = true;
        m_isid = req.isid;
        m_exp_cmd_sn = req.cmd_sn;
        if (req.tsih != 0) return fail(req, 0x02, 0x0A, "adding a connection to an existing session is not supported");
        m_stage = csg;
    } else if (m_isid != req.isid) {
        return fail(req, 0x02, 0x00, "the ISID changed during login");
    }
    if (csg != m_stage) return fail(req, 0x02, 0x00, "login stage out of sequence");
    return std::nullopt;
}

// The keys of a complete request: names, session type and the offers of the
// security stage are taken here, operational keys negotiated into `reply`.
std::optional<LoginNegotiator::Outcome> LoginNegotiator::take_keys(const LoginRequest& req, const KeyList& keys,
                                                                   KeyList& reply, Chap& chap) {
    std::string error;
    for (const auto& [k, v] : keys) {
        if (k == "InitiatorName") m_params.initiator_name = v;
        else if (k == "TargetName") {
            m_params.target_name = v;
            m_target = m_dir.find(v);
        } else if (k == "SessionType") {
            if (v != "Discovery" && v != "Normal") return fail(req, 0x02, 0x00, "unknown SessionType " + v);
            m_params.discovery = v == "Discovery";
        } else if (k == "AuthMethod") {
            if (req.csg != 0) return fail(req, 0x02, 0x00, "AuthMethod outside the security stage");
            auto offers = split(v);
            bool chap_offered = std::find(offers.begin(), offers.end(), "CHAP") != offers.end();
            bool none_offered = std::find(offers.begin(), offers.end(), "None") != offers.end();
            // Decided below, once TargetName is known.
            m_auth = Auth::none_yet;
            chap["AuthMethod:chap"] = chap_offered ? "1" : "";
            chap["AuthMethod:none"] = none_offered ? "1" : "";
        } else if (k.rfind("CHAP_", 0) == 0) {
            chap[k] = v;
        } else if (k == "TargetAlias" || k == "TargetAddress" || k == "TargetPortalGroupTag") {
            return fail(req, 0x02, 0x00, k + " may not be sent by an initiator");
        } else {
            if (auto ans = negotiate(k, v, reply, error)) reply.emplace_back(k, *ans);
        }
    }
    if (m_params.initiator_name.empty()) return fail(req, 0x02, 0x07, "InitiatorName is missing");
    if (!m_params.discovery) {
        if (m_params.target_name.empty()) return fail(req, 0x02, 0x07, "TargetName is missing");
        if (!m_target) return fail(req, 0x02, 0x03, "no target named " + m_params.target_name);
    }
    return std::nullopt;
}

// The security stage (RFC 7143 6.3.1, 12.1.3): AuthMethod and the CHAP exchange.
std::optional<LoginNegotiator::Outcome> LoginNegotiator::security(const LoginRequest& req, Chap& chap, KeyList& reply) {
    const AuthPolicy& pol = policy();
    if (chap.count("AuthMethod:chap") || chap.count("AuthMethod:none")) {
        bool c = !chap["AuthMethod:chap"].empty(), n = !chap["AuthMethod:none"].empty();
        if (pol.required()) {
            if (!c) return fail(req, 0x02, 0x01, "CHAP is required and the initiator did not offer it");
            m_auth = Auth::chap_chosen;
            reply.emplace_back("AuthMethod", "CHAP");
        } else if (n) {
            m_auth = Auth::chosen_none;
            reply.emplace_back("AuthMethod", "None");
        } else {
            return fail(req, 0x02, 0x01, "no CHAP secret configured and AuthMethod None not offered");
        }
    }
    if (chap.count("CHAP_A")) {
        if (m_auth != Auth::chap_chosen) return fail(req, 0x02, 0x00, "CHAP_A before AuthMethod=CHAP");
        auto algos = split(chap["CHAP_A"]);
        if (std::find(algos.begin(), algos.end(), "5") == algos.end())
            return fail(req, 0x02, 0x01, "CHAP without MD5 (algorithm 5)");
        RAND_bytes(&m_chap_id, 1);
        m_chap_challenge.resize(16);
        RAND_bytes(m_chap_challenge.data(), int(m_chap_challenge.size()));
        reply.emplace_back("CHAP_A", "5");
        reply.emplace_back("CHAP_I", std::to_string(m_chap_id));
        reply.emplace_back("CHAP_C", to_hex(m_chap_challenge));
        m_auth = Auth::chap_challenged;
    } else if (chap.count("CHAP_N") || chap.count("CHAP_R")) {
        if (m_auth != Auth::chap_challenged) return fail(req, 0x02, 0x00, "CHAP response before the challenge");
        auto resp = from_hex(chap["CHAP_R"]);
        const ChapSecret* who = nullptr;
        for (const auto& s : pol.initiators)
            if (s.user == chap["CHAP_N"]) who = &s;
        if (!who || !resp || *resp != chap_md5(m_chap_id, who->secret, m_chap_challenge))
            return fail(req, 0x02, 0x01, "CHAP authentication failed for \"" + chap["CHAP_N"] + "\"");
        m_params.auth_user = who->user;
        if (chap.count("CHAP_I") || chap.count("CHAP_C")) {  // mutual: the initiator challenges us
            auto id = number(chap["CHAP_I"]);
            auto ch = from_hex(chap["CHAP_C"]);
            if (!id || *id > 255 || !ch || ch->empty()) return fail(req, 0x02, 0x01, "malformed mutual CHAP challenge");
            if (*ch == m_chap_challenge) return fail(req, 0x02, 0x01, "mutual CHAP reflected our own challenge");
            if (!pol.target) return fail(req, 0x02, 0x01, "mutual CHAP asked but no target secret is configured");
            reply.emplace_back("CHAP_N", pol.target->user);
            reply.emplace_back("CHAP_R", to_hex(chap_md5(uint8_t(*id), pol.target->secret, *ch)));
        }
        m_auth = Auth::done;
    }
    return std::nullopt;
}

LoginNegotiator::Outcome LoginNegotiator::on_request(const LoginRequest& req) {
    if (auto failed = check_sequence(req)) return *failed;
    m_partial.insert(m_partial.end(), req.data.begin(), req.data.end());
    if (m_partial.size() > 65536) return fail(req, 0x02, 0x00, "login text too long");
    if (req.cont) return {response_for(req), State::more, ""};  // more text follows: acknowledge
    auto keys = parse_keys(m_partial);
    m_partial.clear();
    if (!keys.ok()) return fail(req, 0x02, 0x00, keys.error().message);

    KeyList reply;
    Chap chap;
    if (auto failed = take_keys(req, *keys, reply, chap)) return *failed;
    const AuthPolicy& pol = policy();
    uint8_t csg = req.csg, nsg = req.nsg;
    if (csg == stage::security) {
        if (auto failed = security(req, chap, reply)) return *failed;
    } else if (m_stage == 1 && pol.required() && m_auth != Auth::done) {
        return fail(req, 0x02, 0x01, "CHAP is required: the security stage was skipped");
    }

    LoginResponse r = response_for(req);
    bool may_transit = req.transit;
    if (csg == 0 && m_auth != Auth::done && m_auth != Auth::chosen_none) {
        if (pol.required() || m_auth != Auth::none_yet) may_transit = false;  // authentication not finished
        else m_auth = Auth::chosen_none;  // no AuthMethod offered and none required
    }
    if (!m_params.discovery && !m_tpgt_sent) {
        reply.emplace_back("TargetPortalGroupTag", "1");
        m_tpgt_sent = true;
    }
    if (csg == 1 && !m_declared_mrdsl) {
        reply.emplace_back("MaxRecvDataSegmentLength", std::to_string(m_params.target_max_recv));
        m_declared_mrdsl = true;
    }
    r.data = encode_keys(reply);
    if (may_transit) {
        r.transit = true;
        r.nsg = nsg;
        m_stage = nsg;
        if (nsg == stage::full_feature) {
            r.tsih = m_tsih;
            return {r, State::full_feature, ""};
        }
    }
    return {r, State::more, ""};
}

}  // namespace emulator::iscsi
