// System Use Sharing Protocol (SUSP 1.12) and Rock Ridge (RRIP 1.12) entries:
// building the System Use area of a directory record (with CE continuation
// areas) and parsing it back. Entry layouts: SUSP §5 (CE, SP, ST, ER), RRIP
// §4.1 (PX, PN, SL, NM, CL, PL, RE, TF).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mastering/codec/result.h"

namespace mastering::rockridge {

// RRIP 1.12's extension identifier for the ER entry (also accepted on read:
// RRIP_1991A and IEEE_P1282, the 1.09/1.10 identifiers).
constexpr std::string_view er_identifier = "IEEE_1282";

// ---- Building -------------------------------------------------------------

struct Times {
    int64_t modify = 0, access = 0, attributes = 0;  // seconds since the epoch
};

// Entries in the order they go into a record; every entry <= 255 bytes.
class SuaBuilder {
public:
    void sp();                                   // first entry of the root's "." record
    void er_rrip();                              // the RRIP 1.12 ER entry
    void px(uint32_t mode, uint32_t links, uint32_t uid, uint32_t gid, uint32_t ino);
    void pn(uint64_t rdev);
    void tf(const Times& t);
    void nm(std::string_view name);              // split over several NM entries if needed
    void sl(std::string_view target);            // split over several SL entries if needed
    void cl(uint32_t child_lba);
    void pl(uint32_t parent_lba);
    void re();

    const std::vector<std::string>& entries() const { return m_entries; }
    size_t total_size() const;
    bool empty() const { return m_entries.empty(); }

private:
    std::vector<std::string> m_entries;
};

// Where a record's continuation area sits (CE target).
struct CeLocation {
    uint32_t block = 0;
    uint32_t offset = 0;
    uint32_t length = 0;
};
std::string encode_ce(const CeLocation& ce);
constexpr size_t ce_entry_size = 28;

// Split entries into the part that stays in the record (at most `inline_room`
// bytes, ending with a CE if anything overflows) and continuation chunks, each
// at most one block (2048 bytes), chained by CE entries. Locations of the
// chunks are assigned by `place(chunk_size)`, called in chunk order.
struct SplitSua {
    std::string inline_part;
    std::vector<std::pair<CeLocation, std::string>> chunks;
};
SplitSua split_sua(const std::vector<std::string>& entries, size_t inline_room,
                   const std::function<CeLocation(uint32_t size)>& place);
// The sizes split_sua would produce, without locations: inline size and the
// chunk sizes (for the layout pass).
struct SuaSizes {
    size_t inline_size = 0;
    std::vector<uint32_t> chunk_sizes;
};
SuaSizes measure_sua(const std::vector<std::string>& entries, size_t inline_room);

// ---- Parsing --------------------------------------------------------------

struct RockRidge {
    bool present = false;           // any RRIP entry seen
    std::optional<uint32_t> mode, links, uid, gid, ino;
    std::optional<uint64_t> rdev;
    std::optional<std::string> name;      // NM, joined
    std::optional<std::string> symlink;   // SL, joined into a path
    std::optional<uint32_t> child_link;   // CL
    std::optional<uint32_t> parent_link;  // PL
    bool relocated = false;               // RE
    std::optional<int64_t> mtime, atime, ctime, birth;
    bool has_sp = false;
    uint8_t sp_skip = 0;
    std::vector<std::string> extensions;  // ER identifiers
};

// Reads `length` bytes of a continuation area at (block, offset).
using ReadContinuation = std::function<Result<std::string>(const CeLocation&)>;

// Parse a System Use area (after skipping `skip` bytes, SP's LEN_SKP), following
// CE entries through `read_ce` (bounded: at most 64 continuation areas).
Result<RockRidge> parse_sua(std::string_view sua, size_t skip, const ReadContinuation& read_ce);

}  // namespace mastering::rockridge
