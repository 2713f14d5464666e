// import: a previous session's tree into the node tree. Files become
// references to their extents on the medium (nothing is read or copied);
// hard links (equal file ids with several links) share one Content.
#include <sys/stat.h>

#include <unordered_map>
#include <unordered_set>

#include "mastering/image/file_system_image.h"

namespace mastering::image {

using model::Content;
using model::ContentKind;
using model::FileSystemReader;
using model::Node;
using model::NodeAttr;
using model::NodeExtra;
using model::NodeType;
using model::Tree;
using model::check_name;
using model::extent_source;
using model::memory_source;
using model::posix_type_bits;

namespace {

constexpr size_t k_max_depth = 4096;

// Reads a session's tree into the node tree, breadth first.
class Importer {
public:
    Importer(Tree& tree, std::shared_ptr<media::SectorSource> medium) : m_tree(tree), m_medium(std::move(medium)) {}

    Status run(FileSystemReader& reader) {
        NodeAttr root = DM_TRY(reader.root());
        Node* r = m_tree.root();
        if (r->children->empty()) {
            r->mode = S_IFDIR | (root.mode & 07777);
            set_times(r, root);
        }
        m_seen_dirs.insert(root.id);
        m_queue.push_back({root, r, 0});
        for (size_t qi = 0; qi < m_queue.size(); ++qi) {
            NodeAttr dir_attr = std::move(m_queue[qi].attr);
            Node* dir = m_queue[qi].node;
            size_t depth = m_queue[qi].depth;
            auto entries = reader.list(dir_attr);
            if (!entries.ok()) return entries.error().with_context("importing " + Tree::path_of(dir));
            DM_TRY(add_entries(dir, depth, *entries));
        }
        return {};
    }

private:
    struct Item {
        NodeAttr attr;
        Node* node;
        size_t depth;
    };

    static void set_times(Node* n, const NodeAttr& a) {
        n->uid = a.uid;
        n->gid = a.gid;
        n->mtime = a.mtime.sec;
        n->atime = a.atime.sec;
        n->ctime = a.ctime.sec;
    }

    Status add_entries(Node* dir, size_t depth, std::vector<model::DirEntry>& entries) {
        bool bulk = dir->children->empty();
        for (auto& e : entries) {
            DM_TRY(check_name(e.name));
            const NodeAttr& a = e.attr;
            if (!bulk) {
                if (Node* old = m_tree.child(dir, e.name)) {
                    // What is already in the image wins; directories merge.
                    if (old->is_dir() && a.type == NodeType::directory && depth < k_max_depth &&
                        m_seen_dirs.insert(a.id).second)
                        m_queue.push_back({a, old, depth + 1});
                    continue;
                }
            }
            uint32_t mode = posix_type_bits(a.type) | (a.mode & 07777);
            Node* n = bulk ? m_tree.append_unsorted(dir, e.name, mode) : m_tree.add(dir, e.name, mode);
            set_times(n, a);
            DM_TRY(fill(n, a, depth));
        }
        if (bulk) m_tree.sort_children(dir);
        return {};
    }

    Status fill(Node* n, const NodeAttr& a, size_t depth) {
        switch (a.type) {
        case NodeType::directory:
            if (depth + 1 > k_max_depth) return make_error(Errc::corrupt, "directory tree deeper than 4096 levels");
            if (!m_seen_dirs.insert(a.id).second) return make_error(Errc::corrupt, "directory loop at " + Tree::path_of(n));
            m_queue.push_back({a, n, depth + 1});
            break;
        case NodeType::file:
            if (a.size == 0 && a.inline_data.empty() && !(a.file_id && a.nlink > 1)) break;
            n->content = content_of(n, a);
            ++n->content->links;
            break;
        case NodeType::symlink:
            n->extra = std::make_unique<NodeExtra>();
            n->extra->symlink = a.symlink;
            break;
        case NodeType::char_device:
        case NodeType::block_device:
            n->extra = std::make_unique<NodeExtra>();
            n->extra->rdev = a.rdev;
            break;
        default:
            break;
        }
        return {};
    }

    // A file's data: a reference to its extents on the medium (or its bytes,
    // when embedded), shared by every link of a group.
    Content* content_of(Node* n, const NodeAttr& a) {
        bool grouped = a.file_id && a.nlink > 1;
        if (grouped)
            if (auto known = m_by_file_id.find(*a.file_id); known != m_by_file_id.end()) return known->second;
        Content* c = m_tree.new_content();
        c->size = a.size;
        if (!a.inline_data.empty()) {
            c->kind = ContentKind::source;
            c->source = memory_source(
                std::string(reinterpret_cast<const char*>(a.inline_data.data()), a.inline_data.size()), Tree::path_of(n));
        } else {
            c->kind = ContentKind::medium;
            c->extents = a.extents;
            c->source = extent_source(m_medium, a.extents, a.size, Tree::path_of(n));
        }
        c->file_id = a.file_id;
        if (grouped) m_by_file_id[*a.file_id] = c;
        return c;
    }

    Tree& m_tree;
    std::shared_ptr<media::SectorSource> m_medium;
    std::unordered_map<uint64_t, Content*> m_by_file_id;
    std::unordered_set<uint64_t> m_seen_dirs;
    std::vector<Item> m_queue;
};

}  // namespace

Status import_tree(Tree& tree, FileSystemReader& reader, std::shared_ptr<media::SectorSource> medium) {
    return Importer(tree, std::move(medium)).run(reader);
}

}  // namespace mastering::image
