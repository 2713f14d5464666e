#include "emulator/iscsi/drive_farm.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <vector>

#include "mastering/media/toc_json.h"

namespace emulator::iscsi {

using mastering::Errc;
using mastering::make_error;
using mastering::media::Profile;
using nlohmann::json;

namespace {

bool valid_name(const std::string& n) {
    if (n.empty() || n.size() > 64) return false;
    for (char c : n)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.')) return false;
    return true;
}

// Every profile name a spec may use: "cd-r, cd-rw, ... (read-only: cd-rom, ...)".
std::string profile_names() {
    std::string writable, rom;
    std::set<std::string_view> seen;  // dvd-rw names two profiles
    for (const auto& i : mastering::media::all_profiles()) {
        if (!seen.insert(i.name).second) continue;
        std::string& list = mastering::media::is_writable(i.profile) ? writable : rom;
        list += (list.empty() ? "" : ", ") + std::string(i.name);
    }
    return writable + "; read-only: " + rom;
}

// Something can be made at `path`: its directory exists and may be written.
Status check_creatable(const std::string& path, const std::string& what) {
    std::filesystem::path dir = std::filesystem::path(path).parent_path();
    if (dir.empty()) dir = ".";
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
        return make_error(Errc::not_found, path + ": cannot make " + what + " there: " + dir.string() + " is not a directory");
    if (::access(dir.c_str(), W_OK | X_OK) != 0)
        return make_error(Errc::io, path + ": cannot make " + what + " there: " + dir.string() + ": " + std::strerror(errno));
    return {};
}

}  // namespace

Result<DriveSpec> parse_medium_spec(const std::string& text) {
    DriveSpec s;
    auto colon = text.find(':');
    if (colon != std::string::npos) {
        std::string word = text.substr(0, colon);
        std::error_code ec;
        if (auto p = mastering::media::profile_from_name(word)) {
            s.profile = *p;
            s.path = text.substr(colon + 1);
        } else if (!word.empty() && word.find('/') == std::string::npos && !std::filesystem::exists(text, ec)) {
            return make_error(Errc::invalid_argument, "'" + word + "' is not a media profile (" + profile_names() + ")");
        }
    }
    if (!s.profile) s.path = text;
    if (s.path.empty() && s.profile)
        return make_error(Errc::invalid_argument, "'" + text + "' names a profile but no virtual disc path");
    return s;
}

Result<DriveSpec> parse_drive_spec(const std::string& text) {
    auto eq = text.find('=');
    if (eq == std::string::npos)
        return make_error(Errc::invalid_argument, "'" + text + "': a drive is NAME=PROFILE:PATH, NAME=PATH or NAME=");
    std::string name = text.substr(0, eq);
    if (!valid_name(name))
        return make_error(Errc::invalid_argument,
                          "'" + name + "': a drive name has 1 to 64 letters, digits, '-' or '.' (it ends an IQN)");
    DriveSpec s;
    if (eq + 1 < text.size()) s = DM_TRY(parse_medium_spec(text.substr(eq + 1)));
    s.name = name;
    return s;
}

Result<std::unique_ptr<media::VirtualDisc>> open_existing_disc(const DriveSpec& spec) {
    using mastering::media::profile_name;
    std::error_code ec;
    if (std::filesystem::exists(spec.path, ec)) {
        if (std::filesystem::is_regular_file(spec.path, ec)) {  // a plain image: a ROM disc, served in place
            auto size = std::filesystem::file_size(spec.path, ec);
            if (ec) return make_error(Errc::io, spec.path + ": " + ec.message());
            auto family = spec.profile ? *spec.profile : media::VirtualDisc::family_for_image(size);
            if (spec.profile && mastering::media::is_writable(*spec.profile)) {
                std::string rom(profile_name(mastering::media::profile_info(*spec.profile).closed_as));
                return make_error(Errc::invalid_argument,
                                  spec.path + " is an image file, which is served read-only (give " + rom + ":" +
                                      spec.path + " or the path alone); a " + std::string(profile_name(*spec.profile)) +
                                      " to burn onto is a virtual disc: give a new path such as NAME.vdisc");
            }
            return media::VirtualDisc::open_image(spec.path, family);
        }
        if (!media::VirtualDisc::is_vdisc(spec.path))
            return make_error(Errc::invalid_argument,
                              spec.path + " is neither a virtual disc (NAME.vdisc/) nor an image file");
        auto disc = DM_TRY(media::VirtualDisc::open(spec.path));
        if (spec.profile && disc->model().profile != *spec.profile)
            return make_error(Errc::invalid_argument, spec.path + " holds a " + std::string(profile_name(disc->model().profile)) +
                                                          " disc, not " + std::string(profile_name(*spec.profile)));
        return disc;
    }
    if (!spec.profile)
        return make_error(Errc::not_found, spec.path + " does not exist (give PROFILE:PATH to create a blank disc there)");
    if (!mastering::media::is_writable(*spec.profile))
        return make_error(Errc::not_found, spec.path + " does not exist: a " + std::string(profile_name(*spec.profile)) +
                                               " disc is served from an image file or a virtual disc");
    DM_TRY(check_creatable(spec.path, "a blank " + std::string(profile_name(*spec.profile))));
    return std::unique_ptr<media::VirtualDisc>();
}

Result<std::unique_ptr<media::VirtualDisc>> load_disc(const DriveSpec& spec) {
    auto disc = DM_TRY(open_existing_disc(spec));
    if (disc) return disc;
    return media::VirtualDisc::create_blank(spec.path, *spec.profile);
}

DriveFarm::DriveFarm(FarmOptions options) : m_options(std::move(options)), m_server(m_options.server) {}

DriveFarm::~DriveFarm() { (void)stop(); }

Status DriveFarm::add_drive(const DriveSpec& spec) {
    for (const auto& e : m_drives) {
        if (e.name == spec.name) return make_error(Errc::exists, "two drives are named " + spec.name);
        if (e.blank_to_make && !spec.path.empty() && e.blank_to_make->path == spec.path)
            return make_error(Errc::exists, "drives " + e.name + " and " + spec.name + " name the same disc " + spec.path);
    }
    if (m_drives.empty() && !m_options.trace_dir.empty()) {
        std::error_code ec;
        if (!std::filesystem::is_directory(m_options.trace_dir, ec) || ::access(m_options.trace_dir.c_str(), W_OK | X_OK) != 0)
            return make_error(Errc::not_found, "the trace directory " + m_options.trace_dir +
                                                   " is not a directory this program may write to");
    }
    auto options = m_options.drive;
    options.identity = mmc::DriveIdentity::derive(spec.name, spec.path);
    options.log = [log = m_options.server.log, name = spec.name](const std::string& s) {
        if (log) log(name + ": " + s);
        else std::fprintf(stderr, "master-drive: %s: %s\n", name.c_str(), s.c_str());
    };
    Entry entry{spec.name, std::make_shared<mmc::Drive>(options), {}};
    if (!spec.path.empty()) {
        auto disc = DM_TRY(open_existing_disc(spec));
        if (disc) DM_TRY(entry.drive->insert(std::move(disc)));
        else entry.blank_to_make = spec;  // made by start(), once the port is ours
    }
    m_drives.push_back(entry);
    m_server.add_target({target_prefix + spec.name, entry.drive, {}});
    return {};
}

Status DriveFarm::set_target_auth(const std::string& name, AuthPolicy auth) {
    auto* e = DM_TRY(find(name));
    m_server.add_target({target_prefix + e->name, e->drive, std::move(auth)});
    return {};
}

Status DriveFarm::start() {
    DM_TRY(m_server.start());  // a port in use fails here, before anything is made
    std::vector<std::string> made;  // by this start: removed again if a later step fails
    Status st = make_media(made);
    if (st.ok()) return st;
    for (auto& e : m_drives) (void)e.drive->eject(true);  // releases the discs made (and opened) here
    for (const auto& path : made) {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    return st;
}

Status DriveFarm::make_media(std::vector<std::string>& made) {
    for (auto& e : m_drives) {
        if (!e.blank_to_make) continue;
        const DriveSpec& spec = *e.blank_to_make;
        std::error_code ec;
        bool existed = std::filesystem::exists(spec.path, ec);
        auto disc = media::VirtualDisc::create_blank(spec.path, *spec.profile);
        if (!existed && std::filesystem::exists(spec.path, ec)) made.push_back(spec.path);
        if (!disc.ok()) return disc.error();
        DM_TRY(e.drive->insert(std::move(*disc)));
        e.blank_to_make.reset();
    }
    if (m_options.trace_dir.empty()) return {};
    for (auto& e : m_drives) {
        std::string path = m_options.trace_dir + "/" + e.name + ".trace";
        std::error_code ec;
        bool existed = std::filesystem::exists(path, ec);
        auto st = e.drive->set_trace_file(path);
        if (!existed && std::filesystem::exists(path, ec)) made.push_back(path);
        DM_TRY(st);
    }
    return {};
}

mmc::Drive* DriveFarm::drive(const std::string& name) {
    for (auto& e : m_drives)
        if (e.name == name) return e.drive.get();
    return nullptr;
}

Result<DriveFarm::Entry*> DriveFarm::find(const std::string& name) {
    for (auto& e : m_drives)
        if (e.name == name) return &e;
    std::string known;
    for (const auto& e : m_drives) known += (known.empty() ? "" : ", ") + e.name;
    return make_error(Errc::not_found, "no drive named '" + name + "' (drives: " + known + ")");
}

json DriveFarm::status() {
    auto conns = m_server.connections();
    json drives = json::array();
    for (auto& e : m_drives) {
        auto st = e.drive->status();
        json d = {{"name", e.name},
                  {"target", target_prefix + e.name},
                  {"tray_open", st.tray_open},
                  {"removal_prevented", st.prevented},
                  {"fault_plan", st.fault_plan},
                  {"commands", st.commands}};
        if (st.medium_present) {
            json m = mastering::media::to_json(st.toc);
            d["medium"] = {{"path", st.disc_path}, {"profile", m["media"]["profile"]}, {"state", m["media"]["state"]},
                           {"capacity", m["media"]["capacity"]}, {"free_blocks", m["media"]["free_blocks"]},
                           {"sessions", m["sessions"]}};
            if (m["media"].contains("next_writable")) d["medium"]["next_writable"] = m["media"]["next_writable"];
        } else {
            d["medium"] = nullptr;
        }
        json inits = json::array();
        for (const auto& c : conns)
            if (c.target == target_prefix + e.name && c.logged_in)
                inits.push_back({{"initiator", c.initiator}, {"peer", c.peer}, {"pdus", c.commands}});
        d["initiators"] = inits;
        drives.push_back(std::move(d));
    }
    json discovery = json::array();
    for (const auto& c : conns)
        if (c.discovery || !c.logged_in) discovery.push_back({{"initiator", c.initiator}, {"peer", c.peer}});
    return {{"ok", true}, {"portal", m_server.portal()}, {"drives", drives}, {"other_connections", discovery}};
}

json DriveFarm::handle(const json& req) {
    std::lock_guard lock(m_mutex);
    auto fail = [](const std::string& why) { return json{{"ok", false}, {"error", why}}; };
    if (!req.is_object() || !req.contains("command") || !req["command"].is_string())
        return fail("a request is a JSON object with a \"command\"");
    std::string cmd = req["command"];
    if (cmd == "status") return status();
    if (!req.contains("drive") || !req["drive"].is_string()) return fail("\"" + cmd + "\" needs a \"drive\"");
    auto entry = find(req["drive"].get<std::string>());
    if (!entry.ok()) return fail(entry.error().message);
    auto& drive = *(*entry)->drive;
    auto arg = [&](const char* key) -> std::string {
        return req.contains(key) && req[key].is_string() ? req[key].get<std::string>() : std::string();
    };
    if (cmd == "insert") {
        auto spec = parse_medium_spec(arg("medium"));
        if (!spec.ok()) return fail(spec.error().message);
        if (spec->path.empty()) return fail("insert needs a medium: PROFILE:PATH or PATH");
        if (drive.status().medium_present) return fail("drive " + (*entry)->name + " already holds a medium: eject it first");
        auto disc = load_disc(*spec);
        if (!disc.ok()) return fail(disc.error().message);
        if (auto st = drive.insert(std::move(*disc)); !st.ok()) return fail(st.error().message);
        return {{"ok", true}};
    }
    if (cmd == "eject") {
        bool force = req.contains("force") && req["force"].is_boolean() && req["force"].get<bool>();
        auto disc = drive.eject(force);
        if (!disc.ok()) return fail(disc.error().message + " (force it with --force)");
        json r = {{"ok", true}};
        if (*disc) r["path"] = (*disc)->path();
        return r;  // the disc is released (unlocked) here
    }
    if (cmd == "fault") {
        if (auto st = drive.set_fault_plan(arg("plan")); !st.ok()) return fail(st.error().message);
        return {{"ok", true}, {"fault_plan", drive.status().fault_plan}};
    }
    if (cmd == "trace") {
        bool clear = req.contains("clear") && req["clear"].is_boolean() && req["clear"].get<bool>();
        return {{"ok", true}, {"lines", drive.trace(clear)}};
    }
    return fail("unknown command \"" + cmd + "\" (status, insert, eject, fault, trace)");
}

Status DriveFarm::serve_control(const std::string& path) {
    sockaddr_un addr{};
    if (path.size() >= sizeof addr.sun_path) return make_error(Errc::invalid_argument, "control socket path too long: " + path);
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    // A socket file nobody listens on is left over from a killed server.
    if (mastering::os::Fd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)); probe) {
        if (::connect(probe.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0)
            return make_error(Errc::exists, "another master-drive listens on " + path);
    }
    ::unlink(path.c_str());
    m_control_fd.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!m_control_fd || ::bind(m_control_fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(m_control_fd.get(), 16) != 0)
        return make_error(Errc::io, "cannot listen on " + path + ": " + std::strerror(errno));
    if (::chmod(path.c_str(), 0600) != 0) {  // only our own user may control the drives
        std::string why = std::strerror(errno);
        m_control_fd.reset();
        ::unlink(path.c_str());
        return make_error(Errc::io, "cannot restrict " + path + " to its owner: " + why);
    }
    int pipe[2];
    if (::pipe2(pipe, O_CLOEXEC) != 0) return make_error(Errc::io, std::string("pipe: ") + std::strerror(errno));
    m_wake_read.reset(pipe[0]);
    m_wake_write.reset(pipe[1]);
    m_control_path = path;
    m_control_thread = std::thread([this] { control_loop(); });
    return {};
}

namespace {

// Reads one line (at most 1 MiB) with a deadline; false on error or timeout.
bool read_line(int fd, std::string& line, int timeout_ms) {
    char buf[4096];
    while (line.find('\n') == std::string::npos) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, timeout_ms) <= 0) return false;
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) return false;
        line.append(buf, size_t(n));
        if (line.size() > (1u << 20)) return false;
    }
    line.resize(line.find('\n'));
    return true;
}

// send(2) with MSG_NOSIGNAL: a client that went away is an error, not a SIGPIPE.
bool send_all(int fd, const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
        ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        off += size_t(n);
    }
    return true;
}

}  // namespace

void DriveFarm::control_loop() {
    for (;;) {
        pollfd p[2] = {{m_control_fd.get(), POLLIN, 0}, {m_wake_read.get(), POLLIN, 0}};
        if (::poll(p, 2, -1) < 0) {
            if (errno == EINTR) continue;
            return;
        }
        if (p[1].revents) return;
        if (!(p[0].revents & POLLIN)) continue;
        mastering::os::Fd fd(::accept4(m_control_fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (!fd) continue;
        std::string line;
        json answer;
        if (!read_line(fd.get(), line, 5000)) continue;
        try {
            answer = handle(json::parse(line));
        } catch (const std::exception& e) {
            answer = {{"ok", false}, {"error", std::string("not a JSON request: ") + e.what()}};
        }
        send_all(fd.get(), answer.dump() + "\n");
    }
}

Status DriveFarm::stop() {
    if (m_stopped) return {};
    m_stopped = true;
    if (m_control_thread.joinable()) {
        (void)!::write(m_wake_write.get(), "x", 1);
        m_control_thread.join();
    }
    if (m_control_fd) {
        m_control_fd.reset();
        ::unlink(m_control_path.c_str());
    }
    m_wake_read.reset();
    m_wake_write.reset();
    m_server.stop();
    // Every acknowledged write on stable storage before the discs are released.
    std::string failed;
    for (auto& e : m_drives)
        if (auto st = e.drive->release(); !st.ok()) failed += (failed.empty() ? "" : "; ") + e.name + ": " + st.error().message;
    if (!failed.empty()) return make_error(Errc::io, "not every medium synchronized: " + failed);
    return {};
}

Result<json> control_request(const std::string& path, const json& request) {
    sockaddr_un addr{};
    if (path.size() >= sizeof addr.sun_path) return make_error(Errc::invalid_argument, "control socket path too long: " + path);
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    mastering::os::Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd || ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        return make_error(Errc::not_found, "cannot reach master-drive at " + path + ": " + std::strerror(errno));
    std::string line;
    bool ok = send_all(fd.get(), request.dump() + "\n") && read_line(fd.get(), line, 120000);
    fd.reset();
    if (!ok) return make_error(Errc::io, "master-drive at " + path + " did not answer");
    try {
        return json::parse(line);
    } catch (const std::exception& e) {
        return make_error(Errc::corrupt, std::string("master-drive sent a malformed answer: ") + e.what());
    }
}

}  // namespace emulator::iscsi
