// Writing image files: a new one (written beside, then renamed) and a session
// appended to one (the session, then its head; restored on failure).
#include "mastering/image/image_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mastering/image/session_head.h"
#include "mastering/os/file.h"

namespace mastering::image {

using model::ProgressFn;
using model::block_bytes;

namespace {

WriteReport report_of(const ImageStream& s) {
    return {s.start_block(), s.block_count(), s.file_count(), s.directory_count(), s.new_data_blocks()};
}

}  // namespace

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
