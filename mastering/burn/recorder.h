// DiscMaster and DiscRecorder (after IMAPI2): finding recorders and talking to
// one of them — identity, profiles, tray and lock — over any Transport. Unit
// attentions and "becoming ready" are handled here, and drive errors become
// messages a person understands (no medium, closed disc, write error at LBA).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "mastering/media/profile.h"
#include "mastering/scsi/mmc.h"
#include "mastering/transport/transport.h"

namespace mastering::burn {

struct Reply {
    scsi::Status status = scsi::Status::good;
    std::optional<scsi::Sense> sense;
    std::vector<uint8_t> data;
    size_t transferred = 0;
    bool good() const { return status == scsi::Status::good; }
};

// "no medium in the drive", "write error at block 1234", ... for a failed command.
std::string explain(uint8_t opcode, const scsi::Sense& s);
Errc errc_for(const scsi::Sense& s);

class DiscRecorder {
public:
    static Result<std::unique_ptr<DiscRecorder>> open(const std::string& address, bool exclusive = false);

    const std::string& address() const { return m_address; }
    const std::string& vendor() const { return m_vendor; }
    const std::string& product() const { return m_product; }
    const std::string& revision() const { return m_revision; }
    std::vector<media::Profile> supported_profiles() const { return m_profiles; }
    // The mounted medium's profile (none without a medium); asks the drive.
    Result<media::Profile> current_profile();

    // Send a command. Unit attentions are reported once and the command
    // repeated; a drive that is becoming ready or busy with an Immed operation
    // is waited for (up to `timeout`; each command itself may take its
    // recommended timeout, transport::recommended_timeout). A CHECK CONDITION
    // that remains is in the reply, not an error; transport failures are errors.
    Result<Reply> command(const scsi::Cdb& cdb, transport::Direction dir = transport::Direction::none,
                          std::span<std::byte> data = {}, std::chrono::milliseconds timeout = std::chrono::minutes(2));
    // Like command, but anything but GOOD is an error with a readable message.
    Result<Reply> must(const scsi::Cdb& cdb, transport::Direction dir = transport::Direction::none,
                       std::span<std::byte> data = {}, std::chrono::milliseconds timeout = std::chrono::minutes(2));
    // Read `alloc` bytes of a reply (data-in).
    Result<Reply> query(const scsi::Cdb& cdb, size_t alloc);
    Status wait_ready(std::chrono::milliseconds timeout = std::chrono::minutes(10));

    Status eject();
    Status load();
    Status lock(bool locked);

    transport::Transport& transport() { return *m_transport; }

private:
    DiscRecorder() = default;
    Status identify();
    std::string m_address, m_vendor, m_product, m_revision;
    std::vector<media::Profile> m_profiles;
    std::unique_ptr<transport::Transport> m_transport;
};

// Recorders on this machine (SG devices of type 5) plus the given addresses
// (iscsi://, emu:) that answer INQUIRY as an MMC device.
struct RecorderInfo {
    std::string address, vendor, product, revision;
    media::Profile current = media::Profile::none;
};
std::vector<RecorderInfo> list_recorders(const std::vector<std::string>& extra = {});

}  // namespace mastering::burn
