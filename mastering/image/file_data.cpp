#include "mastering/image/file_data.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <map>
#include <unordered_map>

namespace mastering::image {

namespace {

using Digest = std::array<unsigned char, 32>;

struct DigestKey {
    Digest d;
    bool operator<(const DigestKey& o) const { return d < o.d; }
};

std::string node_name(const Node* n) { return n ? Tree::path_of(n) : std::string("?"); }

}  // namespace

FileDataPart::~FileDataPart() {
    if (m_fd >= 0) ::close(m_fd);
}

Result<int> FileDataPart::open_checked(const Content& c) {
    if (m_open == &c && m_fd >= 0) return m_fd;
    if (m_fd >= 0) ::close(m_fd);
    m_fd = -1;
    m_open = nullptr;
    int fd = ::open(c.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return os_error("cannot read " + c.path);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        auto e = os_error(c.path);
        ::close(fd);
        return e;
    }
    if (uint64_t(st.st_size) != c.size) {
        ::close(fd);
        return make_error(Errc::changed, c.path + ": the file changed size (" + std::to_string(c.size) + " -> " +
                                             std::to_string(st.st_size) + " bytes) after it was added");
    }
    m_fd = fd;
    m_open = &c;
    return fd;
}

namespace {

// Digest of [0, limit) of a content (limit = 0: all of it).
Result<Digest> digest_of(FileDataPart& part, Content& c, uint64_t limit) {
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), nullptr);
    std::vector<std::byte> buf(1 << 20);
    uint64_t total = limit ? std::min(limit, c.size) : c.size;
    uint64_t off = 0;
    Status st;
    int fd = -1;
    if (c.kind == ContentKind::host_file) {
        auto r = part.open_checked(c);
        if (!r.ok()) st = r.error();
        else fd = *r;
    }
    while (st.ok() && off < total) {
        size_t n = size_t(std::min<uint64_t>(buf.size(), total - off));
        ssize_t got;
        if (fd >= 0) {
            got = ::pread(fd, buf.data(), n, off_t(off));
            if (got < 0) { st = os_error("cannot read " + c.path); break; }
        } else {
            auto r = c.source->read_at(off, std::span(buf.data(), n));
            if (!r.ok()) { st = r.error(); break; }
            got = ssize_t(*r);
        }
        if (got == 0) {
            st = make_error(Errc::changed, (fd >= 0 ? c.path : c.source->describe()) + ": the file became shorter while it was read");
            break;
        }
        EVP_DigestUpdate(md, buf.data(), size_t(got));
        off += uint64_t(got);
    }
    Digest d{};
    unsigned len = 0;
    EVP_DigestFinal_ex(md, d.data(), &len);
    EVP_MD_CTX_free(md);
    if (!st.ok()) return st.error();
    return d;
}

}  // namespace

Status FileDataPart::prepare(bool dedup) {
    // Breadth-first, children in name order: the order data are laid out in.
    // Layout may run several times (one per result image): reset first.
    std::vector<Node*> queue{m_tree.root()};
    for (size_t qi = 0; qi < queue.size(); ++qi)
        for (Node* n : *queue[qi]->children) {
            if (n->is_dir()) queue.push_back(n);
            else if (Content* c = n->content) { c->inode = 0; c->same_as = nullptr; }
        }
    std::vector<Content*> all;
    std::vector<const Node*> first;
    uint32_t next_ino = 1;
    m_files = m_dirs = 0;
    for (Node* d : queue) {
        d->ino = next_ino++;
        ++m_dirs;
        for (Node* n : *d->children) {
            if (n->is_dir()) continue;
            if (n->is_file()) ++m_files;
            if (Content* c = n->content) {
                if (c->inode == 0) {
                    c->inode = next_ino++;
                    all.push_back(c);
                    first.push_back(n);
                }
                n->ino = c->inode;
            } else {
                n->ino = next_ino++;
            }
        }
    }

    if (dedup) {
        std::unordered_map<uint64_t, std::vector<size_t>> by_size;
        for (size_t i = 0; i < all.size(); ++i)
            if (all[i]->kind != ContentKind::medium && all[i]->size > 0) by_size[all[i]->size].push_back(i);
        for (auto& [size, idx] : by_size) {
            if (idx.size() < 2) continue;
            constexpr uint64_t prefix = 64 * 1024;
            std::map<DigestKey, std::vector<size_t>> by_prefix;
            for (size_t i : idx) by_prefix[{DM_TRY(digest_of(*this, *all[i], prefix))}].push_back(i);
            for (auto& [pk, group] : by_prefix) {
                if (group.size() < 2) continue;
                std::map<DigestKey, std::vector<size_t>> by_full;
                if (size <= prefix) by_full[pk] = group;
                else
                    for (size_t i : group) by_full[{DM_TRY(digest_of(*this, *all[i], 0))}].push_back(i);
                for (auto& [fk, same] : by_full)
                    for (size_t k = 1; k < same.size(); ++k) all[same[k]]->same_as = all[same[0]];
            }
        }
    }
    m_stored.clear();
    m_first_node.clear();
    for (size_t i = 0; i < all.size(); ++i) {
        Content* c = all[i];
        if (c->same_as || c->kind == ContentKind::medium || c->size == 0) continue;
        m_stored.push_back(c);
        m_first_node.push_back(first[i]);
    }
    return {};
}

void FileDataPart::layout(Allocator& a) {
    m_new_blocks = 0;
    for (size_t i = 0; i < m_stored.size(); ++i) {
        uint32_t blocks = uint32_t((m_stored[i]->size + block_bytes - 1) / block_bytes);
        m_stored[i]->lba = a.reserve(blocks, this, i);
        m_new_blocks += blocks;
    }
}

std::vector<Extent> FileDataPart::placement(const Node& n) const {
    const Content* c = n.content;
    if (!c || c->size == 0) return {};
    if (c->same_as) c = c->same_as;
    if (c->kind == ContentKind::medium) return c->extents;
    return {Extent{c->lba, c->size, false}};
}

std::string FileDataPart::describe(uint64_t tag) const {
    if (tag >= m_stored.size()) return "?";
    const Content* c = m_stored[tag];
    if (c->kind == ContentKind::host_file) return c->path;
    return node_name(m_first_node[tag]);
}

Status FileDataPart::emit(uint64_t tag, uint32_t first, std::span<std::byte> out) {
    DM_VERIFY(tag < m_stored.size());
    Content& c = *m_stored[tag];
    if (m_ctx.cancelled) return make_error(Errc::cancelled, "cancelled");
    if (first == 0 && m_last_tag_reported != tag && m_ctx.progress) {
        m_last_tag_reported = uint32_t(tag);
        m_ctx.progress({describe(tag), m_ctx.sectors_done, m_ctx.sectors_total});
    }
    uint64_t off = uint64_t(first) * block_bytes;
    size_t want = off < c.size ? size_t(std::min<uint64_t>(out.size(), c.size - off)) : 0;
    size_t done = 0;
    if (c.kind == ContentKind::host_file) {
        int fd = DM_TRY(open_checked(c));
        while (done < want) {
            ssize_t n = ::pread(fd, out.data() + done, want - done, off_t(off + done));
            if (n < 0) {
                if (errno == EINTR) continue;
                return os_error("cannot read " + c.path);
            }
            if (n == 0)
                return make_error(Errc::changed, c.path + ": the file became shorter while the image was written");
            done += size_t(n);
        }
        if (off + want == c.size) {
            // The last bytes: the file must still have the size it had when added.
            struct stat st {};
            if (::fstat(fd, &st) == 0 && uint64_t(st.st_size) != c.size)
                return make_error(Errc::changed, c.path + ": the file changed size while the image was written");
        }
    } else {
        while (done < want) {
            size_t n = DM_TRY(c.source->read_at(off + done, out.subspan(done, want - done)));
            if (n == 0)
                return make_error(Errc::changed, c.source->describe() + ": the stream ended early");
            done += n;
        }
    }
    if (done < out.size()) std::memset(out.data() + done, 0, out.size() - done);
    return {};
}

}  // namespace mastering::image
