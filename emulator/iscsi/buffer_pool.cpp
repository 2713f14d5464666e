#include "emulator/iscsi/buffer_pool.h"

#include <bit>
#include <cstring>
#include <map>
#include <mutex>
#include <vector>

namespace emulator::iscsi {

namespace {
constexpr size_t k_smallest_pooled = 64u << 10;
}

struct BufferPool::State {
    std::mutex mutex;
    std::map<size_t, std::vector<std::unique_ptr<std::byte[]>>> free;  // by capacity
    size_t free_bytes = 0;
    size_t keep_bytes = 0;

    void give_back(std::unique_ptr<std::byte[]> bytes, size_t capacity) {
        std::lock_guard lock(mutex);
        if (free_bytes + capacity > keep_bytes) return;  // freed here
        free[capacity].push_back(std::move(bytes));
        free_bytes += capacity;
    }
    std::unique_ptr<std::byte[]> take(size_t capacity) {
        std::lock_guard lock(mutex);
        auto it = free.find(capacity);
        if (it == free.end() || it->second.empty()) return nullptr;
        auto bytes = std::move(it->second.back());
        it->second.pop_back();
        free_bytes -= capacity;
        return bytes;
    }
};

BufferPool::BufferPool(size_t keep_bytes) : m_state(std::make_shared<State>()) { m_state->keep_bytes = keep_bytes; }

BufferPool::Ref BufferPool::get(size_t size, bool zero) {
    auto* b = new Buffer;
    b->m_size = size;
    b->m_capacity = size < k_smallest_pooled ? size : std::bit_ceil(size);
    if (size >= k_smallest_pooled) b->m_bytes = m_state->take(b->m_capacity);
    if (!b->m_bytes) b->m_bytes = std::make_unique_for_overwrite<std::byte[]>(std::max<size_t>(b->m_capacity, 1));
    if (zero && size) std::memset(b->m_bytes.get(), 0, size);
    if (b->m_capacity < k_smallest_pooled) return Ref(b);
    return Ref(b, [state = m_state](Buffer* p) {
        state->give_back(std::move(p->m_bytes), p->m_capacity);
        delete p;
    });
}

}  // namespace emulator::iscsi
