#include "mastering/boot/image_source.h"

#include <fcntl.h>

#include <cstring>
#include <vector>

#include "mastering/os/file.h"

namespace mastering::boot {

namespace {

class HostFileSource final : public model::DataSource {
public:
    HostFileSource(std::string path, uint64_t size) : m_path(std::move(path)), m_size(size) {}
    uint64_t size() const override { return m_size; }
    std::string describe() const override { return m_path; }
    Result<size_t> read_at(uint64_t offset, std::span<std::byte> out) override {
        if (offset >= m_size) return size_t(0);
        if (!m_fd) m_fd = DM_TRY(os::open_file(m_path, O_RDONLY));
        size_t want = size_t(std::min<uint64_t>(out.size(), m_size - offset));
        size_t got = DM_TRY(os::pread_some(m_fd.get(), out.data(), want, offset, m_path));
        if (got < want) return make_error(Errc::changed, m_path + ": the file became shorter after it was added");
        return got;
    }

private:
    std::string m_path;
    uint64_t m_size;
    os::Fd m_fd;
};

class PatchedSource final : public model::DataSource {
public:
    PatchedSource(std::shared_ptr<model::DataSource> base, std::shared_ptr<const BootInfoTable> table)
        : m_base(std::move(base)), m_table(std::move(table)) {}
    uint64_t size() const override { return m_base->size(); }
    std::string describe() const override { return m_base->describe(); }
    Result<size_t> read_at(uint64_t offset, std::span<std::byte> out) override {
        size_t n = DM_TRY(m_base->read_at(offset, out));
        if (offset < boot_info_min_image) {
            std::byte head[boot_info_min_image] = {};
            encode_boot_info_table(*m_table, head);
            for (uint64_t i = std::max<uint64_t>(offset, boot_info_offset); i < boot_info_min_image && i < offset + n; ++i)
                out[size_t(i - offset)] = head[i];
        }
        return n;
    }

private:
    std::shared_ptr<model::DataSource> m_base;
    std::shared_ptr<const BootInfoTable> m_table;
};

}  // namespace

std::shared_ptr<model::DataSource> host_file_source(std::string path, uint64_t size) {
    return std::make_shared<HostFileSource>(std::move(path), size);
}

std::shared_ptr<model::DataSource> content_source(const model::Content& c) {
    if (c.kind == model::ContentKind::host_file) return host_file_source(c.path, c.size);
    return c.source;
}

Status read_exactly(model::DataSource& s, uint64_t offset, std::span<std::byte> out) {
    size_t done = 0;
    while (done < out.size()) {
        size_t n = DM_TRY(s.read_at(offset + done, out.subspan(done)));
        if (n == 0) return make_error(Errc::changed, s.describe() + ": ends before byte " + std::to_string(offset + out.size()));
        done += n;
    }
    return {};
}

std::shared_ptr<model::DataSource> patched_source(std::shared_ptr<model::DataSource> base,
                                                  std::shared_ptr<const BootInfoTable> table) {
    return std::make_shared<PatchedSource>(std::move(base), std::move(table));
}

Result<uint32_t> boot_info_checksum(model::DataSource& s) {
    uint32_t sum = 0;
    std::vector<std::byte> buf(1 << 20);
    for (uint64_t off = boot_info_min_image; off < s.size();) {
        size_t n = size_t(std::min<uint64_t>(buf.size(), s.size() - off));
        DM_TRY(read_exactly(s, off, std::span(buf.data(), n)));
        sum = boot_info_sum(std::span<const std::byte>(buf.data(), n), sum);
        off += n;
    }
    return sum;
}

}  // namespace mastering::boot
