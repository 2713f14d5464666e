// Issue 18, item 4: a drive's identity is derived from its name and its
// disc's path, and the drive reports it in VPD pages 80h and 83h and in
// feature 0108h (tests/tools/drive_identity_test.cpp has sg_vpd judge the
// pages over iSCSI).
#include <gtest/gtest.h>

#include <unistd.h>

#include "mastering/codec/bytes.h"
#include "tests/emulator/mmc_host.h"

using namespace dmtest;
using emulator::mmc::DriveIdentity;

TEST(DriveIdentity, derived_from_the_name_and_the_absolute_disc_path) {
    auto a = DriveIdentity::derive("dvd", "/srv/discs/dvd.vdisc");
    auto again = DriveIdentity::derive("dvd", "/srv/discs/dvd.vdisc");
    EXPECT_EQ(a.serial, again.serial);
    EXPECT_EQ(a.naa, again.naa);
    for (const auto& other : {DriveIdentity::derive("bd", "/srv/discs/dvd.vdisc"),
                              DriveIdentity::derive("dvd", "/srv/other/dvd.vdisc"), DriveIdentity::derive("dvd", "")}) {
        EXPECT_NE(other.serial, a.serial);
        EXPECT_NE(other.naa, a.naa);
    }
    EXPECT_EQ(a.serial.size(), 16u);
    EXPECT_EQ(a.serial.substr(0, 2), "DM");
    EXPECT_EQ(a.naa >> 60, 3u) << "NAA 3: locally assigned";
    char cwd[4096];
    ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
    EXPECT_EQ(DriveIdentity::derive("dvd", "d/x.vdisc").naa, DriveIdentity::derive("dvd", std::string(cwd) + "/d/x.vdisc").naa)
        << "a relative path names the same drive as its absolute path";
}

TEST(DriveIdentity, reported_in_the_vpd_pages_and_the_serial_number_feature) {
    emulator::mmc::DriveOptions options;
    options.identity = DriveIdentity::derive("burner", "/srv/discs/burner.vdisc");
    auto drive = std::make_shared<emulator::mmc::Drive>(options);
    Host h(drive, 1);
    Reply serial = h.ok(sc::cdb::inquiry(255, 0x80), {}, 255);
    ASSERT_GE(serial.data.size(), 4u);
    EXPECT_EQ(std::string(serial.data.begin() + 4, serial.data.end()), options.identity.serial);

    Reply ident = h.ok(sc::cdb::inquiry(255, 0x83), {}, 255);
    ASSERT_GE(ident.data.size(), 4u);
    ASSERT_EQ(mastering::codec::load_be16(&ident.data[2]) + 4u, ident.data.size()) << "the page length";
    int naa = 0, t10 = 0;
    for (size_t p = 4; p < ident.data.size();) {
        ASSERT_LE(p + 4, ident.data.size());
        const uint8_t* d = &ident.data[p];
        size_t length = d[3];
        ASSERT_LE(p + 4 + length, ident.data.size()) << "a designator inside the page";
        EXPECT_EQ(d[1] & 0x30, 0) << "associated with the logical unit";
        if ((d[1] & 0x0F) == 3) {  // NAA
            ++naa;
            EXPECT_EQ(d[0] & 0x0F, 1) << "binary";
            ASSERT_EQ(length, 8u) << "NAA 3 is 8 bytes";
            EXPECT_EQ(mastering::codec::load_be64(d + 4), options.identity.naa);
        } else if ((d[1] & 0x0F) == 1) {  // T10 vendor ID
            ++t10;
            EXPECT_EQ(d[0] & 0x0F, 2) << "ASCII";
            std::string text(d + 4, d + 4 + length);
            EXPECT_EQ(text.substr(0, 8), "DISCMSTR");
            EXPECT_NE(text.find(options.identity.serial), std::string::npos) << text;
        }
        p += 4 + length;
    }
    EXPECT_EQ(naa, 1);
    EXPECT_EQ(t10, 1);

    auto configuration = h.configuration(2, 0x0108);
    const auto* feature = configuration.feature(0x0108);
    ASSERT_NE(feature, nullptr);
    EXPECT_EQ(std::string(feature->data.begin(), feature->data.end()), options.identity.serial);
}
