// The boot options of master-image create|append and master-burn: the
// options of xorriso -as mkisofs under their own names with two dashes
// (docs/boot.md has the mapping). Like mkisofs they apply in the order given:
// -b or -e starts the current boot entry's image, the options after it shape
// that entry, --eltorito-alt-boot begins the next one.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "mastering/boot/boot_spec.h"
#include "mastering/codec/result.h"

namespace tools {

struct BootArgs {
    mastering::boot::BootSpec spec;
    std::string mistake;   // the first option given out of order or malformed
    bool entry_open = false;  // the current entry may still take its image
};

// Adds the boot options to `app` (a command or a subcommand); they fill `args`.
void add_boot_options(CLI::App* app, BootArgs& args);
// The spec, or the first mistake (an option of an entry with no image, a
// malformed number or partition type).
mastering::Result<mastering::boot::BootSpec> boot_spec(const BootArgs& args);

}  // namespace tools
