#include "tools/common/boot_options.h"

#include <cerrno>
#include <cstdlib>

namespace tools {

using mastering::Errc;
using mastering::make_error;
using mastering::boot::BootImageSpec;
using mastering::boot::Platform;

namespace {

// A whole unsigned number (decimal, or hexadecimal after 0x) up to `max`.
std::optional<uint64_t> parse_number(const std::string& s, uint64_t max) {
    if (s.empty() || s[0] == '-') return std::nullopt;
    errno = 0;
    char* end = nullptr;
    unsigned long long v = std::strtoull(s.c_str(), &end, 0);
    if (errno != 0 || *end != 0 || v > max) return std::nullopt;
    return uint64_t(v);
}

}  // namespace

void add_boot_options(CLI::App* app, BootArgs& a) {
    const char* group = "Booting (as xorriso -as mkisofs; docs/boot.md)";
    // The entry the options apply to: the last one, or a new one.
    auto current = [&a]() -> BootImageSpec& {
        if (a.spec.images.empty() || !a.entry_open) {
            a.spec.images.emplace_back();
            a.entry_open = true;
        }
        return a.spec.images.back();
    };
    auto set_image = [current](const std::string& path, Platform p) {
        BootImageSpec& e = current();
        e.path = path;
        e.platform = p;
    };
    app->add_option_function<std::string>("-b,--boot-image", [=](const std::string& p) { set_image(p, Platform::x86); },
                                          "boot image for BIOS (a path in the disc's tree, else a host file, hidden)")
        ->trigger_on_parse()->group(group);
    app->add_option_function<std::string>("-e,--efi-boot", [=](const std::string& p) { set_image(p, Platform::efi); },
                                          "boot image for EFI (a FAT image; as -b, with platform 0xEF)")
        ->trigger_on_parse()->group(group);
    app->add_option_function<std::string>("-c,--boot-catalog", [&a](const std::string& p) { a.spec.catalog_path = p; },
                                          "path of the boot catalog in the disc's tree (default /boot.catalog)")
        ->trigger_on_parse()->group(group);
    app->add_flag_callback("--no-emul-boot", [current] { current().mode = BootImageSpec::Mode::no_emulation; },
                           "the current boot image is loaded as it is (no floppy or hard disk emulation)")
        ->trigger_on_parse()->group(group);
    app->add_flag_callback("--hard-disk-boot", [current] { current().mode = BootImageSpec::Mode::hard_disk; },
                           "the current boot image is a hard disk image (an MBR with one partition)")
        ->trigger_on_parse()->group(group);
    app->add_option_function<std::string>("--boot-load-size",
                                          [&a, current](const std::string& s) {
                                              auto n = parse_number(s, 0xFFFFFFFFull);
                                              if (!n && a.mistake.empty())
                                                  a.mistake = "--boot-load-size: \"" + s + "\" is not a number of 512-byte sectors";
                                              current().load_size = uint32_t(n.value_or(0));
                                          },
                                          "512-byte sectors the BIOS loads of the current no-emulation image")
        ->trigger_on_parse()->group(group);
    app->add_flag_callback("--boot-info-table", [current] { current().boot_info_table = true; },
                           "patch the boot-info table into the current image (ISOLINUX, GRUB's eltorito.img)")
        ->trigger_on_parse()->group(group);
    app->add_flag_callback("--eltorito-alt-boot", [&a] { a.entry_open = false; },
                           "begin the next boot entry (the options after it shape that one)")
        ->trigger_on_parse()->group(group);
    app->add_option_function<std::string>("--isohybrid-mbr", [&a](const std::string& p) { a.spec.isohybrid_mbr = p; },
                                          "an MBR template (syslinux's isohdpfx.bin): the image also boots from a disk")
        ->trigger_on_parse()->group(group);
    app->add_flag_callback("--isohybrid-gpt-basdat", [&a] { a.spec.gpt_basdat = true; },
                           "with --isohybrid-mbr: a GPT too, and MBR partitions for the EFI boot images")
        ->trigger_on_parse()->group(group);
    app->add_option_function<std::vector<std::string>>(
           "--append-partition",
           [&a](const std::vector<std::string>& v) {
               mastering::boot::AppendedPartitionSpec p;
               auto n = parse_number(v[0], 4);
               auto t = parse_number(v[1], 0xFF);
               if ((!n || !t) && a.mistake.empty())
                   a.mistake = "--append-partition " + v[0] + " " + v[1] + ": give a partition number (2-4) and an "
                                                                           "MBR type (0xef for an EFI system partition)";
               p.number = uint32_t(n.value_or(0));
               p.type = uint8_t(t.value_or(0));
               p.host_path = v[2];
               a.spec.appended.push_back(std::move(p));
           },
           "N TYPE FILE: append FILE after the image as MBR partition N of TYPE (e.g. 2 0xef efi.img)")
        ->expected(3)->trigger_on_parse()->group(group);
}

mastering::Result<mastering::boot::BootSpec> boot_spec(const BootArgs& a) {
    if (!a.mistake.empty()) return make_error(Errc::invalid_argument, a.mistake);
    for (size_t i = 0; i < a.spec.images.size(); ++i)
        if (a.spec.images[i].path.empty())
            return make_error(Errc::invalid_argument, "boot entry " + std::to_string(i + 1) +
                                                          ": boot options without a boot image (-b or -e)");
    if (a.spec.images.empty() && !a.spec.catalog_path.empty())
        return make_error(Errc::invalid_argument, "--boot-catalog without a boot image (-b or -e)");
    return a.spec;
}

}  // namespace tools
