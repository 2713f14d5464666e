#include "emulator/iscsi/pdu.h"

#include <cstdio>
#include <cstring>

#include "emulator/iscsi/crc32c.h"

namespace emulator::iscsi {

using mastering::Errc;
using mastering::make_error;
namespace codec = mastering::codec;

namespace {

size_t padded(size_t n) { return (n + 3) / 4 * 4; }

// Digests go on the wire little-endian (RFC 7143 13.1: the CRC's bytes in the
// order the CRC32C definition transmits them).
void store_digest(uint8_t* p, uint32_t crc) { codec::store_le32(reinterpret_cast<std::byte*>(p), crc); }
uint32_t load_digest(const uint8_t* p) { return codec::load_le32(reinterpret_cast<const std::byte*>(p)); }

// TotalAHSLength and DataSegmentLength of a header (RFC 7143 11.2.1.3, 11.2.1.4).
Framing framing_of(std::span<const uint8_t, bhs_length> bhs, bool hd, bool dd) {
    Framing f;
    f.ahs = uint32_t(bhs[4]) * 4;
    f.data = codec::load_be24(reinterpret_cast<const std::byte*>(bhs.data() + 5));
    f.padded_data = uint32_t(padded(f.data));
    f.header_digest = hd;
    f.data_digest = dd;
    return f;
}

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
    case opcode::task_management_response: return "Task Management Response";
    case opcode::login_response: return "Login Response";
    case opcode::text_response: return "Text Response";
    case opcode::data_in: return "SCSI Data-In";
    case opcode::logout_response: return "Logout Response";
    case opcode::r2t: return "R2T";
    case opcode::async_message: return "Asynchronous Message";
    case opcode::reject: return "Reject";
    }
    char b[16];
    std::snprintf(b, sizeof b, "opcode 0x%02x", op);
    return b;
}

Pdu frame_of(uint8_t op, bool immediate) {
    Pdu p;
    p.bhs[0] = uint8_t((immediate ? 0x40 : 0) | (op & 0x3F));
    return p;
}

Status expect_opcode(const Pdu& p, uint8_t op) {
    if (p.opcode() != op) return make_error(Errc::corrupt, "a " + opcode_name(p.opcode()) + ", not a " + opcode_name(op));
    return {};
}

void TargetSn::store(Pdu& p) const {
    codec::store_be32(p.field(24), stat_sn);
    codec::store_be32(p.field(28), exp_cmd_sn);
    codec::store_be32(p.field(32), max_cmd_sn);
}

TargetSn TargetSn::load(const Pdu& p) {
    return {codec::load_be32(p.field(24)), codec::load_be32(p.field(28)), codec::load_be32(p.field(32))};
}

// ---- Encoder

size_t header_size(const Pdu& p, bool header_digest) {
    return bhs_length + padded(p.ahs.size()) + (header_digest ? 4 : 0);
}

void encode_header(const Pdu& p, uint32_t data_length, bool header_digest, std::span<uint8_t> out) {
    size_t ahs = padded(p.ahs.size());
    std::memcpy(out.data(), p.bhs.data(), bhs_length);
    out[4] = uint8_t(ahs / 4);
    codec::store_be24(reinterpret_cast<std::byte*>(out.data() + 5), data_length);
    if (ahs) {
        std::memcpy(out.data() + bhs_length, p.ahs.data(), p.ahs.size());
        std::memset(out.data() + bhs_length + p.ahs.size(), 0, ahs - p.ahs.size());
    }
    if (header_digest) store_digest(out.data() + bhs_length + ahs, crc32c(out.data(), bhs_length + ahs));
}

DataTail encode_data_tail(size_t length, const uint8_t* digest_over) {
    DataTail t;
    if (!length) return t;
    size_t pad = padded(length) - length;
    t.size = pad;
    if (digest_over) {
        uint32_t c = crc32c(digest_over, length);
        if (pad) c = crc32c(t.bytes.data(), pad, c);  // the padding's zeros
        store_digest(t.bytes.data() + pad, c);
        t.size += 4;
    }
    return t;
}

std::vector<uint8_t> encode(const Pdu& p, bool header_digest, bool data_digest) {
    size_t head = header_size(p, header_digest);
    DataTail tail = encode_data_tail(p.data.size(), data_digest ? p.data.data() : nullptr);
    std::vector<uint8_t> out(head + p.data.size() + tail.size);
    encode_header(p, uint32_t(p.data.size()), header_digest, std::span(out).first(head));
    if (!p.data.empty()) std::memcpy(out.data() + head, p.data.data(), p.data.size());
    std::memcpy(out.data() + head + p.data.size(), tail.bytes.data(), tail.size);
    return out;
}

// ---- Decoder

Result<Framing> check_header(std::span<const uint8_t, bhs_length> bhs, uint32_t max_data, bool hd, bool dd) {
    uint8_t op = bhs[0] & 0x3F;
    if (!is_initiator_opcode(op)) return make_error(Errc::corrupt, "unknown or target-only " + opcode_name(op));
    Framing f = framing_of(bhs, hd, dd);
    if (f.data > max_data)
        return make_error(Errc::corrupt, opcode_name(op) + " with a " + std::to_string(f.data) +
                                             "-byte data segment (at most " + std::to_string(max_data) + " negotiated)");
    if (f.ahs > 0 && op != opcode::scsi_command)
        return make_error(Errc::corrupt, opcode_name(op) + " with additional header segments");
    return f;
}

Status check_header_digest(std::span<const uint8_t> bhs, std::span<const uint8_t> ahs, std::span<const uint8_t, 4> digest) {
    uint32_t want = crc32c(bhs.data(), bhs.size());
    if (!ahs.empty()) want = crc32c(ahs.data(), ahs.size(), want);
    if (load_digest(digest.data()) != want) return make_error(Errc::corrupt, "header digest error");
    return {};
}

Status check_data_digest(std::span<const uint8_t> data, std::span<const uint8_t> tail) {
    size_t pad = padded(data.size()) - data.size();
    if (tail.size() != pad + 4) return make_error(Errc::internal, "data digest framing mismatch");
    uint32_t want = crc32c(tail.data(), pad, crc32c(data.data(), data.size()));
    if (load_digest(tail.data() + pad) != want) return make_error(Errc::changed, "data digest error");
    return {};
}

Status fill(Pdu& p, const Framing& f, std::span<const uint8_t> header, std::span<const uint8_t> rest) {
    if (rest.size() != f.rest()) return make_error(Errc::internal, "PDU framing mismatch");
    size_t pos = f.ahs;
    p.ahs.assign(rest.begin(), rest.begin() + f.ahs);
    if (f.header_digest) {
        DM_TRY(check_header_digest(header, rest.first(f.ahs), rest.subspan(pos).first<4>()));
        pos += 4;
    }
    p.data.assign(rest.begin() + long(pos), rest.begin() + long(pos + f.data));
    if (f.data_digest && f.data)
        DM_TRY(check_data_digest(rest.subspan(pos, f.data), rest.subspan(pos + f.data, f.padded_data - f.data + 4)));
    return {};
}

Result<Pdu> decode_frame(std::span<const uint8_t> wire, uint32_t max_data, bool hd, bool dd) {
    if (wire.size() < bhs_length)
        return make_error(Errc::corrupt, "a PDU of " + std::to_string(wire.size()) + " bytes: shorter than its header");
    auto header = wire.first<bhs_length>();
    Framing f = framing_of(header, hd, dd);
    if (f.data > max_data)
        return make_error(Errc::corrupt, "a " + std::to_string(f.data) + "-byte data segment (at most " +
                                             std::to_string(max_data) + ")");
    if (f.rest() != wire.size() - bhs_length)
        return make_error(Errc::corrupt, "the header announces " + std::to_string(f.rest()) + " bytes after it, " +
                                             std::to_string(wire.size() - bhs_length) + " follow");
    Pdu p;
    std::memcpy(p.bhs.data(), header.data(), bhs_length);
    DM_TRY(fill(p, f, header, wire.subspan(bhs_length)));
    return p;
}

}  // namespace emulator::iscsi
