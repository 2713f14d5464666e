// The drives master-drive serves: each a virtual recorder (emulator::mmc::Drive)
// exported as target iqn.2026-11.org.discmaster:NAME, LUN 0, by one iSCSI
// Server; and the control protocol of `master-drive ctl`: one JSON object per
// line on a Unix socket, one JSON answer per request (docs/master-drive.md).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "emulator/iscsi/server.h"
#include "emulator/mmc/drive.h"
#include "mastering/os/file.h"

namespace emulator::iscsi {

constexpr const char* target_prefix = "iqn.2026-11.org.discmaster:";

// "NAME=PROFILE:PATH" (a virtual disc at PATH, created blank if missing),
// "NAME=PATH" (an existing virtual disc), "NAME=" (an empty tray).
struct DriveSpec {
    std::string name;
    std::optional<mastering::media::Profile> profile;
    std::string path;
};
Result<DriveSpec> parse_drive_spec(const std::string& text);
// "PROFILE:PATH" or "PATH": the medium part of a spec (ctl insert).
Result<DriveSpec> parse_medium_spec(const std::string& text);
// The disc a spec names when it exists (a virtual disc, or an image file
// served read-only); nullptr, once checked that one can be made there, for a
// blank disc still to be made. Nothing is created.
Result<std::unique_ptr<media::VirtualDisc>> open_existing_disc(const DriveSpec& spec);
// Opens (or creates blank) the virtual disc a spec names.
Result<std::unique_ptr<media::VirtualDisc>> load_disc(const DriveSpec& spec);

struct FarmOptions {
    ServerOptions server;
    mmc::DriveOptions drive;
    std::string trace_dir;  // every drive's trace also goes to TRACE_DIR/NAME.trace
};

class DriveFarm {
public:
    explicit DriveFarm(FarmOptions options);
    ~DriveFarm();

    // Checks a drive and opens its existing disc; nothing is created here
    // (a blank disc is made by start()). Refuses a second drive of the same
    // name, and a trace directory that cannot be written.
    Status add_drive(const DriveSpec& spec);
    void set_auth(AuthPolicy auth) { m_server.set_global_auth(std::move(auth)); }
    // CHAP secrets for one drive's target only (instead of the global ones).
    Status set_target_auth(const std::string& drive, AuthPolicy auth);
    // Binds the port, then makes the blank discs and opens the trace files;
    // when that fails, what it made is removed again.
    Status start();
    uint16_t port() const { return m_server.port(); }
    // Listen for `master-drive ctl` on a Unix socket (replaced if stale).
    Status serve_control(const std::string& socket_path);
    // Stop serving; every medium is synchronized and released. The drives
    // whose medium could not be synchronized, if any.
    Status stop();

    // One control request (also what the socket calls).
    nlohmann::json handle(const nlohmann::json& request);
    nlohmann::json status();
    mmc::Drive* drive(const std::string& name);

private:
    struct Entry {
        std::string name;
        std::shared_ptr<mmc::Drive> drive;
        std::optional<DriveSpec> blank_to_make;  // made by start()
    };
    Result<Entry*> find(const std::string& name);
    Status make_media(std::vector<std::string>& made);
    void control_loop();

    FarmOptions m_options;
    Server m_server;
    std::vector<Entry> m_drives;
    std::string m_control_path;
    mastering::os::Fd m_control_fd;
    mastering::os::Fd m_wake_read, m_wake_write;  // a byte in the pipe ends the control loop
    std::thread m_control_thread;
    std::mutex m_mutex;  // control requests one at a time
    bool m_stopped = false;
};

// A client for the control socket: sends one request, returns the answer.
Result<nlohmann::json> control_request(const std::string& socket_path, const nlohmann::json& request);

}  // namespace emulator::iscsi
