#include "mastering/model/data_source.h"

#include <cstring>
#include <vector>

namespace mastering::model {

namespace {

class MemorySource final : public DataSource {
public:
    MemorySource(std::string b, std::string name) : m_bytes(std::move(b)), m_name(std::move(name)) {}
    uint64_t size() const override { return m_bytes.size(); }
    Result<size_t> read_at(uint64_t off, std::span<std::byte> out) override {
        if (off >= m_bytes.size()) return size_t(0);
        size_t n = std::min<size_t>(out.size(), m_bytes.size() - off);
        std::memcpy(out.data(), m_bytes.data() + off, n);
        return n;
    }
    std::string describe() const override { return m_name; }

private:
    std::string m_bytes;
    std::string m_name;
};

class ExtentSource final : public DataSource {
public:
    ExtentSource(std::shared_ptr<media::SectorSource> m, std::vector<Extent> e, uint64_t size, std::string name)
        : m_medium(std::move(m)), m_extents(std::move(e)), m_size(size), m_name(std::move(name)) {}
    uint64_t size() const override { return m_size; }
    std::string describe() const override { return m_name; }
    Result<size_t> read_at(uint64_t off, std::span<std::byte> out) override {
        return read_extents(*m_medium, m_extents, m_size, off, out);
    }

private:
    std::shared_ptr<media::SectorSource> m_medium;
    std::vector<Extent> m_extents;
    uint64_t m_size;
    std::string m_name;
};

}  // namespace

Result<size_t> read_extents(media::SectorSource& medium, const std::vector<Extent>& extents, uint64_t size,
                            uint64_t off, std::span<std::byte> out) {
    size_t done = 0;
    uint64_t ext_start = 0;  // file offset of the current extent
    std::vector<std::byte> buf;
    for (const auto& e : extents) {
        if (done == out.size() || off + done >= size) break;
        uint64_t pos = off + done;
        uint64_t ext_len = std::min(e.length, size - std::min(size, ext_start));
        if (pos >= ext_start + ext_len) { ext_start += e.length; continue; }
        uint64_t in_ext = pos - ext_start;
        size_t n = size_t(std::min<uint64_t>(out.size() - done, ext_len - in_ext));
        if (e.sparse) {
            std::memset(out.data() + done, 0, n);
        } else {
            uint64_t byte_off = e.lba * 2048 + in_ext;
            uint64_t first = byte_off / 2048, last = (byte_off + n + 2047) / 2048;
            size_t head = size_t(byte_off % 2048);
            if (head == 0 && n % 2048 == 0) {
                DM_TRY(medium.read_blocks(first, out.subspan(done, n)));
            } else {
                buf.resize(size_t(last - first) * 2048);
                DM_TRY(medium.read_blocks(first, buf));
                std::memcpy(out.data() + done, buf.data() + head, n);
            }
        }
        done += n;
        ext_start += e.length;
    }
    return done;
}

std::shared_ptr<DataSource> memory_source(std::string bytes, std::string name) {
    return std::make_shared<MemorySource>(std::move(bytes), std::move(name));
}

std::shared_ptr<DataSource> extent_source(std::shared_ptr<media::SectorSource> medium, std::vector<Extent> extents,
                                          uint64_t size, std::string name) {
    return std::make_shared<ExtentSource>(std::move(medium), std::move(extents), size, std::move(name));
}

}  // namespace mastering::model
