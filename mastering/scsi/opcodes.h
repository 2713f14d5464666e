// SPC-4 and MMC-6 operation codes, and the sense codes an MMC device answers
// with (../spec/mmc-drive.md §1 and §3). One vocabulary for the initiator
// (burn engine) and the target (emulator).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "mastering/scsi/sense.h"

namespace mastering::scsi {

namespace op {
constexpr uint8_t test_unit_ready = 0x00, request_sense = 0x03, format_unit = 0x04, inquiry = 0x12,
                  mode_select6 = 0x15, mode_sense6 = 0x1A, start_stop_unit = 0x1B, prevent_allow = 0x1E,
                  read_format_capacities = 0x23, read_capacity = 0x25, read10 = 0x28, write10 = 0x2A,
                  verify10 = 0x2F, synchronize_cache = 0x35, read_buffer = 0x3C, read_toc = 0x43,
                  get_configuration = 0x46, get_event_status = 0x4A, read_disc_information = 0x51,
                  read_track_information = 0x52, reserve_track = 0x53, send_opc = 0x54, mode_select10 = 0x55,
                  mode_sense10 = 0x5A, close_track_session = 0x5B, read_buffer_capacity = 0x5C, send_cue_sheet = 0x5D,
                  report_luns = 0xA0, blank = 0xA1, report_key = 0xA4, load_unload = 0xA6, read12 = 0xA8,
                  write12 = 0xAA, get_performance = 0xAC, read_disc_structure = 0xAD, set_streaming = 0xB6,
                  read_cd = 0xBE, set_cd_speed = 0xBB, mechanism_status = 0xBD, send_disc_structure = 0xBF,
                  report_supported_opcodes = 0xA3, service_action_in16 = 0x9E;
}

// "READ(10)" for 0x28; "OPCODE 0xNN" for unknown ones.
std::string_view op_name(uint8_t opcode);
// The name of a whole command: as op_name, but opcodes that carry a service
// action are named by it ("READ CAPACITY(16)" for 9E/10).
std::string_view command_name(std::span<const uint8_t> cdb);

// Sense codes (key/ASC/ASCQ) of spec/mmc-drive.md §3.
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

}  // namespace mastering::scsi
