// The PDUs of the session itself as typed values (RFC 7143 11.9 - 11.19):
// login, text, logout, NOP and Reject. Each has one `encode` into a frame
// (pdu.h, which adds lengths and digests) and one `decode` from one; byte
// offsets below are RFC 7143's, in the BHS.
#pragma once

#include "emulator/iscsi/pdu.h"

namespace emulator::iscsi {

using Isid = std::array<uint8_t, 6>;

// RFC 7143 11.12.3, 11.13.3: login stages (CSG, NSG).
namespace stage {
constexpr uint8_t security = 0, operational = 1, full_feature = 3;
}

// RFC 7143 11.12: Login Request.
struct LoginRequest {
    bool transit = false;    // byte 1 bit 7 (T)
    bool cont = false;       // bit 6 (C): the text continues in the next PDU
    uint8_t csg = 0, nsg = 0;  // bits 2-3, 0-1
    uint8_t version_max = 0, version_min = 0;  // 2, 3
    Isid isid{};             // 8-13
    uint16_t tsih = 0;       // 14
    uint32_t itt = 0;        // 16
    uint16_t cid = 0;        // 20
    uint32_t cmd_sn = 0;     // 24
    uint32_t exp_stat_sn = 0;  // 28
    std::vector<uint8_t> data;  // key=value text

    Pdu encode() const;
    static Result<LoginRequest> decode(Pdu frame);
    bool operator==(const LoginRequest&) const = default;
};

// RFC 7143 11.13.5: Status-Class and Status-Detail of a Login Response.
namespace login_status {
constexpr uint8_t success = 0x00, initiator_error = 0x02;
constexpr uint8_t auth_failure = 0x01, not_found = 0x03, unsupported_version = 0x05, missing_parameter = 0x07,
                  session_does_not_exist = 0x0A, invalid_during_login = 0x0B;  // details of initiator_error
}

// RFC 7143 11.13: Login Response.
struct LoginResponse {
    bool transit = false, cont = false;
    uint8_t csg = 0, nsg = 0;
    uint8_t version_max = 0, version_active = 0;  // 2, 3
    Isid isid{};             // 8-13
    uint16_t tsih = 0;       // 14
    uint32_t itt = 0;        // 16
    TargetSn sn;             // 24-35
    uint8_t status_class = 0, status_detail = 0;  // 36, 37
    std::vector<uint8_t> data;

    Pdu encode() const;
    static Result<LoginResponse> decode(Pdu frame);
    bool operator==(const LoginResponse&) const = default;
};

// RFC 7143 11.10: Text Request.
struct TextRequest {
    bool immediate = false;
    bool final = true;       // byte 1 bit 7
    bool cont = false;       // bit 6
    uint64_t lun = 0;        // 8
    uint32_t itt = 0;        // 16
    uint32_t ttt = reserved_tag;  // 20: the target's tag when continuing its answer
    uint32_t cmd_sn = 0;     // 24
    uint32_t exp_stat_sn = 0;  // 28
    std::vector<uint8_t> data;

    Pdu encode() const;
    static Result<TextRequest> decode(Pdu frame);
    bool operator==(const TextRequest&) const = default;
};

// RFC 7143 11.11: Text Response.
struct TextResponse {
    bool final = true, cont = false;  // byte 1 bits 7, 6
    uint64_t lun = 0;        // 8
    uint32_t itt = 0;        // 16
    uint32_t ttt = reserved_tag;  // 20
    TargetSn sn;             // 24-35
    std::vector<uint8_t> data;

    Pdu encode() const;
    static Result<TextResponse> decode(Pdu frame);
    bool operator==(const TextResponse&) const = default;
};

// RFC 7143 11.14.1: why the initiator logs out.
namespace logout_reason {
constexpr uint8_t close_session = 0, close_connection = 1, remove_for_recovery = 2;
}

// RFC 7143 11.14: Logout Request.
struct LogoutRequest {
    bool immediate = false;
    uint8_t reason = 0;      // byte 1 bits 0-6
    uint32_t itt = 0;        // 16
    uint16_t cid = 0;        // 20
    uint32_t cmd_sn = 0;     // 24
    uint32_t exp_stat_sn = 0;  // 28

    Pdu encode() const;
    static Result<LogoutRequest> decode(Pdu frame);
    bool operator==(const LogoutRequest&) const = default;
};

// RFC 7143 11.15: Logout Response.
struct LogoutResponse {
    uint8_t response = 0;    // byte 2: 0 closed, 2 recovery not supported
    uint32_t itt = 0;        // 16
    TargetSn sn;             // 24-35
    uint16_t time2wait = 0, time2retain = 0;  // 40, 42

    Pdu encode() const;
    static Result<LogoutResponse> decode(Pdu frame);
    bool operator==(const LogoutResponse&) const = default;
};

// RFC 7143 11.18: NOP-Out.
struct NopOut {
    bool immediate = false;
    uint64_t lun = 0;        // 8
    uint32_t itt = reserved_tag;  // 16: 0xFFFFFFFF answers a NOP-In
    uint32_t ttt = reserved_tag;  // 20: the NOP-In's tag it answers
    uint32_t cmd_sn = 0;     // 24
    uint32_t exp_stat_sn = 0;  // 28
    std::vector<uint8_t> data;  // ping data, echoed

    Pdu encode() const;
    static Result<NopOut> decode(Pdu frame);
    bool operator==(const NopOut&) const = default;
};

// RFC 7143 11.19: NOP-In.
struct NopIn {
    uint64_t lun = 0;        // 8
    uint32_t itt = reserved_tag;  // 16: the NOP-Out's, or 0xFFFFFFFF for a ping of ours
    uint32_t ttt = reserved_tag;  // 20: ours when we want an answer
    TargetSn sn;             // 24-35
    std::vector<uint8_t> data;

    Pdu encode() const;
    static Result<NopIn> decode(Pdu frame);
    bool operator==(const NopIn&) const = default;
};

// RFC 7143 11.17: Reject.
struct Reject {
    uint8_t reason = 0;      // byte 2 (reject_reason)
    TargetSn sn;             // 24-35
    uint32_t data_sn = 0;    // 36: DataSN/R2TSN
    std::vector<uint8_t> header;  // the data segment: the rejected PDU's BHS

    Pdu encode() const;
    static Result<Reject> decode(Pdu frame);
    bool operator==(const Reject&) const = default;
};

}  // namespace emulator::iscsi
