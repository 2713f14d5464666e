// Issue 17: master-drive as systemd runs it, without systemd. The test plays
// the service manager: it runs the unit's ExecStart line
// (systemd/master-drive.service.in) with the config file the package
// installs (systemd/master-drive.conf), their paths moved under a temporary
// directory and the port made 0, and listens on the NOTIFY_SOCKET the
// program is given. Readiness (READY=1) must come only once the portal takes
// an iSCSI login (libiscsi logs in at once, at the address the STATUS names);
// SIGTERM must announce STOPPING=1 and leave every disc synchronized: each
// reopens with its burned session (master-info), and xorriso reads the
// files back.
#include <gtest/gtest.h>

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "mastering/os/file.h"
#include "tests/support/libiscsi_session.h"
#include "tests/support/support.h"

using namespace dmtest;
using json = nlohmann::json;

namespace {

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
    for (size_t at = 0; (at = s.find(from, at)) != std::string::npos; at += to.size()) s.replace(at, from.size(), to);
    return s;
}

// The words of the unit's ExecStart= line, with the install-time paths
// (@DM_BINDIR@, @DM_SYSCONFDIR@) replaced.
std::vector<std::string> exec_start(const std::string& bindir, const std::string& sysconfdir) {
    std::istringstream unit(read_file(fs::path(DM_SOURCE_DIR) / "systemd/master-drive.service.in"));
    std::vector<std::string> argv;
    for (std::string line; std::getline(unit, line);) {
        if (line.rfind("ExecStart=", 0) != 0) continue;
        line = replace_all(replace_all(line.substr(10), "@DM_BINDIR@", bindir), "@DM_SYSCONFDIR@", sysconfdir);
        std::istringstream words(line);
        for (std::string w; words >> w;) argv.push_back(w);
    }
    return argv;
}

// A datagram socket like the one systemd gives a Type=notify service.
class NotifySocket {
public:
    explicit NotifySocket(const fs::path& path) {
        m_fd = mastering::os::Fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
        m_bound = m_fd.get() >= 0 && ::bind(m_fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    }
    bool bound() const { return m_bound; }
    // The next message, or "" after `timeout_ms`.
    std::string next(int timeout_ms) {
        pollfd p{m_fd.get(), POLLIN, 0};
        if (::poll(&p, 1, timeout_ms) != 1) return "";
        char buf[4096];
        ssize_t n = ::recv(m_fd.get(), buf, sizeof buf, 0);
        return n > 0 ? std::string(buf, size_t(n)) : "";
    }

private:
    mastering::os::Fd m_fd;
    bool m_bound = false;
};

// Waits for a message holding `field` (e.g. "READY=1"); all messages seen go to `seen`.
std::string wait_for(NotifySocket& sock, const std::string& field, std::string& seen) {
    for (int i = 0; i < 60; ++i) {
        std::string m = sock.next(1000);
        if (m.empty()) continue;
        seen += m + "\n---\n";
        if (("\n" + m + "\n").find("\n" + field + "\n") != std::string::npos) return m;
    }
    return "";
}

}  // namespace

TEST(ThirdPartyMasterDriveService, ready_after_the_portal_listens_and_synchronized_on_sigterm) {
    DM_REQUIRE_PROGRAM("xorriso");
    TempDir dir("master-drive-service");
    const std::string state = (dir / "var/lib/discmaster").string(), run_dir = (dir / "run/discmaster").string();
    fs::create_directories(state);  // StateDirectory= and RuntimeDirectory= make them under systemd
    fs::create_directories(run_dir);
    fs::create_directories(dir / "etc/discmaster");

    // The installed config, moved here, on a free port, with a second drive.
    std::string conf = read_file(fs::path(DM_SOURCE_DIR) / "systemd/master-drive.conf");
    ASSERT_NE(conf.find("listen = \"127.0.0.1:3260\""), std::string::npos) << conf;
    ASSERT_NE(conf.find("drive = [\"burner="), std::string::npos) << conf;
    conf = replace_all(conf, "listen = \"127.0.0.1:3260\"", "listen = \"127.0.0.1:0\"");
    conf = replace_all(conf, "drive = [", "drive = [\"second=dvd+r:/var/lib/discmaster/second.vdisc\", ");
    conf = replace_all(replace_all(conf, "/var/lib/discmaster", state), "/run/discmaster", run_dir);
    write_file(dir / "etc/discmaster/master-drive.conf", conf);

    auto argv = exec_start(DM_TOOLS_DIR, (dir / "etc").string());
    ASSERT_GE(argv.size(), 2u) << "no ExecStart= line in systemd/master-drive.service.in";
    ASSERT_EQ(argv[0], std::string(DM_TOOLS_DIR) + "/master-drive");

    NotifySocket notify(dir / "notify.sock");
    ASSERT_TRUE(notify.bound());
    Process drive(argv, dir / "drive.log", {"NOTIFY_SOCKET=" + (dir / "notify.sock").string()});
    ASSERT_TRUE(drive.started());

    std::string seen;
    std::string ready = wait_for(notify, "READY=1", seen);
    ASSERT_FALSE(ready.empty()) << "no READY=1 within 60 s; messages:\n" << seen << "log:\n" << drive.log();
    std::smatch m;
    ASSERT_TRUE(std::regex_search(ready, m, std::regex(R"(STATUS=serving 2 drives on 127\.0\.0\.1:(\d+))")))
        << ready;
    const int port = std::stoi(m[1]);
    {
        // Announced ready: the portal takes a login at once (one attempt).
        LibiscsiSession s(local_iscsi_url(port, "iqn.2026-11.org.discmaster:burner"));
        ASSERT_TRUE(s) << "READY=1 was sent, but the login failed: " << s.error() << "\n" << drive.log();
    }

    // A session on each disc, burned through the portal.
    fs::create_directories(dir / "tree/a");
    write_random_file(dir / "tree/a/data.bin", 200000, 7);
    write_file(dir / "tree/notes.txt", "burned through the service\n");
    for (const char* name : {"burner", "second"}) {
        auto r = run({tool("master-burn"), "--drive", local_iscsi_url(port, std::string("iqn.2026-11.org.discmaster:") + name),
                      "--from", (dir / "tree").string()});
        ASSERT_EQ(r.exit_code, 0) << name << ": " << r.err << "\n" << drive.log();
    }

    EXPECT_EQ(drive.stop(SIGTERM), 0) << drive.log();
    EXPECT_FALSE(wait_for(notify, "STOPPING=1", seen).empty()) << "no STOPPING=1; messages:\n" << seen;
    EXPECT_NE(drive.log().find("every medium synchronized"), std::string::npos) << drive.log();

    // Each disc reopens with its session, and xorriso reads the files back.
    for (const char* name : {"burner", "second"}) {
        const fs::path disc = fs::path(state) / (std::string(name) + ".vdisc");
        auto info = run({tool("master-info"), "--json", disc.string()});
        ASSERT_EQ(info.exit_code, 0) << name << ": " << info.err;
        json doc = json::parse(info.out);
        ASSERT_EQ(doc["sessions"].size(), 1u) << name << ":\n" << doc.dump(1);
        const fs::path out = dir / ("read-" + std::string(name));
        auto x = osirrox_extract((disc / "data.img").string(), out, doc["sessions"][0]["start"].get<uint64_t>());
        ASSERT_EQ(x.exit_code, 0) << name << ": " << x.err;
        EXPECT_EQ(read_file(out / "a/data.bin"), read_file(dir / "tree/a/data.bin")) << name;
        EXPECT_EQ(read_file(out / "notes.txt"), read_file(dir / "tree/notes.txt")) << name;
    }
}
