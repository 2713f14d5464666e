// The in-process transport "emu:PATH": a Drive over the virtual disc at PATH,
// reached through mastering::transport like any other recorder, as LUN 0
// behind the same target-level front as the iSCSI target (lun_front.h).
#include <cstring>

#include "emulator/lun_front.h"
#include "emulator/mmc/drive.h"
#include "mastering/transport/transport.h"

namespace emulator::mmc {

namespace {

namespace tr = mastering::transport;

class EmuTransport final : public tr::Transport {
public:
    EmuTransport(std::string address, std::shared_ptr<Drive> drive) : m_address(std::move(address)), m_drive(std::move(drive)) {
        m_front.attach(0, m_drive);
        m_drive->nexus_opened(k_nexus);
    }
    ~EmuTransport() override { m_drive->nexus_closed(k_nexus); }
    std::string address() const override { return m_address; }

protected:
    Status do_execute(tr::Command& cmd) override {
        std::span<const std::byte> out;
        std::span<std::byte> in;
        if (cmd.direction == tr::Direction::out) out = cmd.data;
        if (cmd.direction == tr::Direction::in) in = cmd.data;
        std::span<const uint8_t> cdb(cmd.cdb.data(), cmd.cdb_length);
        LogicalUnit* unit = m_front.route(0, cdb);
        auto r = unit ? unit->execute(k_nexus, cdb, out, in) : m_front.answer(0, cdb, in);
        cmd.status = r.status;
        if (r.status == sc::Status::check_condition) {
            auto s = sc::encode_fixed_sense(r.sense);
            cmd.sense.assign(s.begin(), s.end());
        }
        cmd.transferred = cmd.direction == tr::Direction::in ? r.data_in_length : out.size();
        cmd.residual = cmd.data.size() - std::min(cmd.data.size(), cmd.transferred);
        return {};
    }

private:
    static constexpr NexusId k_nexus = 1;
    std::string m_address;
    std::shared_ptr<Drive> m_drive;
    LunFront m_front;
};

}  // namespace

void register_emu_transport() {
    tr::register_backend("emu:", [](const std::string& address, const tr::OpenOptions&) -> Result<std::unique_ptr<tr::Transport>> {
        std::string path = address.substr(4);
        auto disc = media::VirtualDisc::open(path);
        if (!disc.ok()) return disc.error();
        DriveOptions options;
        options.identity = DriveIdentity::derive("emu", path);
        auto drive = std::make_shared<Drive>(options);
        DM_TRY(drive->insert(std::move(*disc)));
        return std::unique_ptr<tr::Transport>(new EmuTransport(address, std::move(drive)));
    });
}

}  // namespace emulator::mmc
