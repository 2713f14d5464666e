#include "emulator/media/vdisc.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "mastering/image/image_file.h"
#include "mastering/os/file.h"

namespace emulator::media {

using mastering::Errc;
using mastering::make_error;
using mastering::os_error;
namespace fs = std::filesystem;

namespace {

constexpr uint64_t k_block = 2048;

// toc.json replaced atomically: temp file, fsync, rename, fsync the directory.
Status save_json(const std::string& dir, const DiscModel& m, bool durable = true) {
    std::string tmp = dir + "/toc.json.tmp", final_path = dir + "/toc.json";
    std::string text = to_json(m).dump(2) + "\n";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return os_error("cannot write " + tmp);
    Status st = mastering::os::pwrite_all(fd, text.data(), text.size(), 0, "the virtual disc");
    if (st.ok() && durable && ::fsync(fd) != 0) st = os_error("cannot sync " + tmp);
    ::close(fd);
    if (!st.ok()) return st;
    if (::rename(tmp.c_str(), final_path.c_str()) != 0) return os_error("cannot replace " + final_path);
    int dfd = durable ? ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
    return {};
}

Result<DiscModel> load_json(const std::string& dir) {
    std::ifstream f(dir + "/toc.json");
    if (!f) return os_error(dir + "/toc.json");
    std::stringstream ss;
    ss << f.rdbuf();
    auto j = nlohmann::json::parse(ss.str(), nullptr, false);
    if (j.is_discarded()) return make_error(Errc::corrupt, dir + "/toc.json: not valid JSON");
    auto m = disc_model_from_json(j);
    if (!m.ok()) return m.error().with_context(dir);
    return m;
}

}  // namespace

VirtualDisc::VirtualDisc(std::string dir, int data_fd, int lock_fd, DiscModel m)
    : m_dir(std::move(dir)), m_data_fd(data_fd), m_lock_fd(lock_fd), m_model(std::move(m)) {
    struct stat st {};
    if (::fstat(m_data_fd, &st) == 0) m_data_size = uint64_t(st.st_size);
    // Mapped as far as the disc can hold (the file grows as it is written).
    m_data_file = std::make_shared<SharedFile>(
        data_fd, std::max<uint64_t>(m_data_size, uint64_t(m_model.capacity) * k_block));
}

VirtualDisc::~VirtualDisc() {
    if (m_lock_fd >= 0) ::close(m_lock_fd);
}

bool VirtualDisc::is_vdisc(const std::string& dir) {
    struct stat st {};
    return ::stat((dir + "/toc.json").c_str(), &st) == 0 && ::stat((dir + "/data.img").c_str(), &st) == 0;
}

Result<std::unique_ptr<VirtualDisc>> VirtualDisc::create_blank(const std::string& dir, Profile profile,
                                                               std::optional<uint32_t> capacity) {
    if (!mastering::media::is_writable(profile))
        return make_error(Errc::invalid_argument, "a blank disc needs a recordable profile, not " +
                                                      std::string(mastering::media::profile_name(profile)));
    std::error_code ec;
    if (fs::exists(dir, ec)) return make_error(Errc::exists, dir + ": already exists");
    if (::mkdir(dir.c_str(), 0755) != 0) return os_error("cannot create " + dir);
    int fd = ::open((dir + "/data.img").c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return os_error(dir + "/data.img");
    ::close(fd);
    DM_TRY(save_json(dir, blank_disc(profile, capacity)));
    return open(dir);
}

Result<std::unique_ptr<VirtualDisc>> VirtualDisc::create_from_image(const std::string& dir, const std::string& image,
                                                                    Profile family_of) {
    struct stat st {};
    if (::stat(image.c_str(), &st) != 0) return os_error(image);
    if (!S_ISREG(st.st_mode)) return make_error(Errc::invalid_argument, image + ": not an image file");
    std::error_code ec;
    if (fs::exists(dir, ec)) return make_error(Errc::exists, dir + ": already exists");
    if (::mkdir(dir.c_str(), 0755) != 0) return os_error("cannot create " + dir);
    int src = ::open(image.c_str(), O_RDONLY | O_CLOEXEC);
    int dst = ::open((dir + "/data.img").c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (src < 0 || dst < 0) {
        if (src >= 0) ::close(src);
        if (dst >= 0) ::close(dst);
        return os_error("cannot copy " + image);
    }
    Status copied;
    if (::ioctl(dst, FICLONE, src) != 0) {  // a reflink where possible, else a copy
        loff_t in = 0, out = 0;
        uint64_t left = uint64_t(st.st_size);
        while (left > 0) {
            ssize_t n = ::copy_file_range(src, &in, dst, &out, size_t(std::min<uint64_t>(left, 1ull << 30)), 0);
            if (n <= 0) {
                copied = os_error("cannot copy " + image);
                break;
            }
            left -= uint64_t(n);
        }
    }
    ::close(src);
    ::close(dst);
    DM_TRY(copied);
    uint32_t blocks = uint32_t((uint64_t(st.st_size) + k_block - 1) / k_block);
    DM_TRY(save_json(dir, rom_disc(family_of, blocks)));
    return open(dir);
}

Profile VirtualDisc::family_for_image(uint64_t bytes) {
    uint64_t blocks = (bytes + k_block - 1) / k_block;
    namespace mm = mastering::media;
    if (blocks <= mm::profile_info(Profile::cd_r).capacity_blocks) return Profile::cd_rom;               // 80-minute CD
    if (blocks <= mm::profile_info(Profile::dvd_plus_r_dl).capacity_blocks) return Profile::dvd_rom;     // DVD+R DL
    return Profile::bd_rom;
}

Result<std::unique_ptr<VirtualDisc>> VirtualDisc::open_image(const std::string& image, Profile family_of) {
    int fd = ::open(image.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return os_error(image);
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
        ::close(fd);
        return make_error(Errc::invalid_argument, image + ": not an image file");
    }
    uint64_t blocks = (uint64_t(st.st_size) + k_block - 1) / k_block;
    if (blocks > 0xFFFFFFFFu) {
        ::close(fd);
        return make_error(Errc::invalid_argument, image + ": too large for a disc");
    }
    auto disc = std::unique_ptr<VirtualDisc>(new VirtualDisc(image, fd, -1, rom_disc(family_of, uint32_t(blocks))));
    disc->m_image_only = true;
    return disc;
}

Result<std::unique_ptr<VirtualDisc>> VirtualDisc::open(const std::string& dir, bool exclusive) {
    auto model = DM_TRY(load_json(dir));
    int lock = -1;
    if (exclusive) {
        lock = ::open((dir + "/lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (lock < 0) return os_error(dir + "/lock");
        if (::flock(lock, LOCK_EX | LOCK_NB) != 0) {
            ::close(lock);
            return make_error(Errc::io, dir + ": the disc is in another drive");
        }
    }
    int fd = ::open((dir + "/data.img").c_str(), (exclusive ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) {
        auto e = os_error(dir + "/data.img");
        if (lock >= 0) ::close(lock);
        return e;
    }
    return std::unique_ptr<VirtualDisc>(new VirtualDisc(dir, fd, lock, std::move(model)));
}

Status VirtualDisc::read(uint64_t lba, std::span<std::byte> out) const {
    size_t done = 0;
    while (done < out.size()) {
        ssize_t n = ::pread(m_data_fd, out.data() + done, out.size() - done, off_t(lba * k_block + done));
        if (n < 0) {
            if (errno == EINTR) continue;
            return os_error(m_image_only ? m_dir : m_dir + "/data.img");
        }
        if (n == 0) break;  // never written: zeros
        done += size_t(n);
    }
    if (done < out.size()) std::memset(out.data() + done, 0, out.size() - done);
    return {};
}

std::optional<FileRange> VirtualDisc::file_range(uint64_t lba, size_t bytes) const {
    uint64_t off = lba * k_block;
    if (off + bytes > m_data_size) return std::nullopt;
    return FileRange{m_data_file, off, bytes};
}

Status VirtualDisc::write(uint64_t lba, std::span<const std::byte> data) {
    if (m_image_only) return make_error(Errc::invalid_argument, m_dir + ": a plain image is served read-only");
    DM_TRY(mastering::os::pwrite_all(m_data_fd, data.data(), data.size(), lba * k_block, "the virtual disc"));
    m_data_size = std::max<uint64_t>(m_data_size, lba * k_block + data.size());
    // Start the write-back of what a burn wrote (every 8 MiB, without
    // waiting for it): SYNCHRONIZE CACHE then finds most of it on disk and
    // its fdatasync takes milliseconds, not the whole write-back.
    m_unkicked += data.size();
    if (m_durable && m_unkicked >= (8u << 20)) {
        (void)::sync_file_range(m_data_fd, 0, 0, SYNC_FILE_RANGE_WRITE);
        m_unkicked = 0;
    }
    return {};
}

Status VirtualDisc::sync() {
    if (m_image_only) return {};
    if (m_durable && ::fdatasync(m_data_fd) != 0) return os_error("cannot sync " + m_dir + "/data.img");
    return save_model();
}

Status VirtualDisc::save_model() {
    if (m_image_only) return {};  // a ROM disc: its model never changes on disk
    ++m_model.generation;
    return save_json(m_dir, m_model, m_durable);
}

Status VirtualDisc::discard_data() {
    if (m_image_only) return make_error(Errc::invalid_argument, m_dir + ": a plain image is served read-only");
    if (::ftruncate(m_data_fd, 0) != 0) return os_error("cannot blank " + m_dir + "/data.img");
    m_data_size = 0;
    return {};
}

Status VirtualDisc::reload_model() {
    if (m_image_only) return {};
    m_model = DM_TRY(load_json(m_dir));
    return {};
}

namespace {

class VdiscMedium final : public mastering::media::Medium {
public:
    explicit VdiscMedium(std::unique_ptr<VirtualDisc> d) : m_disc(std::move(d)) {}
    Status read_blocks(uint64_t lba, std::span<std::byte> out) override {
        uint64_t n = out.size() / k_block;
        const DiscModel& m = m_disc->model();
        if (!readable(m, lba, n))
            return make_error(Errc::corrupt, m_disc->path() + ": blocks " + std::to_string(lba) + "+" + std::to_string(n) +
                                                 " are not recorded on this disc");
        return m_disc->read(lba, out);
    }
    uint64_t block_count() const override {
        const DiscModel& m = m_disc->model();
        if (m.rom) return m.rom_blocks;
        if (m.overwritable()) return m.formatted ? m.formatted_blocks : 0;
        uint64_t end = 0;
        for (const auto& s : m.sessions)
            for (const auto& t : s.tracks) end = std::max<uint64_t>(end, t.start + t.recorded);
        return end;
    }
    std::string describe() const override { return m_disc->path(); }
    Result<mastering::media::Toc> toc() override {
        const DiscModel& m = m_disc->model();
        auto t = m.toc();
        if (m.overwritable() && m.formatted) {
            // One physical track; the sessions are those of the ISO 9660 chain.
            auto emulated = mastering::image::emulate_toc(*this);
            if (emulated.ok() && !emulated->sessions.empty()) {
                t.sessions = emulated->sessions;
                t.set_next_writable(emulated->next_writable);
                t.state = mastering::media::DiscState::appendable;
            }
        }
        return t;
    }

private:
    static bool readable(const DiscModel& m, uint64_t lba, uint64_t n) {
        if (m.rom) return lba + n <= m.rom_blocks;
        if (m.overwritable()) return m.formatted && lba + n <= m.formatted_blocks;
        for (const auto& s : m.sessions)
            for (const auto& t : s.tracks)
                if (lba >= t.start && lba + n <= uint64_t(t.start) + t.recorded) return true;
        return false;
    }
    std::unique_ptr<VirtualDisc> m_disc;
};

}  // namespace

Result<std::shared_ptr<mastering::media::Medium>> open_vdisc_medium(const std::string& dir) {
    auto d = DM_TRY(VirtualDisc::open(dir, false));
    return std::shared_ptr<mastering::media::Medium>(new VdiscMedium(std::move(d)));
}

}  // namespace emulator::media
