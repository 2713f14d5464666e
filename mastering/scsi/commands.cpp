#include "mastering/scsi/commands.h"

#include <array>
#include <cstdio>

namespace mastering::scsi {

namespace {

using U = DataOutLength::Unit;
constexpr DataOutLength bytes_at(uint8_t offset, uint8_t width) { return {U::bytes, offset, width}; }
constexpr DataOutLength user_blocks_at(uint8_t offset, uint8_t width) { return {U::user_blocks, offset, width}; }
constexpr DataOutLength transfer_blocks_at(uint8_t offset, uint8_t width) { return {U::transfer_blocks, offset, width}; }
constexpr DataOutLength fixed_bytes(uint16_t n) { return {U::fixed, 0, 0, n}; }

constexpr auto none = Direction::none;
constexpr auto in = Direction::in;
constexpr auto out = Direction::out;
constexpr unsigned quick = command_flag::quick;
constexpr unsigned fills = command_flag::fills_data_in;
constexpr unsigned group = command_flag::group;
constexpr std::optional<uint8_t> no_sa;

// Recommended timeouts (seconds): most commands 30; a WRITE may wait for the
// medium; closing, synchronizing, formatting and blanking take minutes.
constexpr uint32_t t_write = 120, t_close = 600, t_format = 7200;

// SPC-4 (clause 6), MMC-6 (clause 6) and SBC-3 (READ CAPACITY(16)). The
// entries of one operation code follow each other, its own entry first.
constexpr Command k_commands[] = {
    // opcode, service action, CDB length, name, direction, Data-Out, timeout, flags
    {op::test_unit_ready, no_sa, 6, "TEST UNIT READY", none, {}, 30, quick},
    {op::request_sense, no_sa, 6, "REQUEST SENSE", in, {}, 30, quick},
    {op::format_unit, no_sa, 6, "FORMAT UNIT", out, fixed_bytes(12).when(1, 0x10), t_format, 0},  // FmtData
    {op::inquiry, no_sa, 6, "INQUIRY", in, {}, 30, quick},
    {op::mode_select6, no_sa, 6, "MODE SELECT(6)", out, bytes_at(4, 1), 30, 0},
    {op::mode_sense6, no_sa, 6, "MODE SENSE(6)", in, {}, 30, quick},
    {op::start_stop_unit, no_sa, 6, "START STOP UNIT", none, {}, 30, 0},
    {op::send_diagnostic, no_sa, 6, "SEND DIAGNOSTIC", out, bytes_at(3, 2), 30, 0},
    {op::prevent_allow, no_sa, 6, "PREVENT ALLOW MEDIUM REMOVAL", none, {}, 30, 0},
    {op::read_format_capacities, no_sa, 10, "READ FORMAT CAPACITIES", in, {}, 30, quick},
    {op::read_capacity, no_sa, 10, "READ CAPACITY", in, {}, 30, quick},
    {op::read10, no_sa, 10, "READ(10)", in, {}, 30, quick | fills},
    {op::write10, no_sa, 10, "WRITE(10)", out, transfer_blocks_at(7, 2), t_write, quick},
    {op::verify10, no_sa, 10, "VERIFY(10)", out, user_blocks_at(7, 2).when(1, 0x02), 30, 0},  // BYTCHK
    {op::synchronize_cache, no_sa, 10, "SYNCHRONIZE CACHE", none, {}, t_close, 0},
    {op::write_buffer, no_sa, 10, "WRITE BUFFER", out, bytes_at(6, 3), 30, 0},
    {op::read_buffer, no_sa, 10, "READ BUFFER", in, {}, 30, 0},
    {op::read_toc, no_sa, 10, "READ TOC/PMA/ATIP", in, {}, 30, quick},
    {op::get_configuration, no_sa, 10, "GET CONFIGURATION", in, {}, 30, quick},
    {op::get_event_status, no_sa, 10, "GET EVENT STATUS NOTIFICATION", in, {}, 30, quick},
    {op::read_disc_information, no_sa, 10, "READ DISC INFORMATION", in, {}, 30, quick},
    {op::read_track_information, no_sa, 10, "READ TRACK INFORMATION", in, {}, 30, quick},
    {op::reserve_track, no_sa, 10, "RESERVE TRACK", none, {}, 30, 0},
    {op::send_opc, no_sa, 10, "SEND OPC INFORMATION", out, bytes_at(7, 2), 30, 0},
    {op::mode_select10, no_sa, 10, "MODE SELECT(10)", out, bytes_at(7, 2), 30, 0},
    {op::mode_sense10, no_sa, 10, "MODE SENSE(10)", in, {}, 30, quick},
    {op::close_track_session, no_sa, 10, "CLOSE TRACK/SESSION", none, {}, t_close, 0},
    {op::read_buffer_capacity, no_sa, 10, "READ BUFFER CAPACITY", in, {}, 30, quick},
    {op::send_cue_sheet, no_sa, 10, "SEND CUE SHEET", out, bytes_at(6, 3), 30, 0},
    {op::read16, no_sa, 16, "READ(16)", in, {}, 30, 0},
    {op::write16, no_sa, 16, "WRITE(16)", out, transfer_blocks_at(10, 4), t_write, 0},
    {op::service_action_in16, no_sa, 16, "SERVICE ACTION IN(16)", in, {}, 30, group},
    {op::service_action_in16, 0x10, 16, "READ CAPACITY(16)", in, {}, 30, quick},
    {op::report_luns, no_sa, 12, "REPORT LUNS", in, {}, 30, 0},
    {op::blank, no_sa, 12, "BLANK", none, {}, t_format, 0},
    {op::maintenance_in, no_sa, 12, "MAINTENANCE IN", in, {}, 30, group},
    {op::maintenance_in, 0x0C, 12, "REPORT SUPPORTED OPERATION CODES", in, {}, 30, 0},
    {op::maintenance_in, 0x0D, 12, "REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS", in, {}, 30, 0},
    {op::report_key, no_sa, 12, "REPORT KEY", in, {}, 30, 0},
    {op::load_unload, no_sa, 12, "LOAD/UNLOAD MEDIUM", none, {}, 30, 0},
    {op::read12, no_sa, 12, "READ(12)", in, {}, 30, quick | fills},
    {op::write12, no_sa, 12, "WRITE(12)", out, transfer_blocks_at(6, 4), t_write, quick},
    {op::get_performance, no_sa, 12, "GET PERFORMANCE", in, {}, 30, 0},
    {op::read_disc_structure, no_sa, 12, "READ DISC STRUCTURE", in, {}, 30, quick},
    {op::set_streaming, no_sa, 12, "SET STREAMING", out, bytes_at(9, 2), 30, 0},
    {op::set_cd_speed, no_sa, 12, "SET CD SPEED", none, {}, 30, 0},
    {op::mechanism_status, no_sa, 12, "MECHANISM STATUS", in, {}, 30, quick},
    {op::read_cd, no_sa, 12, "READ CD", in, {}, 30, quick},
    {op::send_disc_structure, no_sa, 12, "SEND DISC STRUCTURE", out, bytes_at(8, 2), 30, 0},
};

// Where each operation code's first entry is (0xFF: none).
constexpr auto k_first = [] {
    std::array<uint8_t, 256> first{};
    first.fill(0xFF);
    for (size_t i = std::size(k_commands); i-- > 0;) first[k_commands[i].opcode] = uint8_t(i);
    return first;
}();
static_assert(std::size(k_commands) < 0xFF);

}  // namespace

std::span<const Command> commands() { return k_commands; }

const Command* find_command(uint8_t opcode, std::optional<uint8_t> service_action) {
    const Command* own = nullptr;
    for (size_t i = k_first[opcode]; i < std::size(k_commands) && k_commands[i].opcode == opcode; ++i) {
        const Command& c = k_commands[i];
        if (!c.service_action) {
            if (!own) own = &c;
        } else if (c.service_action == service_action) {
            return &c;
        }
    }
    return own;
}

uint8_t service_action_field(std::span<const uint8_t> cdb) { return cdb.size() > 1 ? cdb[1] & 0x1F : 0; }

const Command* find_command(std::span<const uint8_t> cdb) {
    if (cdb.empty()) return nullptr;
    return find_command(cdb[0], service_action_field(cdb));
}

std::string_view op_name(uint8_t opcode) {
    if (const Command* c = find_command(opcode)) return c->name;
    static thread_local char buf[24];
    std::snprintf(buf, sizeof buf, "OPCODE 0x%02X", opcode);
    return buf;
}

std::string_view command_name(std::span<const uint8_t> cdb) {
    if (cdb.empty()) return op_name(0);
    if (const Command* c = find_command(cdb)) return c->name;
    return op_name(cdb[0]);
}

std::optional<size_t> data_out_length(std::span<const uint8_t> cdb, uint32_t transfer_block) {
    if (cdb.empty()) return std::nullopt;
    const Command* c = find_command(cdb);
    // A CDB shorter than its command is refused by the device; it transfers nothing.
    if (!c || cdb.size() < c->cdb_length) return 0;
    const DataOutLength& d = c->data_out;
    if (d.when_mask && !(cdb[d.when_byte] & d.when_mask)) return 0;
    uint64_t count = 0;
    for (size_t i = 0; i < d.width; ++i) count = count << 8 | cdb[d.offset + i];
    switch (d.unit) {
    case U::none: return 0;
    case U::bytes: return size_t(count);
    case U::user_blocks: return size_t(count) * 2048;
    case U::transfer_blocks: return size_t(count) * transfer_block;
    case U::fixed: return d.fixed;
    }
    return 0;
}

bool fills_data_in(std::span<const uint8_t> cdb) {
    const Command* c = find_command(cdb);
    return c && c->has(command_flag::fills_data_in);
}

}  // namespace mastering::scsi
