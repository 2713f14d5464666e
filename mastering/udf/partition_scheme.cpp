#include "mastering/udf/partition_scheme.h"

#include <cstring>

namespace mastering::udf {

namespace {
// The spare area must hold whole packets, listed in one sparing table block.
bool packet_fits(uint32_t p) {
    return p != 0 && (p & (p - 1)) == 0 && spare_area_blocks % p == 0 && sparing_table_bytes(p) <= block_size;
}
}  // namespace

Result<std::unique_ptr<PartitionScheme>> choose_partition_scheme(const UdfOptions& o, const FileSet& files) {
    if (o.vat && o.revision < rev150)
        return make_error(Errc::unsupported, "UDF 1.02 has no virtual allocation table for write-once discs: "
                                             "use UDF 1.50 or later");
    if (o.sparable_packet) {
        if (o.vat)
            return make_error(Errc::invalid_argument, "a sparable UDF partition is for rewritable media written in "
                                                      "fixed packets; write-once discs use a virtual allocation table");
        if (o.revision < rev150)
            return make_error(Errc::unsupported, "UDF 1.02 has no sparable partitions: use UDF 1.50 or later");
        if (!packet_fits(o.sparable_packet))
            return make_error(Errc::invalid_argument, "UDF packet length " + std::to_string(o.sparable_packet) +
                                                          " (a power of two from 8 to 1024 blocks)");
    }
    if (o.vat) return make_vat_partition(o, files);
    auto base = o.sparable_packet ? make_sparable_partition(o) : make_physical_partition(o);
    if (o.revision >= rev250) return make_metadata_partition(o, files, std::move(base));
    return base;
}

Status PartitionScheme::emit(uint64_t tag, uint32_t first, std::span<std::byte> out) {
    for (uint32_t k = 0; k < out.size() / block_size; ++k) {
        std::byte* b = out.data() + size_t(k) * block_size;
        if (tag == t_zeros) std::memset(b, 0, block_size);
        else DM_TRY(fill(tag, first + k, b));
    }
    return {};
}

Status PartitionScheme::fill(uint64_t, uint32_t, std::byte*) {
    return make_error(Errc::internal, "UDF partition: unknown piece");
}

void PartitionScheme::place_file_set(model::Allocator& a, FileSet& files) {
    // A sparable partition starts on a packet boundary (here, in a first session).
    align_to_packet(a);
    m_file_set_start = a.reserve(files.blocks(), &files, 0);
}

Status PartitionScheme::set_start(uint32_t low) {
    m_start = low;
    return {};
}

void PartitionScheme::align_to_packet(model::Allocator& a) {
    if (packet() == 1) return;
    // One block at a time, so that fixed blocks (the anchor at start + 256)
    // are stepped over, until the last one ends a packet.
    uint32_t b = a.reserve(1, this, t_zeros);
    while ((b + 1) % packet() != 0) b = a.reserve(1, this, t_zeros);
}

Status PartitionScheme::pad_to_packet(model::Allocator& a, uint32_t& end, uint32_t then) {
    if (uint32_t odd = (end + then) % packet(); odd != 0) {
        DM_TRY(a.reserve_at(end, packet() - odd, this, t_zeros));
        end += packet() - odd;
    }
    return {};
}

FileEntry PartitionScheme::system_entry(FileType type, uint32_t location, uint64_t size) const {
    FileEntry f;
    f.tag = tag_at(location);
    f.extended = m_opt.revision >= rev200;
    f.icb.file_type = type;
    f.uid = f.gid = 0xFFFFFFFFu;
    f.size = size;
    if (f.extended) f.object_size = size;
    f.access = f.modification = f.creation = f.attribute = {m_opt.now, 0};
    f.implementation = EntityId::implementation();
    f.unique_id = 0;
    return f;
}

std::vector<std::byte> PartitionScheme::short_ads(uint32_t first, uint64_t bytes) const {
    auto ads = extent_ads({model::Extent{first, bytes, false}}, m_start);
    std::vector<std::byte> out(ads.size() * short_ad_bytes);
    encode_ads(ads, AdForm::short_ad, out.data());
    return out;
}

}  // namespace mastering::udf
