// libFuzzer: the ISO 9660 / Rock Ridge / Joliet reader and the emulated TOC
// over an arbitrary image. Every session, every view, every directory and the
// first bytes of every file are read; nothing may crash, hang or read out of
// bounds. Seeds: scripts/fuzz-seeds.sh iso9660_reader.
#include <cstring>
#include <string>
#include <vector>

#include "mastering/image/fs_reader.h"
#include "mastering/image/image_file.h"

using namespace mastering;

namespace {

class MemoryMedium final : public media::SectorSource {
public:
    MemoryMedium(const uint8_t* d, size_t n) : m_data(d), m_size(n) {}
    Status read_blocks(uint64_t lba, std::span<std::byte> out) override {
        if (lba > block_count() || out.size() / 2048 > block_count() - lba)
            return make_error(Errc::corrupt, "beyond the end");
        for (size_t i = 0; i < out.size(); ++i) {
            uint64_t at = lba * 2048 + i;
            out[i] = at < m_size ? std::byte(m_data[at]) : std::byte{0};
        }
        return {};
    }
    uint64_t block_count() const override { return (m_size + 2047) / 2048; }
    std::string describe() const override { return "fuzz"; }

private:
    const uint8_t* m_data;
    size_t m_size;
};

void walk(image::FileSystemReader& r) {
    auto root = r.root();
    if (!root.ok()) return;
    std::vector<image::NodeAttr> queue{*root};
    size_t visited = 0;
    std::vector<std::byte> buf(4096);
    for (size_t i = 0; i < queue.size() && visited < 2000; ++i) {
        auto l = r.list(queue[i]);
        if (!l.ok()) continue;
        for (auto& e : *l) {
            ++visited;
            if (e.attr.type == image::NodeType::directory) {
                if (queue.size() < 500) queue.push_back(e.attr);
            } else if (e.attr.type == image::NodeType::file) {
                (void)r.read(e.attr, 0, buf);
                if (e.attr.size > 4096) (void)r.read(e.attr, e.attr.size - 100, buf);
            }
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    MemoryMedium m(data, size);
    std::vector<uint64_t> starts = {0};
    if (auto toc = image::emulate_toc(m); toc.ok())
        for (const auto& s : toc->sessions) starts.push_back(s.start);
    if (starts.size() > 8) starts.resize(8);
    for (uint64_t start : starts) {
        auto fs = image::identify_file_systems(m, start);
        if (!fs.ok()) continue;
        for (auto t : {image::FsType::iso9660, image::FsType::rockridge, image::FsType::joliet}) {
            if (!image::has(*fs, t)) continue;
            auto r = image::open_file_system(m, start, t);
            if (r.ok()) walk(**r);
        }
    }
    return 0;
}
