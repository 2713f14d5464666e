// The target-level answers in front of the logical units (emulator/lun_front.h):
// REPORT LUNS lists the LUNs the target has, a missing LUN is answered by the
// target, everything else goes to its unit.
#include <gtest/gtest.h>

#include <vector>

#include "emulator/lun_front.h"

using namespace emulator;

namespace {

class NullUnit final : public LogicalUnit {
public:
    CommandReply execute(NexusId, std::span<const uint8_t>, std::span<const std::byte>, std::span<std::byte>) override {
        return {};
    }
    void nexus_opened(NexusId) override {}
    void nexus_closed(NexusId) override {}
    void reset(NexusId) override {}
};

std::vector<uint8_t> report_luns(uint32_t alloc) {
    return {0xA0, 0, 0, 0, 0, 0, uint8_t(alloc >> 24), uint8_t(alloc >> 16), uint8_t(alloc >> 8), uint8_t(alloc), 0, 0};
}

std::vector<uint8_t> bytes(std::span<const std::byte> b, size_t n) {
    std::vector<uint8_t> out(n);
    for (size_t i = 0; i < n; ++i) out[i] = uint8_t(b[i]);
    return out;
}

// SAM-5 single-level LUN field of LUN n (peripheral device addressing).
uint64_t lun_field(uint8_t n) { return uint64_t(n) << 48; }

}  // namespace

TEST(LunFront, report_luns_lists_the_units_the_target_has) {
    LunFront front;
    auto zero = std::make_shared<NullUnit>(), three = std::make_shared<NullUnit>();
    front.attach(3, three);
    front.attach(0, zero);
    std::vector<std::byte> in(64);
    auto cdb = report_luns(64);
    EXPECT_EQ(front.route(lun_field(0), cdb), nullptr) << "REPORT LUNS is the target's, whatever the LUN";
    auto r = front.answer(lun_field(0), cdb, in);
    EXPECT_EQ(r.status, scsi::Status::good);
    ASSERT_EQ(r.data_in_length, 24u);
    EXPECT_EQ(bytes(in, 24), (std::vector<uint8_t>{0, 0, 0, 16, 0, 0, 0, 0,  //
                                                   0, 0, 0, 0, 0, 0, 0, 0,   // LUN 0
                                                   0, 3, 0, 0, 0, 0, 0, 0}))  // LUN 3
        << "the LUN list length, then each LUN in ascending order";
    // The allocation length cuts the list (SPC-4 4.2.5.6: no error, and
    // nothing beyond what was asked for is an overflow).
    r = front.answer(lun_field(0), report_luns(16), in);
    EXPECT_EQ(r.data_in_length, 16u);
    EXPECT_EQ(r.data_in_overflow, 0u);
    // A buffer smaller than the allocation length: the rest is an overflow.
    r = front.answer(lun_field(0), report_luns(64), std::span(in).first(8));
    EXPECT_EQ(r.data_in_length, 8u);
    EXPECT_EQ(r.data_in_overflow, 16u);
}

TEST(LunFront, a_missing_lun_is_answered_by_the_target) {
    LunFront front;
    auto unit = std::make_shared<NullUnit>();
    front.attach(0, unit);
    const std::vector<uint8_t> inquiry = {0x12, 0, 0, 0, 96, 0}, tur = {0, 0, 0, 0, 0, 0};
    EXPECT_EQ(front.route(lun_field(0), inquiry), unit.get());
    EXPECT_EQ(front.route(lun_field(0), tur), unit.get());
    EXPECT_EQ(front.route(lun_field(1), inquiry), nullptr);
    EXPECT_EQ(front.route(0x4000000000000000, tur), nullptr) << "flat addressing of LUN 0 is not the listed form";
    std::vector<std::byte> in(96);
    auto r = front.answer(lun_field(1), inquiry, in);
    EXPECT_EQ(r.status, scsi::Status::good);
    ASSERT_EQ(r.data_in_length, 36u);
    EXPECT_EQ(uint8_t(in[0]), 0x7F) << "peripheral qualifier 011b, device type 1Fh";
    EXPECT_EQ(uint8_t(in[4]), 31) << "additional length";
    r = front.answer(lun_field(1), tur, in);
    EXPECT_EQ(r.status, scsi::Status::check_condition);
    EXPECT_EQ(r.sense.key, scsi::SenseKey::illegal_request);
    EXPECT_EQ(r.sense.asc, 0x25) << "LOGICAL UNIT NOT SUPPORTED";
}
