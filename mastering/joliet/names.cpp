#include "mastering/joliet/names.h"

#include <algorithm>
#include <numeric>
#include <unordered_set>

#include "mastering/codec/text.h"

namespace mastering::joliet {

namespace {

std::u32string clean(std::string_view utf8) {
    std::u32string s = codec::utf8_to_u32(utf8);
    for (auto& c : s) {
        if (c < 0x20 || c == '*' || c == '/' || c == ':' || c == ';' || c == '?' || c == '\\' || c > 0xFFFF ||
            (c >= 0xD800 && c < 0xE000))
            c = '_';
    }
    return s;
}

// Shorten to `max` characters, keeping a file's extension (up to 12 chars).
std::u32string shorten(std::u32string s, bool directory, size_t max) {
    if (s.size() <= max) return s;
    if (!directory) {
        size_t dot = s.rfind(U'.');
        if (dot != std::u32string::npos && dot > 0 && s.size() - dot <= 13) {
            std::u32string ext = s.substr(dot);
            return s.substr(0, max - ext.size()) + ext;
        }
    }
    return s.substr(0, max);
}

}  // namespace

std::vector<std::string> map_identifiers(const std::vector<model::NameRequest>& entries) {
    std::vector<std::string> out(entries.size());
    std::vector<size_t> order(entries.size());
    std::iota(order.begin(), order.end(), size_t(0));
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return entries[a].name < entries[b].name; });
    std::unordered_set<std::u32string> used;
    used.reserve(entries.size() * 2);
    std::vector<std::u32string> names(entries.size());
    std::vector<size_t> clashes;
    for (size_t i : order) {
        names[i] = shorten(clean(entries[i].name), entries[i].directory, max_name_chars);
        if (used.insert(names[i]).second) out[i] = codec::u32_to_ucs2be(names[i]);
        else clashes.push_back(i);
    }
    for (size_t i : clashes) {
        std::u32string base = names[i], ext;
        if (!entries[i].directory) {
            size_t dot = base.rfind(U'.');
            if (dot != std::u32string::npos && dot > 0) {
                ext = base.substr(dot);
                base = base.substr(0, dot);
            }
        }
        for (unsigned n = 1;; ++n) {
            std::string digits = std::to_string(n);
            std::u32string suffix(digits.begin(), digits.end());
            size_t room = max_name_chars - std::min(max_name_chars, ext.size() + suffix.size());
            std::u32string cand = base.substr(0, std::min(base.size(), room)) + suffix + ext;
            if (used.insert(cand).second) {
                out[i] = codec::u32_to_ucs2be(cand);
                break;
            }
        }
    }
    for (size_t i = 0; i < entries.size(); ++i)
        if (!entries[i].directory) out[i] += std::string("\0;\0" "1", 4);
    return out;
}

bool identifier_less(std::string_view a, std::string_view b) {
    auto name_part = [](std::string_view s) {
        // Strip a trailing UCS-2 ";1".
        if (s.size() >= 4 && s.substr(s.size() - 4) == std::string_view("\0;\0" "1", 4)) s.remove_suffix(4);
        return s;
    };
    std::string_view an = name_part(a), bn = name_part(b);
    if (an != bn) return an < bn;  // big-endian bytes order like code units
    return a.size() > b.size();
}

std::string padded_text(std::string_view utf8, size_t width) {
    std::string s = codec::u32_to_ucs2be(codec::utf8_to_u32(utf8));
    if (s.size() > width) s.resize(width & ~size_t(1));
    while (s.size() + 2 <= width) s += std::string("\0 ", 2);
    s.resize(width, '\0');
    return s;
}

}  // namespace mastering::joliet
