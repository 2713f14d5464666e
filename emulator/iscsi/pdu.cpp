#include "emulator/iscsi/pdu.h"

#include <cstdio>
#include <cstring>

#include "emulator/iscsi/crc32c.h"

namespace emulator::iscsi {

using mastering::Errc;
using mastering::make_error;

namespace {
void put_le32(uint8_t* p, uint32_t v) {
    p[0] = uint8_t(v);
    p[1] = uint8_t(v >> 8);
    p[2] = uint8_t(v >> 16);
    p[3] = uint8_t(v >> 24);
}
uint32_t get_le32(const uint8_t* p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24; }
}  // namespace

bool is_initiator_opcode(uint8_t op) {
    switch (op) {
    case opcode::nop_out:
    case opcode::scsi_command:
    case opcode::task_management:
    case opcode::login_request:
    case opcode::text_request:
    case opcode::data_out:
    case opcode::logout_request:
    case opcode::snack:
        return true;
    default:
        return false;
    }
}

std::string opcode_name(uint8_t op) {
    switch (op) {
    case opcode::nop_out: return "NOP-Out";
    case opcode::scsi_command: return "SCSI Command";
    case opcode::task_management: return "Task Management Request";
    case opcode::login_request: return "Login Request";
    case opcode::text_request: return "Text Request";
    case opcode::data_out: return "SCSI Data-Out";
    case opcode::logout_request: return "Logout Request";
    case opcode::snack: return "SNACK";
    case opcode::nop_in: return "NOP-In";
    case opcode::scsi_response: return "SCSI Response";
    case opcode::login_response: return "Login Response";
    case opcode::text_response: return "Text Response";
    case opcode::data_in: return "SCSI Data-In";
    case opcode::r2t: return "R2T";
    case opcode::reject: return "Reject";
    }
    char b[16];
    std::snprintf(b, sizeof b, "opcode 0x%02x", op);
    return b;
}

std::vector<uint8_t> encode(const Pdu& p, bool header_digest, bool data_digest) {
    size_t ahs = (p.ahs.size() + 3) / 4 * 4;
    size_t padded = (p.data.size() + 3) / 4 * 4;
    std::vector<uint8_t> out(bhs_length + ahs + (header_digest ? 4 : 0) + padded + (data_digest && !p.data.empty() ? 4 : 0), 0);
    std::memcpy(out.data(), p.bhs.data(), bhs_length);
    out[4] = uint8_t(ahs / 4);
    uint32_t dsl = uint32_t(p.data.size());
    out[5] = uint8_t(dsl >> 16);
    out[6] = uint8_t(dsl >> 8);
    out[7] = uint8_t(dsl);
    if (!p.ahs.empty()) std::memcpy(out.data() + bhs_length, p.ahs.data(), p.ahs.size());
    size_t pos = bhs_length + ahs;
    if (header_digest) {
        put_le32(out.data() + pos, crc32c(out.data(), pos));
        pos += 4;
    }
    if (!p.data.empty()) {
        std::memcpy(out.data() + pos, p.data.data(), p.data.size());
        if (data_digest) put_le32(out.data() + pos + padded, crc32c(out.data() + pos, padded));
    }
    return out;
}

Result<Framing> check_header(std::span<const uint8_t, bhs_length> bhs, uint32_t max_data, bool hd, bool dd) {
    uint8_t op = bhs[0] & 0x3F;
    if (!is_initiator_opcode(op)) return make_error(Errc::corrupt, "unknown or target-only " + opcode_name(op));
    Framing f;
    f.ahs = uint32_t(bhs[4]) * 4;
    f.data = uint32_t(bhs[5]) << 16 | uint32_t(bhs[6]) << 8 | bhs[7];
    f.padded_data = (f.data + 3) / 4 * 4;
    f.header_digest = hd;
    f.data_digest = dd;
    if (f.data > max_data)
        return make_error(Errc::corrupt, opcode_name(op) + " with a " + std::to_string(f.data) +
                                             "-byte data segment (at most " + std::to_string(max_data) + " negotiated)");
    if (f.ahs > 0 && op != opcode::scsi_command)
        return make_error(Errc::corrupt, opcode_name(op) + " with additional header segments");
    return f;
}

Status fill(Pdu& p, const Framing& f, std::span<const uint8_t> header, std::span<const uint8_t> rest) {
    if (rest.size() != f.rest()) return make_error(Errc::internal, "PDU framing mismatch");
    size_t pos = 0;
    p.ahs.assign(rest.begin(), rest.begin() + f.ahs);
    pos += f.ahs;
    if (f.header_digest) {
        uint32_t want = crc32c(header.data(), header.size());
        if (f.ahs) want = crc32c(rest.data(), f.ahs, want);
        if (get_le32(rest.data() + pos) != want) return make_error(Errc::corrupt, "header digest error");
        pos += 4;
    }
    p.data.assign(rest.begin() + long(pos), rest.begin() + long(pos + f.data));
    if (f.data_digest && f.data) {
        uint32_t want = crc32c(rest.data() + pos, f.padded_data);
        if (get_le32(rest.data() + pos + f.padded_data) != want)
            return make_error(Errc::changed, "data digest error");
    }
    return {};
}

}  // namespace emulator::iscsi
