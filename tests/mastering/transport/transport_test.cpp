#include <gtest/gtest.h>

#include <array>
#include <cstring>

#include "mastering/transport/transport.h"
#include "tests/support/support.h"
#include "tests/support/tgtd.h"

using namespace mastering;
using namespace mastering::transport;

namespace {

const uint8_t k_inquiry[6] = {0x12, 0, 0, 0, 96, 0};

// The first command after login may meet a unit attention (power on/reset):
// a client repeats it once, as real initiators do.
Status execute_past_unit_attention(Transport& t, Command& c) {
    Status s = t.execute(c);
    if (s.ok() && c.decoded_sense() && c.decoded_sense()->key == scsi::SenseKey::unit_attention) s = t.execute(c);
    return s;
}

// A tgtd target with a CD LUN over a file of known blocks.
class ThirdPartyTgtTransport : public ::testing::Test {
protected:
    void SetUp() override {
        DM_REQUIRE_PROGRAM("tgtd");
        image = (dir / "disc.iso").string();
        dmtest::write_random_file(image, 256 * 2048, 7);
        tgtd = std::make_unique<dmtest::Tgtd>();
        ASSERT_TRUE(tgtd->running()) << tgtd->error();
        ASSERT_TRUE(tgtd->add_target("iqn.2026-11.test:cd", image)) << tgtd->error();
    }
    dmtest::TempDir dir;
    std::string image;
    std::unique_ptr<dmtest::Tgtd> tgtd;
};

}  // namespace

TEST_F(ThirdPartyTgtTransport, inquiry_read_capacity_and_read10_through_libiscsi) {
    auto t = open_transport(tgtd->url("iqn.2026-11.test:cd"));
    ASSERT_TRUE(t.ok()) << t.error().message;
    std::vector<Command> trace;
    (*t)->set_trace([&](const Command& c, std::chrono::nanoseconds) { trace.push_back(c); });

    std::array<std::byte, 96> inq{};
    Command c(k_inquiry, Direction::in, inq);
    ASSERT_TRUE(execute_past_unit_attention(**t, c).ok());
    ASSERT_TRUE(c.good()) << c.describe_failure();
    EXPECT_EQ(uint8_t(inq[0]) & 0x1F, 5);  // MMC device
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(&inq[16]), 16), "VIRTUAL-CDROM   ");

    std::array<std::byte, 8> cap{};
    const uint8_t rc10[10] = {0x25};
    Command c2(rc10, Direction::in, cap);
    ASSERT_TRUE(execute_past_unit_attention(**t, c2).ok());
    ASSERT_TRUE(c2.good()) << c2.describe_failure();
    uint32_t last = uint32_t(uint8_t(cap[0])) << 24 | uint32_t(uint8_t(cap[1])) << 16 |
                    uint32_t(uint8_t(cap[2])) << 8 | uint8_t(cap[3]);
    EXPECT_EQ(last, 255u);

    std::vector<std::byte> buf(4 * 2048);
    const uint8_t rd10[10] = {0x28, 0, 0, 0, 0, 10, 0, 0, 4, 0};
    Command c3(rd10, Direction::in, buf);
    ASSERT_TRUE((*t)->execute(c3).ok());
    ASSERT_TRUE(c3.good()) << c3.describe_failure();
    EXPECT_EQ(c3.transferred, buf.size());
    auto want = dmtest::read_file(image).substr(10 * 2048, 4 * 2048);
    EXPECT_EQ(std::memcmp(buf.data(), want.data(), want.size()), 0);

    // The trace hook saw every command, in order, with its outcome.
    ASSERT_GE(trace.size(), 3u);
    EXPECT_EQ(trace.front().cdb[0], 0x12);
    EXPECT_EQ(trace.back().cdb[0], 0x28);
    EXPECT_EQ(trace.back().transferred, buf.size());
}

TEST_F(ThirdPartyTgtTransport, check_condition_carries_sense) {
    auto t = open_transport(tgtd->url("iqn.2026-11.test:cd"));
    ASSERT_TRUE(t.ok()) << t.error().message;
    // RESERVE TRACK: tgt does not implement it (invalid opcode); a read
    // beyond the end: LBA out of range.
    const uint8_t reserve[10] = {0x53, 0, 0, 0, 0, 0, 0, 0, 16, 0};
    Command c(reserve);
    ASSERT_TRUE(execute_past_unit_attention(**t, c).ok());
    ASSERT_EQ(c.status, scsi::Status::check_condition);
    auto s = c.decoded_sense();
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->key, scsi::SenseKey::illegal_request);
    EXPECT_EQ(s->asc, 0x20);
    EXPECT_NE(c.describe_failure().find("53h"), std::string::npos);

    std::vector<std::byte> buf(2048);
    const uint8_t rd10[10] = {0x28, 0, 0, 0, 0x10, 0, 0, 0, 1, 0};  // LBA 4096 > 255
    Command c2(rd10, Direction::in, buf);
    ASSERT_TRUE((*t)->execute(c2).ok());
    ASSERT_EQ(c2.status, scsi::Status::check_condition);
    ASSERT_TRUE(c2.decoded_sense().has_value());
    // tgt answers MEDIUM ERROR / UNRECOVERED READ (3/11/00) where MMC drives
    // say LBA OUT OF RANGE (5/21/00): either way the sense arrives intact.
    auto s2 = *c2.decoded_sense();
    EXPECT_TRUE((s2.key == scsi::SenseKey::illegal_request && s2.asc == 0x21) ||
                (s2.key == scsi::SenseKey::medium_error && s2.asc == 0x11))
        << scsi::describe(s2);
}

TEST_F(ThirdPartyTgtTransport, wrong_target_is_a_clear_error) {
    auto t = open_transport(tgtd->url("iqn.2026-11.test:nosuch"));
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.error().message.find("cannot log in"), std::string::npos) << t.error().message;
}

TEST(Transport, unknown_addresses_are_refused) {
    auto a = open_transport("floppy:0");
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.error().code, Errc::invalid_argument);
    auto b = open_transport("emu:/nonexistent.vdisc");
    ASSERT_FALSE(b.ok());  // no emulator backend registered in this program
    auto c = open_transport("/dev/null");
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.error().message.find("SG_IO"), std::string::npos) << c.error().message;
    auto d = open_transport("iscsi://127.0.0.1:1/iqn.x/0");  // nothing listens on port 1
    ASSERT_FALSE(d.ok());
}

TEST(Transport, secrets_stay_out_of_messages) {
    auto d = open_transport("iscsi://user%topsecret@127.0.0.1:1/iqn.2026-11.test:x/0");
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.error().message.find("topsecret"), std::string::npos) << d.error().message;
}

TEST(Transport, registered_backend_is_used) {
    struct Fake : Transport {
        std::string address() const override { return "fake:1"; }
        Status do_execute(Command& c) override {
            c.status = scsi::Status::check_condition;
            auto b = scsi::encode_fixed_sense({scsi::SenseKey::not_ready, 0x3A, 0x00});
            c.sense.assign(b.begin(), b.end());
            return {};
        }
    };
    register_backend("fake:", [](const std::string&, const OpenOptions&) -> Result<std::unique_ptr<Transport>> {
        return std::unique_ptr<Transport>(new Fake);
    });
    auto t = open_transport("fake:1");
    ASSERT_TRUE(t.ok());
    Command c(k_inquiry);
    ASSERT_TRUE((*t)->execute(c).ok());
    EXPECT_EQ(c.describe_failure(), "command 12h: NOT READY (2/3A/00)");
}

TEST(TransportSg, real_mmc_devices_answer_inquiry) {
    auto devs = list_mmc_sg_devices();
    if (devs.empty()) GTEST_SKIP() << "no SCSI MMC device on this machine (the interop suite covers SG_IO in a guest)";
    for (const auto& d : devs) {
        auto t = open_transport(d);
        ASSERT_TRUE(t.ok()) << t.error().message;
        std::array<std::byte, 96> inq{};
        Command c(k_inquiry, Direction::in, inq);
        ASSERT_TRUE((*t)->execute(c).ok());
        EXPECT_TRUE(c.good()) << d << ": " << c.describe_failure();
        EXPECT_EQ(uint8_t(inq[0]) & 0x1F, 5) << d;
    }
}
