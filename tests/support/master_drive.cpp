#include "tests/support/master_drive.h"

#include <thread>

namespace dmtest {

MasterDrive::MasterDrive(const std::vector<std::string>& drives, const std::vector<std::string>& extra) {
    fs::path ready = m_dir / "ready";
    std::vector<std::string> argv = {tool("master-drive"), "serve", "--listen", "127.0.0.1:0", "--control", control(),
                                     "--ready-file", ready.string()};
    for (const auto& d : drives) {
        argv.push_back("--drive");
        argv.push_back(d);
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    m_process = std::make_unique<Process>(argv, m_dir / "master-drive.log");
    if (!m_process->started()) {
        m_error = "cannot start " + argv[0];
        return;
    }
    for (int i = 0; i < 600 && !fs::exists(ready); ++i) {
        if (!m_process->running()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!fs::exists(ready)) {
        m_error = "master-drive did not come up: " + m_process->log();
        return;
    }
    std::string portal = read_file(ready);
    m_port = std::stoi(portal.substr(portal.rfind(':') + 1));
}

MasterDrive::~MasterDrive() {
    if (m_process && m_process->running()) m_process->stop(15);
}

int MasterDrive::stop(int sig) {
    int st = m_process ? m_process->stop(sig) : -1;
    m_port = 0;
    return st;
}

std::string MasterDrive::url(const std::string& drive, const std::string& user, const std::string& secret) const {
    std::string cred = user.empty() ? "" : user + "%" + secret + "@";
    return "iscsi://" + cred + portal() + "/iqn.2026-11.org.discmaster:" + drive + "/0";
}

RunResult MasterDrive::ctl(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {tool("master-drive"), "ctl", "--control", control()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, {.timeout = std::chrono::seconds(120)});
}

}  // namespace dmtest
