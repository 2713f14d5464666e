// Issue 16, item 8: a damaged toc.json was accepted (a session starting
// inside recorded data, numbers of the wrong type silently converted, a FIFO
// in its place hung every tool, a data.img shorter than its tracks). Every
// one is refused when the disc is opened, with a message naming the field.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "emulator/media/vdisc.h"
#include "tests/emulator/mmc_host.h"

using namespace dmtest;
using emulator::media::VirtualDisc;
using nlohmann::json;

namespace {

// A DVD+R with one closed session of 32 blocks (track 1 at 0) and the open
// second session after it: the disc directory, released by its drive.
fs::path burned_disc(TempDir& dir) {
    fs::path at = dir / "burned.vdisc";
    {
        Host h(Profile::dvd_plus_r);
        h.settle();
        EXPECT_TRUE(h.write(h.next_writable(), 32, 1).good());
        h.ok(sc::cdb::close_track_session(1, 1));
        h.ok(sc::cdb::close_track_session(2, 0));
        auto disc = h.drive().eject(true);
        EXPECT_TRUE(disc.ok());
        fs::copy(h.disc_path(), at, fs::copy_options::recursive);
    }
    return at;
}

json read_toc(const fs::path& disc) { return json::parse(std::ifstream(disc / "toc.json")); }

// A copy of `disc` whose toc.json is `edit`ed; what opening it says.
std::string open_edited(const fs::path& disc, const std::string& name, const std::function<void(json&)>& edit) {
    fs::path copy = disc.parent_path() / (name + ".vdisc");
    fs::copy(disc, copy, fs::copy_options::recursive);
    json j = read_toc(copy);
    edit(j);
    std::ofstream(copy / "toc.json") << j.dump(2);
    auto opened = VirtualDisc::open(copy.string(), false);
    return opened.ok() ? "accepted" : opened.error().message;
}

void expect_refused(const std::string& said, const std::string& naming) {
    EXPECT_NE(said, "accepted") << naming;
    EXPECT_NE(said.find(naming), std::string::npos) << "the message names " << naming << ": " << said;
}

}  // namespace

TEST(TocJsonDamage, a_session_starting_inside_recorded_data_is_refused) {
    TempDir dir("toc-damage");
    fs::path disc = burned_disc(dir);
    ASSERT_EQ(read_toc(disc)["sessions"].size(), 2u);
    ASSERT_TRUE(VirtualDisc::open(disc.string(), false).ok()) << "the undamaged disc opens";
    for (uint32_t start : {0u, 16u, 1000u}) {
        auto said = open_edited(disc, "start" + std::to_string(start), [&](json& j) { j["sessions"][1]["start"] = start; });
        expect_refused(said, "session 2 starts at block " + std::to_string(start));
    }
    expect_refused(open_edited(disc, "wrap", [](json& j) { j["sessions"][1]["start"] = 4294967296ull; }),
                   "sessions[1].start: 4294967296 is too large");
}

TEST(TocJsonDamage, numbers_and_flags_of_the_wrong_type_are_refused_not_converted) {
    TempDir dir("toc-types");
    fs::path disc = burned_disc(dir);
    expect_refused(open_edited(disc, "negative", [](json& j) { j["capacity"] = -1; }), "capacity: -1 is negative");
    expect_refused(open_edited(disc, "fraction", [](json& j) { j["capacity"] = 1.5; }),
                   "capacity: 1.5 is not a whole number");
    expect_refused(open_edited(disc, "boolean", [](json& j) { j["formatted_blocks"] = true; }),
                   "formatted_blocks: true is not a number");
    expect_refused(open_edited(disc, "flag", [](json& j) { j["sessions"][0]["closed"] = 1; }),
                   "sessions[0].closed: 1 is not true or false");
    expect_refused(open_edited(disc, "track", [](json& j) { j["sessions"][0]["tracks"][0]["recorded"] = 4294967296ull; }),
                   "sessions[0].tracks[0].recorded: 4294967296 is too large");
    expect_refused(open_edited(disc, "text", [](json& j) { j["medium"] = 7; }), "medium: 7 is not a string");
    expect_refused(open_edited(disc, "list", [](json& j) { j["sessions"] = json::object(); }), "sessions: is not a list");
}

TEST(TocJsonDamage, a_data_file_shorter_than_the_recorded_tracks_is_refused) {
    TempDir dir("toc-short");
    fs::path disc = burned_disc(dir);
    ASSERT_EQ(::truncate((disc / "data.img").c_str(), 16 * 2048), 0);
    auto opened = VirtualDisc::open(disc.string(), false);
    ASSERT_FALSE(opened.ok()) << "16 of 32 recorded blocks in data.img";
    EXPECT_NE(opened.error().message.find("data.img: 16 blocks, but toc.json records data up to block 32"),
              std::string::npos)
        << opened.error().message;
}

TEST(TocJsonDamage, a_fifo_named_toc_json_is_refused_at_once) {
    TempDir dir("toc-fifo");
    fs::path disc = burned_disc(dir);
    fs::remove(disc / "toc.json");
    ASSERT_EQ(::mkfifo((disc / "toc.json").c_str(), 0644), 0);
    std::mutex m;
    std::condition_variable cv;
    std::optional<std::string> said;
    std::thread opener([&] {
        auto opened = VirtualDisc::open(disc.string(), false);
        std::lock_guard lock(m);
        said = opened.ok() ? "accepted" : opened.error().message;
        cv.notify_one();
    });
    std::unique_lock lock(m);
    bool answered = cv.wait_for(lock, std::chrono::seconds(5), [&] { return said.has_value(); });
    lock.unlock();
    if (!answered) {  // unblock the hung open (a writer end) so that the test ends
        int fd = ::open((disc / "toc.json").c_str(), O_WRONLY | O_NONBLOCK);
        if (fd >= 0) ::close(fd);
    }
    opener.join();
    EXPECT_TRUE(answered) << "opening hung on the FIFO";
    ASSERT_TRUE(said.has_value());
    EXPECT_NE(said->find("toc.json: not a regular file"), std::string::npos) << *said;
}
