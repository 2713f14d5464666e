#include "mastering/udf/partitions.h"

#include <algorithm>

#include "mastering/udf/partition_tables.h"

namespace mastering::udf {

namespace {

// One copy of the sparing table; false if it does not check.
bool read_sparing(media::SectorSource& m, uint32_t loc, uint32_t bytes, MappedPartition& p) {
    uint32_t blocks = std::clamp<uint32_t>((bytes + block_size - 1) / block_size, 1, 32);
    if (uint64_t(loc) + blocks > m.block_count()) return false;
    std::vector<std::byte> b(size_t(blocks) * block_size);
    if (!m.read_blocks(loc, b).ok()) return false;
    auto t = decode_sparing_table(b, loc);
    if (!t.ok()) return false;
    p.sparing.clear();
    for (const auto& e : t->entries)
        if (e.original < sparing_unused_min) p.sparing.push_back({e.original, e.mapped});
    return true;
}

}  // namespace

Result<Partitions> Partitions::build(media::SectorSource& m, const LogicalVolumeDescriptor& lvd,
                                     const std::vector<PartitionDescriptor>& pds) {
    Partitions out;
    for (const auto& map : lvd.maps) {
        MappedPartition p;
        p.map = map;
        if (map.kind == PartitionMap::Kind::sparable) {
            p.packet = std::max<uint32_t>(1, map.packet_length);
            // The first copy that checks.
            for (uint32_t loc : map.sparing_tables)
                if (read_sparing(m, loc, map.table_bytes, p)) break;
        }
        auto pd = std::find_if(pds.begin(), pds.end(), [&](const auto& d) { return d.number == map.partition_number; });
        if (pd == pds.end())
            return make_error(Errc::corrupt, "UDF partition map refers to partition " +
                                                 std::to_string(map.partition_number) + ", which has no descriptor");
        p.start = pd->start;
        p.length = pd->length;
        p.access = pd->access;
        if (uint64_t(p.start) >= m.block_count()) return make_error(Errc::corrupt, "UDF partition starts beyond the medium");
        out.m_maps.push_back(std::move(p));
    }
    if (out.m_maps.empty()) return make_error(Errc::corrupt, "UDF volume without partition maps");
    return out;
}

Result<uint16_t> Partitions::underlying(const MappedPartition& p) const {
    for (uint16_t r = 0; r < m_maps.size(); ++r) {
        auto k = m_maps[r].kind();
        if ((k == PartitionMap::Kind::physical || k == PartitionMap::Kind::sparable) &&
            m_maps[r].map.partition_number == p.map.partition_number)
            return r;
    }
    return make_error(Errc::corrupt, "UDF partition map without its physical partition");
}

Result<uint64_t> Partitions::lba(uint16_t ref, uint32_t lbn) const {
    if (ref >= m_maps.size())
        return make_error(Errc::corrupt, "UDF partition reference " + std::to_string(ref) + " does not exist");
    const MappedPartition& p = m_maps[ref];
    switch (p.kind()) {
    case PartitionMap::Kind::physical:
        break;
    case PartitionMap::Kind::sparable: {
        uint32_t packet = lbn - lbn % p.packet;
        for (auto& [orig, mapped] : p.sparing)
            if (orig == packet) return uint64_t(mapped) + lbn % p.packet;
        break;
    }
    case PartitionMap::Kind::virtual_:
        if (lbn >= p.vat.size() || p.vat[lbn] == 0xFFFFFFFFu)
            return make_error(Errc::corrupt, "UDF virtual block " + std::to_string(lbn) + " is not in the VAT");
        lbn = p.vat[lbn];
        break;
    case PartitionMap::Kind::metadata: {
        auto it = std::upper_bound(p.meta.begin(), p.meta.end(), uint64_t(lbn),
                                   [](uint64_t v, const auto& e) { return v < e.first; });
        if (it == p.meta.begin()) return make_error(Errc::corrupt, "UDF metadata block outside the metadata file");
        --it;
        uint64_t off = lbn - it->first;
        if (off * block_size >= it->second.length)
            return make_error(Errc::corrupt, "UDF metadata block " + std::to_string(lbn) + " outside the metadata file");
        return it->second.lba + off;
    }
    }
    if (lbn >= p.length && p.length != 0)
        return make_error(Errc::corrupt, "UDF block " + std::to_string(lbn) + " beyond its partition");
    return uint64_t(p.start) + lbn;
}

}  // namespace mastering::udf
