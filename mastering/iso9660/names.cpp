#include "mastering/iso9660/names.h"

#include <algorithm>
#include <numeric>
#include <unordered_map>
#include <unordered_set>

#include "mastering/codec/text.h"

namespace mastering::iso9660 {

namespace {

// One UTF-8 name to d-characters: ASCII letters uppercased, digits and '_'
// kept, every other code point becomes '_'.
std::string to_d_chars(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
        if (n == 1) {
            char ch = char(c);
            if (ch >= 'a' && ch <= 'z') ch = char(ch - 'a' + 'A');
            out += codec::is_d_char(ch) ? ch : '_';
        } else {
            out += '_';
        }
        i += n;
    }
    return out;
}

// Cut a UTF-8 string to at most `max` bytes without splitting a character.
std::string_view cut_utf8(std::string_view s, size_t max) {
    if (s.size() <= max) return s;
    size_t n = max;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    return s.substr(0, n);
}

struct Parts {
    std::string base, ext;
};

Parts split_candidate(const model::NameRequest& r, NamePolicy p) {
    Parts parts;
    if (p == NamePolicy::relaxed) {
        parts.base = std::string(cut_utf8(r.name, 207));
        return parts;
    }
    std::string_view name = r.name;
    std::string_view base = name, ext;
    if (!r.directory) {
        size_t dot = name.rfind('.');
        if (dot != std::string_view::npos && dot > 0) {
            base = name.substr(0, dot);
            ext = name.substr(dot + 1);
        }
    }
    parts.base = to_d_chars(base);
    parts.ext = to_d_chars(ext);
    if (p == NamePolicy::level1) {
        if (parts.base.size() > 8) parts.base.resize(8);
        if (parts.ext.size() > 3) parts.ext.resize(3);
    } else if (r.directory) {
        if (parts.base.size() > 31) parts.base.resize(31);
    } else {
        if (parts.ext.size() > 10 && parts.base.size() + parts.ext.size() > 30) parts.ext.resize(10);
        if (parts.base.size() + parts.ext.size() > 30) parts.base.resize(30 - parts.ext.size());
    }
    if (parts.base.empty() && parts.ext.empty()) parts.base = "_";
    return parts;
}

size_t max_base(const model::NameRequest& r, NamePolicy p, size_t ext_len) {
    if (p == NamePolicy::relaxed) return 207;
    if (p == NamePolicy::level1) return 8;
    return r.directory ? 31 : 30 - ext_len;
}

std::string assemble(const Parts& parts, bool directory, NamePolicy p) {
    if (p == NamePolicy::relaxed || directory) return parts.base;
    return parts.base + "." + parts.ext + ";1";
}

}  // namespace

std::vector<std::string> map_identifiers(const std::vector<model::NameRequest>& entries, NamePolicy policy) {
    std::vector<std::string> out(entries.size());
    // Deterministic: entries are resolved in the order of their host names.
    std::vector<size_t> order(entries.size());
    std::iota(order.begin(), order.end(), size_t(0));
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return entries[a].name < entries[b].name; });
    std::unordered_set<std::string> used;
    used.reserve(entries.size() * 2);
    // First every name that maps without a clash keeps its plain form; the
    // clashing ones get numbered afterwards (so adding a file never renames
    // another that had no clash).
    std::vector<Parts> parts(entries.size());
    std::vector<size_t> clashes;
    for (size_t i : order) {
        parts[i] = split_candidate(entries[i], policy);
        std::string id = assemble(parts[i], entries[i].directory, policy);
        std::string key = policy == NamePolicy::relaxed ? id : id.substr(0, id.find(';'));
        if (used.insert(key).second) out[i] = std::move(id);
        else clashes.push_back(i);
    }
    // Per clashing stem, the next number to try: linear, not quadratic, when
    // thousands of names share a stem.
    std::unordered_map<std::string, unsigned> next_number;
    for (size_t i : clashes) {
        Parts p = parts[i];
        size_t limit = max_base(entries[i], policy, p.ext.size());
        unsigned& start = next_number[p.base + "." + p.ext];
        for (unsigned n = start + 1;; ++n) {
            std::string suffix = std::to_string(n);
            std::string base = p.base;
            size_t room = limit > suffix.size() ? limit - suffix.size() : 0;
            if (base.size() > room)
                base = policy == NamePolicy::relaxed ? std::string(cut_utf8(base, room)) : base.substr(0, room);
            Parts q{base + suffix, p.ext};
            std::string id = assemble(q, entries[i].directory, policy);
            std::string key = policy == NamePolicy::relaxed ? id : id.substr(0, id.find(';'));
            if (used.insert(key).second) {
                out[i] = std::move(id);
                start = n;
                break;
            }
        }
    }
    return out;
}

bool identifier_less(std::string_view a, std::string_view b) {
    auto split = [](std::string_view s, std::string_view& name, std::string_view& ext, std::string_view& ver) {
        size_t semi = s.find(';');
        ver = semi == std::string_view::npos ? std::string_view{} : s.substr(semi + 1);
        std::string_view nv = s.substr(0, semi);
        size_t dot = nv.find('.');
        name = nv.substr(0, dot);
        ext = dot == std::string_view::npos ? std::string_view{} : nv.substr(dot + 1);
    };
    auto padded_cmp = [](std::string_view x, std::string_view y) {
        size_t n = std::max(x.size(), y.size());
        for (size_t i = 0; i < n; ++i) {
            unsigned char cx = i < x.size() ? static_cast<unsigned char>(x[i]) : ' ';
            unsigned char cy = i < y.size() ? static_cast<unsigned char>(y[i]) : ' ';
            if (cx != cy) return cx < cy ? -1 : 1;
        }
        return 0;
    };
    std::string_view an, ae, av, bn, be, bv;
    split(a, an, ae, av);
    split(b, bn, be, bv);
    if (int c = padded_cmp(an, bn)) return c < 0;
    if (int c = padded_cmp(ae, be)) return c < 0;
    return padded_cmp(av, bv) > 0;  // higher version first
}

std::string volume_identifier(std::string_view name) {
    std::string v = to_d_chars(name);
    if (v.size() > 32) v.resize(32);
    return v;
}

}  // namespace mastering::iso9660
