// Internal: the drive's write modes, one recording strategy each
// (docs/drive-model.md "Write modes"). A strategy decides where a WRITE may
// go and what it changes in the disc's model, what SYNCHRONIZE CACHE closes,
// and how READ TRACK INFORMATION reports the track being written; it keeps
// its own state (the cue sheet of a session written at once). Every strategy
// records blocks through the one step of RecordingContext::record (fault
// plan, data, emulated speed). A new mode (audio tracks, a new profile) is a
// new strategy and one line in write_mode()/make_recording().
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "emulator/logical_unit.h"
#include "emulator/media/disc_model.h"
#include "mastering/scsi/mmc.h"

namespace emulator::mmc {

namespace sc = mastering::scsi;
using media::DiscModel;
using media::TrackRecord;

enum class WriteMode {
    none,                  // a read-only disc or profile: WRITE is refused
    random,                // formatted DVD+RW, DVD-RAM, BD-RE: any block of the formatted area
    restricted_overwrite,  // DVD-RW restricted overwrite: 16-block packets
    track_at_once,         // CD-R/RW: tracks appended at the next writable address
    session_at_once,       // CD-R/RW from a cue sheet (write types 2 and 3: SAO and raw sectors)
    incremental,           // DVD-R/-RW sequential: incremental or disc-at-once
    sequential,            // DVD+R (DL), BD-R in sequential recording mode
    pseudo_overwrite,      // BD-R SRM+POW: overwrites of recorded blocks, appends at the NWA
};

// The sector format WRITE sends: bytes per block, and where the 2048 bytes
// of user data sit in each (2048/0 for mode 1 data; 2336/8 for XA mode 2
// form 1; 2352/16 or 2352/24 for raw sectors).
struct SectorFormat {
    uint32_t block = 2048;
    uint32_t user_offset = 0;
    uint8_t data_mode = 1;
    // The user data of `blocks` blocks of `sent` (copied into `scratch`
    // unless the blocks are plain 2048-byte user data).
    std::span<const std::byte> user_data(std::span<const std::byte> sent, uint32_t blocks,
                                         std::vector<std::byte>& scratch) const;
};

// What a strategy records through: the drive.
class RecordingContext {
public:
    virtual ~RecordingContext() = default;
    virtual DiscModel& model() = 0;
    // Only the model, after a change that wrote no data.
    virtual mastering::Status save_model() = 0;
    // The one recording step of every write mode, for a WRITE of `blocks`
    // blocks from `lba` (negative: a CD pre-gap): the fault plan first (a
    // fault ends the write; a medium error marks `track` damaged), then
    // `data` onto the disc from block `data_lba` (none: nothing to keep), then
    // the emulated speed. nullopt when recorded, else the reply to send.
    virtual std::optional<CommandReply> record(int64_t lba, uint32_t blocks, uint64_t data_lba,
                                               std::span<const std::byte> data, TrackRecord* track) = 0;
};

class RecordingStrategy {
public:
    virtual ~RecordingStrategy() = default;
    virtual WriteMode mode() const = 0;
    virtual SectorFormat sector_format() const { return {}; }
    // WRITE(10/12) of `blocks` blocks at `lba`; `data` holds their user data.
    virtual CommandReply write(RecordingContext& ctx, int64_t lba, uint32_t blocks, std::span<const std::byte> data) = 0;
    // SYNCHRONIZE CACHE, the data on stable storage: what the mode closes
    // with it (a CD TAO track, a DVD-R DAO or CD SAO session). True if the
    // model changed.
    virtual bool synchronize(DiscModel&, const sc::WriteParameters&) { return false; }
    // SEND CUE SHEET of `length` bytes (the parameter list in `sent`).
    virtual CommandReply send_cue_sheet(DiscModel&, const sc::WriteParameters&, size_t length,
                                        std::span<const std::byte> sent);
    // READ TRACK INFORMATION as this mode reports it (nullopt: no such track).
    virtual std::optional<sc::TrackInformation> track_information(const DiscModel& m, uint8_t type, uint32_t number,
                                                                  const sc::WriteParameters&) const;
    // True while the mode holds a session being written that a change of
    // the write parameters page must not drop (a cue sheet sent).
    virtual bool holds_session() const { return false; }
};

// The write mode a medium takes with these write parameters.
WriteMode write_mode(const DiscModel& m, const sc::WriteParameters& page05);
std::unique_ptr<RecordingStrategy> make_recording(WriteMode mode);

// Shared by the strategies.
CommandReply check(const sc::Sense& s);
CommandReply check_at(sc::Sense s, int64_t lba);  // with the LBA in the information field
// The cue sheet strategy (cue_sheet.cpp).
std::unique_ptr<RecordingStrategy> make_session_at_once();

}  // namespace emulator::mmc
