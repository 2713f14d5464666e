// The volume descriptor set at session start + 16 (ECMA-119 8): the PVD of the
// primary hierarchy, a boot record if the session is bootable, the enhanced
// descriptor of an ISO 9660:1999 tree, the Joliet SVD, the terminator — and
// blocks other parts append after it (UDF's volume recognition sequence).
// The volume space size is the session's own size, as libisofs writes it;
// the copy at LBA 0–31 of an image file carries the total instead
// (superblock()).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "mastering/iso9660/hierarchy.h"
#include "mastering/model/layout.h"

namespace mastering::iso9660 {

struct VolumeInfo {
    std::string volume_name;
    std::string system_id = "LINUX";
    std::string application_id = "DISCMASTER";
    std::string preparer_id = "DISCMASTER";
    int64_t now = 0;
};

class DescriptorPart final : public model::Part {
public:
    DescriptorPart(VolumeInfo info, const HierarchyPart* primary, const HierarchyPart* iso1999,
                   const HierarchyPart* joliet)
        : m_info(std::move(info)), m_primary(primary), m_iso1999(iso1999), m_joliet(joliet) {}
    std::string_view name() const override { return "volume descriptors"; }

    // A boot record (ECMA-119 8.2) right after the primary descriptor, at
    // block 17 where El Torito firmware reads it; `fill` writes its block.
    void set_boot_record(std::function<void(std::byte*)> fill) { m_boot_record = std::move(fill); }
    // Extra 2048-byte descriptor blocks after the terminator (e.g. UDF VRS).
    void append_after_terminator(std::function<void(std::byte*)> block) { m_after.push_back(std::move(block)); }
    // Reserves [start + 16, ...). Call first, before the hierarchies lay out.
    Status layout(model::Allocator& a);
    void set_session_blocks(uint32_t blocks) { m_session_blocks = blocks; }

    Status emit(uint64_t tag, uint32_t first, std::span<std::byte> out) override;
    // Blocks 0..31 of an image file: 16 zero blocks, then this set with the
    // volume space size set to `total_blocks`, zeros up to 32 blocks.
    std::vector<std::byte> superblock(uint32_t total_blocks) const;
    uint32_t descriptor_blocks() const;

private:
    void fill(uint32_t index, std::byte* block, uint32_t space) const;

    VolumeInfo m_info;
    const HierarchyPart* m_primary;
    const HierarchyPart* m_iso1999;
    const HierarchyPart* m_joliet;
    std::function<void(std::byte*)> m_boot_record;
    std::vector<std::function<void(std::byte*)>> m_after;
    uint32_t m_session_blocks = 0;
};

}  // namespace mastering::iso9660
