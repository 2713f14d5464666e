// Issue 6, must-show 1, 2 and 4: UDF images (1.02 to 2.50), the ISO 9660 /
// Joliet / UDF bridge, and mkudffs volumes continued by master-image, judged
// by libudfread (dm-udfread), 7-Zip, udfinfo, xorriso and isoinfo, and read
// back session by session with our own reader.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "emulator/media/vdisc.h"
#include "emulator/mmc/drive.h"
#include "mastering/burn/format_data.h"
#include "mastering/image/file_system_image.h"
#include "mastering/image/image_file.h"
#include "mastering/image/open_file_system.h"
#include "mastering/udf/reader.h"
#include "tests/support/reader_extract.h"
#include "tests/support/support.h"
#include "tests/support/trees.h"

using namespace dmtest;
using mastering::model::FsType;

namespace {

RunResult tool(const std::string& name, std::vector<std::string> args) {
    args.insert(args.begin(), dmtest::tool(name));
    return run(args);
}

std::string udfread_bin() { return std::string(DM_BINARY_DIR) + "/tests/dm-udfread"; }

// udfinfo's key=value report; `warnings` gets its complaints (stderr).
// `start` and `last`: one session of several (its first and last block).
std::map<std::string, std::string> udfinfo(const std::string& image, std::string* warnings,
                                           std::optional<uint32_t> start = {}, std::optional<uint32_t> last = {}) {
    std::vector<std::string> a = {"udfinfo"};
    if (start) a.push_back("--startblock=" + std::to_string(*start));
    if (last) a.push_back("--lastblock=" + std::to_string(*last));
    a.push_back(image);
    auto r = run(a);
    std::map<std::string, std::string> out;
    std::istringstream in(r.out);
    std::string l;
    while (std::getline(in, l))
        if (auto eq = l.find('='); eq != std::string::npos && l.find(',') == std::string::npos)
            out[l.substr(0, eq)] = l.substr(eq + 1);
    if (warnings) *warnings = r.err + (r.exit_code ? " (exit " + std::to_string(r.exit_code) + ")" : "");
    return out;
}

// What a UDF reader without POSIX attributes must show: names, types, sizes, contents.
TreeOptions contents_only() {
    TreeOptions o;
    o.modes = false;
    return o;
}
TreeOptions everything() {
    TreeOptions o;
    o.hard_links = true;
    o.mtimes = true;
    return o;
}

// Directories and distinct files (hard links count once), as udfinfo counts them.
std::pair<size_t, size_t> dirs_and_files(const fs::path& root) {
    size_t dirs = 0;
    std::set<uint64_t> inodes;
    for (const auto& [p, e] : scan_tree(root, TreeOptions{false, false, true, false})) {
        if (e.type == 'd') ++dirs;
        else inodes.insert(e.inode);
    }
    return {dirs, inodes.size()};
}

class ThirdPartyMasterImageUdf : public ::testing::Test {
protected:
    void SetUp() override {
        for (const char* p : {"udfinfo", "7zz", "xorriso", "isoinfo", "mkudffs"}) DM_REQUIRE_PROGRAM(p);
        if (!fs::exists(udfread_bin())) {
            if (allow_missing_tools()) GTEST_SKIP() << "dm-udfread was not built (libudfread-dev missing)";
            FAIL() << "dm-udfread was not built: install libudfread-dev (scripts/install-deps.sh)";
        }
    }
    // libudfread, 7-Zip and our reader (newest session) against `expected`;
    // udfinfo's revision and counts.
    // `mtimes`: compare modification times too (not after a removal, which
    // touches the directory on the host at another second).
    // `sparable`: libudfread 1.1.2 and 7-Zip 26.02 read no sparable partition
    // (docs/udf.md); they judge only if they open the volume, and otherwise
    // must refuse it for that reason, as they refuse mkudffs' own CD-RW volumes.
    void judge(const std::string& img, const fs::path& expected, const std::string& rev, const std::string& tag,
               bool mtimes = true, bool sparable = false) {
        SCOPED_TRACE(tag);
        std::string warn;
        auto info = udfinfo(img, &warn);
        EXPECT_EQ(info["udfrev"], rev);
        EXPECT_EQ(warn, "") << "udfinfo must find nothing inconsistent";
        auto [dirs, files] = dirs_and_files(expected);
        EXPECT_EQ(info["numdirs"], std::to_string(dirs));
        EXPECT_EQ(info["numfiles"], std::to_string(files));
        EXPECT_EQ(info["integrity"], "closed");

        RunOptions log;
        log.env = {"UDFREAD_LOG=1"};
        auto r = run({udfread_bin(), "extract", img, (dir / (tag + "-udfread")).string()}, log);
        if (sparable && r.exit_code != 0) {
            EXPECT_NE(r.err.find("unsupported type 2 partition"), std::string::npos) << r.err;
        } else {
            ASSERT_EQ(r.exit_code, 0) << r.err;
            EXPECT_EQ(r.out, "") << "libudfread met entries it does not know";
            EXPECT_EQ(diff_trees(scan_tree(expected, contents_only()),
                                 scan_tree(dir / (tag + "-udfread"), contents_only()), contents_only()), "");
        }

        auto sz = run({"7zz", "l", "-slt", img});
        if (sparable && sz.exit_code != 0) {
            EXPECT_NE((sz.out + sz.err).find("Cannot open the file as [Udf] archive"), std::string::npos) << sz.out << sz.err;
        } else {
            ASSERT_EQ(sz.exit_code, 0) << sz.err;
            EXPECT_NE(sz.out.find("Type = Udf"), std::string::npos) << "7-Zip must read the UDF view";
            EXPECT_EQ(sz.out.find("Warnings"), std::string::npos) << sz.out;
            r = run({"7zz", "x", "-y", "-o" + (dir / (tag + "-7z")).string(), img});
            ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
            EXPECT_EQ(diff_trees(scan_tree(expected, contents_only()), scan_tree(dir / (tag + "-7z"), contents_only()),
                                 contents_only()), "");
        }

        auto starts = session_starts(img);
        ASSERT_FALSE(starts.empty());
        EXPECT_EQ(extract_image(img, starts.back(), FsType::udf, dir / (tag + "-ours")), "");
        TreeOptions all = everything();
        all.mtimes = mtimes;
        EXPECT_EQ(diff_trees(scan_tree(expected, all), scan_tree(dir / (tag + "-ours"), all), all), "");
    }
    TempDir dir{"master-image-udf"};
};

}  // namespace

// Must-show 1: UDF 2.01 and 2.50 images of the acceptance tree, created and
// appended with a removal and a replacement.
class UdfRevisions : public ThirdPartyMasterImageUdf, public ::testing::WithParamInterface<const char*> {};

TEST_P(UdfRevisions, created_and_appended_read_alike_by_every_reader) {
    std::string rev = GetParam();
    fs::path src1 = dir / "src1", src2 = dir / "src2";
    AcceptanceTreeOptions o;
    o.sparse_size = 0;      // the > 4 GiB file has its own test
    o.symlinks = false;     // 7-Zip's UDF reader refuses symlink entries (checked below with our reader)
    o.files_in_one_dir = 500;
    make_acceptance_tree(src1, o);
    write_file(src2 / "data" / "odd_size.bin", "replaced in session 2\n");
    write_random_file(src2 / "new2" / "fresh.bin", 300 * 1024, 99);
    std::string img = (dir / "disc.udf").string();
    auto r = tool("master-image", {"create", img, "--from", src1.string(), "--fs", "udf", "--udf-revision", rev,
                                   "--volume-name", "UDFTEST"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    judge(img, src1, rev, "session1");
    EXPECT_EQ(run({udfread_bin(), "volume", img}).out, "UDFTEST\n");

    r = tool("master-image", {"append", img, "--from", src2.string(), "--remove", "/same/second.bin"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    fs::path e2 = dir / "e2";
    copy_tree(src1, e2);
    apply_session(e2, {"/same/second.bin"}, src2);
    judge(img, e2, rev, "session2", false);

    // Every session stays readable by its start: ours, and udfinfo's view of
    // it (its first and last block), which finds nothing inconsistent either.
    auto starts = session_starts(img);
    ASSERT_EQ(starts.size(), 2u);
    EXPECT_EQ(extract_image(img, starts[0], FsType::udf, dir / "first"), "");
    EXPECT_EQ(diff_trees(scan_tree(src1, everything()), scan_tree(dir / "first", everything()), everything()), "");
    auto info = nlohmann::json::parse(tool("master-info", {img, "--json"}).out);
    std::string warn;
    auto first = udfinfo(img, &warn, starts[0], starts[0] + info["sessions"][0]["size"].get<uint32_t>() - 1);
    EXPECT_EQ(warn, "") << "the first session, by its first and last block";
    EXPECT_EQ(first["udfrev"], rev);
    EXPECT_EQ(first["numfiles"], std::to_string(dirs_and_files(src1).second));
    EXPECT_EQ(first["integrity"], "closed");
    // master-info reports the revision and the partition kind.
    EXPECT_EQ(info["sessions"][1]["udf"]["revision"], rev);
    EXPECT_EQ(info["sessions"][1]["udf"]["partition"], rev == "2.50" ? "metadata" : "physical");
    EXPECT_EQ(info["sessions"][1]["udf"]["volume_id"], "UDFTEST");
}

INSTANTIATE_TEST_SUITE_P(Revisions, UdfRevisions, ::testing::Values("2.01", "2.50"),
                         [](const auto& p) { return std::string(p.param) == "2.01" ? "udf_2_01" : "udf_2_50"; });

TEST_F(ThirdPartyMasterImageUdf, older_revisions_and_posix_entries) {
    // 1.02 and 1.50 (file entries rather than extended ones): the same
    // readers; symlinks, hard links, set-id bits and times through ours.
    fs::path src = dir / "src";
    AcceptanceTreeOptions o;
    o.sparse_size = 0;
    o.files_in_one_dir = 20;
    make_acceptance_tree(src, o);
    write_file(src / "modes" / "setuid", "s\n");
    ASSERT_EQ(::chmod((src / "modes" / "setuid").c_str(), 04755), 0);
    for (const char* rev : {"1.02", "1.50", "2.01", "2.50"}) {
        SCOPED_TRACE(rev);
        std::string img = (dir / (std::string("r") + rev + ".udf")).string();
        auto r = tool("master-image", {"create", img, "--from", src.string(), "--fs", "udf", "--udf-revision", rev});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        std::string warn;
        auto info = udfinfo(img, &warn);
        EXPECT_EQ(info["udfrev"], rev);
        EXPECT_EQ(warn, "");
        fs::path out = dir / (std::string("out") + rev);
        EXPECT_EQ(extract_image(img, 32, FsType::udf, out), "");
        EXPECT_EQ(diff_trees(scan_tree(src, everything()), scan_tree(out, everything()), everything()), "");
        // libudfread reads the files; symlinks it reports as entries it does not know.
        r = run({udfread_bin(), "extract", img, (dir / (std::string("u") + rev)).string()});
        EXPECT_EQ(r.exit_code, 0) << r.err;
    }
}

// Must-show 2: one session with ISO 9660, Joliet and UDF trees over the same extents.
TEST_F(ThirdPartyMasterImageUdf, bridge_views_agree_and_data_is_stored_once) {
    fs::path src = dir / "src";
    AcceptanceTreeOptions o;
    o.sparse_size = 0;
    o.symlinks = false;
    o.files_in_one_dir = 100;
    make_acceptance_tree(src, o);
    std::string img = (dir / "bridge.iso").string();
    auto r = tool("master-image", {"create", img, "--from", src.string(), "--fs", "iso9660,rockridge,joliet,udf"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    judge(img, src, "2.01", "udf-view");
    // xorriso reads the Rock Ridge view, isoinfo the Joliet view.
    r = osirrox_extract(img, dir / "rr");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    TreeOptions rr;
    rr.hard_links = true;
    EXPECT_EQ(diff_trees(scan_tree(src, rr), scan_tree(dir / "rr", rr), rr), "");
    auto jol = run({"isoinfo", "-f", "-J", "-i", img});
    ASSERT_EQ(jol.exit_code, 0) << jol.err;
    EXPECT_NE(jol.out.find("/long/" + long_name_120().substr(0, 60) + ".txt"), std::string::npos);
    EXPECT_NE(jol.out.find("/many/file_0099.dat"), std::string::npos);
    auto info = nlohmann::json::parse(tool("master-info", {img, "--json"}).out);
    EXPECT_EQ(info["sessions"][0]["file_systems"], nlohmann::json({"iso9660", "rockridge", "joliet", "udf"}));
    // Data stored once: the UDF file starts where the ISO 9660 record points.
    for (const char* p : {"data/random_1m.bin", "same/other.bin", "data/odd_size.bin"}) {
        auto iso = run({"isoinfo", "-l", "-R", "-i", img});
        std::string name = fs::path(p).filename();
        std::smatch m;
        std::regex line("\\[\\s*(\\d+)\\s+\\d+\\]\\s+" + name + "\\s*\\n");
        ASSERT_TRUE(std::regex_search(iso.out, m, line)) << name;
        auto u = run({udfread_bin(), "lba", img, std::string("/") + p});
        ASSERT_EQ(u.exit_code, 0) << u.err;
        EXPECT_EQ(std::stoul(u.out), std::stoul(m[1])) << p;
    }
    uint64_t data = 0;
    std::set<std::string> seen;
    for (const auto& [p, e] : scan_tree(src))
        if (e.type == 'f' && e.size && seen.insert(e.digest).second) data += (e.size + 2047) / 2048 * 2048;
    EXPECT_LT(fs::file_size(img), data + (2u << 20)) << "file data must not be written twice";
}

// Files over 4 GiB: ISO 9660 sections of up to 4 GiB and UDF extents of up to 1 GiB over the same bytes.
TEST_F(ThirdPartyMasterImageUdf, file_over_4_gib_in_the_bridge) {
    fs::path src = dir / "src";
    AcceptanceTreeOptions o;
    o.sparse_size = 4608ull << 20;  // 4.5 GiB, mostly holes
    o.symlinks = false;
    o.hard_links = false;
    o.files_in_one_dir = 3;
    o.depth = 2;
    make_acceptance_tree(src, o);
    std::string img = (dir / "big.iso").string();
    auto r = tool("master-image", {"create", img, "--from", src.string(), "--fs", "iso9660,rockridge,udf", "--udf-revision", "2.50"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = run({udfread_bin(), "extract", img, (dir / "u").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(diff_trees(scan_tree(src, contents_only()), scan_tree(dir / "u", contents_only()), contents_only()), "");
    EXPECT_EQ(extract_image(img, 32, FsType::udf, dir / "ours"), "");
    EXPECT_EQ(diff_trees(scan_tree(src), scan_tree(dir / "ours")), "");
    auto sz = run({"7zz", "l", "-slt", img});
    EXPECT_NE(sz.out.find("Type = Udf"), std::string::npos);
    EXPECT_NE(sz.out.find("Size = " + std::to_string(4608ull << 20)), std::string::npos);
}

// Must-show 4: volumes formatted by mkudffs (empty) get files through master-image append.
TEST_F(ThirdPartyMasterImageUdf, mkudffs_volumes_are_continued) {
    fs::path src = dir / "src";
    AcceptanceTreeOptions o;
    o.sparse_size = 0;
    o.symlinks = false;
    o.files_in_one_dir = 30;
    make_acceptance_tree(src, o);
    struct Case {
        const char* media;
        const char* rev;
        const char* size;
        const char* partition;  // what master-info reports of the formatted volume
    };
    for (const Case& c : {Case{"hd", "2.01", "16M", "physical"}, Case{"dvdram", "2.01", "64M", "physical"},
                          Case{"cdr", "1.50", "16M", "virtual"}, Case{"bdr", "2.50", "16M", "virtual"},
                          Case{"cdrw", "1.50", "64M", "sparable"}}) {
        std::string tag = std::string(c.media) + "-" + c.rev;
        SCOPED_TRACE(tag);
        std::string img = (dir / (tag + ".udf")).string();
        run({"truncate", "-s", c.size, img});
        auto r = run({"mkudffs", "--media-type=" + std::string(c.media), "--udfrev=" + std::string(c.rev), "-b", "2048",
                      "--label=FORMATTED", img});
        ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
        auto before = nlohmann::json::parse(tool("master-info", {img, "--json"}).out);
        EXPECT_EQ(before["sessions"][0]["udf"]["partition"], c.partition);
        EXPECT_EQ(before["sessions"][0]["udf"]["revision"], c.rev);
        EXPECT_EQ(before["sessions"][0]["udf"]["volume_id"], "FORMATTED");
        EXPECT_EQ(extract_image(img, 0, FsType::udf, dir / (tag + "-empty")), "");
        EXPECT_TRUE(fs::is_empty(dir / (tag + "-empty"))) << "a formatted volume holds no files";
        if (std::string(c.partition) == "sparable") {
            // Why libudfread and 7-Zip judge no sparable volume: they refuse mkudffs' own.
            RunResult u = run({udfread_bin(), "extract", img, (dir / (tag + "-u0")).string()}, RunOptions{.env = {"UDFREAD_LOG=1"}});
            EXPECT_NE(u.exit_code, 0);
            EXPECT_NE(u.err.find("unsupported type 2 partition"), std::string::npos) << u.err;
            u = run({"7zz", "l", img});
            EXPECT_NE(u.exit_code, 0);
            EXPECT_NE((u.out + u.err).find("Cannot open the file as"), std::string::npos) << u.out << u.err;
        }
        r = tool("master-image", {"append", img, "--from", src.string()});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        // A physical-partition volume from block 0 grows as one session (as
        // IMAPI2 continues rewritable discs); every reader sees the files.
        // A sparable volume (CD-RW) goes on sparable: libudfread and 7-Zip,
        // which refuse the formatted volume too, are no judges of it.
        judge(img, src, c.rev, tag, true, std::string(c.partition) == "sparable");
        auto after = nlohmann::json::parse(tool("master-info", {img, "--json"}).out);
        EXPECT_EQ(after["sessions"].back()["udf"]["volume_id"], "FORMATTED") << "the imported volume name is kept";
        if (std::string(c.partition) == "sparable") {
            EXPECT_EQ(after["sessions"].back()["udf"]["partition"], "sparable") << "a sparable volume stays sparable";
        }
    }
}

// Sparable partitions (UDF 1.50+: CD-RW and DVD-RW written in fixed packets,
// no defect management of their own): created and appended with a removal
// and a replacement. udfinfo judges the layout (it reads the sparing tables:
// every spare packet listed, two tables, no warning) and the counts; our
// reader the trees of every session; libudfread and 7-Zip only where they
// open the volume (they do not: see judge()).
namespace {
struct SparableCase {
    const char* rev;
    const char* media;
    uint32_t packet;
};
// udfinfo's descriptor map of the newest (or the given) session: the
// partition and the spare area lie on packet boundaries, apart, and two
// sparing tables list the whole spare area.
void check_sparable_layout(const std::string& img, uint32_t packet, std::optional<uint32_t> start = {},
                           std::optional<uint32_t> last = {}) {
    std::vector<std::string> a = {"udfinfo"};
    if (start) a.push_back("--startblock=" + std::to_string(*start));
    if (last) a.push_back("--lastblock=" + std::to_string(*last));
    a.push_back(img);
    auto r = run(a);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    std::map<std::string, std::vector<std::pair<uint32_t, uint32_t>>> spaces;
    std::regex line(R"(start=(\d+), blocks=(\d+), type=(\w+))");
    for (std::sregex_iterator it(r.out.begin(), r.out.end(), line), end; it != end; ++it)
        spaces[(*it)[3]].emplace_back(std::stoul((*it)[1]), std::stoul((*it)[2]));
    ASSERT_EQ(spaces["PSPACE"].size(), 1u) << r.out;
    ASSERT_EQ(spaces["SSPACE"].size(), 1u) << r.out;
    EXPECT_EQ(spaces["STABLE"].size(), 2u) << r.out;
    auto [pstart, pblocks] = spaces["PSPACE"][0];
    auto [sstart, sblocks] = spaces["SSPACE"][0];
    EXPECT_EQ(pstart % packet, 0u);
    EXPECT_EQ(pblocks % packet, 0u);
    EXPECT_EQ(sstart % packet, 0u) << "spare packets are packets of the medium";
    EXPECT_EQ(sblocks, 1024u) << "the whole spare area, as the sparing tables list it";
    EXPECT_TRUE(sstart >= pstart + pblocks || sstart + sblocks <= pstart) << "spare area outside the partition";
    ASSERT_FALSE(spaces["ANCHOR"].empty());
    EXPECT_EQ((spaces["ANCHOR"].back().first + 1) % packet, 0u) << "the session ends on a packet boundary";
}
}  // namespace

class UdfSparable : public ThirdPartyMasterImageUdf, public ::testing::WithParamInterface<SparableCase> {};

TEST_P(UdfSparable, created_and_appended_read_by_udfinfo_and_by_session) {
    const SparableCase& c = GetParam();
    fs::path src1 = dir / "src1", src2 = dir / "src2";
    AcceptanceTreeOptions o;
    o.sparse_size = 0;
    o.files_in_one_dir = 200;
    make_acceptance_tree(src1, o);
    write_file(src2 / "data" / "odd_size.bin", "replaced in session 2\n");
    write_random_file(src2 / "new2" / "fresh.bin", 300 * 1024, 7);
    std::string img = (dir / "disc.udf").string();
    auto r = tool("master-image", {"create", img, "--from", src1.string(), "--fs", "udf", "--udf-revision", c.rev,
                                   "--media", c.media, "--udf-partition", "sparable", "--volume-name", "SPARABLE"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    judge(img, src1, c.rev, "session1", true, true);
    check_sparable_layout(img, c.packet);

    r = tool("master-image", {"append", img, "--from", src2.string(), "--remove", "/same/second.bin"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    fs::path e2 = dir / "e2";
    copy_tree(src1, e2);
    apply_session(e2, {"/same/second.bin"}, src2);
    judge(img, e2, c.rev, "session2", false, true);
    check_sparable_layout(img, c.packet);

    // Both sessions sparable with the same packets; the first still reads
    // alike through its own descriptors (udfinfo by its first and last block).
    auto info = nlohmann::json::parse(tool("master-info", {img, "--json"}).out);
    ASSERT_EQ(info["sessions"].size(), 2u);
    auto medium = mastering::image::open_image_medium(img);
    ASSERT_TRUE(medium.ok());
    for (const auto& s : info["sessions"]) {
        EXPECT_EQ(s["udf"]["partition"], std::string(c.rev) == "2.50" ? "metadata" : "sparable");
        auto u = mastering::udf::read_summary(**medium, s["start"].get<uint32_t>());
        ASSERT_TRUE(u.ok()) << u.error().message;
        EXPECT_EQ(u->sparable_packet, c.packet);
        EXPECT_EQ(u->access_type, 1u) << "read-only, as every partition we master";
    }
    uint32_t start1 = info["sessions"][0]["start"], size1 = info["sessions"][0]["size"];
    check_sparable_layout(img, c.packet, start1, start1 + size1 - 1);
    std::string warn;
    auto first = udfinfo(img, &warn, start1, start1 + size1 - 1);
    EXPECT_EQ(warn, "");
    EXPECT_EQ(first["numfiles"], std::to_string(dirs_and_files(src1).second));
    EXPECT_EQ(extract_image(img, start1, FsType::udf, dir / "first"), "");
    EXPECT_EQ(diff_trees(scan_tree(src1, everything()), scan_tree(dir / "first", everything()), everything()), "");
}

INSTANTIATE_TEST_SUITE_P(Media, UdfSparable,
                         ::testing::Values(SparableCase{"2.01", "cd-rw", 32}, SparableCase{"2.50", "dvd-rw", 16},
                                           SparableCase{"1.50", "cd-rw", 32}),
                         [](const auto& p) {
                             std::string n = std::string(p.param.media) + "_" + p.param.rev;
                             for (char& ch : n)
                                 if (ch == '-' || ch == '.') ch = '_';
                             return n;
                         });

// The media default: a DVD-RW in restricted overwrite (no defect management
// of its own, 16-block ECC blocks) gets sparable sessions from master-burn;
// block 256 is pointed at the newest, rewriting its whole ECC block.
// udfinfo reads the newest from the disc's data, our reader every session
// through the drive.
TEST_F(ThirdPartyMasterImageUdf, dvd_rw_in_restricted_overwrite_gets_sparable_sessions) {
    fs::path src[2] = {dir / "s1", dir / "s2"};
    AcceptanceTreeOptions o;
    o.sparse_size = 0;
    o.files_in_one_dir = 40;
    make_acceptance_tree(src[0], o);
    write_file(src[1] / "data" / "odd_size.bin", "replaced in session 2\n");
    fs::path expected[2] = {src[0], dir / "e2"};
    copy_tree(src[0], expected[1]);
    apply_session(expected[1], {"/same/second.bin"}, src[1]);
    std::string disc = (dir / "rw.vdisc").string();
    {
        auto d = emulator::media::VirtualDisc::create_blank(disc, mastering::media::Profile::dvd_rw_ro);
        ASSERT_TRUE(d.ok()) << d.error().message;
    }
    std::vector<uint32_t> starts;
    for (int k = 0; k < 2; ++k) {
        std::vector<std::string> a = {"--drive", "emu:" + disc, "--from", src[k].string(), "--json"};
        if (k == 0) a.insert(a.end(), {"--fs", "udf"});
        else a.insert(a.end(), {"--remove", "/same/second.bin"});
        auto r = tool("master-burn", a);
        ASSERT_EQ(r.exit_code, 0) << r.err;
        starts.push_back(nlohmann::json::parse(r.out.substr(r.out.rfind('{')))["start"].get<uint32_t>());
    }
    std::string data = disc + "/data.img";
    std::string warn;
    auto info = udfinfo(data, &warn);
    EXPECT_EQ(warn, "");
    EXPECT_EQ(info["udfrev"], "2.01");
    auto [dirs, files] = dirs_and_files(expected[1]);
    EXPECT_EQ(info["numdirs"], std::to_string(dirs));
    EXPECT_EQ(info["numfiles"], std::to_string(files));
    check_sparable_layout(data, 16);
    auto j = nlohmann::json::parse(tool("master-info", {disc, "--json"}).out);
    ASSERT_EQ(j["sessions"].size(), 2u);
    for (const auto& s : j["sessions"]) EXPECT_EQ(s["udf"]["partition"], "sparable");
    emulator::mmc::register_emu_transport();
    auto medium = mastering::burn::open_drive_medium("emu:" + disc);
    ASSERT_TRUE(medium.ok()) << medium.error().message;
    for (int k = 0; k < 2; ++k) {
        SCOPED_TRACE("session " + std::to_string(k + 1));
        fs::path out = dir / ("ours" + std::to_string(k + 1));
        EXPECT_EQ(extract_with_reader(**medium, starts[k], FsType::udf, out), "");
        TreeOptions t;
        t.hard_links = true;
        EXPECT_EQ(diff_trees(scan_tree(expected[k], t), scan_tree(out, t), t), "");
    }
}

// Must-show 3: three UDF sessions on write-once virtual discs, each through
// a virtual allocation table (nothing written is ever rewritten). udfinfo
// reads the newest session from the disc's data alone (anchor at 256, VAT at
// the last recorded block) and every older one by its start and VAT; our
// reader reads every session through the drive. 7-Zip and libudfread do not
// read VAT volumes at all (their readers reject the virtual partition map:
// see docs/udf.md), so they are not judges here.
class UdfWriteOnce : public ThirdPartyMasterImageUdf, public ::testing::WithParamInterface<const char*> {};

TEST_P(UdfWriteOnce, three_vat_sessions_read_by_udfinfo_and_by_session) {
    std::string profile = GetParam();
    fs::path src[3] = {dir / "s1", dir / "s2", dir / "s3"};
    AcceptanceTreeOptions o;
    o.sparse_size = 0;
    o.files_in_one_dir = 40;
    make_acceptance_tree(src[0], o);
    write_file(src[1] / "data" / "odd_size.bin", "replaced in session 2\n");
    write_random_file(src[1] / "new2" / "fresh.bin", 100 * 1024, 5);
    write_file(src[2] / "new3" / "third.txt", "three\n");
    std::vector<std::string> removes[3] = {{}, {"/same/second.bin"}, {"/many"}};
    std::string disc = (dir / "disc.vdisc").string();
    ASSERT_EQ(tool("master-image", {"create", disc, "--media", profile}).exit_code, 0);
    fs::path expected[3] = {src[0], dir / "e2", dir / "e3"};
    copy_tree(src[0], expected[1]);
    apply_session(expected[1], removes[1], src[1]);
    copy_tree(expected[1], expected[2]);
    apply_session(expected[2], removes[2], src[2]);
    std::vector<std::pair<uint32_t, uint32_t>> written;  // start, blocks
    for (int k = 0; k < 3; ++k) {
        std::vector<std::string> a = {"--drive", "emu:" + disc, "--from", src[k].string(), "--json"};
        if (k == 0) a.insert(a.end(), {"--fs", "iso9660,rockridge,joliet,udf"});
        for (const auto& r : removes[k]) a.insert(a.end(), {"--remove", r});
        auto r = tool("master-burn", a);
        ASSERT_EQ(r.exit_code, 0) << r.err;
        auto last = r.out.substr(r.out.rfind('{'));
        auto j = nlohmann::json::parse(last);
        written.emplace_back(j["start"].get<uint32_t>(), j["blocks"].get<uint32_t>());
        // The session fills whole write units, so that its VAT stays the last
        // recorded block after the drive pads the track (the Linux kernel looks there).
        EXPECT_EQ(written.back().second % (profile == "bd-r" ? 32 : profile == "dvd+r" ? 16 : 1), 0u);
        if (profile == "cd-r") {
            EXPECT_GE(written.back().second, 300u) << "a CD track lasts 4 seconds";
        }
        if (k > 0) {
            EXPECT_EQ(j["imported"], "udf") << "the burn continues the UDF tree";
        }
    }
    std::string data = disc + "/data.img";
    // udfinfo, from the disc's data alone: the newest session.
    std::string warn;
    auto info = udfinfo(data, &warn);
    EXPECT_EQ(warn, "");
    EXPECT_EQ(info["udfrev"], "2.01");
    EXPECT_EQ(info["accesstype"], "writeonce");
    EXPECT_EQ(info["vatblock"], std::to_string(written[2].first + written[2].second - 1));
    auto [dirs3, files3] = dirs_and_files(expected[2]);
    EXPECT_EQ(info["numdirs"], std::to_string(dirs3));
    EXPECT_EQ(info["numfiles"], std::to_string(files3));
    // Every session by its start and its own VAT, and through our reader.
    emulator::mmc::register_emu_transport();
    auto medium = mastering::burn::open_drive_medium("emu:" + disc);
    ASSERT_TRUE(medium.ok()) << medium.error().message;
    for (int k = 0; k < 3; ++k) {
        SCOPED_TRACE("session " + std::to_string(k + 1));
        auto [start, blocks] = written[k];
        std::vector<std::string> a = {"udfinfo", "--startblock=" + std::to_string(start),
                                      "--vatblock=" + std::to_string(start + blocks - 1), data};
        auto r = run(a);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        EXPECT_NE(r.out.find("numfiles=" + std::to_string(dirs_and_files(expected[k]).second) + "\n"), std::string::npos)
            << r.out;
        fs::path out = dir / ("ours" + std::to_string(k + 1));
        EXPECT_EQ(extract_with_reader(**medium, start, FsType::udf, out), "");
        TreeOptions t;
        t.hard_links = true;
        EXPECT_EQ(diff_trees(scan_tree(expected[k], t), scan_tree(out, t), t), "");
        // The ISO 9660 views of the same sessions agree.
        r = osirrox_extract(data, dir / ("iso" + std::to_string(k + 1)), start);
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_EQ(diff_trees(scan_tree(expected[k], t), scan_tree(dir / ("iso" + std::to_string(k + 1)), t), t), "");
    }
    // master-info names the partition.
    auto j = nlohmann::json::parse(tool("master-info", {disc, "--json"}).out);
    ASSERT_EQ(j["sessions"].size(), 3u);
    for (const auto& s : j["sessions"]) EXPECT_EQ(s["udf"]["partition"], "virtual");
    // Why 7-Zip and libudfread are no judges here: they refuse every VAT
    // volume, this one and mkudffs' own empty one (which holds nothing else
    // they could object to). If a new version reads them, this fails and
    // they become judges of these discs.
    std::string vat = (dir / "mkudffs-vat.img").string();
    run({"truncate", "-s", "50M", vat});
    auto made = run({"mkudffs", "--media-type=" + std::string(profile == "cd-r" ? "cdr" : profile == "dvd+r" ? "dvdr" : "bdr"),
                     "-b", "2048", vat});
    ASSERT_EQ(made.exit_code, 0) << made.out << made.err;
    for (const std::string& img : {data, vat}) {
        auto z = run({"7zz", "l", "-tudf", img});
        EXPECT_NE((z.out + z.err).find("Cannot open the file as [Udf] archive"), std::string::npos)
            << img << ": 7-Zip reads a VAT volume now\n" << z.out << z.err;
        auto u = run({udfread_bin(), "extract", img, (dir / "udfread-vat").string()}, RunOptions{.env = {"UDFREAD_LOG=1"}});
        EXPECT_NE(u.err.find("unsupported type 2 partition"), std::string::npos)
            << img << ": libudfread reads a VAT volume now\n" << u.out << u.err;
    }
}

INSTANTIATE_TEST_SUITE_P(Media, UdfWriteOnce, ::testing::Values("bd-r", "dvd+r", "cd-r"), [](const auto& p) {
    std::string s = p.param;
    return s == "bd-r" ? std::string("bd_r") : s == "dvd+r" ? std::string("dvd_plus_r") : std::string("cd_r");
});

// A file of more extents than its entry holds (an imported file whose blocks
// lie scattered): the rest continue in allocation extent descriptors.
TEST_F(ThirdPartyMasterImageUdf, a_fragmented_file_continues_in_allocation_extent_descriptors) {
    using namespace mastering;
    constexpr uint32_t blocks = 300;  // > 114 extents in an entry, > 125 in one descriptor block
    write_random_file(dir / "s1" / "src.bin", blocks * 2048ull, 11);
    std::string img = (dir / "frag.udf").string();
    ASSERT_EQ(tool("master-image", {"create", img, "--from", (dir / "s1").string(), "--fs", "udf"}).exit_code, 0);
    // Session 2, through the library: "reversed.bin" is src.bin's blocks in reverse order, one extent each.
    auto medium = image::open_image_medium(img);
    ASSERT_TRUE(medium.ok());
    auto toc = (*medium)->toc();
    ASSERT_TRUE(toc.ok());
    image::FileSystemImage fsi;
    ASSERT_TRUE(fsi.set_file_systems(model::mask(FsType::udf)).ok());
    ASSERT_EQ(*fsi.import_file_system(*medium, 32), FsType::udf);
    auto reader = image::open_file_system(**medium, 32, FsType::udf);
    ASSERT_TRUE(reader.ok());
    auto root = (*reader)->root();
    auto entries = (*reader)->list(*root);
    ASSERT_TRUE(entries.ok());
    ASSERT_EQ(entries->size(), 1u);
    const auto& src = (*entries)[0].attr;
    ASSERT_EQ(src.extents.size(), 1u);
    auto& tree = fsi.tree();
    model::Node* n = tree.add(tree.root(), "reversed.bin", S_IFREG | 0644);
    model::Content* c = tree.new_content();
    c->kind = model::ContentKind::medium;
    c->size = blocks * 2048ull;
    for (uint32_t k = blocks; k-- > 0;) c->extents.push_back({src.extents[0].lba + k, 2048, false});
    c->links = 1;
    n->content = c;
    n->mtime = n->atime = n->ctime = 1700000000;
    fsi.set_session_start_block(*toc->next_writable);
    medium->reset();
    reader = Result<std::unique_ptr<model::FileSystemReader>>(make_error(Errc::internal, "closed"));
    auto w = image::append_to_image_file(fsi, img);
    ASSERT_TRUE(w.ok()) << w.error().message;
    // The expected bytes.
    std::string orig = read_file(dir / "s1" / "src.bin"), reversed;
    for (uint32_t k = blocks; k-- > 0;) reversed += orig.substr(size_t(k) * 2048, 2048);
    std::string warn;
    auto info = udfinfo(img, &warn);
    EXPECT_EQ(warn, "");
    auto r = run({udfread_bin(), "extract", img, (dir / "u").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(read_file(dir / "u" / "reversed.bin") == reversed) << "libudfread";
    // 7-Zip lists the file with its size but does not follow allocation
    // extent descriptors ("Unsupported Method" on extraction: docs/udf.md).
    r = run({"7zz", "l", "-slt", img});
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(r.out.find("Path = reversed.bin\nFolder = -\nSize = 614400"), std::string::npos) << r.out;
    EXPECT_EQ(extract_image(img, *toc->next_writable, FsType::udf, dir / "o"), "");
    EXPECT_TRUE(read_file(dir / "o" / "reversed.bin") == reversed) << "our reader";
    EXPECT_TRUE(read_file(dir / "o" / "src.bin") == orig);
}
