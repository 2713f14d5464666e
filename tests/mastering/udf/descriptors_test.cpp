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
    finish_tag(d.data(), TagId::anchor, 3, 256, 512 - 16);
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
    store_dstring(field, 32, "VOLUME");
    EXPECT_EQ(codec::u8(field[31]), 7);
    EXPECT_EQ(load_dstring(field, 32), "VOLUME");
}

TEST(UdfDescriptors, timestamps_and_revisions) {
    std::byte ts[12];
    store_timestamp(ts, 1700000000, 123456000);
    auto [sec, nsec] = load_timestamp(ts);
    EXPECT_EQ(sec, 1700000000);
    EXPECT_EQ(nsec, 123456000u);
    EXPECT_EQ(revision_from_text("2.50"), 0x0250);
    EXPECT_EQ(revision_text(0x0102), "1.02");
    EXPECT_FALSE(revision_from_text("3.00"));
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
