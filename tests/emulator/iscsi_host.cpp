#include "tests/emulator/iscsi_host.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>

#include "emulator/iscsi/crc32c.h"

namespace dmtest {

namespace {

void put_le32(std::vector<uint8_t>& v, uint32_t x) {
    for (int i = 0; i < 4; ++i) v.push_back(uint8_t(x >> (8 * i)));
}

std::vector<uint8_t> key_text(const std::vector<std::pair<std::string, std::string>>& keys) {
    std::vector<uint8_t> out;
    for (const auto& [k, v] : keys) {
        std::string kv = k + "=" + v;
        out.insert(out.end(), kv.begin(), kv.end());
        out.push_back(0);
    }
    return out;
}

std::map<std::string, std::string> parse_text(const std::vector<uint8_t>& data) {
    std::map<std::string, std::string> out;
    std::string cur;
    for (uint8_t c : data) {
        if (c == 0) {
            auto eq = cur.find('=');
            if (eq != std::string::npos) out[cur.substr(0, eq)] = cur.substr(eq + 1);
            cur.clear();
        } else {
            cur.push_back(char(c));
        }
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> parse_text_list(const std::vector<uint8_t>& data) {
    std::vector<std::pair<std::string, std::string>> out;
    std::string cur;
    for (uint8_t c : data) {
        if (c == 0) {
            auto eq = cur.find('=');
            if (eq != std::string::npos) out.emplace_back(cur.substr(0, eq), cur.substr(eq + 1));
            cur.clear();
        } else {
            cur.push_back(char(c));
        }
    }
    return out;
}

std::optional<std::vector<uint8_t>> from_hex(const std::string& s) {
    if (s.size() < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || s.size() % 2) return std::nullopt;
    std::vector<uint8_t> out;
    for (size_t i = 2; i < s.size(); i += 2) out.push_back(uint8_t(std::stoul(s.substr(i, 2), nullptr, 16)));
    return out;
}

}  // namespace

std::string to_hex(const std::vector<uint8_t>& b) {
    static const char* d = "0123456789abcdef";
    std::string s = "0x";
    for (uint8_t c : b) {
        s.push_back(d[c >> 4]);
        s.push_back(d[c & 15]);
    }
    return s;
}

std::vector<uint8_t> chap_response(uint8_t id, const std::string& secret, const std::vector<uint8_t>& challenge) {
    std::vector<uint8_t> out(16);
    unsigned len = 0;
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_md5(), nullptr);
    EVP_DigestUpdate(md, &id, 1);
    EVP_DigestUpdate(md, secret.data(), secret.size());
    EVP_DigestUpdate(md, challenge.data(), challenge.size());
    EVP_DigestFinal_ex(md, out.data(), &len);
    EVP_MD_CTX_free(md);
    return out;
}

IscsiHost::IscsiHost(int port) {
    static std::atomic<uint16_t> sessions{1};
    uint16_t n = sessions++;
    m_isid = {0x80, 0x12, 0x34, 0x56, uint8_t(n >> 8), uint8_t(n)};
    m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(m_fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(m_fd);
        m_fd = -1;
        return;
    }
    int one = 1;
    ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

IscsiHost::~IscsiHost() {
    if (m_fd >= 0) ::close(m_fd);
}

bool IscsiHost::send_bytes(const std::vector<uint8_t>& bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
        ssize_t n = ::send(m_fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
        if (n <= 0) return false;
        off += size_t(n);
    }
    return true;
}

bool IscsiHost::send(RawPdu p) {
    uint32_t dsl = uint32_t(p.data.size());
    p.bhs[4] = 0;
    p.bhs[5] = uint8_t(dsl >> 16);
    p.bhs[6] = uint8_t(dsl >> 8);
    p.bhs[7] = uint8_t(dsl);
    std::vector<uint8_t> out = p.bhs;
    if (m_header_digest) put_le32(out, emulator::iscsi::crc32c(p.bhs.data(), 48));
    if (dsl) {
        std::vector<uint8_t> padded = p.data;
        padded.resize((dsl + 3) / 4 * 4, 0);
        out.insert(out.end(), padded.begin(), padded.end());
        if (m_data_digest) put_le32(out, emulator::iscsi::crc32c(padded.data(), padded.size()));
    }
    return send_bytes(out);
}

bool IscsiHost::read_exact(uint8_t* p, size_t n, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    size_t got = 0;
    while (got < n) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd pf{m_fd, POLLIN, 0};
        if (::poll(&pf, 1, int(left.count())) <= 0) return false;
        ssize_t r = ::recv(m_fd, p + got, n - got, 0);
        if (r <= 0) return false;
        got += size_t(r);
    }
    return true;
}

std::optional<RawPdu> IscsiHost::receive(std::chrono::milliseconds timeout) {
    if (m_fd < 0) return std::nullopt;
    RawPdu p;
    if (!read_exact(p.bhs.data(), 48, timeout)) return std::nullopt;
    uint32_t ahs = uint32_t(p.bhs[4]) * 4;
    uint32_t dsl = uint32_t(p.bhs[5]) << 16 | uint32_t(p.bhs[6]) << 8 | p.bhs[7];
    std::vector<uint8_t> ahs_bytes(ahs);
    if (ahs && !read_exact(ahs_bytes.data(), ahs, timeout)) return std::nullopt;
    if (m_header_digest) {
        uint8_t d[4];
        if (!read_exact(d, 4, timeout)) return std::nullopt;
        uint32_t want = emulator::iscsi::crc32c(p.bhs.data(), 48);
        if (ahs) want = emulator::iscsi::crc32c(ahs_bytes.data(), ahs, want);
        uint32_t got = uint32_t(d[0]) | uint32_t(d[1]) << 8 | uint32_t(d[2]) << 16 | uint32_t(d[3]) << 24;
        if (got != want) return std::nullopt;  // a bad header digest from the target: treat as broken
    }
    if (dsl) {
        std::vector<uint8_t> padded((dsl + 3) / 4 * 4);
        if (!read_exact(padded.data(), padded.size(), timeout)) return std::nullopt;
        if (m_data_digest) {
            uint8_t d[4];
            if (!read_exact(d, 4, timeout)) return std::nullopt;
            uint32_t got = uint32_t(d[0]) | uint32_t(d[1]) << 8 | uint32_t(d[2]) << 16 | uint32_t(d[3]) << 24;
            if (got != emulator::iscsi::crc32c(padded.data(), padded.size())) return std::nullopt;
        }
        padded.resize(dsl);
        p.data = std::move(padded);
    }
    if (p.opcode() != 0x23) {
        uint32_t sn = p.u32(24);
        if (p.opcode() == 0x21 || p.opcode() == 0x22 || p.opcode() == 0x24 || p.opcode() == 0x26 ||
            (p.opcode() == 0x25 && (p.flags() & 0x01)) || (p.opcode() == 0x20 && p.u32(16) != 0xFFFFFFFF) ||
            p.opcode() == 0x3F)
            m_exp_stat_sn = sn + 1;
    }
    return p;
}

bool IscsiHost::closed_by_target(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    uint8_t buf[4096];
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd pf{m_fd, POLLIN, 0};
        if (::poll(&pf, 1, int(left.count())) <= 0) return false;
        ssize_t r = ::recv(m_fd, buf, sizeof buf, 0);
        if (r <= 0) return true;
    }
}

std::optional<RawPdu> IscsiHost::login_step(uint8_t csg, uint8_t nsg, bool transit,
                                            const std::vector<std::pair<std::string, std::string>>& keys,
                                            std::string& error) {
    RawPdu p;
    p.bhs[0] = 0x40 | 0x03;
    p.bhs[1] = uint8_t((transit ? 0x80 : 0) | (csg << 2) | (transit ? nsg : 0));
    std::memcpy(&p.bhs[8], m_isid.data(), 6);
    p.set32(16, m_itt);
    p.set32(24, m_cmd_sn);
    p.set32(28, m_exp_stat_sn);
    p.data = key_text(keys);
    bool hd = m_header_digest, dd = m_data_digest;
    m_header_digest = m_data_digest = false;  // login PDUs carry no digests
    bool sent = send(p);
    auto r = sent ? receive() : std::nullopt;
    m_header_digest = hd;
    m_data_digest = dd;
    if (!r) {
        error = "no Login Response";
        return std::nullopt;
    }
    if (r->opcode() != 0x23) {
        error = "answer is not a Login Response";
        return std::nullopt;
    }
    m_login_status = uint16_t(r->bhs[36] << 8 | r->bhs[37]);
    m_exp_stat_sn = r->u32(24) + 1;
    if (m_login_status != 0) {
        char b[64];
        std::snprintf(b, sizeof b, "login refused: status %02x%02x", r->bhs[36], r->bhs[37]);
        error = b;
        return std::nullopt;
    }
    for (const auto& [k, v] : parse_text(r->data)) m_answers[k] = v;
    return r;
}

std::string IscsiHost::login(const LoginOptions& o) {
    if (m_fd < 0) return "not connected";
    if (o.isid) m_isid = *o.isid;
    std::string error;
    std::vector<std::pair<std::string, std::string>> sec = {{"InitiatorName", o.initiator}};
    if (o.target.empty()) sec.emplace_back("SessionType", "Discovery");
    else {
        sec.emplace_back("SessionType", "Normal");
        sec.emplace_back("TargetName", o.target);
    }
    sec.emplace_back("AuthMethod", o.chap ? "CHAP" : "None");
    auto r = login_step(0, 1, !o.chap, sec, error);
    if (!r) return error;
    if (o.chap) {
        if (m_answers["AuthMethod"] != "CHAP") return "target did not choose CHAP";
        r = login_step(0, 1, false, {{"CHAP_A", "5"}}, error);
        if (!r) return error;
        auto id = uint8_t(std::stoul(m_answers["CHAP_I"]));
        auto challenge = from_hex(m_answers["CHAP_C"]);
        if (!challenge) return "malformed CHAP_C";
        std::vector<std::pair<std::string, std::string>> keys = {
            {"CHAP_N", o.chap->first}, {"CHAP_R", to_hex(chap_response(id, o.chap->second, *challenge))}};
        std::vector<uint8_t> mine = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6};
        uint8_t my_id = 77;
        if (o.mutual_chap) {
            keys.emplace_back("CHAP_I", std::to_string(my_id));
            keys.emplace_back("CHAP_C", to_hex(mine));
        }
        m_answers.erase("CHAP_N");
        m_answers.erase("CHAP_R");
        r = login_step(0, 1, true, keys, error);
        if (!r) return error;
        if (o.mutual_chap) {
            if (m_answers["CHAP_N"] != o.mutual_chap->first) return "mutual CHAP: wrong target name";
            if (m_answers["CHAP_R"] != to_hex(chap_response(my_id, o.mutual_chap->second, mine)))
                return "mutual CHAP: the target's response is wrong";
        }
    }
    if (!(r->flags() & 0x80) || ((r->flags() >> 0) & 3) != 1) {
        // The target did not move to the operational stage yet: ask again.
        r = login_step(0, 1, true, {}, error);
        if (!r) return error;
    }
    std::vector<std::pair<std::string, std::string>> op;
    for (const auto& [k, v] : o.keys) op.emplace_back(k, v);
    if (!o.keys.count("MaxRecvDataSegmentLength")) op.emplace_back("MaxRecvDataSegmentLength", "262144");
    r = login_step(1, 3, true, op, error);
    if (!r) return error;
    while (!(r->flags() & 0x80)) {  // the target wants another round
        r = login_step(1, 3, true, {}, error);
        if (!r) return error;
    }
    m_tsih = uint16_t(r->bhs[14] << 8 | r->bhs[15]);
    m_header_digest = m_answers["HeaderDigest"] == "CRC32C";
    m_data_digest = m_answers["DataDigest"] == "CRC32C";
    m_immediate_data = m_answers.count("ImmediateData") ? m_answers["ImmediateData"] == "Yes" : true;
    m_initial_r2t = m_answers.count("InitialR2T") ? m_answers["InitialR2T"] == "Yes" : true;
    auto number = [&](const char* key, uint32_t& field) {
        auto it = m_answers.find(key);
        if (it != m_answers.end() && !it->second.empty() &&
            it->second.find_first_not_of("0123456789") == std::string::npos)
            field = uint32_t(std::stoul(it->second));
    };
    number("FirstBurstLength", m_first_burst);
    number("MaxBurstLength", m_max_burst);
    number("MaxRecvDataSegmentLength", m_max_send);
    ++m_itt;
    return "";
}

ScsiResult IscsiHost::command(const std::vector<uint8_t>& cdb, uint32_t expected, bool read,
                              const std::vector<uint8_t>& out) {
    ScsiResult res;
    RawPdu c;
    uint32_t itt = next_itt();
    bool write = !read && expected > 0;
    c.bhs[0] = 0x01;
    c.bhs[1] = uint8_t(0x01 | (read ? 0x40 : 0) | (write ? 0x20 : 0));
    c.set32(16, itt);
    c.set32(20, expected);
    c.set32(24, take_cmd_sn());
    c.set32(28, m_exp_stat_sn);
    std::memcpy(&c.bhs[32], cdb.data(), std::min<size_t>(16, cdb.size()));
    uint32_t sent = 0;
    if (write && m_immediate_data) {
        uint32_t imm = std::min({uint32_t(out.size()), m_first_burst, m_max_send});
        c.data.assign(out.begin(), out.begin() + imm);
        sent = imm;
    }
    uint32_t unsolicited = write && !m_initial_r2t ? std::min<uint32_t>(m_first_burst, uint32_t(out.size())) : sent;
    if (sent >= unsolicited || !write) c.bhs[1] |= 0x80;  // F: no unsolicited Data-Out follows
    if (!send(c)) return res;
    auto data_out = [&](uint32_t ttt, uint32_t off, uint32_t len) {
        uint32_t sn = 0;
        for (uint32_t pos = off; pos < off + len;) {
            uint32_t n = std::min(m_max_send, off + len - pos);
            RawPdu d;
            d.bhs[0] = 0x05;
            d.bhs[1] = pos + n == off + len ? 0x80 : 0;
            d.set32(16, itt);
            d.set32(20, ttt);
            d.set32(28, m_exp_stat_sn);
            d.set32(36, sn++);
            d.set32(40, pos);
            d.data.assign(out.begin() + pos, out.begin() + pos + n);
            if (!send(d)) return false;
            pos += n;
        }
        return true;
    };
    if (unsolicited > sent && !data_out(0xFFFFFFFF, sent, unsolicited - sent)) return res;
    if (read) res.data.resize(expected);
    size_t got = 0;
    for (;;) {
        auto p = receive();
        if (!p) return res;
        uint8_t op = p->opcode();
        if (op == 0x31 && p->u32(16) == itt) {  // R2T
            res.r2ts.push_back(*p);
            if (!data_out(p->u32(20), p->u32(40), p->u32(44))) return res;
        } else if (op == 0x25 && p->u32(16) == itt) {  // Data-In
            uint32_t off = p->u32(40);
            if (off + p->data.size() <= res.data.size())
                std::memcpy(res.data.data() + off, p->data.data(), p->data.size());
            got = std::max<size_t>(got, off + p->data.size());
            if (p->flags() & 0x01) {
                res.completed = true;
                res.status = p->bhs[3];
                res.residual_flags = p->flags() & 0x06;
                res.residual = p->u32(44);
                break;
            }
        } else if (op == 0x21 && p->u32(16) == itt) {  // SCSI Response
            res.completed = true;
            res.response = p->bhs[2];
            res.status = p->bhs[3];
            res.residual_flags = p->flags() & 0x06;
            res.residual = p->u32(44);
            if (p->data.size() >= 2) {
                size_t sl = size_t(p->data[0] << 8 | p->data[1]);
                res.sense.assign(p->data.begin() + 2, p->data.begin() + 2 + long(std::min(sl, p->data.size() - 2)));
            }
            break;
        } else {
            res.other.push_back(*p);
            if (op == 0x3F) break;  // Reject: the command will not complete
        }
    }
    if (read) res.data.resize(got);
    return res;
}

std::vector<std::string> IscsiHost::send_targets(const std::string& what) {
    std::vector<std::string> names;
    for (const auto& [k, v] : send_targets_keys(what))
        if (k == "TargetName") names.push_back(v);
    return names;
}

std::vector<std::pair<std::string, std::string>> IscsiHost::send_targets_keys(const std::string& what) {
    std::vector<uint8_t> text;
    uint32_t itt = next_itt(), ttt = 0xFFFFFFFF;
    std::vector<uint8_t> keys = key_text({{"SendTargets", what}});
    for (int round = 0; round < 1000; ++round) {
        RawPdu t;
        t.bhs[0] = 0x04;
        t.bhs[1] = 0x80;
        t.set32(16, itt);
        t.set32(20, ttt);
        t.set32(24, take_cmd_sn());
        t.set32(28, m_exp_stat_sn);
        if (round == 0) t.data = keys;
        if (!send(t)) break;
        auto r = receive();
        if (!r || r->opcode() != 0x24) break;
        text.insert(text.end(), r->data.begin(), r->data.end());
        if (!(r->flags() & 0x40)) break;  // not continued
        ttt = r->u32(20);
    }
    return parse_text_list(text);
}

bool IscsiHost::nop_ping(const std::vector<uint8_t>& payload) {
    RawPdu n;
    n.bhs[0] = 0x40;
    n.bhs[1] = 0x80;
    uint32_t itt = next_itt();
    n.set32(16, itt);
    n.set32(20, 0xFFFFFFFF);
    n.set32(24, m_cmd_sn);
    n.set32(28, m_exp_stat_sn);
    n.data = payload;
    if (!send(n)) return false;
    for (;;) {
        auto r = receive();
        if (!r) return false;
        if (r->opcode() == 0x20 && r->u32(16) == itt) return r->data == payload;
    }
}

uint8_t IscsiHost::task_management(uint8_t function, uint32_t ref_itt) {
    RawPdu t;
    t.bhs[0] = 0x40 | 0x02;
    t.bhs[1] = uint8_t(0x80 | function);
    uint32_t itt = next_itt();
    t.set32(16, itt);
    t.set32(20, ref_itt);
    t.set32(24, m_cmd_sn);
    t.set32(28, m_exp_stat_sn);
    t.set32(32, m_cmd_sn - 1);
    if (!send(t)) return 0xFF;
    for (;;) {
        auto r = receive();
        if (!r) return 0xFF;
        if (r->opcode() == 0x22 && r->u32(16) == itt) return r->bhs[2];
    }
}

bool IscsiHost::logout() {
    RawPdu l;
    l.bhs[0] = 0x40 | 0x06;
    l.bhs[1] = 0x80;
    l.set32(16, next_itt());
    l.set32(24, m_cmd_sn);
    l.set32(28, m_exp_stat_sn);
    if (!send(l)) return false;
    for (;;) {
        auto r = receive();
        if (!r) return false;
        if (r->opcode() == 0x26) return r->bhs[2] == 0 && closed_by_target();
    }
}

}  // namespace dmtest
