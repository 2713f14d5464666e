#include "mastering/image/result_stream.h"

#include <algorithm>
#include <cstring>

#include "mastering/image/session_layout.h"

namespace mastering::image {

using model::Piece;
using model::ProgressFn;
using model::block_bytes;

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
void ImageStream::set_cancel_flag(const std::atomic<bool>* flag) { m_layout->ctx.cancel_flag = flag; }

bool ImageStream::has_system_area() const { return m_layout->boot && !m_layout->boot->system_area().empty(); }

std::vector<std::byte> ImageStream::superblock(uint32_t total_blocks) const {
    if (m_layout->descriptors) {
        auto out = m_layout->descriptors->superblock(total_blocks);
        if (has_system_area()) {
            const auto& sa = m_layout->boot->system_area();
            std::memcpy(out.data(), sa.data(), std::min(sa.size(), size_t(16) * block_bytes));
        }
        return out;
    }
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
            if (m_layout->ctx.stop()) return make_error(Errc::cancelled, "cancelled");
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

}  // namespace mastering::image
