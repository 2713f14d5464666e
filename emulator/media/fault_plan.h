// Fault plans: what goes wrong on a virtual drive, set per drive. A plan is a
// list of faults written as text (master-drive ctl fault NAME SPEC passes it
// through), entries separated by ';' or ',':
//   write-error:LBA[-LBA]    WRITE touching that range: MEDIUM ERROR / WRITE ERROR (3/0C/00)
//   underrun:N               the write after N more sectors: loss of streaming (3/0C/09)
//   remove:N                 after N more sectors the medium is removed (2/3A/00 from then on)
//   power-loss:N             after N more sectors the drive loses power: what was not
//                            synchronized is lost, the next command sees 6/29/00
//   not-ready:N              the next N commands: NOT READY / BECOMING READY (2/04/01)
//   slow:MS[:OPCODE]         every command (or only OPCODE, hex) takes MS milliseconds more
// "none" or "" clears the plan.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mastering/codec/result.h"

namespace emulator::media {

enum class FaultKind { write_error, underrun, remove, power_loss, not_ready, slow };

struct Fault {
    FaultKind kind;
    uint64_t first = 0, last = 0;   // write-error: LBA range
    uint64_t count = 0;             // sectors (underrun/remove/power-loss) or commands (not-ready)
    uint32_t milliseconds = 0;      // slow
    std::optional<uint8_t> opcode;  // slow: only this command
};

struct FaultPlan {
    std::vector<Fault> faults;
    bool empty() const { return faults.empty(); }
};

mastering::Result<FaultPlan> parse_fault_plan(const std::string& spec);
std::string format_fault_plan(const FaultPlan& plan);

}  // namespace emulator::media
