// ImageStream::write_to: a session into a file. Host files are copied by a
// few workers at explicit offsets while the calling thread produces
// everything else (the metadata) and writes it in order. A large file is one
// task, copied with copy_file_range (holes kept); a run of small adjacent
// files is one task too, read into a buffer (one read each) and written with
// one pwrite: fewer calls, and far fewer turns at the image's inode lock,
// which the workers' copy_file_range calls otherwise spin on.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "mastering/image/result_stream.h"
#include "mastering/image/session_layout.h"
#include "mastering/os/file.h"

namespace mastering::image {

using model::Content;
using model::ContentKind;
using model::Piece;
using model::block_bytes;

namespace {

// Copy one host file into the image at `dst`: holes stay holes, the size must
// be the one recorded when the file was added.
Status copy_host_file(const Content& c, int fd, uint64_t dst, const std::atomic<bool>& cancelled,
                      std::vector<std::byte>& buf) {
    os::Fd owned = DM_TRY(FileDataPart::open_host_file(c));
    int src = owned.get();
    auto changed = [&] { return FileDataPart::size_changed(c); };
    // A file whose last block has room after its data is copied one byte
    // further: if that byte exists the file grew (saves an fstat per file).
    // Otherwise, and for sparse or large files, its size is checked.
    bool probe = !c.sparse && c.size % block_bytes != 0 && c.size <= (1u << 20);
    struct stat st {};
    if (!probe) {
        if (::fstat(src, &st) != 0) return os_error(c.path);
        if (uint64_t(st.st_size) != c.size) return changed();
    }
    uint64_t pos = 0;
    bool use_cfr = true;
    while (pos < c.size) {
        uint64_t data_at = pos, data_end = c.size;
        if (c.sparse) {
            off_t d = ::lseek(src, off_t(pos), SEEK_DATA);
            if (d < 0 && errno == ENXIO) break;  // only a hole is left
            data_at = d < 0 ? pos : uint64_t(d);
            if (data_at >= c.size) break;
            off_t h = ::lseek(src, off_t(data_at), SEEK_HOLE);
            data_end = h < 0 ? c.size : std::min<uint64_t>(uint64_t(h), c.size);
        }
        uint64_t cur = data_at;
        uint64_t limit = data_end + (probe ? 1 : 0);
        while (cur < limit) {
            if (cancelled) return make_error(Errc::cancelled, "cancelled");
            size_t n = size_t(std::min<uint64_t>(limit - cur, 64ull << 20));
            ssize_t w;
            if (use_cfr) {
                loff_t in = loff_t(cur), outp = loff_t(dst + cur);
                w = ::copy_file_range(src, &in, fd, &outp, n, 0);
                if (w < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
                    use_cfr = false;
                    continue;
                }
                if (w < 0) return os_error("cannot copy " + c.path + " into the image");
            } else {
                if (buf.empty()) buf.resize(1 << 20);
                w = ssize_t(DM_TRY(os::pread_some(src, buf.data(), std::min(n, buf.size()), cur, c.path)));
                if (w > 0) DM_TRY(os::pwrite_all(fd, buf.data(), size_t(w), dst + cur, "the image"));
            }
            if (w == 0) {
                if (probe && cur == c.size) break;  // the expected end of the file
                return make_error(Errc::changed, c.path + ": the file became shorter while the image was written");
            }
            cur += uint64_t(w);
        }
        if (cur > c.size) {
            uint8_t zero = 0;  // the probe byte landed in this file's own padding: clear it
            (void)os::pwrite_all(fd, &zero, 1, dst + c.size, "the image");
            return changed();
        }
        pos = data_end;
    }
    // A file that grew while it was copied (a short one cannot have shrunk
    // unnoticed: the copy would have come up short).
    if (c.size > (1u << 20) && ::fstat(src, &st) == 0 && uint64_t(st.st_size) != c.size)
        return make_error(Errc::changed, c.path + ": the file changed size while the image was written");
    return {};
}

class ParallelWrite {
public:
    ParallelWrite(SessionLayout& layout, const std::vector<Piece>& pieces, int fd, uint64_t base,
                  std::function<void(uint64_t)> account)
        : m_layout(layout), m_ctx(layout.ctx), m_pieces(pieces), m_fd(fd), m_base(base), m_account(std::move(account)) {}

    Status run() {
        plan();
        unsigned n = std::max(1u, std::min(4u, std::thread::hardware_concurrency()));
        std::vector<std::thread> pool;
        for (unsigned t = 0; t < n && t < m_tasks.size(); ++t) pool.emplace_back([this] { worker(); });
        // Joins the workers before their first error is read, and on any way out.
        struct Joiner {
            std::vector<std::thread>& pool;
            void join() {
                for (auto& t : pool)
                    if (t.joinable()) t.join();
            }
            ~Joiner() { join(); }
        } joiner{pool};
        write_metadata();
        uint64_t reported = wait_and_report(pool.size());
        joiner.join();
        if (m_first_error) return *m_first_error;
        if (m_ctx.cancelled) return make_error(Errc::cancelled, "cancelled");
        m_account(m_blocks_done.load() - reported);
        return {};
    }

private:
    struct Job {
        const Content* content;
        uint64_t dst;
        uint32_t blocks;
    };
    struct Task {
        size_t first, end;  // jobs[first, end)
        bool gathered;
    };
    static constexpr uint64_t k_small_file = 64 * 1024;
    static constexpr size_t k_run_bytes = size_t(k_chunk_blocks) * block_bytes;

    const Content* host_file(const Piece& p) const {
        const Content* c = p.part == m_layout.data.get() ? m_layout.data->content_of(p.tag) : nullptr;
        return c && c->kind == ContentKind::host_file ? c : nullptr;
    }
    uint64_t dst_of(const Piece& p) const { return m_base + uint64_t(p.start - m_layout.start) * block_bytes; }

    // The host files' jobs, grouped into tasks.
    void plan() {
        uint64_t run_end = UINT64_MAX;
        size_t run_size = 0;
        for (const Piece& p : m_pieces) {
            const Content* c = host_file(p);
            if (!c) continue;
            uint64_t dst = dst_of(p);
            size_t bytes = size_t(p.blocks) * block_bytes;
            bool small = !c->sparse && c->size <= k_small_file;
            if (small && !m_tasks.empty() && m_tasks.back().gathered && run_end == dst && run_size + bytes <= k_run_bytes) {
                ++m_tasks.back().end;
                run_size += bytes;
            } else {
                m_tasks.push_back({m_jobs.size(), m_jobs.size() + 1, small});
                run_size = bytes;
            }
            run_end = dst + bytes;
            m_jobs.push_back({c, dst, p.blocks});
        }
    }

    void fail(const Error& e) {
        std::lock_guard lock(m_error_mutex);
        if (!m_first_error) m_first_error = e;
        m_failed = true;
    }

    Status gather(const Task& t, std::vector<std::byte>& buf) {
        size_t pos = 0;
        for (size_t j = t.first; j < t.end; ++j) {
            const Content& c = *m_jobs[j].content;
            std::span<std::byte> slot(buf.data() + pos, size_t(m_jobs[j].blocks) * block_bytes);
            DM_TRY(FileDataPart::read_small_host_file(c, slot));
            std::memset(slot.data() + c.size, 0, slot.size() - size_t(c.size));
            pos += slot.size();
        }
        return os::pwrite_all(m_fd, buf.data(), pos, m_jobs[t.first].dst, "the image");
    }

    void worker() {
        std::vector<std::byte> wbuf;
        for (size_t i; !m_failed && !m_ctx.cancelled && (i = m_next++) < m_tasks.size();) {
            const Task& t = m_tasks[i];
            m_current = m_jobs[t.first].content;
            Status st;
            if (t.gathered) {
                if (wbuf.size() < k_run_bytes) wbuf.resize(k_run_bytes);
                st = gather(t, wbuf);
            } else {
                st = copy_host_file(*m_jobs[t.first].content, m_fd, m_jobs[t.first].dst, m_ctx.cancelled, wbuf);
            }
            if (!st.ok()) {
                fail(st.error());
                break;
            }
            for (size_t j = t.first; j < t.end; ++j) m_blocks_done += m_jobs[j].blocks;
        }
        std::lock_guard lock(m_done_mutex);
        ++m_finished;
        m_done_cv.notify_one();
    }

    // Everything but host files, in order, on this thread.
    void write_metadata() {
        std::vector<std::byte> buf(k_run_bytes);
        for (const Piece& p : m_pieces) {
            if (m_failed || m_ctx.cancelled) return;
            if (host_file(p)) continue;
            for (uint32_t b = 0; b < p.blocks;) {
                uint32_t k = std::min(p.blocks - b, k_chunk_blocks);
                std::span<std::byte> chunk(buf.data(), size_t(k) * block_bytes);
                Status st = p.part->emit(p.tag, b, chunk);
                if (st.ok()) st = os::pwrite_all(m_fd, chunk.data(), chunk.size(), dst_of(p) + uint64_t(b) * block_bytes, "the image");
                if (!st.ok()) return fail(st.error());
                b += k;
                m_account(k);
            }
        }
    }

    // Progress from this thread only, while the workers copy; returns the
    // blocks reported.
    uint64_t wait_and_report(size_t workers) {
        uint64_t reported = 0;
        std::unique_lock lock(m_done_mutex);
        while (m_finished < workers) {
            m_done_cv.wait_for(lock, std::chrono::milliseconds(20));
            lock.unlock();
            uint64_t d = m_blocks_done.load();
            if (m_ctx.progress && d != reported) {
                m_account(d - reported);
                reported = d;
                if (const Content* c = m_current.load()) m_ctx.progress({c->path, m_ctx.sectors_done, m_ctx.sectors_total});
            }
            lock.lock();
        }
        return reported;
    }

    SessionLayout& m_layout;
    model::EmitContext& m_ctx;
    const std::vector<Piece>& m_pieces;
    int m_fd;
    uint64_t m_base;
    std::function<void(uint64_t)> m_account;
    std::vector<Job> m_jobs;
    std::vector<Task> m_tasks;
    std::atomic<size_t> m_next{0};
    std::atomic<uint64_t> m_blocks_done{0};
    std::atomic<bool> m_failed{false};
    std::atomic<const Content*> m_current{nullptr};
    std::mutex m_error_mutex;
    std::optional<Error> m_first_error;
    std::mutex m_done_mutex;
    std::condition_variable m_done_cv;
    size_t m_finished = 0;
};

}  // namespace

Status ImageStream::write_to(int fd, uint64_t base) {
    DM_TRY(ParallelWrite(*m_layout, m_pieces, fd, base, [this](uint64_t blocks) { account(blocks); }).run());
    // The session's last blocks may be a hole (a sparse file's tail): extend.
    struct stat st {};
    uint64_t end = base + size();
    if (::fstat(fd, &st) == 0 && uint64_t(st.st_size) < end && ::ftruncate(fd, off_t(end)) != 0)
        return os_error("cannot extend the image");
    return {};
}

}  // namespace mastering::image
