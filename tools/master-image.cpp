// master-image create OUT --from DIR ... / master-image append IMAGE --from DIR ...
#include <cstdio>

#include "emulator/media/vdisc.h"
#include "mastering/burn/burn_tree.h"
#include "mastering/image/file_system_image.h"
#include "mastering/image/image_target.h"
#include "mastering/transport/transport.h"
#include "tools/common/boot_options.h"
#include "tools/common/cli.h"
#include "tools/common/interrupt.h"
#include "tools/common/source.h"

using namespace mastering;

namespace {

// master-image create NAME.vdisc: a blank disc, a closed (ROM) disc holding
// an image, or a first session burned onto a blank disc.
int create_virtual_disc(const std::string& out, std::optional<media::Profile> media, const std::string& rom_image,
                        const image::SessionRequest& req, tools::ProgressBar& bar) {
    const char* prog = "master-image";
    auto fail = [&](const Error& e) { return tools::report(prog, e); };
    if (!media && rom_image.empty()) return fail(make_error(Errc::invalid_argument, out + ": a virtual disc needs --media PROFILE"));
    media::Profile p = media.value_or(media::Profile::dvd_rom);
    if (!rom_image.empty()) {
        if (!req.from.empty()) return fail(make_error(Errc::invalid_argument, "give --from or --image, not both"));
        auto d = emulator::media::VirtualDisc::create_from_image(out, rom_image, p);
        if (!d.ok()) return fail(d.error());
        std::printf("%s: closed %s disc of %u blocks\n", out.c_str(),
                    std::string(media::profile_name((*d)->model().profile)).c_str(), (*d)->model().rom_blocks);
        return tools::exit_ok;
    }
    if (!req.udf_partition.empty())
        return fail(make_error(Errc::invalid_argument, "--udf-partition is for image files: a burn "
                                                       "takes the partition its medium needs"));
    auto d = emulator::media::VirtualDisc::create_blank(out, p);
    if (!d.ok()) return fail(d.error());
    d->reset();
    if (req.from.empty()) {
        std::printf("%s: blank %s\n", out.c_str(), std::string(media::profile_name(p)).c_str());
        return tools::exit_ok;
    }
    auto rec = burn::DiscRecorder::open("emu:" + out);
    if (!rec.ok()) return fail(rec.error());
    burn::BurnRequest burn;
    static_cast<image::SessionRequest&>(burn) = req;
    burn.write.progress = [&](const burn::WriteProgress& w) { bar.update("burning", w.sectors, w.sectors_total); };
    auto r = burn::burn_tree(**rec, burn);
    bar.finish();
    if (!r.ok()) return fail(r.error());
    std::printf("%s: %s with a first session at block %u, %u blocks\n", out.c_str(),
                std::string(media::profile_name(p)).c_str(), r->result.start, r->result.blocks);
    return tools::exit_ok;
}

struct Flags {
    std::string out, image_path, from, at = "/", fs = "iso9660,rockridge,joliet", volume, media_name, udf_revision,
        udf_partition, rom_image;
    std::vector<std::string> removes;
    int level = 3;
    bool include_base = false, sync = false, no_dedup = false, force = false;
    tools::BootArgs boot;
};

CLI::App* add_create(CLI::App& app, Flags& f) {
    auto* create = app.add_subcommand("create", "master a new image (OUT: an image file, or NAME.vdisc)");
    create->add_option("OUT", f.out, "the image file to write")->required();
    create->add_option("--from", f.from, "the directory whose contents go into the image");
    create->add_option("--image", f.rom_image, "NAME.vdisc only: a closed (ROM) disc holding this plain image");
    create->add_option("--at", f.at, "where in the image the contents go (default /)");
    create->add_flag("--include-base", f.include_base, "put the --from directory itself into the image, not only its contents");
    create->add_option("--fs", f.fs, "file systems to create: iso9660,joliet,rockridge,udf");
    create->add_option("--iso-level", f.level, "ISO 9660 interchange level 1, 2, 3, or 4 (ISO 9660:1999)")
        ->check(CLI::Range(1, 4));
    create->add_option("--udf-revision", f.udf_revision, "UDF revision 1.02, 1.50, 2.01 or 2.50");
    create->add_option("--udf-partition", f.udf_partition,
                       "UDF partition: physical, or sparable for CD-RW/DVD-RW packet writing (default: as --media needs)");
    create->add_option("--volume-name", f.volume, "volume name");
    create->add_option("--media", f.media_name, "size the image for this medium (cd-r, dvd+r, bd-r, ...)");
    create->add_flag("--no-dedup", f.no_dedup, "do not look for identical files (faster; each copy is stored)");
    create->add_flag("--sync", f.sync, "make the image durable (fsync) before it appears; appends always are");
    create->add_flag("--force", f.force, "replace OUT even when it holds an image of several sessions");
    tools::add_boot_options(create, f.boot);
    return create;
}

CLI::App* add_append(CLI::App& app, Flags& f) {
    auto* append = app.add_subcommand("append", "add a session to an image file");
    append->add_option("IMAGE", f.image_path, "the image file")->required();
    append->add_option("--from", f.from, "the directory whose contents go into the new session")->required();
    append->add_option("--at", f.at, "where in the image the contents go (default /)");
    append->add_flag("--include-base", f.include_base, "put the --from directory itself into the image");
    append->add_flag("--no-dedup", f.no_dedup, "do not look for identical files");
    append->add_option("--remove", f.removes, "remove this path (file or directory tree) from the image; repeatable");
    tools::add_boot_options(append, f.boot);
    return append;
}

// The session the flags ask for (create: with its file systems and names).
Result<image::SessionRequest> session_request(const Flags& f, bool create) {
    image::SessionRequest req;
    req.from = f.from;
    req.at = f.at;
    req.include_base = f.include_base;
    req.remove = f.removes;
    req.dedup = !f.no_dedup;
    req.cancel = &tools::catch_interrupts();
    req.notice = [](const std::string& text) { tools::notice("master-image", text); };
    req.boot = DM_TRY(tools::boot_spec(f.boot));
    if (create) {
        req.file_systems = DM_TRY(model::fs_mask_from_names(f.fs));
        if (!f.udf_revision.empty()) req.udf_revision = DM_TRY(image::parse_udf_revision(f.udf_revision));
        req.udf_partition = f.udf_partition;
        req.iso_level = f.level;
        req.volume_name = f.volume;
    }
    return req;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Master ISO 9660 / Joliet / Rock Ridge images and append sessions to them", "master-image"};
    app.require_subcommand(1);
    Flags f;
    auto* create = add_create(app, f);
    auto* append = add_append(app, f);
    if (argc > 1 && argv[1][0] != '-' && std::string(argv[1]) != "create" && std::string(argv[1]) != "append") {
        std::fprintf(stderr, "master-image: unknown command \"%s\" (create, append; --help)\n", argv[1]);
        return tools::exit_user_error;
    }
    return tools::run_main(app, argc, argv, [&]() -> int {
        const char* prog = "master-image";
        auto fail = [&](const Error& e) { return tools::report(prog, e); };
        bool vdisc = *create && tools::classify_source(f.out) == tools::SourceKind::virtual_disc;
        if (!f.rom_image.empty() && !vdisc)
            return fail(make_error(Errc::invalid_argument, "--image makes virtual discs (OUT ending in .vdisc)"));
        if (*create && !vdisc && f.from.empty()) return fail(make_error(Errc::invalid_argument, "--from DIR is required"));
        if (*append && tools::classify_source(f.image_path) != tools::SourceKind::image_file)
            return fail(make_error(Errc::unsupported, transport::redact_address(f.image_path) +
                                                          ": append works on image files (burn to drives with master-burn)"));
        std::optional<media::Profile> media;
        if (!f.media_name.empty() && !(media = media::profile_from_name(f.media_name)))
            return fail(make_error(Errc::invalid_argument, "unknown media profile \"" + f.media_name + "\""));
        auto req = session_request(f, bool(*create));
        if (!req.ok()) return fail(req.error());
        tools::ProgressBar bar;
        if (vdisc) return create_virtual_disc(f.out, media, f.rom_image, *req, bar);
        model::ProgressFn progress = [&](const model::Progress& p) {
            bar.update(p.current_file, p.sectors_done, p.sectors_total);
        };
        auto target = *create ? image::new_image_file_target(f.out, {media, f.sync, f.force}, progress)
                              : image::image_file_target(f.image_path, progress);
        auto written = image::append_session(*target, *req);
        bar.finish();
        if (!written.ok()) return fail(written.error());
        const auto& w = *written;
        std::string which = *create ? "created, first" : "appended, " + std::to_string(w.session.number) + ".";
        std::printf("%s: %s session at block %u, %u blocks (%llu files, %llu directories, %llu blocks of new data)\n",
                    target->describe().c_str(), which.c_str(), w.session.start, w.session.blocks,
                    static_cast<unsigned long long>(w.files), static_cast<unsigned long long>(w.directories),
                    static_cast<unsigned long long>(w.new_data_blocks));
        return tools::exit_ok;
    });
}
