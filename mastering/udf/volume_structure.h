// The volume structure of a UDF session as written: the recognition
// sequence (when no ISO 9660 descriptors precede it), the anchors at start +
// 256, at block 256 of a plain image file and at the session's end, the main
// and reserve volume descriptor sequences (primary, "*UDF LV Info",
// partition, logical volume, unallocated space, terminator: 16 blocks each)
// and the integrity sequence (a closed logical volume integrity descriptor
// and a terminator). The partition scheme says where the sequences and the
// closing anchor go; describe() gives them what they record.
#pragma once

#include <vector>

#include "mastering/model/layout.h"
#include "mastering/udf/options.h"
#include "mastering/udf/volume_descriptors.h"

namespace mastering::udf {

// What the descriptors record beyond the options, once the layout is known.
struct VolumeFacts {
    uint32_t access = access_type::read_only;
    uint32_t partition_start = 0, partition_blocks = 0;
    std::vector<PartitionMap> maps;
    std::vector<uint32_t> partition_sizes;  // one per map (the integrity descriptor's size table)
    LongAd file_set;                        // where the file set descriptor is
    uint64_t files = 0, directories = 0, next_unique_id = 0;
};

class VolumeStructure final : public model::Part {
public:
    explicit VolumeStructure(const UdfOptions& o) : m_opt(o) {}
    std::string_view name() const override { return "UDF"; }

    // Block `index` (0..2) of the recognition sequence.
    static void recognition_block(uint32_t index, uint16_t revision, std::byte* block);

    // The fixed blocks: the recognition sequence (own_vrs), the anchor at
    // start + 256 and, in a plain image file's first session, at block 256.
    Status place_head(model::Allocator& a);
    // The integrity, main and reserve sequences: at the allocator's next
    // free blocks, or from `end` on (which moves past them).
    void place_sequences(model::Allocator& a);
    Status place_sequences_at(model::Allocator& a, uint32_t& end);
    Status place_closing_anchor(model::Allocator& a, uint32_t& end);
    uint32_t session_start() const { return m_session_start; }

    void describe(const VolumeFacts& f);
    // An anchor recorded for block `location`, pointing at this session's sequences.
    std::vector<std::byte> anchor_block(uint32_t location) const;
    Status emit(uint64_t tag, uint32_t first, std::span<std::byte> out) override;

private:
    enum Tag : uint64_t { t_vrs, t_anchor_session, t_anchor_image, t_anchor_end, t_main, t_reserve, t_integrity };
    static constexpr uint32_t k_sequence_blocks = 16, k_integrity_blocks = 2;
    DescriptorTag tag_at(uint32_t location) const { return {descriptor_version(m_opt.revision), 1, location}; }
    void fill_anchor(uint32_t location, std::byte* block) const;
    void fill_sequence(uint32_t base, uint32_t index, std::byte* block) const;
    void fill_integrity(uint32_t index, std::byte* block) const;

    const UdfOptions& m_opt;
    uint32_t m_session_start = 0, m_main = 0, m_reserve = 0, m_integrity = 0, m_end_anchor = 0;
    // The descriptors, as describe() made them (tags located when emitted).
    PrimaryVolumeDescriptor m_primary;
    ImplementationUseVolumeDescriptor m_lv_info;
    PartitionDescriptor m_partition;
    LogicalVolumeDescriptor m_logical_volume;
    LogicalVolumeIntegrityDescriptor m_lvid;
};

}  // namespace mastering::udf
