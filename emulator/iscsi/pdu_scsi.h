// The PDUs of SCSI work as typed values (RFC 7143 11.3 - 11.8): commands and
// their responses, the data that flows each way, R2T, and task management.
// Each has one `encode` into a frame (pdu.h, which adds lengths and digests)
// and one `decode` from one; byte offsets below are RFC 7143's, in the BHS.
#pragma once

#include <boost/container/small_vector.hpp>

#include "emulator/iscsi/pdu.h"

namespace emulator::iscsi {

// A CDB: up to 16 bytes held in place (no allocation per command).
using Cdb = boost::container::small_vector<uint8_t, 16>;
inline std::span<const uint8_t> cdb_span(const Cdb& c) { return {c.data(), c.size()}; }

// RFC 7143 11.3: SCSI Command.
struct ScsiCommand {
    bool immediate = false;
    bool final = true;       // byte 1 bit 7: no unsolicited Data-Out follows
    bool read = false;       // bit 6
    bool write = false;      // bit 5
    uint8_t attributes = 0;  // bits 0-2: task attribute (SAM)
    uint64_t lun = 0;        // bytes 8-15
    uint32_t itt = 0;        // 16
    uint32_t expected_length = 0;  // 20: Expected Data Transfer Length
    uint32_t cmd_sn = 0;           // 24
    uint32_t exp_stat_sn = 0;      // 28
    // Bytes 32-47 hold the first 16 bytes; a longer CDB continues in an
    // Extended CDB AHS (11.3.5, AHSType 1, 11.2.2). Decoded CDBs are at least
    // 16 bytes long (the BHS field's zeros included).
    Cdb cdb;
    std::vector<uint8_t> data;  // immediate data

    Pdu encode() const;
    static Result<ScsiCommand> decode(Pdu frame);
    bool operator==(const ScsiCommand&) const = default;
};

// The residual of a command (RFC 7143 11.4.5): O and U in byte 1, and the count.
struct Residual {
    bool overflow = false;   // bit 2 (O): the device had more than the initiator expected
    bool underflow = false;  // bit 1 (U): it moved less
    uint32_t count = 0;
    bool operator==(const Residual&) const = default;
};

// RFC 7143 11.4: SCSI Response.
struct ScsiResponse {
    uint8_t response = 0;  // byte 2: 0x00 command completed at target
    uint8_t status = 0;    // 3: the SCSI status
    bool bidi_overflow = false, bidi_underflow = false;  // byte 1 bits 4 (o) and 3 (u)
    Residual residual;     // bits 2, 1; bytes 44-47
    uint32_t itt = 0;      // 16
    uint32_t snack_tag = 0;  // 20
    TargetSn sn;           // 24-35
    uint32_t exp_data_sn = 0;  // 36
    uint32_t bidi_residual = 0;  // 40
    // The data segment (11.4.7): SenseLength (2 bytes) and the sense data.
    std::vector<uint8_t> sense;

    Pdu encode() const;
    static Result<ScsiResponse> decode(Pdu frame);
    bool operator==(const ScsiResponse&) const = default;
};

// RFC 7143 11.7: SCSI Data-Out (initiator to target).
struct DataOut {
    bool final = false;     // byte 1 bit 7
    uint64_t lun = 0;       // 8
    uint32_t itt = 0;       // 16
    uint32_t ttt = reserved_tag;  // 20: the R2T's, or 0xFFFFFFFF for unsolicited data
    uint32_t exp_stat_sn = 0;     // 28
    uint32_t data_sn = 0;         // 36
    uint32_t buffer_offset = 0;   // 40
    std::vector<uint8_t> data;

    Pdu encode() const;
    static Result<DataOut> decode(Pdu frame);
    bool operator==(const DataOut&) const = default;
};

// RFC 7143 11.7: SCSI Data-In (target to initiator). On the hot path its data
// segment is sent from a buffer or a file, not from `data` (pdu.h's
// encode_header takes the length).
struct DataIn {
    bool final = false;        // byte 1 bit 7: the last of a sequence
    bool acknowledge = false;  // bit 6 (A)
    bool has_status = false;   // bit 0 (S): status and residual are valid
    Residual residual;         // bits 2, 1; bytes 44-47
    uint8_t status = 0;        // 3
    uint64_t lun = 0;          // 8
    uint32_t itt = 0;          // 16
    uint32_t ttt = reserved_tag;  // 20
    TargetSn sn;               // 24-35 (StatSN only with S)
    uint32_t data_sn = 0;      // 36
    uint32_t buffer_offset = 0;  // 40
    std::vector<uint8_t> data;

    Pdu encode() const;
    static Result<DataIn> decode(Pdu frame);
    bool operator==(const DataIn&) const = default;
};

// RFC 7143 11.8: Ready To Transfer.
struct R2t {
    uint64_t lun = 0;        // 8
    uint32_t itt = 0;        // 16
    uint32_t ttt = 0;        // 20
    TargetSn sn;             // 24-35
    uint32_t r2t_sn = 0;     // 36
    uint32_t buffer_offset = 0;    // 40
    uint32_t desired_length = 0;   // 44: Desired Data Transfer Length

    Pdu encode() const;
    static Result<R2t> decode(Pdu frame);
    bool operator==(const R2t&) const = default;
};

// RFC 7143 11.5.1: the task management functions.
namespace tmf {
constexpr uint8_t abort_task = 1, abort_task_set = 2, clear_aca = 3, clear_task_set = 4, logical_unit_reset = 5,
                  target_warm_reset = 6, target_cold_reset = 7, task_reassign = 8;
}
// RFC 7143 11.6.1: their responses.
namespace tmf_response {
constexpr uint8_t complete = 0, no_such_task = 1, no_such_lun = 2, allegiance_reassignment_unsupported = 4,
                  not_supported = 5, rejected = 255;
}

// RFC 7143 11.5: Task Management Function Request.
struct TaskManagementRequest {
    bool immediate = false;
    uint8_t function = 0;    // byte 1 bits 0-6
    uint64_t lun = 0;        // 8
    uint32_t itt = 0;        // 16
    uint32_t referenced_task_tag = reserved_tag;  // 20
    uint32_t cmd_sn = 0;     // 24
    uint32_t exp_stat_sn = 0;  // 28
    uint32_t ref_cmd_sn = 0;   // 32
    uint32_t exp_data_sn = 0;  // 36

    Pdu encode() const;
    static Result<TaskManagementRequest> decode(Pdu frame);
    bool operator==(const TaskManagementRequest&) const = default;
};

// RFC 7143 11.6: Task Management Function Response.
struct TaskManagementResponse {
    uint8_t response = 0;  // byte 2
    uint32_t itt = 0;      // 16
    TargetSn sn;           // 24-35

    Pdu encode() const;
    static Result<TaskManagementResponse> decode(Pdu frame);
    bool operator==(const TaskManagementResponse&) const = default;
};

}  // namespace emulator::iscsi
