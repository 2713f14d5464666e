// Shared by the UDF descriptor tests: encode a value, decode it back, and
// check the damage every decode of a tagged descriptor must refuse.
#pragma once

#include <gtest/gtest.h>

#include <vector>

#include "mastering/udf/descriptors.h"

namespace udftest {

using namespace mastering;
using namespace mastering::udf;

// `v` encoded into a zeroed block; `bytes`: how many of them decoding needs
// (the descriptor's end). Decoding gives `v` back; a buffer one byte short,
// a broken checksum, a broken CRC, another location and another tag
// identifier are errors.
template <typename T, typename Decode>
void check_descriptor(const T& v, Decode decode, size_t bytes, TagId id) {
    std::vector<std::byte> b(block_size);
    encode(v, b.data());
    auto d = decode(codec::Bytes(b), v.tag.location);
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_TRUE(*d == v) << "the round trip changed the value";
    auto exact = decode(codec::Bytes(b).first(bytes), v.tag.location);
    EXPECT_TRUE(exact.ok() && *exact == v) << "its own bytes are enough";
    EXPECT_FALSE(decode(codec::Bytes(b).first(bytes - 1), v.tag.location).ok()) << "one byte short";
    EXPECT_FALSE(decode(codec::Bytes(b).first(8), v.tag.location).ok()) << "a piece of a tag";
    auto checksum = b;
    checksum[7] ^= std::byte{1};  // the serial number's high byte, under the checksum
    EXPECT_FALSE(decode(codec::Bytes(checksum), v.tag.location).ok()) << "checksum";
    auto crc = b;
    crc[16] ^= std::byte{0x80};  // the first byte the CRC covers
    auto c = decode(codec::Bytes(crc), v.tag.location);
    ASSERT_FALSE(c.ok()) << "CRC";
    EXPECT_NE(c.error().message.find("CRC"), std::string::npos) << c.error().message;
    EXPECT_FALSE(decode(codec::Bytes(b), v.tag.location + 1).ok()) << "another location";
    auto other = b;
    finish_tag(other.data(), id == TagId::terminating ? TagId::anchor : TagId::terminating, v.tag, bytes);
    EXPECT_FALSE(decode(codec::Bytes(other), v.tag.location).ok()) << "another descriptor";
}

}  // namespace udftest
