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
namespace os = mastering::os;

namespace {

constexpr uint64_t k_block = 2048;

// toc.json replaced atomically: temp file, fsync, rename, fsync the directory.
Status save_json(const std::string& dir, const DiscModel& m, bool durable = true) {
    std::string tmp = dir + "/toc.json.tmp", final_path = dir + "/toc.json";
    std::string text = to_json(m).dump(2) + "\n";
    {
        auto fd = DM_TRY(os::open_file(tmp, O_WRONLY | O_CREAT | O_TRUNC));
        DM_TRY(os::pwrite_all(fd.get(), text.data(), text.size(), 0, "the virtual disc"));
        if (durable && ::fsync(fd.get()) != 0) return os_error("cannot sync " + tmp);
    }
    if (::rename(tmp.c_str(), final_path.c_str()) != 0) return os_error("cannot replace " + final_path);
    if (durable)
        if (auto dfd = os::open_file(dir, O_RDONLY | O_DIRECTORY); dfd.ok()) ::fsync(dfd->get());
    return {};
}

// `bytes` of `from` into the new file `to`: a reflink where the file system
// can, else a copy.
Status copy_file(const std::string& from, const std::string& to, uint64_t bytes) {
    auto src = DM_TRY(os::open_file(from, O_RDONLY));
    auto dst = DM_TRY(os::open_file(to, O_RDWR | O_CREAT | O_EXCL));
    if (::ioctl(dst.get(), FICLONE, src.get()) == 0) return {};
    loff_t in = 0, out = 0;
    for (uint64_t left = bytes; left > 0;) {
        ssize_t n = ::copy_file_range(src.get(), &in, dst.get(), &out, size_t(std::min<uint64_t>(left, 1ull << 30)), 0);
        if (n <= 0) return os_error("cannot copy " + from);
        left -= uint64_t(n);
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

VirtualDisc::VirtualDisc(std::string dir, os::Fd data, os::Fd lock, DiscModel m)
    : m_dir(std::move(dir)), m_data_fd(data.get()), m_lock(std::move(lock)), m_model(std::move(m)) {
    struct stat st {};
    if (::fstat(m_data_fd, &st) == 0) m_data_size = uint64_t(st.st_size);
    // Mapped as far as the disc can hold (the file grows as it is written).
    m_data_file = std::make_shared<SharedFile>(
        data.release(), std::max<uint64_t>(m_data_size, uint64_t(m_model.capacity) * k_block));
}

VirtualDisc::~VirtualDisc() = default;

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
    DM_TRY(os::open_file(dir + "/data.img", O_RDWR | O_CREAT | O_EXCL));
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
    DM_TRY(copy_file(image, dir + "/data.img", uint64_t(st.st_size)));
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
    auto fd = DM_TRY(os::open_file(image, O_RDONLY));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0)
        return make_error(Errc::invalid_argument, image + ": not an image file");
    uint64_t blocks = (uint64_t(st.st_size) + k_block - 1) / k_block;
    if (blocks > 0xFFFFFFFFu) return make_error(Errc::invalid_argument, image + ": too large for a disc");
    auto disc = std::unique_ptr<VirtualDisc>(
        new VirtualDisc(image, std::move(fd), os::Fd(), rom_disc(family_of, uint32_t(blocks))));
    disc->m_image_only = true;
    return disc;
}

Result<std::unique_ptr<VirtualDisc>> VirtualDisc::open(const std::string& dir, bool exclusive) {
    auto model = DM_TRY(load_json(dir));
    os::Fd lock;
    if (exclusive) {
        lock = DM_TRY(os::open_file(dir + "/lock", O_RDWR | O_CREAT));
        if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) return make_error(Errc::io, dir + ": the disc is in another drive");
    }
    auto fd = DM_TRY(os::open_file(dir + "/data.img", exclusive ? O_RDWR : O_RDONLY));
    return std::unique_ptr<VirtualDisc>(new VirtualDisc(dir, std::move(fd), std::move(lock), std::move(model)));
}

Status VirtualDisc::read(uint64_t lba, std::span<std::byte> out) const {
    size_t done = DM_TRY(os::pread_some(m_data_fd, out.data(), out.size(), lba * k_block,
                                        m_image_only ? m_dir : m_dir + "/data.img"));
    if (done < out.size()) std::memset(out.data() + done, 0, out.size() - done);  // never written: zeros
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
