#include "mastering/image/open_file_system.h"

#include "mastering/iso9660/reader.h"
#include "mastering/udf/reader.h"

namespace mastering::image {

using model::FileSystemReader;
using model::FsMask;
using model::FsType;
using model::mask;

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
