#include "mastering/os/file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace mastering::os {

void Fd::reset(int fd) {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = fd;
}

Status Fd::close(std::string_view what) {
    if (m_fd < 0) return {};
    int fd = std::exchange(m_fd, -1);
    // Linux releases the descriptor even when close fails (EINTR included):
    // never retry, only report.
    if (::close(fd) != 0 && errno != EINTR) return os_error("cannot close " + std::string(what));
    return {};
}

Result<Fd> open_file(const std::string& path, int flags, mode_t mode) {
    int fd;
    do fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) return os_error(path);
    return Fd(fd);
}

Result<size_t> pread_some(int fd, void* p, size_t n, uint64_t offset, std::string_view what) {
    auto* c = static_cast<char*>(p);
    size_t done = 0;
    while (done < n) {
        ssize_t r = ::pread(fd, c + done, n - done, off_t(offset + done));
        if (r < 0) {
            if (errno == EINTR) continue;
            return os_error("cannot read " + std::string(what));
        }
        if (r == 0) break;
        done += size_t(r);
    }
    return done;
}

Status pread_all(int fd, void* p, size_t n, uint64_t offset, std::string_view what) {
    size_t got = DM_TRY(pread_some(fd, p, n, offset, what));
    if (got < n)
        return make_error(Errc::corrupt, std::string(what) + " ends at byte " + std::to_string(offset + got) +
                                             ", before byte " + std::to_string(offset + n));
    return {};
}

Status pwrite_all(int fd, const void* p, size_t n, uint64_t offset, std::string_view what) {
    auto* c = static_cast<const char*>(p);
    while (n > 0) {
        ssize_t w = ::pwrite(fd, c, n, off_t(offset));
        if (w < 0) {
            if (errno == EINTR) continue;
            return os_error("cannot write " + std::string(what));
        }
        c += w;
        n -= size_t(w);
        offset += uint64_t(w);
    }
    return {};
}

Status write_all(int fd, const void* p, size_t n, std::string_view what) {
    auto* c = static_cast<const char*>(p);
    while (n > 0) {
        ssize_t w = ::write(fd, c, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return os_error("cannot write " + std::string(what));
        }
        c += w;
        n -= size_t(w);
    }
    return {};
}

}  // namespace mastering::os
