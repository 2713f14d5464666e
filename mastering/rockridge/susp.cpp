#include "mastering/rockridge/susp.h"

#include <cstring>

#include "mastering/codec/bytes.h"
#include "mastering/codec/iso_date.h"

namespace mastering::rockridge {

using namespace codec;

namespace {

std::string header(const char sig[2], size_t len) {
    std::string e(len, '\0');
    e[0] = sig[0];
    e[1] = sig[1];
    e[2] = char(len);
    e[3] = 1;  // version
    return e;
}
std::byte* at(std::string& s, size_t off) { return reinterpret_cast<std::byte*>(s.data() + off); }
const std::byte* at(std::string_view s, size_t off) { return reinterpret_cast<const std::byte*>(s.data() + off); }

constexpr size_t k_max_entry = 255;

}  // namespace

void SuaBuilder::sp() {
    auto e = header("SP", 7);
    e[4] = char(0xBE);
    e[5] = char(0xEF);
    e[6] = 0;
    m_entries.push_back(std::move(e));
}

void SuaBuilder::er_rrip() {
    static constexpr std::string_view des =
        "THE IEEE 1282 PROTOCOL PROVIDES SUPPORT FOR POSIX FILE SYSTEM SEMANTICS.";
    static constexpr std::string_view src =
        "PLEASE CONTACT THE IEEE STANDARDS DEPARTMENT, PISCATAWAY, NJ, USA FOR THE 1282 SPECIFICATION.";
    auto e = header("ER", 8 + er_identifier.size() + des.size() + src.size());
    e[4] = char(er_identifier.size());
    e[5] = char(des.size());
    e[6] = char(src.size());
    e[7] = 1;  // extension version
    std::string body = std::string(er_identifier) + std::string(des) + std::string(src);
    std::memcpy(e.data() + 8, body.data(), body.size());
    m_entries.push_back(std::move(e));
}

void SuaBuilder::px(uint32_t mode, uint32_t links, uint32_t uid, uint32_t gid, uint32_t ino) {
    auto e = header("PX", 44);
    store_both32(at(e, 4), mode);
    store_both32(at(e, 12), links);
    store_both32(at(e, 20), uid);
    store_both32(at(e, 28), gid);
    store_both32(at(e, 36), ino);
    m_entries.push_back(std::move(e));
}

void SuaBuilder::pn(uint64_t rdev) {
    auto e = header("PN", 20);
    store_both32(at(e, 4), uint32_t(rdev >> 32));
    store_both32(at(e, 12), uint32_t(rdev));
    m_entries.push_back(std::move(e));
}

void SuaBuilder::tf(const Times& t) {
    auto e = header("TF", 5 + 3 * 7);
    e[4] = char(0x0E);  // modify, access, attributes; short form
    encode_date7(t.modify, at(e, 5));
    encode_date7(t.access, at(e, 12));
    encode_date7(t.attributes, at(e, 19));
    m_entries.push_back(std::move(e));
}

void SuaBuilder::nm(std::string_view name) {
    constexpr size_t chunk = k_max_entry - 5;
    do {
        size_t n = std::min(chunk, name.size());
        auto e = header("NM", 5 + n);
        e[4] = n < name.size() ? 1 : 0;  // CONTINUE
        if (n) std::memcpy(e.data() + 5, name.data(), n);
        m_entries.push_back(std::move(e));
        name.remove_prefix(n);
    } while (!name.empty());
}

void SuaBuilder::sl(std::string_view target) {
    // Component records: flags (1 continue, 2 current, 4 parent, 8 root), length, content.
    std::vector<std::string> comps;
    auto add = [&](uint8_t flags, std::string_view content) {
        std::string c(2 + content.size(), '\0');
        c[0] = char(flags);
        c[1] = char(content.size());
        if (!content.empty()) std::memcpy(c.data() + 2, content.data(), content.size());
        comps.push_back(std::move(c));
    };
    if (!target.empty() && target[0] == '/') add(0x08, {});
    size_t pos = 0;
    while (pos < target.size()) {
        size_t slash = target.find('/', pos);
        std::string_view part = target.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
        pos = slash == std::string_view::npos ? target.size() : slash + 1;
        if (part.empty()) continue;
        if (part == ".") add(0x02, {});
        else if (part == "..") add(0x04, {});
        else {
            constexpr size_t max_part = k_max_entry - 5 - 2;
            while (part.size() > max_part) {
                add(0x01, part.substr(0, max_part));
                part.remove_prefix(max_part);
            }
            add(0x00, part);
        }
    }
    // Pack components into SL entries; SL flag 1 = continues in the next SL.
    std::string cur;
    auto flush = [&](bool more) {
        auto e = header("SL", 5 + cur.size());
        e[4] = more ? 1 : 0;
        if (!cur.empty()) std::memcpy(e.data() + 5, cur.data(), cur.size());
        m_entries.push_back(std::move(e));
        cur.clear();
    };
    for (const auto& c : comps) {
        if (5 + cur.size() + c.size() > k_max_entry) flush(true);
        cur += c;
    }
    flush(false);
}

void SuaBuilder::cl(uint32_t lba) {
    auto e = header("CL", 12);
    store_both32(at(e, 4), lba);
    m_entries.push_back(std::move(e));
}

void SuaBuilder::pl(uint32_t lba) {
    auto e = header("PL", 12);
    store_both32(at(e, 4), lba);
    m_entries.push_back(std::move(e));
}

void SuaBuilder::re() { m_entries.push_back(header("RE", 4)); }

size_t SuaBuilder::total_size() const {
    size_t n = 0;
    for (const auto& e : m_entries) n += e.size();
    return n;
}

std::string encode_ce(const CeLocation& ce) {
    auto e = header("CE", ce_entry_size);
    store_both32(at(e, 4), ce.block);
    store_both32(at(e, 12), ce.offset);
    store_both32(at(e, 20), ce.length);
    return e;
}

namespace {
// Groups: how many entries stay inline, then how the rest is chunked.
struct Plan {
    size_t inline_count = 0;
    std::vector<std::pair<size_t, size_t>> chunks;  // [begin, end) entry ranges
};
Plan plan_sua(const std::vector<std::string>& entries, size_t inline_room) {
    Plan p;
    size_t total = 0;
    for (const auto& e : entries) total += e.size();
    if (total <= inline_room) {
        p.inline_count = entries.size();
        return p;
    }
    size_t used = 0, i = 0;
    while (i < entries.size() && used + entries[i].size() + ce_entry_size <= inline_room) used += entries[i++].size();
    p.inline_count = i;
    constexpr size_t room = 2048;
    while (i < entries.size()) {
        size_t begin = i, size = 0;
        // Remaining total decides whether this chunk needs a trailing CE.
        size_t rest = 0;
        for (size_t k = i; k < entries.size(); ++k) rest += entries[k].size();
        if (rest <= room) {
            i = entries.size();
        } else {
            while (i < entries.size() && size + entries[i].size() + ce_entry_size <= room) size += entries[i++].size();
            if (i == begin) ++i;  // an entry is never larger than 255 bytes; cannot happen
        }
        p.chunks.emplace_back(begin, i);
    }
    return p;
}
}  // namespace

SuaSizes measure_sua(const std::vector<std::string>& entries, size_t inline_room) {
    Plan p = plan_sua(entries, inline_room);
    SuaSizes s;
    for (size_t i = 0; i < p.inline_count; ++i) s.inline_size += entries[i].size();
    if (!p.chunks.empty()) s.inline_size += ce_entry_size;
    for (size_t c = 0; c < p.chunks.size(); ++c) {
        uint32_t n = 0;
        for (size_t i = p.chunks[c].first; i < p.chunks[c].second; ++i) n += uint32_t(entries[i].size());
        if (c + 1 < p.chunks.size()) n += ce_entry_size;
        s.chunk_sizes.push_back(n);
    }
    return s;
}

SplitSua split_sua(const std::vector<std::string>& entries, size_t inline_room,
                   const std::function<CeLocation(uint32_t)>& place) {
    Plan p = plan_sua(entries, inline_room);
    SuaSizes sizes = measure_sua(entries, inline_room);
    SplitSua out;
    std::vector<CeLocation> locs;
    for (uint32_t n : sizes.chunk_sizes) locs.push_back(place(n));
    for (size_t i = 0; i < p.inline_count; ++i) out.inline_part += entries[i];
    if (!locs.empty()) out.inline_part += encode_ce(locs[0]);
    for (size_t c = 0; c < p.chunks.size(); ++c) {
        std::string chunk;
        for (size_t i = p.chunks[c].first; i < p.chunks[c].second; ++i) chunk += entries[i];
        if (c + 1 < p.chunks.size()) chunk += encode_ce(locs[c + 1]);
        out.chunks.emplace_back(locs[c], std::move(chunk));
    }
    return out;
}

namespace {

// What parse_sua gathers across the entries of every area it reads.
struct SuaState {
    RockRidge rr;
    std::string name, link;
    bool name_seen = false, link_seen = false, link_continues_component = false;
};

std::optional<uint32_t> both32_at(std::string_view e, size_t off) {
    if (off + 8 > e.size()) return std::nullopt;
    return load_le32(at(e, off));
}

// SL: the components of a symbolic link's target (RRIP 4.1.3).
void parse_sl(std::string_view e, SuaState& st) {
    st.link_seen = true;
    size_t p = 5;
    while (p + 2 <= e.size()) {
        uint8_t cf = uint8_t(e[p]);
        size_t cl = uint8_t(e[p + 1]);
        if (p + 2 + cl > e.size()) break;
        std::string_view content = e.substr(p + 2, cl);
        p += 2 + cl;
        // A separator goes before every component except the first,
        // after a root, and after a component that continues.
        if (!st.link.empty() && st.link.back() != '/' && !st.link_continues_component) st.link += '/';
        if (cf & 0x08) st.link = "/";
        else if (cf & 0x02) st.link += ".";
        else if (cf & 0x04) st.link += "..";
        else st.link += content;
        st.link_continues_component = (cf & 0x01) != 0;
    }
}

// TF: the time stamps its flags name, 7- or 17-byte dates (RRIP 4.1.6).
void parse_tf(std::string_view e, RockRidge& rr) {
    uint8_t flags = uint8_t(e[4]);
    size_t w = (flags & 0x80) ? 17 : 7;
    size_t p = 5;
    std::optional<int64_t>* slots[7] = {&rr.birth, &rr.mtime, &rr.atime, &rr.ctime, nullptr, nullptr, nullptr};
    for (int bit = 0; bit < 7; ++bit) {
        if (!(flags & (1u << bit))) continue;
        if (p + w > e.size()) break;
        int64_t t = w == 7 ? decode_date7(at(e, p)) : decode_date17(at(e, p));
        if (slots[bit]) *slots[bit] = t;
        p += w;
    }
}

// One entry (signature, length >= 4, version, data) into `st`; a CE
// entry sets `next`.
void parse_entry(std::string_view e, SuaState& st, std::optional<CeLocation>& next) {
    RockRidge& rr = st.rr;
    std::string_view sig = e.substr(0, 2);
    size_t len = e.size();
    if (sig == "SP" && len >= 7) {
        rr.has_sp = uint8_t(e[4]) == 0xBE && uint8_t(e[5]) == 0xEF;
        rr.sp_skip = uint8_t(e[6]);
    } else if (sig == "CE" && len >= 28) {
        next = CeLocation{*both32_at(e, 4), *both32_at(e, 12), *both32_at(e, 20)};
    } else if (sig == "ER" && len >= 8) {
        size_t id_len = uint8_t(e[4]);
        if (8 + id_len <= len) rr.extensions.emplace_back(e.substr(8, id_len));
    } else if (sig == "PX" && len >= 36) {
        rr.present = true;
        rr.mode = both32_at(e, 4);
        rr.links = both32_at(e, 12);
        rr.uid = both32_at(e, 20);
        rr.gid = both32_at(e, 28);
        if (len >= 44) rr.ino = both32_at(e, 36);
    } else if (sig == "PN" && len >= 20) {
        rr.present = true;
        rr.rdev = (uint64_t(*both32_at(e, 4)) << 32) | *both32_at(e, 12);
    } else if (sig == "NM" && len >= 5) {
        rr.present = true;
        uint8_t flags = uint8_t(e[4]);
        st.name_seen = true;
        if (flags & 0x02) st.name += ".";
        else if (flags & 0x04) st.name += "..";
        else st.name += e.substr(5);
    } else if (sig == "SL" && len >= 5) {
        rr.present = true;
        parse_sl(e, st);
    } else if (sig == "CL" && len >= 12) {
        rr.present = true;
        rr.child_link = both32_at(e, 4);
    } else if (sig == "PL" && len >= 12) {
        rr.present = true;
        rr.parent_link = both32_at(e, 4);
    } else if (sig == "RE") {
        rr.present = true;
        rr.relocated = true;
    } else if (sig == "TF" && len >= 5) {
        rr.present = true;
        parse_tf(e, rr);
    } else if (sig == "RR") {
        rr.present = true;  // RRIP 1.09 flags entry
    }
}

// The entries of one area, up to ST, padding or a malformed length;
// returns the continuation area its CE entry names, if any.
std::optional<CeLocation> parse_area(std::string_view area, SuaState& st) {
    std::optional<CeLocation> next;
    size_t pos = 0;
    while (pos + 4 <= area.size()) {
        size_t len = uint8_t(area[pos + 2]);
        if (len < 4 || pos + len > area.size()) break;  // padding or garbage: stop this area
        std::string_view e = area.substr(pos, len);
        pos += len;
        if (e.substr(0, 2) == "ST") break;
        parse_entry(e, st, next);
    }
    return next;
}

}  // namespace

Result<RockRidge> parse_sua(std::string_view sua, size_t skip, const ReadContinuation& read_ce) {
    SuaState st;
    std::string owned;  // continuation bytes currently being parsed
    std::string_view area = skip < sua.size() ? sua.substr(skip) : std::string_view{};
    for (int hops = 0;; ) {
        std::optional<CeLocation> next = parse_area(area, st);
        if (!next) break;
        if (++hops > 64) return make_error(Errc::corrupt, "Rock Ridge: more than 64 continuation areas (a CE loop?)");
        if (next->length == 0 || next->offset >= 2048 || next->length > 2048 - next->offset) {
            return make_error(Errc::corrupt, "Rock Ridge: continuation area (CE) out of its block");
        }
        auto bytes = read_ce(*next);
        if (!bytes.ok()) return bytes.error().with_context("Rock Ridge continuation area");
        owned = std::move(bytes.value());
        area = owned;
    }
    if (st.name_seen) st.rr.name = st.name;
    if (st.link_seen) st.rr.symlink = st.link;
    return st.rr;
}

}  // namespace mastering::rockridge
