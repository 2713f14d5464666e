#include "fuse/mount_point.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace dmfuse {

namespace fs = std::filesystem;
using mastering::Errc;
using mastering::make_error;
using mastering::Result;

namespace {

// Whether `inner` lies strictly below `outer` (both absolute and canonical).
bool strictly_inside(const fs::path& inner, const fs::path& outer) {
    auto i = inner.begin();
    for (auto o = outer.begin(); o != outer.end(); ++o, ++i) {
        if (o->empty()) continue;  // a trailing separator
        if (i == inner.end() || *i != *o) return false;
    }
    return i != inner.end() && !i->empty();
}

// A field of /proc/self/mountinfo with its \ooo escapes undone.
std::string unescape(std::string_view f) {
    auto octal = [](char c) { return c >= '0' && c <= '7'; };
    std::string out;
    for (size_t i = 0; i < f.size(); ++i) {
        if (f[i] == '\\' && i + 3 < f.size() && octal(f[i + 1]) && octal(f[i + 2]) && octal(f[i + 3])) {
            out += char((f[i + 1] - '0') * 64 + (f[i + 2] - '0') * 8 + (f[i + 3] - '0'));
            i += 3;
        } else {
            out += f[i];
        }
    }
    return out;
}

}  // namespace

bool take_nonempty_option(std::vector<std::string>& options) {
    bool found = false;
    std::vector<std::string> kept;
    for (const auto& list : options) {
        std::string rest;
        std::istringstream items(list);
        for (std::string item; std::getline(items, item, ',');) {
            if (item == "nonempty") found = true;
            else rest += (rest.empty() ? "" : ",") + item;
        }
        if (!rest.empty()) kept.push_back(rest);
    }
    if (found) options = std::move(kept);
    return found;
}

bool listed_as_mount_point(std::string_view mountinfo, const std::string& path) {
    std::istringstream lines{std::string(mountinfo)};
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream fields(line);
        std::string field;
        for (int k = 0; k < 5 && fields >> field; ++k)
            if (k == 4 && unescape(field) == path) return true;
    }
    return false;
}

Result<std::string> check_mount_point(const std::string& mountpoint, const std::optional<std::string>& source_path,
                                      bool allow_nonempty) {
    std::error_code ec;
    fs::path where = fs::canonical(mountpoint, ec);
    if (ec) return make_error(Errc::not_found, mountpoint + ": " + ec.message() + " (give an empty directory)");
    if (source_path) {
        fs::path source = fs::weakly_canonical(*source_path, ec);
        if (!ec) {
            if (source == where)
                return make_error(Errc::invalid_argument,
                                  mountpoint + " is the source itself; mount it on an empty directory");
            if (strictly_inside(source, where))
                return make_error(Errc::invalid_argument, mountpoint + " holds the source " + *source_path +
                                                              ": the mount would hide it; give an empty directory");
            if (strictly_inside(where, source))
                return make_error(Errc::invalid_argument, mountpoint + " lies inside the source " + *source_path +
                                                              "; give an empty directory outside it");
        }
    }
    struct stat st {};
    if (::stat(where.c_str(), &st) != 0) return mastering::os_error(mountpoint);
    if (!S_ISDIR(st.st_mode)) return make_error(Errc::invalid_argument, mountpoint + " is not a directory");
    std::ifstream info("/proc/self/mountinfo");
    std::stringstream text;
    text << info.rdbuf();
    if (listed_as_mount_point(text.str(), where.string()))
        return make_error(Errc::invalid_argument,
                          mountpoint + " is a mount point already; unmount it first or give another directory");
    if (!allow_nonempty) {
        fs::directory_iterator entries(where, ec);
        if (ec) return make_error(Errc::io, mountpoint + ": " + ec.message());
        if (entries != fs::directory_iterator())
            return make_error(Errc::invalid_argument, mountpoint +
                                                          " is not empty (the mount would hide what it holds); give "
                                                          "an empty directory, or -o nonempty to hide it");
    }
    return where.string();
}

}  // namespace dmfuse
