// A drive's identity as initiators see it: the unit serial number (INQUIRY
// VPD page 80h, GET CONFIGURATION feature 0108h) and the designators of the
// device identification VPD page 83h (SPC-4 7.8.5, 7.8.6). Derived from the
// drive's name and its disc's path, so that each drive of a farm has its
// own, and a drive keeps it across restarts (docs/master-drive.md
// "Identity").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mastering/scsi/mmc.h"

namespace emulator::mmc {

struct DriveIdentity {
    std::string serial = "DM0000000001";  // 16 or fewer ASCII characters
    // NAA 3 (locally assigned, SPC-4 7.8.6.6.4): the top four bits are 3,
    // the other 60 a value of our own.
    uint64_t naa = 0x3000000000000001ull;

    // From the drive's name and the path of the disc it was set up with (an
    // empty path for a drive started without one): the path is made
    // absolute, so a relative path names the same drive from any directory.
    static DriveIdentity derive(std::string_view name, const std::string& disc_path);
};

// VPD page 80h: the unit serial number.
mastering::scsi::Bytes unit_serial_number_page(const DriveIdentity& id);
// VPD page 83h: a T10 vendor ID designator (vendor, product, serial) and the
// NAA name of the logical unit.
mastering::scsi::Bytes device_identification_page(const DriveIdentity& id, const std::string& vendor,
                                                  const std::string& product);

}  // namespace emulator::mmc
