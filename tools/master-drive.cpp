// master-drive serve [--listen 127.0.0.1:3260] [--announce HOST[:PORT]]... --drive NAME=PROFILE:PATH ...
//                    [--chap [DRIVE=]USER:SECRET]... [--chap-target USER:SECRET]
//                    [--chap-file FILE] [--chap-target-file FILE]
//                    [--config FILE] [--control SOCKET]
// master-drive ctl --control SOCKET (status | insert NAME MEDIUM | eject NAME | fault NAME SPEC | trace NAME)
// Virtual recorders as iSCSI targets iqn.2026-11.org.discmaster:NAME, LUN 0
// (docs/master-drive.md).
#include <csignal>
#include <filesystem>
#include <cstdio>
#include <fstream>
#include <pthread.h>
#include <systemd/sd-daemon.h>

#include "emulator/iscsi/drive_farm.h"
#include "mastering/transport/transport.h"
#include "tools/common/cli.h"

using namespace emulator::iscsi;
using mastering::Errc;
using mastering::make_error;
using nlohmann::json;

namespace {

// USER:SECRET; the message never repeats what was given (it may be the secret).
Result<ChapSecret> parse_secret(const std::string& s, const char* flag) {
    auto colon = s.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == s.size())
        return make_error(Errc::invalid_argument, std::string(flag) + ": a CHAP credential is USER:SECRET (" +
                                                      (colon == std::string::npos ? "no ':' in it" : "an empty part") + ")");
    ChapSecret c{s.substr(0, colon), s.substr(colon + 1)};
    if (c.secret.size() < 12)
        std::fprintf(stderr, "master-drive: warning: CHAP secrets shorter than 12 bytes are refused by many initiators\n");
    return c;
}

// The lines of --chap-file and --chap-target-file, added to what the command
// line gave; a target file holds one USER:SECRET.
Status read_chap_files(const std::string& chap_file, const std::string& target_file, std::vector<std::string>& chaps,
                       std::string& chap_target) {
    if (!chap_file.empty()) {
        auto lines = DM_TRY(mastering::transport::read_secret_lines(chap_file));
        chaps.insert(chaps.end(), lines.begin(), lines.end());
    }
    if (!target_file.empty()) {
        auto lines = DM_TRY(mastering::transport::read_secret_lines(target_file));
        if (lines.size() != 1 || !chap_target.empty())
            return make_error(Errc::invalid_argument,
                              target_file + ": give the target's one USER:SECRET once (in this file, or --chap-target)");
        chap_target = lines.front();
    }
    return {};
}

Result<std::pair<std::string, uint16_t>> parse_listen(const std::string& s) {
    auto colon = s.rfind(':');
    std::string host = colon == std::string::npos ? s : s.substr(0, colon);
    unsigned long port = 3260;
    if (colon != std::string::npos) {
        try {
            size_t used = 0;
            port = std::stoul(s.substr(colon + 1), &used);
            if (used != s.size() - colon - 1 || port > 65535) throw std::out_of_range(s);
        } catch (const std::exception&) {
            return make_error(Errc::invalid_argument, "--listen: \"" + s + "\" is not ADDRESS[:PORT]");
        }
    }
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    return std::pair{host, uint16_t(port)};
}

void print_status(const json& st) {
    std::printf("portal: %s\n", st.value("portal", "").c_str());
    for (const auto& d : st["drives"]) {
        std::printf("\n%s  (%s)\n", d["name"].get<std::string>().c_str(), d["target"].get<std::string>().c_str());
        if (d["medium"].is_null()) {
            std::printf("  medium:     none (tray %s)\n", d["tray_open"].get<bool>() ? "open" : "closed");
        } else {
            const auto& m = d["medium"];
            std::printf("  medium:     %s, %s, %s\n", m["profile"].get<std::string>().c_str(),
                        m["state"].get<std::string>().c_str(), m["path"].get<std::string>().c_str());
            std::printf("  capacity:   %llu blocks, %llu free\n", m["capacity"].get<unsigned long long>(),
                        m["free_blocks"].get<unsigned long long>());
            for (const auto& s : m["sessions"])
                std::printf("  session %u:  start %u, %u blocks, %s\n", s["number"].get<unsigned>(),
                            s["start"].get<unsigned>(), s["size"].get<unsigned>(), s["state"].get<std::string>().c_str());
        }
        if (d["fault_plan"].get<std::string>() != "none")
            std::printf("  faults:     %s\n", d["fault_plan"].get<std::string>().c_str());
        std::printf("  commands:   %llu%s\n", d["commands"].get<unsigned long long>(),
                    d["removal_prevented"].get<bool>() ? ", removal prevented" : "");
        for (const auto& i : d["initiators"])
            std::printf("  initiator:  %s from %s\n", i["initiator"].get<std::string>().c_str(),
                        i["peer"].get<std::string>().c_str());
    }
}

// Every key of the config file is a flag of serve in its [serve] section
// (CLI11 would ignore any other, and a typo would silently change nothing).
Status check_config_keys(const CLI::App& app, const CLI::App& serve) {
    const CLI::Option* config = app.get_config_ptr();
    if (!config || config->empty()) return {};
    std::string file = config->as<std::string>();
    std::vector<CLI::ConfigItem> items;
    try {
        items = app.get_config_formatter_base()->from_file(file);
    } catch (const CLI::Error& e) {
        return make_error(Errc::invalid_argument, file + ": " + e.what());
    }
    auto known = [&](const std::string& key) {  // as CLI11 looks a key up
        return serve.get_option_no_throw("--" + key) || (key.size() == 1 && serve.get_option_no_throw("-" + key)) ||
               serve.get_option_no_throw(key);
    };
    for (const auto& item : items) {
        if (item.name == "++" || item.name == "--") continue;  // a section opens or closes
        if (item.parents == std::vector<std::string>{"serve"} && item.name != "help" && known(item.name)) continue;
        if (item.parents.empty() && known(item.name))
            return make_error(Errc::invalid_argument, file + ": '" + item.name + "' belongs in the [serve] section");
        std::string keys;
        for (const auto* o : serve.get_options())
            if (!o->get_lnames().empty() && o->get_lnames().front() != "help")
                keys += (keys.empty() ? "" : ", ") + o->get_lnames().front();
        return make_error(Errc::invalid_argument, file + ": unknown key '" + item.fullname() +
                                                      "': the [serve] section takes " + keys);
    }
    return {};
}

// serve's flags (or the [serve] section of its config file).
struct ServeFlags {
    std::string listen = "127.0.0.1:3260", control, chap_target, chap_file, chap_target_file, ready_file, trace_dir;
    std::vector<std::string> drives, chaps, announce;
    unsigned speed = 0;
    double nop_interval = 10;
};

// The CHAP policies of --chap and --chap-target (and their files): global,
// and per drive for [DRIVE=]USER:SECRET naming one of `specs`.
Status parse_auth(ServeFlags& a, const std::vector<DriveSpec>& specs, AuthPolicy& global,
                  std::map<std::string, AuthPolicy>& per_target) {
    DM_TRY(read_chap_files(a.chap_file, a.chap_target_file, a.chaps, a.chap_target));
    for (const auto& c : a.chaps) {
        std::string s = c, drive;
        if (auto eq = s.find('='); eq != std::string::npos)
            for (const auto& spec : specs)
                if (spec.name == s.substr(0, eq)) drive = spec.name;
        if (!drive.empty()) s = s.substr(drive.size() + 1);
        (drive.empty() ? global : per_target[drive]).initiators.push_back(DM_TRY(parse_secret(s, "--chap")));
    }
    if (!a.chap_target.empty()) {
        auto secret = DM_TRY(parse_secret(a.chap_target, "--chap-target"));
        if (a.chaps.empty()) return make_error(Errc::invalid_argument, "--chap-target (mutual CHAP) needs --chap");
        global.target = secret;
        for (auto& [n, p] : per_target) p.target = secret;
    }
    return {};
}

// Everything serve is given, checked before anything is created: the listen
// address, the drives (names, media), the CHAP credentials, where the ready
// file goes. The drives' existing discs are opened into `farm`; blank discs
// are made by farm.start(), after the port is bound.
Status configure(ServeFlags& a, DriveFarm& farm, std::vector<DriveSpec>& specs) {
    if (a.drives.empty()) return make_error(Errc::invalid_argument, "no drives: give --drive NAME=PROFILE:PATH");
    for (const auto& d : a.drives) specs.push_back(DM_TRY(parse_drive_spec(d)));
    AuthPolicy global;
    std::map<std::string, AuthPolicy> per_target;
    DM_TRY(parse_auth(a, specs, global, per_target));
    if (!a.ready_file.empty()) {
        auto dir = std::filesystem::path(a.ready_file).parent_path();
        std::error_code ec;
        if (!dir.empty() && !std::filesystem::is_directory(dir, ec))
            return make_error(Errc::not_found, "--ready-file " + a.ready_file + ": " + dir.string() + " is not a directory");
    }
    for (const auto& spec : specs) DM_TRY(farm.add_drive(spec));
    farm.set_auth(global);
    for (auto& [n, p] : per_target) DM_TRY(farm.set_target_auth(n, p));
    return {};
}

Status write_ready_file(const std::string& path, const std::string& portal) {
    std::string tmp = path + ".tmp";
    std::ofstream(tmp) << portal << "\n";
    if (std::rename(tmp.c_str(), path.c_str()) != 0) return mastering::os_error("--ready-file " + path);
    return {};
}

int serve(ServeFlags a) {
    const char* prog = "master-drive";
    FarmOptions o;
    auto lp = parse_listen(a.listen);
    if (!lp.ok()) return tools::report(prog, lp.error());
    o.server.address = lp->first;
    o.server.port = lp->second;
    o.server.announce = a.announce;
    o.server.nop_interval = o.server.nop_timeout = std::chrono::milliseconds(long(a.nop_interval * 1000));
    o.drive.speed = a.speed;
    o.trace_dir = a.trace_dir;
    // Signals go to the main thread only: block them before any thread starts.
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
    // A file size limit (ulimit -f) makes a write fail with EFBIG, reported
    // as out of space like a full disk, instead of ending the server.
    std::signal(SIGXFSZ, SIG_IGN);

    DriveFarm farm(o);
    std::vector<DriveSpec> specs;
    if (auto st = configure(a, farm, specs); !st.ok()) return tools::report(prog, st.error());
    if (!a.control.empty())
        if (auto st = farm.serve_control(a.control); !st.ok()) return tools::report(prog, st.error());
    if (auto st = farm.start(); !st.ok()) return tools::report(prog, st.error());
    std::string portal = o.server.address + ":" + std::to_string(farm.port());
    std::fprintf(stderr, "master-drive: serving %zu drive%s on %s%s%s\n", specs.size(), specs.size() == 1 ? "" : "s",
                 portal.c_str(), a.control.empty() ? "" : ", control socket ", a.control.c_str());
    for (const auto& s : specs) std::fprintf(stderr, "master-drive:   %s%s\n", target_prefix, s.name.c_str());
    if (!a.ready_file.empty())
        if (auto st = write_ready_file(a.ready_file, portal); !st.ok()) return tools::report(prog, st.error());
    // Under systemd (Type=notify, systemd/master-drive.service.in): ready only
    // now that the portal listens; a no-op without $NOTIFY_SOCKET.
    sd_notifyf(0, "READY=1\nSTATUS=serving %zu drive%s on %s", specs.size(), specs.size() == 1 ? "" : "s",
               portal.c_str());
    int sig = 0;
    sigwait(&sigs, &sig);
    sd_notify(0, "STOPPING=1\nSTATUS=synchronizing the media");
    std::fprintf(stderr, "master-drive: %s: stopping\n", sig == SIGINT ? "interrupted" : "terminated");
    if (auto st = farm.stop(); !st.ok()) return tools::report("master-drive", st.error());
    std::fprintf(stderr, "master-drive: every medium synchronized\n");
    return tools::exit_ok;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Virtual CD/DVD/BD recorders served as iSCSI targets", "master-drive"};
    app.require_subcommand(1);

    auto* srv = app.add_subcommand("serve", "serve virtual recorders over iSCSI until SIGTERM or SIGINT");
    ServeFlags f;
    // The config file belongs to the app so that its [serve] section reaches
    // the subcommand; fallthrough lets it be given after "serve". CLI11
    // ignores keys it does not know: check_config_keys refuses them.
    app.set_config("--config", "", "read serve's options from the [serve] section of a TOML/INI file (docs/master-drive.md)");
    srv->fallthrough();
    srv->add_option("--listen", f.listen, "ADDRESS[:PORT] to listen on (port 0: any free port)")->capture_default_str();
    srv->add_option("--drive", f.drives, "NAME=PROFILE:PATH (blank disc made if PATH is missing), NAME=PATH, or NAME= (empty tray); repeatable");
    srv->add_option("--chap", f.chaps, "[DRIVE=]USER:SECRET an initiator must log in with (CHAP); repeatable");
    srv->add_option("--chap-file", f.chap_file, "FILE of [DRIVE=]USER:SECRET lines, as --chap, kept off the command line (chmod 600)");
    srv->add_option("--chap-target", f.chap_target, "USER:SECRET the target answers with (mutual CHAP)");
    srv->add_option("--chap-target-file", f.chap_target_file, "FILE holding --chap-target's USER:SECRET (chmod 600)");
    srv->add_option("--announce", f.announce,
                    "HOST[:PORT] discovery (SendTargets) names as the address of every target; repeatable "
                    "(default: none, the initiator logs in where it discovered)");
    srv->add_option("--control", f.control, "Unix socket for master-drive ctl");
    srv->add_option("--ready-file", f.ready_file, "write ADDRESS:PORT here once listening");
    srv->add_option("--trace-dir", f.trace_dir, "append every drive's command trace to DIR/NAME.trace");
    srv->add_option("--speed", f.speed, "emulated write speed as a multiple of 1x (0: as fast as the host)");
    srv->add_option("--nop-interval", f.nop_interval, "seconds between NOP-In pings to idle initiators (0: none)");

    auto* ctl = app.add_subcommand("ctl", "control a running master-drive");
    std::string socket, command;
    std::vector<std::string> args;
    bool json_out = false, force = false, clear = false;
    ctl->add_option("--control", socket, "its Unix socket")->required();
    ctl->add_option("COMMAND", command, "status | insert NAME MEDIUM | eject NAME | fault NAME SPEC | trace NAME")->required();
    ctl->add_option("ARGS", args, "the command's arguments");
    ctl->add_flag("--json", json_out, "print the answer as JSON");
    ctl->add_flag("--force", force, "eject even when an initiator prevents removal");
    ctl->add_flag("--clear", clear, "trace: empty the trace buffer after reading it");

    return tools::run_main(app, argc, argv, [&]() -> int {
        if (*srv) {
            if (auto st = check_config_keys(app, *srv); !st.ok()) return tools::report("master-drive", st.error());
            return serve(f);
        }
        size_t want = command == "status" ? 0 : command == "insert" || command == "fault" ? 2 : 1;
        if (command == "fault" && args.size() == 1) args.push_back("none");
        if (args.size() != want)
            return tools::report("master-drive", {Errc::invalid_argument, "ctl " + command + ": expected " + std::to_string(want) +
                                                                              " argument(s), got " + std::to_string(args.size())});
        json req = {{"command", command}};
        if (want) req["drive"] = args[0];
        if (command == "insert") {  // the server has its own working directory: send an absolute path
            auto spec = parse_medium_spec(args[1]);
            if (!spec.ok()) return tools::report("master-drive", spec.error());
            std::string path = std::filesystem::absolute(spec->path).lexically_normal().string();
            req["medium"] = spec->profile ? std::string(mastering::media::profile_name(*spec->profile)) + ":" + path : path;
        }
        if (command == "fault") req["plan"] = args[1] == "none" ? "" : args[1];
        if (command == "eject") req["force"] = force;
        if (command == "trace") req["clear"] = clear;
        auto answer = control_request(socket, req);
        if (!answer.ok()) return tools::report("master-drive", answer.error());
        if (!(*answer).value("ok", false))
            return tools::report("master-drive", {Errc::invalid_argument, (*answer).value("error", "request failed")});
        if (json_out) std::printf("%s\n", answer->dump(2).c_str());
        else if (command == "status") print_status(*answer);
        else if (command == "trace")
            for (const auto& l : (*answer)["lines"]) std::printf("%s\n", l.get<std::string>().c_str());
        else if (command == "fault") std::printf("%s: fault plan %s\n", args[0].c_str(),
                                                 (*answer)["fault_plan"].get<std::string>().empty() ? "cleared" : (*answer)["fault_plan"].get<std::string>().c_str());
        return tools::exit_ok;
    });
}
