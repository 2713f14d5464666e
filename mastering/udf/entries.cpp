#include "mastering/udf/entries.h"

#include <sys/sysmacros.h>

#include <algorithm>
#include <cstring>

namespace mastering::udf {

using model::Extent;

namespace {
constexpr int k_max_extent_chain = 4096;
constexpr size_t k_max_extents = 1u << 20;

std::string at(uint64_t lba) { return " at block " + std::to_string(lba); }
}  // namespace

Result<std::vector<std::byte>> read_block(media::SectorSource& m, uint64_t lba) {
    if (lba >= m.block_count()) return make_error(Errc::corrupt, "UDF structure beyond the medium" + at(lba));
    std::vector<std::byte> b(block_size);
    DM_TRY(m.read_blocks(lba, b));
    return b;
}

Result<Entry> EntryReader::read(const LongAd& icb) {
    Entry e;
    e.lba = DM_TRY(m_parts.lba(icb.partition, icb.block));
    e.ref = icb.partition;
    auto b = DM_TRY(read_block(m_m, e.lba));
    auto fe = decode_file_entry(b);
    if (!fe.ok()) return fe.error().with_context("file entry" + at(e.lba));
    e.fe = std::move(*fe);
    if (e.fe.tag.location != icb.block)
        return make_error(Errc::corrupt, "UDF file entry" + at(e.lba) + " records another location");
    if (e.fe.extended_attributes.size() >= 24) {
        // Extended attributes: a device specification gives the numbers.
        auto ea = decode_extended_attributes(e.fe.extended_attributes);
        if (ea.ok())
            for (const auto& a : ea->attributes)
                if (auto d = device_numbers(a)) {
                    e.rdev = makedev(d->major, d->minor);
                    break;
                }
    }
    if (e.embedded()) {
        if (e.fe.size > e.fe.allocation.size())
            return make_error(Errc::corrupt, "UDF embedded file" + at(e.lba) + " is larger than its entry");
        e.inline_data = std::move(e.fe.allocation);
        e.inline_data.resize(size_t(e.fe.size));
        return e;
    }
    DM_TRY(follow_ads(e));
    return e;
}

Status EntryReader::follow_ads(Entry& e) {
    AdForm form = e.fe.icb.form();
    auto ads = decode_ads(e.fe.allocation, form, e.ref);
    if (!ads.ok()) return ads.error().with_context("UDF file entry" + at(e.lba));
    int hops = 0;
    size_t i = 0;
    while (i < ads->size()) {
        const LongAd ad = (*ads)[i++];
        if (ad.type == extent_type::next_extent) {
            if (++hops > k_max_extent_chain) return make_error(Errc::corrupt, "UDF allocation extent chain too long" + at(e.lba));
            uint64_t l = DM_TRY(m_parts.lba(ad.partition, ad.block));
            auto b = DM_TRY(read_block(m_m, l));
            auto aed = decode_allocation_extent(b, ad.block);
            if (!aed.ok()) return make_error(Errc::corrupt, "UDF allocation extent descriptor" + at(l) + " is damaged");
            ads = decode_ads(aed->descriptors, form, ad.partition);
            if (!ads.ok()) return ads.error();
            i = 0;  // continue with the descriptors there
            continue;
        }
        if (ad.type != extent_type::recorded) e.extents.push_back(Extent{0, ad.length, true});
        else DM_TRY(add_recorded(ad.partition, ad.block, ad.length, e));
        if (e.extents.size() > k_max_extents) return make_error(Errc::corrupt, "UDF file with too many extents" + at(e.lba));
    }
    return {};
}

Status EntryReader::add_recorded(uint16_t part, uint32_t pos, uint32_t len, Entry& e) {
    uint64_t first = DM_TRY(m_parts.lba(part, pos));
    uint32_t blocks = (len + block_size - 1) / block_size;
    if (m_parts.contiguous(part)) {
        if (first + blocks > m_m.block_count()) return make_error(Errc::corrupt, "UDF extent beyond the medium" + at(e.lba));
        e.extents.push_back(Extent{first, len, false});
        return {};
    }
    uint64_t run_start = first, run_blocks = 1;
    uint64_t done_bytes = 0;
    auto flush = [&](bool last) {
        uint64_t bytes = last ? len - done_bytes : run_blocks * block_size;
        e.extents.push_back(Extent{run_start, bytes, false});
        done_bytes += bytes;
    };
    for (uint32_t k = 1; k < blocks; ++k) {
        uint64_t l = DM_TRY(m_parts.lba(part, pos + k));
        if (l == run_start + run_blocks) {
            ++run_blocks;
        } else {
            flush(false);
            run_start = l;
            run_blocks = 1;
        }
    }
    flush(true);
    return {};
}

Result<std::vector<std::byte>> EntryReader::read_all(const Entry& e, uint64_t limit) {
    if (e.fe.size > limit) return make_error(Errc::corrupt, "UDF entry" + at(e.lba) + " is implausibly large");
    if (e.embedded()) return e.inline_data;
    std::vector<std::byte> out(size_t(e.fe.size));
    DM_TRY(read_extents(e.extents, 0, out));
    return out;
}

Status EntryReader::read_extents(const std::vector<Extent>& extents, uint64_t offset, std::span<std::byte> out) {
    uint64_t pos = 0;
    size_t done = 0;
    std::vector<std::byte> block(block_size);
    for (const auto& x : extents) {
        if (done == out.size()) break;
        uint64_t end = pos + x.length;
        if (offset + done < end) {
            uint64_t in = offset + done - pos;
            size_t n = size_t(std::min<uint64_t>(out.size() - done, x.length - in));
            if (x.sparse) {
                std::memset(out.data() + done, 0, n);
            } else {
                uint64_t first = x.lba + in / block_size;
                uint64_t last = x.lba + (in + n - 1) / block_size;
                if (last >= m_m.block_count()) return make_error(Errc::corrupt, "UDF extent beyond the medium" + at(x.lba));
                if (in % block_size == 0 && n % block_size == 0) {
                    DM_TRY(m_m.read_blocks(first, out.subspan(done, n)));
                } else {
                    size_t got = 0;
                    for (uint64_t b = first; b <= last; ++b) {
                        DM_TRY(m_m.read_blocks(b, block));
                        size_t from = b == first ? size_t(in % block_size) : 0;
                        size_t k = std::min<size_t>(block_size - from, n - got);
                        std::memcpy(out.data() + done + got, block.data() + from, k);
                        got += k;
                    }
                }
            }
            done += n;
        }
        pos = end;
    }
    if (done < out.size()) std::memset(out.data() + done, 0, out.size() - done);
    return {};
}

}  // namespace mastering::udf
