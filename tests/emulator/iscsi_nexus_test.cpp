// The target's I_T nexuses (emulator/iscsi/nexus_registry.h) on their own:
// what the unit is told when sessions of an initiator port come and go.
#include <gtest/gtest.h>

#include <vector>

#include "emulator/iscsi/nexus_registry.h"

using namespace emulator;
using namespace emulator::iscsi;
using namespace std::chrono_literals;

namespace {

// A unit that records the nexus calls it gets.
class Recorder final : public LogicalUnit {
public:
    CommandReply execute(NexusId, std::span<const uint8_t>, std::span<const std::byte>, std::span<std::byte>) override {
        return {};
    }
    void nexus_opened(NexusId n) override { events.push_back("open " + std::to_string(n)); }
    void nexus_closed(NexusId n) override { events.push_back("close " + std::to_string(n)); }
    void reset(NexusId) override {}
    std::vector<std::string> events;
};

}  // namespace

TEST(IscsiNexus, a_port_resumes_its_nexus_until_logout_or_the_retention_time) {
    auto unit = std::make_shared<Recorder>();
    NexusRegistry reg(1000ms);
    const NexusRegistry::Port a{"iqn.t", "iqn.i", {0x80, 1, 2, 3, 0, 1}};
    const NexusRegistry::Port b{"iqn.t", "iqn.i", {0x80, 1, 2, 3, 0, 2}};
    int s1, s2, s3, s4;
    auto c1 = reg.claim(a, &s1, [] {}, unit);
    EXPECT_FALSE(c1.resumed);
    EXPECT_FALSE(c1.end_previous);
    auto other = reg.claim(b, &s4, [] {}, unit);
    EXPECT_NE(other.id, c1.id) << "another ISID, another nexus";
    // The session ends without a Logout: the unit is not told.
    reg.release(a, &s1, false);
    EXPECT_EQ(unit->events, (std::vector<std::string>{"open " + std::to_string(c1.id), "open " + std::to_string(other.id)}));
    auto c2 = reg.claim(a, &s2, [] {}, unit);
    EXPECT_TRUE(c2.resumed);
    EXPECT_EQ(c2.id, c1.id);
    EXPECT_EQ(unit->events.size(), 2u) << "resumed: no nexus_opened";
    // A login while s2 holds the port: s2 is ended (reinstatement).
    bool s2_ended = false;
    reg.release(a, &s2, false);
    c2 = reg.claim(a, &s2, [&] { s2_ended = true; }, unit);
    auto c3 = reg.claim(a, &s3, [] {}, unit);
    ASSERT_TRUE(c3.end_previous);
    c3.end_previous();
    EXPECT_TRUE(s2_ended);
    EXPECT_TRUE(c3.resumed);
    reg.release(a, &s2, true);  // the reinstated session's end changes nothing
    EXPECT_EQ(unit->events.size(), 2u);
    // Logout closes it.
    reg.release(a, &s3, true);
    ASSERT_EQ(unit->events.size(), 3u);
    EXPECT_EQ(unit->events.back(), "close " + std::to_string(c1.id));
    auto c4 = reg.claim(a, &s1, [] {}, unit);
    EXPECT_FALSE(c4.resumed) << "after a Logout: a new nexus";
    // Kept nexuses close once the retention time passed, not before.
    reg.release(a, &s1, false);
    EXPECT_TRUE(reg.expire(NexusRegistry::Clock::now()).empty());
    auto gone = reg.expire(NexusRegistry::Clock::now() + 2s);
    ASSERT_EQ(gone.size(), 1u);
    EXPECT_EQ(gone[0], a);
    EXPECT_EQ(unit->events.back(), "close " + std::to_string(c4.id));
    reg.close_all();
    EXPECT_EQ(unit->events.back(), "close " + std::to_string(c4.id)) << "b is still held by its session";
    reg.release(b, &s4, false);
    reg.close_all();
    EXPECT_EQ(unit->events.back(), "close " + std::to_string(other.id));
}
