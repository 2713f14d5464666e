// One entry of a directory to be given an identifier by a file system view:
// its host name and whether it is a directory. ISO 9660 (iso9660/names.h) and
// Joliet (joliet/names.h) each map a directory's entries to their own
// identifiers from this.
#pragma once

#include <string_view>

namespace mastering::model {

struct NameRequest {
    std::string_view name;  // UTF-8 host name
    bool directory = false;
};

}  // namespace mastering::model
