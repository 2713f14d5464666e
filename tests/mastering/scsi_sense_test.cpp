#include <gtest/gtest.h>

#include "mastering/scsi/sense.h"

using namespace mastering::scsi;

TEST(Sense, fixed_round_trip_with_information_and_progress) {
    Sense s{SenseKey::not_ready, 0x04, 0x08, 12345u, uint16_t(40000)};
    auto b = encode_fixed_sense(s);
    EXPECT_EQ(b[0], 0xF0);
    EXPECT_EQ(b[7], 10);
    auto d = decode_sense(b);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->key, SenseKey::not_ready);
    EXPECT_EQ(d->asc, 0x04);
    EXPECT_EQ(d->ascq, 0x08);
    EXPECT_EQ(d->information, 12345u);
    EXPECT_EQ(d->progress, 40000);
    EXPECT_EQ(describe(*d), "NOT READY (2/04/08)");
}

TEST(Sense, descriptor_format) {
    const uint8_t b[] = {0x72, 0x05, 0x24, 0x00, 0, 0, 0, 0};
    auto d = decode_sense(b);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->key, SenseKey::illegal_request);
    EXPECT_EQ(d->asc, 0x24);
}

TEST(Sense, malformed) {
    const uint8_t short_fixed[] = {0x70, 0, 5};
    EXPECT_FALSE(decode_sense(short_fixed).ok());
    const uint8_t bad_code[] = {0x10, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    EXPECT_FALSE(decode_sense(bad_code).ok());
    EXPECT_FALSE(decode_sense({}).ok());
}
