// Internal: the medium's answers that several commands share — which blocks
// can be read, the disc and track information, the table of contents — all
// derived from the one DiscModel (docs/drive-model.md "One model per disc").
#pragma once

#include <optional>

#include "emulator/media/disc_model.h"
#include "mastering/scsi/mmc.h"

namespace emulator::mmc {

namespace sc = mastering::scsi;
using media::DiscModel;
using media::TrackRecord;

bool readable(const DiscModel& m, uint64_t lba, uint64_t blocks);
// The first block of [lba, lba + blocks) that cannot be read (lba + blocks if none).
uint64_t first_unreadable(const DiscModel& m, uint64_t lba, uint64_t blocks);
uint32_t read_capacity_blocks(const DiscModel& m);  // blocks READ CAPACITY reports
sc::DiscInformation disc_information(const DiscModel& m);
// address_type 0: LBA, 1: track (0xFF invisible), 2: session; nullopt: no such track.
std::optional<sc::TrackInformation> track_information(const DiscModel& m, uint8_t address_type, uint32_t number);
// READ TOC formats; nullopt: not available on this medium (5/24/00).
std::optional<sc::Toc0> toc_format0(const DiscModel& m, uint8_t from_track);
std::optional<sc::SessionInfo> toc_format1(const DiscModel& m);
std::optional<sc::FullToc> full_toc(const DiscModel& m);

// The track a write at `lba` continues (or nullptr), and whether it starts a
// new track at the invisible track's start.
struct WriteTarget {
    TrackRecord* track = nullptr;  // existing open track
    bool new_track = false;        // at the invisible track
};
std::optional<WriteTarget> write_target(DiscModel& m, uint64_t lba);
// The open session's last track, if it is open.
TrackRecord* open_track(DiscModel& m);
// Close an open track: pad to the write unit, mark closed.
void close_track(DiscModel& m, TrackRecord& t);
// Close the open session; `finalize` completes the disc. False if the disc is full.
void close_session(DiscModel& m, bool finalize);

}  // namespace emulator::mmc
