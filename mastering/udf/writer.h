// The UDF writer part (ECMA-167 / OSTA UDF 1.02, 1.50, 2.01, 2.50): the
// volume recognition sequence, anchors at session start + 256 and at the
// session's last block, main and reserve volume descriptor sequences, the
// logical volume integrity descriptor, and the file set: file set descriptor,
// (extended) file entries and directories of file identifiers. File entries
// point at the same data extents as the ISO 9660 and Joliet trees (the
// bridge). One physical partition, read-only access type as IMAPI2 records
// it, from the lowest block a file entry refers to (in an appended session:
// the oldest kept file, so earlier sessions' files stay addressable) up to
// the volume descriptor sequences, which follow it; the closing anchor is
// the session's last block. UDF 2.50 puts every directory and file entry
// into a metadata partition (metadata file and its mirror); its partition
// is read-only, so it has no metadata bitmap file (UDF 2.50 errata, DCN-5102).
//
// Rewritable media without defect management of their own, written in fixed
// packets (CD-RW, DVD-RW in restricted overwrite), get a sparable partition
// instead of the physical one (UDF 1.50+, 2.2.9 and 2.2.12), laid out as
// mkudffs lays out a CD-RW: the partition starts and ends on packet
// boundaries, a spare area of 1024 blocks lies outside it, and two copies of
// the sparing table (every spare packet available) lie apart: before the
// spare area and between the reserve sequence and the closing anchor (the
// session ends on a packet boundary). mkudffs puts the first copy before
// block 256; ours follows the partition, since an appended session's
// partition reaches back into the sessions before it.
//
// Layout order: layout_head() before the ISO hierarchies (it takes the fixed
// anchor blocks), layout_entries() after them and before the file data (the
// entries follow block start + 256, as genisoimage places them, so that a
// first session's partition holds nothing but UDF's own), layout_tail()
// after everything else.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mastering/media/profile.h"
#include "mastering/model/layout.h"

namespace mastering::udf {

struct UdfOptions {
    uint16_t revision = 0x0201;
    std::string volume_name;
    int64_t now = 0;
    bool own_vrs = false;  // no ISO 9660 descriptors: write BEA01/NSR/TEA01 at start + 16 ourselves
    // Write-once sequential media (CD-R, DVD±R, BD-R): entries live in a
    // virtual partition mapped by a virtual allocation table (VAT), whose
    // entry is the session's last block; nothing already written is ever
    // rewritten. Needs 1.50 or later.
    bool vat = false;
    uint64_t medium_end = 0;                // the disc's capacity: the partition reaches it (VAT)
    // The drive pads a closed track to this many blocks (16 on DVD, 32 on BD):
    // a VAT session pads itself so that its VAT stays the last recorded block.
    uint32_t write_unit = 1;
    uint32_t min_blocks = 0;  // and to the shortest track the medium takes (300 on CD)
    std::optional<uint32_t> partition_start; // the disc's partition, from its first session (VAT)
    // A sparable partition with packets of this many blocks (32 on CD-RW,
    // 16 on DVD-RW); 0: a physical partition. Needs 1.50 or later, not a VAT.
    uint16_t sparable_packet = 0;
};

// The packet length of a sparable partition on a medium of this family: one
// ECC block (16) on DVD, 32 blocks on CD (as mkudffs 2.3 --media-type=dvdrw / cdrw).
uint16_t sparable_packet_for(media::Family family);
// A user's --udf-partition: "physical" (0) or "sparable" (the packet length
// for `family`); a clear error for anything else.
Result<uint16_t> parse_partition(std::string_view kind, media::Family family);

class UdfPart final : public model::Part {
public:
    UdfPart(model::Tree& tree, const model::FileData& data, UdfOptions o);
    std::string_view name() const override { return "UDF"; }

    // The largest file embedded in its entry (UDF-only sessions).
    static uint64_t embed_limit(uint16_t revision) { return model::block_bytes - (revision >= 0x0200 ? 216 : 176); }
    // Which contents the file data part left to be embedded.
    void set_embedded(std::function<bool(const model::Content&)> f) { m_embedded = std::move(f); }

    // The volume recognition sequence (3 blocks) after the ISO 9660 terminator.
    static void vrs_block(uint32_t index, uint16_t revision, std::byte* block);

    Status layout_head(model::Allocator& a);
    Status layout_entries(model::Allocator& a);
    Status layout_tail(model::Allocator& a);
    Status emit(uint64_t tag, uint32_t first, std::span<std::byte> out) override;

    // The anchor for absolute block 256 of a plain image file (where readers
    // without a TOC look first): it points at this session's descriptors.
    std::vector<std::byte> image_anchor() const;
    // Our own VRS for images without ISO 9660 (the LBA 16 copy of an image file).
    bool own_vrs() const { return m_opt.own_vrs; }
    uint16_t revision() const { return m_opt.revision; }

private:
    struct Item {
        const model::Node* node;  // nullptr: the file set descriptor (and its terminator)
        uint32_t block;           // first block, relative to the metadata area
        uint32_t blocks;
    };
    enum Tag : uint64_t {
        t_anchor_session, t_anchor_image, t_anchor_end, t_main_vds, t_reserve_vds, t_integrity, t_meta, t_mirror,
        t_meta_fe, t_mirror_fe, t_vrs, t_pad, t_vat_data, t_vat_icb, t_sparing_main, t_sparing_copy,
    };
    bool vat() const { return m_opt.vat; }
    bool sparable() const { return m_opt.sparable_packet != 0; }
    uint32_t packet() const { return sparable() ? m_opt.sparable_packet : 1; }
    // Pads the allocation up to the next packet boundary (absolute blocks).
    void align_to_packet(model::Allocator& a);
    // Reserves blocks from `end` (the allocation's end) so that `then` more
    // blocks after them end on a packet boundary.
    Status pad_to_packet(model::Allocator& a, uint32_t& end, uint32_t then = 0);
    void fill_sparing_table(uint32_t location, std::byte* block) const;
    bool metadata_partition() const { return m_opt.revision >= 0x0250 && !vat(); }
    uint16_t desc_version() const { return m_opt.revision >= 0x0200 ? 3 : 2; }
    bool extended_entries() const { return m_opt.revision >= 0x0200; }
    uint16_t meta_ref() const { return metadata_partition() || vat() ? 1 : 0; }
    // Logical block (in the metadata or virtual partition, or the physical
    // one) of a block of the metadata area.
    uint32_t meta_lbn(uint32_t rel) const {
        return metadata_partition() || vat() ? rel : m_meta_start - m_part_start + rel;
    }
    std::vector<std::byte> vat_bytes() const;
    void fill_vat_icb(std::byte* block) const;
    bool include(const model::Node* n) const;
    uint64_t unique_id(const model::Node* n) const;
    // The file identifiers of a directory's children (CS0, unique within it).
    std::vector<std::string> child_names(const model::Node* dir) const;
    uint32_t directory_bytes(const model::Node* dir) const;
    Status build_directory(const model::Node* dir, uint32_t first_lbn, std::vector<std::byte>& out) const;
    Status fill_entry(const model::Node* n, uint32_t lbn, std::byte* block) const;
    Result<std::string> embedded_bytes(const model::Content& c) const;
    size_t ads_in_entry() const;
    uint32_t aed_blocks(const model::Node& n) const;
    Status fill_aed(const Item& item, uint32_t j, std::byte* block) const;
    void fill_system_entry(uint64_t tag, std::byte* block) const;
    void fill_vds(uint32_t base, uint32_t index, std::byte* block) const;
    void fill_anchor(uint32_t location, std::byte* block) const;
    void fill_integrity(uint32_t index, std::byte* block) const;
    void fill_file_set(uint32_t index, std::byte* block) const;
    Status fill_meta(uint32_t rel, std::byte* block);

    model::Tree& m_tree;
    const model::FileData& m_data;
    UdfOptions m_opt;
    std::vector<Item> m_items;               // the metadata area in block order
    std::vector<uint32_t> m_entry_of_ino;    // node ino -> relative block of its entry
    std::vector<uint16_t> m_links_of_ino;    // names of each file (hard links)
    uint32_t m_meta_start = 0, m_meta_blocks = 0, m_mirror_start = 0;
    uint32_t m_meta_fe = 0, m_mirror_fe = 0;
    uint32_t m_session_start = 0, m_main_vds = 0, m_reserve_vds = 0, m_integrity = 0;
    uint32_t m_end_anchor = 0;
    uint32_t m_part_start = 0, m_part_blocks = 0;
    uint32_t m_vat_data = 0, m_vat_blocks = 0, m_vat_icb = 0;  // VAT: its data (if not embedded) and entry
    uint32_t m_sparing[2] = {0, 0}, m_spare_start = 0;         // sparable: the tables and the spare area
    std::vector<std::byte> m_vat_cache;
    std::function<bool(const model::Content&)> m_embedded;
    uint64_t m_files = 0, m_dirs = 0, m_max_ino = 0;
    // Emission cache: the last directory built.
    const model::Node* m_cache_dir = nullptr;
    std::vector<std::byte> m_cache;
};

}  // namespace mastering::udf
