// A metadata partition (UDF 2.50 2.2.10, 2.2.13) over a physical or
// sparable partition: the file set lives in the metadata file, whose entry
// the metadata partition map names, and again in its mirror. The partition
// is read-only, so it has no metadata bitmap file (UDF 2.50 errata,
// DCN-5102). The files' entries and their alignment follow the packets of
// the partition beneath.
#include <cstring>

#include "mastering/udf/partition_scheme.h"

namespace mastering::udf {

namespace {

class MetadataPartition final : public PartitionScheme {
public:
    MetadataPartition(const UdfOptions& o, const FileSet& files, std::unique_ptr<PartitionScheme> base)
        : PartitionScheme(o), m_files(files), m_base(std::move(base)) {}

    uint32_t packet() const override { return m_base->packet(); }

    // The two entries, then the metadata file and its mirror, each starting a packet.
    void place_file_set(model::Allocator& a, FileSet& files) override {
        align_to_packet(a);
        m_entry = a.reserve(1, this, t_entry);
        m_mirror_entry = a.reserve(1, this, t_mirror_entry);
        align_to_packet(a);
        m_file_set_start = a.reserve(files.blocks(), &files, 0);
        align_to_packet(a);
        m_mirror = a.reserve(files.blocks(), &files, 0);
    }
    uint32_t lowest_own_block() const override { return m_entry; }

    Status set_start(uint32_t low) override {
        DM_TRY(m_base->set_start(low));
        m_start = m_base->start();
        return {};
    }
    Status layout_tail(model::Allocator& a, VolumeStructure& v) override {
        DM_TRY(m_base->layout_tail(a, v));
        m_blocks = m_base->blocks();
        return {};
    }

    uint32_t access() const override { return m_base->access(); }
    std::vector<PartitionMap> maps() const override {
        auto maps = m_base->maps();
        PartitionMap m;
        m.kind = PartitionMap::Kind::metadata;
        m.identifier = EntityId::udf(metadata_partition_ident, m_opt.revision);
        m.metadata_file = m_entry - m_start;
        m.mirror_file = m_mirror_entry - m_start;
        m.bitmap_file = 0xFFFFFFFFu;  // no bitmap: the partition is read-only
        m.allocation_unit = 32;
        m.alignment_unit = uint16_t(packet());  // the packet, if any
        // Duplicate Metadata Flag (2.2.10): the mirror holds the metadata
        // file's bytes (the file set emits both alike), as 2.2.13 asks of a
        // mirror when the flag is set; readers may then use either.
        m.flags = 1;
        maps.push_back(m);
        return maps;
    }
    std::vector<uint32_t> partition_sizes() const override { return {m_blocks, m_files.blocks()}; }
    FileSetAddress file_set_address() const override { return {1, 0, m_start}; }

protected:
    Status fill(uint64_t tag, uint32_t, std::byte* b) override {
        bool mirror = tag == t_mirror_entry;
        uint64_t bytes = uint64_t(m_files.blocks()) * block_size;
        FileEntry f = system_entry(mirror ? FileType::metadata_mirror : FileType::metadata,
                                   (mirror ? m_mirror_entry : m_entry) - m_start, bytes);
        f.blocks = m_files.blocks();
        f.allocation = short_ads(mirror ? m_mirror : m_file_set_start, bytes);
        if (f.encoded_size() > block_size) return make_error(Errc::unsupported, "UDF metadata file too large for its entry");
        std::memset(b, 0, block_size);
        encode(f, b);
        return {};
    }

private:
    static constexpr uint64_t t_entry = 1, t_mirror_entry = 2;
    const FileSet& m_files;
    std::unique_ptr<PartitionScheme> m_base;
    uint32_t m_entry = 0, m_mirror_entry = 0, m_mirror = 0;
};

}  // namespace

std::unique_ptr<PartitionScheme> make_metadata_partition(const UdfOptions& o, const FileSet& files,
                                                         std::unique_ptr<PartitionScheme> base) {
    return std::make_unique<MetadataPartition>(o, files, std::move(base));
}

}  // namespace mastering::udf
