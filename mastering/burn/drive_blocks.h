// A recorder's medium read block by block (READ(10)), and as a Medium with
// the sessions DiscFormatData sees: what import, master-info and master-mount
// read a disc through.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "mastering/burn/recorder.h"
#include "mastering/media/sector_source.h"

namespace mastering::burn {

constexpr uint32_t k_unit = 32;  // blocks per READ or WRITE: 64 KiB

class DriveBlocks final : public media::SectorSource {
public:
    DriveBlocks(DiscRecorder& r, uint64_t blocks) : m_rec(r), m_blocks(blocks) {}
    Status read_blocks(uint64_t lba, std::span<std::byte> out) override;
    uint64_t block_count() const override { return m_blocks; }
    std::string describe() const override { return m_rec.address(); }
    void set_block_count(uint64_t n) { m_blocks = n; }

private:
    DiscRecorder& m_rec;
    uint64_t m_blocks;
};

}  // namespace mastering::burn
