// Issue 16, item 10: every command has a timeout, taken from the command
// table (mastering/scsi/commands.h) where its sender does not choose one, as
// the kernel's sr driver gives each command its own: a query to a drive that
// stopped answering fails after 30 s, while a SYNCHRONIZE CACHE or CLOSE
// TRACK/SESSION may take the minutes a real drive needs.
#include <gtest/gtest.h>

#include <map>

#include "emulator/media/vdisc.h"
#include "emulator/mmc/drive.h"
#include "mastering/burn/burn_tree.h"
#include "mastering/burn/recorder.h"
#include "mastering/scsi/commands.h"
#include "mastering/transport/transport.h"
#include "tests/support/support.h"

using namespace mastering;
using namespace mastering::transport;
using std::chrono::seconds;

namespace {

// Remembers the timeout each command reached the backend with.
struct Recording : Transport {
    std::vector<std::chrono::milliseconds> seen;
    std::string address() const override { return "recording:"; }
    Status do_execute(Command& c) override {
        seen.push_back(c.timeout);
        return {};
    }
};

}  // namespace

TEST(CommandTimeout, a_command_without_one_gets_its_recommended_timeout) {
    Recording t;
    const uint8_t tur[6] = {0x00}, write10[10] = {0x2A, 0, 0, 0, 0, 0, 0, 0, 1, 0}, sync[10] = {0x35},
                  close[10] = {0x5B, 0, 2}, format[6] = {0x04}, unknown[6] = {0xFF};
    for (auto cdb : {std::span<const uint8_t>(tur), std::span<const uint8_t>(write10), std::span<const uint8_t>(sync),
                     std::span<const uint8_t>(close), std::span<const uint8_t>(format), std::span<const uint8_t>(unknown)}) {
        Command c(cdb);
        ASSERT_TRUE(t.execute(c).ok());
    }
    ASSERT_EQ(t.seen.size(), 6u);
    EXPECT_EQ(t.seen[0], seconds(30));    // TEST UNIT READY: a query
    EXPECT_EQ(t.seen[1], seconds(120));   // WRITE(10): may wait for the medium
    EXPECT_EQ(t.seen[2], seconds(600));   // SYNCHRONIZE CACHE: writes out the buffer
    EXPECT_EQ(t.seen[3], seconds(600));   // CLOSE TRACK/SESSION: the lead-out
    EXPECT_EQ(t.seen[4], seconds(7200));  // FORMAT UNIT
    EXPECT_EQ(t.seen[5], seconds(30));    // a command the table does not know

    Command chosen(tur);  // a sender's own choice is kept
    chosen.timeout = std::chrono::milliseconds(1500);
    ASSERT_TRUE(t.execute(chosen).ok());
    EXPECT_EQ(t.seen.back(), std::chrono::milliseconds(1500));
}

TEST(CommandTimeout, a_burn_sends_each_command_with_its_recommended_timeout) {
    emulator::mmc::register_emu_transport();
    dmtest::TempDir dir("command-timeout");
    std::string disc = (dir / "disc.vdisc").string();
    auto d = emulator::media::VirtualDisc::create_blank(disc, media::Profile::dvd_plus_r);
    ASSERT_TRUE(d.ok()) << d.error().message;
    d->reset();
    std::filesystem::create_directories(dir / "src");
    dmtest::write_random_file(dir / "src" / "a.bin", 300 * 1024, 16);
    auto rec = burn::DiscRecorder::open("emu:" + disc);
    ASSERT_TRUE(rec.ok()) << rec.error().message;
    std::map<std::string, std::chrono::milliseconds> timeouts;  // by command name
    (*rec)->transport().set_trace([&](const Command& c, std::chrono::nanoseconds) {
        auto cdb = std::span(c.cdb.data(), c.cdb_length);
        std::string name(scsi::command_name(cdb));
        const scsi::Command* entry = scsi::find_command(cdb);
        ASSERT_NE(entry, nullptr) << name;
        EXPECT_EQ(c.timeout, seconds(entry->timeout_seconds)) << name;
        timeouts[name] = c.timeout;
    });
    burn::BurnRequest req;
    req.from = (dir / "src").string();
    auto r = burn::burn_tree(**rec, req);
    ASSERT_TRUE(r.ok()) << r.error().message;
    // The burn's queries, writes and closing commands were all among them.
    EXPECT_EQ(timeouts["READ DISC INFORMATION"], seconds(30));
    EXPECT_EQ(timeouts["WRITE(10)"], seconds(120));
    EXPECT_EQ(timeouts["SYNCHRONIZE CACHE"], seconds(600));
    EXPECT_EQ(timeouts["CLOSE TRACK/SESSION"], seconds(600));
}
