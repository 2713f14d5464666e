// Issue 20: bootable images judged by third-party readers (must-show 1, the
// append half of 4) and bad boot input refused (must-show 5). The firmware
// judges (SeaBIOS, OVMF booting the images in QEMU) are tests/boot/.
#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "tests/support/support.h"

using namespace dmtest;

namespace {

RunResult tool(const std::string& name, std::vector<std::string> args) {
    args.insert(args.begin(), dmtest::tool(name));
    return run(args);
}

const char* isolinux_bin = "/usr/lib/ISOLINUX/isolinux.bin";
const char* isohdpfx_bin = "/usr/lib/ISOLINUX/isohdpfx.bin";
const char* ldlinux_c32 = "/usr/lib/syslinux/modules/bios/ldlinux.c32";

// A Debian-style tree: ISOLINUX with its module, an EFI FAT image, a file.
void make_boot_tree(const fs::path& tree, const fs::path& work) {
    fs::create_directories(tree / "isolinux");
    fs::create_directories(tree / "boot" / "grub");
    fs::copy_file(isolinux_bin, tree / "isolinux" / "isolinux.bin");
    fs::copy_file(ldlinux_c32, tree / "isolinux" / "ldlinux.c32");
    write_file(tree / "readme.txt", "a bootable tree\n");
    fs::path efi = tree / "boot" / "grub" / "efi.img", loader = work / "BOOTX64.EFI";
    write_random_file(loader, 70000, 7);
    ASSERT_EQ(run({"mkfs.vfat", "-C", efi.string(), "1440"}).exit_code, 0);
    ASSERT_EQ(run({"mmd", "-i", efi.string(), "::/EFI", "::/EFI/BOOT"}).exit_code, 0);
    ASSERT_EQ(run({"mcopy", "-i", efi.string(), loader.string(), "::/EFI/BOOT/BOOTX64.EFI"}).exit_code, 0);
}

// The options of a Debian installer image, in xorriso -as mkisofs spelling;
// ours are the same with two dashes (docs/boot.md).
const std::vector<std::string> mkisofs_boot = {
    "-isohybrid-mbr", isohdpfx_bin, "-b", "isolinux/isolinux.bin", "-c", "isolinux/boot.cat", "-no-emul-boot",
    "-boot-load-size", "4", "-boot-info-table", "-eltorito-alt-boot", "-e", "boot/grub/efi.img", "-no-emul-boot",
    "-isohybrid-gpt-basdat"};
std::vector<std::string> our_boot() {
    std::vector<std::string> v;
    for (const auto& o : mkisofs_boot) v.push_back(o.size() > 2 && o[0] == '-' && o[1] != '-' ? "-" + o : o);
    return v;
}

std::vector<std::string> words(const std::string& s) {
    std::istringstream in(s);
    std::vector<std::string> w;
    for (std::string x; in >> x;) w.push_back(x);
    return w;
}

struct Blank {
    bool image_size = false;  // the volume size (an appended session grows it)
};

// xorriso's El Torito and system area report of `image`, with what two
// images of the same inputs may differ in blanked: the block of the catalog
// and of each boot image (a partition starting at a boot image reads "@imgN"),
// and the random GUIDs.
std::string xorriso_report(const std::string& image, Blank blank = {}) {
    auto r = run({"xorriso", "-indev", image, "-report_el_torito", "plain", "-report_system_area", "plain"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::map<std::string, std::string> image_at;  // 512-byte sector -> "@imgN"
    std::ostringstream out;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
        auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string key = line.substr(0, colon);
        while (!key.empty() && key.back() == ' ') key.pop_back();
        auto w = words(line.substr(colon + 1));
        if (key == "El Torito catalog" && !w.empty()) w[0] = "<lba>";
        if (key == "El Torito boot img" && w.size() == 8) {
            image_at[std::to_string(std::stoull(w[7]) * 4)] = "@img" + w[0];
            w[7] = "<lba>";
        }
        if (key == "MBR partition" && w.size() == 5 && image_at.count(w[3])) w[3] = image_at[w[3]];
        if (key == "GPT start and size" && w.size() == 3 && image_at.count(w[1])) w[1] = image_at[w[1]];
        if (key == "GPT disk GUID" || key == "GPT partition GUID") w.back() = "<guid>";
        if (blank.image_size && (key == "ISO image size/512" || key == "GPT lba range")) w = {"<size>"};
        out << key << ":";
        for (const auto& x : w) out << " " << x;
        out << "\n";
    }
    return out.str();
}

class ThirdPartyBoot : public ::testing::Test {
protected:
    void SetUp() override {
        for (const char* p : {"xorriso", "isoinfo", "sfdisk", "mkfs.vfat", "mcopy"}) DM_REQUIRE_PROGRAM(p);
        make_boot_tree(tree, dir.path());
    }
    RunResult xorriso_image(const std::string& out) {
        std::vector<std::string> a = {"xorriso", "-as", "mkisofs", "-o", out, "-R", "-J"};
        a.insert(a.end(), mkisofs_boot.begin(), mkisofs_boot.end());
        a.push_back(tree.string());
        return run(a);
    }
    RunResult our_image(const std::string& out) {
        std::vector<std::string> a = {"create", out, "--from", tree.string()};
        auto b = our_boot();
        a.insert(a.end(), b.begin(), b.end());
        return tool("master-image", a);
    }
    TempDir dir{"boot"};
    fs::path tree = dir / "tree";
};

}  // namespace

TEST_F(ThirdPartyBoot, xorriso_reports_the_same_boot_setup_as_for_its_own_image) {
    std::string ours = (dir / "ours.iso").string(), theirs = (dir / "theirs.iso").string();
    auto r = our_image(ours);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_EQ(xorriso_image(theirs).exit_code, 0);
    std::string report = xorriso_report(ours);
    EXPECT_EQ(report, xorriso_report(theirs));
    // What the comparison covers: both entries, the boot-info table xorriso
    // finds valid in the image, the isohybrid MBR and the GPT.
    for (const char* want : {"El Torito boot img: 1 BIOS y none 0x0000 0x00 4 <lba>",
                             "El Torito boot img: 2 UEFI y none 0x0000 0x00 2880 <lba>",
                             "El Torito img opts: 1 boot-info-table isohybrid-suitable",
                             "System area summary: MBR isohybrid cyl-align-on GPT",
                             "MBR partition: 1 0x80 0x00 0", "MBR partition: 2 0x00 0xef @img2 2880",
                             "GPT partition name: 2 490053004f004800790062007200690064003100",
                             "GPT start and size: 2 @img2 2880"})
        EXPECT_NE(report.find(want), std::string::npos) << want << " not in\n" << report;
}

TEST_F(ThirdPartyBoot, isoinfo_and_sfdisk_see_the_boot_record_and_partitions) {
    std::string ours = (dir / "ours.iso").string();
    ASSERT_EQ(our_image(ours).exit_code, 0);
    auto info = run({"isoinfo", "-d", "-i", ours});
    ASSERT_EQ(info.exit_code, 0) << info.err;
    EXPECT_NE(info.out.find("El Torito VD version 1 found, boot catalog is in sector"), std::string::npos) << info.out;
    EXPECT_NE(info.out.find("Arch 0 (x86)"), std::string::npos) << info.out;
    EXPECT_NE(info.out.find("Boot media 0 (No Emulation Boot)"), std::string::npos) << info.out;
    EXPECT_NE(info.out.find("Nsect 4"), std::string::npos) << info.out;
    // The hybrid MBR (its partitions are what BIOS and partitioning tools see;
    // the GPT beside it has no protective entry, as in xorriso's image).
    auto sf = run({"sfdisk", "-d", ours});
    ASSERT_EQ(sf.exit_code, 0) << sf.err;
    EXPECT_NE(sf.out.find("label: dos"), std::string::npos) << sf.out;
    EXPECT_NE(sf.out.find("ours.iso1 : start=           0, size=        4096, type=0, bootable"), std::string::npos)
        << sf.out;
    EXPECT_NE(sf.out.find("size=        2880, type=ef"), std::string::npos) << sf.out;
    auto fd = run({"fdisk", "-l", ours});
    EXPECT_EQ(fd.exit_code, 0) << fd.err;
    EXPECT_NE(fd.out.find("EFI (FAT-12/16/32)"), std::string::npos) << fd.out;
}

// Must-show 4, the half readers judge (tests/boot/ boots the result): a
// xorriso-made hybrid image gets a session appended; the boot entries, the
// boot images' blocks and the system area stay, and the new file is there.
TEST_F(ThirdPartyBoot, append_to_a_xorriso_hybrid_image_keeps_it_bootable) {
    std::string img = (dir / "theirs.iso").string();
    ASSERT_EQ(xorriso_image(img).exit_code, 0);
    auto raw_before = run({"xorriso", "-indev", img, "-report_el_torito", "plain"}).out;
    std::string before = xorriso_report(img, {.image_size = true});
    write_file(dir / "more" / "added.txt", "new in session 2\n");
    auto r = tool("master-image", {"append", img, "--from", (dir / "more").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(xorriso_report(img, {.image_size = true}), before);
    // The images did not move: the same blocks as before.
    auto raw_after = run({"xorriso", "-indev", img, "-report_el_torito", "plain"}).out;
    auto lines = [](const std::string& s) {
        std::string keep;
        std::istringstream in(s);
        for (std::string l; std::getline(in, l);)
            if (l.rfind("El Torito boot img", 0) == 0) keep += l + "\n";
        return keep;
    };
    EXPECT_EQ(lines(raw_after), lines(raw_before));
    EXPECT_FALSE(lines(raw_after).empty());
    // The new session's own catalog, after the old session's end.
    auto catalog = words(raw_after.substr(raw_after.find("El Torito catalog  :") + 20));
    ASSERT_FALSE(catalog.empty());
    EXPECT_GE(std::stoull(catalog[0]), 1024u) << raw_after;
    fs::path out = dir / "out";
    ASSERT_EQ(osirrox_extract(img, out).exit_code, 0);
    EXPECT_EQ(read_file(out / "added.txt"), "new in session 2\n");
    EXPECT_TRUE(fs::exists(out / "isolinux" / "isolinux.bin"));
}

// Must-show 5: each bad input, its message, exit 1, nothing written.
class BootErrors : public ::testing::Test {
protected:
    void SetUp() override {
        fs::create_directories(tree / "isolinux");
        fs::copy_file(isolinux_bin, tree / "isolinux" / "isolinux.bin");
        write_random_file(tree / "floppy.img", 1000, 3);
        write_file(dir / "zeros.bin", std::string(512, '\0'));
    }
    void expect_refused(std::vector<std::string> boot, const std::string& message) {
        std::string out = (dir / "new.iso").string();
        std::vector<std::string> a = {"create", out, "--from", tree.string()};
        a.insert(a.end(), boot.begin(), boot.end());
        auto r = tool("master-image", a);
        EXPECT_EQ(r.exit_code, 1) << r.command << "\n" << r.err;
        EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
        EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "more than one line: " << r.err;
        EXPECT_FALSE(fs::exists(out));
        EXPECT_FALSE(fs::exists(out + ".partial"));
    }
    TempDir dir{"boot-errors"};
    fs::path tree = dir / "tree";
};

TEST_F(BootErrors, boot_image_neither_in_the_tree_nor_on_the_host) {
    expect_refused({"-b", "isolinux/nope.bin", "--no-emul-boot"},
                   "boot image isolinux/nope.bin: not in the image's tree and not a file on the host");
}

TEST_F(BootErrors, load_size_that_does_not_fit) {
    expect_refused({"-b", "isolinux/isolinux.bin", "--no-emul-boot", "--boot-load-size", "100"},
                   "--boot-load-size 100 (51200 bytes) is larger than the image");
    expect_refused({"-b", "isolinux/isolinux.bin", "--no-emul-boot", "--boot-load-size", "0"},
                   "--boot-load-size 0 does not fit El Torito's sector count (1 to 65535)");
    expect_refused({"-b", "isolinux/isolinux.bin", "--no-emul-boot", "--boot-load-size", "70000"},
                   "--boot-load-size 70000 does not fit El Torito's sector count (1 to 65535)");
}

TEST_F(BootErrors, floppy_image_of_the_wrong_size) {
    expect_refused({"-b", "floppy.img"}, "boot image floppy.img: 1000 bytes is not the size of a 1.2, 1.44 or 2.88 MB "
                                         "floppy image");
}

TEST_F(BootErrors, hybrid_mbr_template_that_is_not_one) {
    expect_refused({"-b", "isolinux/isolinux.bin", "--no-emul-boot", "--isohybrid-mbr", (dir / "zeros.bin").string()},
                   "is not an MBR template");
    expect_refused({"-b", "isolinux/isolinux.bin", "--no-emul-boot", "--isohybrid-mbr", (dir / "none.bin").string()},
                   "none.bin: No such file or directory");
}

TEST_F(BootErrors, append_with_a_missing_boot_image_leaves_the_image_as_it_was) {
    std::string img = (dir / "d.iso").string();
    ASSERT_EQ(tool("master-image", {"create", img, "--from", tree.string()}).exit_code, 0);
    std::string before = read_file(img);
    auto r = tool("master-image", {"append", img, "--from", tree.string(), "-b", "nope.bin", "--no-emul-boot"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("boot image nope.bin: not in the image's tree and not a file on the host"), std::string::npos)
        << r.err;
    EXPECT_TRUE(read_file(img) == before);
}
