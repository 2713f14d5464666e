// The virtual recorder: an MMC device model that takes a CDB and data-out
// bytes and returns status, sense and data-in bytes (emulator::LogicalUnit).
// It knows nothing of iSCSI. The medium is a VirtualDisc; its state machine
// (sessions, tracks, next writable address, closing rules per profile) is in
// recorder.cpp, its write modes in recording.h; commands are split by family
// (spc.cpp, features.cpp, read.cpp, write.cpp), dispatched through the
// drive's bindings (bindings.cpp) of the command vocabulary of
// mastering/scsi/commands.h.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "emulator/logical_unit.h"
#include "emulator/media/fault_plan.h"
#include "emulator/media/vdisc.h"
#include "emulator/mmc/recording.h"
#include "emulator/mmc/trace.h"
#include "mastering/scsi/mmc.h"

namespace emulator::mmc {

using mastering::Result;
using mastering::Status;
using mastering::media::Profile;
namespace sc = mastering::scsi;

struct DriveOptions {
    std::string vendor = "DISCMSTR";
    std::string product = "VIRTUAL RECORDER";
    std::string revision = "0.1";
    std::string serial = "DM0000000001";
    unsigned speed = 0;          // emulated write speed as a multiple of 1x (0: unlimited)
    bool trace = true;
    size_t trace_limit = 200000; // lines kept in memory
};

struct DriveStatus {
    bool medium_present = false;
    bool tray_open = false;
    bool prevented = false;
    std::string disc_path;
    mastering::media::Toc toc;
    std::string fault_plan;
    size_t nexuses = 0;
    uint64_t commands = 0;
};

class Drive final : public LogicalUnit, private RecordingContext {
public:
    explicit Drive(DriveOptions options = {});
    ~Drive() override;

    // LogicalUnit
    std::optional<CommandReply> try_execute_now(NexusId nexus, std::span<const uint8_t> cdb,
                                                std::span<const std::byte> data_out, std::span<std::byte> data_in,
                                                bool by_reference = false) override;
    CommandReply execute(NexusId nexus, std::span<const uint8_t> cdb, std::span<const std::byte> data_out,
                         std::span<std::byte> data_in) override;
    void nexus_opened(NexusId nexus) override;
    void nexus_closed(NexusId nexus) override;
    void reset(NexusId origin) override;

    // ---- Control (master-drive ctl, tests)
    // Put a medium in the tray and close it (every nexus sees 6/28/00).
    Status insert(std::unique_ptr<media::VirtualDisc> disc);
    // Open the tray and take the medium out (refused while prevented unless forced).
    Result<std::unique_ptr<media::VirtualDisc>> eject(bool force = false);
    Status set_fault_plan(const std::string& spec);
    void set_speed(unsigned multiple);
    void set_tracing(bool on);
    // Trace lines (JSON), oldest first; `clear` empties the buffer.
    std::vector<std::string> trace(bool clear = false);
    // Also append every trace line to this file (empty: stop).
    Status set_trace_file(const std::string& path);
    DriveStatus status();

    // Empty if the medium's state obeys its profile's rules (fuzzing, tests).
    std::string check_medium_invariants();

private:
    friend struct Handlers;
    struct Ctx {
        NexusId nexus;
        std::span<const uint8_t> cdb;
        std::span<const std::byte> out;
        std::span<std::byte> in;
        bool by_reference = false;  // a READ may answer with a FileRange
    };
    using Handler = CommandReply (*)(Drive&, Ctx&);

    CommandReply execute_locked(NexusId nexus, std::span<const uint8_t> cdb, std::span<const std::byte> data_out,
                                std::span<std::byte> data_in, bool by_reference = false);
    // What runs the command, once the drive's gates (unit attentions, NOT
    // READY, a running Immed operation, ...) let it through.
    CommandReply dispatch(Ctx& c);

    // Helpers used by the handlers.
    static CommandReply good() { return {}; }
    static CommandReply check(const sc::Sense& s) { return {sc::Status::check_condition, s, 0}; }
    static CommandReply reply(Ctx& c, const sc::Bytes& data, size_t alloc);
    DiscModel& model() override { return m_disc->model(); }
    Profile profile() const;
    void queue_ua_all(const sc::Sense& s);
    void media_event(uint8_t code);
    bool prevented() const { return !m_preventers.empty(); }
    // The write mode in force: the medium's with the write parameters page,
    // or the one that holds a session being written (a cue sheet sent).
    RecordingStrategy& recording();
    // Bytes per block a WRITE carries now.
    uint32_t transfer_block() const;

    // RecordingContext: the one recording step of every write mode.
    mastering::Status save_model() override { return m_disc->save_model(); }
    std::optional<CommandReply> record(int64_t lba, uint32_t blocks, uint64_t data_lba, std::span<const std::byte> data,
                                       TrackRecord* track) override;
    // A fault of the plan triggered by writing `blocks` more sectors.
    std::optional<CommandReply> write_faults(uint64_t lba, uint32_t blocks);
    void lose_power();
    void emulate_speed(uint32_t blocks);

    DriveOptions m_options;
    std::mutex m_mutex;
    std::unique_ptr<media::VirtualDisc> m_disc;
    bool m_tray_open = false;
    std::map<NexusId, std::deque<sc::Sense>> m_ua;
    std::map<NexusId, sc::Sense> m_deferred;
    std::set<NexusId> m_preventers;
    std::set<NexusId> m_nexuses;
    sc::WriteParameters m_page05;
    std::unique_ptr<RecordingStrategy> m_recording;
    std::deque<uint8_t> m_media_events;
    // An Immed operation still "running": TEST UNIT READY answers NOT READY with progress.
    std::chrono::steady_clock::time_point m_busy_until{}, m_busy_since{};
    sc::Sense m_busy_sense;
    void set_busy(const sc::Sense& s, std::chrono::milliseconds how_long);
    media::FaultPlan m_faults;
    uint64_t m_fault_sectors = 0;  // sectors written since the plan was set
    uint64_t m_not_ready_left = 0;
    uint16_t m_read_speed = 0xFFFF, m_write_speed = 0xFFFF;
    CommandTrace m_trace;
    uint64_t m_seq = 0;
};

// Register the in-process transport "emu:PATH" (a drive over the virtual disc
// at PATH, created by the caller beforehand) with mastering::transport.
void register_emu_transport();

}  // namespace emulator::mmc
