// Test support for the drive model: a host that sends CDBs to a Drive over a
// fresh virtual disc, with the MMC builders and reply parsers of
// mastering/scsi (the same code the burn engine uses as an initiator).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <vector>

#include "emulator/mmc/drive.h"
#include "mastering/scsi/mmc.h"
#include "tests/support/support.h"

namespace dmtest {

namespace sc = mastering::scsi;
using mastering::media::Profile;

struct Reply {
    sc::Status status = sc::Status::good;
    sc::Sense sense;
    std::vector<uint8_t> data;
    bool good() const { return status == sc::Status::good; }
    std::string describe() const;
};

// Content of block `lba` as the tests write it (recognisable on read-back).
std::vector<std::byte> pattern(int64_t lba, uint32_t blocks, uint8_t salt = 0);

class Host {
public:
    explicit Host(Profile profile, std::optional<uint32_t> capacity = {}, bool durable = false);
    // A host for an existing drive (a second initiator).
    Host(std::shared_ptr<emulator::mmc::Drive> drive, emulator::NexusId nexus);
    ~Host();

    Reply cmd(const sc::Cdb& c, std::span<const std::byte> out = {}, size_t in_len = 0);
    // Like cmd, but a non-GOOD answer is a test failure.
    Reply ok(const sc::Cdb& c, std::span<const std::byte> out = {}, size_t in_len = 0);
    // Repeat TEST UNIT READY until the unit attentions are consumed.
    void settle();
    // Poll TEST UNIT READY every 10 ms (as burners poll after Immed commands)
    // until the drive is ready; false after 10 s.
    bool wait_ready();

    sc::DiscInformation disc_info();
    sc::TrackInformation track_info(uint8_t type, uint32_t number);
    // The next writable address of the invisible (or growing) track.
    uint32_t next_writable() { return track_info(1, 0xFF).next_writable; }
    std::optional<sc::Toc0> toc0();
    std::optional<sc::SessionInfo> toc1();
    std::optional<sc::FullToc> toc2();
    sc::Configuration configuration(uint8_t rt = 0, uint16_t start = 0);
    Reply mode_select_05(const sc::WriteParameters& w);
    // A cue sheet entry (ADR 1, data track): track, index, data form and the address as MSF.
    static std::vector<uint8_t> cue_entry(uint8_t tno, uint8_t index, uint8_t form, int32_t lba);
    // SEND CUE SHEET of these entries.
    Reply send_cue_sheet(const std::vector<std::vector<uint8_t>>& entries);
    sc::WriteParameters mode_sense_05();
    Reply write(uint32_t lba, uint32_t blocks, uint8_t salt = 0, uint32_t unit = 16);
    // Read back and compare with pattern(); true if all equal.
    bool read_matches(uint32_t lba, uint32_t blocks, uint8_t salt = 0);
    Reply format(uint8_t type, uint32_t blocks = 0xFFFFFFFF, bool immed = false, uint8_t subtype = 0);

    emulator::mmc::Drive& drive() { return *m_drive; }
    std::shared_ptr<emulator::mmc::Drive> drive_ptr() { return m_drive; }
    std::string disc_path() const { return m_disc_path; }

private:
    std::unique_ptr<TempDir> m_dir;
    std::string m_disc_path;
    std::shared_ptr<emulator::mmc::Drive> m_drive;
    emulator::NexusId m_nexus = 1;

};

}  // namespace dmtest
