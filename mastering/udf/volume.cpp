#include "mastering/udf/volume.h"

#include "mastering/codec/bytes.h"
#include "mastering/udf/partition_tables.h"

namespace mastering::udf {

Status Volume::open(uint64_t session_start) {
    m_start = session_start;
    DM_TRY(find_anchor(session_start));
    auto st = read_sequence(m_main);
    if (!st.ok()) {
        auto st2 = read_sequence(m_reserve);
        if (!st2.ok()) return st.error().with_context("main volume descriptor sequence (the reserve failed too)");
    }
    m_parts = DM_TRY(Partitions::build(m_m, *m_lvd, m_pds));
    for (size_t r = 0; r < m_parts.size(); ++r)
        if (m_parts[r].kind() == PartitionMap::Kind::virtual_) DM_TRY(resolve_virtual(m_parts[r]));
    for (size_t r = 0; r < m_parts.size(); ++r)
        if (m_parts[r].kind() == PartitionMap::Kind::metadata) DM_TRY(resolve_metadata(m_parts[r]));
    summarize();
    return {};
}

bool Volume::is_anchor(uint64_t l) {
    auto b = read_block(m_m, l);
    return b.ok() && udf::is_anchor(*b, uint32_t(l));
}

Status Volume::find_anchor(uint64_t start) {
    std::vector<uint64_t> candidates{start + 256};
    uint64_t n = m_m.block_count();
    if (n > 0) candidates.push_back(n - 1);
    if (n > 257) candidates.push_back(n - 257);
    for (uint64_t c : candidates) {
        if (c >= n) continue;
        auto b = read_block(m_m, c);
        if (!b.ok()) continue;
        auto anchor = decode_anchor(*b, uint32_t(c));
        if (!anchor.ok()) continue;
        m_main = anchor->main;
        m_reserve = anchor->reserve;
        return {};
    }
    return make_error(Errc::not_found, "no UDF anchor volume descriptor at block " + std::to_string(start + 256) +
                                           " or at the end of the medium");
}

// One volume descriptor sequence (3/8.4.2): up to its terminator, following
// a volume descriptor pointer (a continuation elsewhere) once.
Status Volume::read_sequence(ExtentAd ext) {
    uint32_t blocks = std::min<uint32_t>(ext.length / block_size, 256);
    if (blocks == 0) return make_error(Errc::corrupt, "empty UDF volume descriptor sequence");
    m_pds.clear();
    m_lvd.reset();
    auto context = [](const Error& e) { return e.with_context("volume descriptor sequence"); };
    for (uint32_t i = 0; i < blocks; ++i) {
        uint64_t l = uint64_t(ext.location) + i;
        auto b = DM_TRY(read_block(m_m, l));
        auto loc = uint32_t(l);
        switch (TagId(peek_tag_id(b))) {
        case TagId::terminating:
            if (auto t = decode_terminating(b, loc); !t.ok()) return context(t.error());
            i = blocks;
            break;
        case TagId::primary_volume: {
            auto d = decode_primary(b, loc);
            if (!d.ok()) return context(d.error());
            m_summary.volume = d->volume_id;
            break;
        }
        case TagId::partition: {
            auto d = decode_partition(b, loc);
            if (!d.ok()) return context(d.error());
            m_pds.push_back(std::move(*d));
            break;
        }
        case TagId::logical_volume: {
            auto d = decode_logical_volume(b, loc);
            if (!d.ok()) return context(d.error());
            if (d->logical_block_size != block_size)
                return make_error(Errc::unsupported, "UDF logical block size " + std::to_string(d->logical_block_size) +
                                                         " (only 2048 is supported)");
            m_summary.logical_volume = d->logical_volume_id;
            m_summary.revision = d->domain.revision();
            m_file_set = d->file_set;
            m_lvd = std::move(*d);
            break;
        }
        case TagId::pointer: {
            auto d = decode_pointer(b, loc);
            if (!d.ok()) return context(d.error());
            if (d->next.length && d->next.location != ext.location && ++m_pointer_hops < 8) return read_sequence(d->next);
            i = blocks;
            break;
        }
        default:
            if (auto t = check_tag(b, loc); !t.ok()) return context(t.error());
            break;
        }
    }
    if (!m_lvd) return make_error(Errc::corrupt, "no UDF logical volume descriptor");
    if (m_pds.empty()) return make_error(Errc::corrupt, "no UDF partition descriptor");
    return {};
}

uint64_t Volume::last_recorded(uint64_t n) {
    // An image of a write-once disc may end in zeros (or unwritten blocks)
    // after its last recorded block.
    constexpr uint64_t chunk = 64, limit = 1u << 17;
    std::vector<std::byte> buf(chunk * block_size);
    for (uint64_t end = n; end > 0 && n - end < limit;) {
        uint64_t from = end > chunk ? end - chunk : 0;
        auto span = std::span(buf.data(), size_t(end - from) * block_size);
        if (m_m.read_blocks(from, span).ok()) {
            for (uint64_t l = end; l > from; --l)
                if (!codec::all_zero(std::span(buf.data() + (l - 1 - from) * block_size, block_size))) return l - 1;
        }
        end = from;
    }
    return n ? n - 1 : 0;
}

// A disc, a virtual disc or an image file's emulated TOC gives the session's
// end; each session of a VAT disc ends with its own VAT.
uint64_t Volume::session_end() {
    uint64_t n = m_m.block_count();
    if (auto* medium = dynamic_cast<media::Medium*>(&m_m))
        if (auto toc = medium->toc(); toc.ok())
            for (const auto& s : toc->sessions)
                if (s.start <= m_start && m_start < uint64_t(s.start) + s.size)
                    n = std::min<uint64_t>(n, uint64_t(s.start) + s.size);
    return n;
}

// The VAT: the entry at the session's last recorded block (or shortly before it).
Status Volume::resolve_virtual(MappedPartition& p) {
    uint16_t base = DM_TRY(m_parts.underlying(p));
    uint32_t phys_start = m_parts[base].start;
    uint64_t n = last_recorded(session_end()) + 1;
    for (uint64_t back = 0; back < 32 && back < n; ++back) {
        uint64_t l = n - 1 - back;
        if (l < phys_start) break;
        auto b = read_block(m_m, l);
        if (!b.ok()) continue;
        auto fe = decode_file_entry(*b);
        if (!fe.ok()) continue;
        FileType type = fe->icb.file_type;
        if (type != FileType::vat20 && type != FileType::unspecified) continue;
        auto e = m_entries.read(LongAd{block_size, 0, uint32_t(l - phys_start), base});
        if (!e.ok()) continue;
        auto data = m_entries.read_all(*e, 64ull << 20);
        if (!data.ok()) continue;
        auto vat = decode_vat(*data, type == FileType::vat20);
        if (!vat.ok()) continue;
        if (vat->header) {
            m_summary.files = vat->files;
            m_summary.directories = vat->directories;
        }
        p.vat = std::move(vat->entries);
        return {};
    }
    return make_error(Errc::corrupt, "no UDF virtual allocation table at the end of the medium");
}

// The metadata file's extents (else its mirror's): the metadata partition's blocks.
Status Volume::resolve_metadata(MappedPartition& p) {
    uint16_t base = DM_TRY(m_parts.underlying(p));
    auto meta = m_entries.read(LongAd{block_size, 0, p.map.metadata_file, base});
    if (!meta.ok() || meta->fe.icb.file_type != FileType::metadata)
        meta = m_entries.read(LongAd{block_size, 0, p.map.mirror_file, base});
    if (!meta.ok()) return meta.error().with_context("UDF metadata file and its mirror");
    uint64_t first = 0;
    for (const auto& x : meta->extents) {
        if (x.sparse) return make_error(Errc::corrupt, "UDF metadata file with unrecorded extents");
        p.meta.push_back({first, x});
        first += (x.length + block_size - 1) / block_size;
    }
    return {};
}

void Volume::summarize() {
    using Kind = PartitionMap::Kind;
    Kind top = m_parts.all().back().kind();
    m_summary.partition_kind = top == Kind::physical   ? "physical"
                               : top == Kind::sparable ? "sparable"
                               : top == Kind::virtual_ ? "virtual"
                                                       : "metadata";
    const MappedPartition& first = m_parts[0];
    m_summary.access_type = first.access;
    m_summary.partition_start = first.start;
    m_summary.partition_blocks = first.length;
    if (first.kind() == Kind::sparable) m_summary.sparable_packet = uint16_t(first.packet);
    ExtentAd integrity = m_lvd->integrity;
    if (integrity.length < 80) return;
    auto b = read_block(m_m, integrity.location);
    if (!b.ok()) return;
    auto lvid = decode_integrity(*b, integrity.location);
    if (!lvid.ok() || !lvid->udf) return;
    m_summary.files = lvid->udf->files;
    m_summary.directories = lvid->udf->directories;
    if (!m_summary.revision) m_summary.revision = lvid->udf->min_read_revision;
}

}  // namespace mastering::udf
