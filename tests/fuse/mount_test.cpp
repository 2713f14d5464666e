// Issue 7: master-mount through the Linux kernel's FUSE: every session of a
// multisession image in each of its file systems (ISO 9660, Rock Ridge,
// Joliet, UDF), images written by
// genisoimage, a virtual disc by its drive address and by its path, and a
// corrupted directory that answers EIO while the rest of the mount works.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <thread>

#include "tests/support/support.h"
#include "tests/support/trees.h"

using namespace dmtest;

namespace {

bool fuse_available() { return ::access("/dev/fuse", R_OK | W_OK) == 0 && find_program("fusermount3"); }

#define REQUIRE_FUSE()                                                                          \
    do {                                                                                        \
        if (!fuse_available()) GTEST_SKIP() << "/dev/fuse or fusermount3 missing: FUSE tests skipped"; \
    } while (0)

// master-mount in the foreground; unmounted with fusermount3 -u on destruction.
class Mount {
public:
    Mount(const std::string& source, const fs::path& dir, std::vector<std::string> extra = {}) : m_dir(dir) {
        fs::create_directories(dir);
        struct stat before {};
        ::stat(dir.c_str(), &before);
        std::vector<std::string> argv = {tool("master-mount"), source, dir.string(), "-f"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        m_process = std::make_unique<Process>(argv, dir.parent_path() / (dir.filename().string() + ".log"));
        for (int i = 0; i < 200; ++i) {
            struct stat now {};
            if (::stat(dir.c_str(), &now) == 0 && now.st_dev != before.st_dev) {
                m_mounted = true;
                break;
            }
            if (!m_process->running()) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
        }
    }
    ~Mount() { unmount(); }
    int unmount() {
        if (m_mounted) run({"fusermount3", "-u", m_dir.string()});
        m_mounted = false;
        auto st = m_process->wait(std::chrono::seconds(10));
        return st ? *st : m_process->stop(9);
    }
    bool mounted() const { return m_mounted; }
    std::string log() const { return m_process->log(); }

private:
    fs::path m_dir;
    std::unique_ptr<Process> m_process;
    bool m_mounted = false;
};

TreeOptions exact() {
    TreeOptions o;
    o.hard_links = true;
    return o;
}

}  // namespace

TEST(ThirdPartyMasterMount, every_session_in_every_file_system) {
    REQUIRE_FUSE();
    TempDir dir{"mount"};
    // Three trees: the second replaces a file, the third removes one.
    write_file(dir / "t1/README.txt", "one\n");
    write_random_file(dir / "t1/data/big.bin", 3 << 20, 1);
    fs::create_symlink("data/big.bin", dir / "t1/latest");
    fs::create_hard_link(dir / "t1/README.txt", dir / "t1/readme-link");
    fs::permissions(dir / "t1/data/big.bin", fs::perms::owner_read | fs::perms::owner_write);
    write_file(dir / "t2/README.txt", "two, longer\n");
    write_file(dir / "t3/notes/ünïcode name with spaces.txt", "three\n");
    std::string iso = (dir / "multi.iso").string();
    // The bridge: every session carries ISO 9660 + Rock Ridge, Joliet and UDF.
    ASSERT_EQ(run({tool("master-image"), "create", iso, "--from", (dir / "t1").string(), "--fs",
                   "iso9660,rockridge,joliet,udf"}).exit_code, 0);
    ASSERT_EQ(run({tool("master-image"), "append", iso, "--from", (dir / "t2").string()}).exit_code, 0);
    ASSERT_EQ(run({tool("master-image"), "append", iso, "--from", (dir / "t3").string(), "--remove", "latest"}).exit_code, 0);
    // Expected trees, staged on the host.
    for (int k = 1; k <= 3; ++k) {
        fs::path stage = dir / ("exp" + std::to_string(k));
        fs::copy(dir / "t1", stage, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
        if (k >= 2) {
            fs::remove(stage / "README.txt");  // replaced: the hard link keeps the old content
            fs::copy(dir / "t2/README.txt", stage / "README.txt");
        }
        if (k == 3) {
            fs::copy(dir / "t3", stage, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
            fs::remove(stage / "latest");
        }
    }
    for (int k = 1; k <= 3; ++k) {
        // Session 1 keeps the hard-link pair of the source tree; later ones replaced one of its names.
        TreeOptions rr_opts = exact();
        rr_opts.hard_links = k == 1;
        auto expected = scan_tree(k == 1 ? dir / "t1" : dir / ("exp" + std::to_string(k)), rr_opts);
        Mount rr(iso, dir / ("rr" + std::to_string(k)), {"--session", std::to_string(k), "--fs", "rockridge"});
        ASSERT_TRUE(rr.mounted()) << rr.log();
        EXPECT_EQ(diff_trees(expected, scan_tree(dir / ("rr" + std::to_string(k)), rr_opts), rr_opts), "")
            << "Rock Ridge view of session " << k;
        // UDF: the same POSIX tree (modes, symlinks, hard links).
        Mount u(iso, dir / ("udf" + std::to_string(k)), {"--session", std::to_string(k), "--fs", "udf"});
        ASSERT_TRUE(u.mounted()) << u.log();
        EXPECT_EQ(diff_trees(expected, scan_tree(dir / ("udf" + std::to_string(k)), rr_opts), rr_opts), "")
            << "UDF view of session " << k;
        // Joliet: the same names and contents (no POSIX modes, links or hard links in Joliet).
        TreeOptions names;
        names.modes = false;
        Mount j(iso, dir / ("j" + std::to_string(k)), {"--session", std::to_string(k), "--fs", "joliet"});
        ASSERT_TRUE(j.mounted()) << j.log();
        auto jt = scan_tree(dir / ("j" + std::to_string(k)), names);
        size_t files = 0;
        for (const auto& [path, e] : expected)
            if (e.type == 'f') {
                ++files;
                ASSERT_TRUE(jt.count(path)) << "Joliet lacks " << path;
                EXPECT_EQ(jt[path].digest, e.digest) << path;
            }
        // ISO 9660: as many files, the same contents (names are mapped to d-characters).
        Mount plain(iso, dir / ("i" + std::to_string(k)), {"--session", std::to_string(k), "--fs", "iso9660"});
        ASSERT_TRUE(plain.mounted()) << plain.log();
        std::multiset<std::string> want, got;
        for (const auto& [p, e] : expected)
            if (e.type == 'f') want.insert(e.digest);
            else if (e.type == 'l') want.insert("d41d8cd98f00b204e9800998ecf8427e");  // no symlinks in ISO 9660: an empty file
        for (const auto& [p, e] : scan_tree(dir / ("i" + std::to_string(k)), names))
            if (e.type == 'f') got.insert(e.digest);
        EXPECT_EQ(got, want) << "ISO 9660 view of session " << k;
    }
    // --list prints the sessions instead of mounting.
    auto l = run({tool("master-mount"), iso, "--list"});
    EXPECT_EQ(l.exit_code, 0);
    EXPECT_NE(l.out.find("session 3:"), std::string::npos) << l.out;
    auto bad = run({tool("master-mount"), iso, (dir / "x").string(), "--session", "4"});
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_NE(bad.err.find("3 session(s), not 4"), std::string::npos) << bad.err;
}

TEST(ThirdPartyMasterMount, an_image_written_by_genisoimage) {
    REQUIRE_FUSE();
    DM_REQUIRE_PROGRAM("genisoimage");
    TempDir dir{"mount-geniso"};
    write_file(dir / "a/one.txt", "one\n");
    write_random_file(dir / "a/sub/r.bin", 200000, 4);
    write_file(dir / "b/two.txt", "two\n");
    ASSERT_EQ(run({"genisoimage", "-quiet", "-R", "-J", "-o", (dir / "g.iso").string(), (dir / "a").string()}).exit_code, 0);
    Mount m((dir / "g.iso").string(), dir / "m");
    ASSERT_TRUE(m.mounted()) << m.log();
    TreeOptions o;
    EXPECT_EQ(diff_trees(scan_tree(dir / "a", o), scan_tree(dir / "m", o), o), "");
}

TEST(ThirdPartyMasterMount, a_virtual_disc_by_drive_address_and_by_path) {
    REQUIRE_FUSE();
    TempDir dir{"mount-vdisc"};
    write_file(dir / "a/x.txt", "x\n");
    write_random_file(dir / "b/y.bin", 1 << 20, 6);
    fs::path disc = dir / "d.vdisc";
    ASSERT_EQ(run({tool("master-image"), "create", disc.string(), "--media", "bd-r"}).exit_code, 0);
    // UDF through a VAT on the write-once disc, beside ISO 9660 and Joliet.
    ASSERT_EQ(run({tool("master-burn"), "--drive", "emu:" + disc.string(), "--from", (dir / "a").string(), "--fs",
                   "iso9660,rockridge,joliet,udf"}).exit_code, 0);
    ASSERT_EQ(run({tool("master-burn"), "--drive", "emu:" + disc.string(), "--from", (dir / "b").string()}).exit_code, 0);
    fs::copy(dir / "a", dir / "exp", fs::copy_options::recursive);
    fs::copy(dir / "b", dir / "exp", fs::copy_options::recursive);
    TreeOptions o;
    auto expected = scan_tree(dir / "exp", o);
    {
        Mount by_path(disc.string(), dir / "p");
        ASSERT_TRUE(by_path.mounted()) << by_path.log();
        EXPECT_EQ(diff_trees(expected, scan_tree(dir / "p", o), o), "") << "by path";
    }
    Mount by_drive("emu:" + disc.string(), dir / "e");
    ASSERT_TRUE(by_drive.mounted()) << by_drive.log();
    EXPECT_EQ(diff_trees(expected, scan_tree(dir / "e", o), o), "") << "by drive address";
    by_drive.unmount();  // a virtual disc is in one drive at a time
    // The older session, through its own VAT, in UDF and in Rock Ridge.
    for (const char* fs_name : {"udf", "rockridge"}) {
        Mount first("emu:" + disc.string(), dir / (std::string("s1-") + fs_name), {"--session", "1", "--fs", fs_name});
        ASSERT_TRUE(first.mounted()) << first.log();
        EXPECT_EQ(diff_trees(scan_tree(dir / "a", o), scan_tree(dir / (std::string("s1-") + fs_name), o), o), "") << fs_name;
    }
}

TEST(ThirdPartyMasterMount, a_corrupted_directory_answers_eio_and_the_mount_stays_up) {
    REQUIRE_FUSE();
    TempDir dir{"mount-corrupt"};
    write_file(dir / "t/good/ok.txt", "ok\n");
    write_file(dir / "t/bad/victim.txt", "v\n");
    std::string iso = (dir / "c.iso").string();
    ASSERT_EQ(run({tool("master-image"), "create", iso, "--from", (dir / "t").string(), "--fs", "iso9660,rockridge"}).exit_code, 0);
    // Find the directory block of "bad" (it holds the record of VICTIM.TXT) and overwrite its records.
    std::string img = read_file(iso);
    auto at = img.find("VICTIM.TXT");
    ASSERT_NE(at, std::string::npos);
    size_t block = at / 2048 * 2048;
    for (size_t i = block + 68; i < block + 2048; ++i) img[i] = char(0xA5);  // past "." and ".."
    write_file(iso, img);
    Mount m(iso, dir / "m");
    ASSERT_TRUE(m.mounted()) << m.log();
    EXPECT_EQ(read_file(dir / "m/good/ok.txt"), "ok\n") << "the sound part reads";
    std::error_code ec;
    auto it = fs::directory_iterator(dir / "m/bad", ec);
    bool failed = bool(ec);
    if (!failed)
        for (; it != fs::directory_iterator(); it.increment(ec))
            if (ec) break;
    EXPECT_TRUE(ec) << "listing the corrupted directory fails";
    EXPECT_EQ(ec.value(), EIO) << ec.message();
    EXPECT_EQ(read_file(dir / "m/good/ok.txt"), "ok\n") << "the mount is still up";
}
