// Plain image files (docs/architecture.md "Images"): an image file behaves
// like an overwritable medium laid out as xorriso lays out image files — the
// first session at LBA 32, every session on a 32-block boundary with its own
// descriptors at start + 16, and LBA 0–31 holding a copy of the newest
// session's system area and descriptors with the total size. The session list
// is recovered from that chain (libisoburn's TOC emulation), or, for images
// without the copy (genisoimage -C sessions put together with dd), by scanning
// for each next session's descriptors.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "mastering/image/file_system_image.h"
#include "mastering/media/sector_source.h"

namespace mastering::image {

constexpr uint32_t first_session_lba = 32;
constexpr uint32_t session_alignment = 32;

// The sessions of an image file (each one track), its state and next writable address.
Result<media::Toc> emulate_toc(media::SectorSource& image);

// An image file as a Medium (blocks + emulated TOC).
Result<std::shared_ptr<media::Medium>> open_image_medium(const std::string& path);

// What a write produced.
struct WriteReport {
    uint32_t session_start = 0;
    uint32_t session_blocks = 0;
    uint64_t files = 0, directories = 0;
    uint64_t new_data_blocks = 0;
};

// Write `img` as a new image file at `path` (first session at LBA 32). The
// file appears complete or not at all (written beside it, then renamed); with
// `sync` it is also on stable storage before it appears (fsync), as an append
// always is.
Result<WriteReport> write_new_image(FileSystemImage& img, const std::string& path, const model::ProgressFn& progress = {},
                                    bool sync = false);
// The same for a session already laid out at first_session_lba.
Result<WriteReport> write_new_image(ImageStream& stream, const std::string& path, bool sync);

// Append the session of `stream` (laid out at the image's next writable
// address) to the image file at `path`. All-or-nothing for readers: the
// session is written after the old end and synced, then the head
// (session_head.h) is replaced; on any failure the file is restored byte for
// byte.
Result<WriteReport> append_to_image_file(ImageStream& stream, const std::string& path);
// The same for `img`, laid out at img.session_start_block().
Result<WriteReport> append_to_image_file(FileSystemImage& img, const std::string& path,
                                         const model::ProgressFn& progress = {});

}  // namespace mastering::image
