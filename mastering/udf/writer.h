// The UDF writer part (ECMA-167 / OSTA UDF 1.02, 1.50, 2.01, 2.50). It lays
// a session out with three parts of its own: the volume structure
// (volume_structure.h: recognition sequence, anchors at session start + 256
// and at the session's end, main and reserve volume descriptor sequences,
// the integrity sequence), the file set (file_set.h: file set descriptor,
// (extended) file entries and directories of file identifiers, sharing the
// data extents of the ISO 9660 and Joliet trees in a bridge), and one
// partition scheme (partition_scheme.h: physical, sparable, VAT, or
// metadata over physical or sparable), chosen from the options. The bytes
// of files embedded in their entries come through the FileData.
//
// Layout order: layout_head() before the ISO hierarchies (it takes the fixed
// anchor blocks), layout_entries() after them and before the file data (the
// entries follow block start + 256, as genisoimage places them, so that a
// first session's partition holds nothing but UDF's own), layout_tail()
// after everything else.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "mastering/media/profile.h"
#include "mastering/model/layout.h"
#include "mastering/udf/options.h"

namespace mastering::udf {

class VolumeStructure;
class FileSet;
class PartitionScheme;

// The packet length of a sparable partition on a medium of this family: one
// ECC block (16) on DVD, 32 blocks on CD (as mkudffs 2.3 --media-type=dvdrw / cdrw).
uint16_t sparable_packet_for(media::Family family);
// A user's --udf-partition: "physical" (0) or "sparable" (the packet length
// for `family`); a clear error for anything else.
Result<uint16_t> parse_partition(std::string_view kind, media::Family family);

class UdfPart final : public model::Part {
public:
    UdfPart(model::Tree& tree, const model::FileData& data, UdfOptions o);
    ~UdfPart() override;
    std::string_view name() const override { return "UDF"; }

    // The largest file embedded in its entry (UDF-only sessions).
    static uint64_t embed_limit(uint16_t revision);

    // The volume recognition sequence (3 blocks) after the ISO 9660 terminator.
    static void vrs_block(uint32_t index, uint16_t revision, std::byte* block);

    Status layout_head(model::Allocator& a);
    Status layout_entries(model::Allocator& a);
    Status layout_tail(model::Allocator& a);
    // The padding that steps the file set past the anchor at start + 256.
    Status emit(uint64_t tag, uint32_t first, std::span<std::byte> out) override;

    // The anchor for absolute block 256 of a plain image file (where readers
    // without a TOC look first): it points at this session's descriptors.
    std::vector<std::byte> image_anchor() const;
    // Our own VRS for images without ISO 9660 (the LBA 16 copy of an image file).
    bool own_vrs() const { return m_opt.own_vrs; }
    uint16_t revision() const { return m_opt.revision; }

private:
    UdfOptions m_opt;
    std::unique_ptr<VolumeStructure> m_volume;
    std::unique_ptr<FileSet> m_files;
    std::unique_ptr<PartitionScheme> m_partition;
};

}  // namespace mastering::udf
