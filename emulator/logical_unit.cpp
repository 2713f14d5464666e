#include "emulator/logical_unit.h"

#include <sys/mman.h>

namespace emulator {

SharedFile::SharedFile(int fd, uint64_t map_bytes) : m_fd(fd) {
    if (!map_bytes) return;
    void* p = ::mmap(nullptr, map_bytes, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) return;  // the transport falls back to sendfile
    m_map = static_cast<const std::byte*>(p);
    m_map_bytes = map_bytes;
}

SharedFile::~SharedFile() {
    if (m_map) ::munmap(const_cast<std::byte*>(m_map), m_map_bytes);
}

}  // namespace emulator
