#define FUSE_USE_VERSION 34
#include "fuse/read_only_fs.h"

#include <fuse_lowlevel.h>

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "mastering/os/file.h"

namespace dmfuse {

using mastering::Errc;
using mastering::make_error;
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

// Replies with a node the kernel learns of; it was counted by the table, so
// a reply the kernel never gets (an interrupted request) is forgotten again.
void reply_entry(fuse_req_t req, NodeTable& table, const NodeTable::Found& found) {
    fuse_entry_param e{};
    e.ino = found.ino;
    e.generation = 1;
    e.attr = to_stat(found.ino, *found.attr);
    e.attr_timeout = k_timeout;
    e.entry_timeout = k_timeout;
    if (fuse_reply_entry(req, &e) != 0) table.forget(found.ino, 1);
}

void op_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
    auto& table = self(req)->table();
    auto found = table.lookup(parent, name);
    if (!found.ok()) {
        log_error("lookup of " + std::string(name), found.error());
        return (void)fuse_reply_err(req, errno_for(found.error()));
    }
    reply_entry(req, table, *found);
}

void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
    self(req)->table().forget(ino, nlookup);
    fuse_reply_none(req);
}

void op_forget_multi(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
    auto& table = self(req)->table();
    for (size_t i = 0; i < count; ++i) table.forget(forgets[i].ino, forgets[i].nlookup);
    fuse_reply_none(req);
}

void op_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
    auto a = self(req)->table().attr(ino);
    if (!a.ok()) return (void)fuse_reply_err(req, errno_for(a.error()));
    auto st = to_stat(ino, **a);
    fuse_reply_attr(req, &st, k_timeout);
}

void op_readlink(fuse_req_t req, fuse_ino_t ino) {
    auto a = self(req)->table().attr(ino);
    if (!a.ok()) return (void)fuse_reply_err(req, errno_for(a.error()));
    if ((*a)->type != NodeType::symlink) return (void)fuse_reply_err(req, EINVAL);
    fuse_reply_readlink(req, (*a)->symlink.c_str());
}

void op_opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    auto a = self(req)->table().attr(ino);
    if (!a.ok()) return (void)fuse_reply_err(req, errno_for(a.error()));
    if ((*a)->type != NodeType::directory) return (void)fuse_reply_err(req, ENOTDIR);
    fi->keep_cache = 1;
    fi->cache_readdir = 1;
    fuse_reply_open(req, fi);
}

// An open file carries its own copy of its attributes (fi->fh), so that its
// reads need neither the table nor its directory's listing.
void op_open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    if ((fi->flags & O_ACCMODE) != O_RDONLY) return (void)fuse_reply_err(req, EROFS);
    auto a = self(req)->table().attr(ino);
    if (!a.ok()) return (void)fuse_reply_err(req, errno_for(a.error()));
    if ((*a)->type == NodeType::directory) return (void)fuse_reply_err(req, EISDIR);
    auto file = std::make_unique<NodeAttr>(**a);
    fi->fh = reinterpret_cast<uintptr_t>(file.get());
    fi->keep_cache = 1;
    if (fuse_reply_open(req, fi) == 0) file.release();
}

void op_release(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
    delete reinterpret_cast<NodeAttr*>(fi->fh);
    fuse_reply_err(req, 0);
}

void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
    auto& fs = *self(req);
    const auto* file = reinterpret_cast<const NodeAttr*>(fi->fh);
    if (!file) return (void)fuse_reply_err(req, EBADF);
    if (fs.block_fd() >= 0)
        if (auto at = contiguous(*file, uint64_t(off), size)) {
            // One stretch of recorded data in an image file: read it with
            // pread, outside the reader's lock, so that the kernel's parallel
            // read-ahead requests are served in parallel. A short or failed
            // read falls through to the reader, which says what went wrong.
            std::vector<char> buf(size);
            if (mastering::os::pread_all(fs.block_fd(), buf.data(), size, *at, fs.fsname()).ok())
                return (void)fuse_reply_buf(req, buf.data(), size);
        }
    std::vector<std::byte> buf(size);
    auto n = fs.table().read(*file, uint64_t(off), buf);
    if (!n.ok()) {
        log_error("read of inode " + std::to_string(ino), n.error());
        return (void)fuse_reply_err(req, errno_for(n.error()));
    }
    fuse_reply_buf(req, reinterpret_cast<const char*>(buf.data()), *n);
}

// A directory listing; with `plus` (readdirplus) every entry carries its
// attributes, so that a walk (find, ls -l) needs no LOOKUP per entry, and
// counts as a lookup of it. Offsets: 1 = ".", 2 = "..", 3 + i = entry i.
void reply_directory(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, bool plus) {
    auto& table = self(req)->table();
    auto listing = table.listing(ino);
    if (!listing.ok()) {
        log_error("directory " + std::to_string(ino), listing.error());
        return (void)fuse_reply_err(req, errno_for(listing.error()));
    }
    auto up = table.parent(ino);
    uint64_t parent = up.ok() ? *up : NodeTable::root_ino;
    const auto& entries = (*listing)->entries;
    std::vector<char> buf(size);
    size_t used = 0, first = 0, counted = 0;
    for (off_t i = off; i < off_t(entries.size()) + 2; ++i) {
        fuse_entry_param e{};
        const char* name;
        if (i < 2) {  // "." and "..": only their inode and type count (no lookup is implied)
            name = i == 0 ? "." : "..";
            e.attr.st_ino = i == 0 ? ino : parent;
            e.attr.st_mode = S_IFDIR;
        } else {
            const auto& child = entries[size_t(i - 2)];
            name = child.name.c_str();
            if (plus) {
                e.ino = child.ino;
                e.generation = 1;
                e.attr = to_stat(child.ino, child.attr);
                e.attr_timeout = k_timeout;
                e.entry_timeout = k_timeout;
            } else {
                e.attr.st_ino = child.ino;
                e.attr.st_mode = mastering::model::posix_type_bits(child.attr.type);
            }
        }
        size_t need = plus ? fuse_add_direntry_plus(req, buf.data() + used, size - used, name, &e, i + 1)
                           : fuse_add_direntry(req, buf.data() + used, size - used, name, &e.attr, i + 1);
        if (need > size - used) break;
        used += need;
        if (plus && i >= 2 && counted++ == 0) first = size_t(i - 2);
    }
    if (counted) table.count_entries(ino, **listing, first, counted);
    if (fuse_reply_buf(req, buf.data(), used) != 0)
        for (size_t k = first; k < first + counted; ++k) table.forget(entries[k].ino, 1);
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
    auto a = self(req)->table().attr(ino);
    if (!a.ok()) return (void)fuse_reply_err(req, errno_for(a.error()));
    std::string names;
    for (const auto& [k, v] : (*a)->extra) names += k + std::string(1, '\0');
    if (size == 0) return (void)fuse_reply_xattr(req, names.size());
    if (size < names.size()) return (void)fuse_reply_err(req, ERANGE);
    fuse_reply_buf(req, names.data(), names.size());
}

void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
    auto a = self(req)->table().attr(ino);
    if (!a.ok()) return (void)fuse_reply_err(req, errno_for(a.error()));
    auto it = (*a)->extra.find(name);
    if (it == (*a)->extra.end()) return (void)fuse_reply_err(req, ENODATA);
    if (size == 0) return (void)fuse_reply_xattr(req, it->second.size());
    if (size < it->second.size()) return (void)fuse_reply_err(req, ERANGE);
    fuse_reply_buf(req, it->second.data(), it->second.size());
}

}  // namespace

ReadOnlyFs::ReadOnlyFs(std::unique_ptr<mastering::model::FileSystemReader> reader, std::string fsname,
                       size_t dir_cache_entries)
    : m_table(std::move(reader), dir_cache_entries), m_fsname(std::move(fsname)) {}

namespace {

// A value inside a "-o" option list: libfuse reads "\," as a comma and "\\"
// as a backslash.
std::string escaped_option(const std::string& value) {
    std::string out;
    for (char c : value) {
        if (c == ',' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

fuse_lowlevel_ops operations() {
    fuse_lowlevel_ops ops{};
    ops.lookup = op_lookup;
    ops.forget = op_forget;
    ops.forget_multi = op_forget_multi;
    ops.getattr = op_getattr;
    ops.readlink = op_readlink;
    ops.opendir = op_opendir;
    ops.readdir = op_readdir;
    ops.readdirplus = op_readdirplus;
    ops.init = op_init;
    ops.open = op_open;
    ops.read = op_read;
    ops.release = op_release;
    ops.statfs = op_statfs;
    ops.listxattr = op_listxattr;
    ops.getxattr = op_getxattr;
    return ops;
}

// Serves until the kernel ends the session (an unmount from outside: 0), a
// signal ends it (its number), or reading the requests fails (-errno).
int serve(fuse_session* se, const MountOptions& o) {
    if (o.single_thread) return fuse_session_loop(se);
    fuse_loop_config cfg{};
    cfg.clone_fd = 0;
    cfg.max_idle_threads = 4;
    return fuse_session_loop_mt(se, &cfg);
}

}  // namespace

mastering::Status ReadOnlyFs::run(const MountOptions& o) {
    if (o.mountpoint.empty() || o.mountpoint.front() != '/')
        return make_error(Errc::invalid_argument, "the mount point must be an absolute path, not " + o.mountpoint);
    std::vector<std::string> args = {"master-mount", "-o",
                                     "ro,default_permissions,fsname=" + escaped_option(m_fsname) + ",subtype=discmaster"};
    for (const auto& opt : o.fuse_options) {
        args.push_back("-o");
        args.push_back(opt);
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    fuse_args fargs = FUSE_ARGS_INIT(int(argv.size()), argv.data());
    const fuse_lowlevel_ops ops = operations();
    fuse_session* se = fuse_session_new(&fargs, &ops, sizeof ops, this);
    fuse_opt_free_args(&fargs);  // what parsing the options allocated in it
    std::string what = m_fsname + " on " + o.mountpoint;
    if (!se) return make_error(Errc::invalid_argument, "cannot mount " + what + ": libfuse refused the options");
    mastering::Status result;
    if (fuse_set_signal_handlers(se) != 0) {
        result = make_error(Errc::io, "cannot mount " + what + ": no signal handlers");
    } else {
        if (fuse_session_mount(se, o.mountpoint.c_str()) != 0) {
            result = make_error(Errc::io, "cannot mount " + what);
        } else {
            fuse_daemonize(o.foreground ? 1 : 0);
            // SIGINT, SIGTERM and SIGHUP end the loop; the unmount below
            // follows either way, by the absolute path the mount has.
            int rc = serve(se, o);
            if (rc < 0) result = make_error(Errc::io, "serving " + what + " failed: " + std::strerror(-rc));
            fuse_session_unmount(se);
        }
        fuse_remove_signal_handlers(se);
    }
    fuse_session_destroy(se);
    return result;
}

}  // namespace dmfuse
