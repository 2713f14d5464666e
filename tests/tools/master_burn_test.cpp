// Issue 5: master-burn, the burn engine and its transports, judged by
// master-info on the drive and by xorriso reading every session of the
// virtual disc's data.img: three sessions onto every recordable profile, in
// process (emu:) and over iSCSI through master-drive; a burn onto tgtd's
// DVD+R; fault plans; no space; closed discs.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <sstream>

#include "tests/support/master_drive.h"
#include "tests/support/support.h"
#include "tests/support/tgtd.h"

using namespace dmtest;
using nlohmann::json;

namespace {

const std::vector<std::string> k_recordable = {"cd-r",   "cd-rw",  "dvd-r",   "dvd-rw", "dvd+r",
                                               "dvd+r-dl", "dvd+rw", "dvd-ram", "bd-r",   "bd-re"};

// Three days of files; the second changes a file, the third removes one.
// expected(k) is the tree a reader must see in session k (1-based).
class Days {
public:
    Days() {
        write_file(m_dir / "day1/README.txt", "first session\n");
        std::string numbers;
        for (int i = 0; i < 20000; ++i) numbers += std::to_string(i) + "\n";
        write_file(m_dir / "day1/docs/numbers.txt", numbers);
        write_random_file(m_dir / "day2/photos/beach.raw", 700000, 11);
        write_file(m_dir / "day2/README.txt", "second session: a newer README\n");
        fs::create_symlink("photos/beach.raw", m_dir / "day2/latest");
        write_file(m_dir / "day3/notes/today.txt", "third session\n");
        for (int k = 1; k <= 3; ++k) {
            fs::path stage = m_dir / ("expected" + std::to_string(k));
            for (int j = 1; j <= k; ++j)
                fs::copy(day(j), stage, fs::copy_options::recursive | fs::copy_options::overwrite_existing |
                                             fs::copy_options::copy_symlinks);
            if (k == 3) fs::remove(stage / "docs/numbers.txt");
            m_expected.push_back(scan_tree(stage, options()));
        }
    }
    fs::path day(int k) const { return m_dir / ("day" + std::to_string(k)); }
    const std::map<std::string, Entry>& expected(int k) const { return m_expected[size_t(k - 1)]; }
    // master-burn's arguments for session k.
    std::vector<std::string> burn_args(int k) const {
        std::vector<std::string> a = {"--from", day(k).string()};
        if (k == 3) a.insert(a.end(), {"--remove", "docs/numbers.txt"});
        return a;
    }
    static TreeOptions options() {
        TreeOptions o;
        o.modes = false;  // the host's umask decides the sources' modes; contents, types and links are compared
        return o;
    }
    const TempDir& dir() const { return m_dir; }

private:
    TempDir m_dir{"master-burn"};
    std::vector<std::map<std::string, Entry>> m_expected;
};

RunResult burn(const std::string& address, const std::vector<std::string>& args) {
    std::vector<std::string> argv = {tool("master-burn"), "--drive", address};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
}

json info(const std::string& source) {
    auto r = run({tool("master-info"), source, "--json"});
    if (r.exit_code != 0) return json{{"error", r.err}};
    return json::parse(r.out);
}

// xorriso loads the session at `start` of a data.img and extracts its tree.
std::string xorriso_tree_diff(const fs::path& data_img, uint64_t start, const std::map<std::string, Entry>& expected,
                              const fs::path& out) {
    fs::remove_all(out);
    auto r = osirrox_extract(data_img.string(), out, start);
    if (r.exit_code != 0) return "xorriso failed: " + r.err;
    return diff_trees(expected, scan_tree(out, Days::options()), Days::options());
}

// After burn k: the drive reports k sessions (master-info) and xorriso reads
// each of them from data.img with the tree it had when it was written.
void check_sessions(const std::string& address, const fs::path& data_img, const Days& days, int k,
                    const std::string& what) {
    json doc = info(address);
    ASSERT_FALSE(doc.contains("error")) << what << ": " << doc.dump();
    const json sessions = doc["sessions"];
    ASSERT_EQ(sessions.size(), size_t(k)) << what << " after burn " << k << ":\n" << doc.dump(1);
    for (int s = 1; s <= k; ++s) {
        const json& session = sessions[size_t(s - 1)];
        auto fss = session["file_systems"];
        EXPECT_NE(std::find(fss.begin(), fss.end(), "rockridge"), fss.end()) << what << " session " << s;
        auto diff = xorriso_tree_diff(data_img, session["start"].get<uint64_t>(), days.expected(s),
                                      days.dir() / "extracted");
        EXPECT_EQ(diff, "") << what << ": xorriso reading session " << s << " at block " << session["start"]
                            << " after burn " << k;
    }
}

}  // namespace

class ThirdPartyMasterBurn : public ::testing::TestWithParam<std::string> {};

TEST_P(ThirdPartyMasterBurn, three_sessions_in_process_and_over_iscsi) {
    DM_REQUIRE_PROGRAM("xorriso");
    const std::string profile = GetParam();
    Days days;
    TempDir discs{"burn-discs"};
    // In process: emu:PATH.
    fs::path local = discs / "local.vdisc";
    auto made = run({tool("master-image"), "create", local.string(), "--media", profile});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    for (int k = 1; k <= 3; ++k) {
        auto args = days.burn_args(k);
        if (k == 3) args.push_back("--verify");
        auto r = burn("emu:" + local.string(), args);
        ASSERT_EQ(r.exit_code, 0) << profile << " burn " << k << ": " << r.err;
        EXPECT_NE(r.out.find("session " + std::to_string(k) + " written"), std::string::npos) << r.out;
        check_sessions("emu:" + local.string(), local / "data.img", days, k, profile + " (emu:)");
        // master-info on the disc's path sees what the drive reports.
        json by_path = info(local.string()), by_drive = info("emu:" + local.string());
        for (const char* key : {"next_writable", "free_blocks", "capacity", "state"})
            EXPECT_EQ(by_path["media"][key], by_drive["media"][key]) << profile << " after burn " << k << ": " << key;
        EXPECT_EQ(by_path["sessions"].size(), by_drive["sessions"].size()) << profile << " after burn " << k;
    }
    // Over iSCSI: a blank disc in a master-drive recorder.
    fs::path remote = discs / "remote.vdisc";
    MasterDrive server({"burner=" + profile + ":" + remote.string()});
    ASSERT_TRUE(server.running()) << server.error();
    for (int k = 1; k <= 3; ++k) {
        auto r = burn(server.url("burner"), days.burn_args(k));
        ASSERT_EQ(r.exit_code, 0) << profile << " burn " << k << " over iSCSI: " << r.err << "\n" << server.log();
        check_sessions(server.url("burner"), remote / "data.img", days, k, profile + " (iSCSI)");
    }
}

INSTANTIATE_TEST_SUITE_P(EveryRecordableProfile, ThirdPartyMasterBurn, ::testing::ValuesIn(k_recordable),
                         [](const auto& param_info) {
                             std::string n = param_info.param;
                             for (auto& c : n)
                                 if (c == '-') c = '_';
                                 else if (c == '+') c = 'p';
                             return n;
                         });

// CD session at once: master-burn sends a cue sheet and writes the pre-gap;
// three sessions in process and over iSCSI, each read back by xorriso.
TEST(ThirdPartyMasterBurnSao, three_cd_sessions_written_session_at_once) {
    DM_REQUIRE_PROGRAM("xorriso");
    for (const std::string profile : {"cd-r", "cd-rw"}) {
        Days days;
        TempDir discs{"burn-sao"};
        fs::path local = discs / "local.vdisc";
        ASSERT_EQ(run({tool("master-image"), "create", local.string(), "--media", profile}).exit_code, 0);
        MasterDrive server({"burner=" + profile + ":" + (discs / "remote.vdisc").string()});
        ASSERT_TRUE(server.running()) << server.error();
        for (int k = 1; k <= 3; ++k) {
            auto args = days.burn_args(k);
            args.insert(args.end(), {"--write-mode", "sao", "--verify"});
            auto a = burn("emu:" + local.string(), args);
            ASSERT_EQ(a.exit_code, 0) << profile << " burn " << k << ": " << a.err;
            check_sessions("emu:" + local.string(), local / "data.img", days, k, profile + " SAO (emu:)");
            auto b = burn(server.url("burner"), args);
            ASSERT_EQ(b.exit_code, 0) << profile << " burn " << k << " over iSCSI: " << b.err;
            check_sessions(server.url("burner"), discs / "remote.vdisc/data.img", days, k, profile + " SAO (iSCSI)");
        }
        // The trace shows the cue sheet and the pre-gap written from LBA -150 of the first session.
        auto tr = server.ctl({"trace", "burner"});
        EXPECT_NE(tr.out.find("SEND CUE SHEET"), std::string::npos) << tr.out.substr(0, 2000);
        // A later TAO burn on the same drive still lands after the last session.
        auto tao = burn(server.url("burner"), {"--from", days.day(3).string()});
        EXPECT_EQ(tao.exit_code, 0) << tao.err;
        EXPECT_EQ(info(server.url("burner"))["sessions"].size(), 4u);
    }
}

// A third-party target: tgtd emulates a DVD+R on an empty backing file.
TEST(ThirdPartyMasterBurnTgt, burns_onto_tgtds_dvd_plus_r_and_reads_back) {
    DM_REQUIRE_PROGRAM("tgtd");
    DM_REQUIRE_PROGRAM("xorriso");
    Days days;
    Tgtd tgt;
    ASSERT_TRUE(tgt.running()) << tgt.error();
    fs::path backing = days.dir() / "tgt-dvd.img";
    write_file(backing, "");
    ASSERT_TRUE(tgt.add_target("iqn.2026-11.org.discmaster.test:tgt-blank", backing.string(), "cd")) << tgt.error();
    std::string url = tgt.url("iqn.2026-11.org.discmaster.test:tgt-blank");
    json before = info(url);
    ASSERT_EQ(before["media"]["profile"], "dvd+r") << before.dump();
    ASSERT_EQ(before["media"]["state"], "blank") << before.dump();
    auto r = burn(url, {"--from", days.day(1).string(), "--verify"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("verified"), std::string::npos) << r.out;
    json after = info(url);
    ASSERT_EQ(after["sessions"].size(), 1u) << after.dump();
    EXPECT_EQ(xorriso_tree_diff(backing, 0, days.expected(1), days.dir() / "x"), "") << "tgtd's backing file read by xorriso";
    // tgtd closes its DVD+R after one session: the next burn is refused with the closed-disc message.
    auto again = burn(url, {"--from", days.day(2).string()});
    EXPECT_EQ(again.exit_code, 1);
    EXPECT_NE(again.err.find("multisession is not possible on this disc"), std::string::npos) << again.err;
}

// Faults during a burn (set through master-drive ctl): a clear one-line error, the earlier sessions intact,
// and the next burn appends (or refuses with the right message).
class ThirdPartyMasterBurnFaults : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(server.running()) << server.error();
        auto r = burn(server.url("burner"), days.burn_args(1));
        ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    json status() {
        auto r = server.ctl({"status", "--json"});
        return r.exit_code == 0 ? json::parse(r.out) : json{{"error", r.err}};
    }
    uint64_t next_writable() { return info(server.url("burner"))["media"]["next_writable"].get<uint64_t>(); }

    Days days;
    TempDir discs{"burn-faults"};
    MasterDrive server{{"burner=dvd+r:" + (discs / "burner.vdisc").string()}};
};

TEST_F(ThirdPartyMasterBurnFaults, write_error_at_an_lba) {
    uint64_t nwa = next_writable();
    ASSERT_EQ(server.ctl({"fault", "burner", "write-error:" + std::to_string(nwa + 20) + "-" + std::to_string(nwa + 30)}).exit_code, 0);
    auto r = burn(server.url("burner"), days.burn_args(2));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.err.find("write error"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line:\n" << r.err;
    ASSERT_EQ(server.ctl({"fault", "burner", "none"}).exit_code, 0);
    // Session 1 is intact; what was written of session 2 stays an incomplete
    // session without a file system (as on a real DVD+R), and the next burn
    // appends after it.
    json damaged = info(server.url("burner"));
    ASSERT_GE(damaged["sessions"].size(), 1u) << damaged.dump(1);
    EXPECT_EQ(damaged["sessions"][0]["state"], "complete") << damaged.dump(1);
    for (size_t i = 1; i < damaged["sessions"].size(); ++i)
        EXPECT_EQ(damaged["sessions"][i]["state"], "incomplete") << damaged.dump(1);
    EXPECT_EQ(xorriso_tree_diff(discs / "burner.vdisc/data.img", 0, days.expected(1), days.dir() / "x"), "");
    auto next = burn(server.url("burner"), days.burn_args(2));
    ASSERT_EQ(next.exit_code, 0) << next.err;
    json doc = info(server.url("burner"));
    ASSERT_GE(doc["sessions"].size(), 2u) << doc.dump(1);
    const json& last = doc["sessions"].back();
    EXPECT_EQ(xorriso_tree_diff(discs / "burner.vdisc/data.img", last["start"].get<uint64_t>(), days.expected(2),
                                days.dir() / "x"),
              "");
    EXPECT_EQ(xorriso_tree_diff(discs / "burner.vdisc/data.img", 0, days.expected(1), days.dir() / "x"), "")
        << "session 1 still reads";
}

TEST_F(ThirdPartyMasterBurnFaults, medium_removed_mid_burn) {
    ASSERT_EQ(server.ctl({"fault", "burner", "remove:40"}).exit_code, 0);
    auto r = burn(server.url("burner"), days.burn_args(2));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.err.find("medium"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line:\n" << r.err;
    // The disc comes back (the tray closes on it again) with session 1 intact; the next burn appends.
    json st = status();
    ASSERT_TRUE(st["drives"][0]["medium"].is_null()) << st.dump(1);
    auto again = server.ctl({"insert", "burner", (discs / "burner.vdisc").string()});
    ASSERT_EQ(again.exit_code, 0) << again.err;
    auto next = burn(server.url("burner"), days.burn_args(2));
    ASSERT_EQ(next.exit_code, 0) << next.err;
    json doc = info(server.url("burner"));
    ASSERT_GE(doc["sessions"].size(), 2u) << doc.dump(1);
    EXPECT_EQ(xorriso_tree_diff(discs / "burner.vdisc/data.img", 0, days.expected(1), days.dir() / "x"), "");
    EXPECT_EQ(xorriso_tree_diff(discs / "burner.vdisc/data.img", doc["sessions"].back()["start"].get<uint64_t>(),
                                days.expected(2), days.dir() / "x"),
              "");
}

TEST_F(ThirdPartyMasterBurnFaults, power_loss_mid_burn) {
    ASSERT_EQ(server.ctl({"fault", "burner", "power-loss:60"}).exit_code, 0);
    auto r = burn(server.url("burner"), days.burn_args(2));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.err.find("lost power"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line:\n" << r.err;
    // What was synchronized survives: session 1. The next burn appends.
    check_sessions(server.url("burner"), discs / "burner.vdisc/data.img", days, 1, "after the power loss");
    auto next = burn(server.url("burner"), days.burn_args(2));
    ASSERT_EQ(next.exit_code, 0) << next.err;
    json doc = info(server.url("burner"));
    ASSERT_EQ(doc["sessions"].size(), 2u) << doc.dump(1);
    EXPECT_EQ(xorriso_tree_diff(discs / "burner.vdisc/data.img", doc["sessions"][1]["start"].get<uint64_t>(),
                                days.expected(2), days.dir() / "x"),
              "");
}

TEST(MasterBurn, not_enough_space_is_refused_before_any_write) {
    TempDir dir{"burn-space"};
    fs::path disc = dir / "small.vdisc";
    ASSERT_EQ(run({tool("master-image"), "create", disc.string(), "--media", "cd-r"}).exit_code, 0);
    // 800 MB of (sparse) data: more than an 80-minute CD-R holds.
    write_file(dir / "big/huge.bin", "");
    fs::resize_file(dir / "big/huge.bin", uint64_t(800) << 20);
    auto r = burn("emu:" + disc.string(), {"--from", (dir / "big").string()});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.err.find("not enough space"), std::string::npos) << r.err;
    json doc = info("emu:" + disc.string());
    EXPECT_EQ(doc["media"]["state"], "blank") << "nothing was written:\n" << doc.dump(1);
    EXPECT_EQ(fs::file_size(disc / "data.img"), 0u) << "not one block written";
}

TEST(MasterBurn, a_closed_disc_is_refused_with_a_clear_message) {
    TempDir dir{"burn-closed"};
    fs::path disc = dir / "d.vdisc";
    write_file(dir / "a/x.txt", "x\n");
    ASSERT_EQ(run({tool("master-image"), "create", disc.string(), "--media", "dvd+r"}).exit_code, 0);
    auto first = burn("emu:" + disc.string(), {"--from", (dir / "a").string(), "--close"});
    ASSERT_EQ(first.exit_code, 0) << first.err;
    EXPECT_EQ(info("emu:" + disc.string())["media"]["state"], "complete") << "MMC's name for a closed disc";
    auto r = burn("emu:" + disc.string(), {"--from", (dir / "a").string()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("the disc is closed: multisession is not possible on this disc"), std::string::npos) << r.err;
}

TEST(MasterBurn, json_progress_and_result) {
    TempDir dir{"burn-json"};
    fs::path disc = dir / "d.vdisc";
    write_random_file(dir / "a/big.bin", 4 << 20, 3);
    ASSERT_EQ(run({tool("master-image"), "create", disc.string(), "--media", "bd-r"}).exit_code, 0);
    auto r = burn("emu:" + disc.string(), {"--from", (dir / "a").string(), "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::istringstream in(r.out);
    int progress = 0;
    json last;
    for (std::string line; std::getline(in, line);) {
        if (line.empty()) continue;
        last = json::parse(line);
        if (last.value("event", "") == "progress") ++progress;
    }
    EXPECT_GT(progress, 0) << r.out;
    EXPECT_EQ(last.value("event", ""), "done") << last.dump();
    EXPECT_EQ(last.value("session", 0), 1) << last.dump();
    int size = info("emu:" + disc.string())["sessions"][0]["size"].get<int>();
    EXPECT_GE(size, last.value("blocks", 0)) << "the session holds what was written (BD-R pads to a 32-block cluster)";
    EXPECT_LT(size, last.value("blocks", 0) + 32) << last.dump();
}

// Write speed selection reaches the drive: SET STREAMING on DVD (4x = 5540 kB/s
// in the write-speed field), SET CD SPEED on CD (16x = 2822 kB/s); a bad
// speed is refused before anything is written.
TEST(MasterBurn, write_speed_reaches_the_drive) {
    TempDir dir{"burn-speed"};
    write_file(dir / "a/x.txt", "x\n");
    MasterDrive server({"dvd=dvd+r:" + (dir / "dvd.vdisc").string(), "cd=cd-r:" + (dir / "cd.vdisc").string()});
    ASSERT_TRUE(server.running()) << server.error();
    ASSERT_EQ(burn(server.url("dvd"), {"--from", (dir / "a").string(), "--speed", "4x"}).exit_code, 0);
    auto dvd = server.ctl({"trace", "dvd"}).out;
    auto at = dvd.find("\"op\":\"SET STREAMING\"");
    ASSERT_NE(at, std::string::npos) << dvd.substr(0, 3000);
    auto line = dvd.substr(at, dvd.find('\n', at) - at);
    EXPECT_NE(line.find("000015a4"), std::string::npos) << "5540 kB/s in the performance descriptor: " << line;
    ASSERT_EQ(burn(server.url("cd"), {"--from", (dir / "a").string(), "--speed", "16x"}).exit_code, 0);
    auto cd = server.ctl({"trace", "cd"}).out;
    EXPECT_NE(cd.find("\"op\":\"SET CD SPEED\",\"cdb\":\"bb00ffff0b06"), std::string::npos) << "2822 kB/s = 0B06h\n"
                                                                                           << cd.substr(0, 3000);
    auto bad = burn(server.url("cd"), {"--from", (dir / "a").string(), "--speed", "fast"});
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_NE(bad.err.find("--speed"), std::string::npos) << bad.err;
}

// An image whose session starts at block 0 (genisoimage's own layout: with
// Joliet, its file's data at block 31) burned onto overwritable media, then a session
// appended: blocks 0-31 get the new session's descriptors only, and the
// first session's data inside them stay (the new session refers to them).
TEST(ThirdPartyMasterBurn, a_session_at_block_0_keeps_its_data_when_one_is_appended) {
    DM_REQUIRE_PROGRAM("genisoimage");
    DM_REQUIRE_PROGRAM("osirrox");
    TempDir dir{"burn-at-0"};
    write_file(dir / "one/a.txt", "first session, stored below block 32\n");
    write_file(dir / "two/b.txt", "second\n");
    ASSERT_EQ(run({"genisoimage", "-quiet", "-R", "-J", "-o", (dir / "one.iso").string(), (dir / "one").string()}).exit_code,
              0);
    // (One overwritable profile: the session chain of a disc whose first
    // session is at block 0 is found by scanning the whole medium, a minute
    // on a BD-RE.)
    for (const char* profile : {"dvd+rw"}) {
        fs::path disc = dir / (std::string(profile) + ".vdisc");
        ASSERT_EQ(run({tool("master-image"), "create", disc.string(), "--media", profile}).exit_code, 0);
        auto r = burn("emu:" + disc.string(), {"--image", (dir / "one.iso").string()});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        r = burn("emu:" + disc.string(), {"--from", (dir / "two").string()});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        fs::path out = dir / (std::string(profile) + "-x");
        ASSERT_EQ(osirrox_extract((disc / "data.img").string(), out).exit_code, 0);
        EXPECT_EQ(read_file(out / "a.txt"), "first session, stored below block 32\n") << profile;
        EXPECT_EQ(read_file(out / "b.txt"), "second\n") << profile;
    }
}

// One workflow for images and discs (image/append.h): an appended session
// carries the file systems of the one it continues unless told otherwise (a
// UDF-only disc stays UDF-only, as master-image append keeps an image's),
// and an explicit volume name wins over the imported one. udfinfo reads
// the newest session from the disc's data.
TEST(ThirdPartyMasterBurn, an_appended_session_keeps_the_file_systems_and_takes_the_volume_name) {
    DM_REQUIRE_PROGRAM("udfinfo");
    TempDir dir{"burn-continue"};
    write_file(dir / "one/a.txt", "a\n");
    write_file(dir / "two/b.txt", "b\n");
    fs::path disc = dir / "d.vdisc";
    ASSERT_EQ(run({tool("master-image"), "create", disc.string(), "--media", "dvd+r"}).exit_code, 0);
    auto r = burn("emu:" + disc.string(), {"--from", (dir / "one").string(), "--fs", "udf", "--volume-name", "FIRST"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = burn("emu:" + disc.string(), {"--from", (dir / "two").string(), "--volume-name", "SECOND"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    json doc = info(disc.string());
    ASSERT_EQ(doc["sessions"].size(), 2u) << doc.dump(1);
    EXPECT_EQ(doc["sessions"][1]["file_systems"], json({"udf"})) << doc.dump(1);
    auto u = run({"udfinfo", (disc / "data.img").string()});
    ASSERT_EQ(u.exit_code, 0) << u.err;
    EXPECT_NE(u.out.find("\nlabel=SECOND\n"), std::string::npos) << u.out;
    EXPECT_NE(u.out.find("\nnumfiles=2\n"), std::string::npos) << u.out;
}
