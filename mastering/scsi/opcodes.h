// SPC-4 and MMC-6 operation codes, as names for code. What is known about
// each command (its name, CDB length, Data-Out, ...) is in the vocabulary of
// commands.h.
#pragma once

#include <cstdint>

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
                  maintenance_in = 0xA3, service_action_in16 = 0x9E, read16 = 0x88, write16 = 0x8A,
                  send_diagnostic = 0x1D, write_buffer = 0x3B;
}  // namespace op

}  // namespace mastering::scsi
