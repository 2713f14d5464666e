// Reading UDF (ECMA-167 / OSTA UDF 1.02 to 2.60): the volume recognition
// sequence, anchors, the volume descriptor sequence (main, else reserve),
// partition maps — physical, sparable (sparing tables), virtual (the VAT of
// write-once media, found at the last recorded block) and metadata (metadata
// file, else its mirror) — the file set, (extended) file entries with short,
// long, extended and embedded allocation descriptors and allocation extent
// chains, file identifiers in OSTA compressed Unicode, symlinks and devices.
// Every structure is bounds-checked and every descriptor tag verified: a
// damaged volume gives an error, never undefined behaviour or a hang.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "mastering/media/sector_source.h"
#include "mastering/model/fs_reader.h"

namespace mastering::udf {

// An NSR02/NSR03 descriptor in the volume recognition sequence at start + 16.
bool has_recognition_sequence(media::SectorSource& m, uint64_t session_start);

struct VolumeSummary {
    uint16_t revision = 0;          // from the domain identifier (or the LVID's minimum read revision)
    std::string logical_volume;     // LVD logical volume identifier
    std::string volume;             // PVD volume identifier
    std::string partition_kind;     // "physical", "metadata", "virtual", "sparable"
    uint32_t access_type = 0;       // partition descriptor: 1 read-only, 2 write-once, 3 rewritable, 4 overwritable
    uint32_t partition_start = 0, partition_blocks = 0;
    uint16_t sparable_packet = 0;   // packet length when the partition is sparable (also under a metadata partition)
    std::optional<uint32_t> files, directories;  // LVID (or VAT header) counts
};

// The volume of the session at `session_start` (anchor at start + 256, else
// at the medium's last block or 256 before it).
Result<VolumeSummary> read_summary(media::SectorSource& m, uint64_t session_start);

// The blocks a UDF-only session starting at `session_start` spans (for the
// TOC of image files without ISO 9660): up to its partition's end, at most
// up to the medium's end.
std::optional<uint32_t> session_blocks(media::SectorSource& m, uint64_t session_start);

Result<std::unique_ptr<model::FileSystemReader>> open_reader(media::SectorSource& m, uint64_t session_start);

}  // namespace mastering::udf
