#include "mastering/udf/writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cstring>
#include <unordered_set>

#include "mastering/udf/descriptors.h"

namespace mastering::udf {

using codec::store_le16;
using codec::store_le32;
using codec::store_le64;
using model::Node;

namespace {

// The primitives' former spellings over their typed values (descriptors.h),
// until this file gives way to the writer's parts.
void finish_tag(std::byte* d, TagId id, uint16_t version, uint32_t location, size_t crc_length) {
    udf::finish_tag(d, id, DescriptorTag{version, 1, location}, crc_length + tag_bytes);
}
void store_regid(std::byte* p, std::string_view ident) { encode(EntityId{0, std::string(ident), {}}, p); }
void store_udf_regid(std::byte* p, std::string_view ident, uint16_t revision) { encode(EntityId::udf(ident, revision), p); }
void store_domain_regid(std::byte* p, uint16_t revision) { encode(EntityId::domain(revision), p); }
void store_impl_regid(std::byte* p) { encode(EntityId::implementation(), p); }
void store_charspec(std::byte* p) { encode(Charspec{}, p); }
void store_dstring(std::byte* p, size_t width, std::string_view utf8) { encode_dstring(p, width, utf8); }
void store_timestamp(std::byte* p, int64_t t) { encode_timestamp(p, {t, 0}); }
void store_extent_ad(std::byte* p, uint32_t length, uint32_t location) { encode(ExtentAd{length, location}, p); }
void store_long_ad(std::byte* p, const LongAd& ad) { encode(ad, p); }

constexpr uint32_t k_unset = UINT32_MAX;
constexpr size_t k_fe_header = 176, k_efe_header = 216;
// An allocation extent descriptor: tag, previous location, length of the
// descriptors, then long_ads (ECMA-167 4/14.5).
constexpr size_t k_aed_header = 24, k_aed_capacity = (block_size - k_aed_header) / 16;
constexpr size_t k_device_ea_bytes = 24 + 24;  // extended attribute header + device specification
// Sparable partitions: the spare area (as mkudffs sizes it by default) and
// one sparing table: header, then one map entry per spare packet (UDF 2.2.12).
constexpr uint32_t k_spare_blocks = 1024;
constexpr size_t k_sparing_header = 56;

size_t fid_size(size_t name_bytes) { return (38 + name_bytes + 3) & ~size_t(3); }

FileType file_type_of(const Node* n) {
    switch (n->mode & S_IFMT) {
    case S_IFDIR: return FileType::directory;
    case S_IFLNK: return FileType::symlink;
    case S_IFBLK: return FileType::block_device;
    case S_IFCHR: return FileType::char_device;
    case S_IFIFO: return FileType::fifo;
    case S_IFSOCK: return FileType::socket;
    default: return FileType::regular;
    }
}

uint32_t udf_permissions(uint32_t mode) {
    return (mode & 07) | ((mode & 070) << 2) | ((mode & 0700) << 4);
}

// ECMA-167 4/14.16: a symlink target as path components.
std::string symlink_components(std::string_view target) {
    std::string out;
    auto component = [&](uint8_t type, std::string_view ident) {
        out.push_back(char(type));
        out.push_back(char(ident.size()));
        out.push_back('\0');
        out.push_back('\0');
        out.append(ident);
    };
    if (!target.empty() && target.front() == '/') component(2, {});
    size_t i = 0;
    while (i < target.size()) {
        size_t j = target.find('/', i);
        if (j == std::string_view::npos) j = target.size();
        std::string_view part = target.substr(i, j - i);
        if (part == ".") component(4, {});
        else if (part == "..") component(3, {});
        else if (!part.empty()) component(5, encode_cs0(part, 255));
        i = j + 1;
    }
    return out;
}

// Long allocation descriptors for extents (absolute blocks) in the partition
// starting at `part_start`, each at most max_extent_bytes.
std::vector<LongAd> data_ads(const std::vector<model::Extent>& extents, uint32_t part_start) {
    std::vector<LongAd> ads;
    for (const auto& e : extents) {
        uint64_t off = 0;
        while (off < e.length) {
            uint32_t len = uint32_t(std::min<uint64_t>(e.length - off, max_extent_bytes));
            LongAd ad;
            ad.length = len;
            if (e.sparse) {
                ad.type = 2;  // not recorded, not allocated
            } else {
                ad.block = uint32_t(e.lba + off / block_size - part_start);
            }
            ads.push_back(ad);
            off += len;
        }
    }
    return ads;
}

}  // namespace

uint16_t sparable_packet_for(media::Family family) { return family == media::Family::dvd ? 16 : 32; }

Result<uint16_t> parse_partition(std::string_view kind, media::Family family) {
    if (kind == "physical") return uint16_t(0);
    if (kind == "sparable") return sparable_packet_for(family);
    return make_error(Errc::invalid_argument, "unknown UDF partition \"" + std::string(kind) + "\" (physical, sparable)");
}

UdfPart::UdfPart(model::Tree& tree, const model::FileData& data, UdfOptions o)
    : m_tree(tree), m_data(data), m_opt(std::move(o)) {}

void UdfPart::vrs_block(uint32_t index, uint16_t revision, std::byte* b) {
    std::memset(b, 0, block_size);
    const char* id = index == 0 ? "BEA01" : index == 1 ? (revision >= rev200 ? "NSR03" : "NSR02") : "TEA01";
    b[0] = std::byte{0};
    std::memcpy(b + 1, id, 5);
    b[6] = std::byte{1};
}

bool UdfPart::include(const Node*) const { return true; }

uint64_t UdfPart::unique_id(const Node* n) const { return n == m_tree.root() ? 0 : 16 + uint64_t(n->ino); }

std::vector<std::string> UdfPart::child_names(const Node* dir) const {
    std::vector<std::string> names;
    names.reserve(dir->children->size());
    bool shortened = false;
    for (const Node* c : *dir->children) {
        if (!include(c)) continue;
        names.push_back(encode_cs0(c->name, 255));
        if (decode_cs0(reinterpret_cast<const std::byte*>(names.back().data()), names.back().size()) != c->name)
            shortened = true;
    }
    if (shortened) {
        // Names cut to 255 bytes (or with characters beyond UCS-2) may clash: number the later ones.
        std::unordered_set<std::string> seen;
        for (auto& n : names) {
            for (unsigned k = 1; !seen.insert(n).second; ++k) {
                std::string suffix = "~" + std::to_string(k);
                std::string base = n.substr(0, std::min(n.size(), size_t(255) - suffix.size() * (n[0] == 16 ? 2 : 1)));
                if (n[0] == 16 && base.size() % 2 == 0) base.pop_back();
                std::string enc = base;
                for (char ch : suffix) {
                    if (n[0] == 16) enc.push_back('\0');
                    enc.push_back(ch);
                }
                n = enc;
            }
        }
    }
    return names;
}

uint32_t UdfPart::directory_bytes(const Node* dir) const {
    size_t bytes = fid_size(0);
    for (const auto& n : child_names(dir)) bytes += fid_size(n.size());
    return uint32_t(std::min<size_t>(bytes, UINT32_MAX));
}

Status UdfPart::layout_head(model::Allocator& a) {
    if (m_opt.revision != rev102 && m_opt.revision != rev150 && m_opt.revision != rev200 &&
        m_opt.revision != rev201 && m_opt.revision != rev250)
        return make_error(Errc::unsupported, "UDF revision " + revision_text(m_opt.revision) +
                                                 " is not supported (1.02, 1.50, 2.00, 2.01, 2.50)");
    if (vat() && m_opt.revision < rev150)
        return make_error(Errc::unsupported, "UDF 1.02 has no virtual allocation table for write-once discs: "
                                             "use UDF 1.50 or later");
    if (sparable()) {
        if (vat())
            return make_error(Errc::invalid_argument, "a sparable UDF partition is for rewritable media written in "
                                                      "fixed packets; write-once discs use a virtual allocation table");
        if (m_opt.revision < rev150)
            return make_error(Errc::unsupported, "UDF 1.02 has no sparable partitions: use UDF 1.50 or later");
        uint32_t p = m_opt.sparable_packet;
        if ((p & (p - 1)) != 0 || k_spare_blocks % p != 0 || k_sparing_header + 8 * (k_spare_blocks / p) > block_size)
            return make_error(Errc::invalid_argument, "UDF packet length " + std::to_string(p) +
                                                          " (a power of two from 8 to 1024 blocks)");
    }
    m_session_start = a.start();
    uint32_t s = m_session_start;
    if (m_opt.own_vrs) DM_TRY(a.reserve_at(s + 16, 3, this, t_vrs));
    DM_TRY(a.reserve_at(s + 256, 1, this, t_anchor_session));
    // A plain image file's first session (at 32): its readers look at block 256.
    if (s > 0 && s + 32 <= 256) DM_TRY(a.reserve_at(256, 1, this, t_anchor_image));
    if (vat()) {
        // On a write-once disc the descriptor sequences go before the
        // partition (below start + 256), the VAT entry last.
        m_integrity = a.reserve(2, this, t_integrity);
        m_main_vds = a.reserve(16, this, t_main_vds);
        m_reserve_vds = a.reserve(16, this, t_reserve_vds);
    }
    return {};
}

Status UdfPart::layout_entries(model::Allocator& a) {
    uint32_t s = m_session_start;
    while (a.next() < s + 256) a.reserve(1, this, t_pad);  // one at a time: around the fixed anchors

    // The metadata area: file set descriptor + terminator, then per directory
    // (breadth first) its entry and its identifiers, then the entries of its
    // other children (one per inode: hard links share it).
    m_max_ino = 0;
    std::vector<const Node*> queue{m_tree.root()};
    for (size_t qi = 0; qi < queue.size(); ++qi)
        for (const Node* c : *queue[qi]->children) {
            m_max_ino = std::max<uint64_t>(m_max_ino, c->ino);
            if (c->is_dir()) queue.push_back(c);
        }
    m_max_ino = std::max<uint64_t>(m_max_ino, m_tree.root()->ino);
    m_entry_of_ino.assign(size_t(m_max_ino) + 1, k_unset);
    m_links_of_ino.assign(size_t(m_max_ino) + 1, 0);
    m_items.clear();
    m_items.push_back({nullptr, 0, 2});
    uint64_t next = 2;
    m_files = m_dirs = 0;
    for (const Node* d : queue) {
        uint64_t bytes = directory_bytes(d);
        if (bytes > max_extent_bytes)
            return make_error(Errc::unsupported, model::Tree::path_of(d) + ": directory too large for one UDF extent");
        m_entry_of_ino[d->ino] = uint32_t(next);
        uint32_t blocks = 1 + uint32_t((bytes + block_size - 1) / block_size);
        m_items.push_back({d, uint32_t(next), blocks});
        next += blocks;
        ++m_dirs;
        for (const Node* c : *d->children) {
            if (c->is_dir() || !include(c)) continue;
            if (m_links_of_ino[c->ino] < 0xFFFF) ++m_links_of_ino[c->ino];
            if (m_entry_of_ino[c->ino] != k_unset) continue;  // another name of the same file
            m_entry_of_ino[c->ino] = uint32_t(next);
            // A file with more extents than its entry holds continues them in
            // allocation extent descriptors right after the entry.
            uint32_t entry_blocks = 1 + (c->is_file() ? aed_blocks(*c) : 0);
            m_items.push_back({c, uint32_t(next), entry_blocks});
            next += entry_blocks;
            ++m_files;
        }
        if (next > UINT32_MAX / 2) return make_error(Errc::unsupported, "too many files for one UDF volume");
    }
    m_meta_blocks = uint32_t(next);
    // A sparable partition starts on a packet boundary (here, in a first
    // session); so do the metadata file and its mirror (its alignment unit).
    align_to_packet(a);
    if (metadata_partition()) {
        m_meta_fe = a.reserve(1, this, t_meta_fe);
        m_mirror_fe = a.reserve(1, this, t_mirror_fe);
        align_to_packet(a);
        m_meta_start = a.reserve(m_meta_blocks, this, t_meta);
        align_to_packet(a);
        m_mirror_start = a.reserve(m_meta_blocks, this, t_mirror);
    } else {
        m_meta_start = a.reserve(m_meta_blocks, this, t_meta);
    }
    return {};
}

Status UdfPart::pad_to_packet(model::Allocator& a, uint32_t& end, uint32_t then) {
    if (uint32_t odd = (end + then) % packet(); odd != 0) {
        DM_TRY(a.reserve_at(end, packet() - odd, this, t_pad));
        end += packet() - odd;
    }
    return {};
}

void UdfPart::align_to_packet(model::Allocator& a) {
    if (packet() == 1) return;
    // One block at a time, so that fixed blocks (the anchor at start + 256)
    // are stepped over, until the last one ends a packet.
    uint32_t b = a.reserve(1, this, t_pad);
    while ((b + 1) % packet() != 0) b = a.reserve(1, this, t_pad);
}

Status UdfPart::layout_tail(model::Allocator& a) {
    // Every entry must fit its block: count the allocation descriptors now
    // that the file data have their places.
    size_t header = extended_entries() ? k_efe_header : k_fe_header;
    for (const auto& it : m_items) {
        const Node* n = it.node;
        if (!n || n->is_dir()) continue;
        size_t body = 0;
        if (n->is_file()) {
            if (data_ads(m_data.placement(*n), 0).size() > ads_in_entry() + aed_blocks(*n) * (k_aed_capacity - 1))
                return make_error(Errc::internal, model::Tree::path_of(n) + ": UDF extents miscounted");
        } else if (n->is_symlink()) body = symlink_components(n->symlink_target()).size();
        else if (S_ISCHR(n->mode) || S_ISBLK(n->mode)) body = k_device_ea_bytes;
        if (header + body > block_size)
            return make_error(Errc::unsupported, model::Tree::path_of(n) + (n->is_file() ? ": too many extents" : ": target too long") +
                                                     " for one UDF file entry");
    }
    // The partition: from the lowest block an entry refers to, up to here.
    // Data kept from an earlier session may lie lowest: then the partition
    // starts one block earlier, as no file's data may sit at logical block 0
    // (libudfread reads block 0 as "no data").
    uint64_t own = metadata_partition() ? m_meta_fe : m_meta_start, low = own;
    for (const auto& it : m_items)
        if (it.node && it.node->is_file())
            for (const auto& e : m_data.placement(*it.node))
                if (!e.sparse) low = std::min<uint64_t>(low, e.lba);
    if (low < own && low > 0) --low;
    low -= low % packet();
    if (vat() && m_opt.partition_start) {
        // Every session of a VAT disc shares the first session's partition.
        if (*m_opt.partition_start > low)
            return make_error(Errc::corrupt, "the disc's UDF partition starts at block " +
                                                 std::to_string(*m_opt.partition_start) + ", after data it holds");
        low = *m_opt.partition_start;
    }
    m_part_start = uint32_t(low);
    uint32_t end = a.end();
    DM_TRY(pad_to_packet(a, end));  // a sparable partition ends on a packet boundary
    m_part_blocks = end - m_part_start;
    if (vat()) {
        // The VAT: embedded in its entry when it fits, else in blocks before it.
        size_t bytes = vat_bytes().size();
        m_vat_blocks = header + bytes <= block_size ? 0 : uint32_t((bytes + block_size - 1) / block_size);
        uint32_t length = end + m_vat_blocks + 1 - m_session_start;
        uint32_t unit = std::max<uint32_t>(1, m_opt.write_unit);
        uint32_t padded = std::max(length, m_opt.min_blocks);
        padded = (padded + unit - 1) / unit * unit;
        if (padded > length) {
            DM_TRY(a.reserve_at(end, padded - length, this, t_pad));
            end += padded - length;
        }
        if (m_vat_blocks) m_vat_data = DM_TRY(a.reserve_at(end, m_vat_blocks, this, t_vat_data));
        m_vat_icb = DM_TRY(a.reserve_at(end + m_vat_blocks, 1, this, t_vat_icb));
        uint64_t part_end = std::max<uint64_t>(m_opt.medium_end, m_vat_icb + 1);
        m_part_blocks = uint32_t(part_end - m_part_start);
        m_vat_cache.clear();
        return {};
    }
    if (sparable()) {
        // The first sparing table and the spare packets, outside the
        // partition (no file may be allocated in them: UDF 2.2.12). Not
        // before start + 256 as mkudffs has it: an appended session's
        // partition reaches back into older sessions.
        m_sparing[0] = DM_TRY(a.reserve_at(end, 1, this, t_sparing_main));
        end += 1;
        DM_TRY(pad_to_packet(a, end));
        m_spare_start = DM_TRY(a.reserve_at(end, k_spare_blocks, this, t_pad));
        end += k_spare_blocks;
    }
    // The integrity sequence first: readers that size the volume by its
    // descriptor sequences (7-Zip) expect only the closing anchor after them.
    m_integrity = DM_TRY(a.reserve_at(end, 2, this, t_integrity));
    m_main_vds = DM_TRY(a.reserve_at(end + 2, 16, this, t_main_vds));
    m_reserve_vds = DM_TRY(a.reserve_at(end + 18, 16, this, t_reserve_vds));
    end += 34;
    if (sparable()) {
        // The second sparing table, then padding so that the session ends
        // on a packet boundary with its closing anchor.
        m_sparing[1] = DM_TRY(a.reserve_at(end, 1, this, t_sparing_copy));
        end += 1;
        DM_TRY(pad_to_packet(a, end, 1));  // the anchor last in its packet
    }
    m_end_anchor = DM_TRY(a.reserve_at(end, 1, this, t_anchor_end));
    return {};
}

void UdfPart::fill_sparing_table(uint32_t location, std::byte* b) const {
    // Every spare packet is available (original location #FFFFFFFF); the
    // entries stay sorted by original location (UDF 2.2.12).
    std::memset(b, 0, block_size);
    uint32_t entries = k_spare_blocks / packet();
    store_udf_regid(b + 16, "*UDF Sparing Table", m_opt.revision);
    store_le16(b + 48, uint16_t(entries));
    store_le32(b + 52, 0);  // sequence number
    for (uint32_t i = 0; i < entries; ++i) {
        store_le32(b + k_sparing_header + 8 * i, 0xFFFFFFFFu);
        store_le32(b + k_sparing_header + 8 * i + 4, m_spare_start + i * packet());
    }
    finish_tag(b, TagId(0), desc_version(), location, k_sparing_header + 8 * entries - 16);
}

void UdfPart::fill_anchor(uint32_t location, std::byte* b) const {
    std::memset(b, 0, block_size);
    store_extent_ad(b + 16, 16 * block_size, m_main_vds);
    store_extent_ad(b + 24, 16 * block_size, m_reserve_vds);
    finish_tag(b, TagId::anchor, desc_version(), location, 512 - 16);
}

std::vector<std::byte> UdfPart::image_anchor() const {
    std::vector<std::byte> b(block_size);
    fill_anchor(256, b.data());
    return b;
}

void UdfPart::fill_vds(uint32_t base, uint32_t index, std::byte* b) const {
    std::memset(b, 0, block_size);
    uint32_t loc = base + index;
    uint16_t v = desc_version();
    switch (index) {
    case 0: {  // primary volume descriptor
        store_le32(b + 16, 0);
        store_le32(b + 20, 0);
        store_dstring(b + 24, 32, m_opt.volume_name);
        store_le16(b + 56, 1);
        store_le16(b + 58, 1);
        store_le16(b + 60, 2);
        store_le16(b + 62, 3);
        store_le32(b + 64, 1);
        store_le32(b + 68, 1);
        char set_id[32];
        std::snprintf(set_id, sizeof set_id, "%08llX", static_cast<unsigned long long>(uint64_t(m_opt.now) & 0xFFFFFFFFu));
        store_dstring(b + 72, 128, std::string(set_id) + "DISCMASTER" + m_opt.volume_name);
        store_charspec(b + 200);
        store_charspec(b + 264);
        store_impl_regid(b + 344);  // application
        store_timestamp(b + 376, m_opt.now);
        store_impl_regid(b + 388);
        finish_tag(b, TagId::primary_volume, v, loc, 512 - 16);
        break;
    }
    case 1: {  // implementation use volume descriptor: "*UDF LV Info"
        store_le32(b + 16, 1);
        store_udf_regid(b + 20, "*UDF LV Info", m_opt.revision);
        store_charspec(b + 52);
        store_dstring(b + 116, 128, m_opt.volume_name);
        store_impl_regid(b + 352);
        finish_tag(b, TagId::implementation_use, v, loc, 512 - 16);
        break;
    }
    case 2: {  // partition descriptor
        store_le32(b + 16, 2);
        store_le16(b + 20, 1);  // allocated
        store_le16(b + 22, 0);  // partition number
        store_regid(b + 24, m_opt.revision >= rev200 ? "+NSR03" : "+NSR02");
        store_le32(b + 184, vat() ? 2 : 1);  // access type: write-once, else read-only
        store_le32(b + 188, m_part_start);
        store_le32(b + 192, m_part_blocks);
        store_impl_regid(b + 196);
        finish_tag(b, TagId::partition, v, loc, 512 - 16);
        break;
    }
    case 3: {  // logical volume descriptor
        store_le32(b + 16, 3);
        store_charspec(b + 20);
        store_dstring(b + 84, 128, m_opt.volume_name);
        store_le32(b + 212, block_size);
        store_domain_regid(b + 216, m_opt.revision);
        store_long_ad(b + 248, LongAd{block_size, 0, meta_lbn(0), meta_ref(), 0});
        store_impl_regid(b + 272);
        store_extent_ad(b + 432, 2 * block_size, m_integrity);
        std::byte* map = b + 440;
        uint32_t table = 6;
        if (sparable()) {
            // One type 2 map in place of the physical one (UDF 2.2.9).
            map[0] = std::byte{2};
            map[1] = std::byte{64};
            store_udf_regid(map + 4, "*UDF Sparable Partition", m_opt.revision);
            store_le16(map + 36, 1);
            store_le16(map + 38, 0);
            store_le16(map + 40, uint16_t(packet()));
            map[42] = std::byte{2};  // sparing tables
            store_le32(map + 44, uint32_t(k_sparing_header + 8 * (k_spare_blocks / packet())));
            store_le32(map + 48, m_sparing[0]);
            store_le32(map + 52, m_sparing[1]);
            table = 64;
        } else {
            map[0] = std::byte{1};
            map[1] = std::byte{6};
            store_le16(map + 2, 1);
            store_le16(map + 4, 0);
        }
        if (vat()) {
            std::byte* m = map + table;
            m[0] = std::byte{2};
            m[1] = std::byte{64};
            store_udf_regid(m + 4, "*UDF Virtual Partition", m_opt.revision);
            store_le16(m + 36, 1);
            store_le16(m + 38, 0);
            table += 64;
        }
        if (metadata_partition()) {
            std::byte* m = map + table;
            m[0] = std::byte{2};
            m[1] = std::byte{64};
            store_udf_regid(m + 4, "*UDF Metadata Partition", m_opt.revision);
            store_le16(m + 36, 1);
            store_le16(m + 38, 0);
            store_le32(m + 40, m_meta_fe - m_part_start);
            store_le32(m + 44, m_mirror_fe - m_part_start);
            store_le32(m + 48, 0xFFFFFFFFu);  // no bitmap: the partition is read-only
            store_le32(m + 52, 32);           // allocation unit
            store_le16(m + 56, uint16_t(packet()));  // alignment unit: the packet, if any
            // Duplicate Metadata Flag (2.2.10): the mirror holds the metadata
            // file's bytes (both are filled by fill_meta), as 2.2.13 asks of a
            // mirror when the flag is set; readers may then use either.
            m[58] = std::byte{1};
            table += 64;
        }
        store_le32(b + 264, table);
        store_le32(b + 268, metadata_partition() || vat() ? 2 : 1);
        finish_tag(b, TagId::logical_volume, v, loc, 440 + table - 16);
        break;
    }
    case 4:  // unallocated space descriptor: none
        store_le32(b + 16, 4);
        store_le32(b + 20, 0);
        finish_tag(b, TagId::unallocated_space, v, loc, 24 - 16);
        break;
    case 5:
        finish_tag(b, TagId::terminating, v, loc, 512 - 16);
        break;
    default:
        break;
    }
}

void UdfPart::fill_integrity(uint32_t index, std::byte* b) const {
    std::memset(b, 0, block_size);
    uint32_t loc = m_integrity + index;
    if (index == 1) {
        finish_tag(b, TagId::terminating, desc_version(), loc, 512 - 16);
        return;
    }
    store_timestamp(b + 16, m_opt.now);
    store_le32(b + 28, 1);  // close integrity
    store_le64(b + 40, 16 + m_max_ino + 1);  // next unique id
    uint32_t parts = metadata_partition() || vat() ? 2 : 1;
    store_le32(b + 72, parts);
    store_le32(b + 76, 46);
    std::byte* p = b + 80;
    for (uint32_t i = 0; i < parts; ++i) store_le32(p + 4 * i, 0);  // free space
    p += 4 * parts;
    store_le32(p, m_part_blocks);
    if (parts == 2) store_le32(p + 4, m_meta_blocks);
    p += 4 * parts;
    store_impl_regid(p);
    store_le32(p + 32, uint32_t(std::min<uint64_t>(m_files, UINT32_MAX)));
    store_le32(p + 36, uint32_t(std::min<uint64_t>(m_dirs, UINT32_MAX)));
    store_le16(p + 40, m_opt.revision);
    store_le16(p + 42, m_opt.revision);
    store_le16(p + 44, m_opt.revision);
    size_t size = 80 + 8 * parts + 46;
    finish_tag(b, TagId::integrity, desc_version(), loc, size - 16);
}

void UdfPart::fill_file_set(uint32_t index, std::byte* b) const {
    std::memset(b, 0, block_size);
    uint32_t loc = meta_lbn(index);
    if (index == 1) {
        finish_tag(b, TagId::terminating, desc_version(), loc, 512 - 16);
        return;
    }
    store_timestamp(b + 16, m_opt.now);
    store_le16(b + 28, 3);
    store_le16(b + 30, 3);
    store_le32(b + 32, 1);
    store_le32(b + 36, 1);
    store_charspec(b + 48);
    store_dstring(b + 112, 128, m_opt.volume_name);
    store_charspec(b + 240);
    store_dstring(b + 304, 32, m_opt.volume_name);
    store_long_ad(b + 400, LongAd{block_size, 0, meta_lbn(m_entry_of_ino[m_tree.root()->ino]), meta_ref(), 0});
    store_domain_regid(b + 416, m_opt.revision);
    finish_tag(b, TagId::file_set, desc_version(), loc, 512 - 16);
}

namespace {
// The fields every (extended) file entry shares; returns the offset of the
// extended attributes (the end of the fixed part).
struct EntryFields {
    FileType type;
    uint16_t flags;
    uint32_t uid, gid, perms;
    uint16_t links;
    uint64_t size, blocks, unique;
    int64_t atime, mtime, ctime;
    uint32_t ea_bytes, ad_bytes;
};
size_t store_entry(std::byte* b, bool efe, const EntryFields& f) {
    store_le32(b + 16, 0);
    store_le16(b + 20, 4);  // strategy 4
    store_le16(b + 24, 1);
    b[27] = std::byte(uint8_t(f.type));
    store_le16(b + 34, f.flags);
    store_le32(b + 36, f.uid);
    store_le32(b + 40, f.gid);
    store_le32(b + 44, f.perms);
    store_le16(b + 48, f.links);
    store_le64(b + 56, f.size);
    if (efe) {
        store_le64(b + 64, f.size);
        store_le64(b + 72, f.blocks);
        store_timestamp(b + 80, f.atime);
        store_timestamp(b + 92, f.mtime);
        store_timestamp(b + 104, std::min(f.mtime, f.ctime));
        store_timestamp(b + 116, f.ctime);
        store_le32(b + 128, 1);
        store_impl_regid(b + 168);
        store_le64(b + 200, f.unique);
        store_le32(b + 208, f.ea_bytes);
        store_le32(b + 212, f.ad_bytes);
        return k_efe_header;
    }
    store_le64(b + 64, f.blocks);
    store_timestamp(b + 72, f.atime);
    store_timestamp(b + 84, f.mtime);
    store_timestamp(b + 96, f.ctime);
    store_le32(b + 108, 1);
    store_impl_regid(b + 128);
    store_le64(b + 160, f.unique);
    store_le32(b + 168, f.ea_bytes);
    store_le32(b + 172, f.ad_bytes);
    return k_fe_header;
}
}  // namespace

Status UdfPart::fill_entry(const Node* n, uint32_t lbn, std::byte* b) const {
    std::memset(b, 0, block_size);
    bool efe = extended_entries();
    EntryFields f{};
    f.type = file_type_of(n);
    f.flags = 1;  // long_ad
    if (n->mode & S_ISUID) f.flags |= 0x40;
    if (n->mode & S_ISGID) f.flags |= 0x80;
    if (n->mode & S_ISVTX) f.flags |= 0x100;
    f.uid = n->uid;
    f.gid = n->gid;
    f.perms = udf_permissions(n->mode);
    f.unique = unique_id(n);
    f.atime = n->atime;
    f.mtime = n->mtime;
    f.ctime = n->ctime;
    std::vector<LongAd> ads;
    std::string inline_bytes;
    bool device = false;
    if (n->is_dir()) {
        uint16_t subdirs = 0;
        for (const Node* c : *n->children)
            if (c->is_dir() && include(c) && subdirs < 0xFFFE) ++subdirs;
        f.links = uint16_t(1 + subdirs);
        f.size = directory_bytes(n);
        f.blocks = (f.size + block_size - 1) / block_size;
        ads.push_back(LongAd{uint32_t(f.size), 0, meta_lbn(m_entry_of_ino[n->ino] + 1), meta_ref(), 0});
    } else {
        f.links = 1;
        if (n->is_file() && n->content && m_embedded && m_embedded(*n->content)) {
            inline_bytes = DM_TRY(embedded_bytes(*n->content));
            f.size = inline_bytes.size();
            f.flags = uint16_t((f.flags & ~7u) | 3);  // data in the ICB
        } else if (n->is_file()) {
            f.size = n->size();
            ads = data_ads(m_data.placement(*n), m_part_start);
            for (const auto& ad : ads)
                if (ad.type == 0) f.blocks += (ad.length + block_size - 1) / block_size;
        } else if (n->is_symlink()) {
            inline_bytes = symlink_components(n->symlink_target());
            f.size = inline_bytes.size();
            f.flags = uint16_t((f.flags & ~7u) | 3);  // data in the ICB
        } else if (S_ISCHR(n->mode) || S_ISBLK(n->mode)) {
            device = true;
        }
    }
    f.ad_bytes = inline_bytes.empty() ? uint32_t(std::min(ads.size(), ads_in_entry()) * 16) : uint32_t(inline_bytes.size());
    f.ea_bytes = device ? uint32_t(k_device_ea_bytes) : 0;
    size_t header = efe ? k_efe_header : k_fe_header;
    if (header + f.ea_bytes + f.ad_bytes > block_size)
        return make_error(Errc::internal, "UDF entry of " + model::Tree::path_of(n) + " does not fit its block");
    // Hard links: every name of the file counts.
    if (!n->is_dir()) f.links = std::max<uint16_t>(1, m_links_of_ino[n->ino]);
    store_entry(b, efe, f);
    std::byte* p = b + header;
    if (device) {
        // Extended attribute header descriptor, then a device specification (ECMA-167 4/14.10.7).
        store_le32(p + 16, uint32_t(k_device_ea_bytes));
        store_le32(p + 20, uint32_t(k_device_ea_bytes));
        finish_tag(p, TagId::extended_attribute_header, desc_version(), lbn, 8);
        std::byte* d = p + 24;
        store_le32(d, 12);
        d[4] = std::byte{1};
        store_le32(d + 8, 24);
        store_le32(d + 12, 0);
        store_le32(d + 16, uint32_t(major(n->rdev())));
        store_le32(d + 20, uint32_t(minor(n->rdev())));
        p += k_device_ea_bytes;
    }
    if (!inline_bytes.empty()) {
        std::memcpy(p, inline_bytes.data(), inline_bytes.size());
    } else {
        size_t in_entry = ads.size() > ads_in_entry() ? ads_in_entry() - 1 : ads.size();
        for (size_t k = 0; k < in_entry; ++k, p += 16) store_long_ad(p, ads[k]);
        if (in_entry < ads.size()) {
            uint32_t rel = m_entry_of_ino[n->ino];
            store_long_ad(p, LongAd{block_size, 3, meta_lbn(rel + 1), meta_ref(), 0});
        }
    }
    finish_tag(b, efe ? TagId::extended_file_entry : TagId::file_entry, desc_version(), lbn,
               header + f.ea_bytes + f.ad_bytes - 16);
    return {};
}

void UdfPart::fill_system_entry(uint64_t tag, std::byte* b) const {
    std::memset(b, 0, block_size);
    bool mirror = tag == t_mirror_fe;
    EntryFields f{};
    f.type = mirror ? FileType::metadata_mirror : FileType::metadata;
    f.flags = 0;  // short_ad: in the physical partition
    f.uid = f.gid = 0xFFFFFFFFu;
    f.links = 1;
    f.size = uint64_t(m_meta_blocks) * block_size;
    f.blocks = m_meta_blocks;
    f.atime = f.mtime = f.ctime = m_opt.now;
    auto ads = data_ads({model::Extent{mirror ? m_mirror_start : m_meta_start, f.size, false}}, m_part_start);
    f.ad_bytes = uint32_t(ads.size() * 8);
    bool efe = extended_entries();
    size_t header = store_entry(b, efe, f);
    std::byte* p = b + header;
    for (const auto& ad : ads) {
        if (size_t(p - b) + 8 > block_size) break;
        store_le32(p, ad.length);
        store_le32(p + 4, ad.block);
        p += 8;
    }
    finish_tag(b, efe ? TagId::extended_file_entry : TagId::file_entry, desc_version(),
               (mirror ? m_mirror_fe : m_meta_fe) - m_part_start, size_t(p - b) - 16);
}

size_t UdfPart::ads_in_entry() const {
    return (block_size - (extended_entries() ? k_efe_header : k_fe_header)) / 16;
}

uint32_t UdfPart::aed_blocks(const Node& n) const {
    if (!n.content || (m_embedded && m_embedded(*n.content))) return 0;
    // Before the data are laid out only the extents' lengths are known: enough to count.
    size_t ads = data_ads(m_data.placement(n), 0).size(), in_entry = ads_in_entry();
    if (ads <= in_entry) return 0;
    size_t rest = ads - (in_entry - 1), blocks = 0;
    while (rest > k_aed_capacity) {
        rest -= k_aed_capacity - 1;
        ++blocks;
    }
    return uint32_t(blocks + 1);
}

// Allocation descriptor `k` of a file and whether the entry (k < first) or
// AED block j holds it: the entry takes ads_in_entry() - 1 and a pointer,
// every AED but the last k_aed_capacity - 1 and a pointer.
Status UdfPart::fill_aed(const Item& item, uint32_t j, std::byte* b) const {
    std::memset(b, 0, block_size);
    auto ads = data_ads(m_data.placement(*item.node), m_part_start);
    size_t first = ads_in_entry() - 1 + size_t(j) * (k_aed_capacity - 1);
    bool last = j + 2 == item.blocks;
    size_t count = std::min(ads.size() - std::min(ads.size(), first), last ? k_aed_capacity : k_aed_capacity - 1);
    std::byte* p = b + k_aed_header;
    for (size_t k = 0; k < count; ++k, p += 16) store_long_ad(p, ads[first + k]);
    if (!last) {
        store_long_ad(p, LongAd{block_size, 3, meta_lbn(item.block + 2 + j), meta_ref(), 0});
        p += 16;
    }
    uint32_t lbn = meta_lbn(item.block + 1 + j);
    store_le32(b + 16, j == 0 ? meta_lbn(item.block) : lbn - 1);  // the entry or the AED before
    store_le32(b + 20, uint32_t(p - b - k_aed_header));
    finish_tag(b, TagId::allocation_extent, desc_version(), lbn, size_t(p - b) - 16);
    return {};
}

Result<std::string> UdfPart::embedded_bytes(const model::Content& c) const {
    std::string out(size_t(c.size), '\0');
    auto bytes = std::span(reinterpret_cast<std::byte*>(out.data()), out.size());
    size_t done = 0;
    if (c.kind == model::ContentKind::host_file) {
        int fd = ::open(c.path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return os_error("cannot read " + c.path);
        while (done < out.size()) {
            ssize_t n = ::pread(fd, out.data() + done, out.size() - done, off_t(done));
            if (n <= 0) break;
            done += size_t(n);
        }
        char extra;
        bool longer = ::pread(fd, &extra, 1, off_t(done)) > 0;
        ::close(fd);
        if (done != out.size() || longer)
            return make_error(Errc::changed, c.path + ": the file changed size after it was added");
        return out;
    }
    while (done < out.size()) {
        size_t n = DM_TRY(c.source->read_at(done, bytes.subspan(done)));
        if (n == 0) return make_error(Errc::changed, c.source->describe() + ": the stream ended early");
        done += n;
    }
    return out;
}

std::vector<std::byte> UdfPart::vat_bytes() const {
    // UDF 2.00+: a header, then one 32-bit physical block per virtual block;
    // 1.50: the entries, then "*UDF Virtual Alloc Tbl" and the previous VAT.
    bool v2 = m_opt.revision >= rev200;
    size_t header = v2 ? 152 : 0;
    std::vector<std::byte> out(header + 4 * size_t(m_meta_blocks) + (v2 ? 0 : 36), std::byte{0});
    std::byte* p = out.data();
    if (v2) {
        store_le16(p, uint16_t(header));
        store_le16(p + 2, 0);
        store_dstring(p + 4, 128, m_opt.volume_name);
        store_le32(p + 132, 0xFFFFFFFFu);  // previous VAT: none recorded (each session maps every entry)
        store_le32(p + 136, uint32_t(std::min<uint64_t>(m_files, UINT32_MAX)));
        store_le32(p + 140, uint32_t(std::min<uint64_t>(m_dirs, UINT32_MAX)));
        store_le16(p + 144, m_opt.revision);
        store_le16(p + 146, m_opt.revision);
        store_le16(p + 148, m_opt.revision);
    }
    for (uint32_t v = 0; v < m_meta_blocks; ++v) store_le32(p + header + 4 * size_t(v), m_meta_start - m_part_start + v);
    if (!v2) {
        std::byte* t = p + header + 4 * size_t(m_meta_blocks);
        store_udf_regid(t, "*UDF Virtual Alloc Tbl", m_opt.revision);
        store_le32(t + 32, 0xFFFFFFFFu);
    }
    return out;
}

void UdfPart::fill_vat_icb(std::byte* b) const {
    std::memset(b, 0, block_size);
    bool efe = extended_entries();
    auto bytes = vat_bytes();
    EntryFields f{};
    f.type = m_opt.revision >= rev200 ? FileType::vat20 : FileType::unspecified;
    f.uid = f.gid = 0xFFFFFFFFu;
    f.links = 1;
    f.size = bytes.size();
    f.atime = f.mtime = f.ctime = m_opt.now;
    std::vector<LongAd> ads;
    if (m_vat_blocks) {
        f.flags = 0;  // short_ad in the physical partition
        ads = data_ads({model::Extent{m_vat_data, bytes.size(), false}}, m_part_start);
        f.blocks = m_vat_blocks;
        f.ad_bytes = uint32_t(ads.size() * 8);
    } else {
        f.flags = 3;  // embedded
        f.ad_bytes = uint32_t(bytes.size());
    }
    size_t header = store_entry(b, efe, f);
    std::byte* p = b + header;
    if (m_vat_blocks) {
        for (const auto& ad : ads) {
            store_le32(p, ad.length);
            store_le32(p + 4, ad.block);
            p += 8;
        }
    } else {
        std::memcpy(p, bytes.data(), bytes.size());
        p += bytes.size();
    }
    finish_tag(b, efe ? TagId::extended_file_entry : TagId::file_entry, desc_version(), m_vat_icb - m_part_start,
               size_t(p - b) - 16);
}

Status UdfPart::build_directory(const Node* dir, uint32_t first_lbn, std::vector<std::byte>& out) const {
    auto names = child_names(dir);
    out.assign(directory_bytes(dir), std::byte{0});
    size_t off = 0;
    auto fid = [&](const Node* target, uint8_t characteristics, std::string_view name) {
        std::byte* p = out.data() + off;
        size_t size = fid_size(name.size());
        store_le16(p + 16, 1);
        p[18] = std::byte(characteristics);
        p[19] = std::byte(name.size());
        uint32_t entry = m_entry_of_ino[target->ino];
        store_long_ad(p + 20, LongAd{block_size, 0, meta_lbn(entry), meta_ref(), uint32_t(unique_id(target))});
        store_le16(p + 36, 0);
        if (!name.empty()) std::memcpy(p + 38, name.data(), name.size());
        finish_tag(p, TagId::file_identifier, desc_version(), first_lbn + uint32_t(off / block_size), size - 16);
        off += size;
    };
    const Node* parent = dir->parent ? dir->parent : dir;
    fid(parent, 0x0A, {});
    size_t i = 0;
    for (const Node* c : *dir->children) {
        if (!include(c)) continue;
        fid(c, c->is_dir() ? 0x02 : 0x00, names[i++]);
    }
    return {};
}

Status UdfPart::fill_meta(uint32_t rel, std::byte* b) {
    auto it = std::upper_bound(m_items.begin(), m_items.end(), rel,
                               [](uint32_t r, const Item& item) { return r < item.block; });
    DM_VERIFY(it != m_items.begin());
    const Item& item = *(it - 1);
    DM_VERIFY(rel < item.block + item.blocks);
    if (!item.node) {
        fill_file_set(rel - item.block, b);
        return {};
    }
    if (rel == item.block) return fill_entry(item.node, meta_lbn(rel), b);
    if (!item.node->is_dir()) return fill_aed(item, rel - item.block - 1, b);
    if (m_cache_dir != item.node) {
        DM_TRY(build_directory(item.node, meta_lbn(item.block + 1), m_cache));
        m_cache_dir = item.node;
    }
    size_t off = size_t(rel - item.block - 1) * block_size;
    std::memset(b, 0, block_size);
    if (off < m_cache.size()) std::memcpy(b, m_cache.data() + off, std::min<size_t>(block_size, m_cache.size() - off));
    return {};
}

Status UdfPart::emit(uint64_t tag, uint32_t first, std::span<std::byte> out) {
    for (uint32_t k = 0; k < out.size() / block_size; ++k) {
        std::byte* b = out.data() + size_t(k) * block_size;
        uint32_t i = first + k;
        switch (tag) {
        case t_vrs: vrs_block(i, m_opt.revision, b); break;
        case t_anchor_session: fill_anchor(m_session_start + 256, b); break;
        case t_anchor_image: fill_anchor(256, b); break;
        case t_anchor_end: fill_anchor(m_end_anchor, b); break;
        case t_main_vds: fill_vds(m_main_vds, i, b); break;
        case t_reserve_vds: fill_vds(m_reserve_vds, i, b); break;
        case t_integrity: fill_integrity(i, b); break;
        case t_meta:
        case t_mirror: DM_TRY(fill_meta(i, b)); break;
        case t_meta_fe:
        case t_mirror_fe: fill_system_entry(tag, b); break;
        case t_pad: std::memset(b, 0, block_size); break;
        case t_vat_data: {
            if (m_vat_cache.empty()) m_vat_cache = vat_bytes();
            std::memset(b, 0, block_size);
            size_t off = size_t(i) * block_size;
            if (off < m_vat_cache.size())
                std::memcpy(b, m_vat_cache.data() + off, std::min<size_t>(block_size, m_vat_cache.size() - off));
            break;
        }
        case t_vat_icb: fill_vat_icb(b); break;
        case t_sparing_main:
        case t_sparing_copy: fill_sparing_table(m_sparing[tag == t_sparing_copy ? 1 : 0], b); break;
        default: return make_error(Errc::internal, "UDF: unknown piece");
        }
    }
    return {};
}

}  // namespace mastering::udf
