// The target-level answers in front of the logical units (SAM-5, SPC-4):
// what every LUN of a target answers the same, whatever the device behind it.
// REPORT LUNS (SPC-4 6.33) lists the LUNs the target really has, and a command
// addressed to a LUN it does not have is answered here: INQUIRY with peripheral
// qualifier 011b and device type 1Fh (SPC-4 6.6.2), anything else CHECK
// CONDITION, ILLEGAL REQUEST, LOGICAL UNIT NOT SUPPORTED (5/25/00). A plain
// class with no transport in it: the iSCSI target routes every command
// through it, and the in-process transport can do the same.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "emulator/logical_unit.h"

namespace emulator {

class LunFront {
public:
    // The unit at LUN `lun` (0-255: SAM-5's single-level peripheral device
    // addressing, the form REPORT LUNS lists).
    void attach(uint8_t lun, std::shared_ptr<LogicalUnit> unit);

    // The unit a command with the 8-byte LUN field `lun` goes to, or nullptr
    // when the target answers it itself (answer()). The first level of the
    // LUN structure (its first two bytes) names the unit.
    LogicalUnit* route(uint64_t lun, std::span<const uint8_t> cdb) const;
    // The target's own answer to a command route() gave no unit for. `data_in`
    // has room for the initiator's expected transfer length.
    CommandReply answer(uint64_t lun, std::span<const uint8_t> cdb, std::span<std::byte> data_in) const;

private:
    LogicalUnit* unit(uint64_t lun) const;
    CommandReply report_luns(std::span<const uint8_t> cdb, std::span<std::byte> data_in) const;

    std::vector<std::pair<uint8_t, std::shared_ptr<LogicalUnit>>> m_units;
};

}  // namespace emulator
