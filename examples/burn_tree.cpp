// The library's example (docs/library.md): master a directory tree and burn
// it as a new session onto a virtual disc, through the installed public API
// only. VirtualDisc makes a blank disc; register_emu_transport() lets
// DiscRecorder open "emu:PATH" in process; DiscFormatData tells what the
// medium holds and takes, and writes the session that FileSystemImage lays
// out (importing the last session first, so that the disc keeps its files).
//
//   burn-tree DIR DISC.vdisc [PROFILE]
//
// DISC.vdisc is made blank (PROFILE, default dvd+r) when it does not exist;
// otherwise DIR is added to what its last session holds.
#include <cstdio>
#include <string>

#include "emulator/media/vdisc.h"
#include "emulator/mmc/drive.h"
#include "mastering/burn/format_data.h"
#include "mastering/burn/recorder.h"
#include "mastering/image/file_system_image.h"

using namespace mastering;

namespace {

int fail(const std::string& what, const Error& e) {
    std::fprintf(stderr, "burn-tree: %s: %s\n", what.c_str(), e.message.c_str());
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3 || argc > 4) {
        std::fprintf(stderr, "usage: burn-tree DIR DISC.vdisc [PROFILE]\n");
        return 2;
    }
    const std::string tree = argv[1], disc = argv[2];
    emulator::mmc::register_emu_transport();  // "emu:PATH" addresses open the in-process drive

    if (!emulator::media::VirtualDisc::is_vdisc(disc)) {
        const std::string name = argc == 4 ? argv[3] : "dvd+r";
        auto profile = media::profile_from_name(name);
        if (!profile) return fail(name, make_error(Errc::invalid_argument, "not a media profile"));
        auto blank = emulator::media::VirtualDisc::create_blank(disc, *profile);
        if (!blank.ok()) return fail(disc, blank.error());
    }  // closed again here: the drive takes the disc's lock

    auto recorder = burn::DiscRecorder::open("emu:" + disc);
    if (!recorder.ok()) return fail(disc, recorder.error());
    burn::DiscFormatData format(**recorder);
    auto before = format.media();
    if (!before.ok()) return fail(disc, before.error());
    std::printf("%s: %s %s disc, %zu session(s), %llu blocks free\n", (*recorder)->product().c_str(),
                std::string(media::profile_name(before->profile)).c_str(),
                std::string(burn::to_string(before->state)).c_str(), before->toc.sessions.size(),
                static_cast<unsigned long long>(before->free_blocks));
    if (before->state != burn::MediaState::blank && before->state != burn::MediaState::appendable)
        return fail(disc, make_error(Errc::unsupported, "the disc takes no new session"));

    image::FileSystemImage image;
    image.choose_defaults_for_media(before->profile);
    auto start = format.next_session_start();
    if (!start.ok()) return fail(disc, start.error());
    if (before->last_session_start) {
        auto medium = burn::drive_medium(**recorder);
        if (!medium.ok()) return fail(disc, medium.error());
        auto imported = image.import_file_system(*medium, *before->last_session_start);
        if (!imported.ok()) return fail("importing the last session", imported.error());
    }
    image.set_session_start_block(*start);
    image.set_free_media_blocks(before->free_blocks);
    if (auto added = image.add_tree(tree, false); !added.ok()) return fail(tree, added.error());
    auto stream = image.create_result_image();
    if (!stream.ok()) return fail("laying out the session", stream.error());

    burn::WriteOptions options;
    options.verify = true;
    auto written = format.write(**stream, options);
    if (!written.ok()) return fail("writing", written.error());
    std::printf("session %u written at block %u, %u blocks, %s, %llu files\n", written->session_number,
                written->start, written->blocks, written->verified ? "verified" : "not verified",
                static_cast<unsigned long long>((*stream)->file_count()));
    return 0;
}
