#include <gtest/gtest.h>

#include <map>
#include <sys/stat.h>

#include "mastering/rockridge/susp.h"

using namespace mastering;
using namespace mastering::rockridge;

namespace {
std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& e : v) s += e;
    return s;
}
Result<std::string> no_ce(const CeLocation&) { return make_error(Errc::corrupt, "no continuation expected"); }
}  // namespace

TEST(Susp, entries_round_trip) {
    SuaBuilder b;
    b.px(S_IFREG | 0640, 3, 1000, 100, 42);
    b.tf({1700000000, 1700000100, 1700000200});
    b.nm("a name.txt");
    b.pn(0x0000000800000001ull);
    b.cl(77);
    b.pl(66);
    b.re();
    for (const auto& e : b.entries()) EXPECT_LE(e.size(), 255u);
    auto rr = parse_sua(join(b.entries()), 0, no_ce);
    ASSERT_TRUE(rr.ok()) << rr.error().message;
    EXPECT_TRUE(rr->present);
    EXPECT_EQ(rr->mode, S_IFREG | 0640u);
    EXPECT_EQ(rr->links, 3u);
    EXPECT_EQ(rr->uid, 1000u);
    EXPECT_EQ(rr->gid, 100u);
    EXPECT_EQ(rr->ino, 42u);
    EXPECT_EQ(rr->mtime, 1700000000);
    EXPECT_EQ(rr->atime, 1700000100);
    EXPECT_EQ(rr->ctime, 1700000200);
    EXPECT_EQ(rr->name, "a name.txt");
    EXPECT_EQ(rr->rdev, 0x0000000800000001ull);
    EXPECT_EQ(rr->child_link, 77u);
    EXPECT_EQ(rr->parent_link, 66u);
    EXPECT_TRUE(rr->relocated);
}

TEST(Susp, long_names_and_symlinks_split_over_entries) {
    std::string name(600, 'n');
    std::string target = "/abs/../rel/./" + std::string(700, 'x') + "/end";
    SuaBuilder b;
    b.nm(name);
    b.sl(target);
    EXPECT_GT(b.entries().size(), 4u);
    for (const auto& e : b.entries()) EXPECT_LE(e.size(), 255u);
    auto rr = parse_sua(join(b.entries()), 0, no_ce);
    ASSERT_TRUE(rr.ok());
    EXPECT_EQ(rr->name, name);
    EXPECT_EQ(rr->symlink, target);
    for (std::string t : {"a", "./a", "../../x", "/", "dir/", "a/b/c"}) {
        SuaBuilder s;
        s.sl(t);
        auto r = parse_sua(join(s.entries()), 0, no_ce);
        ASSERT_TRUE(r.ok());
        std::string want = t.size() > 1 && t.back() == '/' ? t.substr(0, t.size() - 1) : t;
        EXPECT_EQ(r->symlink, want) << t;
    }
}

TEST(Susp, continuation_areas_chain_and_parse) {
    SuaBuilder b;
    b.sp();
    b.px(S_IFDIR | 0755, 2, 0, 0, 1);
    b.er_rrip();
    b.nm(std::string(3000, 'z'));  // more than a block of entries
    std::map<uint32_t, std::string> blocks;
    uint32_t next = 100;
    auto split = split_sua(b.entries(), 120, [&](uint32_t size) {
        EXPECT_LE(size, 2048u);
        return CeLocation{next++, 0, size};
    });
    EXPECT_LE(split.inline_part.size(), 120u);
    ASSERT_GE(split.chunks.size(), 2u);
    auto sizes = measure_sua(b.entries(), 120);
    EXPECT_EQ(sizes.inline_size, split.inline_part.size());
    ASSERT_EQ(sizes.chunk_sizes.size(), split.chunks.size());
    for (size_t i = 0; i < split.chunks.size(); ++i) {
        EXPECT_EQ(sizes.chunk_sizes[i], split.chunks[i].second.size());
        blocks[split.chunks[i].first.block] = split.chunks[i].second;
    }
    auto rr = parse_sua(split.inline_part, 0, [&](const CeLocation& loc) -> Result<std::string> {
        return blocks.at(loc.block).substr(loc.offset, loc.length);
    });
    ASSERT_TRUE(rr.ok()) << rr.error().message;
    EXPECT_TRUE(rr->has_sp);
    EXPECT_EQ(rr->name, std::string(3000, 'z'));
    ASSERT_EQ(rr->extensions.size(), 1u);
    EXPECT_EQ(rr->extensions[0], "IEEE_1282");
}

TEST(Susp, malformed_areas) {
    // A CE pointing at itself: bounded, an error, no hang.
    std::string self = encode_ce({5, 0, 28});
    auto rr = parse_sua(self, 0, [&](const CeLocation&) -> Result<std::string> { return self; });
    ASSERT_FALSE(rr.ok());
    EXPECT_NE(rr.error().message.find("CE loop"), std::string::npos);
    // A CE out of its block.
    auto bad = parse_sua(encode_ce({5, 2000, 100}), 0, no_ce);
    EXPECT_FALSE(bad.ok());
    // Truncated and garbage entries end the area quietly.
    SuaBuilder b;
    b.px(S_IFREG | 0644, 1, 0, 0, 9);
    std::string cut = b.entries()[0].substr(0, 20);
    auto rr2 = parse_sua(cut, 0, no_ce);
    ASSERT_TRUE(rr2.ok());
    EXPECT_FALSE(rr2->mode.has_value());
    auto rr3 = parse_sua(std::string("\x01\x02\x03", 3), 0, no_ce);
    EXPECT_TRUE(rr3.ok());
    auto rr4 = parse_sua(std::string("PX\x02\x01", 4), 0, no_ce);  // length below 4
    EXPECT_TRUE(rr4.ok());
    EXPECT_FALSE(rr4->present);
}
