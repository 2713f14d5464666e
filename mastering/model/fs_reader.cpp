#include "mastering/model/fs_reader.h"

#include <sys/stat.h>

#include <array>

namespace mastering::model {

namespace {
constexpr std::array<std::pair<FsType, std::string_view>, 4> k_names{{
    {FsType::iso9660, "iso9660"}, {FsType::joliet, "joliet"}, {FsType::udf, "udf"}, {FsType::rockridge, "rockridge"}}};
}

std::string_view fs_name(FsType t) {
    for (auto& [v, n] : k_names)
        if (v == t) return n;
    return "none";
}

std::optional<FsType> fs_from_name(std::string_view name) {
    for (auto& [v, n] : k_names)
        if (n == name) return v;
    return std::nullopt;
}

std::string fs_mask_names(FsMask m) {
    std::string out;
    for (FsType t : {FsType::iso9660, FsType::rockridge, FsType::joliet, FsType::udf})
        if (has(m, t)) {
            if (!out.empty()) out += ',';
            out += fs_name(t);
        }
    return out;
}

Result<FsMask> fs_mask_from_names(std::string_view list) {
    FsMask m = 0;
    for (size_t pos = 0; pos <= list.size();) {
        size_t comma = list.find(',', pos);
        std::string_view item = list.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
        pos = comma == std::string_view::npos ? list.size() + 1 : comma + 1;
        if (item.empty()) continue;
        auto t = fs_from_name(item);
        if (!t)
            return make_error(Errc::invalid_argument,
                              "unknown file system \"" + std::string(item) + "\" (iso9660, joliet, rockridge, udf)");
        m |= mask(*t);
    }
    return m;
}

uint32_t posix_type_bits(NodeType t) {
    switch (t) {
    case NodeType::file: return S_IFREG;
    case NodeType::directory: return S_IFDIR;
    case NodeType::symlink: return S_IFLNK;
    case NodeType::char_device: return S_IFCHR;
    case NodeType::block_device: return S_IFBLK;
    case NodeType::fifo: return S_IFIFO;
    case NodeType::socket: return S_IFSOCK;
    }
    return S_IFREG;
}

}  // namespace mastering::model
