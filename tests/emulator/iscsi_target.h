// The iSCSI target's test fixture: a DriveFarm on a free port of 127.0.0.1
// serving a read-only disc of known content ("rom") and a blank DVD+R
// ("dvd"), and the CDBs the tests send. Shared by iscsi_target_test.cpp and
// iscsi_session_test.cpp.
#pragma once

#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "emulator/iscsi/drive_farm.h"
#include "tests/emulator/iscsi_host.h"
#include "tests/support/support.h"

namespace dmtest {

using emulator::iscsi::DriveFarm;
using emulator::iscsi::FarmOptions;
using emulator::iscsi::ServerOptions;
using emulator::iscsi::parse_drive_spec;
using emulator::iscsi::target_prefix;
using mastering::media::Profile;

inline std::vector<uint8_t> read10(uint32_t lba, uint16_t blocks) {
    return {0x28, 0, uint8_t(lba >> 24), uint8_t(lba >> 16), uint8_t(lba >> 8), uint8_t(lba), 0, uint8_t(blocks >> 8),
            uint8_t(blocks), 0};
}
inline std::vector<uint8_t> write10(uint32_t lba, uint16_t blocks) {
    auto c = read10(lba, blocks);
    c[0] = 0x2A;
    return c;
}
inline const std::vector<uint8_t> inquiry = {0x12, 0, 0, 0, 96, 0};
inline const std::vector<uint8_t> tur = {0, 0, 0, 0, 0, 0};

constexpr uint32_t k_image_blocks = 4096;  // 8 MiB

// A WRITE(10) command PDU of `blocks` from LBA 0, no immediate data (the data follows R2Ts).
inline RawPdu write_command(IscsiHost& h, uint16_t blocks, uint32_t itt) {
    RawPdu c;
    c.bhs[0] = 0x01;
    c.bhs[1] = 0x80 | 0x20 | 0x01;  // F, W, simple task
    c.set32(16, itt);
    c.set32(20, uint32_t(blocks) * 2048);
    c.set32(24, h.take_cmd_sn());
    c.set32(28, h.exp_stat_sn());
    auto cdb = write10(0, blocks);
    std::memcpy(&c.bhs[32], cdb.data(), cdb.size());
    return c;
}

// A target serving a read-only disc with known content ("rom") and a blank
// DVD+R ("dvd"), on a free port of 127.0.0.1.
class Target {
public:
    explicit Target(ServerOptions so = {}, std::vector<std::string> extra_drives = {})
        : m_options(std::move(so)), m_extra(std::move(extra_drives)) {
        write_random_file(m_dir / "rom.img", uint64_t(k_image_blocks) * 2048, 4242);
        m_image = read_file(m_dir / "rom.img");
        {
            auto disc = emulator::media::VirtualDisc::create_from_image((m_dir / "rom.vdisc").string(),
                                                                         (m_dir / "rom.img").string(), Profile::dvd_rom);
            if (!disc.ok()) throw std::runtime_error(disc.error().message);
        }
        make_farm();
    }
    // master-drive stopped and started again over the same discs: new
    // drives, a new server (on another port).
    void restart() {
        m_farm.reset();
        make_farm();
        start();
    }
    void start() { expect_ok(m_farm->start()); }
    static void expect_ok(const mastering::Status& st) {
        if (!st.ok()) throw std::runtime_error(st.error().message);
    }
    DriveFarm& farm() { return *m_farm; }
    int port() const { return m_farm->port(); }
    const std::string& image() const { return m_image; }
    std::string log() {
        std::lock_guard lock(m_log_mutex);
        std::string all;
        for (const auto& l : m_log) all += l + "\n";
        return all;
    }
    std::vector<uint8_t> image_blocks(uint32_t lba, uint32_t blocks) const {
        return {m_image.begin() + long(lba) * 2048, m_image.begin() + long(lba + blocks) * 2048};
    }
    // A new connection, logged in to `drive`, past the power-on unit attention.
    std::unique_ptr<IscsiHost> session(const std::string& drive = "rom", std::map<std::string, std::string> keys = {}) {
        auto h = std::make_unique<IscsiHost>(port());
        LoginOptions lo;
        lo.target = target_prefix + drive;
        lo.keys = std::move(keys);
        auto err = h->login(lo);
        if (!err.empty()) throw std::runtime_error("login: " + err);
        for (int i = 0; i < 4 && h->command(tur, 0, false).status != 0; ++i) {
        }
        return h;
    }
    // The check after every malformed PDU: a fresh login works at once.
    void expect_fresh_login_works(const std::string& after) {
        auto h = session();
        auto r = h->command(inquiry, 96, true);
        EXPECT_TRUE(r.completed && r.status == 0 && r.data.size() == 96) << "INQUIRY after " << after;
        auto d = h->command(read10(7, 2), 4096, true);
        EXPECT_TRUE(d.completed && d.status == 0 && d.data == image_blocks(7, 2)) << "READ after " << after;
    }

private:
    void make_farm() {
        FarmOptions o;
        o.server = m_options;
        o.server.port = 0;
        o.server.log = [this](const std::string& line) {
            std::lock_guard lock(m_log_mutex);
            m_log.push_back(line);
        };
        m_farm = std::make_unique<DriveFarm>(o);
        expect_ok(m_farm->add_drive({"rom", std::nullopt, (m_dir / "rom.vdisc").string()}));
        expect_ok(m_farm->add_drive({"dvd", Profile::dvd_plus_r, (m_dir / "dvd.vdisc").string()}));
        for (const auto& d : m_extra) expect_ok(m_farm->add_drive(*parse_drive_spec(d)));
    }

    ServerOptions m_options;
    std::vector<std::string> m_extra;
    // The log outlives the farm: the farm's threads log while it stops.
    TempDir m_dir{"iscsi"};
    std::string m_image;
    std::mutex m_log_mutex;
    std::vector<std::string> m_log;
    std::unique_ptr<DriveFarm> m_farm;
};

}  // namespace dmtest
