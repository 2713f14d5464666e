// Issue 15: the node table shrinks when the kernel forgets. The file system is
// served in this process (ReadOnlyFs::run on a thread, mounted through the
// kernel like master-mount), so that the test can read its statistics; the
// kernel forgets its inodes when its dentry and inode caches are dropped
// (/proc/sys/vm/drop_caches, 2 = reclaimable slab objects only).
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>
#include <thread>

#include "fuse/read_only_fs.h"
#include "mastering/image/image_file.h"
#include "mastering/image/open_file_system.h"
#include "tests/fuse/mount_support.h"

using namespace dmtest;

namespace {

bool drop_kernel_caches() {
    std::ofstream f("/proc/sys/vm/drop_caches");
    f << "2\n";
    f.flush();
    return bool(f);
}

// A ReadOnlyFs mounted on `dir` and served on a thread of this process until
// destroyed (fusermount3 -u, then the thread ends).
class InProcessMount {
public:
    InProcessMount(const std::string& image, const fs::path& dir) : m_dir(dir) {
        fs::create_directories(dir);
        auto medium = mastering::image::open_image_medium(image);
        if (!medium.ok()) return;
        m_medium = *medium;
        auto toc = m_medium->toc();
        if (!toc.ok() || toc->sessions.empty()) return;
        auto reader = mastering::image::open_file_system(*m_medium, toc->sessions.back().start);
        if (!reader.ok()) return;
        m_fs = std::make_unique<dmfuse::ReadOnlyFs>(std::move(*reader), image);
        struct stat before {};
        ::stat(dir.c_str(), &before);
        dmfuse::MountOptions o;
        o.mountpoint = fs::absolute(dir).string();
        o.foreground = true;
        m_thread = std::thread([this, o] { m_served = m_fs->run(o).ok(); });
        for (int i = 0; i < 400 && !m_mounted; ++i) {
            struct stat now {};
            m_mounted = ::stat(dir.c_str(), &now) == 0 && now.st_dev != before.st_dev;
            if (!m_mounted) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    ~InProcessMount() { unmount(); }
    // Whether it was served and unmounted without an error.
    bool unmount() {
        if (m_mounted) run({"fusermount3", "-u", m_dir.string()});
        m_mounted = false;
        if (m_thread.joinable()) m_thread.join();
        return m_served;
    }
    bool mounted() const { return m_mounted; }
    dmfuse::ReadOnlyFs& fs() { return *m_fs; }

private:
    fs::path m_dir;
    std::shared_ptr<mastering::media::Medium> m_medium;
    std::unique_ptr<dmfuse::ReadOnlyFs> m_fs;
    std::thread m_thread;
    bool m_served = false;
    bool m_mounted = false;
};

}  // namespace

TEST(ThirdPartyFuseForget, the_node_table_shrinks_when_the_kernel_forgets) {
    REQUIRE_FUSE();
    TempDir dir{"fuse-forget"};
    for (int d = 0; d < 20; ++d)
        for (int f = 0; f < 100; ++f) write_file(dir / ("t/d" + std::to_string(d) + "/f" + std::to_string(f)), "");
    write_file(dir / "t/d7/kept.txt", "kept\n");
    std::string iso = (dir / "t.iso").string();
    ASSERT_EQ(run({tool("master-image"), "create", iso, "--from", (dir / "t").string()}).exit_code, 0);

    InProcessMount m(iso, dir / "m");
    ASSERT_TRUE(m.mounted());
    size_t walked = 0;
    for (const auto& e : fs::recursive_directory_iterator(dir / "m")) {
        (void)e;
        ++walked;
    }
    ASSERT_EQ(walked, 20u + 2001u);
    // Every entry the kernel was handed is a node; nothing else.
    EXPECT_EQ(m.fs().stats().nodes, walked + 1) << "the root and every entry walked";
    struct stat kept {};
    ASSERT_EQ(::stat((dir / "m/d7/kept.txt").c_str(), &kept), 0);

    if (!drop_kernel_caches()) GTEST_SKIP() << "/proc/sys/vm/drop_caches is not writable here";
    size_t after = m.fs().stats().nodes;
    for (int i = 0; i < 500 && after > 1; ++i) {  // FORGETs arrive asynchronously
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        after = m.fs().stats().nodes;
    }
    EXPECT_EQ(after, 1u) << "nodes left after the kernel dropped its caches, of " << walked + 1;

    // Looked up again, a node has the number it had.
    struct stat again {};
    ASSERT_EQ(::stat((dir / "m/d7/kept.txt").c_str(), &again), 0);
    EXPECT_EQ(again.st_ino, kept.st_ino);
    EXPECT_EQ(read_file(dir / "m/d7/kept.txt"), "kept\n");
    EXPECT_GE(m.fs().stats().nodes, 3u) << "the root, d7 and kept.txt";
    EXPECT_TRUE(m.unmount());
}
