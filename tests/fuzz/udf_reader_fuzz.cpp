// libFuzzer: the UDF reader (anchors, descriptor sequences, partition maps
// with sparing tables, VAT and metadata files, file entries, allocation
// extent chains, file identifiers) and the UDF part of the emulated TOC over
// an arbitrary image. Nothing may crash, hang or read out of bounds.
// Seeds: scripts/fuzz-seeds.sh udf_reader (mkudffs volumes of every media
// type, master-image UDF 1.02-2.50 and bridge images, an appended session).
#include "mastering/image/image_file.h"
#include "mastering/image/open_file_system.h"
#include "mastering/udf/reader.h"
#include "tests/fuzz/reader_support.h"

using namespace mastering;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzzing::MemoryMedium m(data, size);
    std::vector<uint64_t> starts = {0, 32};
    if (auto toc = image::emulate_toc(m); toc.ok())
        for (const auto& s : toc->sessions) starts.push_back(s.start);
    if (starts.size() > 6) starts.resize(6);
    for (uint64_t start : starts) {
        (void)udf::read_summary(m, start);
        (void)udf::session_blocks(m, start);
        auto r = image::open_file_system(m, start, model::FsType::udf);
        if (r.ok()) fuzzing::walk(**r);
    }
    return 0;
}
