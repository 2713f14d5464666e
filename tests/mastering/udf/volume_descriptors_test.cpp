// The volume structure descriptors (mastering/udf/volume_descriptors.h):
// each value encodes and decodes back to itself, and damaged bytes (short,
// a broken checksum or CRC, lengths beyond the descriptor) are errors.
#include <gtest/gtest.h>

#include "mastering/udf/volume_descriptors.h"
#include "tests/mastering/udf/descriptor_check.h"

using namespace mastering;
using namespace mastering::udf;
using udftest::check_descriptor;

namespace {

template <size_t N>
std::array<std::byte, N> pattern(uint8_t seed) {
    std::array<std::byte, N> a{};
    for (size_t i = 0; i < N; ++i) a[i] = std::byte(uint8_t(seed + i * 7));
    return a;
}

const EntityId k_app{1, "*an application", {1, 2, 3, 4, 5, 6, 7, 8}};

std::vector<PartitionMap> every_map() {
    PartitionMap physical;
    physical.partition_number = 3;
    physical.volume_sequence = 2;
    PartitionMap sparable;
    sparable.kind = PartitionMap::Kind::sparable;
    sparable.identifier = EntityId::udf(sparable_partition_ident, rev201);
    sparable.packet_length = 32;
    sparable.table_bytes = 312;
    sparable.sparing_tables = {1000, 5000, 9000};
    PartitionMap virtual_;
    virtual_.kind = PartitionMap::Kind::virtual_;
    virtual_.identifier = EntityId::udf(virtual_partition_ident, rev150);
    virtual_.partition_number = 3;
    PartitionMap metadata;
    metadata.kind = PartitionMap::Kind::metadata;
    metadata.identifier = EntityId::udf(metadata_partition_ident, rev250);
    metadata.metadata_file = 10;
    metadata.mirror_file = 11;
    metadata.bitmap_file = 12;
    metadata.allocation_unit = 32;
    metadata.alignment_unit = 16;
    metadata.flags = 1;
    return {physical, sparable, virtual_, metadata};
}

LogicalVolumeDescriptor sample_lvd() {
    LogicalVolumeDescriptor d;
    d.tag = {2, 3, 4100};
    d.sequence_number = 3;
    d.charset = Charspec{0, "custom"};
    d.logical_volume_id = "Lögical";
    d.domain = EntityId::domain(rev250);
    d.file_set = LongAd{2048, 0, 7, 1, 0, 0};
    d.implementation = EntityId::implementation();
    d.implementation_use = pattern<128>(3);
    d.integrity = {4096, 4200};
    d.maps = every_map();
    return d;
}

}  // namespace

TEST(UdfVolumeDescriptors, recognition_sequence_round_trips) {
    std::vector<std::byte> b(block_size, std::byte{0xFF});
    for (const char* id : {"BEA01", "NSR02", "NSR03", "TEA01"}) {
        VolumeStructureDescriptor d{0, id, 1};
        encode(d, b.data());
        EXPECT_EQ(*decode_volume_structure(b), d);
        EXPECT_EQ(codec::u8(b[100]), 0) << "the rest of the block is zero";
    }
    EXPECT_FALSE(decode_volume_structure(std::span(b).first(6)).ok()) << "short";
}

TEST(UdfVolumeDescriptors, anchor_and_pointer_round_trip) {
    AnchorPointer a{{3, 1, 256}, {16 * block_size, 1000}, {16 * block_size, 2000}};
    check_descriptor(a, [](auto in, auto loc) { return decode_anchor(in, loc); }, 512, TagId::anchor);
    VolumeDescriptorPointer p{{3, 2, 1016}, 7, {8 * block_size, 3000}};
    check_descriptor(p, [](auto in, auto loc) { return decode_pointer(in, loc); }, 512, TagId::pointer);
}

TEST(UdfVolumeDescriptors, primary_volume_descriptor_round_trips) {
    PrimaryVolumeDescriptor d;
    d.tag = {3, 5, 1000};
    d.sequence_number = 9;
    d.number = 1;
    d.volume_id = "VOLUME ü";
    d.volume_sequence = 2;
    d.max_volume_sequence = 4;
    d.interchange_level = 3;
    d.max_interchange_level = 3;
    d.charset_list = 1;
    d.max_charset_list = 1;
    d.volume_set_id = "0123ABCD set 日本";
    d.explanatory_charset = Charspec{0, "explanatory"};
    d.abstract = {100, 200};
    d.copyright = {300, 400};
    d.application = k_app;
    d.implementation = EntityId::implementation();
    d.recorded = {1700000000, 250000};
    d.implementation_use = pattern<64>(1);
    d.predecessor = 77;
    d.flags = 1;
    check_descriptor(d, [](auto in, auto loc) { return decode_primary(in, loc); }, 512, TagId::primary_volume);
}

TEST(UdfVolumeDescriptors, implementation_use_descriptor_round_trips) {
    ImplementationUseVolumeDescriptor d;
    d.tag = {2, 1, 1001};
    d.sequence_number = 1;
    d.identifier = EntityId::udf("*UDF LV Info", rev150);
    d.logical_volume_id = "LV";
    d.info1 = "one";
    d.info2 = "two";
    d.info3 = "three";
    d.implementation = k_app;
    d.implementation_use = pattern<128>(9);
    check_descriptor(d, [](auto in, auto loc) { return decode_implementation_use(in, loc); }, 512,
                     TagId::implementation_use);
}

TEST(UdfVolumeDescriptors, partition_descriptor_round_trips) {
    PartitionDescriptor d;
    d.tag = {3, 1, 1002};
    d.sequence_number = 2;
    d.flags = 1;
    d.number = 5;
    d.contents = EntityId{2, "+NSR03", {}};
    d.header.unallocated_bitmap = ShortAd{4096, 0, 1};
    d.header.freed_table = ShortAd{2048, 0, 9};
    d.access = access_type::overwritable;
    d.start = 300;
    d.length = 123456;
    d.implementation = EntityId::implementation();
    d.implementation_use = pattern<128>(5);
    check_descriptor(d, [](auto in, auto loc) { return decode_partition(in, loc); }, 512, TagId::partition);
}

TEST(UdfVolumeDescriptors, logical_volume_descriptor_with_every_map_round_trips) {
    LogicalVolumeDescriptor d = sample_lvd();
    EXPECT_EQ(d.encoded_size(), 440u + 6 + 3 * 64);
    check_descriptor(d, [](auto in, auto loc) { return decode_logical_volume(in, loc); }, d.encoded_size(),
                     TagId::logical_volume);
    d.maps.clear();
    check_descriptor(d, [](auto in, auto loc) { return decode_logical_volume(in, loc); }, 440, TagId::logical_volume);
}

// encode writes encoded_size() bytes and no more, also when the map table
// makes the descriptor shorter than 512 bytes (fuzz_udf_descriptors found it
// zeroing 512: a heap overflow past a 446-byte buffer).
TEST(UdfVolumeDescriptors, logical_volume_descriptor_writes_only_its_own_bytes) {
    LogicalVolumeDescriptor d = sample_lvd();
    d.maps.resize(1);  // the physical map: 440 + 6 bytes
    ASSERT_EQ(d.encoded_size(), 446u);
    std::vector<std::byte> out(d.encoded_size() + 80, std::byte{0xAA});
    encode(d, out.data());
    for (size_t i = d.encoded_size(); i < out.size(); ++i)
        ASSERT_EQ(out[i], std::byte{0xAA}) << "byte " << i << " past the descriptor was written";
    auto back = decode_logical_volume(codec::Bytes(out.data(), d.encoded_size()), d.tag.location);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(*back, d);
}

TEST(UdfVolumeDescriptors, damaged_partition_maps_are_errors) {
    LogicalVolumeDescriptor d = sample_lvd();
    std::vector<std::byte> good(block_size);
    encode(d, good.data());
    auto with = [&](auto change) {
        auto b = good;
        change(b.data());
        finish_tag(b.data(), TagId::logical_volume, d.tag, d.encoded_size());
        return decode_logical_volume(b, d.tag.location);
    };
    auto r = with([](std::byte* p) { codec::store_le32(p + 264, block_size - 439); });
    EXPECT_FALSE(r.ok()) << "a map table beyond the block";
    r = with([](std::byte* p) { codec::store_le32(p + 268, 17); });
    EXPECT_FALSE(r.ok()) << "more than 16 maps";
    r = with([](std::byte* p) { codec::store_le32(p + 268, 5); });
    EXPECT_FALSE(r.ok()) << "more maps than the table holds";
    r = with([](std::byte* p) { p[441] = std::byte{250}; });
    EXPECT_FALSE(r.ok()) << "a map longer than the table";
    r = with([](std::byte* p) { p[441] = std::byte{2}; });
    EXPECT_FALSE(r.ok()) << "a map shorter than 6 bytes";
    r = with([](std::byte* p) { p[446] = std::byte{3}; });
    ASSERT_FALSE(r.ok()) << "map type 3";
    EXPECT_EQ(r.error().code, Errc::unsupported);
    r = with([](std::byte* p) { encode(EntityId::udf("*UDF Unknown Partition", rev250), p + 446 + 4); });
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("*UDF Unknown Partition"), std::string::npos);
    EXPECT_FALSE(decode_logical_volume(std::span(good).first(d.encoded_size() - 1), d.tag.location).ok())
        << "the maps cut short";
}

TEST(UdfVolumeDescriptors, unallocated_space_and_terminating_round_trip) {
    UnallocatedSpaceDescriptor u{{3, 1, 1004}, 4, {{2048, 10}, {4096, 20}, {8192, 30}}};
    check_descriptor(u, [](auto in, auto loc) { return decode_unallocated_space(in, loc); }, u.encoded_size(),
                     TagId::unallocated_space);
    UnallocatedSpaceDescriptor none{{3, 1, 1004}, 4, {}};
    check_descriptor(none, [](auto in, auto loc) { return decode_unallocated_space(in, loc); }, 24, TagId::unallocated_space);
    std::vector<std::byte> b(block_size);
    encode(u, b.data());
    codec::store_le32(b.data() + 20, 300);  // 300 extents: beyond the block
    finish_tag(b.data(), TagId::unallocated_space, u.tag, u.encoded_size());
    EXPECT_FALSE(decode_unallocated_space(b, 1004u).ok());
    TerminatingDescriptor t{{2, 1, 1005}};
    check_descriptor(t, [](auto in, auto loc) { return decode_terminating(in, loc); }, 512, TagId::terminating);
}

TEST(UdfVolumeDescriptors, integrity_descriptor_round_trips) {
    LogicalVolumeIntegrityDescriptor d;
    d.tag = {3, 1, 4200};
    d.recorded = {1600000000, 1000};
    d.type = integrity_type::open;
    d.next = {2048, 9000};
    d.next_unique_id = 0x123456789;
    d.partitions = {{1, 2}, {3, 4}};
    d.udf = IntegrityImplementationUse{EntityId::implementation(), 10, 20, rev150, rev201, rev250,
                                       {std::byte{0xAA}, std::byte{0xBB}}};
    EXPECT_EQ(d.encoded_size(), 80u + 16 + 46 + 2);
    check_descriptor(d, [](auto in, auto loc) { return decode_integrity(in, loc); }, d.encoded_size(), TagId::integrity);
    d.udf.reset();  // a volume that records no UDF implementation use
    check_descriptor(d, [](auto in, auto loc) { return decode_integrity(in, loc); }, d.encoded_size(), TagId::integrity);
    std::vector<std::byte> b(block_size);
    encode(d, b.data());
    codec::store_le32(b.data() + 72, 300);  // 300 partitions: tables beyond the block
    finish_tag(b.data(), TagId::integrity, d.tag, d.encoded_size());
    EXPECT_FALSE(decode_integrity(b, 4200u).ok());
    codec::store_le32(b.data() + 72, 2);
    codec::store_le32(b.data() + 76, 4000);  // implementation use beyond the block
    finish_tag(b.data(), TagId::integrity, d.tag, d.encoded_size());
    EXPECT_FALSE(decode_integrity(b, 4200u).ok());
}
