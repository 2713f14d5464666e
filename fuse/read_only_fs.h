// A read-only FUSE file system (libfuse3 low-level API) over one file system
// reader of one session (mastering/model/fs_reader.h): stable inode numbers
// from the reader's node ids (hard links share one inode through their file
// id), directory listings cached with a bounded size and looked up by name in
// constant time (readdirplus hands the kernel each entry's attributes with
// the listing), file reads straight from the extents (from an image file in
// parallel, without the reader's lock), xattrs for what the view records
// beyond POSIX. Reader errors become EIO with a log line.
#pragma once

#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "mastering/model/fs_reader.h"

namespace dmfuse {

struct MountOptions {
    std::string mountpoint;
    std::vector<std::string> fuse_options;  // "-o" options (allow_other, uid=, ...)
    bool foreground = false;
    bool single_thread = false;
    size_t dir_cache_entries = 1 << 20;      // cached directory entries in all (bounded memory)
};

class ReadOnlyFs {
public:
    explicit ReadOnlyFs(std::unique_ptr<mastering::model::FileSystemReader> reader, std::string fsname);
    // Mounts and serves until unmounted (fusermount3 -u, SIGTERM, SIGINT).
    // Returns the process exit status.
    int run(const MountOptions& options);

    // The operations, callable without a kernel (tests) and from the FUSE callbacks.
    struct Node {
        mastering::model::NodeAttr attr;
        uint64_t parent = 1;
    };
    static constexpr uint64_t root_ino = 1;
    mastering::Result<uint64_t> lookup(uint64_t parent, const std::string& name);
    mastering::Result<Node> node(uint64_t ino);
    struct Child {
        std::string name;
        uint64_t ino;
        mastering::model::NodeType type;
    };
    using Children = std::vector<Child>;
    // The entries of a directory in on-disc order; shared with the cache, not
    // copied, so that a big directory read in many readdir calls costs O(n).
    mastering::Result<std::shared_ptr<const Children>> children(uint64_t dir);
    mastering::Result<size_t> read(uint64_t ino, uint64_t offset, std::span<std::byte> out);
    const std::string& fsname() const { return m_fsname; }
    // A descriptor of the medium (LBA x 2048 = offset) read with pread,
    // without the reader's lock.
    void set_block_fd(int fd) { m_block_fd = fd; }
    int block_fd() const { return m_block_fd; }
    // Where [offset, offset + length) of a file lies in block_fd, when it is
    // one stretch of recorded data.
    std::optional<uint64_t> contiguous(uint64_t ino, uint64_t offset, size_t length);

private:
    struct Listing {
        std::shared_ptr<Children> entries = std::make_shared<Children>();  // on-disc order
        std::unordered_map<std::string, size_t> by_name;
        std::list<uint64_t>::iterator lru;
    };
    uint64_t inode_for(const mastering::model::NodeAttr& attr, uint64_t parent);
    mastering::Result<std::shared_ptr<Listing>> listing(uint64_t dir);

    std::unique_ptr<mastering::model::FileSystemReader> m_reader;
    std::string m_fsname;
    std::mutex m_mutex;  // the reader and the tables
    std::vector<Node> m_nodes;  // inode - 1
    std::unordered_map<uint64_t, uint64_t> m_by_key;  // node key -> inode
    std::unordered_map<uint64_t, std::shared_ptr<Listing>> m_listings;
    std::list<uint64_t> m_lru;  // directory inodes, most recent first
    size_t m_cached_entries = 0;
    size_t m_cache_limit = 1 << 20;
    int m_block_fd = -1;
};

}  // namespace dmfuse
