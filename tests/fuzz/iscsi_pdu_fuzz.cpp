// libFuzzer: what an iSCSI initiator can send before and during login. The
// input is a stream of PDUs as they arrive on a connection: each header is
// checked (check_header), its payload split and its digests verified (fill),
// login requests drive a LoginNegotiator (with CHAP required for one target),
// and every data segment goes through the text-key parser.
// Invariants: nothing crashes or leaks; key lists round-trip; every login
// response encodes to a well-formed PDU that passes our own header check.
#include <cstddef>
#include <cstdint>
#include <span>

#include "emulator/iscsi/login.h"
#include "emulator/iscsi/pdu.h"

using namespace emulator::iscsi;

namespace {

class FuzzDirectory final : public Directory {
public:
    FuzzDirectory() {
        m_open.name = "iqn.2026-11.org.discmaster:rom";
        m_locked.name = "iqn.2026-11.org.discmaster:dvd";
        m_locked.auth.initiators.push_back({"alice", "alice-secret-123"});
        m_locked.auth.target = ChapSecret{"drive", "drive-secret-456"};
    }
    const TargetInfo* find(const std::string& name) const override {
        if (name == m_open.name) return &m_open;
        if (name == m_locked.name) return &m_locked;
        return nullptr;
    }
    std::vector<std::string> names() const override { return {m_open.name, m_locked.name}; }
    const AuthPolicy& global_auth() const override { return m_global; }
    std::string portal() const override { return "127.0.0.1:3260,1"; }

private:
    TargetInfo m_open, m_locked;
    AuthPolicy m_global;
};

void check_keys(std::span<const uint8_t> text) {
    auto keys = parse_keys(text);
    if (!keys.ok()) return;
    auto again = parse_keys(encode_keys(*keys));
    if (!again.ok() || *again != *keys) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const FuzzDirectory dir;
    if (size < 1) return 0;
    // The first byte picks the digests in force (as after a login that negotiated them).
    bool header_digest = data[0] & 1, data_digest = data[0] & 2;
    std::span<const uint8_t> in(data + 1, size - 1);
    LoginNegotiator login(dir, TargetLimits{}, 1);
    bool logging_in = true;
    while (in.size() >= bhs_length) {
        auto header = in.first<bhs_length>();
        auto framing = check_header(header, 64 * 1024, header_digest, data_digest);
        if (!framing.ok()) break;  // the connection would be closed here
        if (framing->rest() > in.size() - bhs_length) break;
        Pdu p;
        std::copy(header.begin(), header.end(), p.bhs.begin());
        auto rest = in.subspan(bhs_length, framing->rest());
        in = in.subspan(bhs_length + framing->rest());
        if (!fill(p, *framing, header, rest).ok()) continue;  // digest error: Reject, go on
        if (p.data.size() != framing->data) __builtin_trap();
        check_keys(p.data);
        if (logging_in && p.opcode() == opcode::login_request) {
            auto out = login.on_request(p);
            auto wire = encode(out.response, false, false);
            if (wire.size() < bhs_length || wire.size() % 4) __builtin_trap();
            if (out.response.opcode() != opcode::login_response) __builtin_trap();
            uint32_t dsl = uint32_t(wire[5]) << 16 | uint32_t(wire[6]) << 8 | wire[7];
            if (dsl != out.response.data.size()) __builtin_trap();  // the wire form says how much text follows
            check_keys(out.response.data);
            if (out.state != LoginNegotiator::State::more) logging_in = false;
        }
    }
    return 0;
}
