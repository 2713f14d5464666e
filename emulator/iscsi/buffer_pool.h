// Data buffers of the iSCSI target (Data-In of a READ, Data-Out of a WRITE),
// reused from command to command: a fresh multi-megabyte allocation is mapped
// and page-faulted in again for every command, and at GB/s the faults and the
// kernel's page clearing cost as much as the copies themselves. Buffers of 64
// KiB and more come in power-of-two classes from a bounded free list; a
// buffer goes back when its last reference is dropped, on any thread, even
// after the pool itself is gone. Contents are undefined unless zeroing is asked.
#pragma once

#include <cstddef>
#include <memory>
#include <span>

namespace emulator::iscsi {

class BufferPool {
public:
    class Buffer {
    public:
        std::byte* data() { return m_bytes.get(); }
        const std::byte* data() const { return m_bytes.get(); }
        size_t size() const { return m_size; }
        std::span<std::byte> span() { return {m_bytes.get(), m_size}; }
        std::span<const std::byte> span() const { return {m_bytes.get(), m_size}; }

    private:
        friend class BufferPool;
        std::unique_ptr<std::byte[]> m_bytes;
        size_t m_size = 0, m_capacity = 0;
    };
    using Ref = std::shared_ptr<Buffer>;

    // Keeps at most `keep_bytes` of free buffers.
    explicit BufferPool(size_t keep_bytes = 64u << 20);

    // `size` bytes; zero-filled when `zero`, otherwise whatever they held.
    Ref get(size_t size, bool zero);

private:
    struct State;
    std::shared_ptr<State> m_state;
};

}  // namespace emulator::iscsi
