// Issue 4: the iSCSI codec on its own: CRC32C digests against the published
// check values, PDU framing with padding and digests, text keys.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "emulator/iscsi/crc32c.h"
#include "emulator/iscsi/login.h"
#include "emulator/iscsi/pdu.h"

using namespace emulator::iscsi;

namespace {

// Bit-at-a-time CRC32C (reflected polynomial 0x82F63B78): the reference the
// fast implementation must agree with.
uint32_t crc32c_bitwise(const uint8_t* p, size_t n) {
    uint32_t c = 0xFFFFFFFF;
    for (size_t i = 0; i < n; ++i) {
        c ^= p[i];
        for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0x82F63B78 & (0u - (c & 1)));
    }
    return ~c;
}

std::vector<uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }

Pdu login_request(const std::string& text) {
    LoginRequest l;
    l.transit = true;  // T, CSG=0 NSG=3
    l.csg = 0;
    l.nsg = 3;
    l.itt = 0x1234;
    l.data = bytes(text);
    return l.encode();
}

Result<Pdu> decode(const std::vector<uint8_t>& wire, bool hd, bool dd) {
    std::span<const uint8_t, bhs_length> header(wire.data(), bhs_length);
    auto f = check_header(header, 1 << 20, hd, dd);
    if (!f.ok()) return f.error();
    if (f->rest() != wire.size() - bhs_length) return mastering::make_error(mastering::Errc::corrupt, "length");
    Pdu p;
    std::memcpy(p.bhs.data(), wire.data(), bhs_length);
    auto st = fill(p, *f, header, std::span(wire).subspan(bhs_length));
    if (!st.ok()) return st.error();
    return p;
}

}  // namespace

TEST(IscsiCodec, crc32c_matches_the_published_check_values) {
    const std::string check = "123456789";
    EXPECT_EQ(crc32c(check.data(), check.size()), 0xE3069283u);
    // RFC 3720 appendix B.4: 32 bytes of zeros, of ones, ascending, descending.
    std::vector<uint8_t> zeros(32, 0), ones(32, 0xFF), up(32), down(32);
    for (int i = 0; i < 32; ++i) {
        up[i] = uint8_t(i);
        down[i] = uint8_t(31 - i);
    }
    EXPECT_EQ(crc32c(zeros.data(), 32), 0x8A9136AAu);
    EXPECT_EQ(crc32c(ones.data(), 32), 0x62A8AB43u);
    EXPECT_EQ(crc32c(up.data(), 32), 0x46DD794Eu);
    EXPECT_EQ(crc32c(down.data(), 32), 0x113FDB5Cu);
}

TEST(IscsiCodec, crc32c_agrees_with_the_bitwise_reference_at_every_alignment_and_when_chained) {
    std::mt19937 rng(7);
    std::vector<uint8_t> buf(70000);
    for (auto& b : buf) b = uint8_t(rng());
    for (size_t off : {0, 1, 3, 7, 13})
        for (size_t len : {0, 1, 2, 5, 8, 15, 16, 63, 64, 1000, 4096, 65536}) {
            EXPECT_EQ(crc32c(buf.data() + off, len), crc32c_bitwise(buf.data() + off, len)) << off << "+" << len;
            size_t half = len / 3;
            EXPECT_EQ(crc32c(buf.data() + off + half, len - half, crc32c(buf.data() + off, half)),
                      crc32c_bitwise(buf.data() + off, len))
                << "chained " << off << "+" << len;
        }
}

TEST(IscsiCodec, pdus_round_trip_with_padding_and_every_digest_combination) {
    for (bool hd : {false, true})
        for (bool dd : {false, true})
            for (size_t n : {0, 1, 2, 3, 4, 5, 255, 8192}) {
                Pdu p = login_request(std::string(n, 'k'));
                auto wire = encode(p, hd, dd);
                size_t padded = (n + 3) / 4 * 4;
                EXPECT_EQ(wire.size(), bhs_length + (hd ? 4 : 0) + padded + (dd && n ? 4 : 0));
                EXPECT_EQ(wire[5] << 16 | wire[6] << 8 | wire[7], int(n)) << "DataSegmentLength excludes padding";
                for (size_t i = bhs_length + (hd ? 4 : 0) + n; i < bhs_length + (hd ? 4 : 0) + padded; ++i)
                    EXPECT_EQ(wire[i], 0) << "padding is zeros";
                auto back = decode(wire, hd, dd);
                ASSERT_TRUE(back.ok()) << back.error().message;
                auto expected = p.bhs;  // encode() fills in the DataSegmentLength
                expected[5] = uint8_t(n >> 16);
                expected[6] = uint8_t(n >> 8);
                expected[7] = uint8_t(n);
                EXPECT_EQ(back->bhs, expected);
                EXPECT_EQ(back->data, p.data);
            }
}

TEST(IscsiCodec, corrupted_digests_are_detected) {
    Pdu p = login_request("InitiatorName=iqn.2026-11.org.example:x");
    auto wire = encode(p, true, true);
    auto bad_header = wire;
    bad_header[20] ^= 1;  // in the BHS: the header digest no longer matches
    auto r = decode(bad_header, true, true);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("header digest"), std::string::npos) << r.error().message;
    auto bad_data = wire;
    bad_data[bhs_length + 4 + 3] ^= 0x40;
    r = decode(bad_data, true, true);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("data digest"), std::string::npos) << r.error().message;
}

TEST(IscsiCodec, headers_are_checked_before_the_payload_is_read) {
    std::array<uint8_t, bhs_length> h{};
    h[0] = opcode::data_in;  // a target opcode from an initiator
    auto r = check_header(h, 8192, false, false);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("SCSI Data-In"), std::string::npos) << r.error().message;
    h[0] = 0x1A;  // no such opcode
    EXPECT_FALSE(check_header(h, 8192, false, false).ok());
    h[0] = opcode::nop_out;
    h[5] = 0xFF;  // 16 MiB data segment
    r = check_header(h, 8192, false, false);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("at most 8192"), std::string::npos) << r.error().message;
    h[5] = 0;
    h[4] = 2;  // AHS on a NOP-Out
    EXPECT_FALSE(check_header(h, 8192, false, false).ok());
    h[0] = opcode::scsi_command;  // a SCSI Command may carry AHS (extended CDB)
    auto ok = check_header(h, 8192, true, true);
    ASSERT_TRUE(ok.ok());
    EXPECT_EQ(ok->rest(), 8u + 4u) << "AHS + header digest, no data digest without data";
}

TEST(IscsiCodec, text_keys_parse_encode_and_refuse_garbage) {
    auto keys = parse_keys(bytes(std::string("HeaderDigest=CRC32C,None\0MaxBurstLength=262144\0\0X-a.b=\0", 55)));
    ASSERT_TRUE(keys.ok()) << keys.error().message;
    ASSERT_EQ(keys->size(), 3u);
    EXPECT_EQ((*keys)[0], (std::pair<std::string, std::string>{"HeaderDigest", "CRC32C,None"}));
    EXPECT_EQ((*keys)[2], (std::pair<std::string, std::string>{"X-a.b", ""}));
    auto again = parse_keys(encode_keys(*keys));
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *keys);
    EXPECT_FALSE(parse_keys(bytes(std::string("NoEquals\0", 9))).ok());
    EXPECT_FALSE(parse_keys(bytes(std::string("=value\0", 7))).ok());
    EXPECT_FALSE(parse_keys(bytes(std::string("Bad Key=1\0", 10))).ok());
    EXPECT_FALSE(parse_keys(bytes(std::string(64, 'K') + "=1")).ok()) << "keys are at most 63 bytes";
    EXPECT_FALSE(parse_keys(bytes("K=" + std::string(8193, 'v'))).ok()) << "values are at most 8192 bytes";
    std::string many;
    for (int i = 0; i < 600; ++i) many += "K" + std::to_string(i) + "=1" + std::string(1, '\0');
    EXPECT_FALSE(parse_keys(bytes(many)).ok());
}
