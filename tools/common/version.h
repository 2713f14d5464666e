// --version of every tool: the project version and the git revision the build
// came from (cmake/git_revision.cmake writes it at every build).
#pragma once

#include <string>
#include <string_view>

namespace tools {

// "master-image 0.1.0 (git 1a2b3c4d5e6f)", "-dirty" after the revision when
// the build had uncommitted changes, and "(git revision unknown)" for a build
// from sources without git history (a Debian source package, a tarball not
// made by `git archive`).
std::string version_text(std::string_view prog);

}  // namespace tools
