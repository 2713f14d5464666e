// The drive's write modes (docs/drive-model.md "Write modes"): a session
// written at once from a cue sheet keeps its mode and sector format until it
// closes, whatever page 05 says meanwhile; then the medium's mode is back.
#include <gtest/gtest.h>

#include <cstring>

#include "tests/emulator/mmc_host.h"

using namespace dmtest;
namespace sense = sc::sense;

namespace {

// Raw mode 1 sectors: 12 sync bytes, 4 header bytes, the user data
// (pattern()), 288 bytes of EDC/ECC filler.
std::vector<std::byte> raw_sectors(int64_t lba, uint32_t n) {
    std::vector<std::byte> out(size_t(n) * 2352, std::byte{0xA5});
    auto user = pattern(lba, n);
    for (uint32_t i = 0; i < n; ++i) {
        std::byte* s = out.data() + size_t(i) * 2352;
        std::memset(s, 0xFF, 12);
        std::memset(s + 12, 0, 4);
        std::memcpy(s + 16, user.data() + size_t(i) * 2048, 2048);
    }
    return out;
}

}  // namespace

TEST(WriteModes, a_cue_sheet_session_keeps_its_mode_until_it_closes) {
    Host h(Profile::cd_r);
    h.settle();
    sc::WriteParameters raw;
    raw.write_type = 3;  // raw
    raw.multisession = 3;
    raw.data_block_type = 1;  // 2352-byte raw sectors
    ASSERT_TRUE(h.mode_select_05(raw).good());
    constexpr uint32_t blocks = 200;
    ASSERT_TRUE(h.send_cue_sheet({Host::cue_entry(1, 0, 0x11, -150), Host::cue_entry(1, 1, 0x11, 0),
                                  Host::cue_entry(0xAA, 1, 0x11, blocks)})
                    .good());
    for (int64_t lba = -150; lba < 100; lba += 50)
        h.ok(sc::cdb::write10(uint32_t(int32_t(lba)), 50), raw_sectors(lba, 50));

    // Page 05 back to track at once in the middle of the session: the cue
    // sheet's session goes on in its mode, with its raw sectors.
    sc::WriteParameters tao;
    tao.write_type = 1;
    tao.multisession = 3;
    ASSERT_TRUE(h.mode_select_05(tao).good());
    EXPECT_EQ(int32_t(h.track_info(1, 0xFF).next_writable), 100) << "where the cue sheet's write goes on";
    auto cooked = pattern(100, 50);
    EXPECT_EQ(h.cmd(sc::cdb::write10(100, 50), cooked).sense, sense::invalid_field_in_cdb)
        << "2048-byte blocks are too short for the session's raw sectors";
    h.ok(sc::cdb::write10(100, 50), raw_sectors(100, 50));
    h.ok(sc::cdb::write10(150, 50), raw_sectors(150, 50));
    h.ok(sc::cdb::synchronize_cache());
    EXPECT_TRUE(h.wait_ready());
    EXPECT_TRUE(h.read_matches(0, blocks)) << "the user data of the raw sectors";
    auto info = h.disc_info();
    EXPECT_EQ(info.sessions, 2) << "the session closed at SYNCHRONIZE CACHE, the disc stays appendable";
    EXPECT_EQ(info.last_session_state, 0);

    // The session closed: the medium's mode (track at once) is back, with
    // 2048-byte blocks at the next writable address.
    uint32_t next = h.next_writable();
    EXPECT_TRUE(h.write(next, 32, 7, 32).good());
    h.ok(sc::cdb::synchronize_cache());
    EXPECT_TRUE(h.wait_ready());
    EXPECT_TRUE(h.read_matches(next, 32, 7));
    EXPECT_FALSE(h.track_info(1, 2).nwa_valid) << "the TAO track closed at SYNCHRONIZE CACHE";
}
