#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <vector>

#include "mastering/codec/bytes.h"
#include "mastering/codec/cursor.h"
#include "mastering/codec/result.h"

using namespace mastering;
using namespace mastering::codec;

TEST(Bytes, both_endian_round_trip) {
    std::array<std::byte, 8> b{};
    store_both32(b.data(), 0x01020304);
    EXPECT_EQ(u8(b[0]), 0x04);
    EXPECT_EQ(u8(b[7]), 0x04);
    EXPECT_EQ(u8(b[4]), 0x01);
    auto v = load_both32(b.data());
    EXPECT_EQ(v.value, 0x01020304u);
    EXPECT_TRUE(v.consistent);
    b[7] = std::byte{0x05};
    v = load_both32(b.data());
    EXPECT_EQ(v.value, 0x01020304u);  // the little-endian half is the truth
    EXPECT_FALSE(v.consistent);
}

TEST(Bytes, widths) {
    std::array<std::byte, 8> b{};
    store_be24(b.data(), 0xABCDEF);
    EXPECT_EQ(load_be24(b.data()), 0xABCDEFu);
    store_le64(b.data(), 0x1122334455667788ull);
    EXPECT_EQ(load_le64(b.data()), 0x1122334455667788ull);
    EXPECT_EQ(u8(b[0]), 0x88);
    store_be64(b.data(), 0x1122334455667788ull);
    EXPECT_EQ(load_be64(b.data()), 0x1122334455667788ull);
    EXPECT_EQ(u8(b[0]), 0x11);
}

TEST(Bytes, all_zero_finds_one_set_bit_anywhere) {
    EXPECT_TRUE(all_zero({}));
    for (size_t n : {size_t(1), size_t(2), size_t(7), size_t(2048)}) {
        std::vector<std::byte> b(n);
        EXPECT_TRUE(all_zero(b)) << n;
        for (size_t i = 0; i < n; ++i) {
            b[i] = std::byte{0x80};
            EXPECT_FALSE(all_zero(b)) << n << " " << i;
            b[i] = std::byte{0};
        }
        std::fill(b.begin(), b.end(), std::byte{1});  // equal neighbours, none zero
        EXPECT_FALSE(all_zero(b)) << n;
    }
}

TEST(ByteCursor, short_input_is_an_error_not_ub) {
    std::array<std::byte, 5> b{std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}, std::byte{5}};
    ByteCursor c(b);
    EXPECT_EQ(c.be16(), 0x0102);
    EXPECT_TRUE(c.finish("x").ok());
    EXPECT_EQ(c.be32(), 0u);  // only 3 bytes left
    EXPECT_TRUE(c.failed());
    EXPECT_EQ(c.u8(), 0u);    // sticky
    auto st = c.finish("header");
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, Errc::corrupt);
    EXPECT_NE(st.error().message.find("header"), std::string::npos);
}

namespace {
Result<int> half(int v) {
    if (v % 2) return make_error(Errc::invalid_argument, "odd");
    return v / 2;
}
Result<int> quarter(int v) {
    int h = DM_TRY(half(v));
    return DM_TRY(half(h));
}
}  // namespace

TEST(Result, try_propagates_errors) {
    EXPECT_EQ(quarter(8).value(), 2);
    auto r = quarter(6);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message, "odd");
    EXPECT_EQ(r.error().with_context("reading").message, "reading: odd");
}
