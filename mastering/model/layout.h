// The layout of one session (after libisofs writer.h): every output part —
// volume descriptors, the ISO 9660 / Joliet / ISO 9660:1999 hierarchies, file
// data, and later UDF — is a Part. Parts first reserve their blocks (all of
// them, in order) and only then emit bytes, lazily, when the result stream is
// read. A new writer part plugs in by deriving from Part, reserving its blocks
// in layout() (fixed positions such as UDF's anchor at start+256 through
// Allocator::reserve_at) and filling them in emit(); the data extents of files
// are shared: FileData::placement() says where each file's bytes are.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mastering/codec/result.h"
#include "mastering/model/fs_reader.h"
#include "mastering/model/tree.h"

namespace mastering::model {

constexpr uint32_t block_bytes = 2048;
// ISO 9660 sections are at most 4 GiB - 2 KiB; UDF extents at most 1 GiB - 2 KiB.
constexpr uint64_t max_iso_section = 0xFFFFF800ull;

struct LayoutOptions {
    FsMask file_systems = mask(FsType::iso9660) | mask(FsType::rockridge) | mask(FsType::joliet);
    int iso_level = 3;               // 1, 2, 3; 4 = ISO 9660:1999 (adds an enhanced tree)
    std::string volume_name = "DISCMASTER";
    uint32_t session_start = 0;      // absolute LBA of the session's first block
    int64_t now = 0;                 // volume creation time (seconds)
    uint64_t max_blocks = 0;         // the session must end before this LBA (0: no limit)
    bool dedup = true;               // store identical contents once
    uint16_t udf_revision = 0x0201;  // when UDF is among the file systems
    bool udf_vat = false;            // sequential media: UDF through a virtual allocation table
    // Sequential media (a drive's TOC gives the sessions): the volume space
    // size of a session's descriptors counts from LBA 0, the whole span its
    // extents refer to, since Linux refuses Rock Ridge continuation areas at
    // or beyond it (genisoimage and libisofs record the session's own size by
    // default). Image files keep the session's own size, which their emulated
    // TOC (ours and libisoburn's) follows.
    bool absolute_volume_size = false;
    uint32_t write_unit = 1;         // blocks a closed track is padded to (16 on DVD, 32 on BD)
    uint32_t min_session_blocks = 0; // a burn pads shorter sessions (a CD track lasts 300 blocks)
    std::optional<uint32_t> udf_partition_start;  // a VAT disc's partition (from its first session)
    uint16_t udf_sparable_packet = 0;  // rewritable media written in fixed packets: a sparable UDF partition
};

class Part;

// A run of blocks owned by one part; `tag` tells the part which of its items.
struct Piece {
    uint32_t start = 0;   // absolute LBA
    uint32_t blocks = 0;
    Part* part = nullptr;
    uint64_t tag = 0;
};

class Allocator {
public:
    // Blocks start .. start+15 are the session's system area: never allocated.
    explicit Allocator(uint32_t start) : m_next(start + 16), m_start(start) {}
    // The next `blocks` free blocks (skipping ranges reserved at fixed places).
    uint32_t reserve(uint32_t blocks, Part* part, uint64_t tag);
    // Exactly [lba, lba + blocks); fails if taken.
    Result<uint32_t> reserve_at(uint32_t lba, uint32_t blocks, Part* part, uint64_t tag);
    uint32_t next() const { return m_next; }
    uint32_t start() const { return m_start; }
    // All pieces sorted by start; gaps are zero blocks.
    std::vector<Piece> sorted_pieces() const;
    uint32_t end() const;

private:
    std::vector<Piece> m_pieces;
    std::vector<Piece> m_fixed;  // reserve_at ranges: the only ones reserve() must skip
    uint32_t m_next, m_start;
};

// Where a file's bytes are in the produced session (or on the imported medium).
class FileData {
public:
    virtual ~FileData() = default;
    // The extents of a node's data in file order (empty for empty files).
    virtual std::vector<Extent> placement(const Node& n) const = 0;
    // Whether a content lives in its file entry rather than in data blocks
    // (the small files of a UDF-only session), and its bytes, read whole into
    // `out` (its size): an error if it no longer has the size it was added with.
    virtual bool embedded(const Content&) const { return false; }
    virtual Status read_embedded(const Content& c, std::span<std::byte> out) const = 0;
};

class Part {
public:
    virtual ~Part() = default;
    virtual std::string_view name() const = 0;
    // Fill out (a multiple of 2048 bytes) with blocks [first, first + n) of the
    // piece `tag` (first counted from the piece's start).
    virtual Status emit(uint64_t tag, uint32_t first, std::span<std::byte> out) = 0;
};

// Progress as IMAPI2 reports it: the current file, sectors done, sectors total.
struct Progress {
    std::string current_file;
    uint64_t sectors_done = 0;
    uint64_t sectors_total = 0;
};
using ProgressFn = std::function<void(const Progress&)>;

// Shared between the stream and the parts while bytes are produced.
struct EmitContext {
    ProgressFn progress;
    std::atomic<bool> cancelled{false};
    uint64_t sectors_total = 0;
    uint64_t sectors_done = 0;
};

}  // namespace mastering::model
