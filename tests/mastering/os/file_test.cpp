#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "mastering/os/file.h"
#include "tests/support/support.h"

using namespace mastering;

namespace {

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

}  // namespace

TEST(OsFile, fd_closes_once_and_moves) {
    dmtest::TempDir dir("osfile");
    auto f = os::open_file((dir / "a").string(), O_RDWR | O_CREAT);
    ASSERT_TRUE(f.ok()) << f.error().message;
    int raw = f->get();
    EXPECT_TRUE(is_open(raw));
    EXPECT_TRUE(::fcntl(raw, F_GETFD) & FD_CLOEXEC);
    {
        os::Fd moved = std::move(*f);
        EXPECT_FALSE(f->valid());
        EXPECT_EQ(moved.get(), raw);
    }
    EXPECT_FALSE(is_open(raw));

    auto g = os::open_file((dir / "a").string(), O_RDONLY);
    ASSERT_TRUE(g.ok());
    int kept = g->release();
    EXPECT_FALSE(g->valid());
    EXPECT_TRUE(is_open(kept));
    ::close(kept);

    auto h = os::open_file((dir / "a").string(), O_RDONLY);
    ASSERT_TRUE(h.ok());
    int hf = h->get();
    EXPECT_TRUE(h->close("a").ok());
    EXPECT_FALSE(h->valid());
    EXPECT_FALSE(is_open(hf));
    EXPECT_TRUE(h->close("a").ok());  // closing nothing is not an error
}

TEST(OsFile, open_names_the_path_on_error) {
    auto f = os::open_file("/nonexistent-dir/x", O_RDONLY);
    ASSERT_FALSE(f.ok());
    EXPECT_EQ(f.error().code, Errc::not_found);
    EXPECT_NE(f.error().message.find("/nonexistent-dir/x"), std::string::npos);
}

TEST(OsFile, pread_and_pwrite_whole_ranges) {
    dmtest::TempDir dir("osfile");
    auto f = os::open_file((dir / "b").string(), O_RDWR | O_CREAT);
    ASSERT_TRUE(f.ok());
    std::vector<char> data(300000);
    for (size_t i = 0; i < data.size(); ++i) data[i] = char(i * 7);
    ASSERT_TRUE(os::pwrite_all(f->get(), data.data(), data.size(), 1000, "b").ok());

    std::vector<char> back(data.size());
    ASSERT_TRUE(os::pread_all(f->get(), back.data(), back.size(), 1000, "b").ok());
    EXPECT_EQ(back, data);

    // Past the end: pread_some returns what there is, pread_all says where the file ends.
    auto some = os::pread_some(f->get(), back.data(), back.size(), 2000, "b");
    ASSERT_TRUE(some.ok());
    EXPECT_EQ(*some, data.size() - 1000);
    auto all = os::pread_all(f->get(), back.data(), back.size(), 2000, "b");
    ASSERT_FALSE(all.ok());
    EXPECT_NE(all.error().message.find("b ends at byte 301000"), std::string::npos) << all.error().message;

    // A descriptor opened read-only refuses the write with an I/O error naming the file.
    auto ro = os::open_file((dir / "b").string(), O_RDONLY);
    ASSERT_TRUE(ro.ok());
    auto w = os::pwrite_all(ro->get(), data.data(), 10, 0, "the file b");
    ASSERT_FALSE(w.ok());
    EXPECT_EQ(w.error().code, Errc::io);
    EXPECT_NE(w.error().message.find("cannot write the file b"), std::string::npos);
}

TEST(OsFile, write_all_fills_a_pipe) {
    int p[2];
    ASSERT_EQ(::pipe(p), 0);
    os::Fd rd(p[0]), wr(p[1]);
    std::string text = "a line\n";
    ASSERT_TRUE(os::write_all(wr.get(), text.data(), text.size(), "the pipe").ok());
    char buf[16] = {};
    ASSERT_EQ(::read(rd.get(), buf, sizeof buf), ssize_t(text.size()));
    EXPECT_EQ(std::string(buf), text);
}
