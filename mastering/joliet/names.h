// Joliet identifiers: UCS-2 big-endian names of up to 64 characters (files
// carry ";1"), characters Joliet forbids mapped to '_', collisions resolved
// deterministically; and the escape sequences of the Joliet SVD.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mastering/model/name_request.h"

namespace mastering::joliet {

constexpr size_t max_name_chars = 64;

// Escape sequence for UCS-2 level 3 (BP 89-91 of the SVD).
constexpr std::string_view escape_level3 = "%/E";

// Identifiers (UCS-2 BE bytes) for one directory's entries, in input order.
std::vector<std::string> map_identifiers(const std::vector<model::NameRequest>& entries);
// Order of Joliet identifiers: by UCS-2 code units of the name, ";1" aside.
bool identifier_less(std::string_view a, std::string_view b);
// A text as UCS-2 BE padded to `width` bytes with UCS-2 spaces (volume ids).
std::string padded_text(std::string_view utf8, size_t width);

}  // namespace mastering::joliet
