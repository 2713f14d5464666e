#include "mastering/iso9660/descriptor_part.h"

#include <cstring>

#include "mastering/joliet/names.h"

namespace mastering::iso9660 {

uint32_t DescriptorPart::descriptor_blocks() const {
    return 1 + (m_boot_record ? 1 : 0) + (m_iso1999 ? 1 : 0) + (m_joliet ? 1 : 0) + 1 + uint32_t(m_after.size());
}

Status DescriptorPart::layout(model::Allocator& a) {
    DM_TRY(a.reserve_at(a.start() + 16, descriptor_blocks(), this, 0));
    return {};
}

void DescriptorPart::fill(uint32_t index, std::byte* block, uint32_t space) const {
    auto hier_vd = [&](const HierarchyPart* h, VolumeDescriptor& vd) {
        vd.volume_space_size = space;
        vd.root = h->root_record();
        vd.path_table_size = h->path_table_size();
        vd.l_path_table = h->l_path_table();
        vd.m_path_table = h->m_path_table();
        vd.created = vd.modified = vd.effective = m_info.now;
    };
    uint32_t i = 0;
    if (index == i++) {
        VolumeDescriptor vd;
        vd.type = VdType::primary;
        vd.system_id = m_info.system_id;
        vd.volume_id = volume_identifier(m_info.volume_name);
        vd.volume_set_id = vd.volume_id;
        vd.preparer_id = m_info.preparer_id;
        vd.application_id = m_info.application_id;
        hier_vd(m_primary, vd);
        encode_volume_descriptor(vd, block);
        return;
    }
    if (m_boot_record && index == i++) {
        m_boot_record(block);
        return;
    }
    if (m_iso1999 && index == i++) {
        VolumeDescriptor vd;
        vd.type = VdType::supplementary;  // the enhanced volume descriptor: version 2
        vd.version = 2;
        vd.file_structure_version = 2;
        vd.system_id = m_info.system_id;
        vd.volume_id = m_info.volume_name;
        vd.volume_set_id = vd.volume_id;
        vd.preparer_id = m_info.preparer_id;
        vd.application_id = m_info.application_id;
        hier_vd(m_iso1999, vd);
        encode_volume_descriptor(vd, block);
        return;
    }
    if (m_joliet && index == i++) {
        VolumeDescriptor vd;
        vd.type = VdType::supplementary;
        vd.escape_sequences = std::string(joliet::escape_level3);
        vd.system_id = joliet::padded_text(m_info.system_id, 32);
        vd.volume_id = joliet::padded_text(m_info.volume_name, 32);
        vd.volume_set_id = joliet::padded_text(m_info.volume_name, 128);
        vd.preparer_id = joliet::padded_text(m_info.preparer_id, 128);
        vd.application_id = joliet::padded_text(m_info.application_id, 128);
        vd.publisher_id = joliet::padded_text("", 128);
        vd.copyright_file = joliet::padded_text("", 37);
        vd.abstract_file = joliet::padded_text("", 37);
        vd.bibliographic_file = joliet::padded_text("", 37);
        hier_vd(m_joliet, vd);
        encode_volume_descriptor(vd, block);
        return;
    }
    if (index == i++) {
        encode_terminator(block);
        return;
    }
    uint32_t k = index - i;
    std::memset(block, 0, block_size);
    if (k < m_after.size()) m_after[k](block);
}

Status DescriptorPart::emit(uint64_t, uint32_t first, std::span<std::byte> out) {
    for (uint32_t b = 0; b < out.size() / block_size; ++b) fill(first + b, out.data() + size_t(b) * block_size, m_session_blocks);
    return {};
}

std::vector<std::byte> DescriptorPart::superblock(uint32_t total_blocks) const {
    std::vector<std::byte> out(32 * size_t(block_size), std::byte{0});
    for (uint32_t b = 0; b < descriptor_blocks() && 16 + b < 32; ++b)
        fill(b, out.data() + size_t(16 + b) * block_size, total_blocks);
    return out;
}

}  // namespace mastering::iso9660
