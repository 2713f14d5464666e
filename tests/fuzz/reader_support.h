// Shared by the file-system reader fuzz targets: an arbitrary input as a
// medium, and a bounded walk that lists every directory and reads the first
// and last bytes of every file.
#pragma once

#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "mastering/media/sector_source.h"
#include "mastering/model/fs_reader.h"

namespace fuzzing {

using namespace mastering;

// The input as a medium: a raw image (LBA x 2048 = offset), or, when it
// starts with "DMSP", a sparse image: a 4-byte block count, then records of
// a 4-byte LBA, a 2-byte length (at most 2048) and that many bytes of the
// block (the rest zeros). The sparse form lets small inputs reach structures
// at fixed places far into a disc (UDF anchors at 256 and at the end); see
// tests/fuzz/sparse_seed.cpp.
class MemoryMedium final : public media::SectorSource {
public:
    MemoryMedium(const uint8_t* d, size_t n) : m_data(d), m_size(n) {
        if (n >= 8 && std::memcmp(d, "DMSP", 4) == 0) {
            m_sparse = true;
            m_blocks = std::min<uint32_t>(le32(d + 4), 1u << 14);  // 32 MiB: enough for every structure, quick to scan
            for (size_t off = 8; off + 6 <= n;) {
                uint32_t lba = le32(d + off);
                size_t len = std::min<size_t>(size_t(d[off + 4] | (d[off + 5] << 8)), 2048);
                len = std::min(len, n - off - 6);
                if (lba < m_blocks) m_records[lba] = {d + off + 6, len};
                off += 6 + len;
            }
        } else {
            m_blocks = (n + 2047) / 2048;
        }
    }
    Status read_blocks(uint64_t lba, std::span<std::byte> out) override {
        if (lba > block_count() || out.size() / 2048 > block_count() - lba)
            return make_error(Errc::corrupt, "beyond the end");
        if (m_sparse) {
            std::memset(out.data(), 0, out.size());
            for (size_t b = 0; b < out.size() / 2048; ++b)
                if (auto it = m_records.find(lba + b); it != m_records.end())
                    std::memcpy(out.data() + b * 2048, it->second.first, it->second.second);
            return {};
        }
        for (size_t i = 0; i < out.size(); ++i) {
            uint64_t at = lba * 2048 + i;
            out[i] = at < m_size ? std::byte(m_data[at]) : std::byte{0};
        }
        return {};
    }
    uint64_t block_count() const override { return m_blocks; }
    std::string describe() const override { return "fuzz"; }

private:
    static uint32_t le32(const uint8_t* p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24; }
    const uint8_t* m_data;
    size_t m_size;
    bool m_sparse = false;
    uint64_t m_blocks = 0;
    std::map<uint64_t, std::pair<const uint8_t*, size_t>> m_records;
};

void walk(model::FileSystemReader& r) {
    auto root = r.root();
    if (!root.ok()) return;
    std::vector<model::NodeAttr> queue{*root};
    size_t visited = 0;
    std::vector<std::byte> buf(4096);
    for (size_t i = 0; i < queue.size() && visited < 2000; ++i) {
        auto l = r.list(queue[i]);
        if (!l.ok()) continue;
        for (auto& e : *l) {
            ++visited;
            if (e.attr.type == model::NodeType::directory) {
                if (queue.size() < 500) queue.push_back(e.attr);
            } else if (e.attr.type == model::NodeType::file) {
                (void)r.read(e.attr, 0, buf);
                if (e.attr.size > 4096) (void)r.read(e.attr, e.attr.size - 100, buf);
            }
        }
    }
}


}  // namespace fuzzing
