// Issue 5: the burn engine's object model on the in-process emulator (emu:):
// DiscMaster's list of recorders, DiscRecorder's identity, profiles, tray and
// lock, exclusive use, and a burn cancelled half-way that the next burn
// appends after (judged by xorriso too).
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>

#include "emulator/media/vdisc.h"
#include "emulator/mmc/drive.h"
#include "mastering/burn/burn_tree.h"
#include "mastering/burn/recorder.h"
#include "mastering/image/image_file.h"
#include "mastering/iso9660/structures.h"
#include "mastering/rockridge/susp.h"
#include "mastering/scsi/mmc.h"
#include "tests/support/support.h"

using namespace dmtest;
using namespace mastering;
using media::Profile;

namespace {

struct Emu {
    TempDir dir{"burn-engine"};
    std::string path;
    explicit Emu(Profile p) {
        emulator::mmc::register_emu_transport();
        path = (dir / "disc.vdisc").string();
        auto d = emulator::media::VirtualDisc::create_blank(path, p);
        if (!d.ok()) throw std::runtime_error(d.error().message);
    }
    std::string address() const { return "emu:" + path; }
};

}  // namespace

TEST(BurnEngine, disc_master_lists_the_recorders_it_is_given) {
    Emu e(Profile::dvd_plus_r);
    auto list = burn::list_recorders({e.address(), "emu:" + (e.dir / "missing.vdisc").string()});
    auto it = std::find_if(list.begin(), list.end(), [&](const auto& r) { return r.address == e.address(); });
    ASSERT_NE(it, list.end()) << "the emulated recorder is listed";
    EXPECT_EQ(it->vendor, "DISCMSTR");
    EXPECT_FALSE(it->product.empty());
    EXPECT_EQ(it->current, Profile::dvd_plus_r);
    EXPECT_EQ(std::count_if(list.begin(), list.end(), [](const auto& r) { return r.address.find("missing") != std::string::npos; }), 0)
        << "an address that does not answer is left out";
}

TEST(BurnEngine, recorder_identity_profiles_tray_and_lock) {
    Emu e(Profile::bd_re);
    auto rec = burn::DiscRecorder::open(e.address());
    ASSERT_TRUE(rec.ok()) << rec.error().message;
    auto& r = **rec;
    EXPECT_EQ(r.vendor(), "DISCMSTR");
    EXPECT_FALSE(r.product().empty());
    EXPECT_FALSE(r.revision().empty());
    auto profiles = r.supported_profiles();
    for (Profile p : {Profile::cd_r, Profile::dvd_plus_r, Profile::dvd_rw, Profile::bd_r, Profile::bd_re})
        EXPECT_NE(std::find(profiles.begin(), profiles.end(), p), profiles.end()) << media::profile_name(p);
    auto cur = r.current_profile();
    ASSERT_TRUE(cur.ok()) << cur.error().message;
    EXPECT_EQ(*cur, Profile::bd_re);
    // Locked, the tray stays shut (a bare START STOP UNIT eject is refused:
    // medium removal prevented); eject() releases our own lock and opens it.
    ASSERT_TRUE(r.lock(true).ok());
    auto refused = r.command(scsi::cdb::start_stop_unit(true, false));
    ASSERT_TRUE(refused.ok());
    ASSERT_FALSE(refused->good()) << "eject while removal is prevented";
    ASSERT_TRUE(refused->sense.has_value());
    EXPECT_EQ(refused->sense->asc, 0x53);
    EXPECT_EQ(refused->sense->ascq, 0x02);
    ASSERT_TRUE(r.eject().ok());
    auto none = r.current_profile();
    EXPECT_TRUE(!none.ok() || *none == Profile::none) << "no medium with the tray open";
    ASSERT_TRUE(r.load().ok());
    ASSERT_TRUE(r.wait_ready().ok());
    auto back = r.current_profile();
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, Profile::bd_re);
}

TEST(BurnEngine, exclusive_use_of_a_disc) {
    Emu e(Profile::cd_r);
    auto first = burn::DiscRecorder::open(e.address(), true);
    ASSERT_TRUE(first.ok()) << first.error().message;
    auto second = burn::DiscRecorder::open(e.address(), true);
    ASSERT_FALSE(second.ok()) << "a disc is in one drive at a time";
    EXPECT_NE(second.error().message.find("another drive"), std::string::npos) << second.error().message;
}

TEST(ThirdPartyBurnEngine, a_cancelled_burn_keeps_earlier_sessions_and_the_next_burn_appends) {
    DM_REQUIRE_PROGRAM("osirrox");
    Emu e(Profile::dvd_plus_r);
    write_file(e.dir / "one/a.txt", "first\n");
    write_random_file(e.dir / "two/big.bin", 24 << 20, 8);
    write_file(e.dir / "three/c.txt", "third\n");
    auto rec = burn::DiscRecorder::open(e.address());
    ASSERT_TRUE(rec.ok()) << rec.error().message;
    burn::BurnRequest req;
    req.from = (e.dir / "one").string();
    auto first = burn::burn_tree(**rec, req);
    ASSERT_TRUE(first.ok()) << first.error().message;

    std::atomic<bool> cancel{false};
    int updates = 0;
    req.from = (e.dir / "two").string();
    req.write.cancel = &cancel;
    req.write.progress = [&](const burn::WriteProgress& p) {
        ++updates;
        EXPECT_LE(p.sectors, p.sectors_total);
        if (p.sectors > 0) cancel = true;  // after the first chunk
    };
    auto cancelled = burn::burn_tree(**rec, req);
    ASSERT_FALSE(cancelled.ok());
    EXPECT_EQ(cancelled.error().code, Errc::cancelled) << cancelled.error().message;
    EXPECT_NE(cancelled.error().message.find("earlier sessions are intact"), std::string::npos) << cancelled.error().message;
    EXPECT_GT(updates, 0);

    req.from = (e.dir / "three").string();
    req.write = {};
    req.write.verify = true;
    auto next = burn::burn_tree(**rec, req);
    ASSERT_TRUE(next.ok()) << next.error().message;
    EXPECT_TRUE(next->result.verified);
    burn::DiscFormatData f(**rec);
    auto m = f.media();
    ASSERT_TRUE(m.ok());
    // Session 1, the interrupted one (closed by the next burn), and the new one.
    EXPECT_EQ(m->toc.sessions.size(), 3u);
    EXPECT_EQ(m->toc.sessions.front().start, 0u);
    // xorriso reads the first session and the new one from the disc's data:
    // the first as burned, the new one with the first session's files and its own.
    TreeOptions o;
    o.modes = false;
    std::string data = e.path + "/data.img";
    ASSERT_EQ(osirrox_extract(data, e.dir / "x1", 0).exit_code, 0);
    EXPECT_EQ(diff_trees(scan_tree(e.dir / "one", o), scan_tree(e.dir / "x1", o), o), "");
    fs::copy(e.dir / "one", e.dir / "want", fs::copy_options::recursive);
    fs::copy(e.dir / "three", e.dir / "want", fs::copy_options::recursive);
    ASSERT_EQ(osirrox_extract(data, e.dir / "x3", m->toc.sessions.back().start).exit_code, 0);
    EXPECT_EQ(diff_trees(scan_tree(e.dir / "want", o), scan_tree(e.dir / "x3", o), o), "");
}

// On a disc with a TOC (sequential media), an appended session's volume
// space size counts from LBA 0 (the span its extents refer to): Linux refuses Rock
// Ridge continuation areas at or beyond it (and then falls back to Joliet,
// losing modes and symlinks), and every later session's continuation areas
// lie beyond the session's own size. The interop suite's meta_check shows it
// with the kernel itself.
TEST(BurnEngine, appended_sessions_on_sequential_media_count_their_volume_space_from_lba_0) {
    for (Profile p : {Profile::cd_r, Profile::dvd_plus_r, Profile::bd_r}) {
        Emu e(p);
        write_file(e.dir / "one/a.txt", "first\n");
        write_file(e.dir / ("two/a-rather-long-file-name-that-needs-a-rock-ridge-continuation-area-" + std::string(150, 'x') + ".txt"),
                   "second\n");
        auto rec = burn::DiscRecorder::open(e.address());
        ASSERT_TRUE(rec.ok()) << rec.error().message;
        for (const char* dir : {"one", "two"}) {
            burn::BurnRequest req;
            req.from = (e.dir / dir).string();
            auto r = burn::burn_tree(**rec, req);
            ASSERT_TRUE(r.ok()) << r.error().message;
        }
        burn::DiscFormatData f(**rec);
        auto m = f.media();
        ASSERT_TRUE(m.ok());
        ASSERT_EQ(m->toc.sessions.size(), 2u);
        const auto& second = m->toc.sessions.back();
        std::ifstream in(e.path + "/data.img", std::ios::binary);
        std::vector<std::byte> block(2048);
        in.seekg(std::streamoff(second.start + 16) * 2048);
        in.read(reinterpret_cast<char*>(block.data()), 2048);
        auto vd = iso9660::decode_volume_descriptor(block);
        ASSERT_TRUE(vd.ok()) << vd.error().message;
        EXPECT_GT(vd->volume_space_size, vd->root.extent) << media::profile_name(p);
        EXPECT_GT(vd->volume_space_size, second.start) << media::profile_name(p);
        EXPECT_LE(vd->volume_space_size, second.start + second.size) << media::profile_name(p);
        // The root's Rock Ridge continuation area (it holds the ER entry)
        // lies inside the volume space.
        in.seekg(std::streamoff(vd->root.extent) * 2048);
        in.read(reinterpret_cast<char*>(block.data()), 2048);
        auto dot = iso9660::decode_directory_record(block);
        ASSERT_TRUE(dot.ok()) << dot.error().message;
        std::vector<rockridge::CeLocation> continuations;
        auto rr = rockridge::parse_sua(dot->system_use, 0, [&](const rockridge::CeLocation& ce) -> Result<std::string> {
            continuations.push_back(ce);
            std::string area(ce.length, '\0');
            in.seekg(std::streamoff(ce.block) * 2048 + ce.offset);
            in.read(area.data(), std::streamsize(area.size()));
            return area;
        });
        ASSERT_TRUE(rr.ok()) << rr.error().message;
        EXPECT_FALSE(rr->extensions.empty()) << "the root's ER entry";
        ASSERT_FALSE(continuations.empty()) << "the root directory of " << media::profile_name(p) << " has a continuation area";
        for (const auto& ce : continuations) {
            EXPECT_LT(ce.block, vd->volume_space_size) << media::profile_name(p);
            EXPECT_GE(ce.block, second.start) << media::profile_name(p);
        }
        // The disc's data read as a plain image (no TOC): the sessions are
        // found from their descriptors all the same, with their own sizes.
        auto raw = image::open_image_medium(e.path + "/data.img");
        ASSERT_TRUE(raw.ok()) << raw.error().message;
        auto toc = (*raw)->toc();
        ASSERT_TRUE(toc.ok()) << media::profile_name(p) << ": " << toc.error().message;
        ASSERT_EQ(toc->sessions.size(), 2u) << media::profile_name(p);
        EXPECT_EQ(toc->sessions[1].start, second.start);
        EXPECT_EQ(toc->sessions[1].size, vd->volume_space_size - second.start);
    }
}
