// Reading UDF: (extended) file entries and the bytes they describe. An
// entry's allocation descriptors (short, long, extended, or the bytes
// embedded in it) become extents on the medium, following allocation
// extent descriptor chains; a device's numbers come from its extended
// attributes. Every structure is bounds-checked and every tag verified.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "mastering/media/sector_source.h"
#include "mastering/udf/file_descriptors.h"
#include "mastering/udf/partitions.h"

namespace mastering::udf {

// A block of the medium, or an error if it lies beyond it.
Result<std::vector<std::byte>> read_block(media::SectorSource& m, uint64_t lba);

struct Entry {
    FileEntry fe;                          // as decoded (its allocation area moved out for embedded files)
    uint64_t lba = 0;                      // absolute block of the entry
    uint16_t ref = 0;                      // its partition reference
    std::vector<model::Extent> extents;    // the data, in file order
    std::vector<std::byte> inline_data;    // embedded bytes
    std::optional<uint64_t> rdev;          // a device's numbers
    bool embedded() const { return fe.icb.form() == AdForm::embedded; }
};

class EntryReader {
public:
    EntryReader(media::SectorSource& m, const Partitions& p) : m_m(m), m_parts(p) {}

    Result<Entry> read(const LongAd& icb);
    // The bytes of a (small) entry: directories, symlinks, the VAT.
    Result<std::vector<std::byte>> read_all(const Entry& e, uint64_t limit);
    Status read_extents(const std::vector<model::Extent>& extents, uint64_t offset, std::span<std::byte> out);

private:
    Status follow_ads(Entry& e);
    // A recorded extent, mapped block by block where the partition is not contiguous.
    Status add_recorded(uint16_t part, uint32_t pos, uint32_t len, Entry& e);

    media::SectorSource& m_m;
    const Partitions& m_parts;
};

}  // namespace mastering::udf
