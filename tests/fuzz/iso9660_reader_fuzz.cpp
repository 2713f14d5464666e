// libFuzzer: the ISO 9660 / Rock Ridge / Joliet reader and the emulated TOC
// over an arbitrary image. Every session, every view, every directory and the
// first bytes of every file are read, and each session's El Torito catalog and
// the system area's MBR and GPT as master-info shows them; nothing may crash,
// hang or read out of bounds. Seeds: scripts/fuzz-seeds.sh iso9660_reader.
#include "mastering/boot/reader.h"
#include "mastering/boot/report.h"
#include "mastering/image/image_file.h"
#include "mastering/image/open_file_system.h"
#include "tests/fuzz/reader_support.h"

using namespace mastering;
using fuzzing::MemoryMedium;
using fuzzing::walk;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    MemoryMedium m(data, size);
    std::vector<uint64_t> starts = {0};
    if (auto toc = image::emulate_toc(m); toc.ok())
        for (const auto& s : toc->sessions) starts.push_back(s.start);
    if (starts.size() > 8) starts.resize(8);
    if (auto sa = boot::read_system_area(m); sa.ok() && *sa) {
        (void)boot::to_text(**sa, "");
        (void)boot::to_json(**sa).dump();
    }
    for (uint64_t start : starts) {
        if (auto b = boot::read_session_boot(m, start); b.ok() && *b) {
            (void)boot::to_text(**b, "");
            (void)boot::to_json(**b).dump();
        }
        auto fs = image::identify_file_systems(m, start);
        if (!fs.ok()) continue;
        for (auto t : {model::FsType::iso9660, model::FsType::rockridge, model::FsType::joliet}) {
            if (!model::has(*fs, t)) continue;
            auto r = image::open_file_system(m, start, t);
            if (r.ok()) walk(**r);
        }
    }
    return 0;
}
