// The commands the drive implements: each names its entry of the command
// vocabulary (mastering/scsi/commands.h: opcode, service action, CDB length,
// name, Data-Out, timeout) and gives the handler and the gates the drive
// applies. REPORT SUPPORTED OPERATION CODES lists them in this order.
#include <array>
#include <vector>

#include "emulator/mmc/handlers.h"

namespace emulator::mmc {

namespace {

namespace op = sc::op;

struct Row {
    uint8_t opcode;
    std::optional<uint8_t> service_action;
    Handlers::Handler handler;
    unsigned flags;
};

using H = Handlers;
constexpr std::optional<uint8_t> no_sa;

const Row k_rows[] = {
    {op::test_unit_ready, no_sa, H::test_unit_ready, k_while_busy},
    {op::request_sense, no_sa, H::request_sense, k_skips_ua | k_while_busy},
    {op::format_unit, no_sa, H::format_unit, k_needs_medium | k_writes},
    {op::inquiry, no_sa, H::inquiry, k_skips_ua | k_while_busy},
    {op::mode_select6, no_sa, H::mode_select, 0},
    {op::mode_sense6, no_sa, H::mode_sense, k_while_busy},
    {op::start_stop_unit, no_sa, H::start_stop_unit, 0},
    {op::prevent_allow, no_sa, H::prevent_allow, k_while_busy},
    {op::read_format_capacities, no_sa, H::read_format_capacities, k_while_busy},
    {op::read_capacity, no_sa, H::read_capacity, k_needs_medium},
    {op::service_action_in16, 0x10, H::read_capacity16, k_needs_medium},
    {op::read10, no_sa, H::read, k_needs_medium},
    {op::write10, no_sa, H::write, k_needs_medium | k_writes},
    {op::verify10, no_sa, H::verify, k_needs_medium},
    {op::synchronize_cache, no_sa, H::synchronize_cache, k_needs_medium},
    {op::read_toc, no_sa, H::read_toc, k_needs_medium},
    {op::get_configuration, no_sa, H::get_configuration, k_skips_ua | k_while_busy},
    {op::get_event_status, no_sa, H::event_status, k_skips_ua | k_while_busy},
    {op::read_disc_information, no_sa, H::read_disc_information, k_needs_medium},
    {op::read_track_information, no_sa, H::read_track_information, k_needs_medium},
    {op::reserve_track, no_sa, H::reserve_track, k_needs_medium | k_writes},
    {op::send_opc, no_sa, H::send_opc, k_needs_medium},
    {op::mode_select10, no_sa, H::mode_select, 0},
    {op::mode_sense10, no_sa, H::mode_sense, k_while_busy},
    {op::close_track_session, no_sa, H::close_track_session, k_needs_medium | k_writes},
    {op::read_buffer_capacity, no_sa, H::read_buffer_capacity, k_while_busy},
    {op::send_cue_sheet, no_sa, H::send_cue_sheet, k_needs_medium | k_writes},
    {op::report_luns, no_sa, H::report_luns, k_skips_ua | k_while_busy},
    {op::blank, no_sa, H::blank, k_needs_medium | k_writes},
    {op::maintenance_in, 0x0C, H::report_supported_opcodes, k_while_busy | k_other_service_action_unknown},
    {op::report_key, no_sa, H::report_key, k_needs_medium},
    {op::read12, no_sa, H::read, k_needs_medium},
    {op::write12, no_sa, H::write, k_needs_medium | k_writes},
    {op::get_performance, no_sa, H::get_performance, k_while_busy},
    {op::read_disc_structure, no_sa, H::read_disc_structure, k_needs_medium},
    {op::set_streaming, no_sa, H::set_speed, k_while_busy},
    {op::read_cd, no_sa, H::read_cd, k_needs_medium},
    {op::set_cd_speed, no_sa, H::set_speed, k_while_busy},
    {op::mechanism_status, no_sa, H::mechanism_status, k_skips_ua | k_while_busy},
};

struct Table {
    std::vector<Binding> bindings;
    std::array<int16_t, 256> index{};  // opcode -> bindings[i]; -1: not implemented
};

const Table& table() {
    static const Table t = [] {
        Table b;
        b.index.fill(-1);
        for (const Row& r : k_rows) {
            const sc::Command* c = sc::find_command(r.opcode, r.service_action);
            // Every row names a command of the vocabulary, exactly, and one per opcode.
            DM_VERIFY(c != nullptr && c->service_action == r.service_action && b.index[r.opcode] < 0);
            b.index[r.opcode] = int16_t(b.bindings.size());
            b.bindings.push_back({c, r.handler, r.flags});
        }
        return b;
    }();
    return t;
}

}  // namespace

std::span<const Binding> bindings() { return table().bindings; }

const Binding* binding_for(uint8_t opcode) {
    const Table& t = table();
    return t.index[opcode] < 0 ? nullptr : &t.bindings[size_t(t.index[opcode])];
}

}  // namespace emulator::mmc
