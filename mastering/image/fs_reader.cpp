#include "mastering/image/fs_reader.h"

#include <sys/stat.h>

#include <array>

#include "mastering/iso9660/reader.h"
#include "mastering/udf/reader.h"

namespace mastering::image {

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

Result<FsMask> identify_file_systems(media::SectorSource& medium, uint64_t session_start) {
    auto vs = iso9660::read_volume_set(medium, session_start);
    if (!vs.ok()) {
        if (vs.error().code == Errc::not_found) {
            if (udf::has_recognition_sequence(medium, session_start)) return mask(FsType::udf);
            return make_error(Errc::not_found, "no file system found in the session at block " +
                                                   std::to_string(session_start));
        }
        return vs.error();
    }
    FsMask m = mask(FsType::iso9660);
    if (vs->rock_ridge) m |= mask(FsType::rockridge);
    if (vs->joliet) m |= mask(FsType::joliet);
    if (vs->udf_vrs) m |= mask(FsType::udf);
    return m;
}

Result<std::unique_ptr<FileSystemReader>> open_file_system(media::SectorSource& medium, uint64_t session_start,
                                                            FsType fs) {
    auto vs = iso9660::read_volume_set(medium, session_start);
    if (!vs.ok()) {
        // A UDF-only session (mkudffs, master-image --fs udf).
        if (vs.error().code == Errc::not_found && (fs == FsType::none || fs == FsType::udf) &&
            udf::has_recognition_sequence(medium, session_start))
            return udf::open_reader(medium, session_start);
        return vs.error();
    }
    if (fs == FsType::none) {
        // IMAPI2's order: UDF over Joliet over ISO 9660; Rock Ridge (POSIX
        // attributes, long names) ranks with UDF's richness above Joliet. A
        // bridge whose UDF cannot be read falls back to its ISO 9660 views.
        if (vs->udf_vrs) {
            auto r = udf::open_reader(medium, session_start);
            if (r.ok()) return r;
        }
        fs = vs->rock_ridge ? FsType::rockridge : vs->joliet ? FsType::joliet : FsType::iso9660;
    }
    if (fs == FsType::udf) {
        if (!vs->udf_vrs)
            return make_error(Errc::not_found, "the session at block " + std::to_string(session_start) + " holds no UDF");
        return udf::open_reader(medium, session_start);
    }
    return iso9660::open_reader(medium, *vs, fs);
}

}  // namespace mastering::image

namespace mastering::image {

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

}  // namespace mastering::image
