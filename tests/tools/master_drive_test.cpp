// Issue 4: master-drive as a program, judged by libiscsi's tools and its
// conformance suite (iscsi-test-cu), with CHAP, the control socket, config
// files and a clean stop on SIGTERM.
#include <gtest/gtest.h>

#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "emulator/iscsi/login.h"
#include "tests/support/libiscsi_session.h"
#include "tests/support/master_drive.h"
#include "tests/support/support.h"

using namespace dmtest;

namespace {

constexpr uint64_t k_rom_blocks = 8192;  // a 16 MiB image: served as a CD-ROM

struct Farm {
    TempDir dir{"master-drive-test"};
    std::string image;
    std::unique_ptr<MasterDrive> drive;

    explicit Farm(const std::vector<std::string>& extra = {}, bool with_rom = true) {
        std::vector<std::string> drives = {"dvd=dvd+r:" + (dir / "dvd.vdisc").string()};
        if (with_rom) {
            write_random_file(dir / "rom.img", k_rom_blocks * 2048, 77);
            image = read_file(dir / "rom.img");
            drives.insert(drives.begin(), "rom=" + (dir / "rom.img").string());
        }
        drive = std::make_unique<MasterDrive>(drives, extra);
    }
};

// CUnit's summary row of iscsi-test-cu: "tests  total  ran  passed  failed  inactive".
struct CuResult {
    bool found = false;
    int ran = 0, passed = 0, failed = 0;
};
CuResult parse_cunit(const std::string& out) {
    std::regex row(R"(^\s*tests\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+))");
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
        std::smatch m;
        if (std::regex_search(line, m, row)) return {true, std::stoi(m[2]), std::stoi(m[3]), std::stoi(m[4])};
    }
    return {};
}

// The test's own initiator, a libiscsi session that stays open.
using Session = LibiscsiSession;
LibiscsiSession::Options as(const std::string& initiator) {
    LibiscsiSession::Options o;
    o.initiator = initiator;
    return o;
}

#define REQUIRE_LIBISCSI_TOOLS()                 \
    do {                                         \
        DM_REQUIRE_PROGRAM("iscsi-ls");          \
        DM_REQUIRE_PROGRAM("iscsi-inq");         \
        DM_REQUIRE_PROGRAM("iscsi-readcapacity16"); \
    } while (0)

}  // namespace

TEST(ThirdPartyMasterDrive, libiscsi_tools_discover_inquire_and_read_capacity) {
    REQUIRE_LIBISCSI_TOOLS();
    // iscsi-ls lists only the targets SendTargets gives an address with
    // (libiscsi does not fall back to the discovery address as RFC 7143 has
    // it): announce the listening address.
    Farm f({"--announce", "127.0.0.1"});
    ASSERT_TRUE(f.drive->running()) << f.drive->error();
    // Discovery (SendTargets) lists one target per drive, each with a CD/DVD LUN 0.
    auto ls = run({"iscsi-ls", "-s", "iscsi://" + f.drive->portal()});
    ASSERT_EQ(ls.exit_code, 0) << ls.err << ls.out;
    EXPECT_NE(ls.out.find("Target:iqn.2026-11.org.discmaster:rom Portal:" + f.drive->portal()), std::string::npos)
        << ls.out;
    EXPECT_NE(ls.out.find("Target:iqn.2026-11.org.discmaster:dvd Portal:" + f.drive->portal()), std::string::npos)
        << ls.out;
    EXPECT_NE(ls.out.find("Lun:0"), std::string::npos) << ls.out;
    EXPECT_NE(ls.out.find("MMC"), std::string::npos) << "a multimedia device:\n" << ls.out;

    // Standard INQUIRY: peripheral device type 5 (CD/DVD), removable.
    auto inq = run({"iscsi-inq", f.drive->url("rom")});
    ASSERT_EQ(inq.exit_code, 0) << inq.err << inq.out;
    EXPECT_NE(inq.out.find("Peripheral Device Type:MMC"), std::string::npos) << inq.out;
    EXPECT_NE(inq.out.find("Removable:1"), std::string::npos) << inq.out;
    EXPECT_NE(inq.out.find("Vendor:"), std::string::npos) << inq.out;
    // VPD pages: the list of supported pages, the unit serial number and the device identification.
    auto pages = run({"iscsi-inq", "-e", "1", "-c", "0", f.drive->url("rom")});
    ASSERT_EQ(pages.exit_code, 0) << pages.err << pages.out;
    EXPECT_NE(pages.out.find("0x80"), std::string::npos) << pages.out;
    EXPECT_NE(pages.out.find("0x83"), std::string::npos) << pages.out;
    auto serial = run({"iscsi-inq", "-e", "1", "-c", "128", f.drive->url("rom")});
    ASSERT_EQ(serial.exit_code, 0) << serial.err << serial.out;
    EXPECT_NE(serial.out.find("Unit Serial Number:"), std::string::npos) << serial.out;
    auto ident = run({"iscsi-inq", "-e", "1", "-c", "131", f.drive->url("rom")});
    ASSERT_EQ(ident.exit_code, 0) << ident.err << ident.out;
    EXPECT_NE(ident.out.find("Designator"), std::string::npos) << ident.out;

    // READ CAPACITY(16): the last LBA and 2048-byte blocks of the read-only disc.
    auto cap = run({"iscsi-readcapacity16", f.drive->url("rom")});
    ASSERT_EQ(cap.exit_code, 0) << cap.err << cap.out;
    EXPECT_NE(cap.out.find("LOGICAL BLOCK LENGTH IN BYTES:2048"), std::string::npos) << cap.out;
    EXPECT_NE(cap.out.find("RETURNED LOGICAL BLOCK ADDRESS:" + std::to_string(k_rom_blocks - 1)), std::string::npos) << cap.out;
    EXPECT_NE(cap.out.find("Total size:" + std::to_string(k_rom_blocks * 2048)), std::string::npos) << cap.out;
}

// The families of libiscsi's conformance suite that apply to an MMC device
// (docs/master-drive.md lists those left out and why).
TEST(ThirdPartyMasterDrive, libiscsi_conformance_suite_passes) {
    DM_REQUIRE_PROGRAM("iscsi-test-cu");
    Farm f;
    ASSERT_TRUE(f.drive->running()) << f.drive->error();
    const std::vector<std::string> families = {"iSCSI",           "SCSI.Inquiry",      "SCSI.TestUnitReady",
                                               "SCSI.ReadCapacity10", "SCSI.Read10",   "SCSI.Read12",
                                               "SCSI.PreventAllow", "SCSI.StartStopUnit", "SCSI.ModeSense6",
                                               "SCSI.ReportSupportedOpcodes", "SCSI.ReadCapacity16", "SCSI.Verify10"};
    int total = 0;
    for (const auto& family : families) {
        auto r = run({"iscsi-test-cu", "-s", "--test=" + family, f.drive->url("rom")}, {.timeout = std::chrono::seconds(300)});
        auto cu = parse_cunit(r.out);
        ASSERT_TRUE(cu.found) << family << ": no CUnit summary\n" << r.out << r.err;
        EXPECT_GT(cu.ran, 0) << family << " ran nothing:\n" << r.out;
        EXPECT_EQ(cu.failed, 0) << family << ":\n" << r.out;
        EXPECT_EQ(cu.passed, cu.ran) << family << ":\n" << r.out;
        total += cu.passed;
        std::printf("%-30s ran %d, passed %d, failed %d\n", family.c_str(), cu.ran, cu.passed, cu.failed);
    }
    EXPECT_GE(total, 50) << "tests passed over all families";
    EXPECT_EQ(f.drive->stop(), 0) << f.drive->log();
}

TEST(ThirdPartyMasterDrive, chap_one_way_mutual_wrong_and_missing_secrets) {
    REQUIRE_LIBISCSI_TOOLS();
    Farm f({"--chap", "alice:alice-secret-123", "--chap-target", "drive:drive-secret-456"});
    ASSERT_TRUE(f.drive->running()) << f.drive->error();
    auto inq = [&](const std::string& url) { return run({"iscsi-inq", url}, {.timeout = std::chrono::seconds(60)}); };
    auto right = inq(f.drive->url("rom", "alice", "alice-secret-123"));
    EXPECT_EQ(right.exit_code, 0) << "the right secret logs in\n" << right.err;
    EXPECT_NE(right.out.find("Peripheral Device Type:MMC"), std::string::npos) << right.out;
    auto wrong = inq(f.drive->url("rom", "alice", "not-the-secret-1"));
    EXPECT_NE(wrong.exit_code, 0) << "a wrong secret is refused\n" << wrong.out;
    auto nobody = inq(f.drive->url("rom", "mallory", "alice-secret-123"));
    EXPECT_NE(nobody.exit_code, 0) << "an unknown user is refused\n" << nobody.out;
    auto none = inq(f.drive->url("rom"));
    EXPECT_NE(none.exit_code, 0) << "no CHAP at all is refused when CHAP is required\n" << none.out;
    // Mutual CHAP: the initiator also checks the target's answer.
    auto mutual = inq(f.drive->url("rom", "alice", "alice-secret-123") + "?target_user=drive&target_password=drive-secret-456");
    EXPECT_EQ(mutual.exit_code, 0) << "mutual CHAP\n" << mutual.err;
    auto impostor = inq(f.drive->url("rom", "alice", "alice-secret-123") + "?target_user=drive&target_password=wrong-secret-789");
    EXPECT_NE(impostor.exit_code, 0) << "the initiator refuses a target that does not know its secret\n" << impostor.out;
    auto log = f.drive->log();
    EXPECT_NE(log.find("CHAP"), std::string::npos) << "refusals are logged:\n" << log;
}

TEST(ThirdPartyMasterDrive, per_target_chap_leaves_other_drives_open) {
    REQUIRE_LIBISCSI_TOOLS();
    Farm f({"--chap", "dvd=bob:bob-secret-12345"});
    ASSERT_TRUE(f.drive->running()) << f.drive->error();
    EXPECT_EQ(run({"iscsi-inq", f.drive->url("rom")}).exit_code, 0) << "rom needs no CHAP";
    EXPECT_NE(run({"iscsi-inq", f.drive->url("dvd")}).exit_code, 0) << "dvd needs CHAP";
    EXPECT_EQ(run({"iscsi-inq", f.drive->url("dvd", "bob", "bob-secret-12345")}).exit_code, 0);
}

TEST(ThirdPartyMasterDrive, ctl_status_insert_eject_fault_and_trace) {
    REQUIRE_LIBISCSI_TOOLS();
    Farm f;
    ASSERT_TRUE(f.drive->running()) << f.drive->error();
    {
        Session s(f.drive->url("dvd"), as("iqn.2026-11.org.discmaster.test:watcher"));
        ASSERT_TRUE(s) << s.error() << f.drive->log();
        auto st = f.drive->ctl({"status"});
        ASSERT_EQ(st.exit_code, 0) << st.err;
        EXPECT_NE(st.out.find("rom  (iqn.2026-11.org.discmaster:rom)"), std::string::npos) << st.out;
        EXPECT_NE(st.out.find("cd-rom, complete"), std::string::npos) << st.out;
        EXPECT_NE(st.out.find("dvd+r, blank"), std::string::npos) << st.out;
        EXPECT_NE(st.out.find("initiator:  iqn.2026-11.org.discmaster.test:watcher from 127.0.0.1:"), std::string::npos)
            << "a connected initiator shows\n" << st.out;
        auto js = f.drive->ctl({"status", "--json"});
        ASSERT_EQ(js.exit_code, 0) << js.err;
        auto doc = nlohmann::json::parse(js.out);
        ASSERT_EQ(doc["drives"].size(), 2u);
        EXPECT_EQ(doc["drives"][0]["medium"]["capacity"].get<uint64_t>(), k_rom_blocks);
    }
    // Eject the blank DVD+R, insert a BD-R that does not exist yet (made blank).
    auto ej = f.drive->ctl({"eject", "dvd"});
    ASSERT_EQ(ej.exit_code, 0) << ej.err;
    auto st = f.drive->ctl({"status"});
    EXPECT_NE(st.out.find("medium:     none"), std::string::npos) << st.out;
    auto ins = f.drive->ctl({"insert", "dvd", "bd-r:" + (f.dir / "new.vdisc").string()});
    ASSERT_EQ(ins.exit_code, 0) << ins.err;
    st = f.drive->ctl({"status"});
    EXPECT_NE(st.out.find("bd-r, blank"), std::string::npos) << st.out;
    auto again = f.drive->ctl({"insert", "dvd", "dvd+r:" + (f.dir / "other.vdisc").string()});
    EXPECT_NE(again.exit_code, 0);
    EXPECT_NE(again.err.find("already holds a medium"), std::string::npos) << again.err;
    // The initiator sees the new medium: READ CAPACITY answers for the BD-R after its unit attention.
    auto cap = run({"iscsi-readcapacity16", f.drive->url("dvd")});
    EXPECT_EQ(cap.exit_code, 0) << cap.err << cap.out;

    // A fault plan: every command not ready, then cleared.
    auto fault = f.drive->ctl({"fault", "rom", "not-ready:1000"});
    ASSERT_EQ(fault.exit_code, 0) << fault.err;
    EXPECT_NE(fault.out.find("not-ready"), std::string::npos) << fault.out;
    EXPECT_NE(run({"iscsi-readcapacity16", f.drive->url("rom")}).exit_code, 0) << "the drive is not ready";
    auto bad = f.drive->ctl({"fault", "rom", "explode:3"});
    EXPECT_NE(bad.exit_code, 0) << "an unknown fault is refused";
    ASSERT_EQ(f.drive->ctl({"fault", "rom", "none"}).exit_code, 0);
    auto cap2 = run({"iscsi-readcapacity16", f.drive->url("rom")});
    EXPECT_EQ(cap2.exit_code, 0) << cap2.err << cap2.out;

    // The trace shows the commands the initiators sent, by name.
    auto tr = f.drive->ctl({"trace", "rom", "--clear"});
    ASSERT_EQ(tr.exit_code, 0) << tr.err;
    EXPECT_NE(tr.out.find("READ CAPACITY(16)"), std::string::npos) << tr.out;
    EXPECT_NE(tr.out.find("\"sense\":\"2/04/01\""), std::string::npos) << "the not-ready sense is in the trace\n" << tr.out;
    auto tr2 = f.drive->ctl({"trace", "rom"});
    EXPECT_EQ(tr2.out.find("READ CAPACITY(16)"), std::string::npos) << "cleared\n" << tr2.out;

    auto unknown = f.drive->ctl({"eject", "nosuch"});
    EXPECT_NE(unknown.exit_code, 0);
    EXPECT_NE(unknown.err.find("nosuch"), std::string::npos) << unknown.err;
    EXPECT_EQ(f.drive->stop(), 0) << f.drive->log();
}

// SIGTERM stops the server with every acknowledged write in the disc's file,
// and the disc can be served again with what was written.
TEST(ThirdPartyMasterDrive, sigterm_keeps_every_acknowledged_write) {
    Farm f({}, false);
    ASSERT_TRUE(f.drive->running()) << f.drive->error();
    write_random_file(f.dir / "payload", 64 * 2048, 5);
    std::string payload = read_file(f.dir / "payload");
    {
        Session s(f.drive->url("dvd"));
        ASSERT_TRUE(s) << s.error() << f.drive->log();
        for (uint32_t lba = 0; lba < 64; lba += 16) {
            scsi_task* t = iscsi_write10_sync(s.ctx(), 0, lba, reinterpret_cast<unsigned char*>(payload.data()) + lba * 2048,
                                              16 * 2048, 2048, 0, 0, 0, 0, 0);
            ASSERT_TRUE(t && t->status == SCSI_STATUS_GOOD) << "WRITE(10) at " << lba << ": " << iscsi_get_error(s.ctx());
            scsi_free_scsi_task(t);
        }
        // No SYNCHRONIZE CACHE: the initiator stays logged in while the server is stopped.
        EXPECT_EQ(f.drive->stop(15), 0) << f.drive->log();
        s.abandon();
    }
    EXPECT_NE(f.drive->log().find("every medium synchronized"), std::string::npos) << f.drive->log();
    std::string data = read_file(f.dir / "dvd.vdisc" / "data.img");
    ASSERT_GE(data.size(), payload.size());
    EXPECT_TRUE(data.compare(0, payload.size(), payload) == 0) << "the written blocks are in data.img";

    // Served again, the disc reads back what was written.
    MasterDrive again({"dvd=" + (f.dir / "dvd.vdisc").string()});
    ASSERT_TRUE(again.running()) << again.error();
    Session s(again.url("dvd"));
    ASSERT_TRUE(s);
    scsi_task* t = iscsi_read10_sync(s.ctx(), 0, 0, 64 * 2048, 2048, 0, 0, 0, 0, 0);
    ASSERT_TRUE(t && t->status == SCSI_STATUS_GOOD) << iscsi_get_error(s.ctx());
    ASSERT_EQ(t->datain.size, int(payload.size()));
    EXPECT_EQ(std::memcmp(t->datain.data, payload.data(), payload.size()), 0);
    scsi_free_scsi_task(t);
}

TEST(ThirdPartyMasterDrive, drives_and_secrets_from_a_config_file) {
    REQUIRE_LIBISCSI_TOOLS();
    TempDir dir{"master-drive-config"};
    write_random_file(dir / "disc.iso", 512 * 2048, 9);
    write_file(dir / "drives.toml", "# master-drive serve --config drives.toml\n"
                                    "[serve]\n"
                                    "drive = [\"cd=cd-r:" + (dir / "cd.vdisc").string() + "\", \"iso=" +
                                        (dir / "disc.iso").string() + "\"]\n"
                                    "chap = [\"iso=carol:carol-secret-99\"]\n"
                                    "announce = [\"127.0.0.1\"]\n"
                                    "nop-interval = 5\n");
    MasterDrive d({}, {"--config", (dir / "drives.toml").string()});
    ASSERT_TRUE(d.running()) << d.error();
    auto ls = run({"iscsi-ls", "iscsi://" + d.portal()});
    EXPECT_NE(ls.out.find("discmaster:cd "), std::string::npos) << ls.out;
    EXPECT_NE(ls.out.find("discmaster:iso "), std::string::npos) << ls.out;
    EXPECT_NE(run({"iscsi-readcapacity16", d.url("iso")}).exit_code, 0) << "iso needs CHAP";
    auto cap = run({"iscsi-readcapacity16", d.url("iso", "carol", "carol-secret-99")});
    EXPECT_NE(cap.out.find("RETURNED LOGICAL BLOCK ADDRESS:511"), std::string::npos) << cap.out << cap.err;
    auto st = d.ctl({"status"});
    EXPECT_NE(st.out.find("cd-r, blank"), std::string::npos) << st.out;
}

TEST(ThirdPartyMasterDrive, bad_arguments_get_a_clear_error) {
    TempDir dir{"master-drive-args"};
    auto r = run({tool("master-drive"), "serve", "--listen", "127.0.0.1:0", "--drive", "x=floppy:" + (dir / "x").string()});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("floppy"), std::string::npos) << r.err;
    r = run({tool("master-drive"), "serve", "--listen", "nowhere:99999", "--drive", "x="});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("--listen"), std::string::npos) << r.err;
    r = run({tool("master-drive"), "serve", "--listen", "127.0.0.1:0", "--drive", "x=", "--announce", "host:99999"});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("host:99999"), std::string::npos) << r.err;
    r = run({tool("master-drive"), "serve", "--drive", "x=", "--chap", "nosecret"});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("USER:SECRET"), std::string::npos) << r.err;
    r = run({tool("master-drive"), "ctl", "--control", (dir / "none.sock").string(), "status"});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("cannot reach master-drive"), std::string::npos) << r.err;
}
