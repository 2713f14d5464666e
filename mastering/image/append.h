// The seed's workflow, once for every medium (docs/architecture.md "Tools"):
// look at the medium, import its newest session when it has one, apply the
// removals, add a host tree, lay the new session out at the medium's next
// writable address within its free space, and write it. An image file (create
// or append, image_target.h) and a disc in a recorder (burn/burn_tree.h) are
// SessionTargets; the tools only fill in a SessionRequest.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mastering/boot/boot_spec.h"
#include "mastering/codec/result.h"
#include "mastering/image/result_stream.h"
#include "mastering/media/profile.h"
#include "mastering/media/sector_source.h"
#include "mastering/model/fs_reader.h"

namespace mastering::image {

// What the new session holds and how it is made.
struct SessionRequest {
    std::string from;                 // host directory ("": nothing added)
    std::string at = "/";             // where its contents go in the image
    bool include_base = false;        // the directory itself, not only its contents
    std::vector<std::string> remove;  // image paths removed from the imported tree
    // The file systems; default: those of the session continued, or for a
    // first session ISO 9660, Rock Ridge and Joliet. Those of the session
    // continued are always kept (as IMAPI2 does).
    std::optional<model::FsMask> file_systems;
    std::optional<uint16_t> udf_revision;  // adds UDF; a continued UDF volume keeps its own
    std::string udf_partition;             // "physical" or "sparable" (adds UDF); "": as the medium needs
    std::optional<int> iso_level;          // 1-4
    std::string volume_name;               // default: the imported one, or DISCMASTER
    bool dedup = true;
    // Stops the work at the next safe point (a signal handler sets it): the
    // target is left as it was, or as docs/interruptions.md says.
    const std::atomic<bool>* cancel = nullptr;
    // Told what the engine decides on its own (a session passed over).
    std::function<void(const std::string&)> notice;
    // Bootable (docs/boot.md); an imported bootable session stays so.
    boot::BootSpec boot;
};

// Where and how large the next session may be.
struct NextSession {
    media::Profile profile = media::Profile::none;  // defaults for this medium (none: no medium's)
    bool image_file = false;  // sessions found by their descriptors, not a TOC: each records its own size
    uint32_t start = 0;
    uint64_t free_blocks = 0;  // 0: no limit
    bool blank = true;         // no session to continue
    // Write-once media: a session that cannot be continued stays on the disc
    // whatever we do, so when none can, the new session starts a new tree
    // (elsewhere a session that cannot be read is refused: it is damage).
    bool write_once = false;
};

struct WrittenSession {
    uint32_t number = 0;  // 1-based
    uint32_t start = 0;
    uint32_t blocks = 0;  // written, padding included
    std::vector<std::string> notes;  // what the target did on its own
};

// Where a new session goes.
class SessionTarget {
public:
    virtual ~SessionTarget() = default;
    virtual std::string describe() const = 0;
    // Readies the medium for a new session (a disc closes a session an
    // interrupted burn left open) and says where it goes.
    virtual Result<NextSession> prepare() = 0;
    // The medium's blocks and sessions as they are now, to import from.
    virtual Result<std::shared_ptr<media::Medium>> medium() = 0;
    // Writes the session laid out for prepare()'s start.
    virtual Result<WrittenSession> write(ImageStream& stream) = 0;
    // Host files the target writes (an image file), which the tree must not hold.
    virtual std::vector<std::string> outputs() const { return {}; }
};

// A session newer than the one continued, and why it was not.
struct PassedOver {
    uint32_t number = 0, start = 0;
    std::string reason;
};

struct AppendReport {
    WrittenSession session;
    uint64_t files = 0, directories = 0, new_data_blocks = 0;
    model::FsType imported = model::FsType::none;
    std::optional<uint32_t> imported_session_start;
    std::vector<PassedOver> passed_over;  // newest first
};

Result<AppendReport> append_session(SessionTarget& target, const SessionRequest& request);

}  // namespace mastering::image
