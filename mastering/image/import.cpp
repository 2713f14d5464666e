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

}  // namespace

Status import_tree(Tree& tree, FileSystemReader& reader, std::shared_ptr<media::SectorSource> medium) {
    NodeAttr root = DM_TRY(reader.root());
    Node* r = tree.root();
    if (r->children->empty()) {
        r->mode = S_IFDIR | (root.mode & 07777);
        r->uid = root.uid;
        r->gid = root.gid;
        r->mtime = root.mtime.sec;
        r->atime = root.atime.sec;
        r->ctime = root.ctime.sec;
    }
    std::unordered_map<uint64_t, Content*> by_file_id;
    std::unordered_set<uint64_t> seen_dirs{root.id};
    struct Item {
        NodeAttr attr;
        Node* node;
        size_t depth;
    };
    std::vector<Item> queue{{root, r, 0}};
    for (size_t qi = 0; qi < queue.size(); ++qi) {
        NodeAttr dir_attr = std::move(queue[qi].attr);
        Node* dir = queue[qi].node;
        size_t depth = queue[qi].depth;
        auto entries = reader.list(dir_attr);
        if (!entries.ok()) return entries.error().with_context("importing " + Tree::path_of(dir));
        bool bulk = dir->children->empty();
        for (auto& e : *entries) {
            DM_TRY(check_name(e.name));
            const NodeAttr& a = e.attr;
            if (!bulk) {
                Node* old = tree.child(dir, e.name);
                if (old) {
                    // What is already in the image wins; directories merge.
                    if (old->is_dir() && a.type == NodeType::directory && depth < k_max_depth &&
                        seen_dirs.insert(a.id).second)
                        queue.push_back({a, old, depth + 1});
                    continue;
                }
            }
            uint32_t mode = posix_type_bits(a.type) | (a.mode & 07777);
            Node* n = bulk ? tree.append_unsorted(dir, e.name, mode) : tree.add(dir, e.name, mode);
            n->uid = a.uid;
            n->gid = a.gid;
            n->mtime = a.mtime.sec;
            n->atime = a.atime.sec;
            n->ctime = a.ctime.sec;
            switch (a.type) {
            case NodeType::directory:
                if (depth + 1 > k_max_depth) return make_error(Errc::corrupt, "directory tree deeper than 4096 levels");
                if (!seen_dirs.insert(a.id).second)
                    return make_error(Errc::corrupt, "directory loop at " + Tree::path_of(n));
                queue.push_back({a, n, depth + 1});
                break;
            case NodeType::file: {
                if (a.size == 0 && a.inline_data.empty() && !(a.file_id && a.nlink > 1)) break;
                bool grouped = a.file_id && a.nlink > 1;
                auto known = grouped ? by_file_id.find(*a.file_id) : by_file_id.end();
                if (known != by_file_id.end()) {
                    n->content = known->second;
                } else {
                    Content* c = tree.new_content();
                    c->size = a.size;
                    if (!a.inline_data.empty()) {
                        c->kind = ContentKind::source;
                        c->source = memory_source(std::string(reinterpret_cast<const char*>(a.inline_data.data()),
                                                              a.inline_data.size()),
                                                  Tree::path_of(n));
                    } else {
                        c->kind = ContentKind::medium;
                        c->extents = a.extents;
                        c->source = extent_source(medium, a.extents, a.size, Tree::path_of(n));
                    }
                    c->file_id = a.file_id;
                    n->content = c;
                    if (grouped) by_file_id[*a.file_id] = c;
                }
                ++n->content->links;
                break;
            }
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
        }
        if (bulk) tree.sort_children(dir);
    }
    return {};
}

}  // namespace mastering::image
