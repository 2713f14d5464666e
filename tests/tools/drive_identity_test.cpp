// Issue 18, item 4: every drive of a farm has its own identity, kept across
// restarts, and its device identification VPD page is well formed, as
// sg3-utils' sg_vpd decodes it (the page fetched over iSCSI by libiscsi).
#include <gtest/gtest.h>

#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <regex>

#include "tests/support/libiscsi_session.h"
#include "tests/support/master_drive.h"
#include "tests/support/support.h"

using namespace dmtest;

namespace {

// A VPD page of the drive at `url`, as sg_vpd decodes it (--inhex: the page
// in hex in a file). Empty on failure (the test reports it).
std::string decoded_vpd_page(const std::string& url, int page, const fs::path& scratch) {
    LibiscsiSession s(url);
    EXPECT_TRUE(s) << s.error();
    if (!s) return {};
    scsi_task* task = iscsi_inquiry_sync(s.ctx(), s.lun(), 1, page, 255);
    EXPECT_TRUE(task && task->status == SCSI_STATUS_GOOD) << "INQUIRY VPD page " << page;
    if (!task || task->status != SCSI_STATUS_GOOD) {
        if (task) scsi_free_scsi_task(task);
        return {};
    }
    {
        std::ofstream hex(scratch);
        for (int i = 0; i < task->datain.size; ++i) {
            char b[4];
            std::snprintf(b, sizeof b, "%02x ", task->datain.data[i]);
            hex << b;
        }
        hex << "\n";
    }
    scsi_free_scsi_task(task);
    char page_arg[16];
    std::snprintf(page_arg, sizeof page_arg, "--page=0x%02x", page);
    auto r = run({"sg_vpd", "--long", "--inhex=" + scratch.string(), page_arg});
    EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_EQ(r.err.find("unexpected"), std::string::npos) << "sg_vpd finds a malformed designator:\n" << r.err << r.out;
    EXPECT_EQ(r.out.find("<<"), std::string::npos) << r.out;
    return r.out + r.err;
}

struct Identity {
    std::string serial, naa;
    bool operator==(const Identity& o) const { return serial == o.serial && naa == o.naa; }
};

Identity identity_of(const MasterDrive& md, const std::string& drive, const fs::path& scratch) {
    Identity id;
    std::smatch m;
    std::string serial = decoded_vpd_page(md.url(drive), 0x80, scratch);
    if (std::regex_search(serial, m, std::regex(R"(Unit serial number:\s*(\S+))"))) id.serial = m[1];
    std::string ident = decoded_vpd_page(md.url(drive), 0x83, scratch);
    EXPECT_NE(ident.find("NAA 3, Locally assigned"), std::string::npos) << ident;
    if (std::regex_search(ident, m, std::regex(R"(Locally assigned:\s*\[?(0x[0-9a-f]{16}))"))) id.naa = m[1];
    EXPECT_NE(ident.find(id.serial), std::string::npos) << "the T10 vendor ID designator carries the serial\n" << ident;
    return id;
}

}  // namespace

TEST(ThirdPartyDriveIdentity, each_drive_has_its_own_well_formed_identity_kept_across_restarts) {
    DM_REQUIRE_PROGRAM("sg_vpd");
    TempDir dir("drive-identity");
    std::vector<std::string> drives = {"dvd=dvd+r:" + (dir / "dvd.vdisc").string(),
                                       "bd=bd-re:" + (dir / "bd.vdisc").string(), "empty="};
    std::map<std::string, Identity> first;
    for (int start = 0; start < 2; ++start) {
        MasterDrive md(drives);
        ASSERT_TRUE(md.running()) << md.error();
        std::map<std::string, Identity> ids;
        for (const char* name : {"dvd", "bd", "empty"}) {
            ids[name] = identity_of(md, name, dir / "page.hex");
            EXPECT_EQ(ids[name].serial.size(), 16u) << name;
            EXPECT_EQ(ids[name].naa.size(), 18u) << name;
        }
        EXPECT_NE(ids["dvd"].serial, ids["bd"].serial);
        EXPECT_NE(ids["dvd"].serial, ids["empty"].serial);
        EXPECT_NE(ids["bd"].naa, ids["dvd"].naa);
        EXPECT_NE(ids["bd"].naa, ids["empty"].naa);
        if (start == 0) first = ids;
        else EXPECT_TRUE(ids == first) << "a restarted drive keeps its identity";
        EXPECT_EQ(md.stop(), 0) << md.log();
    }
}
