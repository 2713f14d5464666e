// What master-info shows of a medium's booting (docs/boot.md): a session's
// El Torito catalog and the medium's system area (MBR and GPT partitions),
// as text lines and as JSON.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "mastering/boot/reader.h"

namespace mastering::boot {

nlohmann::json to_json(const SessionBoot& b);
nlohmann::json to_json(const MediumSystemArea& s);
// Lines, each starting with `indent`.
std::string to_text(const SessionBoot& b, const std::string& indent);
std::string to_text(const MediumSystemArea& s, const std::string& indent);

}  // namespace mastering::boot
