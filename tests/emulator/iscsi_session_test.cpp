// Issue 4 and 18: the iSCSI target's login and session: negotiation, CHAP,
// discovery, NOP pings, and the I_T nexus across sessions (reinstatement,
// recovery without a reset unit attention), driven by a plain test initiator
// (tests/emulator/iscsi_host.h).
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "tests/emulator/iscsi_host.h"
#include "tests/emulator/iscsi_target.h"

using namespace dmtest;
using namespace emulator::iscsi;
using namespace std::chrono_literals;

TEST(IscsiTarget, login_negotiates_every_operational_key) {
    Target t;
    t.start();
    IscsiHost h(t.port());
    LoginOptions lo;
    lo.target = std::string(target_prefix) + "rom";
    lo.keys = {{"HeaderDigest", "CRC32C,None"}, {"DataDigest", "CRC32C,None"}, {"MaxConnections", "4"},
               {"InitialR2T", "No"}, {"ImmediateData", "Yes"}, {"MaxRecvDataSegmentLength", "65536"},
               {"MaxBurstLength", "1048576"}, {"FirstBurstLength", "131072"}, {"DefaultTime2Wait", "1"},
               {"DefaultTime2Retain", "30"}, {"MaxOutstandingR2T", "4"}, {"DataPDUInOrder", "Yes"},
               {"DataSequenceInOrder", "Yes"}, {"ErrorRecoveryLevel", "2"}, {"X-org.example.Color", "blue"}};
    ASSERT_EQ(h.login(lo), "");
    const auto& a = h.negotiated();
    auto at = [&](const char* k) { return a.count(k) ? a.at(k) : std::string("(missing)"); };
    EXPECT_EQ(at("HeaderDigest"), "CRC32C");
    EXPECT_EQ(at("DataDigest"), "CRC32C");
    EXPECT_EQ(at("MaxConnections"), "1");
    EXPECT_EQ(at("InitialR2T"), "No");
    EXPECT_EQ(at("ImmediateData"), "Yes");
    EXPECT_EQ(at("MaxBurstLength"), "1048576");
    EXPECT_EQ(at("FirstBurstLength"), "131072");
    EXPECT_EQ(at("DefaultTime2Wait"), "2") << "the larger of the two";
    EXPECT_EQ(at("DefaultTime2Retain"), "0") << "the smaller of the two";
    EXPECT_EQ(at("MaxOutstandingR2T"), "4");
    EXPECT_EQ(at("DataPDUInOrder"), "Yes");
    EXPECT_EQ(at("DataSequenceInOrder"), "Yes");
    EXPECT_EQ(at("ErrorRecoveryLevel"), "0");
    EXPECT_EQ(at("X-org.example.Color"), "NotUnderstood");
    EXPECT_EQ(at("TargetPortalGroupTag"), "1");
    EXPECT_NE(at("MaxRecvDataSegmentLength"), "(missing)") << "the target declares its own";
    // Digests are on from here: every PDU both ways carries CRC32C, and the
    // test initiator drops any PDU whose digest does not match.
    for (int i = 0; i < 3; ++i) h.command(tur, 0, false);
    auto r = h.command(read10(100, 200), 200 * 2048, true);
    ASSERT_TRUE(r.completed);
    EXPECT_EQ(r.status, 0);
    EXPECT_TRUE(r.data == t.image_blocks(100, 200)) << "400 KiB read with header and data digests";
    EXPECT_TRUE(h.nop_ping({1, 2, 3, 4, 5}));
    EXPECT_TRUE(h.logout());
}

TEST(IscsiTarget, bad_values_are_rejected_and_login_goes_on) {
    Target t;
    t.start();
    IscsiHost h(t.port());
    LoginOptions lo;
    lo.target = std::string(target_prefix) + "rom";
    lo.keys = {{"MaxBurstLength", "lots"}, {"HeaderDigest", "MD5"}, {"ErrorRecoveryLevel", "7"}};
    ASSERT_EQ(h.login(lo), "");
    EXPECT_EQ(h.negotiated().at("MaxBurstLength"), "Reject");
    EXPECT_EQ(h.negotiated().at("HeaderDigest"), "Reject");
    EXPECT_EQ(h.negotiated().at("ErrorRecoveryLevel"), "Reject");
    EXPECT_EQ(h.command(inquiry, 96, true).status, 0);
}

TEST(IscsiTarget, unknown_target_and_missing_names_are_refused) {
    Target t;
    t.start();
    IscsiHost h(t.port());
    LoginOptions lo;
    lo.target = std::string(target_prefix) + "nosuch";
    std::string err = h.login(lo);
    EXPECT_NE(err, "");
    EXPECT_EQ(h.login_status(), 0x0203) << "target not found: " << err << "\n" << t.log();
    EXPECT_TRUE(h.closed_by_target());
}

TEST(IscsiTarget, nop_in_pings_find_a_vanished_initiator) {
    ServerOptions so;
    so.nop_interval = 200ms;
    so.nop_timeout = 400ms;
    Target t(so);
    t.start();
    auto alive = t.session();
    auto gone = t.session();
    // `alive` answers every ping; `gone` never reads its socket again.
    bool answered = false;
    auto until = std::chrono::steady_clock::now() + 3s;
    while (std::chrono::steady_clock::now() < until) {
        auto p = alive->receive(100ms);
        if (!p || p->opcode() != 0x20 || p->u32(16) != 0xFFFFFFFF) continue;
        RawPdu n;
        n.bhs[0] = 0x40;
        n.bhs[1] = 0x80;
        n.set32(16, 0xFFFFFFFF);
        n.set32(20, p->u32(20));  // echo the target transfer tag
        n.set32(24, alive->cmd_sn());
        n.set32(28, alive->exp_stat_sn());
        ASSERT_TRUE(alive->send(n));
        answered = true;
    }
    EXPECT_TRUE(answered) << "the target pings an idle initiator";
    EXPECT_TRUE(gone->closed_by_target(5s)) << "an initiator that does not answer is dropped";
    EXPECT_TRUE(alive->nop_ping({4, 2})) << "one that answers stays";
    EXPECT_NE(t.log().find("gone"), std::string::npos);
}

TEST(IscsiTarget, send_targets_in_discovery_with_continuation) {
    std::vector<std::string> extra;
    for (int i = 0; i < 60; ++i) extra.push_back("spare-drive-number-" + std::to_string(i) + "=");
    Target t({}, extra);
    t.start();
    IscsiHost h(t.port());
    LoginOptions lo;  // discovery
    lo.keys = {{"MaxRecvDataSegmentLength", "512"}};
    ASSERT_EQ(h.login(lo), "");
    auto names = h.send_targets();
    EXPECT_EQ(names.size(), 62u) << "every target, over several Text Responses of at most 512 bytes";
    EXPECT_NE(std::find(names.begin(), names.end(), std::string(target_prefix) + "rom"), names.end());
    auto scsi = h.command(tur, 0, false);
    ASSERT_FALSE(scsi.other.empty());
    EXPECT_EQ(scsi.other.back().opcode(), 0x3F) << "no SCSI commands in a discovery session";
    // In a normal session SendTargets=All names the session's own target.
    auto n = t.session();
    auto own = n->send_targets();
    ASSERT_EQ(own.size(), 1u);
    EXPECT_EQ(own[0], std::string(target_prefix) + "rom");
}

TEST(IscsiTarget, chap_one_way_mutual_and_per_target) {
    Target t;
    AuthPolicy global;
    global.initiators.push_back({"alice", "alice-secret-12"});
    global.target = ChapSecret{"the-target", "target-secret-12"};
    t.farm().set_auth(global);
    AuthPolicy dvd_only;
    dvd_only.initiators.push_back({"bob", "bob-secret-1234"});
    Target::expect_ok(t.farm().set_target_auth("dvd", dvd_only));
    t.start();
    auto try_login = [&](const std::string& drive, std::optional<std::pair<std::string, std::string>> chap,
                         std::optional<std::pair<std::string, std::string>> mutual = std::nullopt) {
        IscsiHost h(t.port());
        LoginOptions lo;
        lo.target = std::string(target_prefix) + drive;
        lo.chap = chap;
        lo.mutual_chap = mutual;
        std::string err = h.login(lo);
        if (err.empty() && h.command(inquiry, 96, true).status != 0xFF) return std::string();
        return err.empty() ? std::string("no answer after login") : err;
    };
    EXPECT_EQ(try_login("rom", std::pair{"alice", "alice-secret-12"}), "") << "the right secret";
    EXPECT_NE(try_login("rom", std::pair{"alice", "wrong-secret-12"}), "") << "a wrong secret";
    EXPECT_NE(try_login("rom", std::pair{"mallory", "alice-secret-12"}), "") << "an unknown user";
    EXPECT_NE(try_login("rom", std::nullopt), "") << "no CHAP when CHAP is required";
    EXPECT_EQ(try_login("rom", std::pair{"alice", "alice-secret-12"}, std::pair{"the-target", "target-secret-12"}), "")
        << "mutual CHAP";
    EXPECT_NE(try_login("rom", std::pair{"alice", "alice-secret-12"}, std::pair{"the-target", "not-the-secret"}), "")
        << "the initiator catches a target that does not know the secret";
    EXPECT_EQ(try_login("dvd", std::pair{"bob", "bob-secret-1234"}), "") << "a per-target secret";
    EXPECT_NE(try_login("dvd", std::pair{"alice", "alice-secret-12"}), "") << "the global secret does not open it";
    IscsiHost h(t.port());
    LoginOptions lo;
    lo.target = std::string(target_prefix) + "rom";
    lo.chap = std::pair{"alice", "wrong-secret-12"};
    EXPECT_NE(h.login(lo), "");
    EXPECT_EQ(h.login_status(), 0x0201) << "authentication failure";
    EXPECT_TRUE(h.closed_by_target());
}


namespace {

// A host of `initiator` port `isid`, logged in to `drive` (no command sent yet).
std::unique_ptr<IscsiHost> port_login(Target& t, const std::string& drive, std::array<uint8_t, 6> isid,
                                      std::map<std::string, std::string> keys = {}) {
    auto h = std::make_unique<IscsiHost>(t.port());
    LoginOptions lo;
    lo.target = target_prefix + drive;
    lo.isid = isid;
    lo.keys = std::move(keys);
    auto err = h->login(lo);
    if (!err.empty()) throw std::runtime_error("login: " + err);
    return h;
}

// The ASC of the first command's answer: 0x29 for POWER ON/RESET, 0 for GOOD.
uint8_t first_asc(IscsiHost& h) {
    auto r = h.command(tur, 0, false);
    if (r.status == 0) return 0;
    return r.sense.size() > 12 ? r.sense[12] : 0xFF;
}

constexpr std::array<uint8_t, 6> k_port_a = {0x80, 0xAA, 0x00, 0x00, 0x00, 0x01};
constexpr std::array<uint8_t, 6> k_port_b = {0x80, 0xBB, 0x00, 0x00, 0x00, 0x02};

}  // namespace

// Issue 18: SendTargets leaves TargetAddress out unless addresses are
// announced, so that an initiator behind NAT or a port forward logs in where
// it discovered (RFC 7143 appendix C).
TEST(IscsiTarget, send_targets_names_no_address_unless_one_is_announced) {
    {
        Target t;
        t.start();
        IscsiHost h(t.port());
        ASSERT_EQ(h.login({}), "");
        auto keys = h.send_targets_keys();
        ASSERT_EQ(keys.size(), 2u) << "TargetName of rom and dvd, nothing else";
        for (const auto& [k, v] : keys) EXPECT_EQ(k, "TargetName") << v;
    }
    ServerOptions so;
    so.announce = {"192.0.2.7:3261", "gateway.example", "[2001:db8::1]"};
    Target t(so);
    t.start();
    IscsiHost h(t.port());
    ASSERT_EQ(h.login({}), "");
    auto keys = h.send_targets_keys();
    std::string port = std::to_string(t.port());
    std::vector<std::pair<std::string, std::string>> want;
    for (const char* name : {"dvd", "rom"}) {
        want.emplace_back("TargetName", std::string(target_prefix) + name);
        want.emplace_back("TargetAddress", "192.0.2.7:3261,1");
        want.emplace_back("TargetAddress", "gateway.example:" + port + ",1");
        want.emplace_back("TargetAddress", "[2001:db8::1]:" + port + ",1");
    }
    EXPECT_EQ(keys, want) << "each target with every announced address, the listening port by default";
    // What --announce accepts.
    EXPECT_EQ(*target_address("::1", 3260), "[::1]:3260,1");
    EXPECT_EQ(*target_address("[::1]:99", 3260), "[::1]:99,1");
    EXPECT_EQ(*target_address("host:1", 3260), "host:1,1");
    for (const char* bad : {"", ":3260", "host:0", "host:65536", "host:x", "[::1", "[::1]x", "a,b:1", "a b"})
        EXPECT_FALSE(target_address(bad, 3260).ok()) << bad;
    ServerOptions wrong;
    wrong.announce = {"host:99999"};
    DriveFarm farm(FarmOptions{wrong, {}, {}});
    EXPECT_FALSE(farm.start().ok()) << "a malformed announced address stops the start";
}

// Issue 18, RFC 7143 6.3.5: a login with the InitiatorName and ISID of a
// live session (TSIH 0) logs that session out implicitly and ends its tasks;
// another ISID is another initiator port and leaves it alone.
TEST(IscsiTarget, a_login_of_the_same_initiator_port_reinstates_the_session) {
    Target t;
    t.start();
    auto first = port_login(t, "dvd", k_port_a, {{"InitialR2T", "Yes"}, {"ImmediateData", "No"}});
    EXPECT_EQ(first_asc(*first), 0x29) << "a new nexus: power on/reset";
    // An unfinished WRITE: its data wait for our R2T answer.
    ASSERT_TRUE(first->send(write_command(*first, 16, first->next_itt())));
    auto r2t = first->receive();
    ASSERT_TRUE(r2t && r2t->opcode() == 0x31);
    // Another initiator port: both sessions live.
    auto other = port_login(t, "dvd", k_port_b);
    EXPECT_TRUE(first->nop_ping({1})) << "a login of another ISID does not touch the first session";
    // The same port again.
    auto second = port_login(t, "dvd", k_port_a);
    EXPECT_TRUE(first->closed_by_target(3s)) << "the first session is logged out";
    EXPECT_EQ(first_asc(*second), 0) << "the same nexus goes on: no reset unit attention";
    EXPECT_TRUE(other->nop_ping({2})) << "the other port's session goes on";
    for (const auto& line : t.farm().drive("dvd")->trace())
        EXPECT_EQ(line.find("WRITE"), std::string::npos) << "the unfinished WRITE never ran: " << line;
    EXPECT_EQ(t.farm().drive("dvd")->check_medium_invariants(), "");
    auto log = t.log();
    EXPECT_NE(log.find("session reinstatement"), std::string::npos) << log;
    EXPECT_NE(log.find("implicitly logged out"), std::string::npos) << log;
}

// Issue 18: after a connection drop the initiator logs in again with the
// same port and retries; the drive did not restart, so no 6/29/00. A Logout,
// another port, a nexus not resumed in time and a restart of the target each
// give a new nexus, and the power-on unit attention with it.
TEST(IscsiTarget, a_re_login_after_a_dropped_connection_raises_no_reset_unit_attention) {
    Target t;
    t.start();
    auto a = port_login(t, "rom", k_port_a);
    EXPECT_EQ(first_asc(*a), 0x29) << "a new nexus";
    a.reset();  // the connection drops: no Logout
    auto again = port_login(t, "rom", k_port_a);
    EXPECT_EQ(first_asc(*again), 0) << "the same initiator port resumes its nexus";
    auto other = port_login(t, "rom", k_port_b);
    EXPECT_EQ(first_asc(*other), 0x29) << "another initiator port is another nexus";
    ASSERT_TRUE(again->logout());
    auto after_logout = port_login(t, "rom", k_port_a);
    EXPECT_EQ(first_asc(*after_logout), 0x29) << "a Logout ended the nexus";
    after_logout.reset();
    t.restart();
    auto after_restart = port_login(t, "rom", k_port_a);
    EXPECT_EQ(first_asc(*after_restart), 0x29) << "a restarted target is a powered-on drive";
    auto log = t.log();
    for (const char* line : {"logged in to", "logged out", "connection lost without logout", "resumes its I_T nexus"})
        EXPECT_NE(log.find(line), std::string::npos) << line << " in\n" << log;
    EXPECT_NE(log.find("iqn.2026-11.org.discmaster.test:raw (127.0.0.1:"), std::string::npos)
        << "each line names the initiator and its address:\n" << log;
}

TEST(IscsiTarget, a_nexus_not_resumed_within_the_retention_time_is_closed) {
    ServerOptions so;
    so.nexus_retention = 200ms;
    Target t(so);
    t.start();
    auto a = port_login(t, "rom", k_port_a);
    EXPECT_EQ(first_asc(*a), 0x29);
    a.reset();
    std::this_thread::sleep_for(800ms);
    auto late = port_login(t, "rom", k_port_a);
    EXPECT_EQ(first_asc(*late), 0x29) << "the nexus was closed: a new one";
    EXPECT_NE(t.log().find("no new login within"), std::string::npos) << t.log();
}
