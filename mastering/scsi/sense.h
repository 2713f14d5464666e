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

// The sense codes (key/ASC/ASCQ) a drive answers with and an initiator tells
// apart (SPC-4 annex D lists every ASC/ASCQ; docs/drive-model.md which
// condition gets which).
namespace sense {
constexpr Sense no_sense{SenseKey::no_sense, 0x00, 0x00};
constexpr Sense medium_not_present{SenseKey::not_ready, 0x3A, 0x00};
constexpr Sense medium_not_present_tray_closed{SenseKey::not_ready, 0x3A, 0x01};
constexpr Sense medium_not_present_tray_open{SenseKey::not_ready, 0x3A, 0x02};
constexpr Sense becoming_ready{SenseKey::not_ready, 0x04, 0x01};
constexpr Sense format_in_progress{SenseKey::not_ready, 0x04, 0x04};
constexpr Sense operation_in_progress{SenseKey::not_ready, 0x04, 0x07};
constexpr Sense long_write_in_progress{SenseKey::not_ready, 0x04, 0x08};
constexpr Sense medium_changed{SenseKey::unit_attention, 0x28, 0x00};
constexpr Sense power_on_reset{SenseKey::unit_attention, 0x29, 0x00};
constexpr Sense mode_parameters_changed{SenseKey::unit_attention, 0x2A, 0x01};
constexpr Sense eject_requested{SenseKey::unit_attention, 0x5A, 0x01};
constexpr Sense invalid_opcode{SenseKey::illegal_request, 0x20, 0x00};
constexpr Sense invalid_field_in_cdb{SenseKey::illegal_request, 0x24, 0x00};
constexpr Sense invalid_field_in_parameter_list{SenseKey::illegal_request, 0x26, 0x00};
constexpr Sense parameter_list_length_error{SenseKey::illegal_request, 0x1A, 0x00};
constexpr Sense lba_out_of_range{SenseKey::illegal_request, 0x21, 0x00};
constexpr Sense miscompare_during_verify{SenseKey::miscompare, 0x1D, 0x00};
constexpr Sense invalid_address_for_write{SenseKey::illegal_request, 0x21, 0x02};
constexpr Sense command_sequence_error{SenseKey::illegal_request, 0x2C, 0x00};
constexpr Sense incompatible_medium{SenseKey::illegal_request, 0x30, 0x00};
constexpr Sense cannot_read_medium{SenseKey::illegal_request, 0x30, 0x02};
constexpr Sense cannot_write_medium{SenseKey::illegal_request, 0x30, 0x05};
constexpr Sense cannot_format_medium{SenseKey::illegal_request, 0x30, 0x06};
constexpr Sense saving_parameters_not_supported{SenseKey::illegal_request, 0x39, 0x00};
constexpr Sense removal_prevented{SenseKey::illegal_request, 0x53, 0x02};
constexpr Sense illegal_mode_for_track{SenseKey::illegal_request, 0x64, 0x00};
constexpr Sense invalid_packet_size{SenseKey::illegal_request, 0x64, 0x01};
constexpr Sense end_of_user_area{SenseKey::illegal_request, 0x63, 0x00};
constexpr Sense packet_does_not_fit{SenseKey::illegal_request, 0x63, 0x01};
constexpr Sense incomplete_track_in_session{SenseKey::illegal_request, 0x72, 0x03};
constexpr Sense empty_reserved_track{SenseKey::illegal_request, 0x72, 0x04};
constexpr Sense no_more_reservations{SenseKey::illegal_request, 0x72, 0x05};
constexpr Sense write_protected{SenseKey::data_protect, 0x27, 0x00};
constexpr Sense write_error{SenseKey::medium_error, 0x0C, 0x00};
constexpr Sense no_defect_spare_location{SenseKey::medium_error, 0x32, 0x00};
constexpr Sense loss_of_streaming{SenseKey::medium_error, 0x0C, 0x09};
constexpr Sense unrecovered_read_error{SenseKey::medium_error, 0x11, 0x00};
constexpr Sense session_fixation_error{SenseKey::medium_error, 0x72, 0x00};
constexpr Sense logical_unit_communication_failure{SenseKey::hardware_error, 0x08, 0x00};
}  // namespace sense

// Fixed-format sense data (response code 70h), 18 bytes.
constexpr size_t fixed_sense_length = 18;
std::array<uint8_t, fixed_sense_length> encode_fixed_sense(const Sense& s);
// Fixed (70h/71h) or descriptor (72h/73h) format.
Result<Sense> decode_sense(std::span<const uint8_t> bytes);

// "ILLEGAL REQUEST, INVALID FIELD IN CDB (5/24/00)": for messages and traces.
std::string describe(const Sense& s);

}  // namespace mastering::scsi
