// libFuzzer: the PDUs an iSCSI initiator can send, before and during login,
// and (with bit 2 of the first byte) those a target sends. The input is a
// stream of PDUs as they arrive on a connection: each header is checked
// (check_header; the frame decoder for target PDUs), its payload split and its
// digests verified (fill), each goes through the typed decoder of its opcode,
// login requests drive a LoginNegotiator (with CHAP required for one target),
// and every data segment goes through the text-key parser.
// Invariants: nothing crashes or leaks; typed PDUs and key lists round-trip;
// every login response encodes to a well-formed PDU that passes our own
// header check.
#include <cstddef>
#include <cstdint>
#include <span>

#include "emulator/iscsi/login.h"
#include "emulator/iscsi/pdu.h"
#include "emulator/iscsi/pdu_scsi.h"
#include "emulator/iscsi/pdu_session.h"

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
    std::vector<std::string> target_addresses() const override { return {}; }

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

// A frame of the type's opcode decodes; what it decodes to encodes to a frame
// that decodes to the same value.
template <class T>
void check_typed(const Pdu& p) {
    auto value = T::decode(p);
    if (!value.ok()) return;  // a field the type refuses (SenseLength beyond the data)
    auto wire = encode(value->encode(), true, true);
    auto frame = decode_frame(wire, 1u << 24, true, true);
    if (!frame.ok()) __builtin_trap();
    auto again = T::decode(*frame);
    if (!again.ok() || !(*again == *value)) __builtin_trap();
}

void check_typed_pdu(const Pdu& p) {
    switch (p.opcode()) {
    case opcode::scsi_command: return check_typed<ScsiCommand>(p);
    case opcode::data_out: return check_typed<DataOut>(p);
    case opcode::task_management: return check_typed<TaskManagementRequest>(p);
    case opcode::login_request: return check_typed<LoginRequest>(p);
    case opcode::text_request: return check_typed<TextRequest>(p);
    case opcode::logout_request: return check_typed<LogoutRequest>(p);
    case opcode::nop_out: return check_typed<NopOut>(p);
    case opcode::scsi_response: return check_typed<ScsiResponse>(p);
    case opcode::data_in: return check_typed<DataIn>(p);
    case opcode::r2t: return check_typed<R2t>(p);
    case opcode::task_management_response: return check_typed<TaskManagementResponse>(p);
    case opcode::login_response: return check_typed<LoginResponse>(p);
    case opcode::text_response: return check_typed<TextResponse>(p);
    case opcode::logout_response: return check_typed<LogoutResponse>(p);
    case opcode::nop_in: return check_typed<NopIn>(p);
    case opcode::reject: return check_typed<Reject>(p);
    default: return;
    }
}

// What a target sends: each PDU framed by its header, decoded whole.
void target_stream(std::span<const uint8_t> in, bool header_digest, bool data_digest) {
    while (in.size() >= bhs_length) {
        Framing f;
        f.ahs = uint32_t(in[4]) * 4;
        f.data = uint32_t(in[5]) << 16 | uint32_t(in[6]) << 8 | in[7];
        f.padded_data = (f.data + 3) / 4 * 4;
        f.header_digest = header_digest;
        f.data_digest = data_digest;
        size_t whole = bhs_length + f.rest();
        if (whole > in.size()) break;
        auto frame = decode_frame(in.first(whole), 1u << 24, header_digest, data_digest);
        in = in.subspan(whole);
        if (!frame.ok()) continue;
        check_typed_pdu(*frame);
        check_keys(frame->data);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const FuzzDirectory dir;
    if (size < 1) return 0;
    // The first byte picks the digests in force (as after a login that negotiated them).
    bool header_digest = data[0] & 1, data_digest = data[0] & 2;
    std::span<const uint8_t> in(data + 1, size - 1);
    if (data[0] & 4) {
        target_stream(in, header_digest, data_digest);
        return 0;
    }
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
        check_typed_pdu(p);
        check_keys(p.data);
        if (logging_in && p.opcode() == opcode::login_request) {
            auto request = LoginRequest::decode(p);
            if (!request.ok()) __builtin_trap();
            auto out = login.on_request(*request);
            auto frame = out.response.encode();
            auto wire = encode(frame, false, false);
            if (wire.size() < bhs_length || wire.size() % 4) __builtin_trap();
            if (frame.opcode() != opcode::login_response) __builtin_trap();
            uint32_t dsl = uint32_t(wire[5]) << 16 | uint32_t(wire[6]) << 8 | wire[7];
            if (dsl != out.response.data.size()) __builtin_trap();  // the wire form says how much text follows
            check_keys(out.response.data);
            if (out.state != LoginNegotiator::State::more) logging_in = false;
        }
    }
    return 0;
}
