// A read-only FUSE file system (libfuse3 low-level API) over one file system
// reader of one session: the kernel's requests answered from the node table
// (fuse/node_table.h: stable inode numbers, lookup counts and FORGET, cached
// listings), readdirplus handing the kernel each entry's attributes with the
// listing, file reads straight from the extents (from an image file in
// parallel, without the reader's lock), xattrs for what the view records
// beyond POSIX. Reader errors become EIO with a log line.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "fuse/node_table.h"

namespace dmfuse {

struct MountOptions {
    std::string mountpoint;                 // absolute (fuse/mount_point.h checks and resolves it)
    std::vector<std::string> fuse_options;  // "-o" options (allow_other, uid=, ...)
    bool foreground = false;
    bool single_thread = false;
};

class ReadOnlyFs {
public:
    // `fsname` is the source /proc/mounts shows, which every user can read:
    // it must hold no secret (transport::redact_address).
    ReadOnlyFs(std::unique_ptr<mastering::model::FileSystemReader> reader, std::string fsname,
               size_t dir_cache_entries = NodeTable::default_cache_entries);
    // Mounts and serves until unmounted from outside (fusermount3 -u) or
    // until SIGINT, SIGTERM or SIGHUP, after which it unmounts: both are
    // success. An error says whether mounting or serving failed.
    mastering::Status run(const MountOptions& options);

    // The nodes, listings and reads the callbacks serve from.
    NodeTable& table() { return m_table; }
    NodeTable::Stats stats() { return m_table.stats(); }
    const std::string& fsname() const { return m_fsname; }
    // A descriptor of the medium (LBA x 2048 = offset) read with pread,
    // without the reader's lock.
    void set_block_fd(int fd) { m_block_fd = fd; }
    int block_fd() const { return m_block_fd; }

private:
    NodeTable m_table;
    std::string m_fsname;
    int m_block_fd = -1;
};

}  // namespace dmfuse
