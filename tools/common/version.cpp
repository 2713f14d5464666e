#include "tools/common/version.h"

#include "dm_revision.h"  // generated: DM_PROJECT_VERSION, DM_GIT_REVISION

namespace tools {

std::string version_text(std::string_view prog) {
    std::string_view revision = DM_GIT_REVISION;
    std::string text(prog);
    text += " " DM_PROJECT_VERSION " (";
    text += revision == "unknown" ? std::string("git revision unknown") : "git " + std::string(revision);
    return text + ")";
}

}  // namespace tools
