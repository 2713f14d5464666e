#include "mastering/image/file_data.h"

#include <fcntl.h>
#include <xxhash.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <optional>
#include <thread>
#include <cstring>
#include <map>
#include <unordered_map>

namespace mastering::image {

using model::Allocator;
using model::Content;
using model::ContentKind;
using model::Extent;
using model::Node;
using model::Tree;
using model::block_bytes;

namespace {

// XXH3-128 of a prefix or of a whole content: a fast filter. Equal digests
// are confirmed byte by byte before two contents are stored as one.
using Digest = std::array<uint64_t, 2>;

std::string node_name(const Node* n) { return n ? Tree::path_of(n) : std::string("?"); }

}  // namespace

Result<os::Fd> FileDataPart::open_host_file(const Content& c) {
    auto fd = os::open_file(c.path, O_RDONLY);
    if (!fd.ok()) return make_error(fd.error().code, "cannot read " + fd.error().message);
    return fd;
}

Result<int> FileDataPart::open_checked(const Content& c, bool check_size) {
    if (m_open != &c || !m_fd) {
        m_fd.reset();
        m_open = nullptr;
        m_fd = DM_TRY(open_host_file(c));
        m_open = &c;
        m_open_checked = false;
    }
    if (check_size && !m_open_checked) {
        struct stat st {};
        if (::fstat(m_fd.get(), &st) != 0) return os_error(c.path);
        if (uint64_t(st.st_size) != c.size)
            return make_error(Errc::changed, c.path + ": the file changed size (" + std::to_string(c.size) + " -> " +
                                                 std::to_string(st.st_size) + " bytes) after it was added");
        m_open_checked = true;
    }
    return m_fd.get();
}

Status FileDataPart::read_small_host_file(const Content& c, std::span<std::byte> out) {
    os::Fd fd = DM_TRY(open_host_file(c));
    // One byte more than the file had when it was added, where there is
    // room: if it comes back the file grew. Without room, fstat says.
    size_t want = size_t(std::min<uint64_t>(c.size + 1, out.size()));
    size_t got = DM_TRY(os::pread_some(fd.get(), out.data(), want, 0, c.path));
    if (got == c.size && want == c.size) {
        struct stat sb {};
        if (::fstat(fd.get(), &sb) != 0) return os_error(c.path);
        got = size_t(sb.st_size);
    }
    if (got != c.size) return size_changed(c);
    return {};
}

Status FileDataPart::read_embedded(const Content& c, std::span<std::byte> out) const {
    if (c.kind == ContentKind::host_file) return read_small_host_file(c, out);
    for (size_t done = 0; done < out.size();) {
        size_t n = DM_TRY(c.source->read_at(done, out.subspan(done)));
        if (n == 0) return make_error(Errc::changed, c.source->describe() + ": the stream ended early");
        done += n;
    }
    return {};
}

Error FileDataPart::size_changed(const Content& c) {
    return make_error(Errc::changed,
                      c.path + ": the file changed size after it was added (" + std::to_string(c.size) + " bytes then)");
}

namespace {

// Reads [off, off + out.size()) of a content; short only at its end. `fd` is
// the host file's descriptor (not valid for other sources).
Result<size_t> read_content(Content& c, const os::Fd& fd, uint64_t off, std::span<std::byte> out) {
    if (fd) return os::pread_some(fd.get(), out.data(), out.size(), off, c.path);
    return c.source->read_at(off, out);
}

// A host file's descriptor; no descriptor for other sources.
Result<os::Fd> open_content(const Content& c) {
    if (c.kind != ContentKind::host_file) return os::Fd();
    return FileDataPart::open_host_file(c);
}

// Digest of [0, limit) of a content (limit = 0: all of it). Thread-safe for
// host files (own descriptor); sources are read through their DataSource.
Result<Digest> digest_of(Content& c, uint64_t limit, std::vector<std::byte>& buf) {
    uint64_t total = limit ? std::min(limit, c.size) : c.size;
    if (buf.size() < (1u << 20)) buf.resize(1 << 20);
    os::Fd fd = DM_TRY(open_content(c));
    XXH3_state_t* st = XXH3_createState();
    XXH3_128bits_reset(st);
    Status status;
    for (uint64_t off = 0; off < total;) {
        auto got = read_content(c, fd, off, std::span(buf.data(), size_t(std::min<uint64_t>(1 << 20, total - off))));
        if (!got.ok()) { status = got.error(); break; }
        if (*got == 0) {
            status = make_error(Errc::changed, (fd ? c.path : c.source->describe()) +
                                                   ": the file became shorter while it was read");
            break;
        }
        XXH3_128bits_update(st, buf.data(), *got);
        off += *got;
    }
    XXH128_hash_t h = XXH3_128bits_digest(st);
    XXH3_freeState(st);
    if (!status.ok()) return status.error();
    return Digest{h.low64, h.high64};
}

// Whether two contents of the same size hold the same bytes.
Result<bool> same_bytes(Content& a, Content& b) {
    os::Fd fa = DM_TRY(open_content(a));
    os::Fd fb = DM_TRY(open_content(b));
    std::vector<std::byte> x(1 << 20), y(1 << 20);
    Result<bool> same = true;
    for (uint64_t off = 0; off < a.size && *same;) {
        size_t n = size_t(std::min<uint64_t>(x.size(), a.size - off));
        auto ga = read_content(a, fa, off, std::span(x.data(), n));
        auto gb = ga.ok() ? read_content(b, fb, off, std::span(y.data(), n)) : Result<size_t>(ga.error());
        if (!ga.ok() || !gb.ok()) {
            same = !ga.ok() ? ga.error() : gb.error();
            break;
        }
        if (*ga == 0 || *ga != *gb) {
            same = false;
            break;
        }
        same = std::memcmp(x.data(), y.data(), *ga) == 0;
        off += *ga;
    }
    return same;
}

// Digests of many contents, host files spread over the cores (the cost is
// per-file system calls as much as bytes).
Result<std::vector<Digest>> digests_of(const std::vector<Content*>& items, uint64_t limit) {
    std::vector<Digest> out(items.size());
    std::vector<std::optional<Error>> errors(items.size());
    std::atomic<size_t> next{0};
    auto worker = [&] {
        std::vector<std::byte> buf;
        for (size_t i; (i = next++) < items.size();) {
            if (items[i]->kind != ContentKind::host_file) continue;
            auto d = digest_of(*items[i], limit, buf);
            if (d.ok()) out[i] = *d;
            else errors[i] = d.error();
        }
    };
    unsigned n = std::max(1u, std::min(4u, std::thread::hardware_concurrency()));
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < n && items.size() > 64; ++t) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
    // Other sources, one at a time (a caller's stream need not be thread-safe).
    std::vector<std::byte> buf;
    for (size_t i = 0; i < items.size(); ++i) {
        if (errors[i]) return *errors[i];
        if (items[i]->kind != ContentKind::host_file) out[i] = DM_TRY(digest_of(*items[i], limit, buf));
    }
    return out;
}

}  // namespace

Status FileDataPart::prepare(bool dedup, uint64_t embed_limit) {
    m_embed_limit = embed_limit;
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
        std::vector<size_t> candidates;
        for (size_t i = 0; i < all.size(); ++i)
            if (all[i]->kind != ContentKind::medium && !all[i]->unique && all[i]->size > 0 && !embedded(*all[i]))
                by_size[all[i]->size].push_back(i);
        for (auto& [size, idx] : by_size) {
            if (idx.size() < 2) continue;
            candidates.insert(candidates.end(), idx.begin(), idx.end());
        }
        // Stage 1: a digest of the first 64 KiB of every file that shares its
        // size (the whole of a small file), spread over the cores.
        constexpr uint64_t prefix = 64 * 1024;
        std::sort(candidates.begin(), candidates.end());  // layout order: sequential on disc
        std::vector<Content*> items;
        for (size_t i : candidates) items.push_back(all[i]);
        auto prefixes = DM_TRY(digests_of(items, prefix));
        std::map<std::pair<uint64_t, Digest>, std::vector<size_t>> by_prefix;
        for (size_t k = 0; k < candidates.size(); ++k)
            by_prefix[{all[candidates[k]]->size, prefixes[k]}].push_back(candidates[k]);
        // Stage 2: members of a group are compared byte by byte with the
        // group's first distinct contents: equal ones are stored once.
        for (auto& [key, group] : by_prefix) {
            if (group.size() < 2) continue;
            std::vector<size_t> leaders;
            for (size_t i : group) {
                bool stored = false;
                for (size_t l : leaders)
                    if (DM_TRY(same_bytes(*all[l], *all[i]))) {
                        all[i]->same_as = all[l];
                        stored = true;
                        break;
                    }
                if (!stored) leaders.push_back(i);
            }
        }
    }
    m_stored.clear();
    m_first_node.clear();
    for (size_t i = 0; i < all.size(); ++i) {
        Content* c = all[i];
        if (c->same_as || c->kind == ContentKind::medium || c->size == 0 || embedded(*c)) continue;
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
    if (embedded(*c)) return {};
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
    if (m_ctx.stop()) return make_error(Errc::cancelled, "cancelled");
    if (first == 0 && m_last_tag_reported != tag && m_ctx.progress) {
        m_last_tag_reported = uint32_t(tag);
        m_ctx.progress({describe(tag), m_ctx.sectors_done, m_ctx.sectors_total});
    }
    uint64_t off = uint64_t(first) * block_bytes;
    size_t want = off < c.size ? size_t(std::min<uint64_t>(out.size(), c.size - off)) : 0;
    size_t done = 0;
    if (c.kind == ContentKind::host_file) {
        int fd = DM_TRY(open_checked(c));
        done = DM_TRY(os::pread_some(fd, out.data(), want, off, c.path));
        if (done < want)
            return make_error(Errc::changed, c.path + ": the file became shorter while the image was written");
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
