// The acceptance tree of the mastering issues (2, 6, 7): every kind of entry
// a burn has to carry, built on the host, plus helpers to derive the expected
// tree of later sessions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tests/support/support.h"

namespace dmtest {

struct AcceptanceTreeOptions {
    uint64_t sparse_size = 5ull << 30;  // 0: no sparse file
    int files_in_one_dir = 3000;
    int depth = 12;
    bool symlinks = true;
    bool hard_links = true;
};

// Unicode names (BMP and beyond), 120-character names, a `depth`-level deep
// directory, `files_in_one_dir` files in one directory, empty files and
// directories, symlinks (relative, absolute, dangling, to a directory), hard
// links, modes 0600/0755/0700, identical files, and a sparse file.
void make_acceptance_tree(const fs::path& root, const AcceptanceTreeOptions& o = {});

// A 120-character file name used by the tree (for checks by name).
std::string long_name_120();

// cp -a (modes, symlinks, hard links, holes kept).
void copy_tree(const fs::path& from, const fs::path& to);
// Apply an append the way master-image does it: remove `removed` image paths
// from `tree`, then copy `overlay`'s contents over it (the newer source wins).
void apply_session(const fs::path& tree, const std::vector<std::string>& removed, const fs::path& overlay,
                   const std::string& at = "/");

}  // namespace dmtest
