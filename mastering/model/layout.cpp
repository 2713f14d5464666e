#include "mastering/model/layout.h"

#include <algorithm>

namespace mastering::model {

uint32_t Allocator::reserve(uint32_t blocks, Part* part, uint64_t tag) {
    // Skip over fixed reservations that overlap [m_next, m_next + blocks).
    for (bool moved = true; moved;) {
        moved = false;
        for (const auto& p : m_fixed) {
            if (blocks > 0 && p.start < m_next + blocks && m_next < p.start + p.blocks) {
                m_next = p.start + p.blocks;
                moved = true;
            }
        }
    }
    uint32_t at = m_next;
    if (blocks > 0) m_pieces.push_back({at, blocks, part, tag});
    m_next += blocks;
    return at;
}

Result<uint32_t> Allocator::reserve_at(uint32_t lba, uint32_t blocks, Part* part, uint64_t tag) {
    for (const auto& p : m_pieces)
        if (p.start < lba + blocks && lba < p.start + p.blocks)
            return make_error(Errc::internal, "layout: block " + std::to_string(lba) + " is already taken");
    m_pieces.push_back({lba, blocks, part, tag});
    m_fixed.push_back({lba, blocks, part, tag});
    if (lba <= m_next && lba + blocks > m_next) m_next = lba + blocks;
    return lba;
}

std::vector<Piece> Allocator::sorted_pieces() const {
    auto v = m_pieces;
    std::sort(v.begin(), v.end(), [](const Piece& a, const Piece& b) { return a.start < b.start; });
    return v;
}

uint32_t Allocator::end() const {
    uint32_t e = m_next;
    for (const auto& p : m_pieces) e = std::max(e, p.start + p.blocks);
    return e;
}

}  // namespace mastering::model
