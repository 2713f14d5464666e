// The iSCSI PDU frame (RFC 7143 11.2): the 48-byte Basic Header Segment,
// additional header segments and the data segment, and the one encoder and
// decoder of the wire form around them (padding, TotalAHSLength,
// DataSegmentLength, CRC32C header and data digests, RFC 7143 11.2.1 and
// 13.1). The typed PDUs (pdu_scsi.h, pdu_session.h) fill a frame's BHS fields
// and data; only the frame encoder writes the lengths and the digests. Pure
// and testable without a socket: the connection reads exact lengths and hands
// the bytes here.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "mastering/codec/bytes.h"
#include "mastering/codec/result.h"

namespace emulator::iscsi {

using mastering::Result;
using mastering::Status;

// RFC 7143 11.2.1.2: the opcodes.
namespace opcode {
// Initiator
constexpr uint8_t nop_out = 0x00, scsi_command = 0x01, task_management = 0x02, login_request = 0x03,
                  text_request = 0x04, data_out = 0x05, logout_request = 0x06, snack = 0x10;
// Target
constexpr uint8_t nop_in = 0x20, scsi_response = 0x21, task_management_response = 0x22, login_response = 0x23,
                  text_response = 0x24, data_in = 0x25, logout_response = 0x26, r2t = 0x31, async_message = 0x32,
                  reject = 0x3F;
}  // namespace opcode

// RFC 7143 11.17.1: why a PDU was rejected.
namespace reject_reason {
constexpr uint8_t data_digest_error = 0x02, snack_reject = 0x03, protocol_error = 0x04, command_not_supported = 0x05,
                  immediate_command_reject = 0x06, task_in_progress = 0x07, invalid_data_ack = 0x08,
                  invalid_pdu_field = 0x09, long_operation_reject = 0x0A, waiting_for_logout = 0x0C;
}

constexpr size_t bhs_length = 48;
constexpr uint32_t reserved_tag = 0xFFFFFFFF;  // RFC 7143 11.2.1.8 / 11.2.1.9: "no tag"

// One PDU as it travels: its BHS bytes, its AHS and its data segment (without
// padding). Bytes 4-7 of `bhs` (TotalAHSLength, DataSegmentLength) are the
// frame's: the encoder writes them from `ahs` and `data` (or the external data
// length it is given), the decoder fills them from the wire.
struct Pdu {
    std::array<uint8_t, bhs_length> bhs{};
    std::vector<uint8_t> ahs;
    std::vector<uint8_t> data;

    // RFC 7143 11.2.1: the fields every PDU has at the same place.
    uint8_t opcode() const { return bhs[0] & 0x3F; }
    bool immediate() const { return bhs[0] & 0x40; }
    uint8_t flags() const { return bhs[1]; }
    uint32_t ahs_length() const { return uint32_t(bhs[4]) * 4; }
    uint32_t data_length() const { return mastering::codec::load_be24(field(5)); }
    uint32_t itt() const { return mastering::codec::load_be32(field(16)); }

    // The BHS bytes from `offset`, for the typed PDUs' field accessors.
    std::byte* field(size_t offset) { return reinterpret_cast<std::byte*>(bhs.data() + offset); }
    const std::byte* field(size_t offset) const { return reinterpret_cast<const std::byte*>(bhs.data() + offset); }
};

// ---- What the typed PDUs share.

// A frame of opcode `op`, with the I bit (RFC 7143 11.2.1.1) when `immediate`.
Pdu frame_of(uint8_t op, bool immediate = false);
// A typed decoder's first check: the frame carries opcode `op`.
Status expect_opcode(const Pdu& p, uint8_t op);

// StatSN, ExpCmdSN and MaxCmdSN, at bytes 24-35 of every target PDU that
// carries them (RFC 7143 11.4.3, 11.4.4, and the same place in 11.5 - 11.19).
struct TargetSn {
    uint32_t stat_sn = 0, exp_cmd_sn = 0, max_cmd_sn = 0;
    void store(Pdu& p) const;
    static TargetSn load(const Pdu& p);
    bool operator==(const TargetSn&) const = default;
};

// ---- The frame encoder: the only writer of TotalAHSLength, DataSegmentLength,
// padding and digests.

// How many bytes the header part takes: BHS + AHS (padded) + header digest.
size_t header_size(const Pdu& p, bool header_digest);
// Writes the header part of `p` into `out` (header_size() bytes) for a data
// segment of `data_length` bytes that is sent from wherever it lies.
void encode_header(const Pdu& p, uint32_t data_length, bool header_digest, std::span<uint8_t> out);

// What follows a data segment of `length` bytes: zero padding to a multiple of
// four and, if `digest_over` is given, the data digest over those bytes and
// the padding. Nothing follows an empty data segment.
struct DataTail {
    std::array<uint8_t, 7> bytes{};
    size_t size = 0;
};
DataTail encode_data_tail(size_t length, const uint8_t* digest_over);

// The whole wire form: header part, data, padding, data digest.
std::vector<uint8_t> encode(const Pdu& p, bool header_digest, bool data_digest);

// ---- The frame decoder.

// What the reader needs after the 48 BHS bytes arrived: how much more to read.
struct Framing {
    uint32_t ahs = 0, data = 0, padded_data = 0;
    bool header_digest = false, data_digest = false;
    size_t rest() const { return ahs + (header_digest ? 4 : 0) + padded_data + (data_digest && data ? 4 : 0); }
};
// Check a header from the initiator before reading its payload: a known
// opcode, a data segment no larger than `max_data`, additional header
// segments only on a SCSI Command. Errors name the problem.
Result<Framing> check_header(std::span<const uint8_t, bhs_length> bhs, uint32_t max_data, bool header_digest,
                             bool data_digest);
// Split the bytes after the BHS into AHS and data, checking both digests
// (`header` holds the BHS, for the header digest).
Status fill(Pdu& p, const Framing& f, std::span<const uint8_t> header, std::span<const uint8_t> rest);
// The header digest that follows the BHS and the AHS.
Status check_header_digest(std::span<const uint8_t> bhs, std::span<const uint8_t> ahs, std::span<const uint8_t, 4> digest);
// The data digest over `data` and its padding (`tail`: padding then the digest).
Status check_data_digest(std::span<const uint8_t> data, std::span<const uint8_t> tail);
// One whole PDU of either side in `wire` (exactly its bytes): a full header,
// the lengths it announces present (a data segment of at most `max_data`),
// both digests right. The opcode is not judged here.
Result<Pdu> decode_frame(std::span<const uint8_t> wire, uint32_t max_data, bool header_digest, bool data_digest);

bool is_initiator_opcode(uint8_t op);
std::string opcode_name(uint8_t op);

}  // namespace emulator::iscsi
