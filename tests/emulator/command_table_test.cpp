// The drive's bindings and the command vocabulary cover each other: REPORT
// SUPPORTED OPERATION CODES lists exactly the vocabulary's commands the drive
// runs, with the vocabulary's CDB lengths and timeouts; every listed command
// is run, and every other command of the vocabulary is refused as unknown.
#include <gtest/gtest.h>

#include <set>

#include "mastering/codec/bytes.h"
#include "tests/emulator/mmc_host.h"

using namespace dmtest;
namespace sense = sc::sense;
using mastering::codec::load_be16;
using mastering::codec::load_be32;

namespace {

// Commands the vocabulary names (for traces and the initiator's messages)
// that the emulated drive does not run.
const std::set<std::string_view> k_not_emulated = {
    "SEND DIAGNOSTIC", "WRITE BUFFER", "READ BUFFER", "READ(16)", "WRITE(16)",
    "REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS", "LOAD/UNLOAD MEDIUM", "SEND DISC STRUCTURE",
};

sc::Cdb cdb_of(const sc::Command& c) {
    sc::Cdb cdb;
    cdb.b[0] = c.opcode;
    if (c.service_action) cdb.b[1] = *c.service_action;
    cdb.length = c.cdb_length;
    return cdb;
}

}  // namespace

TEST(DriveCommands, report_supported_operation_codes_lists_the_vocabulary_the_drive_runs) {
    Host h(Profile::cd_rw);
    h.settle();
    sc::Cdb all = {{sc::op::maintenance_in, 0x0C, 0x80, 0, 0, 0, 0, 0, 0x40, 0}, 12};  // all commands, with timeouts
    Reply r = h.ok(all, {}, 0x4000);
    ASSERT_GE(r.data.size(), 4u);
    size_t length = load_be32(r.data.data()) + 4;
    ASSERT_EQ(length, r.data.size());
    std::set<const sc::Command*> listed;
    for (size_t p = 4; p + 20 <= length; p += 20) {
        const uint8_t* d = &r.data[p];
        ASSERT_EQ(d[5] & 2, 2) << "a timeouts descriptor follows";
        std::optional<uint8_t> sa;
        if (d[5] & 1) sa = uint8_t(load_be16(&d[2]));
        const sc::Command* c = sc::find_command(d[0], sa);
        ASSERT_NE(c, nullptr) << "opcode " << int(d[0]);
        EXPECT_EQ(c->service_action, sa) << c->name;
        EXPECT_FALSE(c->has(sc::command_flag::group)) << c->name;
        EXPECT_EQ(load_be16(&d[6]), c->cdb_length) << c->name;
        EXPECT_EQ(load_be16(&d[8]), 0x0A) << c->name;
        EXPECT_EQ(load_be32(&d[16]), c->timeout_seconds) << c->name;
        EXPECT_TRUE(listed.insert(c).second) << c->name << " listed once";
    }
    size_t runnable = 0;
    for (const sc::Command& c : sc::commands()) {
        if (c.has(sc::command_flag::group)) continue;
        bool runs = listed.count(&c) != 0;
        EXPECT_NE(runs, k_not_emulated.count(c.name) != 0) << c.name << ": listed, or named as not emulated";
        Reply answer = h.cmd(cdb_of(c), {}, 256);
        if (runs) {
            EXPECT_NE(answer.sense, sense::invalid_opcode) << c.name << " is run";
            ++runnable;
        } else {
            EXPECT_EQ(answer.sense, sense::invalid_opcode) << c.name << " is refused as unknown";
        }
    }
    EXPECT_EQ(runnable, listed.size());
    EXPECT_GE(listed.size(), 39u);
}

TEST(DriveCommands, one_command_asked_for_by_opcode_and_service_action) {
    Host h(Profile::dvd_plus_r);
    h.settle();
    // Options 2: READ CAPACITY(16), SERVICE ACTION IN(16) 10h.
    sc::Cdb one = {{sc::op::maintenance_in, 0x0C, 0x82, sc::op::service_action_in16, 0, 0x10, 0, 0, 0x01, 0}, 12};
    Reply r = h.ok(one, {}, 256);
    ASSERT_GE(r.data.size(), 4u + 16);
    EXPECT_EQ(r.data[1] & 7, 3) << "supported as in the standard";
    EXPECT_EQ(load_be16(&r.data[2]), 16);
    EXPECT_EQ(r.data[4], sc::op::service_action_in16);
    EXPECT_EQ(r.data[5], 0x10);
    // Options 1 for an opcode with service actions is a wrong request.
    one.b[2] = 0x01;
    EXPECT_EQ(h.cmd(one, {}, 256).sense, sense::invalid_field_in_cdb);
    // Another service action of a bound opcode: as the drive always answered.
    sc::Cdb other = {{sc::op::service_action_in16, 0x11}, 16};
    EXPECT_EQ(h.cmd(other, {}, 32).sense, sense::invalid_field_in_cdb);
    sc::Cdb tmf = {{sc::op::maintenance_in, 0x0D}, 12};
    EXPECT_EQ(h.cmd(tmf, {}, 32).sense, sense::invalid_opcode);
}
