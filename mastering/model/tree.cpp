#include "mastering/model/tree.h"

#include <algorithm>

namespace mastering::model {

namespace {
bool less_name(const Node* a, const Node* b) { return a->name < b->name; }

// The next component of `path` from `pos` (empty for "//" and a trailing
// "/"); moves `pos` past it and its slash.
std::string_view next_component(std::string_view path, size_t& pos) {
    size_t slash = path.find('/', pos);
    std::string_view part = path.substr(pos, slash == std::string_view::npos ? path.npos : slash - pos);
    pos = slash == std::string_view::npos ? path.size() : slash + 1;
    return part;
}
}  // namespace

Tree::Tree() {
    m_root = &m_nodes.emplace_back();
    m_root->mode = S_IFDIR | 0755;
    m_root->children = &m_child_lists.emplace_back();
}

Status check_name(std::string_view name) {
    if (name.empty() || name == "." || name == "..")
        return make_error(Errc::invalid_argument, "invalid name \"" + std::string(name) + "\"");
    if (name.find('/') != std::string_view::npos || name.find('\0') != std::string_view::npos)
        return make_error(Errc::invalid_argument, "a name may not contain '/' or NUL: \"" + std::string(name) + "\"");
    return {};
}

Node* Tree::child(const Node* dir, std::string_view name) const {
    if (!dir || !dir->children) return nullptr;
    auto& v = *dir->children;
    auto it = std::lower_bound(v.begin(), v.end(), name, [](const Node* n, std::string_view s) { return n->name < s; });
    return it != v.end() && (*it)->name == name ? *it : nullptr;
}

Node* Tree::lookup(std::string_view path) const {
    Node* cur = m_root;
    size_t pos = 0;
    while (pos < path.size()) {
        std::string_view part = next_component(path, pos);
        if (part.empty() || part == ".") continue;
        if (part == "..") { cur = cur->parent ? cur->parent : cur; continue; }
        cur = child(cur, part);
        if (!cur) return nullptr;
    }
    return cur;
}

std::string Tree::path_of(const Node* n) {
    std::vector<const Node*> chain;
    for (; n && n->parent; n = n->parent) chain.push_back(n);
    if (chain.empty()) return "/";
    std::string out;
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) out += "/" + (*it)->name;
    return out;
}

Node* Tree::new_node(Node* dir, std::string_view name, uint32_t mode) {
    Node* n = &m_nodes.emplace_back();
    n->name = std::string(name);
    n->parent = dir;
    n->mode = mode;
    if (S_ISDIR(mode)) n->children = &m_child_lists.emplace_back();
    return n;
}

Node* Tree::add(Node* dir, std::string_view name, uint32_t mode) {
    DM_VERIFY(dir && dir->children);
    if (Node* old = child(dir, name)) remove(old);
    Node* n = new_node(dir, name, mode);
    auto& v = *dir->children;
    v.insert(std::lower_bound(v.begin(), v.end(), n, less_name), n);
    return n;
}

Node* Tree::append_unsorted(Node* dir, std::string_view name, uint32_t mode) {
    Node* n = new_node(dir, name, mode);
    dir->children->push_back(n);
    return n;
}

void Tree::sort_children(Node* dir) {
    if (dir->children) std::sort(dir->children->begin(), dir->children->end(), less_name);
}

Result<Node*> Tree::make_dirs(std::string_view path, int64_t now) {
    Node* cur = m_root;
    size_t pos = 0;
    while (pos < path.size()) {
        std::string_view part = next_component(path, pos);
        if (part.empty() || part == ".") continue;
        DM_TRY(check_name(part));
        Node* next = child(cur, part);
        if (next && !next->is_dir())
            return make_error(Errc::exists, path_of(next) + " exists and is not a directory");
        if (!next) {
            next = add(cur, part, S_IFDIR | 0755);
            next->mtime = next->atime = next->ctime = now;
        }
        cur = next;
    }
    return cur;
}

void Tree::remove(Node* n) {
    if (!n || !n->parent) return;
    auto& v = *n->parent->children;
    auto it = std::lower_bound(v.begin(), v.end(), n, less_name);
    while (it != v.end() && *it != n && (*it)->name == n->name) ++it;
    if (it != v.end() && *it == n) v.erase(it);
    // Drop the link counts of the files below (their arena slots stay).
    std::vector<Node*> stack{n};
    while (!stack.empty()) {
        Node* x = stack.back();
        stack.pop_back();
        if (x->content && x->content->links > 0) --x->content->links;
        if (x->children)
            for (Node* c : *x->children) stack.push_back(c);
    }
    n->parent = nullptr;
}

Content* Tree::new_content() { return &m_contents.emplace_back(); }

}  // namespace mastering::model
