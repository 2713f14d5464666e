// A virtual partition (UDF 2.2.8, 2.2.11) for write-once sequential media
// (CD-R, DVD±R, BD-R): the entries live in a virtual partition mapped by a
// virtual allocation table (VAT) whose entry is the session's last block;
// nothing already written is ever rewritten. The descriptor sequences go
// before the partition (below start + 256); the partition, write-once,
// reaches the disc's end, and every session of a disc shares the first
// session's. The session pads itself to the drive's write unit and the
// medium's shortest track so that its VAT stays the last recorded block.
#include <algorithm>
#include <cstring>

#include "mastering/udf/partition_scheme.h"
#include "mastering/udf/partition_tables.h"

namespace mastering::udf {

namespace {

class VatPartition final : public PartitionScheme {
public:
    VatPartition(const UdfOptions& o, const FileSet& files) : PartitionScheme(o), m_files(files) {}

    void layout_head(model::Allocator& a, VolumeStructure& v) override { v.place_sequences(a); }

    Status set_start(uint32_t low) override {
        if (m_opt.partition_start) {
            // Every session of a VAT disc shares the first session's partition.
            if (*m_opt.partition_start > low)
                return make_error(Errc::corrupt, "the disc's UDF partition starts at block " +
                                                     std::to_string(*m_opt.partition_start) + ", after data it holds");
            low = *m_opt.partition_start;
        }
        m_start = low;
        return {};
    }

    Status layout_tail(model::Allocator& a, VolumeStructure&) override {
        uint32_t end = a.end();
        m_vat = encode(table());
        // The VAT: embedded in its entry when it fits, else in blocks before it.
        size_t header = m_opt.revision >= rev200 ? extended_file_entry_header : file_entry_header;
        m_vat_blocks = header + m_vat.size() <= block_size ? 0 : uint32_t((m_vat.size() + block_size - 1) / block_size);
        uint32_t length = end + m_vat_blocks + 1 - a.start();
        uint32_t unit = std::max<uint32_t>(1, m_opt.write_unit);
        uint32_t padded = std::max(length, m_opt.min_blocks);
        padded = (padded + unit - 1) / unit * unit;
        if (padded > length) {
            DM_TRY(a.reserve_at(end, padded - length, this, t_zeros));
            end += padded - length;
        }
        if (m_vat_blocks) m_vat_data = DM_TRY(a.reserve_at(end, m_vat_blocks, this, t_vat_data));
        m_vat_icb = DM_TRY(a.reserve_at(end + m_vat_blocks, 1, this, t_vat_icb));
        uint64_t part_end = std::max<uint64_t>(m_opt.medium_end, m_vat_icb + 1);
        m_blocks = uint32_t(part_end - m_start);
        return {};
    }

    uint32_t access() const override { return access_type::write_once; }

    std::vector<PartitionMap> maps() const override {
        PartitionMap v;
        v.kind = PartitionMap::Kind::virtual_;
        v.identifier = EntityId::udf(virtual_partition_ident, m_opt.revision);
        return {PartitionMap{}, v};
    }
    std::vector<uint32_t> partition_sizes() const override { return {m_blocks, m_files.blocks()}; }
    FileSetAddress file_set_address() const override { return {1, 0, m_start}; }

protected:
    Status fill(uint64_t tag, uint32_t index, std::byte* b) override {
        std::memset(b, 0, block_size);
        if (tag == t_vat_data) {
            size_t off = size_t(index) * block_size;
            if (off < m_vat.size()) std::memcpy(b, m_vat.data() + off, std::min<size_t>(block_size, m_vat.size() - off));
            return {};
        }
        bool v2 = m_opt.revision >= rev200;
        FileEntry f = system_entry(v2 ? FileType::vat20 : FileType::unspecified, m_vat_icb - m_start, m_vat.size());
        if (m_vat_blocks) {
            f.blocks = m_vat_blocks;
            f.allocation = short_ads(m_vat_data, m_vat.size());
        } else {
            f.icb.flags = uint16_t(AdForm::embedded);
            f.allocation = m_vat;
        }
        encode(f, b);
        return {};
    }

private:
    static constexpr uint64_t t_vat_data = 1, t_vat_icb = 2;

    // UDF 2.00+: a header, then one block per virtual block; 1.50: the
    // entries, then the identifier and the previous VAT. Each session maps
    // every entry, so no previous VAT is recorded.
    VirtualAllocationTable table() const {
        VirtualAllocationTable t;
        t.header = m_opt.revision >= rev200;
        t.logical_volume_id = m_opt.volume_name;
        t.files = uint32_t(std::min<uint64_t>(m_files.files(), UINT32_MAX));
        t.directories = uint32_t(std::min<uint64_t>(m_files.directories(), UINT32_MAX));
        t.min_read_revision = t.min_write_revision = t.max_write_revision = m_opt.revision;
        t.identifier = EntityId::udf(vat_ident, m_opt.revision);
        for (uint32_t v = 0; v < m_files.blocks(); ++v) t.entries.push_back(m_file_set_start - m_start + v);
        return t;
    }

    const FileSet& m_files;
    std::vector<std::byte> m_vat;
    uint32_t m_vat_blocks = 0, m_vat_data = 0, m_vat_icb = 0;
};

}  // namespace

std::unique_ptr<PartitionScheme> make_vat_partition(const UdfOptions& o, const FileSet& files) {
    return std::make_unique<VatPartition>(o, files);
}

}  // namespace mastering::udf
