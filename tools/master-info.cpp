// master-info SOURCE [--json]: media, sessions, tracks and the file systems of
// each session, for an image file, a virtual disc or a drive.
#include <cstdio>

#include "mastering/image/inspect.h"
#include "tools/common/chap_option.h"
#include "tools/common/cli.h"
#include "tools/common/source.h"

int main(int argc, char** argv) {
    CLI::App app{"Show the media, sessions, tracks and file systems of an image, a virtual disc or a drive",
                 "master-info"};
    std::string source;
    bool json = false;
    app.add_option("SOURCE", source, "image file, NAME.vdisc, or drive address (/dev/srN, iscsi://..., emu:PATH)")
        ->required();
    app.add_flag("--json", json, "print JSON");
    tools::add_chap_secret_file_option(app);
    return tools::run_main(app, argc, argv, [&]() -> int {
        auto medium = tools::open_source(source);
        if (!medium.ok()) return tools::report("master-info", medium.error());
        auto report = mastering::image::inspect_medium(**medium);
        if (!report.ok()) return tools::report("master-info", report.error());
        if (json) std::printf("%s\n", mastering::image::to_json(*report).dump(2).c_str());
        else std::printf("%s", mastering::image::to_text(*report).c_str());
        return tools::exit_ok;
    });
}
