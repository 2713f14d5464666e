// The file data of a session: collects the Contents of the tree, stores
// identical ones once (same size, then the same XXH3-128 digest of the first
// 64 KiB, then the same bytes, compared), numbers inodes (hard links share one), reserves the blocks
// of new data and produces them when the stream reaches them. Imported data
// stay where they are on the medium.
#pragma once

#include <string>
#include <vector>

#include "mastering/model/layout.h"
#include "mastering/os/file.h"

namespace mastering::image {

class FileDataPart final : public model::Part, public model::FileData {
public:
    FileDataPart(model::Tree& tree, model::EmitContext& ctx) : m_tree(tree), m_ctx(ctx) {}
    std::string_view name() const override { return "file data"; }

    // Collect, dedup and number; call before any hierarchy part lays out.
    // New contents of at most `embed_limit` bytes get no blocks: a UDF-only
    // session embeds them in their file entries (embedded() says which).
    Status prepare(bool dedup, uint64_t embed_limit = 0);
    bool embedded(const model::Content& c) const override {
        return c.kind != model::ContentKind::medium && c.size > 0 && c.size <= m_embed_limit;
    }
    Status read_embedded(const model::Content& c, std::span<std::byte> out) const override;
    // Reserve the blocks of new data.
    void layout(model::Allocator& a);

    std::vector<model::Extent> placement(const model::Node& n) const override;
    Status emit(uint64_t tag, uint32_t first, std::span<std::byte> out) override;

    // For the stream's copy_file_range path: the host file behind piece `tag`
    // (nullptr if the piece is not a host file), opened and checked.
    const model::Content* content_of(uint64_t tag) const { return tag < m_stored.size() ? m_stored[tag] : nullptr; }
    Result<int> open_checked(const model::Content& c, bool check_size = true);
    // A host file's content opened for reading ("cannot read PATH: ..." on error).
    static Result<os::Fd> open_host_file(const model::Content& c);
    std::string describe(uint64_t tag) const;
    // Reads the whole of a small host file into `out` (at least its size)
    // and checks that it still has the size it had when it was added.
    static Status read_small_host_file(const model::Content& c, std::span<std::byte> out);
    // The error for a host file whose size is no longer the one it was added with.
    static Error size_changed(const model::Content& c);

    uint64_t new_data_blocks() const { return m_new_blocks; }
    uint64_t files() const { return m_files; }
    uint64_t directories() const { return m_dirs; }

private:
    model::Tree& m_tree;
    model::EmitContext& m_ctx;
    std::vector<model::Content*> m_stored;        // leaders with new data, in layout order
    std::vector<const model::Node*> m_first_node; // a name for each stored content (progress, errors)
    uint64_t m_new_blocks = 0;
    uint64_t m_files = 0, m_dirs = 0;
    uint64_t m_embed_limit = 0;
    // The host file currently open for emission.
    const model::Content* m_open = nullptr;
    os::Fd m_fd;
    bool m_open_checked = false;
    uint32_t m_last_tag_reported = UINT32_MAX;
};

}  // namespace mastering::image
