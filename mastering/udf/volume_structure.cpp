#include "mastering/udf/volume_structure.h"

#include <cstdio>
#include <cstring>

namespace mastering::udf {

void VolumeStructure::recognition_block(uint32_t index, uint16_t revision, std::byte* block) {
    const char* id = index == 0 ? "BEA01" : index == 1 ? (revision >= rev200 ? "NSR03" : "NSR02") : "TEA01";
    encode(VolumeStructureDescriptor{0, id, 1}, block);
}

Status VolumeStructure::place_head(model::Allocator& a) {
    m_session_start = a.start();
    uint32_t s = m_session_start;
    if (m_opt.own_vrs) DM_TRY(a.reserve_at(s + 16, 3, this, t_vrs));
    DM_TRY(a.reserve_at(s + 256, 1, this, t_anchor_session));
    // A plain image file's first session (at 32): its readers look at block 256.
    if (s > 0 && s + 32 <= 256) DM_TRY(a.reserve_at(256, 1, this, t_anchor_image));
    return {};
}

void VolumeStructure::place_sequences(model::Allocator& a) {
    m_integrity = a.reserve(k_integrity_blocks, this, t_integrity);
    m_main = a.reserve(k_sequence_blocks, this, t_main);
    m_reserve = a.reserve(k_sequence_blocks, this, t_reserve);
}

Status VolumeStructure::place_sequences_at(model::Allocator& a, uint32_t& end) {
    // The integrity sequence first: readers that size the volume by its
    // descriptor sequences (7-Zip) expect only the closing anchor after them.
    m_integrity = DM_TRY(a.reserve_at(end, k_integrity_blocks, this, t_integrity));
    m_main = DM_TRY(a.reserve_at(end + k_integrity_blocks, k_sequence_blocks, this, t_main));
    m_reserve = DM_TRY(a.reserve_at(end + k_integrity_blocks + k_sequence_blocks, k_sequence_blocks, this, t_reserve));
    end += k_integrity_blocks + 2 * k_sequence_blocks;
    return {};
}

Status VolumeStructure::place_closing_anchor(model::Allocator& a, uint32_t& end) {
    m_end_anchor = DM_TRY(a.reserve_at(end, 1, this, t_anchor_end));
    end += 1;
    return {};
}

void VolumeStructure::describe(const VolumeFacts& f) {
    const uint16_t rev = m_opt.revision;
    const std::string& name = m_opt.volume_name;
    const EntityId ours = EntityId::implementation();

    m_primary = PrimaryVolumeDescriptor{};
    m_primary.sequence_number = 0;
    m_primary.volume_id = name;
    char set_id[32];
    std::snprintf(set_id, sizeof set_id, "%08llX", static_cast<unsigned long long>(uint64_t(m_opt.now) & 0xFFFFFFFFu));
    m_primary.volume_set_id = std::string(set_id) + "DISCMASTER" + name;
    m_primary.application = ours;
    m_primary.recorded = {m_opt.now, 0};
    m_primary.implementation = ours;

    m_lv_info = ImplementationUseVolumeDescriptor{};
    m_lv_info.sequence_number = 1;
    m_lv_info.identifier = EntityId::udf("*UDF LV Info", rev);
    m_lv_info.logical_volume_id = name;
    m_lv_info.implementation = ours;

    m_partition = PartitionDescriptor{};
    m_partition.sequence_number = 2;
    m_partition.contents.identifier = rev >= rev200 ? "+NSR03" : "+NSR02";
    m_partition.access = f.access;
    m_partition.start = f.partition_start;
    m_partition.length = f.partition_blocks;
    m_partition.implementation = ours;

    m_logical_volume = LogicalVolumeDescriptor{};
    m_logical_volume.sequence_number = 3;
    m_logical_volume.logical_volume_id = name;
    m_logical_volume.domain = EntityId::domain(rev);
    m_logical_volume.file_set = f.file_set;
    m_logical_volume.implementation = ours;
    m_logical_volume.integrity = {k_integrity_blocks * block_size, m_integrity};
    m_logical_volume.maps = f.maps;

    m_lvid = LogicalVolumeIntegrityDescriptor{};
    m_lvid.recorded = {m_opt.now, 0};
    m_lvid.next_unique_id = f.next_unique_id;
    for (uint32_t size : f.partition_sizes) m_lvid.partitions.push_back({0, size});  // nothing free: read-only
    m_lvid.udf = IntegrityImplementationUse{ours,
                                            uint32_t(std::min<uint64_t>(f.files, UINT32_MAX)),
                                            uint32_t(std::min<uint64_t>(f.directories, UINT32_MAX)),
                                            rev, rev, rev, {}};
}

void VolumeStructure::fill_anchor(uint32_t location, std::byte* b) const {
    std::memset(b, 0, block_size);
    encode(AnchorPointer{tag_at(location), {k_sequence_blocks * block_size, m_main},
                         {k_sequence_blocks * block_size, m_reserve}},
           b);
}

std::vector<std::byte> VolumeStructure::anchor_block(uint32_t location) const {
    std::vector<std::byte> b(block_size);
    fill_anchor(location, b.data());
    return b;
}

namespace {
// A descriptor made once, recorded at `tag`'s location.
template <typename T>
void encode_at(T d, const DescriptorTag& tag, std::byte* b) {
    d.tag = tag;
    encode(d, b);
}
}  // namespace

void VolumeStructure::fill_sequence(uint32_t base, uint32_t index, std::byte* b) const {
    std::memset(b, 0, block_size);
    DescriptorTag tag = tag_at(base + index);
    switch (index) {
    case 0: encode_at(m_primary, tag, b); break;
    case 1: encode_at(m_lv_info, tag, b); break;
    case 2: encode_at(m_partition, tag, b); break;
    case 3: encode_at(m_logical_volume, tag, b); break;
    case 4: encode(UnallocatedSpaceDescriptor{tag, 4, {}}, b); break;  // none: the partition covers it all
    case 5: encode(TerminatingDescriptor{tag}, b); break;
    default: break;  // the rest of the 16 blocks stay empty
    }
}

void VolumeStructure::fill_integrity(uint32_t index, std::byte* b) const {
    std::memset(b, 0, block_size);
    if (index == 1) {
        encode(TerminatingDescriptor{tag_at(m_integrity + 1)}, b);
        return;
    }
    encode_at(m_lvid, tag_at(m_integrity), b);
}

Status VolumeStructure::emit(uint64_t tag, uint32_t first, std::span<std::byte> out) {
    for (uint32_t k = 0; k < out.size() / block_size; ++k) {
        std::byte* b = out.data() + size_t(k) * block_size;
        uint32_t i = first + k;
        switch (tag) {
        case t_vrs: recognition_block(i, m_opt.revision, b); break;
        case t_anchor_session: fill_anchor(m_session_start + 256, b); break;
        case t_anchor_image: fill_anchor(256, b); break;
        case t_anchor_end: fill_anchor(m_end_anchor, b); break;
        case t_main: fill_sequence(m_main, i, b); break;
        case t_reserve: fill_sequence(m_reserve, i, b); break;
        case t_integrity: fill_integrity(i, b); break;
        default: return make_error(Errc::internal, "UDF volume structure: unknown piece");
        }
    }
    return {};
}

}  // namespace mastering::udf
