// Internal: the drive's command trace. Each command is kept as a compact
// record and written out as a JSON line only when the trace is read, or at
// once when a trace file takes every line (docs/master-drive.md "trace"):
// the hot path of a read stays cheap.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <vector>

#include "emulator/logical_unit.h"
#include "mastering/os/file.h"

namespace emulator::mmc {

class CommandTrace {
public:
    CommandTrace(bool on, size_t limit) : m_on(on), m_limit(limit) {}

    void set_enabled(bool on) { m_on = on; }
    // Whether add() keeps anything (in memory or in the file).
    bool wanted() const { return m_on || m_file.valid(); }
    // One command: its sequence number, nexus, CDB, Data-Out, reply and time.
    void add(uint64_t seq, NexusId nexus, std::span<const uint8_t> cdb, std::span<const std::byte> out,
             const CommandReply& reply, std::chrono::nanoseconds took);
    // The lines kept, oldest first; `clear` empties the buffer.
    std::vector<std::string> lines(bool clear);
    // Also append every line to this file (empty: stop).
    mastering::Status set_file(const std::string& path);

private:
    struct Record {
        uint64_t seq = 0, nexus = 0;
        std::array<uint8_t, 16> cdb{};
        uint8_t cdb_length = 0;
        size_t out = 0, in = 0;
        std::vector<uint8_t> data;  // a parameter list of at most 256 bytes
        scsi::Status status = scsi::Status::good;
        scsi::Sense sense;
        int64_t us = 0;
    };
    static std::string line(const Record& r);

    bool m_on;
    size_t m_limit;  // records kept in memory
    std::deque<Record> m_records;
    mastering::os::Fd m_file;
};

}  // namespace emulator::mmc
