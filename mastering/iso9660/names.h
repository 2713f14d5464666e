// File identifiers of the ISO 9660 hierarchy (ECMA-119 7.5/7.6, and ISO
// 9660:1999 relaxed names): mapping host names to d-characters per interchange
// level, with deterministic collision handling, and the ordering of directory
// records (9.3).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mastering/model/name_request.h"

namespace mastering::iso9660 {

enum class NamePolicy {
    level1,   // 8.3 d-characters, directories 8
    level2,   // 30 d-characters for name+extension, directories 31 (levels 2 and 3)
    relaxed,  // ISO 9660:1999: the name's own bytes, up to 207, no version
};

// Identifiers for the entries of one directory, unique within it, in the same
// order as `entries`. The mapping depends only on the set of names, so it is
// the same every time the same directory is laid out. Files get ";1" except
// under the relaxed policy.
std::vector<std::string> map_identifiers(const std::vector<model::NameRequest>& entries, NamePolicy policy);

// ECMA-119 9.3 order of identifiers (name, then extension, padded with spaces;
// then version descending).
bool identifier_less(std::string_view a, std::string_view b);

// The volume identifier as d-characters (uppercase, up to 32).
std::string volume_identifier(std::string_view name);

}  // namespace mastering::iso9660
