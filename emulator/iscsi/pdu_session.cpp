#include "emulator/iscsi/pdu_session.h"

#include <cstring>

namespace emulator::iscsi {

using namespace mastering::codec;

namespace {

constexpr uint8_t flag_final = 0x80, flag_continue = 0x40;

// Login's byte 1 (RFC 7143 11.12.1 - 11.12.3): T, C, CSG, NSG.
uint8_t stage_flags(bool transit, bool cont, uint8_t csg, uint8_t nsg) {
    return uint8_t((transit ? 0x80 : 0) | (cont ? 0x40 : 0) | (csg & 3) << 2 | (nsg & 3));
}
template <class Login>
void load_stages(const Pdu& p, Login& l) {
    l.transit = p.flags() & 0x80;
    l.cont = p.flags() & 0x40;
    l.csg = (p.flags() >> 2) & 3;
    l.nsg = p.flags() & 3;
}

}  // namespace

// ---- RFC 7143 11.12, 11.13: Login

Pdu LoginRequest::encode() const {
    Pdu p = frame_of(opcode::login_request, true);  // 11.12: always immediate
    p.bhs[1] = stage_flags(transit, cont, csg, nsg);
    p.bhs[2] = version_max;
    p.bhs[3] = version_min;
    std::memcpy(&p.bhs[8], isid.data(), isid.size());
    store_be16(p.field(14), tsih);
    store_be32(p.field(16), itt);
    store_be16(p.field(20), cid);
    store_be32(p.field(24), cmd_sn);
    store_be32(p.field(28), exp_stat_sn);
    p.data = data;
    return p;
}

Result<LoginRequest> LoginRequest::decode(Pdu p) {
    DM_TRY(expect_opcode(p, opcode::login_request));
    LoginRequest l;
    load_stages(p, l);
    l.version_max = p.bhs[2];
    l.version_min = p.bhs[3];
    std::memcpy(l.isid.data(), &p.bhs[8], l.isid.size());
    l.tsih = load_be16(p.field(14));
    l.itt = load_be32(p.field(16));
    l.cid = load_be16(p.field(20));
    l.cmd_sn = load_be32(p.field(24));
    l.exp_stat_sn = load_be32(p.field(28));
    l.data = std::move(p.data);
    return l;
}

Pdu LoginResponse::encode() const {
    Pdu p = frame_of(opcode::login_response);
    p.bhs[1] = stage_flags(transit, cont, csg, nsg);
    p.bhs[2] = version_max;
    p.bhs[3] = version_active;
    std::memcpy(&p.bhs[8], isid.data(), isid.size());
    store_be16(p.field(14), tsih);
    store_be32(p.field(16), itt);
    sn.store(p);
    p.bhs[36] = status_class;
    p.bhs[37] = status_detail;
    p.data = data;
    return p;
}

Result<LoginResponse> LoginResponse::decode(Pdu p) {
    DM_TRY(expect_opcode(p, opcode::login_response));
    LoginResponse l;
    load_stages(p, l);
    l.version_max = p.bhs[2];
    l.version_active = p.bhs[3];
    std::memcpy(l.isid.data(), &p.bhs[8], l.isid.size());
    l.tsih = load_be16(p.field(14));
    l.itt = load_be32(p.field(16));
    l.sn = TargetSn::load(p);
    l.status_class = p.bhs[36];
    l.status_detail = p.bhs[37];
    l.data = std::move(p.data);
    return l;
}

// ---- RFC 7143 11.10, 11.11: Text

Pdu TextRequest::encode() const {
    Pdu p = frame_of(opcode::text_request, immediate);
    p.bhs[1] = uint8_t((final ? flag_final : 0) | (cont ? flag_continue : 0));
    store_be64(p.field(8), lun);
    store_be32(p.field(16), itt);
    store_be32(p.field(20), ttt);
    store_be32(p.field(24), cmd_sn);
    store_be32(p.field(28), exp_stat_sn);
    p.data = data;
    return p;
}

Result<TextRequest> TextRequest::decode(Pdu p) {
    DM_TRY(expect_opcode(p, opcode::text_request));
    TextRequest t;
    t.immediate = p.immediate();
    t.final = p.flags() & flag_final;
    t.cont = p.flags() & flag_continue;
    t.lun = load_be64(p.field(8));
    t.itt = load_be32(p.field(16));
    t.ttt = load_be32(p.field(20));
    t.cmd_sn = load_be32(p.field(24));
    t.exp_stat_sn = load_be32(p.field(28));
    t.data = std::move(p.data);
    return t;
}

Pdu TextResponse::encode() const {
    Pdu p = frame_of(opcode::text_response);
    p.bhs[1] = uint8_t((final ? flag_final : 0) | (cont ? flag_continue : 0));
    store_be64(p.field(8), lun);
    store_be32(p.field(16), itt);
    store_be32(p.field(20), ttt);
    sn.store(p);
    p.data = data;
    return p;
}

Result<TextResponse> TextResponse::decode(Pdu p) {
    DM_TRY(expect_opcode(p, opcode::text_response));
    TextResponse t;
    t.final = p.flags() & flag_final;
    t.cont = p.flags() & flag_continue;
    t.lun = load_be64(p.field(8));
    t.itt = load_be32(p.field(16));
    t.ttt = load_be32(p.field(20));
    t.sn = TargetSn::load(p);
    t.data = std::move(p.data);
    return t;
}

// ---- RFC 7143 11.14, 11.15: Logout

Pdu LogoutRequest::encode() const {
    Pdu p = frame_of(opcode::logout_request, immediate);
    p.bhs[1] = uint8_t(flag_final | (reason & 0x7F));
    store_be32(p.field(16), itt);
    store_be16(p.field(20), cid);
    store_be32(p.field(24), cmd_sn);
    store_be32(p.field(28), exp_stat_sn);
    return p;
}

Result<LogoutRequest> LogoutRequest::decode(Pdu p) {
    DM_TRY(expect_opcode(p, opcode::logout_request));
    LogoutRequest l;
    l.immediate = p.immediate();
    l.reason = p.flags() & 0x7F;
    l.itt = load_be32(p.field(16));
    l.cid = load_be16(p.field(20));
    l.cmd_sn = load_be32(p.field(24));
    l.exp_stat_sn = load_be32(p.field(28));
    return l;
}

Pdu LogoutResponse::encode() const {
    Pdu p = frame_of(opcode::logout_response);
    p.bhs[1] = flag_final;
    p.bhs[2] = response;
    store_be32(p.field(16), itt);
    sn.store(p);
    store_be16(p.field(40), time2wait);
    store_be16(p.field(42), time2retain);
    return p;
}

Result<LogoutResponse> LogoutResponse::decode(Pdu p) {
    DM_TRY(expect_opcode(p, opcode::logout_response));
    LogoutResponse l;
    l.response = p.bhs[2];
    l.itt = load_be32(p.field(16));
    l.sn = TargetSn::load(p);
    l.time2wait = load_be16(p.field(40));
    l.time2retain = load_be16(p.field(42));
    return l;
}

// ---- RFC 7143 11.18, 11.19: NOP

Pdu NopOut::encode() const {
    Pdu p = frame_of(opcode::nop_out, immediate);
    p.bhs[1] = flag_final;
    store_be64(p.field(8), lun);
    store_be32(p.field(16), itt);
    store_be32(p.field(20), ttt);
    store_be32(p.field(24), cmd_sn);
    store_be32(p.field(28), exp_stat_sn);
    p.data = data;
    return p;
}

Result<NopOut> NopOut::decode(Pdu p) {
    DM_TRY(expect_opcode(p, opcode::nop_out));
    NopOut n;
    n.immediate = p.immediate();
    n.lun = load_be64(p.field(8));
    n.itt = load_be32(p.field(16));
    n.ttt = load_be32(p.field(20));
    n.cmd_sn = load_be32(p.field(24));
    n.exp_stat_sn = load_be32(p.field(28));
    n.data = std::move(p.data);
    return n;
}

Pdu NopIn::encode() const {
    Pdu p = frame_of(opcode::nop_in);
    p.bhs[1] = flag_final;
    store_be64(p.field(8), lun);
    store_be32(p.field(16), itt);
    store_be32(p.field(20), ttt);
    sn.store(p);
    p.data = data;
    return p;
}

Result<NopIn> NopIn::decode(Pdu p) {
    DM_TRY(expect_opcode(p, opcode::nop_in));
    NopIn n;
    n.lun = load_be64(p.field(8));
    n.itt = load_be32(p.field(16));
    n.ttt = load_be32(p.field(20));
    n.sn = TargetSn::load(p);
    n.data = std::move(p.data);
    return n;
}

// ---- RFC 7143 11.17: Reject

Pdu Reject::encode() const {
    Pdu p = frame_of(opcode::reject);
    p.bhs[1] = flag_final;
    p.bhs[2] = reason;
    store_be32(p.field(16), reserved_tag);
    sn.store(p);
    store_be32(p.field(36), data_sn);
    p.data = header;
    return p;
}

Result<Reject> Reject::decode(Pdu p) {
    DM_TRY(expect_opcode(p, opcode::reject));
    Reject r;
    r.reason = p.bhs[2];
    r.sn = TargetSn::load(p);
    r.data_sn = load_be32(p.field(36));
    r.header = std::move(p.data);
    return r;
}

}  // namespace emulator::iscsi
