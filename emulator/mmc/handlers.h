// Internal: the command handlers of the drive, one static function each,
// grouped in files by family, and the drive's bindings of the command
// vocabulary (mastering/scsi/commands.h) to them (bindings.cpp).
#pragma once

#include <span>

#include "emulator/mmc/drive.h"
#include "mastering/codec/bytes.h"

namespace emulator::mmc {

using mastering::codec::load_be16;
using mastering::codec::load_be24;
using mastering::codec::load_be32;
using mastering::codec::store_be16;
using mastering::codec::store_be32;
using mastering::codec::store_be64;

struct Handlers {
    using Ctx = Drive::Ctx;
    using Handler = Drive::Handler;
    // spc.cpp
    static CommandReply test_unit_ready(Drive&, Ctx&);
    static CommandReply request_sense(Drive&, Ctx&);
    static CommandReply inquiry(Drive&, Ctx&);
    static CommandReply mode_sense(Drive&, Ctx&);
    static CommandReply mode_select(Drive&, Ctx&);
    static CommandReply start_stop_unit(Drive&, Ctx&);
    static CommandReply prevent_allow(Drive&, Ctx&);
    static CommandReply mechanism_status(Drive&, Ctx&);
    static CommandReply event_status(Drive&, Ctx&);
    static CommandReply report_luns(Drive&, Ctx&);
    static CommandReply report_supported_opcodes(Drive&, Ctx&);
    // features.cpp
    static CommandReply get_configuration(Drive&, Ctx&);
    // read.cpp
    static CommandReply read_capacity(Drive&, Ctx&);
    static CommandReply read_capacity16(Drive&, Ctx&);
    static CommandReply read(Drive&, Ctx&);
    static CommandReply read_cd(Drive&, Ctx&);
    static CommandReply read_toc(Drive&, Ctx&);
    static CommandReply read_disc_information(Drive&, Ctx&);
    static CommandReply read_track_information(Drive&, Ctx&);
    static CommandReply read_format_capacities(Drive&, Ctx&);
    static CommandReply read_buffer_capacity(Drive&, Ctx&);
    static CommandReply read_disc_structure(Drive&, Ctx&);
    static CommandReply get_performance(Drive&, Ctx&);
    static CommandReply set_speed(Drive&, Ctx&);
    static CommandReply report_key(Drive&, Ctx&);
    static CommandReply verify(Drive&, Ctx&);
    // write.cpp
    static CommandReply write(Drive&, Ctx&);
    static CommandReply synchronize_cache(Drive&, Ctx&);
    static CommandReply reserve_track(Drive&, Ctx&);
    static CommandReply close_track_session(Drive&, Ctx&);
    static CommandReply send_cue_sheet(Drive&, Ctx&);
    static CommandReply blank(Drive&, Ctx&);
    static CommandReply format_unit(Drive&, Ctx&);
    static CommandReply send_opc(Drive&, Ctx&);
};

// How the drive gates a command before its handler runs.
constexpr unsigned k_needs_medium = 1;   // NOT READY without an accessible medium
constexpr unsigned k_skips_ua = 2;       // answered even with a unit attention pending
constexpr unsigned k_while_busy = 4;     // answered while an Immed operation runs
constexpr unsigned k_writes = 8;         // changes the medium
// A service action other than the command's is refused as an unknown
// operation code (5/20/00), not as an invalid field (5/24/00).
constexpr unsigned k_other_service_action_unknown = 16;

// One command the drive implements: its vocabulary entry, its handler and gates.
struct Binding {
    const sc::Command* command;
    Handlers::Handler handler;
    unsigned flags;
    bool has(unsigned flag) const { return (flags & flag) != 0; }
};
// Every command the drive implements, in the order REPORT SUPPORTED
// OPERATION CODES lists them; one per operation code.
std::span<const Binding> bindings();
// The drive's binding of an operation code; nullptr: not implemented.
const Binding* binding_for(uint8_t opcode);

}  // namespace emulator::mmc
