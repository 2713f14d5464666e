// El Torito (Bootable CD-ROM Format Specification 1.0, 1995) on-disc
// structures as plain values with one decode/encode each: the boot record
// volume descriptor (2.0, an ECMA-119 8.2 boot record at block 17 of a
// session) and the boot catalog (2.x): the validation entry, the initial/
// default entry, section headers and section entries. docs/boot.md has the
// byte layouts.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mastering/codec/bytes.h"
#include "mastering/codec/result.h"

namespace mastering::boot {

constexpr size_t catalog_entry_bytes = 32;
constexpr std::string_view el_torito_id = "EL TORITO SPECIFICATION";

// Platform IDs (2.1): 0x80x86 PCs, PowerPC, Mac, and 0xEF which UEFI 2.x
// (12.3.2.1) assigns to EFI boot images.
enum class Platform : uint8_t { x86 = 0, powerpc = 1, mac = 2, efi = 0xEF };
// Boot media types (2.2, bits 0-3 of byte 1).
enum class Emulation : uint8_t { none = 0, floppy_1_2 = 1, floppy_1_44 = 2, floppy_2_88 = 3, hard_disk = 4 };

std::string_view platform_name(Platform p);    // "BIOS", "PPC", "Mac", "UEFI", or "0xNN"
std::string_view emulation_name(Emulation e);  // "none", "fd1.2", "fd1.4", "fd2.8", "hd"

// The boot record volume descriptor: the catalog's block, absolute.
struct BootRecord {
    uint32_t catalog_lba = 0;
};
void encode_boot_record(const BootRecord& r, std::byte* block);  // a 2048-byte block
// Checks the descriptor type (0), "CD001" and the El Torito system identifier.
Result<BootRecord> decode_boot_record(codec::Bytes block);

// The initial/default entry (2.2) or a section entry (2.4).
struct CatalogEntry {
    bool bootable = true;                 // boot indicator 0x88 (0x00: not bootable)
    Emulation emulation = Emulation::none;
    uint8_t media_flags = 0;              // section entries: bits 4-7 of the media byte (bit 5,
                                          // "extension entries follow", is never written)
    uint16_t load_segment = 0;            // 0: the traditional 0x7C0
    uint8_t system_type = 0;              // hard disk emulation: the image's partition type
    uint16_t sector_count = 0;            // 512-byte virtual sectors loaded
    uint32_t load_rba = 0;                // the image's first block
    std::array<std::byte, 20> selection{};  // section entries: criteria type and vendor bytes 12-31

    bool operator==(const CatalogEntry&) const = default;
};

struct CatalogSection {
    Platform platform = Platform::x86;
    std::string id;                       // 28-byte ID string, trailing NULs dropped
    std::vector<CatalogEntry> entries;

    bool operator==(const CatalogSection&) const = default;
};

struct Catalog {
    Platform platform = Platform::x86;    // the validation entry's platform
    std::string id;                       // its 24-byte ID string
    CatalogEntry default_entry;
    std::vector<CatalogSection> sections;

    bool operator==(const Catalog&) const = default;
    // Every entry in catalog order with its section's platform.
    std::vector<std::pair<Platform, CatalogEntry>> all_entries() const;
};

// The catalog as whole 2048-byte blocks.
std::vector<std::byte> encode_catalog(const Catalog& c);
size_t catalog_blocks(const Catalog& c);
// Decodes from the catalog's first byte; `bytes` may end anywhere (a short
// catalog is corrupt). Checks the validation entry's key and checksum.
Result<Catalog> decode_catalog(codec::Bytes bytes);

}  // namespace mastering::boot
