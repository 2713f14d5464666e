// The result image of a session as a stream whose bytes are produced on read
// (IMAPI2's IFileSystemImageResult::ImageStream): nothing is staged, no image
// is held in memory; host file data are read when their blocks are reached,
// and copied with copy_file_range (holes kept) when the sink is a file.
#pragma once

#include <atomic>
#include <memory>
#include <span>
#include <vector>

#include "mastering/codec/result.h"
#include "mastering/model/layout.h"

namespace mastering::image {

struct SessionLayout;

class ImageStream {
public:
    explicit ImageStream(std::unique_ptr<SessionLayout> layout);
    ~ImageStream();
    ImageStream(const ImageStream&) = delete;
    ImageStream& operator=(const ImageStream&) = delete;

    // The session occupies blocks [start_block, start_block + block_count).
    uint32_t start_block() const;
    uint32_t block_count() const;
    uint64_t size() const { return uint64_t(block_count()) * model::block_bytes; }

    // Sequential reading from the current position (0 = the session's first byte).
    Result<size_t> read(std::span<std::byte> out);
    // Reading at any byte offset of the session.
    Result<size_t> read_at(uint64_t offset, std::span<std::byte> out);
    // The whole session into `fd` at byte `file_offset`, which must be a fresh
    // region (beyond the end of the file): ranges of zeros may stay holes.
    Status write_to(int fd, uint64_t file_offset);

    void set_progress(model::ProgressFn fn);
    void cancel();
    // Also stop when `flag` is set (nullptr: no such flag).
    void set_cancel_flag(const std::atomic<bool>* flag);

    // Blocks 0–31 of an image file holding this session as its newest:
    // system area and volume descriptors with the total size patched in.
    std::vector<std::byte> superblock(uint32_t total_blocks) const;
    // Whether blocks 0–15 of that copy carry a system area (MBR, GPT) of a
    // bootable session, new or kept from the session it continues.
    bool has_system_area() const;
    // UDF sessions: the anchor for absolute block 256, where readers of an
    // image file without a TOC look first (empty without UDF).
    std::vector<std::byte> udf_image_anchor() const;

    // What the session holds.
    uint64_t new_data_blocks() const;
    uint64_t file_count() const;
    uint64_t directory_count() const;

private:
    Status emit_blocks(uint32_t lba, std::span<std::byte> out);
    void account(uint64_t blocks);

    std::unique_ptr<SessionLayout> m_layout;
    std::vector<model::Piece> m_pieces;
    uint64_t m_pos = 0;
    uint64_t m_last_report = 0;
};

}  // namespace mastering::image
