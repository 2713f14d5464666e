#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "mastering/media/sector_source.h"
#include "mastering/os/file.h"

namespace mastering::media {

namespace {

class ImageFile final : public SectorSource {
public:
    ImageFile(os::Fd fd, std::string path, uint64_t size) : m_fd(std::move(fd)), m_path(std::move(path)), m_size(size) {}

    Status read_blocks(uint64_t lba, std::span<std::byte> out) override {
        if (out.size() % block_size != 0)
            return make_error(Errc::invalid_argument, "read of a partial block");
        uint64_t blocks = out.size() / block_size;
        if (lba > block_count() || blocks > block_count() - lba)
            return make_error(Errc::corrupt, m_path + ": block " + std::to_string(lba + blocks - 1) +
                                                 " is beyond the end of the image (" +
                                                 std::to_string(block_count()) + " blocks)");
        size_t done = DM_TRY(os::pread_some(m_fd.get(), out.data(), out.size(), lba * block_size, m_path));
        // The zero-padded tail of a short last block.
        if (done < out.size()) std::memset(out.data() + done, 0, out.size() - done);
        return {};
    }
    uint64_t block_count() const override { return (m_size + block_size - 1) / block_size; }
    std::string describe() const override { return m_path; }
    int block_fd() const override { return m_fd.get(); }

private:
    os::Fd m_fd;
    std::string m_path;
    uint64_t m_size;
};

}  // namespace

Result<std::unique_ptr<SectorSource>> open_image_file(const std::string& path) {
    os::Fd fd = DM_TRY(os::open_file(path, O_RDONLY));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return os_error(path);
    if (S_ISDIR(st.st_mode)) return make_error(Errc::invalid_argument, path + ": is a directory, not an image file");
    uint64_t size = uint64_t(st.st_size);
    if (S_ISBLK(st.st_mode)) {
        off_t end = ::lseek(fd.get(), 0, SEEK_END);
        if (end > 0) size = uint64_t(end);
    }
    return std::unique_ptr<SectorSource>(new ImageFile(std::move(fd), path, size));
}

}  // namespace mastering::media
