#include "mastering/codec/result.h"

#include <cerrno>
#include <cstring>

namespace mastering {

const char* errc_name(Errc c) {
    switch (c) {
    case Errc::io: return "I/O error";
    case Errc::not_found: return "not found";
    case Errc::exists: return "already exists";
    case Errc::invalid_argument: return "invalid argument";
    case Errc::corrupt: return "corrupt data";
    case Errc::unsupported: return "not supported";
    case Errc::no_space: return "no space";
    case Errc::changed: return "changed while read";
    case Errc::cancelled: return "cancelled";
    case Errc::device: return "device error";
    case Errc::no_medium: return "no medium";
    case Errc::internal: return "internal error";
    }
    return "unknown error";
}

Error os_error(std::string_view what, int err) {
    Errc code = Errc::io;
    if (err == ENOENT || err == ENOTDIR) code = Errc::not_found;
    else if (err == EEXIST) code = Errc::exists;
    else if (err == ENOSPC || err == EFBIG) code = Errc::no_space;
    else if (err == EINVAL) code = Errc::invalid_argument;
    else if (err == ENOMEDIUM) code = Errc::no_medium;
    return Error{code, std::string(what) + ": " + std::strerror(err)};
}

}  // namespace mastering
