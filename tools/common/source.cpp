#include "tools/common/source.h"

#include "emulator/media/vdisc.h"
#include "mastering/burn/format_data.h"
#include "mastering/image/image_file.h"

namespace tools {

using namespace mastering;

SourceKind classify_source(const std::string& s) {
    if (s.rfind("iscsi://", 0) == 0 || s.rfind("emu:", 0) == 0 || s.rfind("/dev/sr", 0) == 0 || s.rfind("/dev/sg", 0) == 0)
        return SourceKind::drive;
    std::string t = s;
    while (t.size() > 1 && t.back() == '/') t.pop_back();
    if (t.size() > 6 && t.compare(t.size() - 6, 6, ".vdisc") == 0) return SourceKind::virtual_disc;
    return SourceKind::image_file;
}

Result<std::shared_ptr<media::Medium>> open_source(const std::string& source) {
    switch (classify_source(source)) {
    case SourceKind::image_file:
        return image::open_image_medium(source);
    case SourceKind::virtual_disc:
        return emulator::media::open_vdisc_medium(source);
    case SourceKind::drive:
        return burn::open_drive_medium(source);
    }
    return make_error(Errc::internal, "unknown source kind");
}

}  // namespace tools
