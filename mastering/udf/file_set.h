// The file set of a UDF session as written: its metadata area holds the file
// set descriptor and its terminator, then per directory (breadth first) its
// entry and its file identifiers, then the entries of its other children
// (one per inode: hard links share it), a file with more extents than its
// entry holds followed by allocation extent descriptors. Entries point at
// the same data extents as the ISO 9660 and Joliet trees (the bridge); a
// file that fits its entry (UDF-only sessions) is embedded in it. Where the
// area lies and how its blocks are addressed is the partition scheme's
// choice (set_address); both copies of a metadata partition emit alike.
#pragma once

#include <vector>

#include "mastering/model/layout.h"
#include "mastering/udf/file_descriptors.h"
#include "mastering/udf/options.h"

namespace mastering::udf {

// How the file set's blocks are addressed: block `rel` of the area is
// logical block first_lbn + rel of partition reference `partition`; file
// data lie in partition reference 0, which starts at `data_partition_start`.
struct FileSetAddress {
    uint16_t partition = 0;
    uint32_t first_lbn = 0;
    uint32_t data_partition_start = 0;
    uint32_t lbn(uint32_t rel) const { return first_lbn + rel; }
};

class FileSet final : public model::Part {
public:
    FileSet(model::Tree& tree, const model::FileData& data, const UdfOptions& o) : m_tree(tree), m_data(data), m_opt(o) {}
    std::string_view name() const override { return "UDF"; }

    // The largest file embedded in its entry (UDF-only sessions).
    static uint64_t embed_limit(uint16_t revision) {
        return block_size - (revision >= rev200 ? extended_file_entry_header : file_entry_header);
    }

    // Orders the area (before any of it is placed): its size and counts.
    Status plan();
    uint32_t blocks() const { return m_blocks; }
    uint64_t files() const { return m_files; }
    uint64_t directories() const { return m_dirs; }
    uint64_t next_unique_id() const { return 16 + m_max_ino + 1; }
    // After the file data are placed: every entry fits its block.
    Status check_fit() const;
    // The lowest block a file's data lie in, if below `limit`; else `limit`.
    uint64_t lowest_data_block(uint64_t limit) const;

    void set_address(const FileSetAddress& a) { m_address = a; }
    // Where the file set descriptor is, as the logical volume descriptor records it.
    LongAd descriptor_location() const;
    Status emit(uint64_t tag, uint32_t first, std::span<std::byte> out) override;

private:
    struct Item {
        const model::Node* node;  // nullptr: the file set descriptor (and its terminator)
        uint32_t block;           // first block, relative to the area
        uint32_t blocks;
    };
    DescriptorTag tag_at(uint32_t lbn) const { return {descriptor_version(m_opt.revision), 1, lbn}; }
    bool extended() const { return m_opt.revision >= rev200; }
    size_t ads_in_entry() const;
    uint64_t unique_id(const model::Node* n) const;
    LongAd icb_of(const model::Node* n) const;
    // The file identifiers of a directory's children (CS0, unique within it).
    std::vector<std::string> child_names(const model::Node* dir) const;
    uint32_t directory_bytes(const model::Node* dir) const;
    uint32_t aed_blocks(const model::Node& n) const;
    Status fill(uint32_t rel, std::byte* block);
    void fill_descriptor(uint32_t index, std::byte* block) const;
    Status build_directory(const model::Node* dir, std::vector<std::byte>& out) const;
    Result<FileEntry> entry_of(const model::Node* n, uint32_t lbn) const;
    Status fill_entry(const model::Node* n, uint32_t lbn, std::byte* block) const;
    Status fill_aed(const Item& item, uint32_t j, std::byte* block) const;

    model::Tree& m_tree;
    const model::FileData& m_data;
    const UdfOptions& m_opt;
    FileSetAddress m_address;
    std::vector<Item> m_items;             // the area in block order
    std::vector<uint32_t> m_entry_of_ino;  // node ino -> relative block of its entry
    std::vector<uint16_t> m_links_of_ino;  // names of each file (hard links)
    uint32_t m_blocks = 0;
    uint64_t m_files = 0, m_dirs = 0, m_max_ino = 0;
    // Emission cache: the last directory built.
    const model::Node* m_cache_dir = nullptr;
    std::vector<std::byte> m_cache;
};

}  // namespace mastering::udf
