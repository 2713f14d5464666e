#include <gtest/gtest.h>

#include <set>

#include "mastering/media/profile.h"
#include "mastering/media/toc.h"

using namespace mastering::media;

TEST(Profile, names_round_trip_and_are_unique) {
    std::set<std::string_view> names;
    for (const auto& p : all_profiles()) {
        auto back = profile_from_name(p.name);
        ASSERT_TRUE(back.has_value()) << p.name;
        // dvd-rw names both recording modes of the medium; the name picks sequential.
        if (p.profile != Profile::dvd_rw_ro) {
            EXPECT_EQ(*back, p.profile) << p.name;
            EXPECT_TRUE(names.insert(p.name).second) << p.name;
        }
    }
    for (auto n : {"cd-r", "cd-rw", "dvd-r", "dvd-rw", "dvd+r", "dvd+r-dl", "dvd+rw", "dvd-ram", "bd-r", "bd-re",
                   "cd-rom", "dvd-rom", "bd-rom"})
        EXPECT_TRUE(profile_from_name(n).has_value()) << n;
    EXPECT_FALSE(profile_from_name("floppy").has_value());
}

TEST(Profile, classes) {
    EXPECT_TRUE(is_sequential(Profile::cd_r));
    EXPECT_TRUE(is_sequential(Profile::dvd_rw));
    EXPECT_TRUE(is_overwritable(Profile::bd_re));
    EXPECT_FALSE(is_writable(Profile::dvd_rom));
    EXPECT_EQ(profile_info(Profile::dvd_plus_r).capacity_blocks, 2295104u);
    EXPECT_EQ(profile_info(Profile::bd_r).closed_as, Profile::bd_rom);
}

TEST(Toc, state_names_round_trip) {
    for (auto s : {DiscState::blank, DiscState::appendable, DiscState::complete, DiscState::other})
        EXPECT_EQ(disc_state_from_string(to_string(s)), s);
    for (auto s : {TrackState::invisible, TrackState::incomplete, TrackState::reserved, TrackState::complete})
        EXPECT_EQ(track_state_from_string(to_string(s)), s);
    EXPECT_FALSE(session_state_from_string("nonsense").has_value());
}
