#include "emulator/iscsi/pdu_scsi.h"

#include <algorithm>
#include <cstring>

namespace emulator::iscsi {

using mastering::Errc;
using mastering::make_error;
using namespace mastering::codec;

namespace {

constexpr uint8_t flag_final = 0x80;
constexpr size_t cdb_in_bhs = 16;         // RFC 7143 11.3.5: bytes 32-47
constexpr uint8_t ahs_extended_cdb = 1;   // RFC 7143 11.2.2: AHSType

uint8_t residual_flags(const Residual& r) { return uint8_t((r.overflow ? 0x04 : 0) | (r.underflow ? 0x02 : 0)); }
Residual residual_of(const Pdu& p) { return {bool(p.flags() & 0x04), bool(p.flags() & 0x02), load_be32(p.field(44))}; }

}  // namespace

// ---- RFC 7143 11.3: SCSI Command

Pdu ScsiCommand::encode() const {
    Pdu p = frame_of(opcode::scsi_command, immediate);
    p.bhs[1] = uint8_t((final ? flag_final : 0) | (read ? 0x40 : 0) | (write ? 0x20 : 0) | (attributes & 0x07));
    store_be64(p.field(8), lun);
    store_be32(p.field(16), itt);
    store_be32(p.field(20), expected_length);
    store_be32(p.field(24), cmd_sn);
    store_be32(p.field(28), exp_stat_sn);
    std::memcpy(&p.bhs[32], cdb.data(), std::min(cdb.size(), cdb_in_bhs));
    if (cdb.size() > cdb_in_bhs) {  // 11.2.2.3: AHSLength counts the reserved byte and the CDB's rest
        size_t rest = cdb.size() - cdb_in_bhs;
        p.ahs.assign(4 + rest, 0);
        store_be16(reinterpret_cast<std::byte*>(p.ahs.data()), uint16_t(rest + 1));
        p.ahs[2] = ahs_extended_cdb;
        std::memcpy(p.ahs.data() + 4, cdb.data() + cdb_in_bhs, rest);
    }
    p.data = data;
    return p;
}

Result<ScsiCommand> ScsiCommand::decode(Pdu p) {
    DM_TRY(expect_opcode(p, opcode::scsi_command));
    ScsiCommand c;
    c.immediate = p.immediate();
    c.final = p.flags() & flag_final;
    c.read = p.flags() & 0x40;
    c.write = p.flags() & 0x20;
    c.attributes = p.flags() & 0x07;
    c.lun = load_be64(p.field(8));
    c.itt = load_be32(p.field(16));
    c.expected_length = load_be32(p.field(20));
    c.cmd_sn = load_be32(p.field(24));
    c.exp_stat_sn = load_be32(p.field(28));
    c.cdb.assign(p.bhs.begin() + 32, p.bhs.end());
    if (p.ahs.size() >= 4 && p.ahs[2] == ahs_extended_cdb) {
        // The CDB's rest, as far as the AHS holds it (AHSLength 0: all of it).
        size_t length = load_be16(reinterpret_cast<const std::byte*>(p.ahs.data()));
        size_t rest = std::min(length ? length - 1 : p.ahs.size(), p.ahs.size() - 4);
        c.cdb.insert(c.cdb.end(), p.ahs.begin() + 4, p.ahs.begin() + 4 + long(rest));
    }
    c.data = std::move(p.data);
    return c;
}

// ---- RFC 7143 11.4: SCSI Response

Pdu ScsiResponse::encode() const {
    Pdu p = frame_of(opcode::scsi_response);
    p.bhs[1] = uint8_t(flag_final | (bidi_overflow ? 0x10 : 0) | (bidi_underflow ? 0x08 : 0) | residual_flags(residual));
    p.bhs[2] = response;
    p.bhs[3] = status;
    store_be32(p.field(16), itt);
    store_be32(p.field(20), snack_tag);
    sn.store(p);
    store_be32(p.field(36), exp_data_sn);
    store_be32(p.field(40), bidi_residual);
    store_be32(p.field(44), residual.count);
    if (!sense.empty()) {  // 11.4.7.2: SenseLength, then the sense data
        p.data.resize(2 + sense.size());
        store_be16(reinterpret_cast<std::byte*>(p.data.data()), uint16_t(sense.size()));
        std::memcpy(p.data.data() + 2, sense.data(), sense.size());
    }
    return p;
}

Result<ScsiResponse> ScsiResponse::decode(Pdu p) {
    DM_TRY(expect_opcode(p, opcode::scsi_response));
    ScsiResponse r;
    r.bidi_overflow = p.flags() & 0x10;
    r.bidi_underflow = p.flags() & 0x08;
    r.residual = residual_of(p);
    r.response = p.bhs[2];
    r.status = p.bhs[3];
    r.itt = load_be32(p.field(16));
    r.snack_tag = load_be32(p.field(20));
    r.sn = TargetSn::load(p);
    r.exp_data_sn = load_be32(p.field(36));
    r.bidi_residual = load_be32(p.field(40));
    if (!p.data.empty()) {
        if (p.data.size() < 2) return make_error(Errc::corrupt, "SCSI Response: a 1-byte data segment has no SenseLength");
        size_t length = load_be16(reinterpret_cast<const std::byte*>(p.data.data()));
        if (2 + length > p.data.size())
            return make_error(Errc::corrupt, "SCSI Response: SenseLength " + std::to_string(length) +
                                                 " beyond its data segment of " + std::to_string(p.data.size()));
        r.sense.assign(p.data.begin() + 2, p.data.begin() + 2 + long(length));
    }
    return r;
}

// ---- RFC 7143 11.7: SCSI Data-Out and Data-In

Pdu DataOut::encode() const {
    Pdu p = frame_of(opcode::data_out);
    p.bhs[1] = final ? flag_final : 0;
    store_be64(p.field(8), lun);
    store_be32(p.field(16), itt);
    store_be32(p.field(20), ttt);
    store_be32(p.field(28), exp_stat_sn);
    store_be32(p.field(36), data_sn);
    store_be32(p.field(40), buffer_offset);
    p.data = data;
    return p;
}

Result<DataOut> DataOut::decode(Pdu p) {
    DM_TRY(expect_opcode(p, opcode::data_out));
    DataOut d;
    d.final = p.flags() & flag_final;
    d.lun = load_be64(p.field(8));
    d.itt = load_be32(p.field(16));
    d.ttt = load_be32(p.field(20));
    d.exp_stat_sn = load_be32(p.field(28));
    d.data_sn = load_be32(p.field(36));
    d.buffer_offset = load_be32(p.field(40));
    d.data = std::move(p.data);
    return d;
}

Pdu DataIn::encode() const {
    Pdu p = frame_of(opcode::data_in);
    p.bhs[1] = uint8_t((final ? flag_final : 0) | (acknowledge ? 0x40 : 0) | residual_flags(residual) | (has_status ? 0x01 : 0));
    p.bhs[3] = status;
    store_be64(p.field(8), lun);
    store_be32(p.field(16), itt);
    store_be32(p.field(20), ttt);
    sn.store(p);
    store_be32(p.field(36), data_sn);
    store_be32(p.field(40), buffer_offset);
    store_be32(p.field(44), residual.count);
    p.data = data;
    return p;
}

Result<DataIn> DataIn::decode(Pdu p) {
    DM_TRY(expect_opcode(p, opcode::data_in));
    DataIn d;
    d.final = p.flags() & flag_final;
    d.acknowledge = p.flags() & 0x40;
    d.has_status = p.flags() & 0x01;
    d.residual = residual_of(p);
    d.status = p.bhs[3];
    d.lun = load_be64(p.field(8));
    d.itt = load_be32(p.field(16));
    d.ttt = load_be32(p.field(20));
    d.sn = TargetSn::load(p);
    d.data_sn = load_be32(p.field(36));
    d.buffer_offset = load_be32(p.field(40));
    d.data = std::move(p.data);
    return d;
}

// ---- RFC 7143 11.8: R2T

Pdu R2t::encode() const {
    Pdu p = frame_of(opcode::r2t);
    p.bhs[1] = flag_final;
    store_be64(p.field(8), lun);
    store_be32(p.field(16), itt);
    store_be32(p.field(20), ttt);
    sn.store(p);
    store_be32(p.field(36), r2t_sn);
    store_be32(p.field(40), buffer_offset);
    store_be32(p.field(44), desired_length);
    return p;
}

Result<R2t> R2t::decode(Pdu p) {
    DM_TRY(expect_opcode(p, opcode::r2t));
    R2t r;
    r.lun = load_be64(p.field(8));
    r.itt = load_be32(p.field(16));
    r.ttt = load_be32(p.field(20));
    r.sn = TargetSn::load(p);
    r.r2t_sn = load_be32(p.field(36));
    r.buffer_offset = load_be32(p.field(40));
    r.desired_length = load_be32(p.field(44));
    return r;
}

// ---- RFC 7143 11.5, 11.6: Task Management

Pdu TaskManagementRequest::encode() const {
    Pdu p = frame_of(opcode::task_management, immediate);
    p.bhs[1] = uint8_t(flag_final | (function & 0x7F));
    store_be64(p.field(8), lun);
    store_be32(p.field(16), itt);
    store_be32(p.field(20), referenced_task_tag);
    store_be32(p.field(24), cmd_sn);
    store_be32(p.field(28), exp_stat_sn);
    store_be32(p.field(32), ref_cmd_sn);
    store_be32(p.field(36), exp_data_sn);
    return p;
}

Result<TaskManagementRequest> TaskManagementRequest::decode(Pdu p) {
    DM_TRY(expect_opcode(p, opcode::task_management));
    TaskManagementRequest t;
    t.immediate = p.immediate();
    t.function = p.flags() & 0x7F;
    t.lun = load_be64(p.field(8));
    t.itt = load_be32(p.field(16));
    t.referenced_task_tag = load_be32(p.field(20));
    t.cmd_sn = load_be32(p.field(24));
    t.exp_stat_sn = load_be32(p.field(28));
    t.ref_cmd_sn = load_be32(p.field(32));
    t.exp_data_sn = load_be32(p.field(36));
    return t;
}

Pdu TaskManagementResponse::encode() const {
    Pdu p = frame_of(opcode::task_management_response);
    p.bhs[1] = flag_final;
    p.bhs[2] = response;
    store_be32(p.field(16), itt);
    sn.store(p);
    return p;
}

Result<TaskManagementResponse> TaskManagementResponse::decode(Pdu p) {
    DM_TRY(expect_opcode(p, opcode::task_management_response));
    TaskManagementResponse t;
    t.response = p.bhs[2];
    t.itt = load_be32(p.field(16));
    t.sn = TargetSn::load(p);
    return t;
}

}  // namespace emulator::iscsi
