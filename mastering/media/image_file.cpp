#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "mastering/media/sector_source.h"

namespace mastering::media {

namespace {

class ImageFile final : public SectorSource {
public:
    ImageFile(int fd, std::string path, uint64_t size) : m_fd(fd), m_path(std::move(path)), m_size(size) {}
    ~ImageFile() override { ::close(m_fd); }

    Status read_blocks(uint64_t lba, std::span<std::byte> out) override {
        if (out.size() % block_size != 0)
            return make_error(Errc::invalid_argument, "read of a partial block");
        uint64_t blocks = out.size() / block_size;
        if (lba > block_count() || blocks > block_count() - lba)
            return make_error(Errc::corrupt, m_path + ": block " + std::to_string(lba + blocks - 1) +
                                                 " is beyond the end of the image (" +
                                                 std::to_string(block_count()) + " blocks)");
        uint64_t off = lba * block_size;
        size_t done = 0;
        while (done < out.size()) {
            ssize_t n = ::pread(m_fd, out.data() + done, out.size() - done, off + done);
            if (n < 0) {
                if (errno == EINTR) continue;
                return os_error(m_path);
            }
            if (n == 0) break;  // the zero-padded tail of a short last block
            done += size_t(n);
        }
        if (done < out.size()) std::memset(out.data() + done, 0, out.size() - done);
        return {};
    }
    uint64_t block_count() const override { return (m_size + block_size - 1) / block_size; }
    std::string describe() const override { return m_path; }
    int block_fd() const override { return m_fd; }

private:
    int m_fd;
    std::string m_path;
    uint64_t m_size;
};

}  // namespace

Result<std::unique_ptr<SectorSource>> open_image_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return os_error(path);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        auto e = os_error(path);
        ::close(fd);
        return e;
    }
    if (S_ISDIR(st.st_mode)) {
        ::close(fd);
        return make_error(Errc::invalid_argument, path + ": is a directory, not an image file");
    }
    uint64_t size = uint64_t(st.st_size);
    if (S_ISBLK(st.st_mode)) {
        off_t end = ::lseek(fd, 0, SEEK_END);
        if (end > 0) size = uint64_t(end);
    }
    return std::unique_ptr<SectorSource>(new ImageFile(fd, path, size));
}

}  // namespace mastering::media
