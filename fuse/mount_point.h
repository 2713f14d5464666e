// What is checked of a mount point before anything is mounted on it
// (issue 16). The mount point is resolved to an absolute path: the daemon
// runs in /, and the unmount after a signal needs the path the mount has.
// It is refused, with one line saying why, when mounting there would hide
// the source (the source itself, a directory that holds it, a directory
// inside it), when it is not a directory, when something is mounted there
// already (/proc/self/mountinfo), and when it is not empty, unless the
// caller allows that (libfuse 2's "-o nonempty").
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mastering/codec/result.h"

namespace dmfuse {

// `source_path`: the file or directory the medium is read from, if it is
// one on this host (an image file, a NAME.vdisc directory); nullopt for a
// drive. Returns the mount point's absolute path, symbolic links resolved.
mastering::Result<std::string> check_mount_point(const std::string& mountpoint,
                                                 const std::optional<std::string>& source_path,
                                                 bool allow_nonempty = false);

// Takes libfuse 2's "nonempty" out of "-o" options (one each, or comma
// lists), as libfuse 3 no longer knows it; says whether it was given.
bool take_nonempty_option(std::vector<std::string>& options);

// Whether `path` is the mount point of a line of `mountinfo` (the text of
// /proc/self/mountinfo, whose fifth field escapes space, tab, newline and
// backslash as \ooo).
bool listed_as_mount_point(std::string_view mountinfo, const std::string& path);

}  // namespace dmfuse
