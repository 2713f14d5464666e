// SectorSource: the one way readers (ISO 9660, UDF, import, master-info, FUSE)
// reach a medium's 2048-byte blocks, whether it is an image file, a virtual
// disc or a drive behind a transport.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "mastering/codec/result.h"
#include "mastering/media/profile.h"

namespace mastering::media {

class SectorSource {
public:
    virtual ~SectorSource() = default;

    // Fill `out` (a multiple of block_size bytes) from block `lba` on. Blocks
    // beyond block_count() or never written are an error, not zeros.
    virtual Status read_blocks(uint64_t lba, std::span<std::byte> out) = 0;
    // Number of readable blocks (for an image file: its size / 2048, rounded up).
    virtual uint64_t block_count() const = 0;
    // For messages: the path or address this reads from.
    virtual std::string describe() const = 0;
    // A file descriptor whose byte LBA x 2048 is block LBA, for zero-copy
    // readers (splice): image files have one; drives and virtual discs do not
    // (-1). Reading through it is safe from several threads (pread).
    virtual int block_fd() const { return -1; }
};

// A plain image file: LBA × 2048 = byte offset. A short last block reads as
// zero-padded. Opened read-only.
Result<std::unique_ptr<SectorSource>> open_image_file(const std::string& path);

}  // namespace mastering::media

#include "mastering/media/toc.h"

namespace mastering::media {

// A medium: its blocks and its table of contents. An image file gets an
// emulated TOC (the session chain of docs/architecture.md "Images"), a virtual
// disc its toc.json, a drive its READ TOC / DISC / TRACK INFORMATION answers.
class Medium : public SectorSource {
public:
    virtual Result<Toc> toc() = 0;
};

}  // namespace mastering::media
