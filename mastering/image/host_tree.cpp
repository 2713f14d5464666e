// add_tree: a host directory into the node tree. One fstatat per entry,
// directories opened relative to their parent (openat), hard links grouped by
// (device, inode), children appended in bulk and sorted once per directory.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <memory>
#include <vector>

#include "mastering/image/file_system_image.h"
#include "mastering/os/file.h"

namespace mastering::image {

using model::Content;
using model::ContentKind;
using model::Node;
using model::NodeExtra;
using model::Tree;

namespace {

// An open directory stream; closedir() closes its descriptor too.
using DirStream = std::unique_ptr<DIR, decltype([](DIR* d) { ::closedir(d); })>;

struct Walker {
    Tree& tree;
    bool dates_from_mtime;  // reproducible: access and change times recorded as the mtime
    std::map<std::pair<uint64_t, uint64_t>, Content*> links;  // (dev, ino) of files with nlink > 1

    void set_attrs(Node* n, const struct stat& st) const {
        n->mode = st.st_mode;
        n->uid = st.st_uid;
        n->gid = st.st_gid;
        n->mtime = st.st_mtim.tv_sec;
        n->atime = dates_from_mtime ? n->mtime : st.st_atim.tv_sec;
        n->ctime = dates_from_mtime ? n->mtime : st.st_ctim.tv_sec;
    }

    Status fill(Node* n, int dirfd, const char* name, const std::string& path, const struct stat& st) {
        set_attrs(n, st);
        if (S_ISREG(st.st_mode)) {
            if (st.st_size == 0 && st.st_nlink < 2) return {};
            Content* shared = nullptr;
            if (st.st_nlink > 1) {
                auto it = links.find({uint64_t(st.st_dev), uint64_t(st.st_ino)});
                if (it != links.end()) shared = it->second;
            }
            if (shared) {
                n->content = shared;
            } else {
                Content* c = tree.new_content();
                c->kind = ContentKind::host_file;
                c->path = path;
                c->size = uint64_t(st.st_size);
                c->dev = st.st_dev;
                c->ino = st.st_ino;
                c->mtime_ns = int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
                c->sparse = uint64_t(st.st_blocks) * 512 < uint64_t(st.st_size);
                n->content = c;
                if (st.st_nlink > 1) links[{uint64_t(st.st_dev), uint64_t(st.st_ino)}] = c;
            }
            ++n->content->links;
        } else if (S_ISLNK(st.st_mode)) {
            std::vector<char> buf(size_t(st.st_size > 0 ? st.st_size : 255) + 1);
            ssize_t len = ::readlinkat(dirfd, name, buf.data(), buf.size());
            if (len < 0) return os_error("cannot read the symbolic link " + path);
            n->extra = std::make_unique<NodeExtra>();
            n->extra->symlink.assign(buf.data(), size_t(len));
        } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
            n->extra = std::make_unique<NodeExtra>();
            n->extra->rdev = st.st_rdev;
        }
        return {};
    }

    Status walk(os::Fd fd, Node* dir, const std::string& path) {
        DirStream d(::fdopendir(fd.get()));
        if (!d) return os_error("cannot read the directory " + path);
        int dirfd = fd.release();  // the stream owns it now
        bool bulk = dir->children->empty();
        std::vector<std::pair<Node*, std::string>> subdirs;
        Status st;
        errno = 0;
        while (dirent* e = ::readdir(d.get())) {
            const char* name = e->d_name;
            if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
            std::string child_path = path + "/" + name;
            struct stat sb {};
            if (::fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
                st = os_error(child_path);
                break;
            }
            Node* n;
            if (bulk) {
                n = tree.append_unsorted(dir, name, sb.st_mode);
            } else {
                Node* old = tree.child(dir, name);
                if (old && old->is_dir() && S_ISDIR(sb.st_mode)) n = old;  // merge directories
                else n = tree.add(dir, name, sb.st_mode);
            }
            if (!(st = fill(n, dirfd, name, child_path, sb)).ok()) break;
            if (S_ISDIR(sb.st_mode)) subdirs.emplace_back(n, name);
        }
        if (st.ok() && errno != 0) st = os_error("cannot read the directory " + path);
        if (bulk) tree.sort_children(dir);
        for (auto& [n, name] : subdirs) {
            if (!st.ok()) break;
            os::Fd sub(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (!sub) {
                st = os_error("cannot read the directory " + path + "/" + name);
                break;
            }
            st = walk(std::move(sub), n, path + "/" + name);
        }
        return st;
    }
};

}  // namespace

Status add_host_tree(Tree& tree, Node* at, const std::string& host_dir, bool include_base_dir, bool dates_from_mtime) {
    std::string dir = host_dir;
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) return os_error(dir);
    if (!S_ISDIR(st.st_mode)) return make_error(Errc::invalid_argument, dir + ": not a directory");
    auto fd = os::open_file(dir, O_RDONLY | O_DIRECTORY);
    if (!fd.ok()) return make_error(fd.error().code, "cannot read the directory " + fd.error().message);
    Walker w{tree, dates_from_mtime, {}};
    Node* target = at;
    if (include_base_dir) {
        std::string base = dir.substr(dir.rfind('/') + 1);
        if (base.empty() || base == "." || base == "..")
            return make_error(Errc::invalid_argument, dir + ": cannot take the base name of this directory");
        Node* old = tree.child(at, base);
        target = old && old->is_dir() ? old : tree.add(at, base, st.st_mode);
        w.set_attrs(target, st);
    } else if (!at->parent && at->children->empty()) {
        w.set_attrs(at, st);  // a fresh image's root takes the source's attributes
    }
    return w.walk(std::move(*fd), target, dir);
}

}  // namespace mastering::image
