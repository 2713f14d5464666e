#include "mastering/image/result_stream.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <cstring>

#include "mastering/image/session_layout.h"
#include "mastering/os/file.h"

namespace mastering::image {

using model::Content;
using model::ContentKind;
using model::Piece;
using model::ProgressFn;
using model::block_bytes;

namespace {
constexpr uint32_t k_chunk_blocks = 512;  // 1 MiB per emission step
}  // namespace

ImageStream::ImageStream(std::unique_ptr<SessionLayout> layout) : m_layout(std::move(layout)) {
    m_pieces = m_layout->allocator->sorted_pieces();
}

ImageStream::~ImageStream() = default;

uint32_t ImageStream::start_block() const { return m_layout->start; }
uint32_t ImageStream::block_count() const { return m_layout->end - m_layout->start; }
uint64_t ImageStream::new_data_blocks() const { return m_layout->data->new_data_blocks(); }
uint64_t ImageStream::file_count() const { return m_layout->data->files(); }
uint64_t ImageStream::directory_count() const { return m_layout->data->directories(); }

void ImageStream::set_progress(ProgressFn fn) { m_layout->ctx.progress = std::move(fn); }
void ImageStream::cancel() { m_layout->ctx.cancelled = true; }

std::vector<std::byte> ImageStream::superblock(uint32_t total_blocks) const {
    if (m_layout->descriptors) return m_layout->descriptors->superblock(total_blocks);
    // UDF only: the recognition sequence at 16.
    std::vector<std::byte> out(32 * size_t(block_bytes), std::byte{0});
    for (uint32_t i = 0; i < 3; ++i)
        udf::UdfPart::vrs_block(i, m_layout->udf->revision(), out.data() + size_t(16 + i) * block_bytes);
    return out;
}

std::vector<std::byte> ImageStream::udf_image_anchor() const {
    return m_layout->udf ? m_layout->udf->image_anchor() : std::vector<std::byte>{};
}

void ImageStream::account(uint64_t blocks) {
    auto& ctx = m_layout->ctx;
    ctx.sectors_done += blocks;
    if (ctx.progress && (ctx.sectors_done - m_last_report >= k_chunk_blocks || ctx.sectors_done == ctx.sectors_total)) {
        m_last_report = ctx.sectors_done;
        ctx.progress({"", ctx.sectors_done, ctx.sectors_total});
    }
}

Status ImageStream::emit_blocks(uint32_t lba, std::span<std::byte> out) {
    uint32_t n = uint32_t(out.size() / block_bytes);
    uint32_t done = 0;
    auto it = std::upper_bound(m_pieces.begin(), m_pieces.end(), lba,
                               [](uint32_t v, const Piece& p) { return v < p.start; });
    if (it != m_pieces.begin()) --it;
    while (done < n) {
        uint32_t cur = lba + done;
        while (it != m_pieces.end() && it->start + it->blocks <= cur) ++it;
        uint32_t run;
        std::byte* dst = out.data() + size_t(done) * block_bytes;
        if (it == m_pieces.end() || it->start > cur) {
            uint32_t gap_end = it == m_pieces.end() ? m_layout->end : it->start;
            run = std::min(n - done, gap_end - cur);
            std::memset(dst, 0, size_t(run) * block_bytes);
        } else {
            run = std::min(n - done, it->start + it->blocks - cur);
            if (m_layout->ctx.cancelled) return make_error(Errc::cancelled, "cancelled");
            DM_TRY(it->part->emit(it->tag, cur - it->start, std::span(dst, size_t(run) * block_bytes)));
        }
        done += run;
    }
    return {};
}

Result<size_t> ImageStream::read_at(uint64_t offset, std::span<std::byte> out) {
    uint64_t total = size();
    if (offset >= total) return size_t(0);
    size_t want = size_t(std::min<uint64_t>(out.size(), total - offset));
    size_t done = 0;
    std::vector<std::byte> tmp;
    while (done < want) {
        uint64_t pos = offset + done;
        uint32_t lba = m_layout->start + uint32_t(pos / block_bytes);
        size_t head = size_t(pos % block_bytes);
        size_t left = want - done;
        if (head == 0 && left >= block_bytes) {
            uint32_t blocks = uint32_t(std::min<size_t>(left / block_bytes, k_chunk_blocks));
            DM_TRY(emit_blocks(lba, out.subspan(done, size_t(blocks) * block_bytes)));
            done += size_t(blocks) * block_bytes;
        } else {
            tmp.resize(block_bytes);
            DM_TRY(emit_blocks(lba, tmp));
            size_t n = std::min(left, block_bytes - head);
            std::memcpy(out.data() + done, tmp.data() + head, n);
            done += n;
        }
    }
    return done;
}

Result<size_t> ImageStream::read(std::span<std::byte> out) {
    size_t n = DM_TRY(read_at(m_pos, out));
    uint64_t before = m_pos / block_bytes;
    m_pos += n;
    account(m_pos / block_bytes - before);
    return n;
}

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

}  // namespace

Status ImageStream::write_to(int fd, uint64_t base) {
    auto& ctx = m_layout->ctx;
    FileDataPart* data = m_layout->data.get();
    // Host files are copied by a few workers at explicit offsets while this
    // thread produces everything else (the metadata) and writes it in order.
    // A large file is one task, copied with copy_file_range (holes kept); a
    // run of small adjacent files is one task too, read into a buffer (one
    // read each) and written with one pwrite: fewer calls, and far fewer
    // turns at the image's inode lock, which the workers' copy_file_range
    // calls otherwise spin on.
    constexpr uint64_t small_file = 64 * 1024;
    constexpr size_t run_bytes = size_t(k_chunk_blocks) * block_bytes;
    struct Job {
        const Content* content;
        uint64_t dst;
        uint32_t blocks;
    };
    struct Task {
        size_t first, end;  // jobs[first, end)
        bool gathered;
    };
    std::vector<Job> jobs;
    std::vector<Task> tasks;
    uint64_t run_end = UINT64_MAX;
    size_t run_size = 0;
    for (const Piece& p : m_pieces) {
        const Content* c = p.part == data ? data->content_of(p.tag) : nullptr;
        if (!c || c->kind != ContentKind::host_file) continue;
        uint64_t dst = base + uint64_t(p.start - m_layout->start) * block_bytes;
        size_t bytes = size_t(p.blocks) * block_bytes;
        bool small = !c->sparse && c->size <= small_file;
        if (small && !tasks.empty() && tasks.back().gathered && run_end == dst && run_size + bytes <= run_bytes) {
            ++tasks.back().end;
            run_size += bytes;
        } else {
            tasks.push_back({jobs.size(), jobs.size() + 1, small});
            run_size = bytes;
        }
        run_end = dst + bytes;
        jobs.push_back({c, dst, p.blocks});
    }
    std::atomic<size_t> next{0};
    std::atomic<uint64_t> blocks_done{0};
    std::atomic<bool> failed{false};
    std::mutex error_mutex;
    std::optional<Error> first_error;
    std::atomic<const Content*> current{nullptr};
    auto fail = [&](const Error& e) {
        std::lock_guard lock(error_mutex);
        if (!first_error) first_error = e;
        failed = true;
    };
    auto gather = [&](const Task& t, std::vector<std::byte>& buf) -> Status {
        size_t pos = 0;
        for (size_t j = t.first; j < t.end; ++j) {
            const Content& c = *jobs[j].content;
            std::span<std::byte> slot(buf.data() + pos, size_t(jobs[j].blocks) * block_bytes);
            DM_TRY(FileDataPart::read_small_host_file(c, slot));
            std::memset(slot.data() + c.size, 0, slot.size() - size_t(c.size));
            pos += slot.size();
        }
        return os::pwrite_all(fd, buf.data(), pos, jobs[t.first].dst, "the image");
    };
    std::mutex done_mutex;
    std::condition_variable done_cv;
    size_t finished = 0;
    auto work = [&] {
        std::vector<std::byte> wbuf;
        for (size_t i; !failed && !ctx.cancelled && (i = next++) < tasks.size();) {
            const Task& t = tasks[i];
            current = jobs[t.first].content;
            Status st;
            if (t.gathered) {
                if (wbuf.size() < run_bytes) wbuf.resize(run_bytes);
                st = gather(t, wbuf);
            } else {
                st = copy_host_file(*jobs[t.first].content, fd, jobs[t.first].dst, ctx.cancelled, wbuf);
            }
            if (!st.ok()) return fail(st.error());
            for (size_t j = t.first; j < t.end; ++j) blocks_done += jobs[j].blocks;
        }
    };
    auto worker = [&] {
        work();
        std::lock_guard lock(done_mutex);
        ++finished;
        done_cv.notify_one();
    };
    unsigned n = std::max(1u, std::min(4u, std::thread::hardware_concurrency()));
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < n && t < tasks.size(); ++t) pool.emplace_back(worker);
    // Joins the workers before their first error is read, and on any way out.
    struct Joiner {
        std::vector<std::thread>& pool;
        void join() {
            for (auto& t : pool)
                if (t.joinable()) t.join();
        }
        ~Joiner() { join(); }
    } joiner{pool};
    // The rest, in order, while the workers copy.
    std::vector<std::byte> buf(run_bytes);
    for (const Piece& p : m_pieces) {
        if (failed || ctx.cancelled) break;
        const Content* c = p.part == data ? data->content_of(p.tag) : nullptr;
        if (c && c->kind == ContentKind::host_file) continue;
        uint64_t dst = base + uint64_t(p.start - m_layout->start) * block_bytes;
        for (uint32_t b = 0; b < p.blocks;) {
            uint32_t k = std::min(p.blocks - b, k_chunk_blocks);
            std::span<std::byte> chunk(buf.data(), size_t(k) * block_bytes);
            Status st = p.part->emit(p.tag, b, chunk);
            if (st.ok()) st = os::pwrite_all(fd, chunk.data(), chunk.size(), dst + uint64_t(b) * block_bytes, "the image");
            if (!st.ok()) {
                fail(st.error());
                break;
            }
            b += k;
            account(k);
        }
    }
    // Progress from this thread only, while the workers copy.
    uint64_t reported = 0;
    auto report = [&] {
        uint64_t d = blocks_done.load();
        if (ctx.progress && d != reported) {
            account(d - reported);
            reported = d;
            if (const Content* c = current.load()) ctx.progress({c->path, ctx.sectors_done, ctx.sectors_total});
        }
    };
    {
        std::unique_lock lock(done_mutex);
        while (finished < pool.size()) {
            done_cv.wait_for(lock, std::chrono::milliseconds(20));
            lock.unlock();
            report();
            lock.lock();
        }
    }
    joiner.join();
    if (first_error) return *first_error;
    if (ctx.cancelled) return make_error(Errc::cancelled, "cancelled");
    account(blocks_done.load() - reported);
    // The session's last blocks may be a hole (a sparse file's tail): extend.
    struct stat st {};
    uint64_t end = base + size();
    if (::fstat(fd, &st) == 0 && uint64_t(st.st_size) < end && ::ftruncate(fd, off_t(end)) != 0)
        return os_error("cannot extend the image");
    return {};
}

}  // namespace mastering::image
