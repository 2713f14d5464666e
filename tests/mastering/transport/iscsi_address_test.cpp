// iSCSI addresses: parsed into their parts as libiscsi reads them, written
// back, refused with one line naming the part at fault, and shown without
// their secrets (issue 16, items 13 and 14).
#include <gtest/gtest.h>

#include <sys/stat.h>

#include "mastering/transport/iscsi_address.h"
#include "mastering/transport/transport.h"
#include "tests/support/support.h"

using namespace mastering;
using namespace mastering::transport;

TEST(IscsiAddress, parts_round_trip) {
    const char* cases[] = {
        "iscsi://127.0.0.1/iqn.2026-11.org.discmaster:burner/0",
        "iscsi://127.0.0.1:3261/iqn.2026-11.org.discmaster:burner/0",
        "iscsi://alice%a-long-secret@drives.example:3260/iqn.2026-11.org.discmaster:bd/7",
        "iscsi://alice@[::1]:3262/iqn.2026-11.org.discmaster:cd/0",
        "iscsi://[fe80::1]/iqn.x:y/12?header_digest=crc32c&target_user=t&target_password=p",
    };
    for (const char* text : cases) {
        auto a = parse_iscsi_address(text);
        ASSERT_TRUE(a.ok()) << text << ": " << a.error().message;
        EXPECT_EQ(format_iscsi_address(*a), text);
        auto again = parse_iscsi_address(format_iscsi_address(*a));
        ASSERT_TRUE(again.ok());
        EXPECT_EQ(*again, *a) << text;
    }
    auto a = parse_iscsi_address("iscsi://alice%s3cr%t@host.example:3300/iqn.2026-11.org.discmaster:burner/2");
    ASSERT_TRUE(a.ok()) << a.error().message;
    EXPECT_EQ(a->user, "alice");
    EXPECT_EQ(a->secret, "s3cr%t");  // the first '%' ends the user name, as libiscsi splits it
    EXPECT_EQ(a->host, "host.example");
    EXPECT_EQ(a->port, 3300);
    EXPECT_EQ(a->portal(), "host.example:3300");
    EXPECT_EQ(a->target, "iqn.2026-11.org.discmaster:burner");
    EXPECT_EQ(a->lun, 2u);
    auto colon = parse_iscsi_address("iscsi://bob:pw-with:colon@h/iqn.x:y/0");  // libiscsi's other separator
    ASSERT_TRUE(colon.ok());
    EXPECT_EQ(colon->user, "bob");
    EXPECT_EQ(colon->secret, "pw-with:colon");
    EXPECT_EQ(colon->portal(), "h:3260");
}

TEST(IscsiAddress, a_malformed_address_is_one_line_naming_the_part) {
    struct Case {
        const char* text;
        const char* says;
    } cases[] = {
        {"iscsi://127.0.0.1:32x0/iqn.x:d/0", "the port '32x0' is not a number from 1 to 65535"},
        {"iscsi://127.0.0.1:0/iqn.x:d/0", "the port '0'"},
        {"iscsi://127.0.0.1:70000/iqn.x:d/0", "the port '70000'"},
        {"iscsi://127.0.0.1:/iqn.x:d/0", "the port ''"},
        {"iscsi://127.0.0.1/iqn.x:d", "no LUN"},
        {"iscsi://127.0.0.1/iqn.x:d/zero", "the LUN 'zero' is not a number"},
        {"iscsi://127.0.0.1", "no target name"},
        {"iscsi://127.0.0.1//0", "no target name"},
        {"iscsi:///iqn.x:d/0", "no host"},
        {"iscsi://[::1/iqn.x:d/0", "closing ']'"},
        {"iscsi://@h/iqn.x:d/0", "user name before '@' is empty"},
        {"iscsi://h/iqn.x:d/0?header_digest=md5", "header_digest is crc32c or none"},
        {"iscsi://h/iqn.x:d/0?target_pasword=x", "unknown parameter 'target_pasword'"},
        {"iscsl://h/iqn.x:d/0", "not an iSCSI address"},
    };
    for (const auto& c : cases) {
        auto a = parse_iscsi_address(c.text);
        ASSERT_FALSE(a.ok()) << c.text;
        EXPECT_EQ(a.error().code, Errc::invalid_argument);
        EXPECT_NE(a.error().message.find(c.says), std::string::npos) << c.text << " -> " << a.error().message;
        EXPECT_EQ(a.error().message.find('\n'), std::string::npos) << a.error().message;
    }
    // Through open_transport as well: the same line, not libiscsi's three.
    auto t = open_transport("iscsi://127.0.0.1/iqn.x:d");
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.error().message.find("no LUN"), std::string::npos) << t.error().message;
    EXPECT_EQ(t.error().message.find('\n'), std::string::npos) << t.error().message;
}

TEST(IscsiAddress, secrets_are_masked_even_in_malformed_addresses) {
    EXPECT_EQ(redact_address("iscsi://alice%topsecret@h:3260/iqn.x:d/0"), "iscsi://alice%***@h:3260/iqn.x:d/0");
    EXPECT_EQ(redact_address("iscsi://alice:topsecret@h/iqn.x:d/0"), "iscsi://alice:***@h/iqn.x:d/0");
    EXPECT_EQ(redact_address("iscsi://alice@h:3260/iqn.x:d/0"), "iscsi://alice@h:3260/iqn.x:d/0");
    EXPECT_EQ(redact_address("iscsi://h:3260/iqn.x:d/0"), "iscsi://h:3260/iqn.x:d/0");
    EXPECT_EQ(redact_address("iscsi://h/iqn.x:d/0?target_user=t&target_password=topsecret&header_digest=none"),
              "iscsi://h/iqn.x:d/0?target_user=t&target_password=***&header_digest=none");
    EXPECT_EQ(redact_address("/dev/sr0"), "/dev/sr0");
    EXPECT_EQ(redact_address("emu:/discs/a.vdisc"), "emu:/discs/a.vdisc");
    // Malformed: still nothing of the secret.
    for (const char* text : {"iscsi://alice%topsecret@", "iscsi://alice%topsecret@h", "iscsi://alice:topsecret@h:x/y",
                             "iscsi://alice%topsecret@h:99999/iqn/zz", "iscsi://a%topsecret@b@c/iqn/0"}) {
        EXPECT_EQ(redact_address(text).find("topsecret"), std::string::npos) << redact_address(text);
        auto a = parse_iscsi_address(text);
        if (!a.ok()) {
            EXPECT_EQ(a.error().message.find("topsecret"), std::string::npos) << a.error().message;
        }
        auto t = open_transport(text);
        ASSERT_FALSE(t.ok()) << text;
        EXPECT_EQ(t.error().message.find("topsecret"), std::string::npos) << t.error().message;
    }
}

TEST(SecretFile, only_a_private_file_is_read) {
    dmtest::TempDir dir("secret-file");
    std::string path = (dir / "chap").string();
    dmtest::write_file(path, "a-long-secret-1\n");
    ::chmod(path.c_str(), 0600);
    auto lines = read_secret_lines(path);
    ASSERT_TRUE(lines.ok()) << lines.error().message;
    EXPECT_EQ(*lines, std::vector<std::string>{"a-long-secret-1"});

    dmtest::write_file(path, "burner=alice:secret-one-234\r\n\nbob:secret-two-5678");
    ::chmod(path.c_str(), 0400);
    lines = read_secret_lines(path);
    ASSERT_TRUE(lines.ok()) << lines.error().message;
    EXPECT_EQ(*lines, (std::vector<std::string>{"burner=alice:secret-one-234", "bob:secret-two-5678"}));

    for (mode_t mode : {0644, 0640, 0604, 0620, 0602}) {
        ::chmod(path.c_str(), mode);
        auto open = read_secret_lines(path);
        ASSERT_FALSE(open.ok()) << std::oct << mode;
        EXPECT_NE(open.error().message.find("chmod 600"), std::string::npos) << open.error().message;
        EXPECT_EQ(open.error().message.find("secret-one"), std::string::npos) << open.error().message;
    }
    dmtest::write_file(path, "\n\n");
    ::chmod(path.c_str(), 0600);
    auto empty = read_secret_lines(path);
    ASSERT_FALSE(empty.ok());
    EXPECT_NE(empty.error().message.find("empty"), std::string::npos) << empty.error().message;
    auto missing = read_secret_lines((dir / "nothing").string());
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message.find("nothing"), std::string::npos) << missing.error().message;
}
