#include "mastering/udf/reader.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cstring>

#include "mastering/udf/descriptors.h"

namespace mastering::udf {

using codec::load_le16;
using codec::load_le32;
using codec::load_le64;
using codec::u8;
using model::DirEntry;
using model::Extent;
using model::NodeAttr;
using model::NodeType;

namespace {

// The primitives' former spellings over their typed values (descriptors.h),
// until this file gives way to the reader's parts.
std::string load_regid(const std::byte* p) { return decode_regid(p).identifier; }
std::string load_dstring(const std::byte* p, size_t width) { return decode_dstring(p, width); }
LongAd load_long_ad(const std::byte* p) { return decode_long_ad(p); }
std::pair<int64_t, uint32_t> load_timestamp(const std::byte* p) {
    auto t = decode_timestamp(p);
    return {t.sec, t.nsec};
}

constexpr uint64_t k_max_directory_bytes = 256ull << 20;
constexpr uint64_t k_max_symlink_bytes = 64 * 1024;
constexpr int k_max_extent_chain = 4096;

std::string at(uint64_t lba) { return " at block " + std::to_string(lba); }

Result<std::vector<std::byte>> read_block(media::SectorSource& m, uint64_t lba) {
    if (lba >= m.block_count()) return make_error(Errc::corrupt, "UDF structure beyond the medium" + at(lba));
    std::vector<std::byte> b(block_size);
    DM_TRY(m.read_blocks(lba, b));
    return b;
}

struct Map {
    enum Kind { physical, sparable, virtual_, metadata } kind = physical;
    uint16_t number = 0;              // partition number of the partition descriptor it refers to
    uint32_t start = 0, length = 0;   // that partition descriptor
    uint32_t access = 0;
    // sparable
    uint32_t packet = 32;
    std::vector<std::pair<uint32_t, uint32_t>> sparing;  // packet start -> mapped (absolute)
    // virtual
    std::vector<uint32_t> vat;
    // metadata
    uint32_t meta_file = 0, mirror_file = 0;
    std::vector<std::pair<uint64_t, Extent>> meta;  // (first logical block, extent) in order
};

struct RawEntry {
    uint64_t lba = 0;      // absolute block of the ICB
    uint16_t ref = 0;      // partition reference of the ICB
    uint8_t type = 0;
    uint16_t flags = 0;
    uint32_t uid = 0, gid = 0, perms = 0;
    uint16_t links = 0;
    uint64_t size = 0, unique = 0;
    model::Timestamp atime, mtime, ctime, birth;
    bool extended = false;
    std::vector<Extent> extents;
    std::vector<std::byte> inline_data;
    std::optional<uint64_t> rdev;
};

class Volume {
public:
    explicit Volume(media::SectorSource& m) : m_m(m) {}

    Status open(uint64_t session_start) {
        m_start = session_start;
        DM_TRY(find_anchor(session_start));
        auto st = read_vds(m_main);
        if (!st.ok()) {
            auto st2 = read_vds(m_reserve);
            if (!st2.ok()) return st.error().with_context("main volume descriptor sequence (the reserve failed too)");
        }
        DM_TRY(resolve_maps());
        return {};
    }

    // Absolute block of logical block `lbn` of partition reference `ref`.
    Result<uint64_t> lba(uint16_t ref, uint32_t lbn) const {
        if (ref >= m_maps.size()) return make_error(Errc::corrupt, "UDF partition reference " + std::to_string(ref) + " does not exist");
        const Map& p = m_maps[ref];
        switch (p.kind) {
        case Map::physical:
            break;
        case Map::sparable: {
            uint32_t packet = lbn - lbn % p.packet;
            for (auto& [orig, mapped] : p.sparing)
                if (orig == packet) return uint64_t(mapped) + lbn % p.packet;
            break;
        }
        case Map::virtual_:
            if (lbn >= p.vat.size() || p.vat[lbn] == 0xFFFFFFFFu)
                return make_error(Errc::corrupt, "UDF virtual block " + std::to_string(lbn) + " is not in the VAT");
            lbn = p.vat[lbn];
            break;
        case Map::metadata: {
            auto it = std::upper_bound(p.meta.begin(), p.meta.end(), uint64_t(lbn),
                                       [](uint64_t v, const auto& e) { return v < e.first; });
            if (it == p.meta.begin()) return make_error(Errc::corrupt, "UDF metadata block outside the metadata file");
            --it;
            uint64_t off = lbn - it->first;
            if (off * block_size >= it->second.length)
                return make_error(Errc::corrupt, "UDF metadata block " + std::to_string(lbn) + " outside the metadata file");
            return it->second.lba + off;
        }
        }
        if (lbn >= p.length && p.length != 0)
            return make_error(Errc::corrupt, "UDF block " + std::to_string(lbn) + " beyond its partition");
        return uint64_t(p.start) + lbn;
    }

    Result<RawEntry> read_entry(const LongAd& icb) {
        uint64_t l = DM_TRY(lba(icb.partition, icb.block));
        auto b = DM_TRY(read_block(m_m, l));
        auto tag = check_tag(b, std::nullopt);
        if (!tag.ok()) return tag.error().with_context("file entry" + at(l));
        if (tag->id != uint16_t(TagId::file_entry) && tag->id != uint16_t(TagId::extended_file_entry))
            return make_error(Errc::corrupt, "expected a UDF file entry" + at(l) + ", found tag " + std::to_string(tag->id));
        if (tag->location != icb.block)
            return make_error(Errc::corrupt, "UDF file entry" + at(l) + " records another location");
        RawEntry e;
        e.lba = l;
        e.ref = icb.partition;
        e.extended = tag->id == uint16_t(TagId::extended_file_entry);
        const std::byte* p = b.data();
        e.type = u8(p[27]);
        e.flags = load_le16(p + 34);
        e.uid = load_le32(p + 36);
        e.gid = load_le32(p + 40);
        e.perms = load_le32(p + 44);
        e.links = load_le16(p + 48);
        e.size = load_le64(p + 56);
        size_t header;
        uint32_t l_ea, l_ad;
        auto ts = [&](size_t off) {
            auto [s, ns] = load_timestamp(p + off);
            return model::Timestamp{s, ns};
        };
        if (e.extended) {
            e.atime = ts(80);
            e.mtime = ts(92);
            e.birth = ts(104);
            e.ctime = ts(116);
            e.unique = load_le64(p + 200);
            l_ea = load_le32(p + 208);
            l_ad = load_le32(p + 212);
            header = 216;
        } else {
            e.atime = ts(72);
            e.mtime = ts(84);
            e.ctime = ts(96);
            e.unique = load_le64(p + 160);
            l_ea = load_le32(p + 168);
            l_ad = load_le32(p + 172);
            header = 176;
        }
        if (header + uint64_t(l_ea) + l_ad > block_size)
            return make_error(Errc::corrupt, "UDF file entry" + at(l) + ": extended attributes and descriptors overflow it");
        if (l_ea >= 24) parse_device(p + header, l_ea, e);
        const std::byte* ad = p + header + l_ea;
        switch (e.flags & 7) {
        case 0: DM_TRY(parse_ads(ad, l_ad, 8, icb.partition, e)); break;
        case 1: DM_TRY(parse_ads(ad, l_ad, 16, icb.partition, e)); break;
        case 2: DM_TRY(parse_ads(ad, l_ad, 20, icb.partition, e)); break;
        case 3:
            if (e.size > l_ad) return make_error(Errc::corrupt, "UDF embedded file" + at(l) + " is larger than its entry");
            e.inline_data.assign(ad, ad + e.size);
            break;
        default:
            return make_error(Errc::unsupported, "UDF allocation descriptor type " + std::to_string(e.flags & 7) + at(l));
        }
        return e;
    }

    // The bytes of a (small) entry: directories, symlinks, the VAT.
    Result<std::vector<std::byte>> read_all(const RawEntry& e, uint64_t limit) {
        if (e.size > limit) return make_error(Errc::corrupt, "UDF entry" + at(e.lba) + " is implausibly large");
        if ((e.flags & 7) == 3) return e.inline_data;
        std::vector<std::byte> out(size_t(e.size));
        DM_TRY(read_extents(e.extents, 0, out));
        return out;
    }

    Status read_extents(const std::vector<Extent>& extents, uint64_t offset, std::span<std::byte> out) {
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
                    if (last >= m_m.block_count())
                        return make_error(Errc::corrupt, "UDF extent beyond the medium" + at(x.lba));
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

    const std::vector<Map>& maps() const { return m_maps; }
    // Where the reserve sequence ends (a volume's closing anchor follows it).
    uint64_t reserve_end() const { return uint64_t(m_reserve.second) + m_reserve.first / block_size; }
    bool is_anchor(uint64_t l) {
        auto b = read_block(m_m, l);
        return b.ok() && udf::is_anchor(*b, uint32_t(l));
    }
    LongAd file_set() const { return m_fsd; }
    VolumeSummary summary;

private:
    Status find_anchor(uint64_t start) {
        std::vector<uint64_t> candidates{start + 256};
        uint64_t n = m_m.block_count();
        if (n > 0) candidates.push_back(n - 1);
        if (n > 257) candidates.push_back(n - 257);
        for (uint64_t c : candidates) {
            if (c >= n) continue;
            auto b = read_block(m_m, c);
            if (!b.ok()) continue;
            if (!udf::is_anchor(*b, uint32_t(c))) continue;
            m_main = {load_le32(b->data() + 16), load_le32(b->data() + 20)};
            m_reserve = {load_le32(b->data() + 24), load_le32(b->data() + 28)};
            return {};
        }
        return make_error(Errc::not_found, "no UDF anchor volume descriptor at block " + std::to_string(start + 256) +
                                               " or at the end of the medium");
    }

    Status read_vds(std::pair<uint32_t, uint32_t> ext) {
        uint32_t blocks = std::min<uint32_t>(ext.first / block_size, 256);
        if (blocks == 0) return make_error(Errc::corrupt, "empty UDF volume descriptor sequence");
        m_pds.clear();
        bool lvd = false;
        for (uint32_t i = 0; i < blocks; ++i) {
            uint64_t l = uint64_t(ext.second) + i;
            auto b = DM_TRY(read_block(m_m, l));
            auto t = check_tag(b, uint32_t(l));
            if (!t.ok()) return t.error().with_context("volume descriptor sequence");
            const std::byte* p = b.data();
            if (t->id == uint16_t(TagId::terminating)) break;
            if (t->id == uint16_t(TagId::primary_volume)) {
                summary.volume = load_dstring(p + 24, 32);
            } else if (t->id == uint16_t(TagId::partition)) {
                Map pd;
                pd.number = load_le16(p + 22);
                pd.access = load_le32(p + 184);
                pd.start = load_le32(p + 188);
                pd.length = load_le32(p + 192);
                m_pds.push_back(pd);
            } else if (t->id == uint16_t(TagId::logical_volume)) {
                if (load_le32(p + 212) != block_size)
                    return make_error(Errc::unsupported, "UDF logical block size " + std::to_string(load_le32(p + 212)) +
                                                             " (only 2048 is supported)");
                summary.logical_volume = load_dstring(p + 84, 128);
                summary.revision = load_le16(p + 216 + 24);
                m_fsd = load_long_ad(p + 248);
                m_integrity = {load_le32(p + 432), load_le32(p + 436)};
                uint32_t table = load_le32(p + 264), count = load_le32(p + 268);
                if (table > block_size - 440 || count > 16)
                    return make_error(Errc::corrupt, "UDF logical volume descriptor: partition map table too large");
                m_raw_maps.assign(p + 440, p + 440 + table);
                m_map_count = count;
                lvd = true;
            } else if (t->id == uint16_t(TagId::pointer)) {
                // A continuation elsewhere: follow it once.
                uint32_t len = load_le32(p + 20), loc = load_le32(p + 24);
                if (len && loc != ext.second && ++m_pointer_hops < 8) return read_vds({len, loc});
                break;
            }
        }
        if (!lvd) return make_error(Errc::corrupt, "no UDF logical volume descriptor");
        if (m_pds.empty()) return make_error(Errc::corrupt, "no UDF partition descriptor");
        return {};
    }

    const Map* pd_of(uint16_t number) const {
        for (const auto& pd : m_pds)
            if (pd.number == number) return &pd;
        return nullptr;
    }

    Status resolve_maps() {
        size_t off = 0;
        for (uint32_t i = 0; i < m_map_count; ++i) {
            if (off + 2 > m_raw_maps.size()) return make_error(Errc::corrupt, "UDF partition map table truncated");
            const std::byte* p = m_raw_maps.data() + off;
            uint8_t type = u8(p[0]), len = u8(p[1]);
            if (len < 6 || off + len > m_raw_maps.size()) return make_error(Errc::corrupt, "UDF partition map length");
            Map map;
            if (type == 1) {
                map.number = load_le16(p + 4);
            } else if (type == 2 && len >= 64) {
                std::string id = load_regid(p + 4);
                map.number = load_le16(p + 38);
                if (id == "*UDF Virtual Partition") map.kind = Map::virtual_;
                else if (id == "*UDF Sparable Partition") map.kind = Map::sparable;
                else if (id == "*UDF Metadata Partition") map.kind = Map::metadata;
                else return make_error(Errc::unsupported, "UDF partition map \"" + id + "\"");
                if (map.kind == Map::sparable) {
                    map.packet = std::max<uint32_t>(1, load_le16(p + 40));
                    uint8_t tables = u8(p[42]);
                    // The first copy that checks.
                    for (uint8_t k = 0; k < tables && k < 4; ++k)
                        if (read_sparing(load_le32(p + 48 + 4 * k), load_le32(p + 44), map)) break;
                }
                if (map.kind == Map::metadata) {
                    map.meta_file = load_le32(p + 40);
                    map.mirror_file = load_le32(p + 44);
                }
            } else {
                return make_error(Errc::unsupported, "UDF partition map type " + std::to_string(type));
            }
            const Map* pd = pd_of(map.number);
            if (!pd) return make_error(Errc::corrupt, "UDF partition map refers to partition " + std::to_string(map.number) + ", which has no descriptor");
            map.start = pd->start;
            map.length = pd->length;
            map.access = pd->access;
            if (uint64_t(map.start) >= m_m.block_count())
                return make_error(Errc::corrupt, "UDF partition starts beyond the medium");
            m_maps.push_back(std::move(map));
            off += len;
        }
        if (m_maps.empty()) return make_error(Errc::corrupt, "UDF volume without partition maps");
        // The physical partition the others live in.
        auto underlying = [&](const Map& m) -> Result<uint16_t> {
            for (uint16_t r = 0; r < m_maps.size(); ++r)
                if ((m_maps[r].kind == Map::physical || m_maps[r].kind == Map::sparable) && m_maps[r].number == m.number) return r;
            return make_error(Errc::corrupt, "UDF partition map without its physical partition");
        };
        for (auto& map : m_maps) {
            if (map.kind == Map::virtual_) {
                uint16_t base = DM_TRY(underlying(map));
                DM_TRY(read_vat(base, map));
            }
        }
        for (auto& map : m_maps) {
            if (map.kind != Map::metadata) continue;
            uint16_t base = DM_TRY(underlying(map));
            auto meta = read_entry(LongAd{block_size, 0, map.meta_file, base, 0});
            if (!meta.ok() || meta->type != uint8_t(FileType::metadata))
                meta = read_entry(LongAd{block_size, 0, map.mirror_file, base, 0});
            if (!meta.ok()) return meta.error().with_context("UDF metadata file and its mirror");
            uint64_t first = 0;
            for (const auto& x : meta->extents) {
                if (x.sparse) return make_error(Errc::corrupt, "UDF metadata file with unrecorded extents");
                map.meta.push_back({first, x});
                first += (x.length + block_size - 1) / block_size;
            }
        }
        // Summary.
        const Map& top = m_maps.back();
        summary.partition_kind = top.kind == Map::physical ? "physical" : top.kind == Map::sparable ? "sparable"
                                 : top.kind == Map::virtual_ ? "virtual" : "metadata";
        summary.access_type = m_maps.front().access;
        summary.partition_start = m_maps.front().start;
        summary.partition_blocks = m_maps.front().length;
        if (m_maps.front().kind == Map::sparable) summary.sparable_packet = uint16_t(m_maps.front().packet);
        if (m_integrity.first >= 80) {
            auto b = read_block(m_m, m_integrity.second);
            if (b.ok() && check_tag(*b, m_integrity.second).ok() && load_le16(b->data()) == uint16_t(TagId::integrity)) {
                const std::byte* p = b->data();
                uint32_t n = load_le32(p + 72), l_iu = load_le32(p + 76);
                size_t iu = 80 + size_t(8) * n;
                if (n <= 16 && l_iu >= 46 && iu + 46 <= block_size) {
                    summary.files = load_le32(p + iu + 32);
                    summary.directories = load_le32(p + iu + 36);
                    if (!summary.revision) summary.revision = load_le16(p + iu + 40);
                }
            }
        }
        return {};
    }

    // One copy of the sparing table (UDF 2.2.12: tag identifier 0, every
    // other tag field valid); false if it does not check.
    bool read_sparing(uint32_t loc, uint32_t bytes, Map& map) {
        uint32_t blocks = std::clamp<uint32_t>((bytes + block_size - 1) / block_size, 1, 32);
        if (uint64_t(loc) + blocks > m_m.block_count()) return false;
        std::vector<std::byte> b(size_t(blocks) * block_size);
        if (!m_m.read_blocks(loc, b).ok()) return false;
        auto t = check_tag(b, loc, true);
        const std::byte* p = b.data();
        if (!t.ok() || t->id != 0 || load_regid(p + 16) != "*UDF Sparing Table") return false;
        uint16_t entries = load_le16(p + 48);
        map.sparing.clear();
        for (size_t i = 0; i < entries && 56 + (i + 1) * 8 <= b.size(); ++i) {
            uint32_t orig = load_le32(p + 56 + i * 8), mapped = load_le32(p + 60 + i * 8);
            if (orig < 0xFFFFFFF0u) map.sparing.push_back({orig, mapped});
        }
        return true;
    }

    // The last block before `n` that holds anything: an image of a write-once
    // disc may end in zeros (or unwritten blocks) after its last recorded block.
    uint64_t last_recorded(uint64_t n) {
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

    // Where the session being read ends: from the medium's TOC when it has
    // one (a disc, a virtual disc, an image file's emulated TOC), else the
    // medium's end. Each session of a VAT disc ends with its own VAT.
    uint64_t session_end() {
        uint64_t n = m_m.block_count();
        if (auto* medium = dynamic_cast<media::Medium*>(&m_m))
            if (auto toc = medium->toc(); toc.ok())
                for (const auto& s : toc->sessions)
                    if (s.start <= m_start && m_start < uint64_t(s.start) + s.size) n = std::min<uint64_t>(n, uint64_t(s.start) + s.size);
        return n;
    }

    // The VAT: at the session's last recorded block (or shortly before it).
    Status read_vat(uint16_t base, Map& map) {
        const Map& phys = m_maps[base];
        uint64_t n = last_recorded(session_end()) + 1;
        for (uint64_t back = 0; back < 32 && back < n; ++back) {
            uint64_t l = n - 1 - back;
            if (l < phys.start) break;
            auto b = read_block(m_m, l);
            if (!b.ok()) continue;
            auto t = check_tag(*b, std::nullopt);
            if (!t.ok() || (t->id != uint16_t(TagId::file_entry) && t->id != uint16_t(TagId::extended_file_entry))) continue;
            uint8_t type = u8((*b)[27]);
            if (type != uint8_t(FileType::vat20) && type != 0) continue;
            auto e = read_entry(LongAd{block_size, 0, uint32_t(l - phys.start), base, 0});
            if (!e.ok()) continue;
            auto data = read_all(*e, 64ull << 20);
            if (!data.ok()) continue;
            const std::byte* d = data->data();
            size_t size = data->size(), first = 0, end = size;
            if (type == uint8_t(FileType::vat20)) {
                if (size < 152) continue;
                first = load_le16(d);
                if (first > size) continue;
                summary.files = load_le32(d + 136);
                summary.directories = load_le32(d + 140);
            } else {
                if (size < 36 || load_regid(d + size - 36) != "*UDF Virtual Alloc Tbl") continue;
                end = size - 36;
            }
            for (size_t k = first; k + 4 <= end; k += 4) map.vat.push_back(load_le32(d + k));
            return {};
        }
        return make_error(Errc::corrupt, "no UDF virtual allocation table at the end of the medium");
    }

    void parse_device(const std::byte* p, uint32_t l_ea, RawEntry& e) {
        // Extended attribute header, then attributes: find a device specification (type 12).
        auto t = check_tag(std::span(p, l_ea), std::nullopt);
        if (!t.ok() || t->id != uint16_t(TagId::extended_attribute_header)) return;
        size_t off = 24;
        while (off + 12 <= l_ea) {
            uint32_t type = load_le32(p + off), len = load_le32(p + off + 8);
            if (len < 12 || off + len > l_ea) return;
            if (type == 12 && len >= 24) {
                uint32_t iu = load_le32(p + off + 12);
                if (24 + uint64_t(iu) <= len) {
                    e.rdev = makedev(load_le32(p + off + 16), load_le32(p + off + 20));
                }
                return;
            }
            off += len;
        }
    }

    Status parse_ads(const std::byte* p, uint32_t l_ad, size_t size, uint16_t ref, RawEntry& e) {
        std::vector<std::byte> aed;
        int hops = 0;
        uint64_t recorded = 0;
        while (true) {
            bool next = false;
            for (size_t off = 0; off + size <= l_ad; off += size) {
                uint32_t raw = load_le32(p + off);
                uint32_t len = raw & 0x3FFFFFFFu;
                uint8_t type = uint8_t(raw >> 30);
                if (len == 0) break;
                uint32_t pos;
                uint16_t part = ref;
                if (size == 8) {
                    pos = load_le32(p + off + 4);
                } else if (size == 16) {
                    pos = load_le32(p + off + 4);
                    part = load_le16(p + off + 8);
                } else {
                    pos = load_le32(p + off + 12);
                    part = load_le16(p + off + 16);
                }
                if (type == 3) {
                    if (++hops > k_max_extent_chain) return make_error(Errc::corrupt, "UDF allocation extent chain too long" + at(e.lba));
                    uint64_t l = DM_TRY(lba(part, pos));
                    aed = DM_TRY(read_block(m_m, l));
                    auto t = check_tag(aed, pos);
                    if (!t.ok() || t->id != uint16_t(TagId::allocation_extent))
                        return make_error(Errc::corrupt, "UDF allocation extent descriptor" + at(l) + " is damaged");
                    l_ad = std::min<uint32_t>(load_le32(aed.data() + 20), block_size - 24);
                    p = aed.data() + 24;
                    ref = part;
                    next = true;
                    break;
                }
                if (type != 0) {
                    e.extents.push_back(Extent{0, len, true});
                } else {
                    DM_TRY(add_recorded(part, pos, len, e));
                }
                recorded += len;
                if (e.extents.size() > (1u << 20)) return make_error(Errc::corrupt, "UDF file with too many extents" + at(e.lba));
            }
            if (!next) break;
        }
        (void)recorded;
        return {};
    }

    // A recorded extent, mapped block by block where the partition is not contiguous.
    Status add_recorded(uint16_t part, uint32_t pos, uint32_t len, RawEntry& e) {
        uint64_t first = DM_TRY(lba(part, pos));
        uint32_t blocks = (len + block_size - 1) / block_size;
        bool contiguous = part < m_maps.size() && m_maps[part].kind == Map::physical;
        if (contiguous) {
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
            uint64_t l = DM_TRY(lba(part, pos + k));
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

    media::SectorSource& m_m;
    uint64_t m_start = 0;
    std::pair<uint32_t, uint32_t> m_main, m_reserve, m_integrity;  // (length bytes, location)
    std::vector<Map> m_pds;
    std::vector<std::byte> m_raw_maps;
    uint32_t m_map_count = 0;
    int m_pointer_hops = 0;
    std::vector<Map> m_maps;
    LongAd m_fsd;
};

uint32_t posix_mode(const RawEntry& e) {
    uint32_t p = e.perms;
    uint32_t mode = (p & 07) | ((p >> 2) & 070) | ((p >> 4) & 0700);
    if (e.flags & 0x40) mode |= S_ISUID;
    if (e.flags & 0x80) mode |= S_ISGID;
    if (e.flags & 0x100) mode |= S_ISVTX;
    return mode;
}

std::string symlink_path(const std::vector<std::byte>& d) {
    std::string out;
    size_t off = 0;
    while (off + 4 <= d.size()) {
        uint8_t type = u8(d[off]), len = u8(d[off + 1]);
        if (off + 4 + len > d.size()) break;
        std::string part;
        switch (type) {
        case 1:
        case 2: out = "/"; off += 4 + len; continue;
        case 3: part = ".."; break;
        case 4: part = "."; break;
        case 5: part = decode_cs0(d.data() + off + 4, len); break;
        default: break;
        }
        if (!out.empty() && out.back() != '/') out += '/';
        out += part;
        off += 4 + len;
    }
    return out;
}

class UdfReader final : public model::FileSystemReader {
public:
    explicit UdfReader(media::SectorSource& m) : m_m(m), m_vol(m) {}
    Status open(uint64_t start) {
        DM_TRY(m_vol.open(start));
        LongAd fsd_ad = m_vol.file_set();
        uint64_t l = DM_TRY(m_vol.lba(fsd_ad.partition, fsd_ad.block));
        auto b = DM_TRY(read_block(m_m, l));
        auto t = check_tag(b, fsd_ad.block);
        if (!t.ok()) return t.error().with_context("UDF file set descriptor");
        if (t->id != uint16_t(TagId::file_set)) return make_error(Errc::corrupt, "no UDF file set descriptor" + at(l));
        m_root = load_long_ad(b.data() + 400);
        m_fileset_id = load_dstring(b.data() + 304, 32);
        return {};
    }

    model::FsType type() const override { return model::FsType::udf; }
    std::string volume_id() const override {
        return m_vol.summary.logical_volume.empty() ? m_fileset_id : m_vol.summary.logical_volume;
    }
    const VolumeSummary& summary() const { return m_vol.summary; }

    Result<NodeAttr> root() override {
        auto e = m_vol.read_entry(m_root);
        if (!e.ok()) return e.error().with_context("UDF root directory");
        if (e->type != uint8_t(FileType::directory)) return make_error(Errc::corrupt, "the UDF root is not a directory");
        return to_attr(*e, m_root);
    }

    Result<std::vector<DirEntry>> list(const NodeAttr& dir) override {
        if (dir.type != NodeType::directory) return make_error(Errc::invalid_argument, "not a directory");
        LongAd icb = icb_of(dir);
        auto e = DM_TRY(m_vol.read_entry(icb));
        auto data = DM_TRY(m_vol.read_all(e, k_max_directory_bytes));
        std::vector<DirEntry> out;
        size_t off = 0;
        while (off + 38 <= data.size()) {
            const std::byte* p = data.data() + off;
            auto t = check_tag(std::span(p, data.size() - off), std::nullopt);
            if (!t.ok()) return t.error().with_context("file identifier in the directory" + at(e.lba));
            if (t->id != uint16_t(TagId::file_identifier))
                return make_error(Errc::corrupt, "expected a UDF file identifier in the directory" + at(e.lba));
            uint8_t chars = u8(p[18]), l_fi = u8(p[19]);
            uint16_t l_iu = load_le16(p + 36);
            size_t size = (38 + size_t(l_iu) + l_fi + 3) & ~size_t(3);
            if (off + 38 + l_iu + l_fi > data.size())
                return make_error(Errc::corrupt, "UDF file identifier overruns its directory" + at(e.lba));
            LongAd child = load_long_ad(p + 20);
            std::string name = decode_cs0(p + 38 + l_iu, l_fi);
            off += size;
            if (chars & 0x0C) continue;  // deleted, or the parent
            // UDF 1.50 system file of sparable volumes (hidden in the root): not user data.
            if ((chars & 0x01) && name == "Non-Allocatable Space") continue;
            if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos || name.find('\0') != std::string::npos)
                continue;
            auto ce = m_vol.read_entry(child);
            if (!ce.ok()) return ce.error().with_context(name);
            out.push_back({std::move(name), DM_TRY(to_attr(*ce, child))});
        }
        return out;
    }

    Result<size_t> read(const NodeAttr& file, uint64_t offset, std::span<std::byte> out) override {
        if (offset >= file.size) return size_t(0);
        size_t n = size_t(std::min<uint64_t>(out.size(), file.size - offset));
        if (!file.inline_data.empty() || file.extents.empty()) {
            size_t have = offset < file.inline_data.size() ? std::min(n, size_t(file.inline_data.size() - offset)) : 0;
            if (have) std::memcpy(out.data(), file.inline_data.data() + offset, have);
            if (have < n) std::memset(out.data() + have, 0, n - have);
            return n;
        }
        DM_TRY(m_vol.read_extents(file.extents, offset, out.first(n)));
        return n;
    }

private:
    // A node's id is its ICB (partition reference + 1, logical block): stable,
    // unique per file, shared by hard links, and enough to read it again.
    static uint64_t id_of(const LongAd& icb) { return (uint64_t(icb.partition) + 1) << 32 | icb.block; }
    static LongAd icb_of(const NodeAttr& a) {
        LongAd ad;
        ad.length = block_size;
        ad.block = uint32_t(a.id);
        ad.partition = uint16_t((a.id >> 32) - 1);
        return ad;
    }

    Result<NodeAttr> to_attr(const RawEntry& e, const LongAd& icb) {
        NodeAttr a;
        a.id = id_of(icb);
        switch (FileType(e.type)) {
        case FileType::directory: a.type = NodeType::directory; break;
        case FileType::symlink: a.type = NodeType::symlink; break;
        case FileType::block_device: a.type = NodeType::block_device; break;
        case FileType::char_device: a.type = NodeType::char_device; break;
        case FileType::fifo: a.type = NodeType::fifo; break;
        case FileType::socket: a.type = NodeType::socket; break;
        default: a.type = NodeType::file; break;
        }
        a.mode = posix_mode(e);
        a.uid = e.uid == 0xFFFFFFFFu ? 0 : e.uid;
        a.gid = e.gid == 0xFFFFFFFFu ? 0 : e.gid;
        a.nlink = std::max<uint32_t>(1, e.links) + (a.type == NodeType::directory ? 1 : 0);
        a.size = e.size;
        a.mtime = e.mtime;
        a.atime = e.atime;
        a.ctime = e.ctime;
        a.birth = e.extended ? e.birth : e.mtime;
        a.file_id = e.unique;
        a.extra["user.udf.unique_id"] = std::to_string(e.unique);
        if (e.rdev) a.rdev = *e.rdev;
        if (a.type == NodeType::symlink) {
            auto d = DM_TRY(m_vol.read_all(e, k_max_symlink_bytes));
            a.symlink = symlink_path(d);
            a.size = a.symlink.size();
        } else if (a.type == NodeType::file) {
            a.extents = e.extents;
            a.inline_data = e.inline_data;
            uint64_t total = 0;
            for (const auto& x : a.extents) total += x.length;
            if (a.inline_data.empty() && total < a.size)
                return make_error(Errc::corrupt, "UDF file entry" + at(e.lba) + " records fewer bytes than its size");
        }
        return a;
    }

    media::SectorSource& m_m;
    Volume m_vol;
    LongAd m_root;
    std::string m_fileset_id;
};

}  // namespace

bool has_recognition_sequence(media::SectorSource& m, uint64_t start) {
    std::vector<std::byte> b(block_size);
    // The sequence may follow ISO 9660 descriptors: look through the first 64 blocks.
    bool bea = false;
    for (uint64_t l = start + 16; l < start + 80 && l < m.block_count(); ++l) {
        if (!m.read_blocks(l, b).ok()) return false;
        std::string_view id(reinterpret_cast<const char*>(b.data() + 1), 5);
        if (id == "BEA01") bea = true;
        else if ((id == "NSR02" || id == "NSR03") && bea) return true;
        else if (id != "CD001" && id != "BOOT2" && id != "TEA01") return false;
    }
    return false;
}

Result<VolumeSummary> read_summary(media::SectorSource& m, uint64_t session_start) {
    Volume v(m);
    DM_TRY(v.open(session_start));
    return v.summary;
}

std::optional<uint32_t> session_blocks(media::SectorSource& m, uint64_t session_start) {
    if (!has_recognition_sequence(m, session_start)) return std::nullopt;
    Volume v(m);
    if (!v.open(session_start).ok()) return std::nullopt;
    uint64_t n = m.block_count();
    // The volume ends with an anchor: the partition's last block (our
    // sessions), or after the partition and the reserve sequence (mkudffs).
    uint64_t pend = uint64_t(v.summary.partition_start) + v.summary.partition_blocks;
    if (pend > session_start + 256 && pend <= n && v.is_anchor(pend - 1)) return uint32_t(pend - session_start);
    for (uint64_t from : {std::max(pend, v.reserve_end()), pend})
        for (uint64_t l = from; l < n && l < from + 600; ++l)
            if (v.is_anchor(l)) return uint32_t(l + 1 - session_start);
    return uint32_t(n - session_start);
}

Result<std::unique_ptr<model::FileSystemReader>> open_reader(media::SectorSource& m, uint64_t session_start) {
    auto r = std::make_unique<UdfReader>(m);
    DM_TRY(r->open(session_start));
    return std::unique_ptr<model::FileSystemReader>(std::move(r));
}

}  // namespace mastering::udf
