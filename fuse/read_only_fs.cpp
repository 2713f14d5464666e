#define FUSE_USE_VERSION 34
#include "fuse/read_only_fs.h"

#include <fuse_lowlevel.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace dmfuse {

using mastering::Errc;
using mastering::make_error;
using mastering::Result;
using mastering::model::NodeAttr;
using mastering::model::NodeType;

namespace {

constexpr double k_timeout = 3600.0;  // the disc does not change under us: cache long

struct stat to_stat(uint64_t ino, const NodeAttr& a) {
    struct stat st {};
    st.st_ino = ino;
    st.st_mode = mastering::model::posix_type_bits(a.type) | (a.mode & 07777);
    st.st_nlink = std::max<uint32_t>(a.nlink, 1);
    st.st_uid = a.uid;
    st.st_gid = a.gid;
    st.st_size = off_t(a.type == NodeType::symlink ? a.symlink.size() : a.size);
    st.st_blksize = 2048;
    st.st_blocks = blkcnt_t((a.size + 511) / 512);
    st.st_rdev = dev_t(a.rdev);
    st.st_mtim = {a.mtime.sec, long(a.mtime.nsec)};
    st.st_atim = {a.atime.sec ? a.atime.sec : a.mtime.sec, long(a.atime.sec ? a.atime.nsec : a.mtime.nsec)};
    st.st_ctim = {a.ctime.sec ? a.ctime.sec : a.mtime.sec, long(a.ctime.sec ? a.ctime.nsec : a.mtime.nsec)};
    return st;
}

ReadOnlyFs* self(fuse_req_t req) { return static_cast<ReadOnlyFs*>(fuse_req_userdata(req)); }

int errno_for(const mastering::Error& e) {
    switch (e.code) {
    case Errc::not_found: return ENOENT;
    case Errc::no_medium: return ENOMEDIUM;
    case Errc::invalid_argument: return EINVAL;
    default: return EIO;
    }
}

void log_error(const std::string& what, const mastering::Error& e) {
    if (e.code != Errc::not_found) std::fprintf(stderr, "master-mount: %s: %s\n", what.c_str(), e.message.c_str());
}

void reply_entry(fuse_req_t req, ReadOnlyFs& fs, uint64_t ino) {
    auto n = fs.node(ino);
    if (!n.ok()) return (void)fuse_reply_err(req, errno_for(n.error()));
    fuse_entry_param e{};
    e.ino = ino;
    e.generation = 1;
    e.attr = to_stat(ino, n->attr);
    e.attr_timeout = k_timeout;
    e.entry_timeout = k_timeout;
    fuse_reply_entry(req, &e);
}

void op_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
    auto& fs = *self(req);
    auto ino = fs.lookup(parent, name);
    if (!ino.ok()) {
        log_error("lookup of " + std::string(name), ino.error());
        return (void)fuse_reply_err(req, errno_for(ino.error()));
    }
    reply_entry(req, fs, *ino);
}

void op_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
    auto n = self(req)->node(ino);
    if (!n.ok()) return (void)fuse_reply_err(req, errno_for(n.error()));
    auto st = to_stat(ino, n->attr);
    fuse_reply_attr(req, &st, k_timeout);
}

void op_readlink(fuse_req_t req, fuse_ino_t ino) {
    auto n = self(req)->node(ino);
    if (!n.ok()) return (void)fuse_reply_err(req, errno_for(n.error()));
    if (n->attr.type != NodeType::symlink) return (void)fuse_reply_err(req, EINVAL);
    fuse_reply_readlink(req, n->attr.symlink.c_str());
}

void op_opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    auto n = self(req)->node(ino);
    if (!n.ok()) return (void)fuse_reply_err(req, errno_for(n.error()));
    if (n->attr.type != NodeType::directory) return (void)fuse_reply_err(req, ENOTDIR);
    fi->keep_cache = 1;
    fi->cache_readdir = 1;
    fuse_reply_open(req, fi);
}

void op_open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    if ((fi->flags & O_ACCMODE) != O_RDONLY) return (void)fuse_reply_err(req, EROFS);
    auto n = self(req)->node(ino);
    if (!n.ok()) return (void)fuse_reply_err(req, errno_for(n.error()));
    if (n->attr.type == NodeType::directory) return (void)fuse_reply_err(req, EISDIR);
    fi->keep_cache = 1;
    fuse_reply_open(req, fi);
}

void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*) {
    auto& fs = *self(req);
    if (fs.block_fd() >= 0)
        if (auto at = fs.contiguous(ino, uint64_t(off), size)) {
            // One stretch of recorded data in an image file: read it with
            // pread, outside the reader's lock, so that the kernel's parallel
            // read-ahead requests are served in parallel.
            std::vector<char> buf(size);
            size_t done = 0;
            while (done < size) {
                ssize_t n = ::pread(fs.block_fd(), buf.data() + done, size - done, off_t(*at + done));
                if (n < 0 && errno == EINTR) continue;
                if (n <= 0) break;
                done += size_t(n);
            }
            if (done == size) return (void)fuse_reply_buf(req, buf.data(), size);
        }
    std::vector<std::byte> buf(size);
    auto n = self(req)->read(ino, uint64_t(off), buf);
    if (!n.ok()) {
        log_error("read of inode " + std::to_string(ino), n.error());
        return (void)fuse_reply_err(req, errno_for(n.error()));
    }
    fuse_reply_buf(req, reinterpret_cast<const char*>(buf.data()), *n);
}

// A directory listing; with `plus` (readdirplus) every entry carries its
// attributes, so that a walk (find, ls -l) needs no LOOKUP per entry.
// Offsets: 1 = ".", 2 = "..", 3 + i = entry i.
void reply_directory(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, bool plus) {
    auto& fs = *self(req);
    auto kids = fs.children(ino);
    if (!kids.ok()) {
        log_error("directory " + std::to_string(ino), kids.error());
        return (void)fuse_reply_err(req, errno_for(kids.error()));
    }
    auto me = fs.node(ino);
    uint64_t parent = me.ok() ? me->parent : ReadOnlyFs::root_ino;
    std::vector<char> buf(size);
    size_t used = 0;
    const auto& entries = **kids;
    for (off_t i = off; i < off_t(entries.size()) + 2; ++i) {
        fuse_entry_param e{};
        std::string name;
        if (i < 2) {  // "." and "..": only their inode and type count (no lookup is implied)
            name = i == 0 ? "." : "..";
            e.attr.st_ino = i == 0 ? ino : parent;
            e.attr.st_mode = S_IFDIR;
        } else {
            const auto& child = entries[size_t(i - 2)];
            name = child.name;
            e.attr.st_ino = child.ino;
            e.attr.st_mode = mastering::model::posix_type_bits(child.type);
            if (plus) {
                auto n = fs.node(child.ino);
                if (!n.ok()) return (void)fuse_reply_err(req, errno_for(n.error()));
                e.ino = child.ino;
                e.generation = 1;
                e.attr = to_stat(child.ino, n->attr);
                e.attr_timeout = k_timeout;
                e.entry_timeout = k_timeout;
            }
        }
        size_t need = plus ? fuse_add_direntry_plus(req, buf.data() + used, size - used, name.c_str(), &e, i + 1)
                           : fuse_add_direntry(req, buf.data() + used, size - used, name.c_str(), &e.attr, i + 1);
        if (need > size - used) break;
        used += need;
    }
    fuse_reply_buf(req, buf.data(), used);
}

void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*) {
    reply_directory(req, ino, size, off, false);
}

void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*) {
    reply_directory(req, ino, size, off, true);
}

// Larger read-ahead (1 MiB requests), readdirplus. Splicing from the image
// file was measured slower than pread + copy (bench/mount-read.sh): not used.
void op_init(void*, fuse_conn_info* conn) {
    conn->max_readahead = conn->max_readahead ? std::max<unsigned>(conn->max_readahead, 1u << 20) : (1u << 20);
    if (conn->capable & FUSE_CAP_READDIRPLUS) conn->want |= FUSE_CAP_READDIRPLUS;
    conn->want &= ~unsigned(FUSE_CAP_READDIRPLUS_AUTO);  // always plus: every walk stats
}

void op_statfs(fuse_req_t req, fuse_ino_t) {
    struct statvfs s {};
    s.f_bsize = s.f_frsize = 2048;
    s.f_namemax = 255;
    fuse_reply_statfs(req, &s);
}

void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
    auto n = self(req)->node(ino);
    if (!n.ok()) return (void)fuse_reply_err(req, errno_for(n.error()));
    std::string names;
    for (const auto& [k, v] : n->attr.extra) names += k + std::string(1, '\0');
    if (size == 0) return (void)fuse_reply_xattr(req, names.size());
    if (size < names.size()) return (void)fuse_reply_err(req, ERANGE);
    fuse_reply_buf(req, names.data(), names.size());
}

void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
    auto n = self(req)->node(ino);
    if (!n.ok()) return (void)fuse_reply_err(req, errno_for(n.error()));
    auto it = n->attr.extra.find(name);
    if (it == n->attr.extra.end()) return (void)fuse_reply_err(req, ENODATA);
    if (size == 0) return (void)fuse_reply_xattr(req, it->second.size());
    if (size < it->second.size()) return (void)fuse_reply_err(req, ERANGE);
    fuse_reply_buf(req, it->second.data(), it->second.size());
}

}  // namespace

ReadOnlyFs::ReadOnlyFs(std::unique_ptr<mastering::model::FileSystemReader> reader, std::string fsname)
    : m_reader(std::move(reader)), m_fsname(std::move(fsname)) {
    auto root = m_reader->root();
    Node n;
    if (root.ok()) n.attr = *root;
    n.attr.type = NodeType::directory;
    if (!n.attr.mode) n.attr.mode = 0555;
    n.parent = root_ino;
    m_nodes.push_back(n);
}

uint64_t ReadOnlyFs::inode_for(const NodeAttr& attr, uint64_t parent) {
    // Hard links (the same file id) share an inode; everything else has its own.
    bool linked = attr.file_id && attr.type != NodeType::directory;
    uint64_t key = linked ? (*attr.file_id << 1) | 1 : attr.id << 1;
    auto it = m_by_key.find(key);
    if (it != m_by_key.end()) return it->second;
    m_nodes.push_back({attr, parent});
    uint64_t ino = m_nodes.size();
    m_by_key.emplace(key, ino);
    return ino;
}

Result<std::shared_ptr<ReadOnlyFs::Listing>> ReadOnlyFs::listing(uint64_t dir) {
    if (auto it = m_listings.find(dir); it != m_listings.end()) {
        m_lru.splice(m_lru.begin(), m_lru, it->second->lru);
        return it->second;
    }
    if (dir == 0 || dir > m_nodes.size()) return make_error(Errc::not_found, "no inode " + std::to_string(dir));
    NodeAttr attr = m_nodes[dir - 1].attr;
    if (attr.type != NodeType::directory) return make_error(Errc::invalid_argument, "not a directory");
    // A directory whose data are an ancestor's is a loop (a damaged or
    // hostile image): EIO for it, not an endless tree.
    if (dir != root_ino && !attr.extents.empty()) {
        uint64_t p = m_nodes[dir - 1].parent;
        for (int depth = 0; depth < 4096 && p >= root_ino && p <= m_nodes.size(); ++depth) {
            const Node& up = m_nodes[p - 1];
            if (!up.attr.extents.empty() && up.attr.extents.front().lba == attr.extents.front().lba)
                return make_error(Errc::corrupt, "directory loop: inode " + std::to_string(dir) +
                                                     " has the data of its ancestor, inode " + std::to_string(p));
            if (p == root_ino) break;
            p = up.parent;
        }
    }
    auto entries = DM_TRY(m_reader->list(attr));
    auto l = std::make_shared<Listing>();
    l->entries->reserve(entries.size());
    for (auto& e : entries) {
        uint64_t ino = inode_for(e.attr, dir);
        if (l->by_name.emplace(e.name, l->entries->size()).second) l->entries->push_back({e.name, ino, e.attr.type});
    }
    // Bounded cache: drop the least recently used listings (their inodes stay valid).
    m_cached_entries += l->entries->size();
    while (m_cached_entries > m_cache_limit && !m_lru.empty()) {
        uint64_t victim = m_lru.back();
        m_lru.pop_back();
        m_cached_entries -= m_listings[victim]->entries->size();
        m_listings.erase(victim);
    }
    m_lru.push_front(dir);
    l->lru = m_lru.begin();
    m_listings[dir] = l;
    return l;
}

Result<uint64_t> ReadOnlyFs::lookup(uint64_t parent, const std::string& name) {
    std::lock_guard lock(m_mutex);
    auto l = DM_TRY(listing(parent));
    auto it = l->by_name.find(name);
    if (it == l->by_name.end()) return make_error(Errc::not_found, name + ": no such entry");
    return (*l->entries)[it->second].ino;
}

Result<ReadOnlyFs::Node> ReadOnlyFs::node(uint64_t ino) {
    std::lock_guard lock(m_mutex);
    if (ino == 0 || ino > m_nodes.size()) return make_error(Errc::not_found, "no inode " + std::to_string(ino));
    return m_nodes[ino - 1];
}

Result<std::shared_ptr<const ReadOnlyFs::Children>> ReadOnlyFs::children(uint64_t dir) {
    std::lock_guard lock(m_mutex);
    auto l = DM_TRY(listing(dir));
    return std::shared_ptr<const Children>(l->entries);
}

std::optional<uint64_t> ReadOnlyFs::contiguous(uint64_t ino, uint64_t offset, size_t length) {
    std::lock_guard lock(m_mutex);
    if (ino == 0 || ino > m_nodes.size() || length == 0) return std::nullopt;
    const NodeAttr& a = m_nodes[ino - 1].attr;
    if (a.type != NodeType::file || !a.inline_data.empty() || offset + length > a.size) return std::nullopt;
    uint64_t pos = 0;
    for (const auto& x : a.extents) {
        if (offset < pos + x.length) {
            if (x.sparse || offset + length > pos + x.length) return std::nullopt;
            return x.lba * 2048 + (offset - pos);
        }
        pos += x.length;
    }
    return std::nullopt;
}

Result<size_t> ReadOnlyFs::read(uint64_t ino, uint64_t offset, std::span<std::byte> out) {
    std::lock_guard lock(m_mutex);
    if (ino == 0 || ino > m_nodes.size()) return make_error(Errc::not_found, "no inode " + std::to_string(ino));
    const NodeAttr& a = m_nodes[ino - 1].attr;
    if (offset >= a.size) return size_t(0);
    size_t n = size_t(std::min<uint64_t>(out.size(), a.size - offset));
    return m_reader->read(a, offset, out.first(n));
}

int ReadOnlyFs::run(const MountOptions& o) {
    m_cache_limit = o.dir_cache_entries;
    fuse_lowlevel_ops ops{};
    ops.lookup = op_lookup;
    ops.getattr = op_getattr;
    ops.readlink = op_readlink;
    ops.opendir = op_opendir;
    ops.readdir = op_readdir;
    ops.readdirplus = op_readdirplus;
    ops.init = op_init;
    ops.open = op_open;
    ops.read = op_read;
    ops.statfs = op_statfs;
    ops.listxattr = op_listxattr;
    ops.getxattr = op_getxattr;
    std::vector<std::string> args = {"master-mount", "-o", "ro,default_permissions,fsname=" + m_fsname + ",subtype=discmaster"};
    for (const auto& opt : o.fuse_options) {
        args.push_back("-o");
        args.push_back(opt);
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    fuse_args fargs = FUSE_ARGS_INIT(int(argv.size()), argv.data());
    fuse_session* se = fuse_session_new(&fargs, &ops, sizeof ops, this);
    if (!se) return 1;
    int rc = 1;
    if (fuse_set_signal_handlers(se) == 0) {
        if (fuse_session_mount(se, o.mountpoint.c_str()) == 0) {
            fuse_daemonize(o.foreground ? 1 : 0);
            if (o.single_thread) {
                rc = fuse_session_loop(se);
            } else {
                fuse_loop_config cfg{};
                cfg.clone_fd = 0;
                cfg.max_idle_threads = 4;
                rc = fuse_session_loop_mt(se, &cfg);
            }
            fuse_session_unmount(se);
        }
        fuse_remove_signal_handlers(se);
    }
    fuse_session_destroy(se);
    return rc == 0 ? 0 : 1;
}

}  // namespace dmfuse
