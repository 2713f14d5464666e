// SCSI status and sense data (SPC-4 §4.5), shared by the initiator side
// (transport/, burn/) and the target side (emulator/). Failures of a command
// are data: a handler returns a Sense, and only encode_fixed_sense makes bytes.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "mastering/codec/result.h"

namespace mastering::scsi {

enum class Status : uint8_t {
    good = 0x00,
    check_condition = 0x02,
    condition_met = 0x04,
    busy = 0x08,
    reservation_conflict = 0x18,
    task_set_full = 0x28,
    aca_active = 0x30,
    task_aborted = 0x40,
};

enum class SenseKey : uint8_t {
    no_sense = 0x0,
    recovered_error = 0x1,
    not_ready = 0x2,
    medium_error = 0x3,
    hardware_error = 0x4,
    illegal_request = 0x5,
    unit_attention = 0x6,
    data_protect = 0x7,
    blank_check = 0x8,
    aborted_command = 0xB,
    miscompare = 0xE,
};

struct Sense {
    SenseKey key = SenseKey::no_sense;
    uint8_t asc = 0;
    uint8_t ascq = 0;
    std::optional<uint32_t> information;  // e.g. the failing LBA
    std::optional<uint16_t> progress;     // sense-key specific progress 0..65535 (SKSV)

    bool operator==(const Sense& o) const { return key == o.key && asc == o.asc && ascq == o.ascq; }
};

// Fixed-format sense data (response code 70h), 18 bytes.
constexpr size_t fixed_sense_length = 18;
std::array<uint8_t, fixed_sense_length> encode_fixed_sense(const Sense& s);
// Fixed (70h/71h) or descriptor (72h/73h) format.
Result<Sense> decode_sense(std::span<const uint8_t> bytes);

// "ILLEGAL REQUEST, INVALID FIELD IN CDB (5/24/00)": for messages and traces.
std::string describe(const Sense& s);

}  // namespace mastering::scsi
