// Issue 3, must-show 3: a writer process is killed (SIGKILL) at random moments
// while it burns; every sector a SYNCHRONIZE CACHE or CLOSE acknowledged is
// readable afterwards, the disc loads, and its TOC is one a real medium could have.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <random>

#include "emulator/media/disc_model.h"
#include "mastering/codec/bytes.h"
#include "tests/emulator/mmc_host.h"

using namespace dmtest;
namespace sc = mastering::scsi;
namespace mm = mastering::media;

namespace {

struct Report {
    uint32_t kind;  // 1: blocks [a, b) acknowledged; 2: a sessions closed
    uint32_t a, b;
};

emulator::CommandReply run(emulator::mmc::Drive& d, const sc::Cdb& c, std::span<const std::byte> out = {}) {
    std::vector<std::byte> in(256);
    return d.execute(1, c.bytes(), out, in);
}

// The child: burns sessions until it is killed, telling the parent what the
// drive acknowledged.
[[noreturn]] void writer(const std::string& path, Profile p, int fd, uint32_t seed) {
    auto disc = emulator::media::VirtualDisc::open(path);
    if (!disc.ok()) _exit(3);
    (*disc)->set_durable(false);  // a killed process loses nothing the kernel has
    emulator::mmc::Drive d;
    d.nexus_opened(1);
    if (!d.insert(std::move(*disc)).ok()) _exit(4);
    for (int i = 0; i < 4; ++i) run(d, sc::cdb::test_unit_ready());
    std::mt19937 rng(seed);
    bool overwritable = mm::is_overwritable(p);
    if (overwritable) {
        std::vector<std::byte> plist(12);
        plist[3] = std::byte{8};
        std::memset(&plist[4], 0xFF, 4);
        plist[8] = std::byte(uint8_t((p == Profile::dvd_plus_rw ? 0x26 : 0x00) << 2));
        run(d, sc::cdb::format_unit(), plist);
    }
    if (!overwritable) {  // keep the disc appendable after each session
        sc::WriteParameters w;
        w.write_type = mm::profile_info(p).family == mm::Family::cd ? 1 : 0;
        w.multisession = 3;
        auto list = sc::mode_sense10_reply(sc::encode_write_parameters(w));
        list[0] = list[1] = 0;
        run(d, sc::cdb::mode_select10(uint16_t(list.size())),
            std::span(reinterpret_cast<const std::byte*>(list.data()), list.size()));
    }
    uint32_t closed = 0, next_ow = 32;
    for (int session = 0; session < 50; ++session) {
        uint32_t start;
        if (overwritable) {
            start = next_ow;
        } else {
            std::vector<std::byte> in(48);
            auto r = d.execute(1, sc::cdb::read_track_information(1, 0xFF, 48).bytes(), {}, in);
            if (r.status != sc::Status::good) _exit(0);  // full
            start = mastering::codec::load_be32(&in[12]);
        }
        uint32_t lba = start, acked = start;
        int chunks = 4 + int(rng() % 12);
        for (int k = 0; k < chunks; ++k) {
            auto data = pattern(lba, 16);
            auto r = d.execute(1, sc::cdb::write10(lba, 16).bytes(), data, {});
            if (r.status != sc::Status::good) _exit(5);
            lba += 16;
            // (On CD a SYNCHRONIZE CACHE ends a TAO track: only at the track's end.)
            if (mm::profile_info(p).family != mm::Family::cd && rng() % 3 == 0) {
                if (run(d, sc::cdb::synchronize_cache()).status != sc::Status::good) _exit(6);
                Report rep{1, acked, lba};
                (void)!::write(fd, &rep, sizeof rep);
                acked = lba;
            }
        }
        if (run(d, sc::cdb::synchronize_cache()).status != sc::Status::good) _exit(6);
        Report rep{1, acked, lba};
        (void)!::write(fd, &rep, sizeof rep);
        if (!overwritable) {
            run(d, sc::cdb::close_track_session(1, 0xFF));
            if (run(d, sc::cdb::close_track_session(2, 0)).status != sc::Status::good) _exit(7);
            Report c{2, ++closed, 0};
            (void)!::write(fd, &c, sizeof c);
        }
        next_ow = (lba + 31) / 32 * 32;
    }
    _exit(0);
}

}  // namespace

TEST(DriveCrash, kill9_keeps_every_acknowledged_sector) {
    std::mt19937 rng(20261124);
    int trials = 0;
    for (Profile p : {Profile::cd_r, Profile::cd_rw, Profile::dvd_r, Profile::dvd_plus_r, Profile::bd_r,
                      Profile::dvd_plus_rw, Profile::bd_re}) {
        for (int t = 0; t < 8; ++t, ++trials) {
            SCOPED_TRACE(std::string(mm::profile_name(p)) + " trial " + std::to_string(t));
            TempDir dir("crash");
            std::string path = (dir / "d.vdisc").string();
            ASSERT_TRUE(emulator::media::VirtualDisc::create_blank(path, p, 2000000).ok());
            int fds[2];
            ASSERT_EQ(::pipe(fds), 0);
            pid_t pid = ::fork();
            ASSERT_GE(pid, 0);
            if (pid == 0) {
                ::close(fds[0]);
                writer(path, p, fds[1], rng());
            }
            ::close(fds[1]);
            ::usleep(useconds_t(500 + rng() % 25000));
            ::kill(pid, SIGKILL);
            int status = 0;
            ::waitpid(pid, &status, 0);
            std::vector<Report> reports;
            Report r;
            while (::read(fds[0], &r, sizeof r) == ssize_t(sizeof r)) reports.push_back(r);
            ::close(fds[0]);
            if (WIFEXITED(status)) {
                ASSERT_EQ(WEXITSTATUS(status), 0) << "the writer failed before it was killed";
            }

            // The disc loads and its state obeys the profile's rules.
            auto disc = emulator::media::VirtualDisc::open(path);
            ASSERT_TRUE(disc.ok()) << disc.error().message;
            EXPECT_EQ(emulator::media::check_invariants((*disc)->model()), "");
            uint32_t closed = 0;
            for (const auto& rep : reports)
                if (rep.kind == 2) closed = rep.a;
            uint32_t closed_now = 0;
            for (const auto& s : (*disc)->model().sessions) closed_now += s.closed;
            EXPECT_GE(closed_now, closed) << "every acknowledged CLOSE SESSION holds";
            auto drive = std::make_shared<emulator::mmc::Drive>();
            ASSERT_TRUE(drive->insert(std::move(*disc)).ok());
            Host h(drive, 9);
            h.settle();
            for (const auto& rep : reports)
                if (rep.kind == 1 && rep.b > rep.a) {
                    EXPECT_TRUE(h.read_matches(rep.a, rep.b - rep.a)) << rep.a << "-" << rep.b;
                }
            // A disc that was written is appendable (an incomplete track stays
            // incomplete; the next burn closes it or continues).
            if (!mm::is_overwritable(p) && !reports.empty()) {
                EXPECT_EQ(h.disc_info().disc_status, 1);
            }
        }
    }
    EXPECT_GE(trials, 50);
}

// A toc.json that describes no possible medium (edited, or damaged outside
// the drive) is refused with a clear error when the disc is opened.
TEST(VirtualDisc, a_toc_no_medium_could_have_is_refused_on_open) {
    TempDir dir;
    std::string path = (dir / "d.vdisc").string();
    {
        auto disc = emulator::media::VirtualDisc::create_blank(path, Profile::cd_r, 100000);
        ASSERT_TRUE(disc.ok()) << disc.error().message;
    }
    std::string good = read_file(fs::path(path) / "toc.json");
    ASSERT_TRUE(emulator::media::VirtualDisc::open(path).ok());
    auto with = [&](const std::function<void(nlohmann::json&)>& edit) {
        auto j = nlohmann::json::parse(good);
        edit(j);
        write_file(fs::path(path) / "toc.json", j.dump());
        auto disc = emulator::media::VirtualDisc::open(path);
        return disc.ok() ? std::string("opened") : disc.error().message;
    };
    EXPECT_NE(with([](auto& j) { j["sessions"] = nlohmann::json::array(); }).find("without a session"), std::string::npos);
    EXPECT_NE(with([](auto& j) { j["sessions"][0]["number"] = 2; }).find("sessions out of order"), std::string::npos);
    EXPECT_NE(with([](auto& j) {
                  j["sessions"][0]["closed"] = true;
              }).find("a closed session without tracks"),
              std::string::npos);
    EXPECT_EQ(with([](auto&) {}), "opened");
}
