// The node table without a kernel: lookup counts as the kernel keeps them,
// FORGET dropping nodes, stable inode numbers, the bounded listing cache read
// again when a node's directory was dropped from it, hard links, and a
// directory loop. The kernel's own side is in forget_test.cpp.
#include <gtest/gtest.h>

#include <map>

#include "fuse/node_table.h"

using namespace dmfuse;
using mastering::Errc;
using mastering::Result;
using mastering::model::DirEntry;
using mastering::model::FileSystemReader;
using mastering::model::FsType;
using mastering::model::NodeType;

namespace {

// A tree held in memory: directories by node id, each with its entries.
class FakeReader : public FileSystemReader {
public:
    FakeReader() {
        m_root.id = 1000;
        m_root.type = NodeType::directory;
        m_root.extents = {{20, 2048, false}};
    }
    NodeAttr& root_attr() { return m_root; }
    // A directory entry of `dir` (by node id); returns the new node's attributes.
    NodeAttr& add(uint64_t dir, const std::string& name, NodeType type, uint64_t id) {
        auto& list = m_dirs[dir];
        list.push_back({name, NodeAttr{}});
        NodeAttr& a = list.back().attr;
        a.id = id;
        a.type = type;
        a.size = id;  // something to tell the nodes apart by
        if (type == NodeType::directory) a.extents = {{id, 2048, false}};
        return a;
    }
    size_t lists = 0;  // list() calls: a listing read from the "disc"

    FsType type() const override { return FsType::rockridge; }
    std::string volume_id() const override { return "FAKE"; }
    Result<NodeAttr> root() override { return m_root; }
    Result<std::vector<DirEntry>> list(const NodeAttr& dir) override {
        ++lists;
        auto it = m_dirs.find(dir.id);
        if (it == m_dirs.end()) return std::vector<DirEntry>{};
        return it->second;
    }
    Result<size_t> read(const NodeAttr&, uint64_t, std::span<std::byte>) override { return size_t(0); }

private:
    NodeAttr m_root;
    std::map<uint64_t, std::vector<DirEntry>> m_dirs;
};

struct Fixture {
    FakeReader* reader;
    std::unique_ptr<NodeTable> table;
    explicit Fixture(size_t cache_entries = NodeTable::default_cache_entries,
                     const std::function<void(FakeReader&)>& build = {}) {
        auto r = std::make_unique<FakeReader>();
        reader = r.get();
        if (build) build(*r);
        table = std::make_unique<NodeTable>(std::move(r), cache_entries);
    }
};

// root: d1/{f1,f2,f3}, d2/{g1,g2,g3}, top
void small_tree(FakeReader& r) {
    r.add(1000, "d1", NodeType::directory, 100);
    r.add(1000, "d2", NodeType::directory, 200);
    r.add(1000, "top", NodeType::file, 300);
    for (int i = 1; i <= 3; ++i) {
        r.add(100, "f" + std::to_string(i), NodeType::file, 100 + uint64_t(i));
        r.add(200, "g" + std::to_string(i), NodeType::file, 200 + uint64_t(i));
    }
}

}  // namespace

TEST(NodeTable, a_node_lives_until_the_kernel_forgets_every_lookup) {
    Fixture f(NodeTable::default_cache_entries, small_tree);
    auto& t = *f.table;
    EXPECT_EQ(t.stats().nodes, 1u) << "the root only";
    auto a = t.lookup(NodeTable::root_ino, "top");
    ASSERT_TRUE(a.ok()) << a.error().message;
    auto again = t.lookup(NodeTable::root_ino, "top");
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->ino, a->ino);
    EXPECT_EQ(a->attr->size, 300u);
    EXPECT_EQ(t.stats().nodes, 2u);
    t.forget(a->ino, 1);
    EXPECT_TRUE(t.attr(a->ino).ok()) << "one lookup is still held";
    t.forget(a->ino, 1);
    EXPECT_EQ(t.stats().nodes, 1u);
    auto gone = t.attr(a->ino);
    ASSERT_FALSE(gone.ok());
    EXPECT_EQ(gone.error().code, Errc::not_found);
    // Looked up again: the same number.
    auto back = t.lookup(NodeTable::root_ino, "top");
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->ino, a->ino);
    // A FORGET of more than was counted drops it; the root and unknown numbers are ignored.
    t.forget(back->ino, 5);
    t.forget(NodeTable::root_ino, 1);
    t.forget(123456789, 1);
    EXPECT_EQ(t.stats().nodes, 1u);
    EXPECT_TRUE(t.attr(NodeTable::root_ino).ok());
    EXPECT_FALSE(t.lookup(NodeTable::root_ino, "nothing").ok());
    EXPECT_EQ(t.stats().nodes, 1u) << "a failed lookup counts nothing";
}

TEST(NodeTable, readdirplus_entries_count_once_each) {
    Fixture f(NodeTable::default_cache_entries, small_tree);
    auto& t = *f.table;
    auto root = t.listing(NodeTable::root_ino);
    ASSERT_TRUE(root.ok());
    ASSERT_EQ((*root)->entries.size(), 3u);
    t.count_entries(NodeTable::root_ino, **root, 0, 2);  // one reply held d1 and d2
    t.count_entries(NodeTable::root_ino, **root, 2, 1);  // the next one held top
    EXPECT_EQ(t.stats().nodes, 4u);
    uint64_t d1 = (*root)->entries[0].ino;
    auto l1 = t.listing(d1);
    ASSERT_TRUE(l1.ok());
    t.count_entries(d1, **l1, 0, 3);
    EXPECT_EQ(t.stats().nodes, 7u);
    EXPECT_EQ(*t.parent((*l1)->entries[2].ino), d1);
    EXPECT_EQ(*t.parent(d1), NodeTable::root_ino);
    // Every node forgotten: only the root is left.
    for (const auto& e : (*l1)->entries) t.forget(e.ino, 1);
    for (const auto& e : (*root)->entries) t.forget(e.ino, 1);
    EXPECT_EQ(t.stats().nodes, 1u);
}

TEST(NodeTable, inode_numbers_follow_the_place_on_the_disc) {
    NodeAttr a, b, c, d;
    a.id = 2048 * 40;
    b.id = 2048 * 40 + 34;
    c.id = a.id;
    c.file_id = a.id;  // a file id equal to another node's id: still apart
    d.id = a.id;
    d.type = NodeType::directory;
    d.file_id = 7;  // directories go by their node id
    EXPECT_NE(inode_number(a), inode_number(b));
    EXPECT_NE(inode_number(a), inode_number(c));
    EXPECT_EQ(inode_number(a), inode_number(d));
    NodeAttr zero;
    EXPECT_GE(inode_number(zero), 2u) << "0 is no inode and 1 is the root";
    zero.file_id = 0;
    EXPECT_GE(inode_number(zero), 2u);
    NodeAttr huge;
    huge.file_id = ~uint64_t(0);
    EXPECT_GE(inode_number(huge), 2u) << "no wrap onto the root";
}

TEST(NodeTable, a_dropped_listing_is_read_again_for_the_nodes_still_held) {
    // Room for two listings of three entries.
    Fixture f(6, small_tree);
    auto& t = *f.table;
    auto root = t.listing(NodeTable::root_ino);
    ASSERT_TRUE(root.ok());
    t.count_entries(NodeTable::root_ino, **root, 0, 3);
    uint64_t d1 = (*root)->entries[0].ino, d2 = (*root)->entries[1].ino;
    auto f2 = t.lookup(d1, "f2");
    ASSERT_TRUE(f2.ok());
    size_t lists = f.reader->lists;
    ASSERT_TRUE(t.listing(d2).ok());  // d2 pushes the root's listing out, then d1's
    EXPECT_EQ(t.stats().listings, 2u);
    EXPECT_LE(t.stats().listed_entries, 6u);
    ASSERT_TRUE(t.lookup(NodeTable::root_ino, "top").ok());  // the root again: d1 goes
    EXPECT_EQ(f.reader->lists, lists + 2);
    auto attr = t.attr(f2->ino);
    ASSERT_TRUE(attr.ok()) << attr.error().message;
    EXPECT_EQ((*attr)->size, 102u);
    EXPECT_EQ(f.reader->lists, lists + 3) << "d1 was listed again for f2's attributes";
    // Attributes handed out stay valid when their listing leaves the cache.
    ASSERT_TRUE(t.listing(d2).ok());
    ASSERT_TRUE(t.listing(NodeTable::root_ino).ok());
    EXPECT_EQ((*attr)->size, 102u);
}

TEST(NodeTable, hard_links_share_one_node_that_keeps_its_attributes) {
    Fixture f(3, [](FakeReader& r) {
        r.add(1000, "a", NodeType::directory, 100);
        r.add(1000, "b", NodeType::directory, 200);
        for (uint64_t dir : {100, 200}) {
            NodeAttr& x = r.add(dir, "link", NodeType::file, dir + 1);
            x.file_id = 77;
            x.nlink = 2;
        }
    });
    auto& t = *f.table;
    auto a = t.lookup(NodeTable::root_ino, "a");
    auto b = t.lookup(NodeTable::root_ino, "b");
    ASSERT_TRUE(a.ok() && b.ok());
    auto la = t.lookup(a->ino, "link");
    auto lb = t.lookup(b->ino, "link");
    ASSERT_TRUE(la.ok() && lb.ok());
    EXPECT_EQ(la->ino, lb->ino);
    EXPECT_EQ(t.stats().nodes, 4u);
    // The directory it was first found in is forgotten; the file is still held through the other.
    t.forget(la->ino, 1);
    t.forget(a->ino, 1);
    auto attr = t.attr(lb->ino);
    ASSERT_TRUE(attr.ok()) << attr.error().message;
    EXPECT_EQ((*attr)->file_id, 77u);
}

TEST(NodeTable, a_directory_with_its_ancestors_data_is_a_loop) {
    Fixture f(NodeTable::default_cache_entries, [](FakeReader& r) {
        r.add(1000, "sub", NodeType::directory, 100);
        NodeAttr& loop = r.add(100, "loop", NodeType::directory, 500);
        loop.extents = r.root_attr().extents;  // the root's data
    });
    auto& t = *f.table;
    auto sub = t.lookup(NodeTable::root_ino, "sub");
    ASSERT_TRUE(sub.ok());
    auto loop = t.lookup(sub->ino, "loop");
    ASSERT_TRUE(loop.ok());
    auto l = t.listing(loop->ino);
    ASSERT_FALSE(l.ok());
    EXPECT_EQ(l.error().code, Errc::corrupt);
    EXPECT_NE(l.error().message.find("directory loop"), std::string::npos) << l.error().message;
    EXPECT_TRUE(t.listing(sub->ino).ok()) << "the rest lists";
}
