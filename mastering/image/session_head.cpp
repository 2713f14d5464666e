#include "mastering/image/session_head.h"

#include <cstring>

#include "mastering/iso9660/structures.h"
#include "mastering/udf/descriptors.h"

namespace mastering::image {

using model::block_bytes;

namespace {

std::span<const std::byte> block_of(const std::vector<std::byte>& v, uint32_t b) {
    return {v.data() + size_t(b) * block_bytes, block_bytes};
}

// A first session at block 0 (a disc's data, or genisoimage's first session)
// has its own path tables and data after its descriptors: keep its blocks and
// replace its descriptors only, as many as the new session has, and its
// system area only with one the new session carries (a bootable session's
// MBR and GPT, new or kept as they were).
Status keep_first_session(std::vector<std::byte>& head, media::SectorSource& before, bool system_area) {
    std::vector<std::byte> old(head.size(), std::byte{0});
    uint64_t readable = std::min<uint64_t>(head_blocks, before.block_count());
    DM_TRY(before.read_blocks(0, std::span(old.data(), size_t(readable) * block_bytes)));
    uint32_t n = 0;
    while (16 + n < head_blocks && iso9660::peek_volume_descriptor(block_of(head, 16 + n))) ++n;
    for (uint32_t b = 16; b < 16 + n; ++b)
        if (!iso9660::peek_volume_descriptor(block_of(old, b)))
            return make_error(Errc::unsupported, before.describe() +
                                                     ": its first session starts at block 0 and has fewer volume "
                                                     "descriptors than the new session needs; appending would "
                                                     "overwrite its data");
    size_t from = system_area ? 0 : 16;
    std::memcpy(old.data() + from * block_bytes, head.data() + from * block_bytes, (16 - from + n) * block_bytes);
    head = std::move(old);
    return {};
}

}  // namespace

Result<SessionHead> session_head(const ImageStream& stream, media::SectorSource& before, const media::Toc& toc) {
    SessionHead h;
    uint32_t start = stream.start_block();
    h.blocks = stream.superblock(start + stream.block_count());
    if (!toc.sessions.empty() && toc.sessions.front().start == 0) DM_TRY(keep_first_session(h.blocks, before, stream.has_system_area()));
    // Block 256: a UDF anchor there (written by the first session) is pointed
    // at the newest session's UDF, as LBA 0-31 are for ISO 9660, and as IMAPI2
    // does on rewritable discs. A UDF volume from block 0 (mkudffs) then reads
    // as one growing session: its own empty file set is replaced. A first
    // session carries its own anchor.
    std::vector<std::byte> anchor = stream.udf_image_anchor();
    if (!anchor.empty() && start > udf_anchor_lba && before.block_count() > udf_anchor_lba) {
        std::vector<std::byte> old(block_bytes);
        if (before.read_blocks(udf_anchor_lba, old).ok() && udf::is_anchor(old, udf_anchor_lba)) h.anchor = std::move(anchor);
    }
    return h;
}

}  // namespace mastering::image
