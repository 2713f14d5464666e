#include "mastering/scsi/opcodes.h"

#include <array>
#include <cstdio>
#include <utility>

namespace mastering::scsi {

std::string_view op_name(uint8_t code) {
    static constexpr std::array<std::pair<uint8_t, std::string_view>, 46> k_names{{
        {op::test_unit_ready, "TEST UNIT READY"}, {op::request_sense, "REQUEST SENSE"},
        {op::format_unit, "FORMAT UNIT"}, {op::inquiry, "INQUIRY"}, {op::mode_select6, "MODE SELECT(6)"},
        {op::mode_sense6, "MODE SENSE(6)"}, {op::start_stop_unit, "START STOP UNIT"},
        {op::prevent_allow, "PREVENT ALLOW MEDIUM REMOVAL"}, {op::read_format_capacities, "READ FORMAT CAPACITIES"},
        {op::read_capacity, "READ CAPACITY"}, {op::service_action_in16, "SERVICE ACTION IN(16)"}, {op::read10, "READ(10)"}, {op::write10, "WRITE(10)"},
        {op::verify10, "VERIFY(10)"}, {op::synchronize_cache, "SYNCHRONIZE CACHE"}, {op::read_buffer, "READ BUFFER"},
        {op::read_toc, "READ TOC/PMA/ATIP"}, {op::get_configuration, "GET CONFIGURATION"},
        {op::get_event_status, "GET EVENT STATUS NOTIFICATION"}, {op::read_disc_information, "READ DISC INFORMATION"},
        {op::read_track_information, "READ TRACK INFORMATION"}, {op::reserve_track, "RESERVE TRACK"},
        {op::send_opc, "SEND OPC INFORMATION"}, {op::mode_select10, "MODE SELECT(10)"},
        {op::mode_sense10, "MODE SENSE(10)"}, {op::close_track_session, "CLOSE TRACK/SESSION"},
        {op::read_buffer_capacity, "READ BUFFER CAPACITY"}, {op::send_cue_sheet, "SEND CUE SHEET"},
        {op::report_luns, "REPORT LUNS"}, {op::blank, "BLANK"}, {op::report_key, "REPORT KEY"},
        {op::load_unload, "LOAD/UNLOAD MEDIUM"}, {op::read12, "READ(12)"}, {op::write12, "WRITE(12)"},
        {op::get_performance, "GET PERFORMANCE"}, {op::read_disc_structure, "READ DISC STRUCTURE"},
        {op::set_streaming, "SET STREAMING"}, {op::read_cd, "READ CD"}, {op::set_cd_speed, "SET CD SPEED"},
        {op::mechanism_status, "MECHANISM STATUS"}, {op::send_disc_structure, "SEND DISC STRUCTURE"},
        {op::report_supported_opcodes, "MAINTENANCE IN"},
        {0x88, "READ(16)"}, {0x8A, "WRITE(16)"}, {0x1D, "SEND DIAGNOSTIC"}, {0x3B, "WRITE BUFFER"},
    }};
    for (const auto& [c, n] : k_names)
        if (c == code) return n;
    static thread_local char buf[24];
    std::snprintf(buf, sizeof buf, "OPCODE 0x%02X", code);
    return buf;
}

std::string_view command_name(std::span<const uint8_t> cdb) {
    if (cdb.empty()) return op_name(0);
    uint8_t sa = cdb.size() > 1 ? cdb[1] & 0x1F : 0;
    if (cdb[0] == op::service_action_in16 && sa == 0x10) return "READ CAPACITY(16)";
    if (cdb[0] == op::report_supported_opcodes && sa == 0x0C) return "REPORT SUPPORTED OPERATION CODES";
    if (cdb[0] == op::report_supported_opcodes && sa == 0x0D) return "REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS";
    return op_name(cdb[0]);
}

}  // namespace mastering::scsi
