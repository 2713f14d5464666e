// transport::redact_address: what messages and /proc/mounts may show of a
// drive address. Every secret libiscsi would read from the URL is masked;
// everything else stays as it was written.
#include <gtest/gtest.h>

#include "mastering/transport/transport.h"

using mastering::transport::redact_address;

TEST(Transport, redact_address_masks_every_chap_secret) {
    EXPECT_EQ(redact_address("iscsi://alice%s3cret-123@127.0.0.1:3260/iqn.2026-11.org.discmaster:cd/0"),
              "iscsi://alice%***@127.0.0.1:3260/iqn.2026-11.org.discmaster:cd/0");
    // libiscsi takes the first '@' and the first '%': a secret with '%' in it is masked whole.
    EXPECT_EQ(redact_address("iscsi://u%a%b@h/iqn.x:y/0"), "iscsi://u%***@h/iqn.x:y/0");
    // "user:secret@" where there is no '%'.
    EXPECT_EQ(redact_address("iscsi://bob:pw@h:3261/iqn.x:y/1"), "iscsi://bob:***@h:3261/iqn.x:y/1");
    // The mutual CHAP secret in the arguments, wherever it stands.
    EXPECT_EQ(redact_address("iscsi://u%p@h/iqn.x:y/0?target_user=t&target_password=tp&header_digest=none"),
              "iscsi://u%***@h/iqn.x:y/0?target_user=t&target_password=***&header_digest=none");
    EXPECT_EQ(redact_address("iscsi://h/iqn.x:y/0?target_password=tp"), "iscsi://h/iqn.x:y/0?target_password=***");
    EXPECT_EQ(redact_address("iser://u%p@h/iqn.x:y/0"), "iser://u%***@h/iqn.x:y/0");
}

TEST(Transport, redact_address_leaves_addresses_without_secrets_alone) {
    for (const char* a : {"iscsi://127.0.0.1:3260/iqn.2026-11.org.discmaster:cd/0", "iscsi://alice@h/iqn.x:y/0",
                          "iscsi://h/iqn.x:y/0?target_user=t", "/dev/sr0", "emu:/tmp/a%b@c.vdisc",
                          "/home/u/disc:1@2.iso", "photos.iso", ""})
        EXPECT_EQ(redact_address(a), a);
}
