// How a UDF session's partition is laid out: one strategy per partition
// kind, chosen once (choose_partition_scheme) from the medium's needs.
//   physical (physical_partition.cpp): one type 1 map; the file set and the
//     data in it, the descriptor sequences and the closing anchor after it.
//   sparable (sparable_partition.cpp, UDF 2.2.9, 2.2.12): rewritable media
//     written in fixed packets; packet-aligned, with a spare area and two
//     sparing tables outside it.
//   VAT (vat_partition.cpp, UDF 2.2.8, 2.2.11): write-once sequential media;
//     entries in a virtual partition mapped by the table that ends the session.
//   metadata (metadata_partition.cpp, UDF 2.2.10, 2.2.13): UDF 2.50 over a
//     physical or sparable partition; the file set in a metadata file and its mirror.
// Each reserves its own blocks (it is their Part) and says what the volume
// descriptors record of it.
#pragma once

#include <memory>
#include <vector>

#include "mastering/model/layout.h"
#include "mastering/udf/file_descriptors.h"
#include "mastering/udf/file_set.h"
#include "mastering/udf/options.h"
#include "mastering/udf/volume_descriptors.h"
#include "mastering/udf/volume_structure.h"

namespace mastering::udf {

class PartitionScheme : public model::Part {
public:
    explicit PartitionScheme(const UdfOptions& o) : m_opt(o) {}
    std::string_view name() const override { return "UDF"; }
    Status emit(uint64_t tag, uint32_t first, std::span<std::byte> out) override;

    // Blocks are aligned to packets of this many (1: no packets).
    virtual uint32_t packet() const { return 1; }
    // Before the ISO 9660 trees, after the fixed blocks at the session's start.
    virtual void layout_head(model::Allocator&, VolumeStructure&) {}
    // The file set's blocks, after start + 256.
    virtual void place_file_set(model::Allocator& a, FileSet& files);
    // The lowest block of the scheme's own (the partition reaches down to it).
    virtual uint32_t lowest_own_block() const { return m_file_set_start; }
    // The partition starts at `low` (packet-aligned), unless the disc says otherwise.
    virtual Status set_start(uint32_t low);
    // After the file data: the partition's end and what follows it, the
    // descriptor sequences and the closing anchor included.
    virtual Status layout_tail(model::Allocator& a, VolumeStructure& v) = 0;

    // What the volume descriptors record: the partition, its maps, the
    // size of each (the integrity descriptor's size table).
    uint32_t start() const { return m_start; }
    uint32_t blocks() const { return m_blocks; }
    virtual uint32_t access() const { return access_type::read_only; }
    virtual std::vector<PartitionMap> maps() const = 0;
    virtual std::vector<uint32_t> partition_sizes() const { return {m_blocks}; }
    // How the file set's blocks are addressed.
    virtual FileSetAddress file_set_address() const { return {0, m_file_set_start - m_start, m_start}; }

protected:
    static constexpr uint64_t t_zeros = 0;  // padding, spare blocks: every scheme's tag 0
    // One block of a piece of the scheme's own (tag > 0).
    virtual Status fill(uint64_t tag, uint32_t index, std::byte* block);
    DescriptorTag tag_at(uint32_t location) const { return {descriptor_version(m_opt.revision), 1, location}; }
    // Pads the allocation up to the next packet boundary (absolute blocks).
    void align_to_packet(model::Allocator& a);
    // Reserves blocks from `end` (the allocation's end) so that `then` more
    // blocks after them end on a packet boundary.
    Status pad_to_packet(model::Allocator& a, uint32_t& end, uint32_t then = 0);
    // The entry of a system file (metadata file, VAT): no owner, now.
    FileEntry system_entry(FileType type, uint32_t location, uint64_t size) const;
    // Short allocation descriptors of `blocks` blocks from `first` (absolute) in the partition.
    std::vector<std::byte> short_ads(uint32_t first, uint64_t bytes) const;

    const UdfOptions& m_opt;
    uint32_t m_start = 0, m_blocks = 0;
    uint32_t m_file_set_start = 0;  // the file set's main copy (absolute)
};

// The one place that tells the partition kinds apart: physical, sparable,
// VAT, and metadata over physical or sparable; an error for a combination
// the revision or the medium does not allow.
Result<std::unique_ptr<PartitionScheme>> choose_partition_scheme(const UdfOptions& o, const FileSet& files);

// Sparable partitions: the spare area (as mkudffs sizes it by default) and
// the size of the sparing table that lists its packets.
constexpr uint32_t spare_area_blocks = 1024;
size_t sparing_table_bytes(uint32_t packet);

std::unique_ptr<PartitionScheme> make_physical_partition(const UdfOptions& o);
std::unique_ptr<PartitionScheme> make_sparable_partition(const UdfOptions& o);
std::unique_ptr<PartitionScheme> make_vat_partition(const UdfOptions& o, const FileSet& files);
std::unique_ptr<PartitionScheme> make_metadata_partition(const UdfOptions& o, const FileSet& files,
                                                         std::unique_ptr<PartitionScheme> base);

}  // namespace mastering::udf
