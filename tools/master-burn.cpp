// master-burn --drive ADDRESS (--from DIR [--at PATH] [--remove PATH]... | --image FILE)
//             [--close] [--verify] [--speed X] [--write-mode tao|sao] [--json]
#include <cstdio>

#include <nlohmann/json.hpp>

#include "mastering/burn/burn_tree.h"
#include "mastering/image/file_system_image.h"
#include "tools/common/chap_option.h"
#include "tools/common/boot_options.h"
#include "tools/common/cli.h"
#include "tools/common/interrupt.h"

using namespace mastering;

namespace {

// "max", a multiple of 1x ("4x"), or kB/s.
Result<uint16_t> parse_speed(const std::string& s, media::Profile p) {
    if (s.empty() || s == "max") return uint16_t(0);
    double one = 176.4;
    switch (media::profile_info(p).family) {
    case media::Family::cd: one = 176.4; break;
    case media::Family::dvd: one = 1385; break;
    case media::Family::bd: one = 4495.5; break;
    }
    try {
        size_t used = 0;
        double v = std::stod(s, &used);
        if (used < s.size() && (s[used] == 'x' || s[used] == 'X') && used + 1 == s.size()) v *= one;
        else if (used != s.size()) throw std::invalid_argument(s);
        if (v <= 0 || v > 65535) throw std::out_of_range(s);
        return uint16_t(v);
    } catch (const std::exception&) {
        return make_error(Errc::invalid_argument, "--speed: \"" + s + "\" is not a speed (max, 4x, or kB/s)");
    }
}

void json_line(const nlohmann::json& j) {
    std::printf("%s\n", j.dump().c_str());
    std::fflush(stdout);
}

struct Flags {
    std::string drive, from, at = "/", image_file, speed, fs, volume, write_mode = "tao", udf_revision;
    std::vector<std::string> removes;
    bool close = false, verify = false, json = false, include_base = false;
    tools::BootArgs boot;
};

void add_flags(CLI::App& app, Flags& f) {
    app.add_option("--drive", f.drive, "/dev/srN, /dev/sgN, iscsi://[user%secret@]host[:port]/IQN/LUN or emu:PATH")->required();
    auto* from_opt = app.add_option("--from", f.from, "directory whose contents go into the new session");
    app.add_option("--at", f.at, "where in the disc's tree they go (default /)");
    app.add_flag("--include-base", f.include_base, "put the --from directory itself onto the disc");
    app.add_option("--remove", f.removes, "remove this path from the imported tree; repeatable");
    auto* image_opt = app.add_option("--image", f.image_file, "write this image file to a blank disc");
    from_opt->excludes(image_opt);
    app.add_flag("--close", f.close, "close the disc: no further sessions");
    app.add_flag("--verify", f.verify, "read the session back and compare");
    app.add_option("--speed", f.speed, "write speed: max (default), 4x, or kB/s");
    app.add_option("--write-mode", f.write_mode, "CD: tao (track at once, default) or sao (session at once, cue sheet)")
        ->check(CLI::IsMember({"tao", "sao"}));
    app.add_option("--fs", f.fs, "file systems (default: the medium's, or the imported session's): iso9660,joliet,rockridge,udf");
    app.add_option("--udf-revision", f.udf_revision, "UDF revision 1.02, 1.50, 2.01 or 2.50 (adds udf to --fs)");
    app.add_option("--volume-name", f.volume, "volume name (default: the imported one, or DISCMASTER)");
    app.add_flag("--json", f.json, "progress and result as JSON lines");
    tools::add_chap_secret_file_option(app);
    tools::add_boot_options(&app, f.boot);
}

// The session --from and its options ask for.
Result<burn::BurnRequest> burn_request(const Flags& f, const burn::WriteOptions& o) {
    burn::BurnRequest req;
    req.from = f.from;
    req.at = f.at;
    req.include_base = f.include_base;
    req.remove = f.removes;
    req.volume_name = f.volume;
    req.write = o;
    if (!f.fs.empty()) req.file_systems = DM_TRY(model::fs_mask_from_names(f.fs));
    if (!f.udf_revision.empty()) req.udf_revision = DM_TRY(image::parse_udf_revision(f.udf_revision));
    req.boot = DM_TRY(tools::boot_spec(f.boot));
    return req;
}

// `address` is the drive as shown, its CHAP secret masked.
void print_result(const Flags& f, const std::string& address, const burn::BurnReport& r) {
    const auto& res = r.result;
    if (f.json) {
        nlohmann::json j = {{"event", "done"}, {"session", res.session_number}, {"start", res.start},
                            {"blocks", res.blocks}, {"verified", res.verified}, {"closed", res.closed}};
        if (r.imported_session_start) {
            j["imported"] = std::string(model::fs_name(r.imported));
            j["imported_session_start"] = *r.imported_session_start;
        }
        nlohmann::json passed = nlohmann::json::array();
        for (const auto& p : r.passed_over)
            passed.push_back({{"session", p.number}, {"start", p.start}, {"reason", p.reason}});
        j["passed_over"] = passed;
        json_line(j);
    } else {
        std::printf("%s: session %u written at block %u, %u blocks%s%s\n", address.c_str(), res.session_number,
                    res.start, res.blocks, res.verified ? ", verified" : "", res.closed ? ", disc closed" : "");
    }
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Burn a new session onto a recorder: a real drive, a drive behind iSCSI, or the emulator",
                 "master-burn"};
    Flags f;
    add_flags(app, f);
    return tools::run_main(app, argc, argv, [&]() -> int {
        const char* prog = "master-burn";
        if (f.from.empty() == f.image_file.empty())
            return tools::report(prog, make_error(Errc::invalid_argument, "give --from DIR or --image FILE"));
        const auto& cancel = tools::catch_interrupts();
        auto fail = [&](const Error& e) {
            if (f.json && e.code == Errc::cancelled && tools::interrupt_signal())
                json_line({{"event", "interrupted"}, {"signal", tools::signal_name(tools::interrupt_signal())},
                           {"message", e.message}});
            else if (f.json)
                json_line({{"event", "error"}, {"message", e.message}});
            return tools::report(prog, e);
        };
        auto rec = burn::DiscRecorder::open(f.drive, f.drive.rfind("/dev/", 0) == 0);
        if (!rec.ok()) return fail(rec.error());
        burn::DiscFormatData format(**rec);
        auto m = format.media();
        if (!m.ok()) return fail(m.error());
        if (f.json)
            json_line({{"event", "media"},
                       {"drive", (*rec)->address()},
                       {"profile", std::string(media::profile_name(m->profile))},
                       {"state", std::string(burn::to_string(m->state))},
                       {"sessions", m->toc.sessions.size()},
                       {"free_blocks", m->free_blocks}});
        tools::ProgressBar bar(!f.json);
        burn::WriteOptions o;
        o.close_disc = f.close;
        o.verify = f.verify;
        o.session_at_once = f.write_mode == "sao";
        o.cancel = &cancel;
        auto sp = parse_speed(f.speed, m->profile);
        if (!sp.ok()) return fail(sp.error());
        o.speed_kbs = *sp;
        o.progress = [&](const burn::WriteProgress& p) {
            if (f.json)
                json_line({{"event", "progress"}, {"sectors", p.sectors}, {"total", p.sectors_total},
                           {"bytes", p.bytes}, {"buffer", p.buffer_percent}, {"eta", p.eta_seconds}});
            else
                bar.update("writing", p.sectors, p.sectors_total);
        };
        Result<burn::BurnReport> r = make_error(Errc::internal, "nothing done");
        if (!f.image_file.empty()) {
            if (!f.boot.spec.empty())
                return fail(make_error(Errc::invalid_argument, "boot options make a bootable session from --from DIR; "
                                                               "an --image is written as it is"));
            r = burn::burn_image(**rec, f.image_file, o);
        } else {
            auto req = burn_request(f, o);
            if (!req.ok()) return fail(req.error());
            req->notice = [&](const std::string& text) {
                if (f.json) json_line({{"event", "notice"}, {"message", text}});
                else tools::notice(prog, text);
            };
            r = burn::burn_tree(**rec, *req);
        }
        bar.finish();
        if (!r.ok()) return fail(r.error());
        print_result(f, (*rec)->address(), *r);
        return tools::exit_ok;
    });
}
