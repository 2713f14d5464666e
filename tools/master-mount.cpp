// master-mount SOURCE MOUNTPOINT [--session N] [--fs iso9660|joliet|rockridge|udf|auto] [-f] [-o OPT]...
// master-mount SOURCE --list
// One session of an image file, a virtual disc or a drive, in one of its file
// systems, as a read-only FUSE file system (fuse/read_only_fs.h).
#include <cstdio>

#include "fuse/mount_point.h"
#include "fuse/read_only_fs.h"
#include "mastering/image/inspect.h"
#include "mastering/image/open_file_system.h"
#include "mastering/transport/transport.h"
#include "tools/common/cli.h"
#include "tools/common/source.h"

using namespace mastering;

int main(int argc, char** argv) {
    CLI::App app{"Mount one session of an image, a virtual disc or a drive, read-only, through FUSE", "master-mount"};
    std::string source, mountpoint, fs_name = "auto";
    int session = 0;
    bool foreground = false, list = false, single = false;
    std::vector<std::string> options;
    app.add_option("SOURCE", source, "image file, NAME.vdisc, or drive address (/dev/srN, iscsi://..., emu:PATH)")->required();
    app.add_option("MOUNTPOINT", mountpoint, "an empty directory (not the source, not inside it, not a mount point)");
    app.add_option("--session", session, "session number, 1 = the first (default: the newest)");
    app.add_option("--fs", fs_name, "iso9660, joliet, rockridge, udf or auto (the most advanced present)")
        ->check(CLI::IsMember({"auto", "iso9660", "joliet", "rockridge", "udf"}));
    app.add_flag("-f,--foreground", foreground, "stay in the foreground (Ctrl-C unmounts)");
    app.add_flag("-s,--single-thread", single, "serve requests on one thread");
    app.add_option("-o", options,
                   "FUSE mount options (allow_other, uid=N, gid=N, umask=M, ...; nonempty: mount over a non-empty "
                   "directory); repeatable");
    app.add_flag("--list", list, "print the sessions and their file systems instead of mounting");
    return tools::run_main(app, argc, argv, [&]() -> int {
        const char* prog = "master-mount";
        // What messages and /proc/mounts (readable by every user) show of it.
        std::string shown = transport::redact_address(source);
        auto medium = tools::open_source(source);
        if (!medium.ok()) return tools::report(prog, medium.error());
        if (list) {
            auto report = image::inspect_medium(**medium);
            if (!report.ok()) return tools::report(prog, report.error());
            std::printf("%s", image::to_text(*report).c_str());
            return tools::exit_ok;
        }
        if (mountpoint.empty()) return tools::report(prog, make_error(Errc::invalid_argument, "give a MOUNTPOINT (or --list)"));
        auto toc = (*medium)->toc();
        if (!toc.ok()) return tools::report(prog, toc.error());
        if (toc->sessions.empty()) return tools::report(prog, make_error(Errc::not_found, shown + ": the disc has no session"));
        if (session < 0 || size_t(session) > toc->sessions.size())
            return tools::report(prog, make_error(Errc::invalid_argument, shown + " has " + std::to_string(toc->sessions.size()) +
                                                                              " session(s), not " + std::to_string(session)));
        const auto& s = session ? toc->sessions[size_t(session - 1)] : toc->sessions.back();
        auto fs = fs_name == "auto" ? model::FsType::none : *model::fs_from_name(fs_name);
        auto reader = image::open_file_system(**medium, s.start, fs);
        if (!reader.ok()) return tools::report(prog, reader.error());
        bool nonempty = dmfuse::take_nonempty_option(options);
        std::optional<std::string> local;  // the file or directory the medium is read from
        if (source.rfind("emu:", 0) == 0) local = source.substr(4);
        else if (tools::classify_source(source) != tools::SourceKind::drive) local = source;
        auto where = dmfuse::check_mount_point(mountpoint, local, nonempty);
        if (!where.ok()) return tools::report(prog, where.error());
        dmfuse::MountOptions o;
        o.mountpoint = *where;
        o.fuse_options = options;
        o.foreground = foreground;
        o.single_thread = single;
        dmfuse::ReadOnlyFs mount(std::move(*reader), shown);
        // Image files: reads within one extent use the file directly, in parallel.
        mount.set_block_fd((*medium)->block_fd());
        auto served = mount.run(o);
        if (!served.ok()) return tools::report(prog, served.error());
        return tools::exit_ok;
    });
}
