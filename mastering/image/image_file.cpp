#include "mastering/image/image_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "mastering/image/session_head.h"
#include "mastering/iso9660/structures.h"
#include "mastering/os/file.h"
#include "mastering/udf/reader.h"

namespace mastering::image {

using model::ProgressFn;
using model::block_bytes;

namespace {

uint32_t round_up(uint64_t v, uint32_t a) { return uint32_t((v + a - 1) / a * a); }

// The PVD of a session starting at `start`, if there is one.
std::optional<iso9660::VolumeDescriptor> pvd_at(media::SectorSource& m, uint64_t start) {
    if (start + 16 >= m.block_count()) return std::nullopt;
    std::vector<std::byte> b(iso9660::block_size);
    if (!m.read_blocks(start + 16, b).ok()) return std::nullopt;
    if (iso9660::peek_volume_descriptor(b) != iso9660::VdType::primary) return std::nullopt;
    auto vd = iso9660::decode_volume_descriptor(b);
    if (!vd.ok() || vd->volume_space_size == 0) return std::nullopt;
    return std::move(*vd);
}

// The size of the session starting at `start`: its PVD's volume space size,
// or for a UDF-only session the end of its partition.
std::optional<uint32_t> session_size_at(media::SectorSource& m, uint64_t start) {
    if (auto pvd = pvd_at(m, start)) return pvd->volume_space_size;
    if (start + 16 >= m.block_count()) return std::nullopt;
    return udf::session_blocks(m, start);
}

media::Session make_session(uint32_t number, uint32_t start, uint32_t size) {
    media::Session s;
    s.number = number;
    s.start = start;
    s.size = size;
    s.state = media::SessionState::complete;
    media::Track t;
    t.number = number;
    t.session = number;
    t.start = start;
    t.size = size;
    t.recorded = size;
    t.state = media::TrackState::complete;
    s.tracks.push_back(t);
    return s;
}

WriteReport report_of(const ImageStream& s) {
    return {s.start_block(), s.block_count(), s.file_count(), s.directory_count(), s.new_data_blocks()};
}

}  // namespace

Result<media::Toc> emulate_toc(media::SectorSource& m) {
    media::Toc toc;
    toc.profile = media::Profile::none;
    auto head = session_size_at(m, 0);
    if (!head) {
        if (m.block_count() == 0) {
            toc.state = media::DiscState::blank;
            toc.next_writable = first_session_lba;
            return toc;
        }
        return make_error(Errc::corrupt, m.describe() + ": no ISO 9660 primary volume descriptor and no UDF at block 16 "
                                                        "(not a disc image, or truncated)");
    }
    uint64_t blocks = m.block_count();
    // LBA 16 holds a copy of the newest session's descriptors (an image
    // file: its root lies in that session, at 32 or later), or a session of
    // its own (a disc's data from block 0: its root lies below 32).
    auto pvd0 = pvd_at(m, 0);
    bool session_at_0 = pvd0 && pvd0->root.extent < first_session_lba;
    if (auto first = session_at_0 ? std::nullopt : session_size_at(m, first_session_lba)) {
        // The chain of sessions from LBA 32, up to the total size of the copy.
        uint64_t total = std::min<uint64_t>(*head, blocks);
        uint32_t start = first_session_lba;
        uint32_t size = *first;
        while (true) {
            toc.sessions.push_back(make_session(uint32_t(toc.sessions.size() + 1), start, size));
            uint64_t end = uint64_t(start) + size;
            if (end >= total) break;
            uint32_t next = round_up(end, session_alignment);
            auto next_size = session_size_at(m, next);
            if (!next_size) {
                next = round_up(end, 16);  // growisofs aligns to 16 blocks
                next_size = session_size_at(m, next);
            }
            if (!next_size) break;
            start = next;
            size = *next_size;
            if (toc.sessions.size() > 10000) return make_error(Errc::corrupt, m.describe() + ": endless session chain");
        }
    } else if (!pvd0) {
        // A UDF volume from block 0 (mkudffs), and the sessions appended
        // after it, each on a 32-block boundary.
        uint32_t start = 0, size = *head;
        while (true) {
            toc.sessions.push_back(make_session(uint32_t(toc.sessions.size() + 1), start, size));
            uint32_t next = round_up(uint64_t(start) + size, session_alignment);
            auto next_size = session_size_at(m, next);
            if (!next_size) break;
            start = next;
            size = *next_size;
            if (toc.sessions.size() > 10000) return make_error(Errc::corrupt, m.describe() + ": endless session chain");
        }
    } else {
        // One session at 0; later ones (genisoimage -C put together with dd,
        // or the data of a sequential disc) are found by their descriptors
        // after each session's end. A session's volume space size is its own
        // size (genisoimage, libisofs) or counts from LBA 0 (what we write on
        // sequential media): the next session is looked for from the nearer
        // end, and only a PVD whose root directory follows it counts (an ISO
        // image stored as a file inside a session has its root near its own
        // start, far below where it lies).
        uint32_t start = 0, size = *head;
        std::vector<std::byte> buf(64 * size_t(iso9660::block_size));
        auto session_at = [&](uint64_t lba) -> bool {
            auto vd = pvd_at(m, lba);
            return vd && vd->root.extent >= lba + 16;
        };
        while (true) {
            toc.sessions.push_back(make_session(uint32_t(toc.sessions.size() + 1), start, size));
            bool maybe_absolute = size > start;
            uint64_t from = maybe_absolute ? size : uint64_t(start) + size;
            uint64_t scan = from;
            std::optional<uint32_t> found;
            while (scan + 16 < blocks && !found) {
                uint64_t n = std::min<uint64_t>(64, blocks - scan);
                if (!m.read_blocks(scan, std::span(buf.data(), size_t(n) * iso9660::block_size)).ok()) break;
                for (uint64_t i = 0; i < n; ++i) {
                    auto blk = std::span<const std::byte>(buf.data() + i * iso9660::block_size, iso9660::block_size);
                    if (iso9660::peek_volume_descriptor(blk) == iso9660::VdType::primary && scan + i >= 16 &&
                        scan + i - 16 >= from && session_at(scan + i - 16)) {
                        found = uint32_t(scan + i - 16);
                        break;
                    }
                }
                scan += n;
            }
            // A size counted from LBA 0: the next session starts before the
            // relative end, or the relative end lies beyond the image.
            if (maybe_absolute && ((found && *found < uint64_t(start) + size) || (!found && uint64_t(start) + size > blocks)))
                toc.sessions.back() = make_session(toc.sessions.back().number, start, size - start);
            if (!found) break;
            start = *found;
            size = pvd_at(m, start)->volume_space_size;
            if (toc.sessions.size() > 10000) return make_error(Errc::corrupt, m.describe() + ": too many sessions");
        }
    }
    const auto& last = toc.sessions.back();
    if (uint64_t(last.start) + last.size > blocks)
        return make_error(Errc::corrupt, m.describe() + ": truncated: session " + std::to_string(last.number) +
                                             " ends at block " + std::to_string(uint64_t(last.start) + last.size) +
                                             " but the image has " + std::to_string(blocks) + " blocks");
    toc.state = media::DiscState::appendable;
    // Right after the newest session, as libisoburn computes it: padding
    // beyond a session's size (xorriso writes 300 KiB) is overwritten.
    toc.next_writable = std::max(first_session_lba, round_up(uint64_t(last.start) + last.size, session_alignment));
    return toc;
}

namespace {
class ImageMedium final : public media::Medium {
public:
    explicit ImageMedium(std::unique_ptr<media::SectorSource> s) : m_src(std::move(s)) {}
    Status read_blocks(uint64_t lba, std::span<std::byte> out) override { return m_src->read_blocks(lba, out); }
    uint64_t block_count() const override { return m_src->block_count(); }
    std::string describe() const override { return m_src->describe(); }
    int block_fd() const override { return m_src->block_fd(); }
    Result<media::Toc> toc() override { return emulate_toc(*m_src); }

private:
    std::unique_ptr<media::SectorSource> m_src;
};
}  // namespace

Result<std::shared_ptr<media::Medium>> open_image_medium(const std::string& path) {
    auto src = DM_TRY(media::open_image_file(path));
    return std::shared_ptr<media::Medium>(new ImageMedium(std::move(src)));
}

Result<WriteReport> write_new_image(FileSystemImage& img, const std::string& path, const ProgressFn& progress,
                                    bool sync) {
    img.set_session_start_block(first_session_lba);
    auto stream = DM_TRY(img.create_result_image());
    if (progress) stream->set_progress(progress);
    return write_new_image(*stream, path, sync);
}

Result<WriteReport> write_new_image(ImageStream& stream, const std::string& path, bool sync) {
    if (stream.start_block() != first_session_lba)
        return make_error(Errc::internal, "a new image's session was laid out for block " +
                                              std::to_string(stream.start_block()));
    std::string tmp = path + ".partial";
    auto created = os::open_file(tmp, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (!created.ok()) return make_error(created.error().code, "cannot create " + created.error().message);
    os::Fd fd = std::move(*created);
    auto fail = [&](Error e) -> Result<WriteReport> {
        fd.reset();
        ::unlink(tmp.c_str());
        return e;
    };
    Status st = stream.write_to(fd.get(), uint64_t(first_session_lba) * block_bytes);
    if (!st.ok()) return fail(st.error());
    auto sb = stream.superblock(first_session_lba + stream.block_count());
    st = os::pwrite_all(fd.get(), sb.data(), sb.size(), 0, "the image");
    if (!st.ok()) return fail(st.error());
    if (sync && ::fsync(fd.get()) != 0) return fail(os_error("cannot sync " + tmp));
    if (st = fd.close(tmp); !st.ok()) return fail(st.error());
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        auto e = os_error("cannot create " + path);
        ::unlink(tmp.c_str());
        return e;
    }
    return report_of(stream);
}

namespace {

// What an append changes in an image file, kept so that a failure restores
// the file byte for byte: its size, the head (LBA 0-31), block 256 and the
// bytes the new session overwrites (padding after the last session).
struct Undo {
    int fd;
    uint64_t size = 0;
    uint64_t start_byte = 0;
    std::vector<std::byte> head, anchor, tail;

    Status capture(const std::string& path, uint32_t start) {
        struct stat st {};
        if (::fstat(fd, &st) != 0) return os_error(path);
        size = uint64_t(st.st_size);
        start_byte = uint64_t(start) * block_bytes;
        constexpr uint64_t k_max_tail = 64ull << 20;
        uint64_t tail_len = size > start_byte ? size - start_byte : 0;
        if (tail_len > k_max_tail)
            return make_error(Errc::unsupported, path + ": " + std::to_string(tail_len >> 20) +
                                                     " MiB of data after the last session; not appending over them");
        tail.resize(size_t(tail_len));
        tail.resize(DM_TRY(os::pread_some(fd, tail.data(), tail.size(), start_byte, path)));
        head.resize(size_t(head_blocks) * block_bytes);
        head.resize(DM_TRY(os::pread_some(fd, head.data(), head.size(), 0, path)));
        if (start > udf_anchor_lba) {
            anchor.resize(block_bytes);
            anchor.resize(DM_TRY(os::pread_some(fd, anchor.data(), block_bytes, uint64_t(udf_anchor_lba) * block_bytes, path)));
        }
        return {};
    }

    Error restore(const std::string& path, Error e) const {
        bool ok = os::pwrite_all(fd, head.data(), head.size(), 0, path).ok();
        ok = os::pwrite_all(fd, anchor.data(), anchor.size(), uint64_t(udf_anchor_lba) * block_bytes, path).ok() && ok;
        ok = os::pwrite_all(fd, tail.data(), tail.size(), start_byte, path).ok() && ok;
        if (::ftruncate(fd, off_t(size)) != 0) ok = false;
        ::fsync(fd);
        return ok ? e : e.with_context(path + " could not be restored");
    }
};

}  // namespace

Result<WriteReport> append_to_image_file(FileSystemImage& img, const std::string& path, const ProgressFn& progress) {
    auto stream = DM_TRY(img.create_result_image());
    if (progress) stream->set_progress(progress);
    return append_to_image_file(*stream, path);
}

Result<WriteReport> append_to_image_file(ImageStream& stream, const std::string& path) {
    // What the file holds now: where its first session is, and block 256.
    auto medium = DM_TRY(open_image_medium(path));
    auto toc = DM_TRY(medium->toc());

    os::Fd fd = DM_TRY(os::open_file(path, O_RDWR));
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0)
        return make_error(Errc::io, path + ": another program is writing this image");
    Undo undo{fd.get()};
    DM_TRY(undo.capture(path, stream.start_block()));
    auto head = session_head(stream, *medium, toc);
    if (!head.ok()) return head.error();
    medium.reset();
    // The session goes into a fresh region (write_to leaves holes for zeros),
    // then the head that makes it the newest.
    auto write = [&]() -> Status {
        if (!undo.tail.empty() && ::ftruncate(fd.get(), off_t(undo.start_byte)) != 0)
            return os_error("cannot write " + path);
        DM_TRY(stream.write_to(fd.get(), undo.start_byte));
        if (::fsync(fd.get()) != 0) return os_error("cannot sync " + path);
        DM_TRY(os::pwrite_all(fd.get(), head->blocks.data(), head->blocks.size(), 0, path));
        if (!head->anchor.empty())
            DM_TRY(os::pwrite_all(fd.get(), head->anchor.data(), head->anchor.size(),
                                  uint64_t(udf_anchor_lba) * block_bytes, path));
        if (::fsync(fd.get()) != 0) return os_error("cannot sync " + path);
        return {};
    };
    if (auto s = write(); !s.ok()) return undo.restore(path, s.error());
    DM_TRY(fd.close(path));
    return report_of(stream);
}

}  // namespace mastering::image
