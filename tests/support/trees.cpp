#include "tests/support/trees.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace dmtest {

namespace {
void check(int rc, const std::string& what) {
    if (rc != 0) throw std::runtime_error(what + ": " + std::strerror(errno));
}
void must_run(const std::vector<std::string>& argv) {
    auto r = run(argv);
    if (r.exit_code != 0) throw std::runtime_error(r.command + " failed: " + r.err);
}
}  // namespace

std::string long_name_120() {
    std::string s = "a_name_of_exactly_one_hundred_and_twenty_characters_";
    while (s.size() < 116) s += char('a' + s.size() % 26);
    return s + ".txt";
}

void make_acceptance_tree(const fs::path& root, const AcceptanceTreeOptions& o) {
    fs::create_directories(root);
    ::chmod(root.c_str(), 0755);
    // Unicode names, inside and outside the BMP.
    write_file(root / "unicode" / "Ünïcødé Ñame.txt", "latin\n");
    write_file(root / "unicode" / "日本語のディレクトリ" / "ファイル.txt", "nihongo\n");
    write_file(root / "unicode" / "Ελληνικά.txt", "greek\n");
    write_file(root / "unicode" / "emoji_😀_file.txt", "outside the BMP\n");
    // 120-character names, a file and a directory.
    write_file(root / "long" / long_name_120(), "long\n");
    write_file(root / "long" / (long_name_120().substr(0, 116) + "_dir") / "inside.txt", "inside\n");
    // A deep directory.
    fs::path deep = root / "deep";
    for (int i = 1; i <= o.depth; ++i) {
        char b[16];
        std::snprintf(b, sizeof b, "level%02d", i);
        deep /= b;
    }
    write_file(deep / "bottom.txt", "at the bottom\n");
    write_file(root / "deep" / "level01" / "top.txt", "near the top\n");
    // Many files in one directory, each with its own content.
    fs::create_directories(root / "many");
    for (int i = 0; i < o.files_in_one_dir; ++i) {
        char b[32];
        std::snprintf(b, sizeof b, "file_%04d.dat", i);
        write_file(root / "many" / b, std::to_string(i) + "\n");
    }
    // Empty files and directories.
    write_file(root / "empty_file", "");
    write_file(root / "empty" / "also_empty.txt", "");
    fs::create_directories(root / "empty" / "empty_dir");
    fs::create_directories(root / "empty" / "nested" / "a" / "b");
    // Modes.
    write_file(root / "modes" / "private.txt", "secret\n");
    check(::chmod((root / "modes" / "private.txt").c_str(), 0600), "chmod");
    write_file(root / "modes" / "script.sh", "#!/bin/sh\necho hi\n");
    check(::chmod((root / "modes" / "script.sh").c_str(), 0755), "chmod");
    fs::create_directories(root / "modes" / "closed_dir");
    write_file(root / "modes" / "closed_dir" / "x", "x\n");
    check(::chmod((root / "modes" / "closed_dir").c_str(), 0700), "chmod");
    // Identical contents under different names (stored once), one different.
    write_random_file(root / "same" / "first.bin", 200 * 1024, 42);
    write_random_file(root / "same" / "second.bin", 200 * 1024, 42);
    write_random_file(root / "same" / "other.bin", 200 * 1024, 43);
    write_random_file(root / "data" / "random_1m.bin", 1 << 20, 7);
    write_random_file(root / "data" / "odd_size.bin", 12345, 8);
    if (o.symlinks) {
        fs::create_directories(root / "links");
        fs::create_symlink("../unicode/Ünïcødé Ñame.txt", root / "links" / "relative");
        fs::create_symlink("/etc/hostname", root / "links" / "absolute");
        fs::create_symlink("does/not/exist", root / "links" / "dangling");
        fs::create_symlink("../deep", root / "links" / "to_dir");
        fs::create_symlink("./.././links/../data/random_1m.bin", root / "links" / "odd.path");
    }
    if (o.hard_links) {
        write_file(root / "hard" / "one.txt", "one inode, three names\n");
        check(::link((root / "hard" / "one.txt").c_str(), (root / "hard" / "two.txt").c_str()), "link");
        check(::link((root / "hard" / "one.txt").c_str(), (root / "unicode" / "third_name.txt").c_str()), "link");
    }
    if (o.sparse_size) {
        fs::path p = root / "big" / "sparse.bin";
        fs::create_directories(p.parent_path());
        {
            std::FILE* f = std::fopen(p.c_str(), "wb");
            if (!f) throw std::runtime_error("cannot create " + p.string());
            std::fputs("start of a sparse file\n", f);
            std::fclose(f);
        }
        check(::truncate(p.c_str(), off_t(o.sparse_size)), "truncate");
        auto put = [&](uint64_t at, const std::string& s) {
            std::FILE* f = std::fopen(p.c_str(), "r+b");
            std::fseek(f, long(at), SEEK_SET);
            std::fwrite(s.data(), 1, s.size(), f);
            std::fclose(f);
        };
        put(o.sparse_size / 2 + 12345, "middle, across the 4 GiB boundary of a section\n");
        put((4ull << 30) - 10, "across 4 GiB");
        put(o.sparse_size - 4, "end\n");
    }
}

void copy_tree(const fs::path& from, const fs::path& to) {
    fs::create_directories(to);
    must_run({"cp", "-a", "--sparse=always", from.string() + "/.", to.string()});
}

void apply_session(const fs::path& tree, const std::vector<std::string>& removed, const fs::path& overlay,
                   const std::string& at) {
    for (const auto& r : removed) {
        fs::path p = tree / fs::path(r).relative_path();
        std::error_code ec;
        fs::remove_all(p, ec);
    }
    fs::path dest = tree / fs::path(at).relative_path();
    fs::create_directories(dest);
    // The newer source wins: a file replaces a file of the same name.
    must_run({"cp", "-a", "--sparse=always", "--remove-destination", overlay.string() + "/.", dest.string()});
}

}  // namespace dmtest
