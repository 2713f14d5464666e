// UDF primitives (mastering/udf/descriptors) and the reader's behaviour on
// damaged volumes.
#include <gtest/gtest.h>

#include <cstring>

#include "mastering/image/file_system_image.h"
#include "mastering/image/image_file.h"
#include "mastering/image/open_file_system.h"
#include "mastering/udf/descriptors.h"
#include "mastering/udf/reader.h"
#include "tests/support/support.h"

using namespace mastering;
using namespace mastering::udf;

TEST(UdfDescriptors, crc_itu_t_check_value) {
    // CRC-16/XMODEM (ECMA-167 1/7.2.6: polynomial 0x1021, initial 0) of "123456789".
    const char* s = "123456789";
    EXPECT_EQ(crc_itu(reinterpret_cast<const std::byte*>(s), 9), 0x31C3);
    // Eight bytes at a time, then one: the same as one bit at a time, for
    // every length up to 100 and every start within a word.
    std::vector<std::byte> buf(128);
    for (size_t i = 0; i < buf.size(); ++i) buf[i] = std::byte(uint8_t(i * 37 + 11));
    auto bitwise = [](const std::byte* p, size_t n) {
        uint16_t crc = 0;
        for (size_t i = 0; i < n; ++i) {
            crc ^= uint16_t(uint16_t(p[i]) << 8);
            for (int k = 0; k < 8; ++k) crc = uint16_t((crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1);
        }
        return crc;
    };
    for (size_t start = 0; start < 8; ++start)
        for (size_t n = 0; n <= 100; ++n)
            ASSERT_EQ(crc_itu(buf.data() + start, n), bitwise(buf.data() + start, n)) << start << " " << n;
}

TEST(UdfDescriptors, tag_checksum_crc_and_location_are_checked) {
    std::vector<std::byte> d(512);
    d[100] = std::byte{0x5A};
    finish_tag(d.data(), TagId::anchor, DescriptorTag{3, 1, 256}, 512);
    auto t = check_tag(d, 256u);
    ASSERT_TRUE(t.ok()) << t.error().message;
    EXPECT_EQ(t->id, 2);
    EXPECT_FALSE(check_tag(d, 257u).ok()) << "wrong location";
    d[100] = std::byte{0x5B};
    EXPECT_FALSE(check_tag(d, 256u).ok()) << "CRC";
    d[100] = std::byte{0x5A};
    d[6] = std::byte{9};  // serial number without a new checksum
    EXPECT_FALSE(check_tag(d, 256u).ok()) << "checksum";
}

TEST(UdfDescriptors, compressed_unicode_round_trips) {
    for (std::string s : {"plain.txt", "Ünïcødé", "日本語", "emoji_😀_x", ""}) {
        std::string cs0 = encode_cs0(s, 255);
        EXPECT_EQ(decode_cs0(reinterpret_cast<const std::byte*>(cs0.data()), cs0.size()), s);
    }
    EXPECT_EQ(encode_cs0("abc", 255)[0], 8) << "8-bit form when every character fits";
    EXPECT_EQ(encode_cs0("日", 255)[0], 16);
    EXPECT_EQ(encode_cs0("😀", 255).size(), 5u) << "a surrogate pair beyond the BMP";
    EXPECT_EQ(encode_cs0(std::string(300, 'a'), 255).size(), 255u);
    std::byte field[32];
    encode_dstring(field, 32, "VOLUME");
    EXPECT_EQ(codec::u8(field[31]), 7);
    EXPECT_EQ(decode_dstring(field, 32), "VOLUME");
}

TEST(UdfDescriptors, timestamps_and_revisions) {
    std::byte ts[12];
    encode_timestamp(ts, {1700000000, 123456000});
    auto [sec, nsec] = decode_timestamp(ts);
    EXPECT_EQ(sec, 1700000000);
    EXPECT_EQ(nsec, 123456000u);
    EXPECT_EQ(codec::load_le16(ts), 0x1000) << "type 1, UTC";
    // A recorded offset (type 1, -300 minutes) is applied; nonsense is the epoch.
    codec::store_le16(ts, uint16_t(0x1000 | (0x1000 - 300)));
    EXPECT_EQ(decode_timestamp(ts).sec, 1700000000 + 300 * 60);
    ts[4] = std::byte{13};
    EXPECT_EQ(decode_timestamp(ts), (model::Timestamp{0, 0})) << "month 13";
    encode_timestamp(ts, {-62135596800 - 86400, 0});  // the day before 0001-01-01
    EXPECT_EQ(codec::load_le16(ts + 2), 1) << "years before 1 are written as 1";
    EXPECT_EQ(revision_from_text("2.50"), 0x0250);
    EXPECT_EQ(revision_text(0x0102), "1.02");
    EXPECT_FALSE(revision_from_text("3.00"));
}

TEST(UdfDescriptors, a_tag_is_expected_whole_with_its_identifier_and_location) {
    std::vector<std::byte> d(512);
    d[300] = std::byte{7};
    finish_tag(d.data(), TagId::primary_volume, DescriptorTag{2, 9, 40}, 512);
    auto t = expect_tag(d, TagId::primary_volume, 40u, "primary", 512);
    ASSERT_TRUE(t.ok()) << t.error().message;
    EXPECT_EQ(*t, (DescriptorTag{2, 9, 40}));
    EXPECT_EQ(peek_tag_id(d), 1);
    EXPECT_FALSE(expect_tag(std::span(d).first(511), TagId::primary_volume, 40u, "primary", 512).ok()) << "short";
    auto other = expect_tag(d, TagId::partition, 40u, "partition", 512);
    ASSERT_FALSE(other.ok());
    EXPECT_NE(other.error().message.find("found tag 1"), std::string::npos) << other.error().message;
    EXPECT_FALSE(expect_tag(d, TagId::primary_volume, 41u, "primary", 512).ok()) << "location";
    finish_tag(d.data(), TagId::primary_volume, DescriptorTag{4, 9, 40}, 512);
    EXPECT_FALSE(expect_tag(d, TagId::primary_volume, 40u, "primary", 512).ok()) << "version 4";
}

TEST(UdfDescriptors, regid_and_charspec_round_trip) {
    for (const EntityId& id : {EntityId::udf("*UDF LV Info", rev250), EntityId::domain(rev150), EntityId::implementation(),
                               EntityId{3, "+NSR03", {}}, EntityId{0, "exactly twenty-three ch", {1, 2, 3, 4, 5, 6, 7, 8}}}) {
        std::byte b[32];
        encode(id, b);
        EXPECT_EQ(decode_regid(b), id) << id.identifier;
    }
    EXPECT_EQ(EntityId::udf("*UDF Sparing Table", rev201).revision(), rev201);
    EXPECT_EQ(EntityId::domain(rev102).identifier, domain_ident);
    std::byte b[32];
    encode(EntityId{0, "a-name-longer-than-twenty-three-bytes", {}}, b);
    EXPECT_EQ(decode_regid(b).identifier, "a-name-longer-than-twen") << "cut to its 23 bytes";
    std::byte c[64];
    for (const Charspec& cs : {Charspec{}, Charspec{1, "other"}}) {
        encode(cs, c);
        EXPECT_EQ(decode_charspec(c), cs);
    }
    encode(Charspec{}, c);
    EXPECT_EQ(codec::u8(c[0]), 0);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(c + 1), 23), "OSTA Compressed Unicode");
}

TEST(UdfDescriptors, allocation_descriptors_round_trip_in_every_form) {
    std::byte b[20];
    ExtentAd e{4096, 77};
    encode(e, b);
    EXPECT_EQ(decode_extent_ad(b), e);
    ShortAd s{max_extent_bytes, extent_type::unallocated, 1234};
    encode(s, b);
    EXPECT_EQ(decode_short_ad(b), s);
    LongAd l{2048, extent_type::next_extent, 99, 1, 0xABCDEF01, 0x0102};
    encode(l, b);
    EXPECT_EQ(decode_long_ad(b), l);
    EXPECT_EQ(codec::load_le32(b), 2048u | 0xC0000000u) << "the type in the two top bits";
    ExtAd x{5000, extent_type::allocated, 4096, 5000, 42, 2};
    encode(x, b);
    EXPECT_EQ(decode_ext_ad(b), x);
    // An area of each form: read up to the first descriptor of length 0.
    std::vector<LongAd> ads = {{2048, 0, 10, 0}, {100, 2, 0, 0}, {4096, 0, 20, 0}};
    for (AdForm form : {AdForm::short_ad, AdForm::long_ad}) {
        std::vector<std::byte> area(ads.size() * 16 + 16);
        size_t n = encode_ads(ads, form, area.data());
        EXPECT_EQ(n, ads.size() * (form == AdForm::short_ad ? 8 : 16));
        auto back = decode_ads(area, form, 0);
        ASSERT_TRUE(back.ok());
        EXPECT_EQ(*back, ads);
        EXPECT_TRUE(decode_ads(std::span(area).first(n - 1), form, 0)->size() == 2) << "a partial descriptor is not one";
    }
    std::vector<std::byte> area(40);
    encode(ExtAd{300, 0, 300, 300, 8, 1}, area.data());
    auto back = decode_ads(area, AdForm::ext_ad, 0);
    ASSERT_TRUE(back.ok());
    ASSERT_EQ(back->size(), 1u);
    EXPECT_EQ((*back)[0], (LongAd{300, 0, 8, 1}));
    EXPECT_EQ(decode_ads(area, AdForm(4), 0).error().code, Errc::unsupported);
    // Extents split at 1 GiB - 2 KiB; holes stay unrecorded; blocks relative to the partition.
    auto split = extent_ads({{1000, 3ull << 30, false}, {0, 4096, true}}, 100);
    ASSERT_EQ(split.size(), 5u);
    EXPECT_EQ(split[0], (LongAd{max_extent_bytes, 0, 900, 0}));
    EXPECT_EQ(split[1].block, 900 + max_extent_bytes / block_size);
    EXPECT_EQ(split[3].length, uint32_t((3ull << 30) - 3ull * max_extent_bytes));
    EXPECT_EQ(split[4], (LongAd{4096, extent_type::unallocated, 0, 0}));
}

namespace {
// A small UDF-only image; returns its path.
std::string make_udf(const dmtest::TempDir& dir, uint16_t rev) {
    dmtest::write_file(dir / "src" / "a" / "f.txt", "hello\n");
    dmtest::write_file(dir / "src" / "g.txt", std::string(5000, 'w'));  // too large to embed in its entry
    image::FileSystemImage img;
    EXPECT_TRUE(img.set_file_systems(model::mask(model::FsType::udf)).ok());
    EXPECT_TRUE(img.set_udf_revision(rev).ok());
    EXPECT_TRUE(img.add_tree((dir / "src").string(), false).ok());
    std::string path = (dir / "u.udf").string();
    auto w = image::write_new_image(img, path);
    EXPECT_TRUE(w.ok()) << w.error().message;
    return path;
}

void patch(const std::string& path, uint64_t offset, uint8_t value) {
    std::FILE* f = std::fopen(path.c_str(), "r+b");
    ASSERT_NE(f, nullptr);
    std::fseek(f, long(offset), SEEK_SET);
    std::fputc(value, f);
    std::fclose(f);
}
}  // namespace

TEST(UdfReader, damaged_entries_are_errors_not_crashes) {
    for (uint16_t rev : {uint16_t(0x0201), uint16_t(0x0250)}) {
        dmtest::TempDir dir;
        std::string path = make_udf(dir, rev);
        auto m = image::open_image_medium(path);
        ASSERT_TRUE(m.ok());
        auto r = image::open_file_system(**m, 32, model::FsType::udf);
        ASSERT_TRUE(r.ok()) << r.error().message;
        auto root = (*r)->root();
        ASSERT_TRUE(root.ok());
        auto l = (*r)->list(*root);
        ASSERT_TRUE(l.ok());
        ASSERT_EQ(l->size(), 2u);
        // A small file of a UDF-only session lives in its entry (no data block).
        auto sub = (*r)->list((*l)[0].attr);
        ASSERT_TRUE(sub.ok());
        ASSERT_EQ(sub->size(), 1u);
        EXPECT_TRUE((*sub)[0].attr.extents.empty());
        EXPECT_EQ(std::string(reinterpret_cast<const char*>((*sub)[0].attr.inline_data.data()),
                              (*sub)[0].attr.inline_data.size()), "hello\n");
        // Find the file entry of g.txt on the medium by its tag and break its CRC.
        const auto& g = (*l)[1].attr;
        ASSERT_EQ((*l)[1].name, "g.txt");
        ASSERT_FALSE(g.extents.empty());
        m->reset();
        r = Result<std::unique_ptr<model::FileSystemReader>>(make_error(Errc::internal, ""));
        // The entry sits in the metadata area before the data: search for the
        // first file entry whose unique id is g.txt's (2.50 has a second copy
        // in the metadata mirror, which readers use only when the main one is lost).
        std::FILE* f = std::fopen(path.c_str(), "rb");
        std::vector<std::byte> b(2048);
        int64_t fe_block = -1;
        for (uint64_t blk = 0; std::fread(b.data(), 1, 2048, f) == 2048; ++blk) {
            uint16_t id = codec::load_le16(b.data());
            bool efe = id == 266;
            if ((id == 261 || efe) && check_tag(b, std::nullopt).ok() &&
                codec::load_le64(b.data() + (efe ? 200 : 160)) == *g.file_id && fe_block < 0)
                fe_block = int64_t(blk);
        }
        std::fclose(f);
        ASSERT_GE(fe_block, 0);
        patch(path, uint64_t(fe_block) * 2048 + 40, 0x77);  // the gid field: CRC no longer matches
        auto m2 = image::open_image_medium(path);
        ASSERT_TRUE(m2.ok());
        auto r2 = image::open_file_system(**m2, 32, model::FsType::udf);
        ASSERT_TRUE(r2.ok());
        auto l2 = (*r2)->list(*(*r2)->root());
        ASSERT_FALSE(l2.ok()) << "a damaged file entry must be reported";
        EXPECT_EQ(l2.error().code, Errc::corrupt);
        EXPECT_NE(l2.error().message.find("CRC"), std::string::npos) << l2.error().message;
        // A damaged anchor and main sequence: the reserve sequence still serves.
        patch(path, 288ull * 2048 + 4, 0);  // session anchor checksum
        auto sum = read_summary(**m2, 32);
        EXPECT_TRUE(sum.ok()) << "the anchor at the volume's end still points at the sequences";
    }
}
