#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mastering/image/file_system_image.h"
#include "mastering/image/image_file.h"
#include "mastering/image/inspect.h"
#include "mastering/image/open_file_system.h"
#include "tests/support/support.h"

using namespace mastering;
using namespace mastering::image;
using namespace mastering::model;
using dmtest::TempDir;

namespace {

std::string read_stream(ImageStream& s, size_t chunk) {
    std::string out(size_t(s.size()), '\0');
    size_t done = 0;
    while (done < out.size()) {
        auto n = s.read(std::span(reinterpret_cast<std::byte*>(out.data()) + done, std::min(chunk, out.size() - done)));
        EXPECT_TRUE(n.ok());
        if (!n.ok() || *n == 0) break;
        done += *n;
    }
    return out;
}

std::shared_ptr<media::Medium> medium_of(const std::string& path) {
    auto m = open_image_medium(path);
    EXPECT_TRUE(m.ok());
    return *m;
}

// name -> attributes of one directory as our reader sees it.
std::map<std::string, NodeAttr> listing(FileSystemReader& r, const NodeAttr& dir) {
    std::map<std::string, NodeAttr> out;
    auto l = r.list(dir);
    EXPECT_TRUE(l.ok()) << l.error().message;
    if (l.ok())
        for (auto& e : *l) out[e.name] = e.attr;
    return out;
}

}  // namespace

TEST(FileSystemImage, tree_operations) {
    FileSystemImage img;
    ASSERT_TRUE(img.create_directory("/a/b").ok());
    ASSERT_TRUE(img.create_file("/a/b/f.txt", memory_source("hello")).ok());
    ASSERT_TRUE(img.create_symlink("/a/link", "b/f.txt").ok());
    EXPECT_TRUE(img.exists("/a/b/f.txt"));
    auto r = img.remove("/a/b");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("not empty"), std::string::npos);
    EXPECT_EQ(img.remove("/nope").error().code, Errc::not_found);
    EXPECT_FALSE(img.remove("/").ok());
    EXPECT_FALSE(img.create_file("/a/b/f.txt/x", memory_source("x")).ok()) << "a file is not a directory";
    EXPECT_FALSE(img.create_file("/a/../..", memory_source("x")).ok());
    ASSERT_TRUE(img.remove_tree("/a/b").ok());
    EXPECT_FALSE(img.exists("/a/b/f.txt"));
    EXPECT_TRUE(img.exists("/a/link"));
    EXPECT_FALSE(img.set_iso_level(5).ok());
    EXPECT_FALSE(img.set_file_systems(mask(FsType::joliet)).ok()) << "Joliet needs ISO 9660";
}

TEST(ImageStream, sequential_reads_equal_the_file_fast_path) {
    TempDir dir;
    dmtest::write_random_file(dir / "src" / "r.bin", 1234567, 3);
    dmtest::write_file(dir / "src" / "small.txt", "small\n");
    // Small files are written in runs gathered into one buffer: enough of
    // them for several runs, sizes on and off block boundaries.
    for (int i = 0; i < 300; ++i) {
        size_t size = i % 5 == 0 ? size_t(i % 33) * 2048 : size_t(i) * 31 + 1;
        dmtest::write_random_file(dir / "src" / "many" / ("f" + std::to_string(i)), size, uint32_t(i + 10));
    }
    int sfd = ::open((dir / "src" / "sparse.bin").c_str(), O_CREAT | O_WRONLY, 0644);
    ASSERT_EQ(::pwrite(sfd, "x", 1, 50 << 20), 1);
    ::close(sfd);
    FileSystemImage img;
    img.set_time(1700000000);
    ASSERT_TRUE(img.add_tree((dir / "src").string(), false).ok());
    img.set_session_start_block(32);
    auto s1 = img.create_result_image();
    ASSERT_TRUE(s1.ok()) << s1.error().message;
    std::string by_read = read_stream(**s1, 100000);  // odd chunk size: unaligned reads
    auto s2 = img.create_result_image();
    ASSERT_TRUE(s2.ok());
    int fd = ::open((dir / "out.bin").c_str(), O_CREAT | O_RDWR | O_TRUNC, 0644);
    ASSERT_TRUE((*s2)->write_to(fd, 0).ok());
    struct stat st {};
    ::fstat(fd, &st);
    ::close(fd);
    std::string by_file = dmtest::read_file(dir / "out.bin");
    EXPECT_EQ(by_read.size(), (*s1)->size());
    EXPECT_TRUE(by_read == by_file) << "read() and write_to() produce different bytes";
    EXPECT_LT(uint64_t(st.st_blocks) * 512, uint64_t(10) << 20) << "the sparse file's hole stayed a hole";
    // Random access agrees with the sequential bytes.
    std::string part(5000, '\0');
    auto n = (*s1)->read_at(1234, std::span(reinterpret_cast<std::byte*>(part.data()), part.size()));
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(part, by_read.substr(1234, 5000));
}

TEST(ImageStream, progress_and_cancel) {
    TempDir dir;
    dmtest::write_random_file(dir / "src" / "a.bin", 3 << 20, 1);
    dmtest::write_random_file(dir / "src" / "b.bin", 3 << 20, 2);
    FileSystemImage img;
    ASSERT_TRUE(img.add_tree((dir / "src").string(), false).ok());
    auto s = img.create_result_image();
    ASSERT_TRUE(s.ok());
    std::vector<Progress> seen;
    (*s)->set_progress([&](const Progress& p) { seen.push_back(p); });
    std::string all = read_stream(**s, 1 << 20);
    ASSERT_FALSE(seen.empty());
    uint64_t last = 0;
    bool named = false;
    for (const auto& p : seen) {
        EXPECT_GE(p.sectors_done, last);
        EXPECT_EQ(p.sectors_total, (*s)->block_count());
        last = p.sectors_done;
        named |= p.current_file.find("a.bin") != std::string::npos;
    }
    EXPECT_EQ(last, (*s)->block_count());
    EXPECT_TRUE(named) << "the current file is reported";
    auto c = img.create_result_image();
    ASSERT_TRUE(c.ok());
    (*c)->cancel();
    std::vector<std::byte> buf(1 << 20);
    auto r = (*c)->read(buf);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::cancelled);
}

TEST(ImageStream, a_source_that_changed_is_an_error) {
    TempDir dir;
    dmtest::write_file(dir / "src" / "f.txt", "original\n");
    FileSystemImage img;
    ASSERT_TRUE(img.add_tree((dir / "src").string(), false).ok());
    dmtest::write_file(dir / "src" / "f.txt", "now it is longer than before\n");
    auto s = img.create_result_image();
    Status st = s.ok() ? Status((*s)->write_to(::open("/dev/null", O_WRONLY), 0)) : Status(s.error());
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, Errc::changed);
    EXPECT_NE(st.error().message.find("f.txt"), std::string::npos);
}

TEST(ImageStream, small_files_that_changed_are_errors_on_and_off_block_boundaries) {
    // Multiples of 2048 bytes fill their blocks (growth is seen with fstat);
    // the others leave room for the one byte more that is read to see growth.
    // Sizes differ, so that the dedup pass reads none of them.
    for (bool whole_blocks : {true, false})
        for (long delta : {-1L, 1L}) {
            TempDir dir;
            auto size_of = [&](int i) { return whole_blocks ? size_t(i + 1) * 2048 : size_t(100 + i); };
            for (int i = 0; i < 20; ++i)
                dmtest::write_random_file(dir / "src" / ("f" + std::to_string(i)), size_of(i), uint32_t(i + 1));
            FileSystemImage img;
            ASSERT_TRUE(img.add_tree((dir / "src").string(), false).ok());
            ASSERT_EQ(::truncate((dir / "src" / "f7").c_str(), off_t(long(size_of(7)) + delta)), 0);
            auto s = img.create_result_image();
            ASSERT_TRUE(s.ok()) << s.error().message;
            int fd = ::open((dir / "out.iso").c_str(), O_CREAT | O_RDWR | O_TRUNC, 0644);
            Status st = (*s)->write_to(fd, 0);
            ::close(fd);
            ASSERT_FALSE(st.ok()) << size_of(7) << " bytes, " << delta;
            EXPECT_EQ(st.error().code, Errc::changed);
            EXPECT_NE(st.error().message.find("f7"), std::string::npos) << st.error().message;
        }
}

TEST(FileSystemImage, source_date_epoch_makes_images_reproducible) {
    TempDir dir;
    dmtest::write_file(dir / "src" / "a.txt", "a\n");
    auto make = [&](const std::string& name) {
        FileSystemImage img;
        EXPECT_TRUE(img.add_tree((dir / "src").string(), false).ok());
        EXPECT_TRUE(img.create_directory("/made/here").ok());  // a directory with no host time
        EXPECT_TRUE(write_new_image(img, (dir / name).string()).ok());
        return dmtest::read_file(dir / name);
    };
    ::setenv("SOURCE_DATE_EPOCH", "1234567890", 1);
    std::string first = make("1.iso");
    ::sleep(1);
    // Reading the tree moves its access times (and a checkout its change
    // times): with SOURCE_DATE_EPOCH both are recorded as the mtime.
    struct timespec times[2] = {{2000000000, 0}, {0, UTIME_OMIT}};
    ASSERT_EQ(::utimensat(AT_FDCWD, (dir / "src" / "a.txt").c_str(), times, 0), 0);
    ASSERT_EQ(::chmod((dir / "src" / "a.txt").c_str(), 0644), 0);  // a new ctime
    std::string second = make("2.iso");
    ::unsetenv("SOURCE_DATE_EPOCH");
    EXPECT_TRUE(first == second) << "the same tree and SOURCE_DATE_EPOCH give the same bytes";
    // The PVD's creation date (ECMA-119 8.4.26, digits from byte 813) is that time.
    ASSERT_GT(first.size(), 16 * 2048 + 830u);
    EXPECT_EQ(first.substr(16 * 2048 + 813, 14), "20090213233130");
    std::string third = make("3.iso");
    EXPECT_NE(third.substr(16 * 2048 + 813, 14), "20090213233130") << "without it, the current time";
}

TEST(ImageStream, free_media_blocks_are_enforced_before_writing) {
    TempDir dir;
    dmtest::write_random_file(dir / "src" / "a.bin", 1 << 20, 1);
    FileSystemImage img;
    ASSERT_TRUE(img.add_tree((dir / "src").string(), false).ok());
    img.set_free_media_blocks(100);
    auto s = img.create_result_image();
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, Errc::no_space);
    img.choose_defaults_for_media(media::Profile::cd_r);
    EXPECT_EQ(img.free_media_blocks(), media::profile_info(media::Profile::cd_r).capacity_blocks);
    EXPECT_TRUE(img.create_result_image().ok());
}

TEST(Import, our_image_round_trips_through_every_view) {
    TempDir dir;
    dmtest::write_file(dir / "src" / "dir" / "file.txt", "content\n");
    dmtest::write_file(dir / "src" / "Long Name With Spaces.txt", "x\n");
    ::chmod((dir / "src" / "dir" / "file.txt").c_str(), 0640);
    ASSERT_EQ(::link((dir / "src" / "dir" / "file.txt").c_str(), (dir / "src" / "hard.txt").c_str()), 0);
    ASSERT_EQ(::symlink("dir/file.txt", (dir / "src" / "sym").c_str()), 0);
    FileSystemImage img;
    ASSERT_TRUE(img.add_tree((dir / "src").string(), false).ok());
    std::string path = (dir / "i.iso").string();
    ASSERT_TRUE(write_new_image(img, path).ok());
    auto m = medium_of(path);
    auto fs = identify_file_systems(*m, 32);
    ASSERT_TRUE(fs.ok());
    EXPECT_EQ(*fs, mask(FsType::iso9660) | mask(FsType::rockridge) | mask(FsType::joliet));

    auto rr = open_file_system(*m, 32, FsType::rockridge);
    ASSERT_TRUE(rr.ok());
    auto root = (*rr)->root();
    ASSERT_TRUE(root.ok());
    auto top = listing(**rr, *root);
    ASSERT_TRUE(top.count("sym") && top.count("hard.txt") && top.count("dir"));
    EXPECT_EQ(top["sym"].type, NodeType::symlink);
    EXPECT_EQ(top["sym"].symlink, "dir/file.txt");
    auto inner = listing(**rr, top["dir"]);
    EXPECT_EQ(inner["file.txt"].mode, 0640u);
    EXPECT_EQ(inner["file.txt"].nlink, 2u);
    EXPECT_EQ(inner["file.txt"].file_id, top["hard.txt"].file_id) << "hard links share the Rock Ridge inode";
    EXPECT_EQ(inner["file.txt"].extents[0].lba, top["hard.txt"].extents[0].lba);
    std::string data(8, '\0');
    auto n = (*rr)->read(inner["file.txt"], 0, std::span(reinterpret_cast<std::byte*>(data.data()), data.size()));
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(data, "content\n");
    EXPECT_EQ(inner["file.txt"].extra["user.iso9660.name"], "FILE.TXT;1");

    auto jol = open_file_system(*m, 32, FsType::joliet);
    ASSERT_TRUE(jol.ok());
    auto jtop = listing(**jol, *(*jol)->root());
    EXPECT_TRUE(jtop.count("Long Name With Spaces.txt"));
    EXPECT_FALSE(jtop.count("sym")) << "Joliet carries no symlinks";
    auto plain = open_file_system(*m, 32, FsType::iso9660);
    ASSERT_TRUE(plain.ok());
    auto ptop = listing(**plain, *(*plain)->root());
    EXPECT_TRUE(ptop.count("LONG_NAME_WITH_SPACES.TXT"));

    // Import keeps the files where they are: a new session references them.
    FileSystemImage next;
    auto t = next.import_file_system(m, 32);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(*t, FsType::rockridge);
    Node* f = next.tree().lookup("/dir/file.txt");
    ASSERT_NE(f, nullptr);
    ASSERT_NE(f->content, nullptr);
    EXPECT_EQ(f->content->kind, ContentKind::medium);
    EXPECT_EQ(f->content, next.tree().lookup("/hard.txt")->content) << "hard links stay one content";
    EXPECT_EQ(next.tree().lookup("/sym")->symlink_target(), "dir/file.txt");
}

TEST(Import, a_directory_loop_is_an_error_not_a_hang) {
    TempDir dir;
    dmtest::write_file(dir / "src" / "sub" / "f.txt", "f\n");
    FileSystemImage img;
    ASSERT_TRUE(img.set_file_systems(mask(FsType::iso9660)).ok());
    ASSERT_TRUE(img.add_tree((dir / "src").string(), false).ok());
    std::string path = (dir / "i.iso").string();
    ASSERT_TRUE(write_new_image(img, path).ok());
    // Point SUB's extent at the root directory.
    std::string bytes = dmtest::read_file(path);
    uint32_t root = uint8_t(bytes[48 * 2048 + 158]) | uint32_t(uint8_t(bytes[48 * 2048 + 159])) << 8;
    size_t rec = size_t(root) * 2048 + 34 + 34;  // ".", "..", then SUB
    ASSERT_EQ(bytes.substr(rec + 33, 3), "SUB");
    for (int i = 0; i < 4; ++i) {
        bytes[rec + 2 + i] = char(root >> (8 * i));
        bytes[rec + 9 - i] = char(root >> (8 * i));
    }
    dmtest::write_file(path, bytes);
    FileSystemImage next;
    auto r = next.import_file_system(medium_of(path), 32);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::corrupt);
    EXPECT_NE(r.error().message.find("loop"), std::string::npos) << r.error().message;
}

TEST(EmulatedToc, blank_and_garbage_files) {
    TempDir dir;
    dmtest::write_file(dir / "empty.iso", "");
    auto m = medium_of((dir / "empty.iso").string());
    auto t = m->toc();
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->state, media::DiscState::blank);
    EXPECT_EQ(t->next_writable, 32u);
    dmtest::write_random_file(dir / "junk.iso", 100 * 2048, 1);
    auto j = medium_of((dir / "junk.iso").string())->toc();
    ASSERT_FALSE(j.ok());
    EXPECT_EQ(j.error().code, Errc::corrupt);
    EXPECT_FALSE(open_image_medium((dir / "missing.iso").string()).ok());
    EXPECT_FALSE(open_image_medium(dir.path().string()).ok()) << "a directory is not an image";
}

TEST(Inspect, reports_sessions_and_file_systems) {
    TempDir dir;
    dmtest::write_file(dir / "s1" / "a", "a");
    dmtest::write_file(dir / "s2" / "b", "b");
    FileSystemImage img;
    ASSERT_TRUE(img.set_volume_name("VOL1").ok());
    ASSERT_TRUE(img.add_tree((dir / "s1").string(), false).ok());
    std::string path = (dir / "i.iso").string();
    ASSERT_TRUE(write_new_image(img, path).ok());
    auto m = medium_of(path);
    FileSystemImage next;
    ASSERT_TRUE(next.import_file_system(m, 32).ok());
    next.set_session_start_block(*m->toc()->next_writable);
    ASSERT_TRUE(next.add_tree((dir / "s2").string(), false).ok());
    ASSERT_TRUE(append_to_image_file(next, path).ok());
    auto rep = inspect_medium(*medium_of(path));
    ASSERT_TRUE(rep.ok());
    ASSERT_EQ(rep->sessions.size(), 2u);
    EXPECT_EQ(rep->sessions[1].volume_id, "VOL1") << "the imported volume name carries over";
    auto j = to_json(*rep);
    EXPECT_EQ(j["sessions"][1]["file_systems"], nlohmann::json({"iso9660", "rockridge", "joliet"}));
    EXPECT_NE(to_text(*rep).find("session 2"), std::string::npos);
}
