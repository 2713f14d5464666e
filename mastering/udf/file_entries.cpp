// The file set's entries (FileSet, file_set.h): the (extended) file entry
// of each node and the allocation extent descriptors that continue a
// file's extents.
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cstring>

#include "mastering/udf/file_set.h"

namespace mastering::udf {

using model::Node;

namespace {

constexpr size_t k_aed_capacity = (block_size - allocation_extent_header) / long_ad_bytes;

FileType file_type_of(const Node* n) {
    switch (n->mode & S_IFMT) {
    case S_IFDIR: return FileType::directory;
    case S_IFLNK: return FileType::symlink;
    case S_IFBLK: return FileType::block_device;
    case S_IFCHR: return FileType::char_device;
    case S_IFIFO: return FileType::fifo;
    case S_IFSOCK: return FileType::socket;
    default: return FileType::regular;
    }
}

// POSIX permissions in ECMA-167's 5-bit groups (4/14.9.5): other, group, owner.
uint32_t udf_permissions(uint32_t mode) { return (mode & 07) | ((mode & 070) << 2) | ((mode & 0700) << 4); }

uint16_t icb_flags(uint32_t mode, AdForm form) {
    uint16_t f = uint16_t(form);
    if (mode & S_ISUID) f |= icb_flag::setuid;
    if (mode & S_ISGID) f |= icb_flag::setgid;
    if (mode & S_ISVTX) f |= icb_flag::sticky;
    return f;
}

std::vector<std::byte> ad_bytes(std::span<const LongAd> ads) {
    std::vector<std::byte> out(ads.size() * long_ad_bytes);
    encode_ads(ads, AdForm::long_ad, out.data());
    return out;
}

}  // namespace

// The entry's value: the node's attributes, then its allocation: a
// directory's identifiers, a file's extents (continued in allocation extent
// descriptors when they do not fit), or its bytes embedded (a small file of
// a UDF-only session, a symlink's path); a device's numbers as an extended attribute.
Result<FileEntry> FileSet::entry_of(const Node* n, uint32_t lbn) const {
    FileEntry f;
    f.tag = tag_at(lbn);
    f.extended = extended();
    f.icb.file_type = file_type_of(n);
    f.icb.flags = icb_flags(n->mode, AdForm::long_ad);
    f.uid = n->uid;
    f.gid = n->gid;
    f.permissions = udf_permissions(n->mode);
    f.unique_id = unique_id(n);
    f.access = {n->atime, 0};
    f.modification = {n->mtime, 0};
    f.creation = {std::min(n->mtime, n->ctime), 0};
    f.attribute = {n->ctime, 0};
    f.implementation = EntityId::implementation();
    uint32_t rel = m_entry_of_ino[n->ino];
    if (n->is_dir()) {
        uint16_t subdirs = 0;
        for (const Node* c : *n->children)
            if (c->is_dir() && subdirs < 0xFFFE) ++subdirs;
        f.links = uint16_t(1 + subdirs);
        f.size = directory_bytes(n);
        f.blocks = (f.size + block_size - 1) / block_size;
        const LongAd ad{uint32_t(f.size), extent_type::recorded, m_address.lbn(rel + 1), m_address.partition};
        f.allocation = ad_bytes(std::span(&ad, 1));
    } else if (n->is_file() && n->content && m_data.embedded(*n->content)) {
        f.allocation.resize(size_t(n->content->size));
        DM_TRY(m_data.read_embedded(*n->content, f.allocation));
        f.size = f.allocation.size();
        f.icb.flags = icb_flags(n->mode, AdForm::embedded);
    } else if (n->is_file()) {
        f.size = n->size();
        auto ads = extent_ads(m_data.placement(*n), m_address.data_partition_start);
        for (const auto& ad : ads)
            if (ad.type == extent_type::recorded) f.blocks += (ad.length + block_size - 1) / block_size;
        if (ads.size() > ads_in_entry()) {
            ads.resize(ads_in_entry() - 1);  // the rest follow in allocation extent descriptors
            ads.push_back(LongAd{block_size, extent_type::next_extent, m_address.lbn(rel + 1), m_address.partition});
        }
        f.allocation = ad_bytes(ads);
    } else if (n->is_symlink()) {
        f.allocation = encode(path_components(n->symlink_target()));
        f.size = f.allocation.size();
        f.icb.flags = icb_flags(n->mode, AdForm::embedded);
    } else if (S_ISCHR(n->mode) || S_ISBLK(n->mode)) {
        ExtendedAttributes ea;
        ea.tag = tag_at(lbn);
        ea.attributes.push_back(device_specification({uint32_t(major(n->rdev())), uint32_t(minor(n->rdev()))}));
        ea.implementation_location = ea.application_location = uint32_t(ea.encoded_size());  // none of either
        f.extended_attributes.resize(ea.encoded_size());
        encode(ea, f.extended_attributes.data());
    }
    // Hard links: every name of the file counts.
    if (!n->is_dir()) f.links = std::max<uint16_t>(1, m_links_of_ino[n->ino]);
    if (f.extended) f.object_size = f.size;
    return f;
}

Status FileSet::fill_entry(const Node* n, uint32_t lbn, std::byte* b) const {
    FileEntry f = DM_TRY(entry_of(n, lbn));
    if (f.encoded_size() > block_size)
        return make_error(Errc::internal, "UDF entry of " + model::Tree::path_of(n) + " does not fit its block");
    std::memset(b, 0, block_size);
    encode(f, b);
    return {};
}

// Block j of a file's allocation extent descriptors: the descriptors from
// ads_in_entry() - 1 + j * (k_aed_capacity - 1) on, and a pointer to the
// next block unless it is the last.
Status FileSet::fill_aed(const Item& item, uint32_t j, std::byte* b) const {
    std::memset(b, 0, block_size);
    auto ads = extent_ads(m_data.placement(*item.node), m_address.data_partition_start);
    size_t first = ads_in_entry() - 1 + size_t(j) * (k_aed_capacity - 1);
    bool last = j + 2 == item.blocks;
    size_t count = std::min(ads.size() - std::min(ads.size(), first), last ? k_aed_capacity : k_aed_capacity - 1);
    std::vector<LongAd> here(ads.begin() + std::ptrdiff_t(std::min(ads.size(), first)),
                             ads.begin() + std::ptrdiff_t(std::min(ads.size(), first) + count));
    if (!last)
        here.push_back(LongAd{block_size, extent_type::next_extent, m_address.lbn(item.block + 2 + j), m_address.partition});
    uint32_t lbn = m_address.lbn(item.block + 1 + j);
    AllocationExtent d;
    d.tag = tag_at(lbn);
    d.previous = j == 0 ? m_address.lbn(item.block) : lbn - 1;  // the entry or the block before
    d.descriptors = ad_bytes(here);
    encode(d, b);
    return {};
}

}  // namespace mastering::udf
