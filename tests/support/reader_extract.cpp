#include "tests/support/reader_extract.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <map>
#include <vector>

#include "mastering/image/image_file.h"
#include "mastering/image/open_file_system.h"

namespace dmtest {

using namespace mastering;

std::string extract_with_reader(media::SectorSource& medium, uint64_t start, model::FsType type, const fs::path& out) {
    auto reader = image::open_file_system(medium, start, type);
    if (!reader.ok()) return reader.error().message;
    auto& r = **reader;
    auto root = r.root();
    if (!root.ok()) return root.error().message;
    fs::create_directories(out);
    std::map<uint64_t, fs::path> linked;  // file id -> first extracted name
    std::vector<std::pair<model::NodeAttr, fs::path>> queue{{*root, out}};
    std::vector<std::pair<fs::path, model::NodeAttr>> dirs;
    std::vector<std::byte> buf(1 << 20);
    for (size_t i = 0; i < queue.size(); ++i) {
        auto [dir, path] = queue[i];
        dirs.emplace_back(path, dir);
        auto entries = r.list(dir);
        if (!entries.ok()) return path.string() + ": " + entries.error().message;
        for (auto& e : *entries) {
            fs::path p = path / e.name;
            const auto& a = e.attr;
            switch (a.type) {
            case model::NodeType::directory:
                fs::create_directory(p);
                queue.push_back({a, p});
                break;
            case model::NodeType::symlink:
                if (::symlink(a.symlink.c_str(), p.c_str()) != 0) return p.string() + ": symlink failed";
                break;
            case model::NodeType::file: {
                if (a.file_id && a.nlink > 1) {
                    auto [it, fresh] = linked.emplace(*a.file_id, p);
                    if (!fresh) {
                        if (::link(it->second.c_str(), p.c_str()) != 0) return p.string() + ": link failed";
                        break;
                    }
                }
                int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
                if (fd < 0) return p.string() + ": cannot create";
                for (uint64_t off = 0; off < a.size;) {
                    auto n = r.read(a, off, buf);
                    if (!n.ok() || *n == 0) {
                        ::close(fd);
                        return p.string() + ": " + (n.ok() ? std::string("short read") : n.error().message);
                    }
                    bool zero = true;
                    for (size_t k = 0; k < *n && zero; ++k) zero = buf[k] == std::byte{0};
                    if (!zero && ::pwrite(fd, buf.data(), *n, off_t(off)) != ssize_t(*n)) {
                        ::close(fd);
                        return p.string() + ": write failed";
                    }
                    off += *n;
                }
                if (::ftruncate(fd, off_t(a.size)) != 0) return p.string() + ": truncate failed";
                ::close(fd);
                ::chmod(p.c_str(), a.mode & 07777);
                struct timeval tv[2] = {{a.atime.sec, 0}, {a.mtime.sec, 0}};
                ::utimes(p.c_str(), tv);
                break;
            }
            default:
                break;  // devices, fifos, sockets: not needed by the tests
            }
        }
    }
    // Directory modes and times last (children were written into them).
    for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) {
        ::chmod(it->first.c_str(), it->second.mode & 07777);
        struct timeval tv[2] = {{it->second.atime.sec, 0}, {it->second.mtime.sec, 0}};
        ::utimes(it->first.c_str(), tv);
    }
    return {};
}

std::string extract_image(const std::string& image, uint64_t start, model::FsType fs, const fs::path& out) {
    auto m = image::open_image_medium(image);
    if (!m.ok()) return m.error().message;
    return extract_with_reader(**m, start, fs, out);
}

}  // namespace dmtest
