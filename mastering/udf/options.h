// What a UDF session is written with (the writer's options): revision,
// names and time, and what the medium asks of the partition.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace mastering::udf {

struct UdfOptions {
    uint16_t revision = 0x0201;
    std::string volume_name;
    int64_t now = 0;
    bool own_vrs = false;  // no ISO 9660 descriptors: write BEA01/NSR/TEA01 at start + 16 ourselves
    // Write-once sequential media (CD-R, DVD±R, BD-R): entries live in a
    // virtual partition mapped by a virtual allocation table (VAT), whose
    // entry is the session's last block; nothing already written is ever
    // rewritten. Needs 1.50 or later.
    bool vat = false;
    uint64_t medium_end = 0;                // the disc's capacity: the partition reaches it (VAT)
    // The drive pads a closed track to this many blocks (16 on DVD, 32 on BD):
    // a VAT session pads itself so that its VAT stays the last recorded block.
    uint32_t write_unit = 1;
    uint32_t min_blocks = 0;  // and to the shortest track the medium takes (300 on CD)
    std::optional<uint32_t> partition_start; // the disc's partition, from its first session (VAT)
    // A sparable partition with packets of this many blocks (32 on CD-RW,
    // 16 on DVD-RW); 0: a physical partition. Needs 1.50 or later, not a VAT.
    uint16_t sparable_packet = 0;
};

}  // namespace mastering::udf
