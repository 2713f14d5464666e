// MBR, GPT and the system area of a hybrid image: each value round-trips,
// the CRC-32 and CHS arithmetic match their definitions, and the plan for an
// isohybrid image with a GPT and appended partitions is the one xorriso's
// -isohybrid-mbr, -isohybrid-gpt-basdat and -append_partition write.
#include <gtest/gtest.h>

#include <cstring>

#include "mastering/boot/system_area.h"
#include "mastering/codec/crc32.h"

using namespace mastering;
using namespace mastering::boot;

TEST(Crc32, check_value) {
    std::string s = "123456789";
    EXPECT_EQ(codec::crc32(codec::as_bytes(s)), 0xCBF43926u);
    EXPECT_EQ(codec::crc32(codec::as_bytes(s.substr(4)), codec::crc32(codec::as_bytes(s.substr(0, 4)))), 0xCBF43926u)
        << "continued over two pieces";
    EXPECT_EQ(codec::crc32({}), 0u);
}

TEST(Mbr, chs) {
    EXPECT_EQ(chs_of(0), (Chs{0, 1, 0}));
    EXPECT_EQ(chs_of(6143), (Chs{63, 32, 2})) << "the last sector of a 3 MiB image: 2/63/32";
    EXPECT_EQ(chs_of(2048ull * 300), (Chs{0, 0x01 | 0x40, 0x2C})) << "cylinder 300: bits 8-9 in the sector byte";
    EXPECT_EQ(chs_of(1024ull * 2048), chs_beyond) << "cylinder 1024 is out of reach";
}

TEST(Mbr, round_trip) {
    Mbr m;
    for (size_t i = 0; i < m.code.size(); ++i) m.code[i] = std::byte(i);
    m.disk_signature = 0x12345678;
    m.partitions[0] = {0x80, 0x17, chs_of(0), chs_of(999), 0, 1000};
    m.partitions[3] = {0x00, 0xEF, chs_beyond, chs_beyond, 2000, 2880};
    std::vector<std::byte> s(512);
    encode_mbr(m, s.data());
    EXPECT_EQ(codec::u8(s[510]), 0x55);
    EXPECT_EQ(codec::u8(s[511]), 0xAA);
    EXPECT_EQ(codec::u8(s[446 + 4]), 0x17);
    EXPECT_EQ(codec::load_le32(s.data() + 446 + 48 + 12), 2880u);
    auto d = decode_mbr(s);
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(*d, m);
    s[511] = std::byte{0};
    EXPECT_EQ(decode_mbr(s).error().code, Errc::not_found);
    s[511] = std::byte{0xAA};
    s[446] = std::byte{0x12};
    EXPECT_EQ(decode_mbr(s).error().code, Errc::corrupt);
}

TEST(Gpt, guids) {
    auto g = parse_guid("C12A7328-F81F-11D2-BA4B-00A0C93EC93B");
    ASSERT_TRUE(g);
    const uint8_t disk[16] = {0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11, 0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b};
    EXPECT_EQ(std::memcmp(g->bytes.data(), disk, 16), 0) << "the first three fields are stored little-endian";
    EXPECT_EQ(g->text(), "C12A7328-F81F-11D2-BA4B-00A0C93EC93B");
    EXPECT_EQ(*g, gpt_type_efi_system);
    EXPECT_FALSE(parse_guid("C12A7328F81F-11D2-BA4B-00A0C93EC93B-"));
    uint64_t seed = 42, again = 42;
    Guid a = make_guid(seed), b = make_guid(seed);
    EXPECT_NE(a, b);
    EXPECT_EQ(make_guid(again), a) << "the same seed gives the same identifiers";
    EXPECT_EQ(a.bytes[7] >> 4, 4) << "version 4";
    EXPECT_EQ(a.bytes[8] & 0xC0, 0x80) << "RFC 4122 variant";
}

TEST(Gpt, header_and_entries_round_trip) {
    uint64_t seed = 7;
    GptEntry e;
    e.number = 3;
    e.type = gpt_type_basic_data;
    e.unique = make_guid(seed);
    e.first_lba = 140;
    e.last_lba = 3019;
    e.attributes = 0x1000000000000001ull;
    e.name = gpt_name("ISOHybrid1");
    auto array = encode_gpt_entries({e}, 4);
    ASSERT_EQ(array.size(), 512u);
    auto entries = decode_gpt_entries(array, 4, 128);
    ASSERT_TRUE(entries.ok()) << entries.error().message;
    ASSERT_EQ(entries->size(), 1u);
    EXPECT_EQ(entries->front(), e);
    EXPECT_EQ(gpt_name_text(entries->front().name), "ISOHybrid1");
    EXPECT_FALSE(decode_gpt_entries(std::span(array).first(300), 4, 128).ok());

    GptHeader h;
    h.backup_lba = 6143;
    h.first_usable = 64;
    h.last_usable = 6080;
    h.disk_guid = make_guid(seed);
    h.entry_count = 4;
    h.entries_crc = codec::crc32(array);
    std::vector<std::byte> s(512);
    encode_gpt_header(h, s.data());
    EXPECT_EQ(std::memcmp(s.data(), "EFI PART", 8), 0);
    auto d = decode_gpt_header(s);
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(*d, h);
    s[100] = std::byte{1};  // beyond the 92 bytes the CRC covers: still valid
    EXPECT_TRUE(decode_gpt_header(s).ok());
    s[60] = std::byte{0xFF};
    EXPECT_NE(decode_gpt_header(s).error().message.find("CRC"), std::string::npos);
}

namespace {
std::vector<std::byte> fake_template() {
    std::vector<std::byte> t(432, std::byte{0x90});
    t[0] = std::byte{0x33};
    t[1] = std::byte{0xED};
    return t;
}
}  // namespace

TEST(SystemArea, isohybrid_with_gpt_as_xorriso_plans_it) {
    // xorriso -isohybrid-mbr isohdpfx.bin -b isolinux.bin ... -e efi.img -isohybrid-gpt-basdat:
    // a 6144-sector image, isolinux at block 755, the EFI image at block 35.
    HybridPlan p;
    p.mbr_template = fake_template();
    p.bios_image_sector = 755 * 4;
    p.gpt_basdat = true;
    p.efi_images = {{35 * 4, 2880, 0xEF, 0}};
    p.iso_sectors = p.image_sectors = 6144;
    p.seed = 1;
    auto s = plan_system_area(p);
    ASSERT_TRUE(s.ok()) << s.error().message;
    const Mbr& m = *s->mbr;
    EXPECT_EQ(codec::load_le64(m.code.data() + 432), 3020u);
    EXPECT_EQ(m.partitions[0], (MbrPartition{0x80, 0x00, {0, 1, 0}, {63, 32, 2}, 0, 6144}));
    EXPECT_EQ(m.partitions[1], (MbrPartition{0x00, 0xEF, chs_beyond, chs_beyond, 140, 2880}));
    EXPECT_FALSE(m.partitions[2].used());
    ASSERT_TRUE(s->gpt);
    EXPECT_EQ(s->gpt->backup_lba, 6143u);
    EXPECT_EQ(s->gpt->first_usable, 64u);
    EXPECT_EQ(s->gpt->last_usable, 6080u);
    EXPECT_EQ(s->gpt->entry_count, 248u);
    ASSERT_EQ(s->gpt_entries.size(), 2u);
    EXPECT_EQ(s->gpt_entries[0].first_lba, 0u);
    EXPECT_EQ(s->gpt_entries[0].last_lba, 6079u);
    EXPECT_EQ(gpt_name_text(s->gpt_entries[0].name), "ISOHybrid");
    EXPECT_EQ(s->gpt_entries[1].first_lba, 140u);
    EXPECT_EQ(s->gpt_entries[1].last_lba, 3019u);
    EXPECT_EQ(s->gpt_entries[1].type, gpt_type_basic_data);
    EXPECT_EQ(gpt_name_text(s->gpt_entries[1].name), "ISOHybrid1");

    // Encoded and decoded again: the same system area, with valid CRCs.
    auto bytes = encode_system_area(*s);
    ASSERT_EQ(bytes.size(), system_area_bytes);
    auto d = decode_system_area(bytes);
    ASSERT_TRUE(d.ok()) << d.error().message;
    SystemArea expect = *s;
    expect.gpt->entries_crc = d->gpt->entries_crc;
    EXPECT_EQ(*d, expect);
    // The backup: the array, then the header, in the image's last 63 sectors.
    auto backup = encode_backup_gpt(*s);
    EXPECT_EQ(backup.first_sector, 6143u - 62);
    ASSERT_EQ(backup.bytes.size(), 63u * 512);
    auto bh = decode_gpt_header(std::span(backup.bytes).last(512));
    ASSERT_TRUE(bh.ok()) << bh.error().message;
    EXPECT_EQ(bh->current_lba, 6143u);
    EXPECT_EQ(bh->backup_lba, 1u);
    EXPECT_EQ(bh->entries_lba, 6081u);
    EXPECT_EQ(bh->entries_crc, d->gpt->entries_crc);
    // A damaged array is an error, not an empty GPT.
    bytes[1024 + 40] = std::byte{0x55};
    EXPECT_NE(decode_system_area(bytes).error().message.find("CRC"), std::string::npos);
}

TEST(SystemArea, appended_partitions_and_plain_mbr) {
    HybridPlan p;
    p.mbr_template = fake_template();
    p.bios_image_sector = 140;
    p.appended = {{4096, 2880, 0xEF, 2}};
    p.iso_sectors = 4096;
    p.image_sectors = 6976;
    auto s = plan_system_area(p);
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(s->mbr->partitions[0].type, 0x17) << "no GPT: the ISO partition is type 0x17";
    EXPECT_EQ(s->mbr->partitions[0].sectors, 4096u);
    EXPECT_EQ(s->mbr->partitions[1], (MbrPartition{0x00, 0xEF, chs_of(4096), chs_of(6975), 4096, 2880}));
    EXPECT_FALSE(s->gpt);
    // Without a template: partition 1 (type 0x83) and the appended ones only.
    p.mbr_template.clear();
    s = plan_system_area(p);
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(s->mbr->partitions[0].status, 0x00);
    EXPECT_EQ(s->mbr->partitions[0].type, 0x83);
    EXPECT_TRUE(codec::all_zero(std::span<const std::byte>(s->mbr->code)));
    p.appended[0].number = 1;
    EXPECT_FALSE(plan_system_area(p).ok()) << "partition 1 is the ISO image";
    p.appended[0].number = 2;
    p.gpt_basdat = true;
    EXPECT_NE(plan_system_area(p).error().message.find("--isohybrid-mbr"), std::string::npos);
}

TEST(SystemArea, mbr_templates) {
    EXPECT_TRUE(check_mbr_template(fake_template()).ok());
    EXPECT_FALSE(check_mbr_template(std::vector<std::byte>(100, std::byte{1})).ok()) << "too short";
    EXPECT_FALSE(check_mbr_template(std::vector<std::byte>(4096, std::byte{1})).ok()) << "too long";
    EXPECT_FALSE(check_mbr_template(std::vector<std::byte>(432)).ok()) << "all zeros";
    std::vector<std::byte> sector(512, std::byte{1});
    EXPECT_FALSE(check_mbr_template(sector).ok()) << "a whole sector without 55 AA";
    sector[510] = std::byte{0x55};
    sector[511] = std::byte{0xAA};
    EXPECT_TRUE(check_mbr_template(sector).ok());
}
