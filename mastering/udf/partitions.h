// Reading UDF: the partitions of a logical volume, and where a logical
// block of each lies on the medium. A physical map is its partition
// descriptor's extent; a sparable one (UDF 2.2.9) relocates the packets its
// sparing table lists; a virtual one (2.2.8) goes through the VAT; a
// metadata one (2.2.10) through the extents of the metadata file. The
// volume (volume.h) fills in the VAT and the metadata extents once it has
// found them.
#pragma once

#include <utility>
#include <vector>

#include "mastering/media/sector_source.h"
#include "mastering/udf/volume_descriptors.h"

namespace mastering::udf {

struct MappedPartition {
    PartitionMap map;                 // as the logical volume descriptor records it
    uint32_t start = 0, length = 0;   // its partition descriptor
    uint32_t access = 0;
    uint32_t packet = 32;                                // sparable
    std::vector<std::pair<uint32_t, uint32_t>> sparing;  // sparable: packet start -> mapped (absolute)
    std::vector<uint32_t> vat;                           // virtual
    std::vector<std::pair<uint64_t, model::Extent>> meta;  // metadata: (first logical block, extent) in order

    PartitionMap::Kind kind() const { return map.kind; }
};

class Partitions {
public:
    // The maps of `lvd` over the partition descriptors `pds`, sparing tables read.
    static Result<Partitions> build(media::SectorSource& m, const LogicalVolumeDescriptor& lvd,
                                    const std::vector<PartitionDescriptor>& pds);

    // Absolute block of logical block `lbn` of partition reference `ref`.
    Result<uint64_t> lba(uint16_t ref, uint32_t lbn) const;
    // Whether consecutive logical blocks of `ref` are consecutive on the medium.
    bool contiguous(uint16_t ref) const { return ref < m_maps.size() && m_maps[ref].kind() == PartitionMap::Kind::physical; }
    // The physical (or sparable) map a virtual or metadata map lives in.
    Result<uint16_t> underlying(const MappedPartition& p) const;

    size_t size() const { return m_maps.size(); }
    MappedPartition& operator[](size_t i) { return m_maps[i]; }
    const MappedPartition& operator[](size_t i) const { return m_maps[i]; }
    const std::vector<MappedPartition>& all() const { return m_maps; }

private:
    std::vector<MappedPartition> m_maps;
};

}  // namespace mastering::udf
