// The command vocabulary (mastering/scsi/commands.h): the table keeps the
// rules of SPC-4 it encodes, and names, Data-Out lengths and lookups are
// derived from it.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "mastering/scsi/commands.h"
#include "mastering/scsi/mmc.h"

using namespace mastering::scsi;

namespace {

// SPC-4 4.2.5.1: the group code (bits 7-5 of the operation code) gives the CDB length.
size_t cdb_length_of_group(uint8_t opcode) {
    switch (opcode >> 5) {
    case 0: return 6;
    case 1: case 2: return 10;
    case 4: return 16;
    case 5: return 12;
    default: return 0;
    }
}

}  // namespace

TEST(CommandVocabulary, each_entry_keeps_the_rules_of_its_opcode) {
    std::set<std::pair<uint8_t, int>> seen;
    std::map<uint8_t, size_t> first;
    for (size_t i = 0; i < commands().size(); ++i) {
        const Command& c = commands()[i];
        SCOPED_TRACE(std::string(c.name));
        EXPECT_EQ(c.cdb_length, cdb_length_of_group(c.opcode)) << "the CDB length of its group code";
        EXPECT_FALSE(c.name.empty());
        EXPECT_TRUE(seen.insert({c.opcode, c.service_action ? int(*c.service_action) : -1}).second) << "one entry per command";
        // The entries of one opcode follow each other, its own entry first.
        auto [it, inserted] = first.emplace(c.opcode, i);
        if (!inserted) {
            EXPECT_EQ(commands()[i - 1].opcode, c.opcode) << "next to the other entries of its opcode";
            EXPECT_TRUE(c.service_action.has_value()) << "only service actions follow an opcode's own entry";
            EXPECT_TRUE(commands()[it->second].has(command_flag::group)) << "service actions follow their group";
        }
        if (c.service_action) {
            EXPECT_LT(*c.service_action, 0x20) << "a 5-bit field";
        }
        if (c.has(command_flag::group)) {
            EXPECT_FALSE(c.service_action.has_value());
        }
        // Data-Out: described exactly for the commands that send it, inside the CDB.
        bool sends = c.data_out.unit != DataOutLength::Unit::none;
        EXPECT_EQ(sends, c.direction == Direction::out);
        EXPECT_LE(size_t(c.data_out.offset) + c.data_out.width, c.cdb_length);
        EXPECT_LT(c.data_out.when_byte, c.cdb_length);
        if (c.has(command_flag::fills_data_in)) {
            EXPECT_EQ(c.direction, Direction::in);
        }
        EXPECT_GT(c.timeout_seconds, 0u);
        EXPECT_EQ(find_command(c.opcode, c.service_action), &c);
    }
}

TEST(CommandVocabulary, names_of_opcodes_and_service_actions) {
    EXPECT_EQ(op_name(op::read10), "READ(10)");
    EXPECT_EQ(op_name(op::prevent_allow), "PREVENT ALLOW MEDIUM REMOVAL");
    EXPECT_EQ(op_name(0x07), "OPCODE 0x07");
    EXPECT_EQ(op_name(op::service_action_in16), "SERVICE ACTION IN(16)");
    const uint8_t read_capacity16[16] = {op::service_action_in16, 0x10};
    EXPECT_EQ(command_name(read_capacity16), "READ CAPACITY(16)");
    const uint8_t other_action[16] = {op::service_action_in16, 0x11};
    EXPECT_EQ(command_name(other_action), "SERVICE ACTION IN(16)");
    const uint8_t rsoc[12] = {op::maintenance_in, 0x0C};
    EXPECT_EQ(command_name(rsoc), "REPORT SUPPORTED OPERATION CODES");
    const uint8_t rstmf[12] = {op::maintenance_in, 0x0D};
    EXPECT_EQ(command_name(rstmf), "REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS");
    // A service action bit in a command that has none does not change its name.
    const uint8_t read10_fua[10] = {op::read10, 0x08};
    EXPECT_EQ(command_name(read10_fua), "READ(10)");
    EXPECT_EQ(find_command(0x07), nullptr);
    EXPECT_EQ(find_command(std::span<const uint8_t>{}), nullptr);
}

TEST(CommandVocabulary, data_out_lengths_from_the_cdb) {
    EXPECT_EQ(data_out_length({}), std::nullopt);
    EXPECT_EQ(data_out_length(cdb::write10(100, 16).bytes()), 16u * 2048);
    EXPECT_EQ(data_out_length(cdb::write10(100, 16).bytes(), 2352), 16u * 2352) << "a cue sheet's raw sectors";
    EXPECT_EQ(data_out_length(cdb::write12(100, 70000).bytes()), 70000u * 2048);
    EXPECT_EQ(data_out_length(cdb::mode_select10(0x1234).bytes()), 0x1234u);
    EXPECT_EQ(data_out_length(cdb::send_cue_sheet(0x012345).bytes()), 0x012345u);
    EXPECT_EQ(data_out_length(cdb::set_streaming(28).bytes()), 28u);
    EXPECT_EQ(data_out_length(cdb::format_unit().bytes()), 12u) << "FmtData set: a 12-byte parameter list";
    Cdb no_fmtdata = cdb::format_unit();
    no_fmtdata.b[1] = 0x01;
    EXPECT_EQ(data_out_length(no_fmtdata.bytes()), 0u);
    Cdb verify = {{op::verify10, 0x02, 0, 0, 0, 9, 0, 0, 3}, 10};
    EXPECT_EQ(data_out_length(verify.bytes()), 3u * 2048) << "BYTCHK: the blocks to compare";
    verify.b[1] = 0;
    EXPECT_EQ(data_out_length(verify.bytes()), 0u);
    EXPECT_EQ(data_out_length(cdb::read10(0, 32).bytes()), 0u) << "Data-In only";
    const uint8_t unknown[10] = {0x07, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    EXPECT_EQ(data_out_length(unknown), 0u);
    EXPECT_EQ(data_out_length(cdb::write10(0, 16).bytes().first(8)), 0u) << "a CDB shorter than its command";
    EXPECT_TRUE(fills_data_in(cdb::read12(0, 1).bytes()));
    EXPECT_FALSE(fills_data_in(cdb::read_toc(0, 0, 100).bytes()));
}

TEST(CommandVocabulary, cdb_builders_take_their_length_from_it) {
    for (const Cdb& c : {cdb::test_unit_ready(), cdb::inquiry(), cdb::read_capacity(), cdb::read12(0, 1),
                         cdb::mechanism_status(), cdb::get_performance(0, 1), cdb::send_opc(), cdb::format_unit(),
                         cdb::read_cd(0, 1), cdb::set_cd_speed(1, 1)}) {
        const Command* e = find_command(c.bytes());
        ASSERT_NE(e, nullptr) << int(c.b[0]);
        EXPECT_EQ(c.length, e->cdb_length) << e->name;
    }
}
