// iSCSI PDUs (RFC 7143 §11): the 48-byte basic header segment, additional
// header segments and the data segment, as a plain value with field accessors,
// and the encoder that adds padding and CRC32C digests. Pure and testable
// without a socket; the session reads exact lengths and hands bytes here.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "mastering/codec/result.h"

namespace emulator::iscsi {

using mastering::Result;
using mastering::Status;

namespace opcode {
// Initiator
constexpr uint8_t nop_out = 0x00, scsi_command = 0x01, task_management = 0x02, login_request = 0x03,
                  text_request = 0x04, data_out = 0x05, logout_request = 0x06, snack = 0x10;
// Target
constexpr uint8_t nop_in = 0x20, scsi_response = 0x21, task_management_response = 0x22, login_response = 0x23,
                  text_response = 0x24, data_in = 0x25, logout_response = 0x26, r2t = 0x31, async_message = 0x32,
                  reject = 0x3F;
}  // namespace opcode

namespace reject_reason {
constexpr uint8_t data_digest_error = 0x02, snack_reject = 0x03, protocol_error = 0x04, command_not_supported = 0x05,
                  immediate_command_reject = 0x06, task_in_progress = 0x07, invalid_data_ack = 0x08,
                  invalid_pdu_field = 0x09, long_operation_reject = 0x0A, waiting_for_logout = 0x0C;
}

constexpr size_t bhs_length = 48;
constexpr uint32_t reserved_tag = 0xFFFFFFFF;

struct Pdu {
    std::array<uint8_t, bhs_length> bhs{};
    std::vector<uint8_t> ahs;
    std::vector<uint8_t> data;

    uint8_t opcode() const { return bhs[0] & 0x3F; }
    bool immediate() const { return bhs[0] & 0x40; }
    uint8_t flags() const { return bhs[1]; }
    bool final() const { return bhs[1] & 0x80; }
    uint32_t ahs_length() const { return uint32_t(bhs[4]) * 4; }
    uint32_t data_length() const { return uint32_t(bhs[5]) << 16 | uint32_t(bhs[6]) << 8 | bhs[7]; }
    uint64_t lun() const { return get64(8); }
    uint32_t itt() const { return get32(16); }

    uint32_t get32(size_t off) const {
        return uint32_t(bhs[off]) << 24 | uint32_t(bhs[off + 1]) << 16 | uint32_t(bhs[off + 2]) << 8 | bhs[off + 3];
    }
    uint16_t get16(size_t off) const { return uint16_t(bhs[off] << 8 | bhs[off + 1]); }
    uint64_t get64(size_t off) const { return uint64_t(get32(off)) << 32 | get32(off + 4); }
    void set32(size_t off, uint32_t v) {
        bhs[off] = uint8_t(v >> 24);
        bhs[off + 1] = uint8_t(v >> 16);
        bhs[off + 2] = uint8_t(v >> 8);
        bhs[off + 3] = uint8_t(v);
    }
    void set16(size_t off, uint16_t v) {
        bhs[off] = uint8_t(v >> 8);
        bhs[off + 1] = uint8_t(v);
    }
    void set64(size_t off, uint64_t v) {
        set32(off, uint32_t(v >> 32));
        set32(off + 4, uint32_t(v));
    }
    void set_opcode(uint8_t op, bool immediate = false) { bhs[0] = uint8_t((immediate ? 0x40 : 0) | (op & 0x3F)); }
};

// Wire form: BHS + AHS + [header digest] + data + padding + [data digest].
std::vector<uint8_t> encode(const Pdu& p, bool header_digest, bool data_digest);

// What the reader needs after the 48 BHS bytes arrived: how much more to read.
struct Framing {
    uint32_t ahs = 0, data = 0, padded_data = 0;
    bool header_digest = false, data_digest = false;
    size_t rest() const { return ahs + (header_digest ? 4 : 0) + padded_data + (data_digest && data ? 4 : 0); }
};
// Check a header from the initiator before reading its payload: a known
// opcode, a data segment no larger than `max_data`. Errors name the problem.
Result<Framing> check_header(std::span<const uint8_t, bhs_length> bhs, uint32_t max_data, bool header_digest,
                             bool data_digest);
// Split the bytes after the BHS into AHS and data, checking both digests
// (`header` holds the BHS, for the header digest).
Status fill(Pdu& p, const Framing& f, std::span<const uint8_t> header, std::span<const uint8_t> rest);

bool is_initiator_opcode(uint8_t op);
std::string opcode_name(uint8_t op);

}  // namespace emulator::iscsi
