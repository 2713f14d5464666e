// El Torito structures and the boot-info table: every value round-trips
// through its encode/decode, and the bytes are the ones the specification
// lays down (the same that xorriso writes for the same entries).
#include <gtest/gtest.h>

#include <cstring>

#include "mastering/boot/boot_info.h"
#include "mastering/boot/eltorito.h"

using namespace mastering;
using namespace mastering::boot;

namespace {
uint8_t at(const std::vector<std::byte>& v, size_t i) { return codec::u8(v[i]); }
}  // namespace

TEST(BootRecord, round_trip_and_layout) {
    std::vector<std::byte> b(2048);
    encode_boot_record(BootRecord{34}, b.data());
    EXPECT_EQ(at(b, 0), 0);
    EXPECT_EQ(std::memcmp(b.data() + 1, "CD001", 5), 0);
    EXPECT_EQ(at(b, 6), 1);
    EXPECT_EQ(std::memcmp(b.data() + 7, "EL TORITO SPECIFICATION", 23), 0);
    EXPECT_EQ(at(b, 7 + 23), 0) << "the identifier is padded with zeros, not spaces";
    EXPECT_EQ(at(b, 71), 34);
    auto d = decode_boot_record(b);
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(d->catalog_lba, 34u);
    b[7] = std::byte{'X'};
    EXPECT_EQ(decode_boot_record(b).error().code, Errc::unsupported);
    b[1] = std::byte{'X'};
    EXPECT_EQ(decode_boot_record(b).error().code, Errc::corrupt);
}

TEST(BootCatalog, round_trip_with_sections) {
    Catalog c;
    c.platform = Platform::x86;
    c.default_entry.emulation = Emulation::none;
    c.default_entry.sector_count = 4;
    c.default_entry.load_rba = 755;
    CatalogEntry bios2;
    bios2.emulation = Emulation::floppy_1_44;
    bios2.sector_count = 1;
    bios2.load_rba = 900;
    bios2.bootable = false;
    bios2.selection[0] = std::byte{1};
    bios2.selection[19] = std::byte{0x7F};
    CatalogEntry efi;
    efi.sector_count = 2880;
    efi.load_rba = 35;
    efi.media_flags = 0x40;  // "image contains an ATAPI driver"
    CatalogEntry hd;
    hd.emulation = Emulation::hard_disk;
    hd.system_type = 0x83;
    hd.load_segment = 0x7C0;
    hd.sector_count = 1;
    hd.load_rba = 1000;
    c.sections = {{Platform::x86, "second", {bios2}}, {Platform::efi, "", {efi, hd}}};
    auto bytes = encode_catalog(c);
    ASSERT_EQ(bytes.size(), 2048u);
    auto d = decode_catalog(bytes);
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(*d, c);
    auto all = d->all_entries();
    ASSERT_EQ(all.size(), 4u);
    EXPECT_EQ(all[2].first, Platform::efi);
    EXPECT_EQ(all[3].second.system_type, 0x83);
}

TEST(BootCatalog, bytes_as_the_specification_lays_them_down) {
    // A BIOS default entry and an EFI section: the catalog xorriso writes for
    // -b isolinux.bin -no-emul-boot -boot-load-size 4 -eltorito-alt-boot -e efi.img -no-emul-boot.
    Catalog c;
    c.default_entry.sector_count = 4;
    c.default_entry.load_rba = 0x2F3;
    CatalogEntry efi;
    efi.sector_count = 0x0B40;
    efi.load_rba = 0x23;
    c.sections = {{Platform::efi, "", {efi}}};
    auto b = encode_catalog(c);
    const uint8_t expected[128] = {
        0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xAA, 0x55, 0x55, 0xAA,
        0x88, 0x00, 0, 0, 0, 0, 0x04, 0x00, 0xF3, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0x91, 0xEF, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0x88, 0x00, 0, 0, 0, 0, 0x40, 0x0B, 0x23, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    for (size_t i = 0; i < 128; ++i) EXPECT_EQ(at(b, i), expected[i]) << "byte " << i;
    for (size_t i = 128; i < b.size(); ++i) ASSERT_EQ(at(b, i), 0) << "byte " << i;
}

TEST(BootCatalog, malformed) {
    Catalog c;
    c.default_entry.load_rba = 40;
    auto good = encode_catalog(c);
    auto bad = good;
    bad[4] = std::byte{'x'};  // breaks the checksum
    EXPECT_NE(decode_catalog(bad).error().message.find("checksum"), std::string::npos);
    bad = good;
    bad[31] = std::byte{0};
    EXPECT_EQ(decode_catalog(bad).error().code, Errc::corrupt);
    bad = good;
    bad[32] = std::byte{0x42};  // boot indicator
    EXPECT_NE(decode_catalog(bad).error().message.find("boot indicator 0x42"), std::string::npos);
    EXPECT_FALSE(decode_catalog(std::span(good.data(), 40)).ok()) << "shorter than two entries";
    // A section that claims more entries than the catalog holds.
    bad = good;
    bad[64] = std::byte{0x91};
    bad[66] = std::byte{0xFF};
    bad.resize(96);
    EXPECT_NE(decode_catalog(bad).error().message.find("ends first"), std::string::npos);
    // Extension entries are skipped; one that is not 0x44 is an error.
    c.sections = {{Platform::x86, "", {CatalogEntry{}}}};
    auto ext = encode_catalog(c);
    ext[97] = std::byte{0x20};  // "extension entries follow"
    ext[128] = std::byte{0x44};
    auto d = decode_catalog(ext);
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(d->sections.at(0).entries.size(), 1u);
    ext[128] = std::byte{0x00};
    EXPECT_FALSE(decode_catalog(ext).ok());
}

TEST(BootInfoTable, round_trip_checksum_and_detection) {
    std::vector<std::byte> image(4096 + 3);
    for (size_t i = 0; i < image.size(); ++i) image[i] = std::byte(i * 7 + 3);
    // The checksum is the sum of the little-endian words from byte 64; a
    // short last word counts as zero-padded.
    uint32_t sum = 0;
    for (size_t i = 64; i < image.size(); i += 4) {
        uint32_t w = 0;
        for (size_t k = 0; k < 4 && i + k < image.size(); ++k) w |= uint32_t(codec::u8(image[i + k])) << (8 * k);
        sum += w;
    }
    EXPECT_EQ(boot_info_sum(std::span(image).subspan(64)), sum);
    BootInfoTable t{16, 300, uint32_t(image.size()), sum};
    encode_boot_info_table(t, image.data());
    EXPECT_EQ(decode_boot_info_table(image.data()), t);
    EXPECT_TRUE(has_boot_info_table(image, 300));
    EXPECT_FALSE(has_boot_info_table(image, 301)) << "another image's table";
    EXPECT_FALSE(has_boot_info_table(std::span(image).first(63), 300));
    image[40] = std::byte{1};  // reserved bytes must be zero
    EXPECT_FALSE(has_boot_info_table(image, 300));
    EXPECT_FALSE(is_isohybrid_capable(image));
    codec::store_le32(image.data() + 64, 0x7078C0FB);
    EXPECT_TRUE(is_isohybrid_capable(image));
}
