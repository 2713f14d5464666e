#include "fuse/node_table.h"

namespace dmfuse {

using mastering::Errc;
using mastering::make_error;
using mastering::Result;
using mastering::Status;
using mastering::model::NodeType;

uint64_t inode_number(const NodeAttr& a) {
    // Files are known by their file id where the view records one (hard links
    // share it), everything else by its node id. The low bit tells the two
    // apart; ids beyond 2^62 (no medium is that large) fold onto smaller ones.
    bool by_file_id = a.file_id && a.type != NodeType::directory;
    uint64_t id = (by_file_id ? *a.file_id : a.id) & ((uint64_t(1) << 62) - 1);
    return ((id << 1) | (by_file_id ? 1 : 0)) + 2;
}

std::optional<uint64_t> contiguous(const NodeAttr& a, uint64_t offset, size_t length) {
    if (a.type != NodeType::file || !a.inline_data.empty() || length == 0 || offset + length > a.size) return std::nullopt;
    uint64_t pos = 0;
    for (const auto& x : a.extents) {
        if (offset < pos + x.length) {
            if (x.sparse || offset + length > pos + x.length) return std::nullopt;
            return x.lba * 2048 + (offset - pos);
        }
        pos += x.length;
    }
    return std::nullopt;
}

NodeTable::NodeTable(std::unique_ptr<mastering::model::FileSystemReader> reader, size_t cache_entries)
    : m_reader(std::move(reader)), m_cache_limit(cache_entries) {
    NodeAttr root;
    if (auto r = m_reader->root(); r.ok()) root = *r;
    root.type = NodeType::directory;
    if (!root.mode) root.mode = 0555;
    m_root = std::make_shared<const NodeAttr>(std::move(root));
}

Result<NodeTable::Found> NodeTable::lookup(uint64_t parent, const std::string& name) {
    std::lock_guard lock(m_mutex);
    auto l = DM_TRY(listing_locked(parent));
    auto it = l->by_name.find(name);
    if (it == l->by_name.end()) return make_error(Errc::not_found, name + ": no such entry");
    count_locked(parent, *l, it->second);
    const Entry& e = l->entries[it->second];
    return Found{e.ino, std::shared_ptr<const NodeAttr>(l, &e.attr)};
}

void NodeTable::count_entries(uint64_t dir, const Listing& listing, size_t first, size_t count) {
    std::lock_guard lock(m_mutex);
    for (size_t i = first; i < first + count && i < listing.entries.size(); ++i) count_locked(dir, listing, i);
}

void NodeTable::count_locked(uint64_t dir, const Listing& listing, size_t index) {
    const Entry& e = listing.entries[index];
    auto [it, fresh] = m_nodes.try_emplace(e.ino);
    Node& n = it->second;
    ++n.lookups;
    if (!fresh) return;
    // Its first place stays its place: a directory has one parent, and a
    // file with one name one directory.
    n.parent = dir;
    n.index = uint32_t(index);
    if (e.attr.type == NodeType::directory || e.attr.nlink > 1) n.own = std::make_shared<const NodeAttr>(e.attr);
}

void NodeTable::forget(uint64_t ino, uint64_t count) {
    std::lock_guard lock(m_mutex);
    auto it = m_nodes.find(ino);
    if (it == m_nodes.end()) return;  // the root, or nothing we counted
    if (it->second.lookups > count) {
        it->second.lookups -= count;
        return;
    }
    m_nodes.erase(it);
}

Result<std::shared_ptr<const NodeAttr>> NodeTable::attr(uint64_t ino) {
    std::lock_guard lock(m_mutex);
    return attr_locked(ino);
}

Result<std::shared_ptr<const NodeAttr>> NodeTable::attr_locked(uint64_t ino) {
    if (ino == root_ino) return m_root;
    auto it = m_nodes.find(ino);
    if (it == m_nodes.end()) return make_error(Errc::not_found, "no inode " + std::to_string(ino));
    Node n = it->second;  // a copy: listing_locked() may change the table
    if (n.own) return n.own;
    auto l = DM_TRY(listing_locked(n.parent));
    if (n.index >= l->entries.size() || l->entries[n.index].ino != ino)
        return make_error(Errc::corrupt, "inode " + std::to_string(ino) + " is no longer where its directory, inode " +
                                             std::to_string(n.parent) + ", had it");
    return std::shared_ptr<const NodeAttr>(l, &l->entries[n.index].attr);
}

Result<uint64_t> NodeTable::parent(uint64_t ino) {
    std::lock_guard lock(m_mutex);
    if (ino == root_ino) return root_ino;
    auto it = m_nodes.find(ino);
    if (it == m_nodes.end()) return make_error(Errc::not_found, "no inode " + std::to_string(ino));
    return it->second.parent;
}

Result<std::shared_ptr<const NodeTable::Listing>> NodeTable::listing(uint64_t dir) {
    std::lock_guard lock(m_mutex);
    return listing_locked(dir);
}

Result<std::shared_ptr<const NodeTable::Listing>> NodeTable::listing_locked(uint64_t dir) {
    if (auto it = m_listings.find(dir); it != m_listings.end()) {
        m_lru.splice(m_lru.begin(), m_lru, it->second.lru);
        return it->second.listing;
    }
    auto attr = DM_TRY(attr_locked(dir));
    if (attr->type != NodeType::directory) return make_error(Errc::invalid_argument, "not a directory");
    DM_TRY(check_not_a_loop(dir, *attr));
    auto entries = DM_TRY(m_reader->list(*attr));
    auto l = std::make_shared<Listing>();
    // Reserved in full: the index views the names where they finally lie.
    l->entries.reserve(entries.size());
    l->by_name.reserve(entries.size());
    for (auto& e : entries) {
        uint64_t ino = inode_number(e.attr);
        l->entries.push_back({std::move(e.name), ino, std::move(e.attr)});
        if (!l->by_name.emplace(l->entries.back().name, uint32_t(l->entries.size() - 1)).second) l->entries.pop_back();
    }
    cache(dir, l);
    return std::shared_ptr<const Listing>(std::move(l));
}

// A directory whose data are an ancestor's is a loop (a damaged or hostile
// image): an error for it, not an endless tree.
Status NodeTable::check_not_a_loop(uint64_t dir, const NodeAttr& attr) {
    if (dir == root_ino || attr.extents.empty()) return {};
    uint64_t p = dir;
    for (int depth = 0; depth < 4096 && p != root_ino; ++depth) {
        auto it = m_nodes.find(p);
        if (it == m_nodes.end()) break;
        p = it->second.parent;
        const NodeAttr* up = p == root_ino ? m_root.get() : nullptr;
        if (!up)
            if (auto u = m_nodes.find(p); u != m_nodes.end()) up = u->second.own.get();
        if (up && !up->extents.empty() && up->extents.front().lba == attr.extents.front().lba)
            return make_error(Errc::corrupt, "directory loop: inode " + std::to_string(dir) +
                                                 " has the data of its ancestor, inode " + std::to_string(p));
    }
    return {};
}

// Bounded cache: the least recently used listings go first; the newest one
// stays even when it alone is over the limit.
void NodeTable::cache(uint64_t dir, std::shared_ptr<const Listing> listing) {
    m_cached_entries += listing->entries.size();
    while (m_cached_entries > m_cache_limit && !m_lru.empty()) {
        auto victim = m_listings.find(m_lru.back());
        m_cached_entries -= victim->second.listing->entries.size();
        m_listings.erase(victim);
        m_lru.pop_back();
    }
    m_lru.push_front(dir);
    m_listings[dir] = Cached{std::move(listing), m_lru.begin()};
}

Result<size_t> NodeTable::read(const NodeAttr& file, uint64_t offset, std::span<std::byte> out) {
    if (offset >= file.size) return size_t(0);
    size_t n = size_t(std::min<uint64_t>(out.size(), file.size - offset));
    std::lock_guard lock(m_mutex);
    return m_reader->read(file, offset, out.first(n));
}

NodeTable::Stats NodeTable::stats() {
    std::lock_guard lock(m_mutex);
    return {m_nodes.size() + 1, m_listings.size(), m_cached_entries};
}

}  // namespace dmfuse
