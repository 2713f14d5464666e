// master-image create OUT --from DIR ... / master-image append IMAGE --from DIR ...
#include <cstdio>

#include "emulator/media/vdisc.h"
#include "mastering/burn/burn_tree.h"
#include "mastering/image/file_system_image.h"
#include "mastering/image/image_file.h"
#include "mastering/transport/transport.h"
#include "tools/common/cli.h"
#include "tools/common/source.h"

using namespace mastering;

namespace {

void summary(const char* what, const std::string& path, const image::WriteReport& s) {
    std::printf("%s: %s session at block %u, %u blocks (%llu files, %llu directories, %llu blocks of new data)\n",
                path.c_str(), what, s.session_start, s.session_blocks, static_cast<unsigned long long>(s.files),
                static_cast<unsigned long long>(s.directories), static_cast<unsigned long long>(s.new_data_blocks));
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Master ISO 9660 / Joliet / Rock Ridge images and append sessions to them", "master-image"};
    app.require_subcommand(1);

    std::string out, from, at = "/", fs = "iso9660,rockridge,joliet", volume, media_name, udf_revision, udf_partition;
    int level = 3;
    bool include_base = false, sync = false, no_dedup = false;
    auto* create = app.add_subcommand("create", "master a new image (OUT: an image file, or NAME.vdisc)");
    create->add_option("OUT", out, "the image file to write")->required();
    std::string rom_image;
    create->add_option("--from", from, "the directory whose contents go into the image");
    create->add_option("--image", rom_image, "NAME.vdisc only: a closed (ROM) disc holding this plain image");
    create->add_option("--at", at, "where in the image the contents go (default /)");
    create->add_flag("--include-base", include_base, "put the --from directory itself into the image, not only its contents");
    create->add_option("--fs", fs, "file systems to create: iso9660,joliet,rockridge,udf");
    create->add_option("--iso-level", level, "ISO 9660 interchange level 1, 2, 3, or 4 (ISO 9660:1999)")
        ->check(CLI::Range(1, 4));
    create->add_option("--udf-revision", udf_revision, "UDF revision 1.02, 1.50, 2.01 or 2.50");
    create->add_option("--udf-partition", udf_partition,
                       "UDF partition: physical, or sparable for CD-RW/DVD-RW packet writing (default: as --media needs)");
    create->add_option("--volume-name", volume, "volume name");
    create->add_option("--media", media_name, "size the image for this medium (cd-r, dvd+r, bd-r, ...)");
    create->add_flag("--no-dedup", no_dedup, "do not look for identical files (faster; each copy is stored)");
    create->add_flag("--sync", sync, "make the image durable (fsync) before it appears; appends always are");

    std::string image_path;
    std::vector<std::string> removes;
    auto* append = app.add_subcommand("append", "add a session to an image file");
    append->add_option("IMAGE", image_path, "the image file")->required();
    append->add_option("--from", from, "the directory whose contents go into the new session")->required();
    append->add_option("--at", at, "where in the image the contents go (default /)");
    append->add_flag("--include-base", include_base, "put the --from directory itself into the image");
    append->add_flag("--no-dedup", no_dedup, "do not look for identical files");
    append->add_option("--remove", removes, "remove this path (file or directory tree) from the image; repeatable");

    if (argc > 1 && argv[1][0] != '-' && std::string(argv[1]) != "create" && std::string(argv[1]) != "append") {
        std::fprintf(stderr, "master-image: unknown command \"%s\" (create, append; --help)\n", argv[1]);
        return tools::exit_user_error;
    }
    return tools::run_main(app, argc, argv, [&]() -> int {
        const char* prog = "master-image";
        tools::ProgressBar bar;
        model::ProgressFn progress = [&](const model::Progress& p) {
            bar.update(p.current_file, p.sectors_done, p.sectors_total);
        };
        image::FileSystemImage img;
        img.set_dedup(!no_dedup);
        if (*create && tools::classify_source(out) == tools::SourceKind::virtual_disc) {
            // A virtual disc: blank, a ROM disc from an image, or a first session burned onto it.
            auto p = media::profile_from_name(media_name.empty() ? (rom_image.empty() ? "" : "dvd-rom") : media_name);
            if (!p) return tools::report(prog, make_error(Errc::invalid_argument,
                                                          media_name.empty() ? out + ": a virtual disc needs --media PROFILE"
                                                                             : "unknown media profile \"" + media_name + "\""));
            if (!rom_image.empty()) {
                if (!from.empty()) return tools::report(prog, make_error(Errc::invalid_argument, "give --from or --image, not both"));
                auto d = emulator::media::VirtualDisc::create_from_image(out, rom_image, *p);
                if (!d.ok()) return tools::report(prog, d.error());
                std::printf("%s: closed %s disc of %u blocks\n", out.c_str(),
                            std::string(media::profile_name((*d)->model().profile)).c_str(), (*d)->model().rom_blocks);
                return tools::exit_ok;
            }
            if (!udf_partition.empty())
                return tools::report(prog, make_error(Errc::invalid_argument, "--udf-partition is for image files: a burn "
                                                                              "takes the partition its medium needs"));
            auto d = emulator::media::VirtualDisc::create_blank(out, *p);
            if (!d.ok()) return tools::report(prog, d.error());
            d->reset();
            if (from.empty()) {
                std::printf("%s: blank %s\n", out.c_str(), std::string(media::profile_name(*p)).c_str());
                return tools::exit_ok;
            }
            auto rec = burn::DiscRecorder::open("emu:" + out);
            if (!rec.ok()) return tools::report(prog, rec.error());
            burn::BurnRequest req;
            req.from = from;
            req.at = at;
            req.include_base = include_base;
            req.volume_name = volume;
            auto mask = model::fs_mask_from_names(fs);
            if (!mask.ok()) return tools::report(prog, mask.error());
            req.file_systems = *mask;
            req.write.progress = [&](const burn::WriteProgress& w) { bar.update("burning", w.sectors, w.sectors_total); };
            auto r = burn::burn_tree(**rec, req);
            bar.finish();
            if (!r.ok()) return tools::report(prog, r.error());
            std::printf("%s: %s with a first session at block %u, %u blocks\n", out.c_str(),
                        std::string(media::profile_name(*p)).c_str(), r->result.start, r->result.blocks);
            return tools::exit_ok;
        }
        if (*create) {
            if (!rom_image.empty())
                return tools::report(prog, make_error(Errc::invalid_argument, "--image makes virtual discs (OUT ending in .vdisc)"));
            if (from.empty()) return tools::report(prog, make_error(Errc::invalid_argument, "--from DIR is required"));
            auto mask = model::fs_mask_from_names(fs);
            if (!mask.ok()) return tools::report(prog, mask.error());
            if (!udf_revision.empty()) {
                auto rev = image::parse_udf_revision(udf_revision);
                if (!rev.ok()) return tools::report(prog, rev.error());
                if (auto s = img.set_udf_revision(*rev); !s.ok()) return tools::report(prog, s.error());
                if (!model::has(*mask, model::FsType::udf)) *mask |= model::mask(model::FsType::udf);
            }
            if (auto s = img.set_file_systems(*mask); !s.ok()) return tools::report(prog, s.error());
            if (auto s = img.set_iso_level(level); !s.ok()) return tools::report(prog, s.error());
            if (!volume.empty())
                if (auto s = img.set_volume_name(volume); !s.ok()) return tools::report(prog, s.error());
            img.set_session_start_block(image::first_session_lba);
            if (!media_name.empty()) {
                auto p = media::profile_from_name(media_name);
                if (!p) return tools::report(prog, make_error(Errc::invalid_argument, "unknown media profile \"" + media_name + "\""));
                img.choose_defaults_for_media(*p);
                img.set_absolute_volume_size(false);  // an image file: its own emulated TOC
            }
            if (!udf_partition.empty()) {
                auto family = media::profile_info(media::profile_from_name(media_name).value_or(media::Profile::cd_rw)).family;
                auto packet = image::parse_udf_partition(udf_partition, family);
                if (!packet.ok()) return tools::report(prog, packet.error());
                if (auto s = img.set_udf_sparable_packet(*packet); !s.ok()) return tools::report(prog, s.error());
                if (!model::has(img.file_systems(), model::FsType::udf))
                    if (auto s = img.set_file_systems(img.file_systems() | model::mask(model::FsType::udf)); !s.ok())
                        return tools::report(prog, s.error());
            }
            if (auto s = img.add_tree(from, include_base, at); !s.ok()) return tools::report(prog, s.error());
            auto written = image::write_new_image(img, out, progress, sync);
            bar.finish();
            if (!written.ok()) return tools::report(prog, written.error());
            summary("created, first", out, *written);
            return tools::exit_ok;
        }
        // append
        if (tools::classify_source(image_path) != tools::SourceKind::image_file)
            return tools::report(prog, make_error(Errc::unsupported, transport::redact_address(image_path) +
                                                                           ": append works on image files (burn to drives with master-burn)"));
        auto medium = image::open_image_medium(image_path);
        if (!medium.ok()) return tools::report(prog, medium.error());
        auto toc = (*medium)->toc();
        if (!toc.ok()) return tools::report(prog, toc.error());
        if (const auto* last = toc->last_session()) {
            // The new session carries the file systems of the one it continues.
            if (auto present = img.identify_file_systems(**medium, last->start); present.ok())
                (void)img.set_file_systems(*present);
            auto fs_type = img.import_file_system(*medium, last->start);
            if (!fs_type.ok()) return tools::report(prog, fs_type.error().with_context(image_path + ": cannot import the last session"));
        }
        img.set_session_start_block(*toc->next_writable);
        for (const auto& r : removes)
            if (auto s = img.remove_tree(r); !s.ok()) return tools::report(prog, s.error());
        if (auto s = img.add_tree(from, include_base, at); !s.ok()) return tools::report(prog, s.error());
        auto written = image::append_session(img, image_path, progress);
        bar.finish();
        if (!written.ok()) return tools::report(prog, written.error());
        summary(("appended, " + std::to_string(toc->sessions.size() + 1) + ".").c_str(), image_path, *written);
        return tools::exit_ok;
    });
}
