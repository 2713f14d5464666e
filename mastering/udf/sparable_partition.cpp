// A sparable partition (UDF 2.2.9, 2.2.12) for rewritable media without
// defect management of their own, written in fixed packets (CD-RW, DVD-RW
// in restricted overwrite), laid out as mkudffs lays out a CD-RW: the
// partition starts and ends on packet boundaries, a spare area of 1024
// blocks lies outside it, and two copies of the sparing table (every spare
// packet available) lie apart: before the spare area and between the
// reserve sequence and the closing anchor (the session ends on a packet
// boundary). mkudffs puts the first copy before block 256; ours follows the
// partition, since an appended session's partition reaches back into the
// sessions before it.
#include <cstring>

#include "mastering/udf/partition_scheme.h"
#include "mastering/udf/partition_tables.h"

namespace mastering::udf {

size_t sparing_table_bytes(uint32_t packet) {
    SparingTable t;
    t.entries.resize(spare_area_blocks / packet);
    return t.encoded_size();
}

namespace {

class SparablePartition final : public PartitionScheme {
public:
    using PartitionScheme::PartitionScheme;

    uint32_t packet() const override { return m_opt.sparable_packet; }

    Status layout_tail(model::Allocator& a, VolumeStructure& v) override {
        uint32_t end = a.end();
        DM_TRY(pad_to_packet(a, end));  // the partition ends on a packet boundary
        m_blocks = end - m_start;
        // The first sparing table and the spare packets, outside the
        // partition (no file may be allocated in them: UDF 2.2.12).
        m_tables[0] = DM_TRY(a.reserve_at(end, 1, this, t_table));
        end += 1;
        DM_TRY(pad_to_packet(a, end));
        m_spare = DM_TRY(a.reserve_at(end, spare_area_blocks, this, t_zeros));
        end += spare_area_blocks;
        DM_TRY(v.place_sequences_at(a, end));
        // The second table, then padding so that the session ends on a
        // packet boundary with its closing anchor.
        m_tables[1] = DM_TRY(a.reserve_at(end, 1, this, t_table_copy));
        end += 1;
        DM_TRY(pad_to_packet(a, end, 1));
        return v.place_closing_anchor(a, end);
    }

    // One type 2 map in place of the physical one (UDF 2.2.9).
    std::vector<PartitionMap> maps() const override {
        PartitionMap m;
        m.kind = PartitionMap::Kind::sparable;
        m.identifier = EntityId::udf(sparable_partition_ident, m_opt.revision);
        m.packet_length = uint16_t(packet());
        m.table_bytes = uint32_t(sparing_table_bytes(packet()));
        m.sparing_tables = {m_tables[0], m_tables[1]};
        return {m};
    }

protected:
    Status fill(uint64_t tag, uint32_t, std::byte* b) override {
        // Every spare packet is available; the entries stay sorted by
        // original location (UDF 2.2.12).
        SparingTable t;
        t.tag = tag_at(m_tables[tag == t_table_copy ? 1 : 0]);
        t.identifier = EntityId::udf(sparing_table_ident, m_opt.revision);
        for (uint32_t i = 0; i < spare_area_blocks / packet(); ++i)
            t.entries.push_back({sparing_available, m_spare + i * packet()});
        std::memset(b, 0, block_size);
        encode(t, b);
        return {};
    }

private:
    static constexpr uint64_t t_table = 1, t_table_copy = 2;
    uint32_t m_tables[2] = {0, 0}, m_spare = 0;
};

}  // namespace

std::unique_ptr<PartitionScheme> make_sparable_partition(const UdfOptions& o) {
    return std::make_unique<SparablePartition>(o);
}

}  // namespace mastering::udf
