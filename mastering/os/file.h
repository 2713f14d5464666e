// The project's one small OS layer: an owning file descriptor and the read and
// write loops every file user needs (resumed after a short transfer or EINTR).
// I/O failures come back as Errors naming the file, never as invariant checks.
// codec/ stays free of I/O; everything that touches a descriptor goes here.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "mastering/codec/result.h"

namespace mastering::os {

// Owns one file descriptor and closes it once, when it goes out of scope or is
// reset. Move-only. close() reports the error close(2) may return (a write-back
// failure on some file systems), for the writers that must not lose it.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : m_fd(fd) {}
    Fd(Fd&& o) noexcept : m_fd(std::exchange(o.m_fd, -1)) {}
    Fd& operator=(Fd&& o) noexcept {
        if (this != &o) reset(std::exchange(o.m_fd, -1));
        return *this;
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { reset(); }

    int get() const { return m_fd; }
    bool valid() const { return m_fd >= 0; }
    explicit operator bool() const { return valid(); }
    // Gives the descriptor up without closing it.
    int release() { return std::exchange(m_fd, -1); }
    // Closes the descriptor held (errors ignored) and takes `fd`.
    void reset(int fd = -1);
    // Closes the descriptor and reports close(2)'s error; `what` names the file.
    Status close(std::string_view what);

private:
    int m_fd = -1;
};

// open(2) with O_CLOEXEC; the error names `path`.
Result<Fd> open_file(const std::string& path, int flags, mode_t mode = 0644);

// Up to `n` bytes at byte `offset`: fewer only where the file ends. Returns the
// count read.
Result<size_t> pread_some(int fd, void* p, size_t n, uint64_t offset, std::string_view what);
// Exactly `n` bytes at byte `offset`; a file that ends first is an error
// ("... ends at byte N").
Status pread_all(int fd, void* p, size_t n, uint64_t offset, std::string_view what);
// All `n` bytes written at byte `offset`.
Status pwrite_all(int fd, const void* p, size_t n, uint64_t offset, std::string_view what);
// All `n` bytes written at the descriptor's position (pipes, sockets, terminals).
Status write_all(int fd, const void* p, size_t n, std::string_view what);

}  // namespace mastering::os
