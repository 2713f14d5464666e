// Reading UDF: the volume of one session. The anchor (at start + 256, else
// at the medium's last block or 256 before it) points at the main and the
// reserve volume descriptor sequences (the reserve serves when the main
// fails); they give the partitions, their maps and the file set. A virtual
// partition's VAT is found at the session's last recorded block, a metadata
// partition's extents through its metadata file (else its mirror); the
// integrity descriptor (or the VAT) gives the counts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "mastering/udf/entries.h"
#include "mastering/udf/partitions.h"
#include "mastering/udf/reader.h"

namespace mastering::udf {

class Volume {
public:
    explicit Volume(media::SectorSource& m) : m_m(m), m_entries(m, m_parts) {}
    Volume(const Volume&) = delete;
    Volume& operator=(const Volume&) = delete;

    Status open(uint64_t session_start);

    const Partitions& partitions() const { return m_parts; }
    EntryReader& entries() { return m_entries; }
    LongAd file_set() const { return m_file_set; }
    // Where the reserve sequence ends (a volume's closing anchor follows it).
    uint64_t reserve_end() const { return uint64_t(m_reserve.location) + m_reserve.length / block_size; }
    bool is_anchor(uint64_t lba);
    const VolumeSummary& summary() const { return m_summary; }

private:
    Status find_anchor(uint64_t start);
    Status read_sequence(ExtentAd extent);
    Status resolve_virtual(MappedPartition& p);
    Status resolve_metadata(MappedPartition& p);
    void summarize();
    // The last block before `n` that holds anything.
    uint64_t last_recorded(uint64_t n);
    // Where the session being read ends: from the medium's TOC, else its end.
    uint64_t session_end();

    media::SectorSource& m_m;
    Partitions m_parts;
    EntryReader m_entries;
    uint64_t m_start = 0;
    ExtentAd m_main, m_reserve;
    int m_pointer_hops = 0;
    std::vector<PartitionDescriptor> m_pds;
    std::optional<LogicalVolumeDescriptor> m_lvd;
    LongAd m_file_set;
    VolumeSummary m_summary;
};

}  // namespace mastering::udf
