#include "mastering/udf/writer.h"

#include <cstring>

#include "mastering/udf/file_set.h"
#include "mastering/udf/partition_scheme.h"
#include "mastering/udf/volume_structure.h"

namespace mastering::udf {

uint16_t sparable_packet_for(media::Family family) { return family == media::Family::dvd ? 16 : 32; }

Result<uint16_t> parse_partition(std::string_view kind, media::Family family) {
    if (kind == "physical") return uint16_t(0);
    if (kind == "sparable") return sparable_packet_for(family);
    return make_error(Errc::invalid_argument, "unknown UDF partition \"" + std::string(kind) + "\" (physical, sparable)");
}

UdfPart::UdfPart(model::Tree& tree, const model::FileData& data, UdfOptions o)
    : m_opt(std::move(o)),
      m_volume(std::make_unique<VolumeStructure>(m_opt)),
      m_files(std::make_unique<FileSet>(tree, data, m_opt)) {}

UdfPart::~UdfPart() = default;

uint64_t UdfPart::embed_limit(uint16_t revision) { return FileSet::embed_limit(revision); }

void UdfPart::vrs_block(uint32_t index, uint16_t revision, std::byte* block) {
    VolumeStructure::recognition_block(index, revision, block);
}

Status UdfPart::layout_head(model::Allocator& a) {
    uint16_t r = m_opt.revision;
    if (r != rev102 && r != rev150 && r != rev200 && r != rev201 && r != rev250)
        return make_error(Errc::unsupported, "UDF revision " + revision_text(r) +
                                                 " is not supported (1.02, 1.50, 2.00, 2.01, 2.50)");
    m_partition = DM_TRY(choose_partition_scheme(m_opt, *m_files));
    DM_TRY(m_volume->place_head(a));
    m_partition->layout_head(a, *m_volume);
    return {};
}

Status UdfPart::layout_entries(model::Allocator& a) {
    uint32_t s = m_volume->session_start();
    while (a.next() < s + 256) a.reserve(1, this, 0);  // one at a time: around the fixed anchors
    DM_TRY(m_files->plan());
    m_partition->place_file_set(a, *m_files);
    return {};
}

Status UdfPart::layout_tail(model::Allocator& a) {
    DM_TRY(m_files->check_fit());
    // The partition: from the lowest block an entry refers to, up to here.
    // Data kept from an earlier session may lie lowest: then the partition
    // starts one block earlier, as no file's data may sit at logical block 0
    // (libudfread reads block 0 as "no data").
    uint64_t own = m_partition->lowest_own_block(), low = m_files->lowest_data_block(own);
    if (low < own && low > 0) --low;
    low -= low % m_partition->packet();
    DM_TRY(m_partition->set_start(uint32_t(low)));
    DM_TRY(m_partition->layout_tail(a, *m_volume));
    m_files->set_address(m_partition->file_set_address());
    VolumeFacts f;
    f.access = m_partition->access();
    f.partition_start = m_partition->start();
    f.partition_blocks = m_partition->blocks();
    f.maps = m_partition->maps();
    f.partition_sizes = m_partition->partition_sizes();
    f.file_set = m_files->descriptor_location();
    f.files = m_files->files();
    f.directories = m_files->directories();
    f.next_unique_id = m_files->next_unique_id();
    m_volume->describe(f);
    return {};
}

Status UdfPart::emit(uint64_t, uint32_t, std::span<std::byte> out) {
    std::memset(out.data(), 0, out.size());
    return {};
}

std::vector<std::byte> UdfPart::image_anchor() const { return m_volume->anchor_block(256); }

}  // namespace mastering::udf
