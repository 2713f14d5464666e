// The nodes of one mounted file system view that the kernel knows of, over
// one file system reader (mastering/model/fs_reader.h), without libfuse.
//
// Lookup counts: every node the kernel learns of through a LOOKUP reply or a
// READDIRPLUS entry is counted, as the kernel counts it; a FORGET takes the
// count back, and a node whose count reaches zero is dropped. The table holds
// what the kernel holds (its dentry cache), not everything ever walked.
//
// Inode numbers are a function of a node's place in the session: the reader's
// node id (the byte address of its directory record or ICB) or, for files,
// the file id that hard links share. A node dropped and looked up again gets
// the number it had, in this mount and in the next mount of the same session.
//
// Attributes: a directory listing holds its entries' attributes; listings are
// cached up to a number of entries (least recently used dropped) and read
// again from the disc when needed. A node records where its entry is (its
// directory and the entry's index); only the nodes that cannot be found again
// through one directory keep their own copy: directories (to list them) and
// files with hard links.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mastering/model/fs_reader.h"

namespace dmfuse {

using mastering::model::NodeAttr;

// The inode number of a node that is not the root (>= 2; the root is 1).
uint64_t inode_number(const NodeAttr& attr);

// Where [offset, offset + length) of a file lies on the medium (LBA x 2048 =
// byte offset), when it is one stretch of recorded data.
std::optional<uint64_t> contiguous(const NodeAttr& file, uint64_t offset, size_t length);

class NodeTable {
public:
    static constexpr uint64_t root_ino = 1;
    static constexpr size_t default_cache_entries = size_t(1) << 16;

    struct Entry {
        std::string name;
        uint64_t ino = 0;
        NodeAttr attr;
    };
    // A directory's entries in on-disc order (the first of each name), and
    // an index by name. Never changed once built; shared with readers of it.
    struct Listing {
        std::vector<Entry> entries;
        std::unordered_map<std::string_view, uint32_t> by_name;  // views of entries[i].name
    };
    struct Found {
        uint64_t ino = 0;
        std::shared_ptr<const NodeAttr> attr;
    };
    struct Stats {
        size_t nodes = 0;           // nodes the kernel holds, the root included
        size_t listings = 0;        // directory listings in the cache
        size_t listed_entries = 0;  // their entries in all
    };

    explicit NodeTable(std::unique_ptr<mastering::model::FileSystemReader> reader,
                       size_t cache_entries = default_cache_entries);

    // LOOKUP: entry `name` of directory `parent`; counted once.
    mastering::Result<Found> lookup(uint64_t parent, const std::string& name);
    // READDIRPLUS: entries [first, first + count) of `listing`, the listing of
    // `dir`, were handed to the kernel; each is counted once.
    void count_entries(uint64_t dir, const Listing& listing, size_t first, size_t count);
    // FORGET: the kernel dropped `count` references to `ino`.
    void forget(uint64_t ino, uint64_t count);

    // A node the kernel holds. The attributes stay valid as long as the
    // pointer lives, whatever the table does meanwhile.
    mastering::Result<std::shared_ptr<const NodeAttr>> attr(uint64_t ino);
    // The directory a node was counted through (the root's is the root).
    mastering::Result<uint64_t> parent(uint64_t ino);
    mastering::Result<std::shared_ptr<const Listing>> listing(uint64_t dir);
    // File bytes from `offset` through the reader (fewer only at the end).
    mastering::Result<size_t> read(const NodeAttr& file, uint64_t offset, std::span<std::byte> out);

    Stats stats();

private:
    struct Node {
        uint64_t parent = root_ino;  // the directory it was last counted through
        uint64_t lookups = 0;        // references the kernel holds
        uint32_t index = 0;          // its entry in the parent's listing
        std::shared_ptr<const NodeAttr> own;  // directories and hard-linked files only
    };
    struct Cached {
        std::shared_ptr<const Listing> listing;
        std::list<uint64_t>::iterator lru;
    };
    mastering::Result<std::shared_ptr<const NodeAttr>> attr_locked(uint64_t ino);
    mastering::Result<std::shared_ptr<const Listing>> listing_locked(uint64_t dir);
    mastering::Status check_not_a_loop(uint64_t dir, const NodeAttr& attr);
    void count_locked(uint64_t dir, const Listing& listing, size_t index);
    void cache(uint64_t dir, std::shared_ptr<const Listing> listing);

    std::unique_ptr<mastering::model::FileSystemReader> m_reader;
    std::shared_ptr<const NodeAttr> m_root;
    std::mutex m_mutex;  // the reader and the tables
    std::unordered_map<uint64_t, Node> m_nodes;  // every node but the root
    std::unordered_map<uint64_t, Cached> m_listings;
    std::list<uint64_t> m_lru;  // directories with a cached listing, most recent first
    size_t m_cached_entries = 0;
    size_t m_cache_limit;
};

}  // namespace dmfuse
