// Linux SG_IO backend: /dev/sgN and /dev/srN.
#include <dirent.h>
#include <fcntl.h>
#include <scsi/sg.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "mastering/transport/transport.h"

namespace mastering::transport {

namespace {

// SG_IO host_status / driver_status values (linux/scsi sg driver): what we
// map to transport errors.
constexpr unsigned k_host_ok = 0x00, k_host_timeout = 0x03, k_host_no_connect = 0x01;
constexpr unsigned k_driver_timeout = 0x06;

class SgTransport final : public Transport {
public:
    SgTransport(int fd, std::string path) : m_fd(fd), m_path(std::move(path)) {}
    ~SgTransport() override { ::close(m_fd); }
    std::string address() const override { return m_path; }

protected:
    Status do_execute(Command& cmd) override {
        sg_io_hdr_t h{};
        uint8_t sense[64]{};
        h.interface_id = 'S';
        h.cmdp = cmd.cdb.data();
        h.cmd_len = cmd.cdb_length;
        h.sbp = sense;
        h.mx_sb_len = sizeof sense;
        h.dxferp = cmd.data.data();
        h.dxfer_len = unsigned(cmd.data.size());
        h.dxfer_direction = cmd.direction == Direction::in    ? SG_DXFER_FROM_DEV
                            : cmd.direction == Direction::out ? SG_DXFER_TO_DEV
                                                              : SG_DXFER_NONE;
        if (cmd.data.empty()) h.dxfer_direction = SG_DXFER_NONE;
        h.timeout = unsigned(std::min<int64_t>(cmd.timeout.count(), 0x7fffffff));
        int r;
        do {
            r = ::ioctl(m_fd, SG_IO, &h);
        } while (r < 0 && errno == EINTR);
        if (r < 0) {
            if (errno == ENODEV || errno == ENXIO) return make_error(Errc::io, m_path + ": the drive is gone");
            return os_error(m_path + ": SG_IO");
        }
        if (h.host_status == k_host_timeout || (h.driver_status & 0x0F) == k_driver_timeout)
            return make_error(Errc::io, m_path + ": command " + hex(cmd.cdb[0]) + " timed out");
        if (h.host_status == k_host_no_connect) return make_error(Errc::io, m_path + ": the drive is gone");
        if (h.host_status != k_host_ok && h.status == 0)
            return make_error(Errc::io, m_path + ": transport failure (host status " + hex(h.host_status) + ")");
        cmd.status = scsi::Status(h.status);
        if (h.sb_len_wr > 0) {
            cmd.sense.assign(sense, sense + h.sb_len_wr);
            // The driver reports CHECK CONDITION through sense alone at times.
            if (cmd.status == scsi::Status::good && (h.driver_status & 0x08)) cmd.status = scsi::Status::check_condition;
        }
        cmd.residual = size_t(std::max(0, h.resid));
        cmd.transferred = cmd.data.size() - std::min(cmd.data.size(), cmd.residual);
        return {};
    }

private:
    static std::string hex(unsigned v) {
        char b[16];
        std::snprintf(b, sizeof b, "%02Xh", v);
        return b;
    }
    int m_fd;
    std::string m_path;
};

}  // namespace

Result<std::unique_ptr<Transport>> open_sg(const std::string& path, const OpenOptions& options) {
    int flags = O_RDWR | O_NONBLOCK | O_CLOEXEC | (options.exclusive ? O_EXCL : 0);
    int fd = ::open(path.c_str(), flags);
    if (fd < 0 && errno == EROFS) fd = ::open(path.c_str(), (flags & ~O_RDWR) | O_RDONLY);
    if (fd < 0) {
        if (errno == EBUSY) return make_error(Errc::io, path + ": the drive is in use by another program");
        return os_error(path);
    }
    int version = 0;
    if (::ioctl(fd, SG_GET_VERSION_NUM, &version) < 0 || version < 30000) {
        ::close(fd);
        return make_error(Errc::invalid_argument, path + ": not a SCSI generic device (no SG_IO)");
    }
    // Back to blocking I/O for SG_IO itself.
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return std::unique_ptr<Transport>(new SgTransport(fd, path));
}

std::vector<std::string> list_mmc_sg_devices() {
    std::vector<std::string> out;
    const char* base = "/sys/class/scsi_generic";
    DIR* d = ::opendir(base);
    if (!d) return out;
    while (dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name.rfind("sg", 0) != 0) continue;
        std::ifstream type(std::string(base) + "/" + name + "/device/type");
        int t = -1;
        if (type >> t && t == 5) out.push_back("/dev/" + name);
    }
    ::closedir(d);
    std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
        return a.size() != b.size() ? a.size() < b.size() : a < b;
    });
    return out;
}

}  // namespace mastering::transport
