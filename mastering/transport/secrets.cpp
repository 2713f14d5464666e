// CHAP secrets kept off the command line: the secret a tool read from a file,
// and reading such a file (docs/iscsi-client.md). redact_address, which
// shows addresses without their secrets, is in transport.cpp.
#include <fcntl.h>
#include <sys/stat.h>

#include <cstdio>
#include <mutex>

#include "mastering/os/file.h"
#include "mastering/transport/transport.h"

namespace mastering::transport {

namespace {

std::mutex g_secret_mutex;
std::string g_default_secret;

constexpr size_t k_max_secret_file = 64 * 1024;

}  // namespace

void set_default_chap_secret(std::string secret) {
    std::lock_guard lock(g_secret_mutex);
    g_default_secret = std::move(secret);
}

std::string default_chap_secret() {
    std::lock_guard lock(g_secret_mutex);
    return g_default_secret;
}

Result<std::vector<std::string>> read_secret_lines(const std::string& path) {
    auto fd = DM_TRY(os::open_file(path, O_RDONLY | O_NOFOLLOW));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return os_error(path);
    if (!S_ISREG(st.st_mode)) return make_error(Errc::invalid_argument, path + ": a secret file is a regular file");
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", unsigned(st.st_mode & 07777));
        return make_error(Errc::invalid_argument, path + ": other users may read or change this secret file (mode " +
                                                      mode + "): chmod 600 " + path);
    }
    if (st.st_size > off_t(k_max_secret_file))
        return make_error(Errc::invalid_argument, path + ": too large for a secret file");
    std::string text(size_t(st.st_size), '\0');
    DM_TRY(os::pread_all(fd.get(), text.data(), text.size(), 0, path));
    std::vector<std::string> lines;
    for (size_t pos = 0; pos < text.size();) {
        size_t nl = text.find('\n', pos);
        std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty()) lines.push_back(std::move(line));
        pos = nl == std::string::npos ? text.size() : nl + 1;
    }
    if (lines.empty()) return make_error(Errc::invalid_argument, path + ": the secret file is empty");
    return lines;
}

}  // namespace mastering::transport
