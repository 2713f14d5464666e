// One ISO 9660-style directory hierarchy as a writer part: the primary tree
// (with Rock Ridge when asked, and relocation of directories deeper than 8
// levels with CL/PL/RE, xorriso-style into the root), the Joliet tree (UCS-2
// names) or the ISO 9660:1999 tree (relaxed names). Each writes its path
// tables, its directory extents and its Rock Ridge continuation areas; file
// records point at the shared file data (model::FileData).
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "mastering/iso9660/names.h"
#include "mastering/iso9660/structures.h"
#include "mastering/model/layout.h"

namespace mastering::iso9660 {

enum class HierarchyKind { primary, joliet, iso1999 };

struct HierarchyOptions {
    HierarchyKind kind = HierarchyKind::primary;
    NamePolicy names = NamePolicy::level2;
    bool rock_ridge = false;     // primary only
    bool multi_extent = true;    // files over 4 GiB as several sections (level 3+)
    int64_t now = 0;
};

class HierarchyPart final : public model::Part {
public:
    HierarchyPart(model::Tree& tree, const model::FileData& data, HierarchyOptions o)
        : m_tree(tree), m_data(data), m_opt(o) {}
    std::string_view name() const override;

    Status layout(model::Allocator& a);
    Status emit(uint64_t tag, uint32_t first, std::span<std::byte> out) override;

    // For the volume descriptor.
    DirectoryRecord root_record() const;
    uint32_t path_table_size() const { return m_path_table_size; }
    uint32_t l_path_table() const { return m_l_table; }
    uint32_t m_path_table() const { return m_m_table; }
    size_t directory_count() const { return m_dirs.size(); }

private:
    struct Dir {
        model::Node* node = nullptr;
        uint32_t parent = 0;          // hierarchy parent (index into m_dirs)
        uint32_t real_parent = 0;     // where the node really lives (differs when relocated)
        uint16_t depth = 1;
        bool relocated = false;
        std::string ident;            // identifier in the hierarchy parent
        std::vector<uint32_t> subdirs;       // hierarchy children
        std::vector<uint32_t> placeholders;  // relocated children whose CL record lives here
        uint32_t number = 0;          // path table number (1-based)
        uint32_t lba = 0, size = 0;   // extent
        uint32_t ce_lba = 0, ce_blocks = 0;
    };
    enum class EntryKind : uint8_t { file, dir, placeholder, relocated_dir, symlink, special };
    struct Entry {
        model::Node* node;
        EntryKind kind;
        uint32_t dir;  // dir index for dir/placeholder/relocated_dir
    };
    struct Built {
        std::vector<std::byte> extent;      // the directory's records, block-padded
        std::vector<std::byte> ce_area;     // its continuation areas
        uint32_t ce_bytes = 0;
    };
    struct Record {  // a directory record and its system use entries before placing
        DirectoryRecord r;
        std::vector<std::string> sua;
    };

    bool include(const model::Node* n) const;
    std::vector<Entry> entries_of(uint32_t d) const;
    Status build_structure();
    Result<Built> build_directory(uint32_t d, bool sizing) const;
    void dot_records(uint32_t d, std::vector<Record>& recs) const;
    Status entry_records(uint32_t d, std::vector<Record>& recs) const;
    Status file_records(const Record& base, const model::Node* n, std::vector<Record>& recs) const;
    Built place_records(const Dir& dir, std::vector<Record>& recs, bool sizing) const;
    std::vector<std::byte> build_path_table(bool big_endian) const;

    model::Tree& m_tree;
    const model::FileData& m_data;
    HierarchyOptions m_opt;
    std::vector<Dir> m_dirs;          // index 0 is the root; numbered order after layout
    std::unordered_map<const model::Node*, uint32_t> m_dir_of;
    std::vector<uint32_t> m_relocated;  // dirs moved into the root
    uint32_t m_path_table_size = 0, m_l_table = 0, m_m_table = 0;
    // Emission cache: the last built directory.
    mutable uint64_t m_cache_dir = UINT64_MAX;
    mutable Built m_cache;
    mutable std::vector<std::byte> m_pt_cache[2];
};

}  // namespace mastering::iso9660
