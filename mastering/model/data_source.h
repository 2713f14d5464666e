// DataSource: where the bytes of a file come from when the image stream is
// produced — a host file, bytes in memory, a caller's stream, or extents of an
// imported medium. Read at any offset (the result stream reads sequentially,
// the dedup pass reads prefixes).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "mastering/codec/result.h"
#include "mastering/media/sector_source.h"
#include "mastering/model/fs_reader.h"

namespace mastering::model {

class DataSource {
public:
    virtual ~DataSource() = default;
    virtual uint64_t size() const = 0;
    // Up to out.size() bytes from `offset`; fewer only at the end.
    virtual Result<size_t> read_at(uint64_t offset, std::span<std::byte> out) = 0;
    virtual std::string describe() const = 0;
};

// Read [offset, offset + out.size()) of a file of `size` bytes laid out in
// `extents` on a medium; returns the bytes read (fewer only at the end).
Result<size_t> read_extents(media::SectorSource& medium, const std::vector<Extent>& extents, uint64_t size,
                            uint64_t offset, std::span<std::byte> out);

// Bytes held in memory.
std::shared_ptr<DataSource> memory_source(std::string bytes, std::string name = "memory");
// `size` bytes of `extents` on a medium (an imported file).
std::shared_ptr<DataSource> extent_source(std::shared_ptr<media::SectorSource> medium, std::vector<Extent> extents,
                                          uint64_t size, std::string name);

}  // namespace mastering::model
