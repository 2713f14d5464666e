// Transport: one way to send a CDB to a recorder and get status, sense and
// data back, whatever carries it — Linux SG_IO to a real drive, libiscsi to a
// drive behind an iSCSI target, or the in-process emulator (registered by
// emulator/, so mastering/ stays free of emulator code). After libburn's
// transport.h (struct command / issue_command) with one execute() entry point.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mastering/codec/result.h"
#include "mastering/scsi/sense.h"

namespace mastering::transport {

enum class Direction : uint8_t { none, in, out };

struct Command {
    std::array<uint8_t, 16> cdb{};
    uint8_t cdb_length = 0;
    Direction direction = Direction::none;
    // in: the buffer to fill (its size is the expected transfer length);
    // out: the bytes to send.
    std::span<std::byte> data;
    std::chrono::milliseconds timeout{60'000};

    // Filled by execute():
    scsi::Status status = scsi::Status::good;
    std::vector<uint8_t> sense;   // raw sense bytes when status is CHECK CONDITION
    size_t transferred = 0;       // bytes actually moved
    size_t residual = 0;          // expected minus transferred (underflow)

    Command() = default;
    Command(std::span<const uint8_t> cdb_bytes, Direction dir = Direction::none, std::span<std::byte> buffer = {});

    bool good() const { return status == scsi::Status::good; }
    // The decoded sense, if the command ended in CHECK CONDITION with valid sense.
    std::optional<scsi::Sense> decoded_sense() const;
    // "READ TOC: ILLEGAL REQUEST (5/24/00)" style text for messages.
    std::string describe_failure() const;
};

// Called after every command (trace hook): the command with its results and
// how long it took.
using TraceHook = std::function<void(const Command&, std::chrono::nanoseconds)>;

class Transport {
public:
    virtual ~Transport() = default;

    // Send one command. A SCSI-level failure (CHECK CONDITION, BUSY) is not an
    // error here: it is in cmd.status / cmd.sense. An Error means the command
    // could not be delivered or did not complete (device gone, connection
    // lost, timeout).
    Status execute(Command& cmd);

    // The address this transport was opened with ("/dev/sr0", "iscsi://...", "emu:...").
    virtual std::string address() const = 0;
    void set_trace(TraceHook hook) { m_trace = std::move(hook); }

protected:
    virtual Status do_execute(Command& cmd) = 0;

private:
    TraceHook m_trace;
};

struct OpenOptions {
    bool exclusive = false;  // O_EXCL on SG devices: no other opener while we burn
};

// Open a drive by its address (docs/architecture.md "Drive addresses"):
// /dev/srN or /dev/sgN (SG_IO), iscsi://[user%secret@]host[:port]/IQN/LUN
// (libiscsi), emu:PATH (the in-process emulator, once registered).
Result<std::unique_ptr<Transport>> open_transport(const std::string& address, const OpenOptions& options = {});

// The address as it may be shown: messages, traces, /proc/mounts. The CHAP
// secrets of an iscsi:// URL are masked as libiscsi splits them: the part of
// "user%secret@" (or "user:secret@") after the user name, and the value of a
// "target_password=" argument. Any other address is returned as it is.
std::string redact_address(const std::string& address);

// Backends that live outside mastering/ register themselves by address prefix.
using BackendFactory = std::function<Result<std::unique_ptr<Transport>>(const std::string& address, const OpenOptions&)>;
void register_backend(const std::string& prefix, BackendFactory factory);

// The concrete backends (also reachable through open_transport).
Result<std::unique_ptr<Transport>> open_sg(const std::string& path, const OpenOptions& options);
Result<std::unique_ptr<Transport>> open_iscsi(const std::string& url, const OpenOptions& options);

// SG devices whose SCSI peripheral type is 5 (CD/DVD/BD): /dev/sgN paths.
std::vector<std::string> list_mmc_sg_devices();

}  // namespace mastering::transport
