// BD-R pseudo-overwrite (SRM+POW, FORMAT UNIT type 32h subtype 0): growisofs
// formats a blank BD-R this way and then grows one ISO 9660 session in place,
// rewriting the volume descriptors at LBA 16 (issue 8, growisofs on BD-R).
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "emulator/media/disc_model.h"
#include "tests/emulator/mmc_host.h"

using namespace dmtest;
namespace sc = mastering::scsi;
namespace sense = sc::sense;

namespace {

bool pow_current(Host& h) {
    auto cfg = h.configuration(2, 0x0038);
    const auto* f = cfg.feature(0x0038);
    return f && f->current;
}

// The disc's model as the drive saved it (toc.json in the .vdisc directory).
emulator::media::DiscModel saved_model(Host& h) {
    std::ifstream in(h.disc_path() + "/toc.json");
    auto m = emulator::media::disc_model_from_json(nlohmann::json::parse(in));
    EXPECT_TRUE(m.ok()) << m.error().message;
    return m.ok() ? *m : emulator::media::DiscModel{};
}

}  // namespace

TEST(PseudoOverwrite, a_pow_bd_r_overwrites_recorded_blocks_and_appends_at_the_nwa) {
    Host h(Profile::bd_r, 100000);
    h.settle();
    EXPECT_FALSE(pow_current(h)) << "a blank BD-R is not formatted for POW";
    ASSERT_TRUE(h.format(0x32, 0xFFFFFFFF, false, 0).good());
    EXPECT_TRUE(pow_current(h));
    EXPECT_EQ(h.configuration().current_profile, uint16_t(Profile::bd_r)) << "still a sequential BD-R";

    // First session as growisofs -Z writes it: one track, closed.
    ASSERT_TRUE(h.write(0, 64, 1).good());
    h.ok(sc::cdb::synchronize_cache());
    h.ok(sc::cdb::close_track_session(1, 1));
    uint32_t next = h.next_writable();
    EXPECT_EQ(next, 64u);

    // The descriptors at the start are rewritten in place; the NWA stays.
    EXPECT_TRUE(h.write(0, 32, 2).good());
    EXPECT_TRUE(h.read_matches(0, 32, 2));
    EXPECT_TRUE(h.read_matches(32, 32, 1));
    EXPECT_EQ(h.next_writable(), next);

    // A write that starts in recorded blocks and runs past the NWA: the
    // recorded part is overwritten, the rest appended.
    ASSERT_TRUE(h.write(next, 64, 3).good());
    EXPECT_TRUE(h.write(next + 48, 32, 4).good());
    EXPECT_TRUE(h.read_matches(next, 48, 3));
    EXPECT_TRUE(h.read_matches(next + 48, 32, 4));
    EXPECT_EQ(h.next_writable(), next + 80);
    // Blank blocks beyond the NWA stay out of reach, as on any sequential disc.
    EXPECT_EQ(h.write(next + 112, 32, 5).sense, sense::invalid_address_for_write);
    h.ok(sc::cdb::synchronize_cache());

    // The format and the replacement count are kept on the disc.
    auto m = saved_model(h);
    EXPECT_TRUE(m.pow);
    EXPECT_EQ(m.pow_replaced, 32u + 16u);
    EXPECT_GT(m.pow_spare, m.pow_replaced);
}

TEST(PseudoOverwrite, without_pow_recorded_blocks_stay_as_written) {
    Host h(Profile::bd_r, 100000);
    h.settle();
    ASSERT_TRUE(h.format(0x32, 0xFFFFFFFF, false, 1).good());  // SRM without POW
    EXPECT_FALSE(pow_current(h));
    ASSERT_TRUE(h.write(0, 64, 1).good());
    h.ok(sc::cdb::synchronize_cache());
    EXPECT_EQ(h.write(0, 32, 2).sense, sense::invalid_address_for_write);
    EXPECT_TRUE(h.read_matches(0, 64, 1));
    // Random recording mode (profile 0042h) is not emulated: refused.
    Host rrm(Profile::bd_r, 100000);
    rrm.settle();
    EXPECT_EQ(rrm.format(0x32, 0xFFFFFFFF, false, 2).sense, sense::invalid_field_in_parameter_list);
    // A recorded BD-R cannot be formatted again.
    EXPECT_EQ(h.format(0x32, 0xFFFFFFFF, false, 0).sense, sense::cannot_format_medium);
}

TEST(PseudoOverwrite, the_spare_area_runs_out) {
    Host h(Profile::bd_r, 100000);
    h.settle();
    ASSERT_TRUE(h.format(0x32, 0xFFFFFFFF, false, 0).good());
    ASSERT_TRUE(h.write(0, 32, 1).good());
    h.ok(sc::cdb::synchronize_cache());
    uint32_t spare = saved_model(h).pow_spare;
    ASSERT_GT(spare, 0u);
    uint32_t used = 0;
    Reply r;
    while ((r = h.write(0, 32, 2)).good() && used <= spare) used += 32;
    EXPECT_LE(used, spare);
    EXPECT_GT(used + 32, spare) << "refused before the spare area was used up";
    EXPECT_EQ(r.sense, sense::no_defect_spare_location);
    EXPECT_TRUE(h.read_matches(0, 32, 2)) << "the refused overwrite left the blocks as they were";
    EXPECT_TRUE(h.write(32, 32, 4).good()) << "appending needs no spare";
}
