// Sparable partitions (UDF 2.2.9, 2.2.12) and the metadata partition map of
// read-only volumes (UDF 2.50, 2.2.10): the descriptors as written, a packet
// relocated into the spare area, and the choices made for each medium.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "mastering/image/file_system_image.h"
#include "mastering/image/image_file.h"
#include "mastering/image/open_file_system.h"
#include "mastering/udf/descriptors.h"
#include "mastering/udf/reader.h"
#include "mastering/udf/writer.h"
#include "tests/support/support.h"

using namespace mastering;
using namespace mastering::udf;
using codec::load_le16;
using codec::load_le32;

namespace {

std::vector<std::byte> read_blocks(const std::string& path, uint64_t lba, uint32_t count = 1) {
    std::vector<std::byte> b(size_t(count) * block_size);
    std::ifstream f(path, std::ios::binary);
    f.seekg(std::streamoff(lba * block_size));
    f.read(reinterpret_cast<char*>(b.data()), std::streamsize(b.size()));
    return b;
}

void write_blocks(const std::string& path, uint64_t lba, const std::vector<std::byte>& b) {
    std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(std::streamoff(lba * block_size));
    f.write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
}

// The main sequence's partition and logical volume descriptors of the
// volume anchored at block 256.
struct Descriptors {
    std::vector<std::byte> pd, lvd;
};
Descriptors descriptors(const std::string& path) {
    auto anchor = read_blocks(path, 256);
    uint32_t main = load_le32(anchor.data() + 20);
    Descriptors d;
    for (uint32_t i = 0; i < 16; ++i) {
        auto b = read_blocks(path, main + i);
        uint16_t id = load_le16(b.data());
        if (id == uint16_t(TagId::partition)) d.pd = b;
        if (id == uint16_t(TagId::logical_volume)) d.lvd = b;
    }
    return d;
}

std::string make_image(const dmtest::TempDir& dir, uint16_t rev, uint16_t packet) {
    dmtest::write_file(dir / "src" / "a" / "f.txt", "hello\n");
    dmtest::write_file(dir / "src" / "big.bin", std::string(200 * 1024, 'b') + "end");
    image::FileSystemImage img;
    EXPECT_TRUE(img.set_file_systems(model::mask(model::FsType::udf)).ok());
    EXPECT_TRUE(img.set_udf_revision(rev).ok());
    EXPECT_TRUE(img.set_udf_sparable_packet(packet).ok());
    EXPECT_TRUE(img.add_tree((dir / "src").string(), false).ok());
    std::string path = (dir / "s.udf").string();
    auto w = image::write_new_image(img, path);
    EXPECT_TRUE(w.ok()) << w.error().message;
    return path;
}

std::string read_file_via_reader(const std::string& image, const std::string& name) {
    auto m = image::open_image_medium(image);
    if (!m.ok()) return "open: " + m.error().message;
    auto r = image::open_file_system(**m, 32, model::FsType::udf);
    if (!r.ok()) return "udf: " + r.error().message;
    auto root = (*r)->root();
    auto l = (*r)->list(*root);
    if (!l.ok()) return "list: " + l.error().message;
    for (const auto& e : *l)
        if (e.name == name) {
            std::string out(size_t(e.attr.size), '\0');
            auto bytes = std::span(reinterpret_cast<std::byte*>(out.data()), out.size());
            for (size_t done = 0; done < out.size();) {
                auto n = (*r)->read(e.attr, done, bytes.subspan(done));
                if (!n.ok()) return "read: " + n.error().message;
                if (*n == 0) return "short read";
                done += *n;
            }
            return out;
        }
    return "missing " + name;
}

}  // namespace

TEST(UdfSparable, the_map_the_sparing_tables_and_the_packets) {
    for (auto [rev, packet] : {std::pair<uint16_t, uint16_t>{rev201, 32}, {rev250, 16}, {rev150, 32}}) {
        SCOPED_TRACE(revision_text(rev) + " packet " + std::to_string(packet));
        dmtest::TempDir dir;
        std::string path = make_image(dir, rev, packet);
        auto d = descriptors(path);
        ASSERT_FALSE(d.pd.empty());
        ASSERT_FALSE(d.lvd.empty());
        uint32_t pstart = load_le32(d.pd.data() + 188), plen = load_le32(d.pd.data() + 192);
        EXPECT_EQ(load_le32(d.pd.data() + 184), 1u) << "read-only";
        EXPECT_EQ(pstart % packet, 0u);
        EXPECT_EQ(plen % packet, 0u);
        // One sparable map (and the metadata map on 2.50), partition 0.
        const std::byte* map = d.lvd.data() + 440;
        EXPECT_EQ(load_le32(d.lvd.data() + 268), rev == rev250 ? 2u : 1u);
        ASSERT_EQ(codec::u8(map[0]), 2);
        ASSERT_EQ(codec::u8(map[1]), 64);
        EXPECT_EQ(decode_regid(map + 4).identifier, "*UDF Sparable Partition");
        EXPECT_EQ(load_le16(map + 4 + 24), rev) << "the UDF revision in the identifier suffix";
        EXPECT_EQ(load_le16(map + 38), 0);
        EXPECT_EQ(load_le16(map + 40), packet);
        ASSERT_EQ(codec::u8(map[42]), 2) << "two sparing tables";
        uint32_t entries = 1024 / packet;
        EXPECT_EQ(load_le32(map + 44), 56 + 8 * entries);
        uint32_t t0 = load_le32(map + 48), t1 = load_le32(map + 52);
        EXPECT_GT(t1, t0 + 1024) << "the copies lie apart";
        auto a = read_blocks(path, t0), b = read_blocks(path, t1);
        for (const auto* t : {&a, &b}) {
            uint32_t loc = t == &a ? t0 : t1;
            auto tag = check_tag(*t, loc, true);
            ASSERT_TRUE(tag.ok()) << tag.error().message;
            EXPECT_EQ(tag->id, 0) << "a sparing table's tag identifier";
            EXPECT_EQ(tag->crc_length, 56 + 8 * entries - 16);
            EXPECT_EQ(decode_regid(t->data() + 16).identifier, "*UDF Sparing Table");
            EXPECT_EQ(load_le16(t->data() + 48), entries);
        }
        EXPECT_TRUE(std::equal(a.begin() + 16, a.end(), b.begin() + 16)) << "the copies agree";
        // Every spare packet available, in order, on packet boundaries, outside the partition.
        for (uint32_t i = 0; i < entries; ++i) {
            uint32_t orig = load_le32(a.data() + 56 + 8 * i), mapped = load_le32(a.data() + 60 + 8 * i);
            EXPECT_EQ(orig, 0xFFFFFFFFu);
            EXPECT_EQ(mapped % packet, 0u);
            if (i) {
                EXPECT_EQ(mapped, load_le32(a.data() + 60 + 8 * (i - 1)) + packet);
            }
            EXPECT_TRUE(mapped >= pstart + plen || mapped + packet <= pstart);
        }
        // The reader sees the sparable partition and reads the files.
        auto m = image::open_image_medium(path);
        ASSERT_TRUE(m.ok());
        auto s = read_summary(**m, 32);
        ASSERT_TRUE(s.ok()) << s.error().message;
        EXPECT_EQ(s->sparable_packet, packet);
        EXPECT_EQ(s->partition_kind, rev == rev250 ? "metadata" : "sparable");
        m->reset();
        EXPECT_EQ(read_file_via_reader(path, "big.bin"), std::string(200 * 1024, 'b') + "end");
        // The session ends on a packet boundary with its closing anchor.
        uint64_t blocks = std::filesystem::file_size(path) / block_size;
        EXPECT_EQ(blocks % packet, 0u);
        EXPECT_TRUE(is_anchor(read_blocks(path, blocks - 1), uint32_t(blocks - 1)));
    }
}

// What the sparing tables are for: a packet the drive could not write in
// place lives in the spare area, and a reader follows the table to it.
TEST(UdfSparable, a_relocated_packet_is_read_from_the_spare_area) {
    dmtest::TempDir dir;
    std::string path = make_image(dir, rev201, 32);
    auto d = descriptors(path);
    uint32_t pstart = load_le32(d.pd.data() + 188);
    const std::byte* map = d.lvd.data() + 440;
    uint32_t tables[2] = {load_le32(map + 48), load_le32(map + 52)};
    auto table = read_blocks(path, tables[0]);
    uint32_t spare = load_le32(table.data() + 60);
    // The last packet of big.bin's data: find the block holding "end".
    auto m = image::open_image_medium(path);
    ASSERT_TRUE(m.ok());
    auto r = image::open_file_system(**m, 32, model::FsType::udf);
    ASSERT_TRUE(r.ok());
    auto l = (*r)->list(*(*r)->root());
    ASSERT_TRUE(l.ok());
    uint64_t last = 0;
    for (const auto& e : *l)
        if (e.name == "big.bin") last = e.attr.extents.back().lba + (e.attr.extents.back().length - 1) / block_size;
    ASSERT_GT(last, pstart);
    r = Result<std::unique_ptr<model::FileSystemReader>>(make_error(Errc::internal, "closed"));
    m->reset();
    uint32_t packet_lbn = uint32_t(last - pstart) / 32 * 32;
    // Move the packet: its blocks to the first spare packet, zeros in place.
    write_blocks(path, spare, read_blocks(path, pstart + packet_lbn, 32));
    write_blocks(path, pstart + packet_lbn, std::vector<std::byte>(32 * block_size));
    EXPECT_NE(read_file_via_reader(path, "big.bin"), std::string(200 * 1024, 'b') + "end") << "the data moved";
    for (uint32_t t : tables) {
        auto b = read_blocks(path, t);
        codec::store_le32(b.data() + 56, packet_lbn);
        codec::store_le32(b.data() + 52, 1);  // sequence number
        finish_tag(b.data(), TagId(0), DescriptorTag{3, 1, t}, load_le16(b.data() + 10) + tag_bytes);
        write_blocks(path, t, b);
    }
    EXPECT_EQ(read_file_via_reader(path, "big.bin"), std::string(200 * 1024, 'b') + "end");
}

TEST(UdfSparable, chosen_for_the_media_that_need_it_and_refused_elsewhere) {
    image::FileSystemImage img;
    img.choose_defaults_for_media(media::Profile::dvd_rw_ro);
    EXPECT_EQ(img.udf_sparable_packet(), 16) << "DVD-RW in restricted overwrite: one ECC block per packet";
    img.choose_defaults_for_media(media::Profile::cd_rw);
    EXPECT_EQ(img.udf_sparable_packet(), 0) << "a CD-RW written in tracks, as the burn engine does, uses a VAT";
    EXPECT_TRUE(img.set_udf_sparable_packet(32).ok()) << "a CD-RW written in fixed packets";
    img.choose_defaults_for_media(media::Profile::dvd_plus_rw);
    EXPECT_EQ(img.udf_sparable_packet(), 0) << "DVD+RW has defect management of its own";
    img.choose_defaults_for_media(media::Profile::cd_r);
    EXPECT_FALSE(img.set_udf_sparable_packet(32).ok()) << "write-once";
    EXPECT_EQ(*parse_partition("sparable", media::Family::dvd), 16);
    EXPECT_EQ(*parse_partition("sparable", media::Family::cd), 32);
    EXPECT_EQ(*parse_partition("physical", media::Family::cd), 0);
    EXPECT_FALSE(parse_partition("virtual", media::Family::cd).ok());
    // UDF 1.02 has no sparable partition map.
    dmtest::TempDir dir;
    dmtest::write_file(dir / "src" / "x", "x");
    image::FileSystemImage old;
    ASSERT_TRUE(old.set_file_systems(model::mask(model::FsType::udf)).ok());
    ASSERT_TRUE(old.set_udf_revision(rev102).ok());
    ASSERT_TRUE(old.set_udf_sparable_packet(32).ok());
    ASSERT_TRUE(old.add_tree((dir / "src").string(), false).ok());
    auto w = image::write_new_image(old, (dir / "o.udf").string());
    ASSERT_FALSE(w.ok());
    EXPECT_NE(w.error().message.find("1.02"), std::string::npos) << w.error().message;
}

// UDF 2.50's metadata partition over a read-only partition records no
// metadata bitmap file (location #FFFFFFFF): the bitmap tracks free space in
// the metadata partition, and a read-only partition has none to track (UDF
// 2.50 errata / 2.60, DCN-5102). mkudffs 2.3 writes no metadata partition,
// and udfinfo 2.3 does not look for a bitmap (checked in the tools tests:
// 2.50 images, created and appended, without a warning).
TEST(UdfMetadataPartition, a_read_only_partition_records_no_bitmap) {
    for (uint16_t packet : {uint16_t(0), uint16_t(16)}) {
        dmtest::TempDir dir;
        std::string path = make_image(dir, rev250, packet);
        auto d = descriptors(path);
        ASSERT_FALSE(d.lvd.empty());
        EXPECT_EQ(load_le32(d.pd.data() + 184), 1u) << "read-only";
        const std::byte* map = d.lvd.data() + 440 + (packet ? 64 : 6);
        ASSERT_EQ(decode_regid(map + 4).identifier, "*UDF Metadata Partition");
        EXPECT_EQ(load_le32(map + 48), 0xFFFFFFFFu) << "no metadata bitmap file";
        EXPECT_EQ(load_le16(map + 56), packet ? packet : 1) << "alignment unit: the packet";
        // Duplicate Metadata Flag set: the mirror file then holds the same
        // bytes as the metadata file (2.2.13), which is what is checked here.
        EXPECT_EQ(uint8_t(map[58]), 1u) << "duplicate metadata flag";
        uint32_t part = load_le32(d.pd.data() + 188);
        auto file_bytes = [&](uint32_t fe_rel) {
            auto fe = read_blocks(path, part + fe_rel);
            EXPECT_EQ(load_le16(fe.data()), 266) << "an extended file entry";
            EXPECT_EQ(load_le16(fe.data() + 34) & 7, 0) << "short allocation descriptors";
            uint32_t ea = load_le32(fe.data() + 208);
            uint32_t len = load_le32(fe.data() + 216 + ea) & 0x3FFFFFFF, pos = load_le32(fe.data() + 216 + ea + 4);
            auto bytes = read_blocks(path, part + pos, (len + block_size - 1) / block_size);
            bytes.resize(len);
            return bytes;
        };
        auto meta = file_bytes(load_le32(map + 40)), mirror = file_bytes(load_le32(map + 44));
        EXPECT_FALSE(meta.empty());
        EXPECT_TRUE(meta == mirror) << "the mirror is a copy of the metadata file";
    }
}
