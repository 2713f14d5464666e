// The file structure descriptors (mastering/udf/file_descriptors.h) and the
// partition tables (partition_tables.h): each value encodes and decodes back
// to itself, and damaged bytes (short, a broken checksum or CRC, lengths
// beyond the descriptor) are errors.
#include <gtest/gtest.h>

#include "mastering/udf/file_descriptors.h"
#include "mastering/udf/partition_tables.h"
#include "tests/mastering/udf/descriptor_check.h"

using namespace mastering;
using namespace mastering::udf;
using udftest::check_descriptor;

namespace {

std::vector<std::byte> bytes_of(std::string_view s) {
    auto b = codec::as_bytes(s);
    return {b.begin(), b.end()};
}

FileEntry sample_entry(bool extended) {
    FileEntry f;
    f.tag = {3, 1, 77};
    f.extended = extended;
    f.icb = IcbTag{1, 4, 0, 1, FileType::regular, 12, 1, uint16_t(uint16_t(AdForm::long_ad) | icb_flag::setuid)};
    f.uid = 1000;
    f.gid = 100;
    f.permissions = 0x14A5;
    f.links = 2;
    f.record_format = 1;
    f.record_attributes = 2;
    f.record_length = 3;
    f.size = 5000;
    f.blocks = 3;
    f.access = {1700000001, 1000};
    f.modification = {1700000002, 2000};
    f.attribute = {1700000004, 4000};
    f.checkpoint = 5;
    f.extended_attribute_icb = LongAd{2048, 0, 80, 1};
    f.implementation = EntityId::implementation();
    f.unique_id = 0x1122334455;
    if (extended) {
        f.object_size = 5001;
        f.creation = {1700000003, 3000};
        f.stream_directory = LongAd{2048, 0, 81, 1};
    }
    ExtendedAttributes ea;
    ea.tag = {3, 1, 77};
    ea.attributes.push_back(device_specification({8, 1}));
    ea.implementation_location = ea.application_location = uint32_t(ea.encoded_size());
    f.extended_attributes.resize(ea.encoded_size());
    encode(ea, f.extended_attributes.data());
    std::vector<LongAd> ads = {{2048, 0, 100, 0}, {2952, 0, 200, 0}};
    f.allocation.resize(32);
    encode_ads(ads, AdForm::long_ad, f.allocation.data());
    return f;
}

}  // namespace

TEST(UdfFileDescriptors, file_set_descriptor_round_trips) {
    FileSetDescriptor d;
    d.tag = {3, 1, 0};
    d.recorded = {1700000000, 5000};
    d.interchange_level = 3;
    d.file_set_number = 1;
    d.file_set_descriptor_number = 2;
    d.lv_charset = Charspec{0, "lv"};
    d.logical_volume_id = "Volume";
    d.file_set_id = "Files ✓";
    d.copyright_file = "COPYING";
    d.abstract_file = "README";
    d.root = LongAd{2048, 0, 2, 1};
    d.domain = EntityId::domain(rev201);
    d.next = LongAd{2048, 0, 9, 1};
    d.system_stream_directory = LongAd{2048, 0, 10, 1};
    check_descriptor(d, [](auto in, auto loc) { return decode_file_set(in, loc); }, 512, TagId::file_set);
}

TEST(UdfFileDescriptors, file_identifier_round_trips) {
    FileIdentifier d;
    d.tag = {3, 1, 40};
    d.version_number = 1;
    d.characteristics = fid_flag::directory | fid_flag::hidden;
    d.icb = LongAd{2048, 0, 12, 1, 0xCAFE, 0};
    d.implementation_use = "impl";
    d.identifier = encode_cs0("名前.txt", 255);
    EXPECT_EQ(d.name(), "名前.txt");
    size_t end = 38 + 4 + d.identifier.size();
    EXPECT_EQ(d.encoded_size(), (end + 3) & ~size_t(3));
    check_descriptor(d, [](auto in, auto loc) { return decode_file_identifier(in, loc); }, end, TagId::file_identifier);
    FileIdentifier parent;  // the parent: no name
    parent.tag = {2, 1, 40};
    parent.characteristics = fid_flag::parent | fid_flag::directory;
    parent.icb = LongAd{2048, 0, 3, 0};
    EXPECT_EQ(parent.encoded_size(), file_identifier_bytes(0));
    check_descriptor(parent, [](auto in, auto loc) { return decode_file_identifier(in, loc); }, 38, TagId::file_identifier);
    // A name longer than the bytes that hold it.
    std::vector<std::byte> b(64);
    encode(parent, b.data());
    b[19] = std::byte{40};
    finish_tag(b.data(), TagId::file_identifier, parent.tag, 40);
    EXPECT_FALSE(decode_file_identifier(std::span(b).first(60), 40u).ok());
}

TEST(UdfFileDescriptors, allocation_extent_descriptor_round_trips) {
    AllocationExtent d;
    d.tag = {3, 1, 501};
    d.previous = 500;
    d.descriptors.resize(3 * long_ad_bytes);
    std::vector<LongAd> ads = {{2048, 0, 1, 0}, {4096, 0, 9, 0}, {2048, 3, 502, 1}};
    encode_ads(ads, AdForm::long_ad, d.descriptors.data());
    check_descriptor(d, [](auto in, auto loc) { return decode_allocation_extent(in, loc); }, d.encoded_size(),
                     TagId::allocation_extent);
    std::vector<std::byte> b(block_size);
    encode(d, b.data());
    codec::store_le32(b.data() + 20, block_size);  // descriptors beyond the block
    finish_tag(b.data(), TagId::allocation_extent, d.tag, d.encoded_size());
    EXPECT_FALSE(decode_allocation_extent(b, 501u).ok());
}

TEST(UdfFileDescriptors, file_entries_of_both_kinds_round_trip) {
    for (bool extended : {false, true}) {
        SCOPED_TRACE(extended ? "extended file entry" : "file entry");
        FileEntry f = sample_entry(extended);
        EXPECT_EQ(f.encoded_size(), (extended ? 216u : 176u) + 48 + 32);
        check_descriptor(f, [](auto in, auto loc) { return decode_file_entry(in, loc); }, f.encoded_size(),
                         extended ? TagId::extended_file_entry : TagId::file_entry);
        std::vector<std::byte> b(block_size);
        encode(f, b.data());
        EXPECT_EQ(codec::load_le16(b.data()), extended ? 266 : 261);
        EXPECT_EQ(codec::u8(b[27]), uint8_t(FileType::regular));
        // Allocation descriptors beyond the block.
        codec::store_le32(b.data() + (extended ? 212 : 172), block_size);
        finish_tag(b.data(), extended ? TagId::extended_file_entry : TagId::file_entry, f.tag, f.encoded_size());
        auto r = decode_file_entry(b, 77u);
        ASSERT_FALSE(r.ok());
        EXPECT_NE(r.error().message.find("overflow"), std::string::npos) << r.error().message;
    }
    // The fields only an extended entry has are not written in a plain one.
    FileEntry plain = sample_entry(false);
    plain.object_size = 9;
    std::vector<std::byte> b(block_size);
    encode(plain, b.data());
    EXPECT_EQ(decode_file_entry(b)->object_size, 0u);
    // An embedded file: its bytes are the allocation area.
    FileEntry embedded = sample_entry(true);
    embedded.icb.flags = uint16_t(AdForm::embedded);
    embedded.extended_attributes.clear();
    embedded.allocation = bytes_of("hello, embedded world\n");
    embedded.size = embedded.allocation.size();
    check_descriptor(embedded, [](auto in, auto loc) { return decode_file_entry(in, loc); }, embedded.encoded_size(),
                     TagId::extended_file_entry);
    EXPECT_EQ(embedded.icb.form(), AdForm::embedded);
}

TEST(UdfFileDescriptors, extended_attributes_and_device_numbers) {
    ExtendedAttributes d;
    d.tag = {3, 1, 9};
    d.attributes.push_back(device_specification({259, 65536}));
    d.attributes.push_back(ExtendedAttribute{2048, 1, bytes_of("implementation attribute")});
    d.implementation_location = 48;
    d.application_location = uint32_t(d.encoded_size());
    EXPECT_EQ(d.encoded_size(), 24u + 24 + 12 + 24);
    std::vector<std::byte> b(d.encoded_size());
    encode(d, b.data());
    auto back = decode_extended_attributes(b, 9u);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(*back, d);
    EXPECT_EQ(device_numbers(back->attributes[0]), (DeviceNumbers{259, 65536}));
    EXPECT_FALSE(device_numbers(back->attributes[1]));
    EXPECT_EQ(codec::load_le16(b.data() + 10), 8) << "the header's CRC covers the header alone";
    EXPECT_FALSE(decode_extended_attributes(std::span(b).first(b.size() - 1), 9u).ok()) << "an attribute cut short";
    EXPECT_FALSE(decode_extended_attributes(std::span(b).first(20), 9u).ok()) << "a header cut short";
    auto bad = b;
    bad[18] ^= std::byte{1};
    EXPECT_FALSE(decode_extended_attributes(bad, 9u).ok()) << "CRC";
    bad = b;
    codec::store_le32(bad.data() + 24 + 8, 4);  // an attribute shorter than its own header
    EXPECT_FALSE(decode_extended_attributes(bad, 9u).ok());
    // A device specification with more implementation use than it holds names no device.
    ExtendedAttribute dev = device_specification({1, 2});
    codec::store_le32(dev.data.data(), 100);
    EXPECT_FALSE(device_numbers(dev));
}

TEST(UdfFileDescriptors, symlink_paths_round_trip) {
    for (std::string target : {"/etc/passwd", "../a/./b", "plain", "日本/語", "/"}) {
        auto comps = path_components(target);
        auto b = encode(comps);
        auto back = decode_path(b);
        ASSERT_TRUE(back.ok()) << target;
        EXPECT_EQ(*back, comps);
        EXPECT_EQ(path_text(*back), target);
    }
    auto b = encode(path_components("/a/b"));
    EXPECT_EQ(codec::u8(b[0]), 2) << "the root first";
    EXPECT_FALSE(decode_path(std::span(b).first(b.size() - 1)).ok()) << "a name cut short";
    EXPECT_TRUE(decode_path({})->empty());
}

TEST(UdfPartitionTables, sparing_table_round_trips) {
    SparingTable t;
    t.tag = {3, 1, 4000};
    t.identifier = EntityId::udf(sparing_table_ident, rev201);
    t.sequence_number = 7;
    t.entries = {{64, 5000}, {sparing_available, 5032}, {sparing_available, 5064}};
    check_descriptor(t, [](auto in, auto loc) { return decode_sparing_table(in, loc); }, t.encoded_size(), TagId(0));
    std::vector<std::byte> b(block_size);
    encode(t, b.data());
    codec::store_le16(b.data() + 48, 250);  // 250 entries: beyond the block
    finish_tag(b.data(), TagId(0), t.tag, t.encoded_size());
    EXPECT_FALSE(decode_sparing_table(b, 4000u).ok());
    t.identifier = EntityId::udf("*UDF Something Else", rev201);
    encode(t, b.data());
    EXPECT_FALSE(decode_sparing_table(b, 4000u).ok()) << "not a sparing table";
}

TEST(UdfPartitionTables, virtual_allocation_tables_of_both_forms_round_trip) {
    VirtualAllocationTable v2;
    v2.logical_volume_id = "Volume";
    v2.previous = 1234;
    v2.files = 5;
    v2.directories = 6;
    v2.min_read_revision = rev150;
    v2.min_write_revision = rev201;
    v2.max_write_revision = rev250;
    v2.implementation_use = bytes_of("12345678");
    v2.entries = {10, 11, 0xFFFFFFFFu, 12};
    auto b = encode(v2);
    EXPECT_EQ(b.size(), 152u + 8 + 16);
    EXPECT_EQ(codec::load_le16(b.data()), 160) << "the header's length";
    EXPECT_EQ(*decode_vat(b, true), v2);
    VirtualAllocationTable v150;
    v150.header = false;
    v150.identifier = EntityId::udf(vat_ident, rev150);
    v150.previous = 0xFFFFFFFFu;
    v150.entries = {1, 2, 3};
    auto c = encode(v150);
    EXPECT_EQ(c.size(), 12u + 36);
    EXPECT_EQ(*decode_vat(c, false), v150);
    // Malformed: short, a header length beyond the table or below its
    // fixed part, a 1.50 table without its identifier.
    EXPECT_FALSE(decode_vat(std::span(b).first(151), true).ok());
    auto bad = b;
    codec::store_le16(bad.data(), uint16_t(b.size() + 4));
    EXPECT_FALSE(decode_vat(bad, true).ok());
    codec::store_le16(bad.data(), 100);
    EXPECT_FALSE(decode_vat(bad, true).ok());
    EXPECT_FALSE(decode_vat(std::span(c).first(35), false).ok());
    EXPECT_FALSE(decode_vat(b, false).ok()) << "a 2.00 table read as 1.50";
}
