// Issue 7: master-mount through the Linux kernel's FUSE: every session of a
// multisession image in each of its file systems (ISO 9660, Rock Ridge,
// Joliet, UDF), images written by
// genisoimage, a virtual disc by its drive address and by its path, and a
// corrupted directory that answers EIO while the rest of the mount works.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <set>
#include <thread>

#include "mastering/os/file.h"
#include "tests/fuse/mount_support.h"
#include "tests/support/master_drive.h"
#include "tests/support/trees.h"

using namespace dmtest;
using fusetest::Mount;

namespace {

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

namespace {
// Bytes [off, off + n) of a file, through pread (what a program reading at any offset gets).
std::string pread_at(const fs::path& p, uint64_t off, size_t n) {
    std::string out(n, '\0');
    mastering::os::Fd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return "open failed: " + std::string(std::strerror(errno));
    // One pread, as a program makes it: its errno is what the test looks at.
    ssize_t got = ::pread(fd.get(), out.data(), n, off_t(off));
    if (got < 0) return "read failed: " + std::string(std::strerror(errno));
    out.resize(size_t(got));
    return out;
}
std::string xattr(const fs::path& p, const char* name) {
    char buf[512];
    ssize_t n = ::getxattr(p.c_str(), name, buf, sizeof buf);
    return n < 0 ? std::string("error ") + std::strerror(errno) : std::string(buf, size_t(n));
}
void patch_bytes(const std::string& path, uint64_t offset, size_t n, char value) {
    std::string img = read_file(path);
    for (size_t i = 0; i < n && offset + i < img.size(); ++i) img[offset + i] = value;
    write_file(path, img);
}
}  // namespace

// Files over 4 GiB at any offset (ISO 9660 sections, UDF extents), xattrs,
// and a directory of 100,000 entries, in the Rock Ridge and UDF views.
TEST(ThirdPartyMasterMount, large_files_xattrs_and_a_100000_entry_directory) {
    REQUIRE_FUSE();
    TempDir dir{"mount-large"};
    fs::path src = dir / "src";
    write_file(src / "small.txt", "small\n");
    {
        auto fd = mastering::os::open_file((src / "huge.bin").string(), O_CREAT | O_WRONLY);
        ASSERT_TRUE(fd.ok()) << fd.error().message;
        ASSERT_EQ(::ftruncate(fd->get(), off_t(4608ull << 20)), 0);  // 4.5 GiB, holes but for the markers
        for (uint64_t at : {0ull, (1ull << 30) - 7, (4ull << 30) - 5, (4608ull << 20) - 9})
            ASSERT_TRUE(mastering::os::pwrite_all(fd->get(), "MARKER!!!", 9, at, "huge.bin").ok());
    }
    fs::create_directories(src / "many");
    for (int i = 0; i < 100000; ++i) {
        char name[32];
        std::snprintf(name, sizeof name, "f%06d", i);
        ASSERT_TRUE(mastering::os::open_file((src / "many" / name).string(), O_CREAT | O_WRONLY).ok());
    }
    std::string iso = (dir / "big.iso").string();
    auto r = run({tool("master-image"), "create", iso, "--from", src.string(), "--fs", "iso9660,rockridge,joliet,udf"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const char* view : {"rockridge", "udf"}) {
        SCOPED_TRACE(view);
        fs::path m = dir / view;
        Mount mount(iso, m, {"--fs", view});
        ASSERT_TRUE(mount.mounted()) << mount.log();
        EXPECT_EQ(fs::file_size(m / "huge.bin"), 4608ull << 20);
        for (uint64_t at : {0ull, (1ull << 30) - 7, (4ull << 30) - 5, (4608ull << 20) - 9})
            EXPECT_EQ(pread_at(m / "huge.bin", at, 9), "MARKER!!!") << "at " << at;
        EXPECT_EQ(pread_at(m / "huge.bin", (4ull << 30) + 100, 4), std::string(4, '\0')) << "a hole past 4 GiB";
        size_t n = 0;
        for (const auto& e : fs::directory_iterator(m / "many")) n += e.is_regular_file() ? 1 : 0;
        EXPECT_EQ(n, 100000u);
        EXPECT_TRUE(fs::exists(m / "many" / "f099999"));
        if (std::string(view) == "rockridge")
            EXPECT_EQ(xattr(m / "small.txt", "user.iso9660.name"), "SMALL.TXT;1") << "the ISO 9660 name under Rock Ridge";
        else
            EXPECT_NE(xattr(m / "small.txt", "user.udf.unique_id").find_first_of("0123456789"), std::string::npos);
        EXPECT_EQ(xattr(m / "small.txt", "user.none"), std::string("error ") + std::strerror(ENODATA));
    }
}

// A drive whose medium is removed answers ENOMEDIUM; the mount stays up.
TEST(ThirdPartyMasterMount, a_removed_medium_answers_enomedium) {
    REQUIRE_FUSE();
    TempDir dir{"mount-nomedium"};
    write_file(dir / "t/a.txt", "first\n");
    write_random_file(dir / "t/b.bin", 1 << 20, 4);
    std::string iso = (dir / "d.iso").string();
    ASSERT_EQ(run({tool("master-image"), "create", iso, "--from", (dir / "t").string()}).exit_code, 0);
    MasterDrive drive({"rom=" + iso});
    ASSERT_TRUE(drive.running()) << drive.error();
    Mount m(drive.url("rom"), dir / "m");
    ASSERT_TRUE(m.mounted()) << m.log();
    EXPECT_EQ(read_file(dir / "m/a.txt"), "first\n");
    auto st = drive.ctl({"eject", "rom", "--force"});
    ASSERT_EQ(st.exit_code, 0) << st.err;
    std::string got = pread_at(dir / "m/b.bin", 0, 4096);
    EXPECT_EQ(got, std::string("read failed: ") + std::strerror(ENOMEDIUM));
    EXPECT_TRUE(fs::exists(dir / "m/a.txt")) << "the mount is still up";
}

// Damaged structures: path tables (unused by the reader: the tree reads
// the same), a damaged Joliet descriptor (that view is refused with a
// message, the others mount), a damaged UDF anchor and main sequence (the
// closing anchor and the reserve sequence serve), and a directory that
// points at its parent's data (a loop: EIO for it, the rest reads).
TEST(ThirdPartyMasterMount, damaged_descriptors_path_tables_and_a_directory_loop) {
    REQUIRE_FUSE();
    TempDir dir{"mount-damaged"};
    write_file(dir / "t/top.txt", "top\n");
    write_file(dir / "t/sub/inner.txt", "inner\n");
    write_file(dir / "t/sub/deeper/leaf.txt", "leaf\n");
    std::string iso = (dir / "d.iso").string();
    ASSERT_EQ(run({tool("master-image"), "create", iso, "--from", (dir / "t").string(), "--fs",
                   "iso9660,rockridge,joliet,udf"}).exit_code, 0);
    std::string img = read_file(iso);
    auto le32 = [&](size_t at) {
        return uint32_t(uint8_t(img[at])) | uint32_t(uint8_t(img[at + 1])) << 8 | uint32_t(uint8_t(img[at + 2])) << 16 |
               uint32_t(uint8_t(img[at + 3])) << 24;
    };
    size_t pvd = (32 + 16) * 2048;
    ASSERT_EQ(img.substr(pvd + 1, 5), "CD001");
    uint32_t l_table = le32(pvd + 140), m_table = __builtin_bswap32(le32(pvd + 148));
    // Path tables.
    patch_bytes(iso, uint64_t(l_table) * 2048, 2048, char(0xA5));
    patch_bytes(iso, uint64_t(m_table) * 2048, 2048, char(0xA5));
    // The Joliet descriptor: its root record.
    patch_bytes(iso, (32 + 17) * 2048 + 156, 34, char(0xFF));
    // UDF: the anchor at 256 and the first blocks of the main sequence it points at.
    img = read_file(iso);
    uint32_t main_vds = le32(256 * 2048 + 20);
    patch_bytes(iso, 256 * 2048, 512, char(0x5A));
    patch_bytes(iso, uint64_t(main_vds) * 2048, 4 * 2048, char(0x5A));
    TreeOptions o;
    for (const char* view : {"rockridge", "udf"}) {
        Mount m(iso, dir / view, {"--fs", view});
        ASSERT_TRUE(m.mounted()) << view << ": " << m.log();
        EXPECT_EQ(diff_trees(scan_tree(dir / "t", o), scan_tree(dir / view, o), o), "") << view;
    }
    auto j = run({tool("master-mount"), iso, (dir / "j").string(), "--fs", "joliet"});
    EXPECT_NE(j.exit_code, 0);
    EXPECT_NE(j.err.find("Joliet"), std::string::npos) << j.err;
    // The loop: the ISO 9660 record of "deeper" (in sub's extent) is given the root's extent.
    img = read_file(iso);
    uint32_t root_extent = le32(pvd + 156 + 2);
    size_t rec = img.find("DEEPER");
    ASSERT_NE(rec, std::string::npos);
    rec -= 33;  // the identifier starts at byte 33 of its record
    for (int k = 0; k < 4; ++k) img[rec + 2 + size_t(k)] = char(root_extent >> (8 * k));
    for (int k = 0; k < 4; ++k) img[rec + 6 + size_t(k)] = char(root_extent >> (24 - 8 * k));
    write_file(iso, img);
    Mount loop(iso, dir / "loop", {"--fs", "rockridge"});
    ASSERT_TRUE(loop.mounted()) << loop.log();
    EXPECT_EQ(read_file(dir / "loop/sub/inner.txt"), "inner\n");
    std::error_code ec;
    fs::directory_iterator it(dir / "loop/sub/deeper", ec);
    EXPECT_EQ(ec.value(), EIO) << "a directory with its ancestor's data: " << ec.message();
    EXPECT_EQ(read_file(dir / "loop/top.txt"), "top\n") << "the mount is still up";
    EXPECT_NE(loop.log().find("directory loop"), std::string::npos) << loop.log();
}
