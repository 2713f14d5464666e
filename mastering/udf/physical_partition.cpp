// A physical partition (ECMA-167 3/10.7.2: one type 1 map), read-only as
// IMAPI2 records it: from the lowest block a file entry refers to (in an
// appended session: the oldest kept file, so earlier sessions' files stay
// addressable) up to the descriptor sequences, which follow it; the closing
// anchor is the session's last block.
#include "mastering/udf/partition_scheme.h"

namespace mastering::udf {

namespace {

class PhysicalPartition final : public PartitionScheme {
public:
    using PartitionScheme::PartitionScheme;

    Status layout_tail(model::Allocator& a, VolumeStructure& v) override {
        uint32_t end = a.end();
        m_blocks = end - m_start;
        DM_TRY(v.place_sequences_at(a, end));
        return v.place_closing_anchor(a, end);
    }

    std::vector<PartitionMap> maps() const override { return {PartitionMap{}}; }
};

}  // namespace

std::unique_ptr<PartitionScheme> make_physical_partition(const UdfOptions& o) {
    return std::make_unique<PhysicalPartition>(o);
}

}  // namespace mastering::udf
