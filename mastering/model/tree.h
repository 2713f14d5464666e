// The node tree every file system view is written from: one tree; ISO 9660,
// Rock Ridge, Joliet and UDF are views of it.
// Nodes are compact (about 110 bytes; a million empty files must stay under
// 200 bytes each in total) and live in an arena owned by the Tree. File data
// are Contents, shared by hard links; identical Contents are stored once by
// the layout's dedup pass.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mastering/codec/result.h"
#include "mastering/model/data_source.h"
#include "mastering/model/fs_reader.h"

namespace mastering::model {

enum class ContentKind : uint8_t {
    host_file,  // a file on the host, read when the stream is produced
    source,     // a DataSource (memory, a caller's stream)
    medium,     // extents of an imported session: referenced, never copied
};

// The data of one file identity (one inode: hard links share it).
struct Content {
    ContentKind kind = ContentKind::host_file;
    uint64_t size = 0;
    std::string path;                     // host_file
    uint64_t dev = 0, ino = 0;            // host identity
    int64_t mtime_ns = 0;                 // host mtime when added (change check)
    bool sparse = false;                  // host_file with holes (fewer blocks than bytes)
    std::shared_ptr<DataSource> source;   // source
    std::vector<Extent> extents;          // medium: absolute LBAs on the imported medium
    std::optional<uint64_t> file_id;      // medium: the imported inode/unique id
    uint32_t links = 0;                   // names referring to it
    bool unique = false;                  // never stored as one with equal contents (a patched boot image)

    // Set by the layout:
    uint32_t inode = 0;                   // Rock Ridge serial number
    uint32_t lba = 0;                     // first block of new data in this session
    Content* same_as = nullptr;           // dedup: stored as that Content's data
};

struct NodeExtra {
    std::string symlink;
    uint64_t rdev = 0;
};

struct Node {
    std::string name;              // UTF-8 as given; the root's is empty
    Node* parent = nullptr;
    std::vector<Node*>* children = nullptr;  // directories: sorted by name (bytes)
    Content* content = nullptr;    // regular files with data (nullptr: empty file)
    std::unique_ptr<NodeExtra> extra;
    uint32_t mode = 0;             // st_mode: type and permission bits
    uint32_t uid = 0, gid = 0;
    uint32_t ino = 0;              // layout: Rock Ridge serial of nodes without content
    int64_t mtime = 0, atime = 0, ctime = 0;  // seconds since the epoch
    uint32_t aux = 0;              // layout scratch (directory number)

    bool is_dir() const { return S_ISDIR(mode); }
    bool is_file() const { return S_ISREG(mode); }
    bool is_symlink() const { return S_ISLNK(mode); }
    uint64_t size() const { return content ? content->size : 0; }
    std::string_view symlink_target() const { return extra ? std::string_view(extra->symlink) : std::string_view{}; }
    uint64_t rdev() const { return extra ? extra->rdev : 0; }
};

class Tree {
public:
    Tree();
    Tree(const Tree&) = delete;
    Tree& operator=(const Tree&) = delete;

    Node* root() { return m_root; }
    const Node* root() const { return m_root; }

    // "/a/b" or "a/b"; "" and "/" are the root.
    Node* lookup(std::string_view path) const;
    Node* child(const Node* dir, std::string_view name) const;
    // Full path of a node ("/a/b").
    static std::string path_of(const Node* n);

    // A new node under `dir`. An existing entry of that name is replaced
    // (removed with its subtree) — the newer source wins, as in IMAPI2 AddTree.
    Node* add(Node* dir, std::string_view name, uint32_t mode);
    // Directories along `path`, made as needed (mode 0755, times `now`).
    Result<Node*> make_dirs(std::string_view path, int64_t now);
    // Detach a node (and its subtree) from its parent.
    void remove(Node* n);

    Content* new_content();
    // Append many children to a new (empty) directory at once and sort them:
    // for bulk loading (add_tree), O(n log n).
    Node* append_unsorted(Node* dir, std::string_view name, uint32_t mode);
    void sort_children(Node* dir);

    size_t node_count() const { return m_nodes.size(); }

private:
    // A node named `name` below `dir` (not yet in its children).
    Node* new_node(Node* dir, std::string_view name, uint32_t mode);

    std::deque<Node> m_nodes;
    std::deque<std::vector<Node*>> m_child_lists;
    std::deque<Content> m_contents;
    Node* m_root;
};

// Validate one name component for the tree (no '/', not empty, not "." or "..").
Status check_name(std::string_view name);

}  // namespace mastering::model
