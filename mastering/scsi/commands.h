// The SCSI command vocabulary shared by the initiator (burn engine, traces,
// error messages) and the target (the emulated drive, the iSCSI server): one
// table (commands.cpp) with one entry per command, holding everything either
// side needs to know about it. Names, Data-Out lengths, REPORT SUPPORTED
// OPERATION CODES and the "run at once" decision of a target are derived from
// it; docs/drive-model.md describes the fields. Adding a command is one entry
// here (and, for the emulated drive, one handler line in
// emulator/mmc/bindings.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "mastering/scsi/opcodes.h"

namespace mastering::scsi {

enum class Direction : uint8_t { none, in, out };

// How long a command's Data-Out is, read from its CDB (SPC-4 4.2.5): a
// big-endian count of `width` bytes at byte `offset`, in `unit`s; or a fixed
// length. Sent only when the bit `when_mask` of CDB byte `when_byte` is set
// (FORMAT UNIT's FmtData, VERIFY's BYTCHK), or always when `when_mask` is 0.
struct DataOutLength {
    enum class Unit : uint8_t { none, bytes, user_blocks, transfer_blocks, fixed };
    Unit unit = Unit::none;
    uint8_t offset = 0, width = 0;
    uint16_t fixed = 0;
    uint8_t when_byte = 0, when_mask = 0;

    constexpr DataOutLength when(uint8_t byte, uint8_t mask) const {
        DataOutLength d = *this;
        d.when_byte = byte;
        d.when_mask = mask;
        return d;
    }
};

// Command flags: how a target may run a command.
namespace command_flag {
// No mechanics, no flush, no emulated speed: a target may run it at once
// on the connection's thread when the device is idle.
constexpr unsigned quick = 1;
// Fills all the Data-In it reports (READ): a transport need not zero the
// buffer it gives the device.
constexpr unsigned fills_data_in = 2;
// An operation code whose commands are its service actions (SERVICE ACTION
// IN(16), MAINTENANCE IN): the entry only names the code.
constexpr unsigned group = 4;
}  // namespace command_flag

struct Command {
    uint8_t opcode = 0;
    std::optional<uint8_t> service_action;  // in CDB byte 1, bits 4-0
    uint8_t cdb_length = 0;
    std::string_view name;
    Direction direction = Direction::none;
    DataOutLength data_out;
    // The recommended timeout REPORT SUPPORTED OPERATION CODES reports
    // (SPC-4 6.35.4, command timeouts descriptor), in seconds.
    uint32_t timeout_seconds = 30;
    unsigned flags = 0;

    bool has(unsigned flag) const { return (flags & flag) != 0; }
};

// Every command of the vocabulary, in the table's order.
std::span<const Command> commands();
// The entry of an operation code and service action: the exact one, else the
// opcode's own entry (a group, or a command without service actions);
// nullptr for an opcode the vocabulary does not have.
const Command* find_command(uint8_t opcode, std::optional<uint8_t> service_action = {});
// The entry a CDB is for (its service action read from byte 1 where the
// opcode has service actions); nullptr for an empty CDB or an unknown opcode.
const Command* find_command(std::span<const uint8_t> cdb);
// The service action field of a CDB (byte 1, bits 4-0; 0 if too short).
uint8_t service_action_field(std::span<const uint8_t> cdb);

// "READ(10)" for 0x28; "OPCODE 0xNN" for unknown ones.
std::string_view op_name(uint8_t opcode);
// The name of a whole command: as op_name, but opcodes that carry a service
// action are named by it ("READ CAPACITY(16)" for 9E/10).
std::string_view command_name(std::span<const uint8_t> cdb);

// How many Data-Out bytes a CDB carries: nullopt for an empty CDB, 0 for a
// command without Data-Out, an unknown one, or a CDB shorter than its
// command. `transfer_block`: the bytes per block a WRITE carries (2048, or
// the sector format of a CD written from a cue sheet).
std::optional<size_t> data_out_length(std::span<const uint8_t> cdb, uint32_t transfer_block = 2048);
// Whether the command fills all the Data-In it reports (command_flag::fills_data_in).
bool fills_data_in(std::span<const uint8_t> cdb);

}  // namespace mastering::scsi
