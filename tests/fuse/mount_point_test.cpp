// fuse/mount_point.h without a kernel: the checks of a mount point, the
// parsing of /proc/self/mountinfo, and libfuse 2's nonempty option.
#include <gtest/gtest.h>

#include "fuse/mount_point.h"
#include "tests/support/support.h"

using namespace dmtest;
using dmfuse::check_mount_point;
using dmfuse::listed_as_mount_point;
using dmfuse::take_nonempty_option;

TEST(MountPoint, an_empty_directory_is_taken_by_its_absolute_path) {
    TempDir dir{"mountpoint"};
    fs::create_directories(dir / "empty");
    fs::create_directory_symlink(dir / "empty", dir / "link");
    write_file(dir / "img.iso", "x");
    auto r = check_mount_point((dir / "link").string(), (dir / "img.iso").string());
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(*r, fs::canonical(dir / "empty").string());
    EXPECT_TRUE(check_mount_point((dir / "empty").string(), std::nullopt).ok()) << "a drive has no path here";
}

TEST(MountPoint, what_would_hide_the_source_or_its_contents_is_refused) {
    TempDir dir{"mountpoint"};
    write_file(dir / "img.iso", "x");
    write_file(dir / "full/file", "x");
    fs::create_directories(dir / "d.vdisc/sub");
    std::string img = (dir / "img.iso").string();
    auto refused = [](const mastering::Result<std::string>& r, const std::string& what) {
        if (r.ok()) return std::string("accepted");
        return r.error().message.find(what) != std::string::npos ? std::string() : r.error().message;
    };
    EXPECT_EQ(refused(check_mount_point(img, img), "is the source itself"), "");
    EXPECT_EQ(refused(check_mount_point(dir.path().string(), img), "holds the source"), "");
    EXPECT_EQ(refused(check_mount_point((dir / "d.vdisc/sub").string(), (dir / "d.vdisc").string()),
                      "lies inside the source"), "");
    EXPECT_EQ(refused(check_mount_point(img, std::nullopt), "is not a directory"), "");
    EXPECT_EQ(refused(check_mount_point((dir / "full").string(), img), "is not empty"), "");
    EXPECT_TRUE(check_mount_point((dir / "full").string(), img, true).ok()) << "-o nonempty";
    EXPECT_EQ(refused(check_mount_point((dir / "none").string(), img), "No such file"), "");
    EXPECT_EQ(refused(check_mount_point("/", std::nullopt, true), "is a mount point already"), "");
    // A sibling whose name starts with the source's is not inside it.
    fs::create_directories(dir / "d.vdisc2");
    EXPECT_TRUE(check_mount_point((dir / "d.vdisc2").string(), (dir / "d.vdisc").string()).ok());
}

TEST(MountPoint, mountinfo_mount_points_are_unescaped) {
    std::string info =
        "22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
        "44 22 0:39 / /tmp/with\\040space ro,nosuid - fuse.discmaster doc.iso ro\n"
        "45 22 0:40 / /tmp/back\\134slash ro - fuse.discmaster x ro\n";
    EXPECT_TRUE(listed_as_mount_point(info, "/"));
    EXPECT_TRUE(listed_as_mount_point(info, "/tmp/with space"));
    EXPECT_TRUE(listed_as_mount_point(info, "/tmp/back\\slash"));
    EXPECT_FALSE(listed_as_mount_point(info, "/tmp/with\\040space"));
    EXPECT_FALSE(listed_as_mount_point(info, "/tmp"));
    EXPECT_FALSE(listed_as_mount_point(info, "doc.iso")) << "a source is no mount point";
    EXPECT_FALSE(listed_as_mount_point("", "/"));
}

TEST(MountPoint, nonempty_is_taken_out_of_the_fuse_options) {
    std::vector<std::string> o = {"allow_other", "uid=5,nonempty,gid=6", "nonempty"};
    EXPECT_TRUE(take_nonempty_option(o));
    EXPECT_EQ(o, (std::vector<std::string>{"allow_other", "uid=5,gid=6"}));
    std::vector<std::string> none = {"allow_other", "nonemptyish"};
    EXPECT_FALSE(take_nonempty_option(none));
    EXPECT_EQ(none, (std::vector<std::string>{"allow_other", "nonemptyish"}));
}
