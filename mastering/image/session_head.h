// The head of an image file or an overwritable disc (docs/architecture.md
// "Images"): what makes a newly written session the one a reader without a
// TOC finds. Blocks 0-31 hold the newest session's system area and volume
// descriptors with the total size, and where block 256 holds the UDF anchor
// an earlier session wrote there, it is pointed at the newest session's UDF.
// Both are written after the session itself, so that until then the medium
// still shows its previous session.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "mastering/codec/result.h"
#include "mastering/image/result_stream.h"
#include "mastering/media/sector_source.h"

namespace mastering::image {

constexpr uint32_t head_blocks = 32;     // LBA 0-31
constexpr uint32_t udf_anchor_lba = 256;

struct SessionHead {
    std::vector<std::byte> blocks;  // head_blocks blocks for LBA 0
    std::vector<std::byte> anchor;  // one block for udf_anchor_lba; empty: leave it as it is
};

// The head for `stream`, about to be appended to `before` (the medium as it is
// now, with the sessions `toc` lists). A first session at block 0 keeps its
// blocks: only its descriptor blocks from 16 on are replaced, and a new
// session needing more descriptors than it has is refused.
Result<SessionHead> session_head(const ImageStream& stream, media::SectorSource& before, const media::Toc& toc);

}  // namespace mastering::image
