// The typed iSCSI PDUs (emulator/iscsi/pdu_scsi.h, pdu_session.h): for each,
// bytes laid out by hand from RFC 7143's figures decode to the expected
// fields and encode back to the same bytes; a value with every field set
// survives encode and decode under every digest combination; and the frame
// decoder refuses a short header, a TotalAHSLength beyond the bytes and a bad
// digest, and the typed decoder a frame of another opcode.
#include <gtest/gtest.h>

#include "emulator/iscsi/pdu_scsi.h"
#include "emulator/iscsi/pdu_session.h"

using namespace emulator::iscsi;

namespace {

std::vector<uint8_t> hex(const std::string& s) {
    std::vector<uint8_t> out;
    std::string digits;
    for (char c : s)
        if (c != ' ') digits.push_back(c);
    for (size_t i = 0; i + 1 < digits.size(); i += 2) out.push_back(uint8_t(std::stoul(digits.substr(i, 2), nullptr, 16)));
    return out;
}

std::vector<uint8_t> text(const std::string& s) { return {s.begin(), s.end()}; }

// `wire` (a whole PDU, no digests) decodes to `expected`, and `expected`
// encodes to `wire`.
template <class T>
void expect_layout(const std::string& wire_hex, const T& expected) {
    auto wire = hex(wire_hex);
    auto frame = decode_frame(wire, 1 << 20, false, false);
    ASSERT_TRUE(frame.ok()) << frame.error().message;
    auto value = T::decode(*frame);
    ASSERT_TRUE(value.ok()) << value.error().message;
    EXPECT_TRUE(*value == expected) << "decoded fields";
    EXPECT_EQ(encode(expected.encode(), false, false), wire) << "encoded bytes";
}

// Encode then decode gives the value back, with and without digests; the
// malformed forms are refused.
template <class T>
void expect_round_trip(const T& value, uint8_t other_opcode) {
    for (bool hd : {false, true})
        for (bool dd : {false, true}) {
            auto wire = encode(value.encode(), hd, dd);
            auto frame = decode_frame(wire, 1 << 20, hd, dd);
            ASSERT_TRUE(frame.ok()) << frame.error().message;
            auto back = T::decode(*frame);
            ASSERT_TRUE(back.ok()) << back.error().message;
            EXPECT_TRUE(*back == value) << "digests " << hd << dd;
        }
    auto wire = encode(value.encode(), true, true);
    // A short header.
    EXPECT_FALSE(decode_frame(std::span(wire).first(bhs_length - 1), 1 << 20, true, true).ok()) << "short header";
    // TotalAHSLength announcing a segment the bytes do not hold.
    auto bad_ahs = wire;
    bad_ahs[4] += 1;
    auto r = decode_frame(bad_ahs, 1 << 20, true, true);
    ASSERT_FALSE(r.ok()) << "bad AHS length";
    EXPECT_NE(r.error().message.find("bytes after it"), std::string::npos) << r.error().message;
    // A header digest that does not match.
    auto bad_digest = wire;
    bad_digest[16] ^= 0x01;
    r = decode_frame(bad_digest, 1 << 20, true, true);
    ASSERT_FALSE(r.ok()) << "bad header digest";
    EXPECT_NE(r.error().message.find("header digest"), std::string::npos) << r.error().message;
    if (!value.encode().data.empty()) {
        auto bad_data = wire;
        bad_data[wire.size() - 5] ^= 0x80;  // the last data or padding byte
        r = decode_frame(bad_data, 1 << 20, true, true);
        ASSERT_FALSE(r.ok()) << "bad data digest";
        EXPECT_NE(r.error().message.find("data digest"), std::string::npos) << r.error().message;
    }
    // Another PDU's frame.
    Pdu other = value.encode();
    other.bhs[0] = uint8_t((other.bhs[0] & 0x40) | other_opcode);
    EXPECT_FALSE(T::decode(other).ok()) << "a frame of another opcode";
}

constexpr Isid k_isid = {0x80, 0x12, 0x34, 0x56, 0x00, 0x01};
const TargetSn k_sn{0x11, 0x08, 0x47};

}  // namespace

TEST(IscsiPdu, scsi_command) {
    ScsiCommand c;
    c.read = true;
    c.attributes = 1;
    c.itt = 0x0a;
    c.expected_length = 4096;
    c.cmd_sn = 7;
    c.exp_stat_sn = 3;
    c.cdb = {0x28, 0, 0, 0, 0, 0x10, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0};
    expect_layout("01c10000 00000000 00000000 00000000 0000000a 00001000 00000007 00000003"
                  " 28000000 00100000 02000000 00000000",
                  c);
    // A 32-byte CDB: its last 16 bytes in an Extended CDB AHS (AHSLength 17,
    // AHSType 1, reserved, the bytes, padding to 4).
    ScsiCommand x = c;
    x.immediate = true;
    x.read = false;
    x.write = true;
    x.final = false;
    x.lun = 0x0001000000000000;
    x.cdb.resize(32);
    for (size_t i = 16; i < 32; ++i) x.cdb[i] = uint8_t(i);
    x.data = text("immediate data");
    auto wire = encode(x.encode(), false, false);
    ASSERT_GE(wire.size(), 48u + 20u);
    EXPECT_EQ(wire[4], 5) << "TotalAHSLength: 20 bytes in words";
    EXPECT_EQ(std::vector<uint8_t>(wire.begin() + 48, wire.begin() + 52), (std::vector<uint8_t>{0, 17, 1, 0}));
    expect_round_trip(x, opcode::data_out);
}

TEST(IscsiPdu, scsi_response) {
    ScsiResponse r;
    r.status = 0x02;
    r.residual = {false, true, 0x1000};
    r.itt = 0x0a;
    r.sn = k_sn;
    r.sense = hex("70000500 0000000a 00000000 24000000 0000");
    expect_layout("21820002 00000014 00000000 00000000 0000000a 00000000 00000011 00000008"
                  " 00000047 00000000 00000000 00001000"
                  " 0012 70000500 0000000a 00000000 24000000 0000",
                  r);
    r.bidi_overflow = r.bidi_underflow = true;
    r.response = 1;
    r.snack_tag = 5;
    r.exp_data_sn = 3;
    r.bidi_residual = 9;
    expect_round_trip(r, opcode::nop_in);
    // SenseLength beyond the data segment.
    Pdu f = r.encode();
    f.data[1] = 40;
    EXPECT_FALSE(ScsiResponse::decode(f).ok());
}

TEST(IscsiPdu, data_out) {
    DataOut d;
    d.final = true;
    d.itt = 0x0b;
    d.ttt = 3;
    d.exp_stat_sn = 0x12;
    d.data_sn = 1;
    d.buffer_offset = 0x2000;
    d.data = hex("deadbeef");
    expect_layout("05800000 00000004 00000000 00000000 0000000b 00000003 00000000 00000012"
                  " 00000000 00000001 00002000 00000000 deadbeef",
                  d);
    d.lun = 7;
    d.data = text("odd length");
    expect_round_trip(d, opcode::scsi_command);
}

TEST(IscsiPdu, data_in) {
    DataIn d;
    d.final = true;
    d.has_status = true;
    d.residual = {false, true, 0x10};
    d.itt = 0x0a;
    d.sn = k_sn;
    d.data_sn = 2;
    d.buffer_offset = 0x800;
    d.data = hex("0102030405060708");
    expect_layout("25830000 00000008 00000000 00000000 0000000a ffffffff 00000011 00000008"
                  " 00000047 00000002 00000800 00000010 01020304 05060708",
                  d);
    d.acknowledge = true;
    d.residual = {true, false, 3};
    d.status = 2;
    d.ttt = 9;
    d.lun = 1;
    expect_round_trip(d, opcode::scsi_response);
}

TEST(IscsiPdu, r2t) {
    R2t r;
    r.itt = 0x0b;
    r.ttt = 3;
    r.sn = k_sn;
    r.r2t_sn = 1;
    r.buffer_offset = 0x40000;
    r.desired_length = 0x40000;
    expect_layout("31800000 00000000 00000000 00000000 0000000b 00000003 00000011 00000008"
                  " 00000047 00000001 00040000 00040000",
                  r);
    r.lun = 2;
    expect_round_trip(r, opcode::data_in);
}

TEST(IscsiPdu, task_management) {
    TaskManagementRequest t;
    t.immediate = true;
    t.function = tmf::abort_task;
    t.itt = 0x20;
    t.referenced_task_tag = 0x0b;
    t.cmd_sn = 9;
    t.exp_stat_sn = 0x12;
    t.ref_cmd_sn = 8;
    expect_layout("42810000 00000000 00000000 00000000 00000020 0000000b 00000009 00000012"
                  " 00000008 00000000 00000000 00000000",
                  t);
    t.lun = 3;
    t.exp_data_sn = 4;
    expect_round_trip(t, opcode::logout_request);

    TaskManagementResponse r{tmf_response::no_such_task, 0x20, {0x12, 9, 0x48}};
    expect_layout("22800100 00000000 00000000 00000000 00000020 00000000 00000012 00000009"
                  " 00000048 00000000 00000000 00000000",
                  r);
    expect_round_trip(r, opcode::logout_response);
}

TEST(IscsiPdu, login) {
    LoginRequest l;
    l.transit = true;
    l.csg = stage::operational;
    l.nsg = stage::full_feature;
    l.isid = k_isid;
    l.cid = 1;
    l.cmd_sn = 1;
    l.exp_stat_sn = 0x2a;
    l.data = text(std::string("HeaderDigest=None\0", 18));
    expect_layout("43870000 00000012 80123456 00010000 00000000 00010000 00000001 0000002a"
                  " 00000000 00000000 00000000 00000000"
                  " 48656164 65724469 67657374 3d4e6f6e 6500 0000",
                  l);
    l.transit = false;
    l.cont = true;
    l.version_max = 2;
    l.tsih = 9;
    l.itt = 0x77;
    expect_round_trip(l, opcode::login_response);

    LoginResponse r;
    r.transit = true;
    r.csg = stage::operational;
    r.nsg = stage::full_feature;
    r.isid = k_isid;
    r.tsih = 5;
    r.sn = {0x2a, 1, 0x40};
    expect_layout("23870000 00000000 80123456 00010005 00000000 00000000 0000002a 00000001"
                  " 00000040 00000000 00000000 00000000",
                  r);
    r.status_class = login_status::initiator_error;
    r.status_detail = login_status::not_found;
    r.data = text(std::string("TargetPortalGroupTag=1\0", 23));
    expect_round_trip(r, opcode::login_request);
}

TEST(IscsiPdu, text) {
    TextRequest t;
    t.itt = 0x30;
    t.cmd_sn = 0x0a;
    t.exp_stat_sn = 0x13;
    t.data = text(std::string("SendTargets=All\0", 16));
    expect_layout("04800000 00000010 00000000 00000000 00000030 ffffffff 0000000a 00000013"
                  " 00000000 00000000 00000000 00000000 53656e64 54617267 6574733d 416c6c00",
                  t);
    t.cont = true;
    t.final = false;
    t.immediate = true;
    t.ttt = 0x1001;
    expect_round_trip(t, opcode::text_response);

    TextResponse r;
    r.final = false;
    r.cont = true;
    r.itt = 0x30;
    r.ttt = 0x1001;
    r.sn = {0x13, 0x0b, 0x4a};
    r.data = text(std::string("X=1\0", 4));
    expect_layout("24400000 00000004 00000000 00000000 00000030 00001001 00000013 0000000b"
                  " 0000004a 00000000 00000000 00000000 583d3100",
                  r);
    expect_round_trip(r, opcode::text_request);
}

TEST(IscsiPdu, logout) {
    LogoutRequest l;
    l.immediate = true;
    l.itt = 0x31;
    l.cid = 1;
    l.cmd_sn = 0x0b;
    l.exp_stat_sn = 0x14;
    expect_layout("46800000 00000000 00000000 00000000 00000031 00010000 0000000b 00000014"
                  " 00000000 00000000 00000000 00000000",
                  l);
    l.reason = logout_reason::remove_for_recovery;
    expect_round_trip(l, opcode::task_management);

    LogoutResponse r;
    r.itt = 0x31;
    r.sn = {0x14, 0x0c, 0x4b};
    r.time2wait = 2;
    r.time2retain = 0x14;
    expect_layout("26800000 00000000 00000000 00000000 00000031 00000000 00000014 0000000c"
                  " 0000004b 00000000 00020014 00000000",
                  r);
    r.response = 2;
    expect_round_trip(r, opcode::r2t);
}

TEST(IscsiPdu, nop) {
    NopOut n;
    n.immediate = true;
    n.itt = 0x40;
    n.cmd_sn = 0x0c;
    n.exp_stat_sn = 0x15;
    n.data = {9, 9};
    expect_layout("40800000 00000002 00000000 00000000 00000040 ffffffff 0000000c 00000015"
                  " 00000000 00000000 00000000 00000000 09090000",
                  n);
    n.lun = 5;
    n.ttt = 7;
    expect_round_trip(n, opcode::nop_in);

    NopIn p;
    p.ttt = 7;
    p.sn = {0x15, 0x0d, 0x4c};
    expect_layout("20800000 00000000 00000000 00000000 ffffffff 00000007 00000015 0000000d"
                  " 0000004c 00000000 00000000 00000000",
                  p);
    p.itt = 0x40;
    p.data = {1, 2, 3, 4, 5};
    expect_round_trip(p, opcode::nop_out);
}

TEST(IscsiPdu, reject) {
    const std::string rejected = "40800000 00000002 00000000 00000000 00000040 ffffffff 0000000c 00000015"
                                 " 00000000 00000000 00000000 00000000";
    Reject r;
    r.reason = reject_reason::protocol_error;
    r.sn = {0x15, 0x0d, 0x4c};
    r.header = hex(rejected);
    expect_layout("3f800400 00000030 00000000 00000000 ffffffff 00000000 00000015 0000000d"
                  " 0000004c 00000000 00000000 00000000 " + rejected,
                  r);
    r.data_sn = 3;
    expect_round_trip(r, opcode::nop_in);
}

TEST(IscsiPdu, the_frame_encoder_writes_lengths_and_digests_for_data_sent_from_elsewhere) {
    // Data-In's header is framed for data that lie in a buffer or a file:
    // the same bytes as the whole PDU encoded with its data.
    DataIn d;
    d.itt = 1;
    d.data = text("twelve bytes");
    auto whole = encode(d.encode(), true, true);
    DataIn header_only = d;
    header_only.data.clear();
    Pdu h = header_only.encode();
    std::vector<uint8_t> head(header_size(h, true));
    encode_header(h, uint32_t(d.data.size()), true, head);
    auto tail = encode_data_tail(d.data.size(), d.data.data());
    std::vector<uint8_t> pieced = head;
    pieced.insert(pieced.end(), d.data.begin(), d.data.end());
    pieced.insert(pieced.end(), tail.bytes.begin(), tail.bytes.begin() + long(tail.size));
    EXPECT_EQ(pieced, whole);
    EXPECT_EQ(encode_data_tail(0, nullptr).size, 0u) << "nothing follows an empty data segment";
    EXPECT_EQ(encode_data_tail(5, nullptr).size, 3u) << "padding only, without a data digest";
}
