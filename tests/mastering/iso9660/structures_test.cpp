#include <gtest/gtest.h>

#include <cstring>
#include <set>

#include "mastering/codec/iso_date.h"
#include "mastering/iso9660/names.h"
#include "mastering/iso9660/structures.h"
#include "mastering/joliet/names.h"

using namespace mastering;
using namespace mastering::iso9660;

TEST(IsoDate, round_trips) {
    for (int64_t t : {int64_t(0) + 86400, int64_t(951782400) /* 2000-02-29 */, int64_t(1795550400), int64_t(4102444799)}) {
        std::byte b7[7], b17[17];
        codec::encode_date7(t, b7);
        EXPECT_EQ(codec::decode_date7(b7), t);
        codec::encode_date17(t, b17);
        EXPECT_EQ(codec::decode_date17(b17), t);
    }
    std::byte zeros[17];
    codec::encode_date17(0, zeros);
    EXPECT_EQ(char(zeros[0]), '0');
    EXPECT_EQ(codec::decode_date17(zeros), 0);
    std::byte junk[7] = {std::byte{100}, std::byte{13}, std::byte{40}};
    EXPECT_EQ(codec::decode_date7(junk), 0) << "invalid month/day decodes as 'unknown'";
}

TEST(DirectoryRecord, round_trip_and_padding) {
    DirectoryRecord r;
    r.extent = 1234;
    r.data_length = 5678;
    r.flags = flag::multi_extent;
    r.recorded = 1700000000;
    r.identifier = "AB.TXT;1";  // even length: one padding byte
    r.system_use = "PX";
    std::byte buf[255] = {};
    size_t n = encode_directory_record(r, buf);
    EXPECT_EQ(n, 33u + 8 + 1 + 2);
    EXPECT_EQ(codec::u8(buf[0]), n);
    auto d = decode_directory_record(codec::Bytes(buf, n));
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(d->extent, 1234u);
    EXPECT_EQ(d->data_length, 5678u);
    EXPECT_EQ(d->flags, flag::multi_extent);
    EXPECT_EQ(d->identifier, "AB.TXT;1");
    EXPECT_EQ(d->system_use, "PX");
    EXPECT_EQ(d->recorded, 1700000000);
    EXPECT_TRUE(d->endian_consistent);
}

TEST(DirectoryRecord, malformed) {
    std::byte buf[64] = {};
    buf[0] = std::byte{20};  // shorter than 33
    EXPECT_FALSE(decode_directory_record(codec::Bytes(buf, 64)).ok());
    buf[0] = std::byte{40};
    buf[32] = std::byte{20};  // identifier longer than the record
    EXPECT_FALSE(decode_directory_record(codec::Bytes(buf, 64)).ok());
    buf[32] = std::byte{1};
    EXPECT_FALSE(decode_directory_record(codec::Bytes(buf, 35)).ok()) << "record crossing the end of its buffer";
    EXPECT_FALSE(decode_directory_record({}).ok());
    // Inconsistent both-endian halves are reported, not fatal.
    buf[0] = std::byte{34};
    buf[2] = std::byte{5};
    auto d = decode_directory_record(codec::Bytes(buf, 64));
    ASSERT_TRUE(d.ok());
    EXPECT_FALSE(d->endian_consistent);
}

TEST(VolumeDescriptor, round_trip_primary_and_joliet) {
    VolumeDescriptor vd;
    vd.volume_id = "TESTVOL";
    vd.system_id = "LINUX";
    vd.volume_space_size = 999;
    vd.path_table_size = 10;
    vd.l_path_table = 19;
    vd.m_path_table = 20;
    vd.root.extent = 21;
    vd.root.data_length = 2048;
    vd.root.flags = flag::directory;
    vd.created = 1700000000;
    std::vector<std::byte> block(2048);
    encode_volume_descriptor(vd, block.data());
    auto d = decode_volume_descriptor(block);
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(d->type, VdType::primary);
    EXPECT_EQ(d->volume_space_size, 999u);
    EXPECT_EQ(d->root.extent, 21u);
    EXPECT_EQ(d->created, 1700000000);
    EXPECT_EQ(d->volume_id.substr(0, 7), "TESTVOL");
    EXPECT_FALSE(d->is_joliet());
    vd.type = VdType::supplementary;
    vd.escape_sequences = "%/E";
    encode_volume_descriptor(vd, block.data());
    d = decode_volume_descriptor(block);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->joliet_level(), 3);
    block[1] = std::byte{'X'};
    EXPECT_FALSE(decode_volume_descriptor(block).ok());
    EXPECT_FALSE(decode_volume_descriptor(codec::Bytes(block.data(), 100)).ok());
}

TEST(PathTable, both_endians) {
    PathTableRecord r{"SUBDIR", 0, 0x12345678, 3};
    std::byte le[32], be[32];
    size_t n = encode_path_table_record(r, false, le);
    EXPECT_EQ(n, 14u);
    encode_path_table_record(r, true, be);
    EXPECT_EQ(codec::load_le32(le + 2), 0x12345678u);
    EXPECT_EQ(codec::load_be32(be + 2), 0x12345678u);
    auto d = decode_path_table_record(codec::Bytes(be, n), true);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->identifier, "SUBDIR");
    EXPECT_EQ(d->parent, 3);
    EXPECT_FALSE(decode_path_table_record(codec::Bytes(le, 5), false).ok());
}

TEST(Names, levels_map_to_d_characters) {
    std::vector<model::NameRequest> req = {{"readme.md", false}, {"Long file name.text", false}, {"my dir", true},
                                    {"ünïcode.txt", false}, {"noext", false}};
    auto l1 = map_identifiers(req, NamePolicy::level1);
    EXPECT_EQ(l1[0], "README.MD;1");
    EXPECT_EQ(l1[1], "LONG_FIL.TEX;1");
    EXPECT_EQ(l1[2], "MY_DIR");
    EXPECT_EQ(l1[3], "_N_CODE.TXT;1");
    EXPECT_EQ(l1[4], "NOEXT.;1");
    auto l2 = map_identifiers(req, NamePolicy::level2);
    EXPECT_EQ(l2[1], "LONG_FILE_NAME.TEXT;1");
    auto rel = map_identifiers(req, NamePolicy::relaxed);
    EXPECT_EQ(rel[3], "ünïcode.txt");
}

TEST(Names, collisions_are_resolved_deterministically) {
    std::vector<model::NameRequest> req = {{"a b.txt", false}, {"a_b.txt", false}, {"A B.TXT", false}, {"a?b.txt", false}};
    auto ids = map_identifiers(req, NamePolicy::level2);
    std::set<std::string> unique(ids.begin(), ids.end());
    EXPECT_EQ(unique.size(), ids.size());
    // The same set in another order maps each name to the same identifier.
    std::vector<model::NameRequest> rev(req.rbegin(), req.rend());
    auto ids2 = map_identifiers(rev, NamePolicy::level2);
    for (size_t i = 0; i < req.size(); ++i) EXPECT_EQ(ids[i], ids2[req.size() - 1 - i]);
    // 1,000 names that all map to the same 8.3 name.
    std::vector<std::string> names;
    std::vector<model::NameRequest> many;
    for (int i = 0; i < 1000; ++i) names.push_back("samestem_" + std::to_string(i) + ".dat");
    for (auto& n : names) many.push_back({n, false});
    auto l1 = map_identifiers(many, NamePolicy::level1);
    std::set<std::string> u1(l1.begin(), l1.end());
    EXPECT_EQ(u1.size(), 1000u);
    for (auto& id : l1) EXPECT_LE(id.size(), 8u + 1 + 3 + 2) << id;
}

TEST(Names, ecma119_order) {
    EXPECT_TRUE(identifier_less("A.B;1", "A.B0;1"));
    EXPECT_TRUE(identifier_less("AB.TXT;1", "ABC.TXT;1"));
    EXPECT_TRUE(identifier_less("A.;1", "A0.;1"));
    EXPECT_FALSE(identifier_less("B", "A"));
    EXPECT_TRUE(identifier_less("X.Y;2", "X.Y;1")) << "higher version first";
}

TEST(JolietNames, ucs2_limits_and_collisions) {
    std::string long_name(100, 'x');
    std::string n1 = long_name + ".txt", n2 = long_name + ".txt2";  // NameRequest views these
    std::vector<model::NameRequest> req = {{n1, false}, {n2, false}, {"a:b*c.txt", false}, {"emoji_😀.txt", false}, {"dir", true}};
    auto ids = joliet::map_identifiers(req);
    for (size_t i = 0; i < req.size(); ++i) {
        std::string id = ids[i];
        size_t chars = id.size() / 2 - (req[i].directory ? 0 : 2);
        EXPECT_LE(chars, joliet::max_name_chars);
    }
    EXPECT_EQ(ids[0].substr(ids[0].size() - 12), std::string("\0.\0t\0x\0t\0;\0" "1", 12));
    EXPECT_NE(ids[0], ids[1]);
    EXPECT_EQ(ids[2].substr(0, 12), std::string("\0a\0_\0b\0_\0c\0.", 12));
    EXPECT_EQ(ids[3].substr(10, 2), std::string("\0_", 2)) << "outside the BMP becomes '_'";
    EXPECT_EQ(ids[4], std::string("\0d\0i\0r", 6));
}
