// LogicalUnit: what a SCSI transport (the iSCSI target, the in-process `emu:`
// transport, unit tests) needs from a device. It knows nothing of the
// transport: a CDB and the data-out bytes in, status, sense and data-in out
// (LIO's write_pending / queue_data_in / queue_status, collapsed into one call
// because the transport gathers all data-out before it calls).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "mastering/os/file.h"
#include "mastering/scsi/sense.h"

namespace emulator {

namespace scsi = mastering::scsi;

// One I_T nexus: an iSCSI session, or one in-process client. Unit attentions
// and reservations are kept per nexus.
using NexusId = uint64_t;

// An open file a unit lends a transport so that data-in can be sent straight
// from it (sendfile) instead of being copied into a buffer first. Shared: it
// stays open until the transport has sent the range, even if the medium is
// ejected meanwhile.
class SharedFile {
public:
    // Takes `fd` over (it is closed with the last reference). `map_bytes`:
    // how much of the file to map read-only (it may grow to that size; 0: no
    // mapping).
    explicit SharedFile(int fd, uint64_t map_bytes = 0);
    ~SharedFile();
    SharedFile(const SharedFile&) = delete;
    SharedFile& operator=(const SharedFile&) = delete;
    int fd() const { return m_fd.get(); }
    // The file's bytes from `offset` in memory, if mapped that far (touching
    // bytes beyond the file's end raises SIGBUS: only for ranges the file had).
    const std::byte* mapped(uint64_t offset, size_t length) const {
        return m_map && offset + length <= m_map_bytes ? m_map + offset : nullptr;
    }

private:
    mastering::os::Fd m_fd;
    const std::byte* m_map = nullptr;
    uint64_t m_map_bytes = 0;
};

// `length` bytes of a file from byte `offset`. Bytes the file does not have
// (it was truncated before they were sent) are sent as zeros.
struct FileRange {
    std::shared_ptr<const SharedFile> file;
    uint64_t offset = 0;
    size_t length = 0;
};

struct CommandReply {
    scsi::Status status = scsi::Status::good;
    scsi::Sense sense;          // meaningful when status is check_condition
    size_t data_in_length = 0;  // bytes of data_in filled (<= data_in.size())
    // Bytes the command would have sent beyond data_in.size() (the
    // initiator's expected length was too small): a residual overflow.
    size_t data_in_overflow = 0;
    // Data-out the command used, and what it needed beyond what was sent
    // (for the transport's residual counts).
    size_t data_out_used = 0;
    size_t data_out_overflow = 0;
    // Set only when the caller allowed it (try_execute_now's `by_reference`):
    // the data_in_length bytes of data-in are this file range, data_in was
    // not filled.
    FileRange data_in_file;
};

class LogicalUnit {
public:
    virtual ~LogicalUnit() = default;

    // Run one command. `data_out` holds all the data the initiator sent;
    // `data_in` has room for the initiator's expected transfer length (the
    // unit truncates its reply to it, as SPC's allocation length rules want).
    // Implementations are thread-safe: they serialize commands internally.
    virtual CommandReply execute(NexusId nexus, std::span<const uint8_t> cdb,
                                 std::span<const std::byte> data_out, std::span<std::byte> data_in) = 0;

    // Run the command now if the unit can answer it at once without waiting
    // (a read from or a write into the page cache, or a query, while no
    // other command holds the unit); nullopt otherwise, and the caller uses execute() on a
    // worker. Lets a transport skip two thread hand-offs on the hot path.
    // With `by_reference`, a read whose data lie in one run of a file may
    // name that range in reply.data_in_file instead of copying it: the
    // transport then sends it from the file (no copy through user space).
    virtual std::optional<CommandReply> try_execute_now(NexusId nexus, std::span<const uint8_t> cdb,
                                                        std::span<const std::byte> data_out, std::span<std::byte> data_in,
                                                        bool by_reference = false) {
        (void)nexus, (void)cdb, (void)data_out, (void)data_in, (void)by_reference;
        return std::nullopt;
    }

    // A new I_T nexus (login): its first command sees POWER ON/RESET (6/29/00).
    virtual void nexus_opened(NexusId nexus) = 0;
    // The nexus went away (logout, dropped connection): release its locks.
    virtual void nexus_closed(NexusId nexus) = 0;
    // LOGICAL UNIT RESET / TARGET WARM RESET from `origin`: every nexus sees a
    // unit attention, prevent/allow state clears, an Immed operation ends as
    // the device would end it.
    virtual void reset(NexusId origin) = 0;
};

}  // namespace emulator
