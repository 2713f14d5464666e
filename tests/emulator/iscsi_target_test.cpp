// Issue 4: the iSCSI target's full feature phase, driven PDU by PDU by a plain
// test initiator (tests/emulator/iscsi_host.h) and by libiscsi (the
// 64-session run). Login and session matters: iscsi_session_test.cpp.
#include <gtest/gtest.h>

#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <poll.h>

#include <random>
#include <thread>

#include "emulator/iscsi/crc32c.h"
#include "emulator/iscsi/drive_farm.h"
#include "tests/emulator/iscsi_host.h"
#include "tests/emulator/iscsi_target.h"
#include "tests/support/libiscsi_session.h"
#include "tests/support/support.h"

using namespace dmtest;
using namespace emulator::iscsi;
using mastering::media::Profile;
using namespace std::chrono_literals;

TEST(IscsiTarget, reads_report_residuals_and_sense) {
    Target t;
    t.start();
    auto h = t.session();
    auto r = h->command(read10(3, 1), 200, true);
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.data.size(), 200u);
    EXPECT_EQ(r.residual_flags, 0x04) << "overflow";
    EXPECT_EQ(r.residual, 2048u - 200);
    EXPECT_TRUE(std::equal(r.data.begin(), r.data.end(), t.image_blocks(3, 1).begin()));
    r = h->command(read10(3, 1), 8192, true);
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.residual_flags, 0x02) << "underflow";
    EXPECT_EQ(r.residual, 8192u - 2048);
    r = h->command(read10(k_image_blocks + 10, 1), 2048, true);
    EXPECT_EQ(r.status, 2) << "CHECK CONDITION";
    ASSERT_GE(r.sense.size(), 14u);
    EXPECT_EQ(r.sense[2] & 0x0F, 5) << "ILLEGAL REQUEST";
    EXPECT_EQ(r.sense[12], 0x21) << "LBA out of range";
    // A long read split over Data-In PDUs of the initiator's segment size, in bursts.
    auto s = t.session("rom", {{"MaxRecvDataSegmentLength", "4096"}, {"MaxBurstLength", "16384"}});
    r = s->command(read10(0, 64), 64 * 2048, true);
    EXPECT_EQ(r.status, 0);
    EXPECT_TRUE(r.data == t.image_blocks(0, 64));
}

// Read data go from the disc's file straight to the socket (sendfile) when
// no data digest is asked for: what the file does not hold (the unwritten
// end of a formatted DVD+RW) is read as zeros by a copy, and a session with
// DataDigest gets copies with their CRC; all read the same bytes.
TEST(IscsiTarget, reads_from_the_disc_file_beyond_its_end_and_with_a_data_digest_agree) {
    TempDir dir{"iscsi-rw"};
    Target t({}, {"rw=dvd+rw:" + (dir / "rw.vdisc").string()});
    t.start();
    auto h = t.session("rw");
    std::vector<uint8_t> plist(12, 0);
    plist[3] = 8;
    plist[8] = 0x26 << 2;  // DVD+RW full format
    std::vector<uint8_t> format = {0x04, 0x11, 0, 0, 0, 0};
    ASSERT_EQ(h->command(format, uint32_t(plist.size()), false, plist).status, 0);
    std::vector<uint8_t> data(4 * 2048);
    for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 7 + 3);
    auto w = write10(100, 4);
    ASSERT_EQ(h->command(w, uint32_t(data.size()), false, data).status, 0);
    auto expect = [&](uint32_t lba, uint16_t blocks) {
        std::vector<uint8_t> want(size_t(blocks) * 2048, 0);
        for (uint32_t b = 0; b < blocks; ++b)
            if (lba + b >= 100 && lba + b < 104)
                std::memcpy(&want[size_t(b) * 2048], &data[size_t(lba + b - 100) * 2048], 2048);
        return want;
    };
    auto d = t.session("rw", {{"DataDigest", "CRC32C"}});
    ASSERT_EQ(d->negotiated().at("DataDigest"), "CRC32C");
    for (auto [lba, blocks] : {std::pair<uint32_t, uint16_t>{98, 4}, {100, 4}, {102, 8}, {104, 2}, {0, 64}}) {
        // 102+8 and 104+2 end beyond the data file (the copy path), the others within it (sendfile).
        auto r = h->command(read10(lba, blocks), uint32_t(blocks) * 2048, true);
        EXPECT_EQ(r.status, 0) << lba;
        EXPECT_TRUE(r.data == expect(lba, blocks)) << "read at " << lba << " without a data digest";
        auto q = d->command(read10(lba, blocks), uint32_t(blocks) * 2048, true);
        EXPECT_EQ(q.status, 0) << lba;
        EXPECT_TRUE(q.data == expect(lba, blocks)) << "read at " << lba << " with a data digest";
    }
    // From the file, in Data-In PDUs of a small segment size over several bursts.
    auto s = t.session("rom", {{"MaxRecvDataSegmentLength", "512"}, {"MaxBurstLength", "4096"}});
    auto r = s->command(read10(5, 9), 9 * 2048, true);
    EXPECT_EQ(r.status, 0);
    EXPECT_TRUE(r.data == t.image_blocks(5, 9));
}

namespace {

// A unit that answers READ(10) with a range of a file (mapped or not) and
// may truncate the file before the transport sends it: the transport's
// paths for file data, including the one for a file blanked meanwhile.
class FileBackedUnit final : public emulator::LogicalUnit {
public:
    FileBackedUnit(std::string path, bool mapped, uint64_t truncate_to)
        : m_path(std::move(path)), m_mapped(mapped), m_truncate_to(truncate_to) {}
    std::optional<emulator::CommandReply> try_execute_now(emulator::NexusId, std::span<const uint8_t> cdb,
                                                          std::span<const std::byte>, std::span<std::byte> data_in,
                                                          bool by_reference) override {
        emulator::CommandReply r;
        if (cdb.empty() || cdb[0] != 0x28) return r;
        uint64_t lba = uint64_t(cdb[2]) << 24 | uint64_t(cdb[3]) << 16 | uint64_t(cdb[4]) << 8 | cdb[5];
        size_t bytes = std::min(size_t(cdb[7] << 8 | cdb[8]) * 2048, data_in.size());
        if (!by_reference) return std::nullopt;  // (only sessions without DataDigest here)
        int fd = ::open(m_path.c_str(), O_RDWR | O_CLOEXEC);
        if (fd < 0) return std::nullopt;
        auto file = std::make_shared<emulator::SharedFile>(fd, m_mapped ? uint64_t(64) << 20 : 0);
        r.data_in_length = bytes;
        r.data_in_file = {file, lba * 2048, bytes};
        if (m_truncate_to != UINT64_MAX && ::ftruncate(fd, off_t(m_truncate_to)) != 0) return std::nullopt;
        return r;
    }
    emulator::CommandReply execute(emulator::NexusId, std::span<const uint8_t>, std::span<const std::byte>,
                                   std::span<std::byte>) override {
        return {};
    }
    void nexus_opened(emulator::NexusId) override {}
    void nexus_closed(emulator::NexusId) override {}
    void reset(emulator::NexusId) override {}

private:
    std::string m_path;
    bool m_mapped;
    uint64_t m_truncate_to;
};

}  // namespace

// The transport sends file data from the file's mapping or with sendfile,
// and where the file was truncated before they left, what it still has and
// zeros for the rest, over a connection that stays in step.
TEST(IscsiTarget, file_data_go_out_mapped_or_by_sendfile_and_as_zeros_past_a_truncation) {
    for (bool mapped : {true, false})
        for (bool truncated : {false, true}) {
            TempDir dir{"iscsi-file"};
            write_random_file(dir / "f.img", 8 << 20, 77);
            std::string want = read_file(dir / "f.img").substr(2048 * 3, 40 * 2048);
            if (truncated) std::memset(want.data() + 5 * 2048, 0, want.size() - 5 * 2048);  // from LBA 8 on
            ServerOptions so;
            so.port = 0;
            so.log = [](const std::string&) {};
            Server server(so);
            std::string iqn = std::string(target_prefix) + "file";
            server.add_target({iqn, std::make_shared<FileBackedUnit>((dir / "f.img").string(), mapped,
                                                                     truncated ? 8 * 2048 : UINT64_MAX),
                               {}});
            ASSERT_TRUE(server.start().ok());
            IscsiHost h(server.port());
            LoginOptions lo;
            lo.target = iqn;
            ASSERT_EQ(h.login(lo), "");
            for (int i = 0; i < 3; ++i) {  // several, each from a fresh descriptor and mapping
                auto r = h.command(read10(3, 40), 40 * 2048, true);
                ASSERT_TRUE(r.completed) << mapped << truncated;
                EXPECT_EQ(r.status, 0);
                EXPECT_TRUE(std::string(r.data.begin(), r.data.end()) == want)
                    << (mapped ? "mapped" : "sendfile") << (truncated ? ", truncated" : "");
                if (truncated) write_random_file(dir / "f.img", 8 << 20, 77);  // whole again for the next read
            }
            server.stop();
        }
}

TEST(IscsiTarget, writes_follow_r2t_bursts_and_unsolicited_data) {
    Target t;
    t.start();
    std::vector<uint8_t> data(256 * 2048);
    std::mt19937 rng(5);
    for (auto& b : data) b = uint8_t(rng());
    {
        // Solicited only: every byte by R2T, no burst over MaxBurstLength, one at a time.
        auto h = t.session("dvd", {{"InitialR2T", "Yes"}, {"ImmediateData", "No"}, {"MaxBurstLength", "65536"},
                                   {"MaxOutstandingR2T", "1"}, {"MaxRecvDataSegmentLength", "16384"}});
        auto r = h->command(write10(0, 128), 128 * 2048, false, {data.begin(), data.begin() + 128 * 2048});
        ASSERT_TRUE(r.completed) << t.log();
        EXPECT_EQ(r.status, 0);
        ASSERT_EQ(r.r2ts.size(), 4u) << "256 KiB in 64 KiB bursts";
        uint32_t next = 0;
        for (const auto& p : r.r2ts) {
            EXPECT_EQ(p.u32(40), next) << "R2T offsets are contiguous";
            EXPECT_LE(p.u32(44), 65536u);
            next += p.u32(44);
        }
        EXPECT_EQ(next, 128u * 2048);
    }
    {
        // Immediate and unsolicited data up to FirstBurstLength, the rest by R2T.
        auto h = t.session("dvd", {{"InitialR2T", "No"}, {"ImmediateData", "Yes"}, {"FirstBurstLength", "65536"},
                                   {"MaxBurstLength", "131072"}, {"MaxRecvDataSegmentLength", "8192"}});
        auto r = h->command(write10(128, 128), 128 * 2048, false, {data.begin() + 128 * 2048, data.end()});
        ASSERT_TRUE(r.completed) << t.log();
        EXPECT_EQ(r.status, 0);
        ASSERT_FALSE(r.r2ts.empty());
        EXPECT_EQ(r.r2ts.front().u32(40), 65536u) << "solicitation starts after the first burst";
        auto back = h->command(read10(0, 256), 256 * 2048, true);
        EXPECT_EQ(back.status, 0);
        EXPECT_TRUE(back.data == data) << "what was written reads back";
    }
    EXPECT_EQ(t.farm().drive("dvd")->check_medium_invariants(), "");
}

// WRITE buffers come from the pool unzeroed: data-out that leave a gap (here
// the second half sent twice, the first never) must put zeros on the medium
// there, not the bytes of the WRITE that used the buffer before.
TEST(IscsiTarget, a_write_whose_data_out_leave_a_gap_records_zeros_there) {
    Target t;
    t.start();
    auto h = t.session("dvd", {{"InitialR2T", "Yes"}, {"ImmediateData", "No"}, {"MaxBurstLength", "65536"},
                               {"DataPDUInOrder", "No"}});
    std::vector<uint8_t> stale(32 * 2048, 0xEE);
    ASSERT_EQ(h->command(write10(0, 32), 32 * 2048, false, stale).status, 0);  // its buffer goes back to the pool
    RawPdu c = write_command(*h, 32, h->next_itt());
    auto cdb = write10(32, 32);
    std::memcpy(&c.bhs[32], cdb.data(), cdb.size());
    ASSERT_TRUE(h->send(c));
    auto r2t = h->receive();
    ASSERT_TRUE(r2t && r2t->opcode() == 0x31);
    ASSERT_EQ(r2t->u32(44), 32u * 2048);
    for (uint8_t final : {uint8_t(0), uint8_t(0x80)}) {
        RawPdu d;
        d.bhs[0] = 0x05;
        d.bhs[1] = final;
        d.set32(16, c.u32(16));
        d.set32(20, r2t->u32(20));
        d.set32(40, 16 * 2048);
        d.data.assign(16 * 2048, 0x42);
        ASSERT_TRUE(h->send(d));
    }
    auto resp = h->receive();
    ASSERT_TRUE(resp && resp->opcode() == 0x21) << t.log();
    EXPECT_EQ(resp->bhs[3], 0) << "GOOD";
    auto back = h->command(read10(32, 32), 32 * 2048, true);
    ASSERT_EQ(back.status, 0);
    std::vector<uint8_t> want(32 * 2048, 0);
    std::fill(want.begin() + 16 * 2048, want.end(), 0x42);
    EXPECT_TRUE(back.data == want) << "the gap reads as zeros, byte 0 is " << int(back.data.empty() ? -1 : back.data[0]);
}

TEST(IscsiTarget, closing_a_connection_mid_write_leaves_the_disc_writable) {
    Target t;
    t.start();
    {
        auto h = t.session("dvd", {{"InitialR2T", "Yes"}, {"ImmediateData", "No"}, {"MaxBurstLength", "65536"}});
        RawPdu c = write_command(*h, 64, h->next_itt());
        ASSERT_TRUE(h->send(c));
        auto r2t = h->receive();
        ASSERT_TRUE(r2t && r2t->opcode() == 0x31);
        // Half of the data, then the connection drops.
        RawPdu d;
        d.bhs[0] = 0x05;
        d.set32(16, c.u32(16));
        d.set32(20, r2t->u32(20));
        d.data.assign(16384, 0xAB);
        ASSERT_TRUE(h->send(d));
    }
    // The command never completed: nothing was written, the next writable
    // address is still 0, and a new session writes there.
    auto h = t.session("dvd");
    std::vector<uint8_t> data(64 * 2048, 0x5A);
    auto r = h->command(write10(0, 64), 64 * 2048, false, data);
    EXPECT_EQ(r.status, 0) << t.log();
    EXPECT_TRUE(h->command(read10(0, 64), 64 * 2048, true).data == data);
    EXPECT_EQ(t.farm().drive("dvd")->check_medium_invariants(), "");
}

TEST(IscsiTarget, malformed_pdus_get_a_reject_or_a_closed_connection) {
    Target t;
    t.start();
    auto bhs = [](uint8_t op, uint32_t itt) {
        RawPdu p;
        p.bhs[0] = op;
        p.bhs[1] = 0x80;
        p.set32(16, itt);
        return p;
    };
    {  // A truncated header, then the initiator goes away.
        IscsiHost h(t.port());
        ASSERT_TRUE(h.send_bytes(std::vector<uint8_t>(20, 0x43)));
    }
    t.expect_fresh_login_works("a truncated header");
    {  // A login announcing a 16 MiB data segment.
        IscsiHost h(t.port());
        auto p = bhs(0x43, 1);
        std::vector<uint8_t> raw = p.bhs;
        raw[5] = raw[6] = raw[7] = 0xFF;
        ASSERT_TRUE(h.send_bytes(raw));
        EXPECT_TRUE(h.closed_by_target()) << "a huge DataSegmentLength closes the connection";
    }
    t.expect_fresh_login_works("a huge login data segment");
    {  // A SCSI command before login.
        IscsiHost h(t.port());
        auto p = bhs(0x01, 1);
        std::memcpy(&p.bhs[32], tur.data(), tur.size());
        ASSERT_TRUE(h.send(p));
        auto r = h.receive();
        ASSERT_TRUE(r.has_value());
        EXPECT_EQ(r->opcode(), 0x23) << "a Login Response";
        EXPECT_EQ(r->bhs[36], 0x02) << "initiator error";
        EXPECT_TRUE(h.closed_by_target());
    }
    t.expect_fresh_login_works("a command before login");
    {  // Garbage login keys.
        IscsiHost h(t.port());
        auto p = bhs(0x43, 1);
        p.bhs[1] = 0x80 | 0x01;  // T, CSG 0, NSG 1
        p.data = {0x01, 0xFE, 'g', 'a', 'r', 'b', 'a', 'g', 'e', 0, '=', '=', 0};
        ASSERT_TRUE(h.send(p));
        auto r = h.receive();
        ASSERT_TRUE(r.has_value());
        EXPECT_EQ(r->opcode(), 0x23);
        EXPECT_EQ(r->bhs[36], 0x02) << "initiator error";
        EXPECT_TRUE(h.closed_by_target());
    }
    t.expect_fresh_login_works("garbage login keys");
    {  // In the full feature phase: an unknown opcode, Data-Out without a
       // command, a CmdSN out of the window, a Login Request: each rejected,
       // the connection still usable.
        auto h = t.session();
        struct Case {
            const char* what;
            RawPdu pdu;
            uint8_t reason;
        };
        RawPdu unknown = bhs(0x1C, h->next_itt());
        RawPdu stray = bhs(0x05, 0xDEAD);
        stray.data.assign(512, 1);
        RawPdu far = bhs(0x00, h->next_itt());  // NOP-Out, not immediate, CmdSN far ahead
        far.set32(20, 0xFFFFFFFF);
        far.set32(24, h->cmd_sn() + 100000);
        RawPdu login = bhs(0x43, h->next_itt());
        for (auto& c : std::vector<Case>{{"an unknown opcode", unknown, 0x05},
                                         {"Data-Out without a command", stray, 0x09},
                                         {"a CmdSN out of the window", far, 0x04},
                                         {"a Login Request after login", login, 0x04}}) {
            ASSERT_TRUE(h->send(c.pdu)) << c.what;
            std::optional<RawPdu> r;
            while ((r = h->receive()) && r->opcode() == 0x20) {
            }
            ASSERT_TRUE(r.has_value()) << c.what;
            EXPECT_EQ(r->opcode(), 0x3F) << c.what << ": Reject";
            EXPECT_EQ(r->bhs[2], c.reason) << c.what;
            ASSERT_EQ(r->data.size(), 48u) << c.what << ": the Reject carries the rejected header";
            EXPECT_EQ(r->data[0], c.pdu.bhs[0]);
            EXPECT_TRUE(std::equal(r->data.begin() + 8, r->data.end(), c.pdu.bhs.begin() + 8)) << c.what;
            EXPECT_TRUE(h->nop_ping({9, 9})) << "still usable after " << c.what;
        }
        auto r = h->command(read10(1, 1), 2048, true);
        EXPECT_TRUE(r.data == t.image_blocks(1, 1));
    }
    t.expect_fresh_login_works("rejected PDUs");
    {  // A huge data segment in the full feature phase.
        auto h = t.session();
        auto p = bhs(0x00, h->next_itt());
        std::vector<uint8_t> raw = p.bhs;
        raw[5] = 0x7F;
        ASSERT_TRUE(h->send_bytes(raw));
        EXPECT_TRUE(h->closed_by_target());
    }
    t.expect_fresh_login_works("a huge data segment after login");
    {  // Digests: a bad data digest is rejected, a bad header digest closes.
        auto h = t.session("rom", {{"HeaderDigest", "CRC32C"}, {"DataDigest", "CRC32C"}});
        auto p = bhs(0x40, h->next_itt());  // immediate NOP-Out with data
        p.set32(20, 0xFFFFFFFF);
        p.set32(24, h->cmd_sn());
        p.data = {1, 2, 3, 4};
        h->set_digests(true, false);
        std::vector<uint8_t> raw = p.bhs;
        raw[7] = 4;
        uint32_t hd = emulator::iscsi::crc32c(raw.data(), 48);
        for (int i = 0; i < 4; ++i) raw.push_back(uint8_t(hd >> (8 * i)));
        raw.insert(raw.end(), p.data.begin(), p.data.end());
        for (int i = 0; i < 4; ++i) raw.push_back(0x55);  // wrong data digest
        ASSERT_TRUE(h->send_bytes(raw));
        h->set_digests(true, true);
        auto r = h->receive();
        ASSERT_TRUE(r.has_value());
        EXPECT_EQ(r->opcode(), 0x3F);
        EXPECT_EQ(r->bhs[2], 0x02) << "data digest error";
        EXPECT_TRUE(h->nop_ping({7})) << "usable after a data digest error";
        std::vector<uint8_t> bad = bhs(0x40, h->next_itt()).bhs;
        for (int i = 0; i < 4; ++i) bad.push_back(0x11);  // wrong header digest
        ASSERT_TRUE(h->send_bytes(bad));
        EXPECT_TRUE(h->closed_by_target());
    }
    t.expect_fresh_login_works("digest errors");
    EXPECT_NE(t.log().find("rejected"), std::string::npos) << "the target logs what it rejected";
}

TEST(IscsiTarget, task_management) {
    Target t;
    t.start();
    auto h = t.session("dvd", {{"InitialR2T", "Yes"}, {"ImmediateData", "No"}});
    EXPECT_EQ(h->task_management(1, 0x7777), 1) << "ABORT TASK of an unknown task: task does not exist";
    // A write waiting for its data, aborted.
    uint32_t itt = h->next_itt();
    RawPdu c = write_command(*h, 16, itt);
    ASSERT_TRUE(h->send(c));
    auto r2t = h->receive();
    ASSERT_TRUE(r2t && r2t->opcode() == 0x31);
    EXPECT_EQ(h->task_management(1, itt), 0) << "ABORT TASK of the waiting write";
    EXPECT_EQ(h->command(tur, 0, false).status, 0) << "the next command runs";
    EXPECT_EQ(h->task_management(2), 0) << "ABORT TASK SET";
    EXPECT_EQ(h->task_management(8), 4) << "TASK REASSIGN needs ErrorRecoveryLevel 2";
    EXPECT_EQ(h->task_management(5), 0) << "LOGICAL UNIT RESET";
    auto r = h->command(tur, 0, false);
    EXPECT_EQ(r.status, 2) << "a reset is a unit attention";
    ASSERT_GE(r.sense.size(), 13u);
    EXPECT_EQ(r.sense[12], 0x29);
    EXPECT_EQ(h->task_management(6), 0) << "TARGET WARM RESET";
    EXPECT_EQ(h->task_management(99), 5) << "unknown function";
    EXPECT_EQ(t.farm().drive("dvd")->check_medium_invariants(), "");
}

TEST(IscsiTarget, a_slow_initiator_does_not_block_others) {
    Target t;
    t.start();
    auto slow = t.session("rom", {{"MaxRecvDataSegmentLength", "262144"}});
    // 48 reads of 256 KiB queued without reading a byte of the answers.
    for (int i = 0; i < 48; ++i) {
        RawPdu c;
        c.bhs[0] = 0x01;
        c.bhs[1] = 0x80 | 0x40 | 0x01;
        c.set32(16, slow->next_itt());
        c.set32(20, 128 * 2048);
        c.set32(24, slow->take_cmd_sn());
        auto cdb = read10(uint32_t(i) * 64 % (k_image_blocks - 128), 128);
        std::memcpy(&c.bhs[32], cdb.data(), cdb.size());
        ASSERT_TRUE(slow->send(c));
    }
    // Meanwhile another session on the same drive gets its answers.
    auto quick = t.session();
    for (int i = 0; i < 20; ++i) {
        auto r = quick->command(read10(uint32_t(i) * 100, 16), 16 * 2048, true);
        ASSERT_TRUE(r.completed) << "read " << i << " of the other session";
        EXPECT_TRUE(r.data == t.image_blocks(uint32_t(i) * 100, 16));
    }
}

// Reads of 1 MiB with 8 in flight on one libiscsi session, 1 GiB in all:
// more Data-In than the target's send queue holds before it throttles the
// session's reader, again and again. The target must keep answering (a lost
// wake-up once left such a session waiting for ever: bench/iscsi_bench with
// 1 MiB reads and 8 in flight). Every read is compared with the image.
TEST(IscsiTarget, one_session_with_more_data_in_queued_than_the_send_queue_holds_gets_it_all) {
    Target t;
    t.start();
    LibiscsiSession s(local_iscsi_url(t.port(), std::string(target_prefix) + "rom"));
    ASSERT_TRUE(s) << s.error();
    struct Run {
        const Target* target;
        iscsi_context* ctx;
        int lun;
        int issued = 0, done = 0, in_flight = 0;
        std::string error;
    } run{&t, s.ctx(), s.lun()};
    constexpr int k_reads = 1024, k_depth = 8;
    constexpr uint32_t k_blocks = 512;  // 1 MiB
    auto lba_of = [](int i) { return uint32_t(i) * 192 % (k_image_blocks - k_blocks); };
    static auto on_done = [](iscsi_context*, int status, void* data, void* private_data) {
        auto* r = static_cast<Run*>(private_data);
        auto* task = static_cast<scsi_task*>(data);
        uint32_t lba = uint32_t(task->cdb[2]) << 24 | uint32_t(task->cdb[3]) << 16 | uint32_t(task->cdb[4]) << 8 | task->cdb[5];
        auto want = r->target->image_blocks(lba, k_blocks);
        if (status != SCSI_STATUS_GOOD || task->datain.size != int(want.size()) ||
            std::memcmp(task->datain.data, want.data(), want.size()) != 0)
            r->error = "the read at " + std::to_string(lba) + " failed or did not match";
        scsi_free_scsi_task(task);
        --r->in_flight;
        ++r->done;
    };
    auto issue = [&] {
        while (run.in_flight < k_depth && run.issued < k_reads) {
            scsi_task* task = iscsi_read10_task(run.ctx, run.lun, lba_of(run.issued), k_blocks * 2048, 2048, 0, 0, 0, 0, 0,
                                                on_done, &run);
            ASSERT_NE(task, nullptr) << iscsi_get_error(run.ctx);
            ++run.issued;
            ++run.in_flight;
        }
    };
    issue();
    while (run.done < k_reads && run.error.empty()) {
        pollfd p{iscsi_get_fd(run.ctx), short(iscsi_which_events(run.ctx)), 0};
        ASSERT_GT(::poll(&p, 1, 10000), 0) << run.done << " of " << k_reads << " reads answered, then nothing for 10 s";
        ASSERT_GE(iscsi_service(run.ctx, p.revents), 0) << iscsi_get_error(run.ctx);
        issue();
    }
    EXPECT_EQ(run.error, "");
    EXPECT_EQ(run.done, k_reads);
}

namespace {

// One libiscsi session reading random ranges and comparing them.
bool libiscsi_reader(int port, const std::string& image, int seed, bool digest, std::string& error) {
    LibiscsiSession::Options o;
    o.initiator = "iqn.2026-11.org.discmaster.test:reader" + std::to_string(seed);
    o.header_digest = digest ? ISCSI_HEADER_DIGEST_CRC32C : ISCSI_HEADER_DIGEST_NONE;
    LibiscsiSession s(local_iscsi_url(port, std::string(target_prefix) + "rom"), o);
    bool ok = bool(s);
    if (!ok) error = s.error();
    std::mt19937 rng{uint32_t(seed)};
    for (int i = 0; ok && i < 24; ++i) {
        uint32_t blocks = 1 + rng() % 64, lba = rng() % (k_image_blocks - blocks);
        scsi_task* task = iscsi_read10_sync(s.ctx(), 0, lba, blocks * 2048, 2048, 0, 0, 0, 0, 0);
        if (!task || task->status != SCSI_STATUS_GOOD || task->datain.size != int(blocks * 2048) ||
            std::memcmp(task->datain.data, image.data() + size_t(lba) * 2048, blocks * 2048) != 0) {
            error = "read " + std::to_string(i) + " at " + std::to_string(lba) + " did not match";
            ok = false;
        }
        if (task) scsi_free_scsi_task(task);
    }
    return ok;
}

}  // namespace

TEST(IscsiTarget, sixty_four_sessions_read_while_one_writes) {
    Target t;
    t.start();
    std::atomic<int> failures{0};
    std::mutex m;
    std::vector<std::string> errors;
    std::vector<std::thread> readers;
    for (int i = 0; i < 64; ++i)
        readers.emplace_back([&, i] {
            std::string err;
            if (!libiscsi_reader(t.port(), t.image(), i, i % 2 == 0, err)) {
                ++failures;
                std::lock_guard lock(m);
                errors.push_back("reader " + std::to_string(i) + ": " + err);
            }
        });
    // The writer: 8 MiB onto the DVD+R in 64 KiB WRITE(10)s, then read back.
    std::string werr;
    bool wrote = [&] {
        LibiscsiSession::Options o;
        o.initiator = "iqn.2026-11.org.discmaster.test:writer";
        LibiscsiSession s(local_iscsi_url(t.port(), std::string(target_prefix) + "dvd"), o);
        iscsi_context* ctx = s.ctx();
        bool ok = bool(s);
        if (!ok) werr = s.error();
        for (uint32_t lba = 0; ok && lba < k_image_blocks; lba += 32) {
            std::vector<unsigned char> chunk(t.image().begin() + long(lba) * 2048, t.image().begin() + long(lba + 32) * 2048);
            auto* task = iscsi_write10_sync(ctx, 0, lba, chunk.data(),
                                            32 * 2048, 2048, 0, 0, 0, 0, 0);
            ok = task && task->status == SCSI_STATUS_GOOD;
            if (!ok) werr = "write at " + std::to_string(lba) + ": " + iscsi_get_error(ctx);
            if (task) scsi_free_scsi_task(task);
        }
        if (auto* task = ok ? iscsi_synchronizecache10_sync(ctx, 0, 0, 0, 0, 0) : nullptr) {
            ok = task->status == SCSI_STATUS_GOOD;
            scsi_free_scsi_task(task);
        }
        for (uint32_t lba = 0; ok && lba < k_image_blocks; lba += 256) {
            auto* task = iscsi_read10_sync(ctx, 0, lba, 256 * 2048, 2048, 0, 0, 0, 0, 0);
            ok = task && task->status == SCSI_STATUS_GOOD &&
                 std::memcmp(task->datain.data, t.image().data() + size_t(lba) * 2048, 256 * 2048) == 0;
            if (!ok) werr = "read-back at " + std::to_string(lba) + " differs";
            if (task) scsi_free_scsi_task(task);
        }
        return ok;
    }();
    for (auto& r : readers) r.join();
    EXPECT_TRUE(wrote) << werr << "\n" << t.log();
    EXPECT_EQ(failures.load(), 0) << [&] {
        std::string all;
        for (const auto& e : errors) all += e + "\n";
        return all;
    }();
    // Every session is gone once its initiator logged out (allow a loaded
    // machine, e.g. CI running the interop guest beside this, time to close them).
    for (int i = 0; i < 750 && !t.farm().status()["other_connections"].empty(); ++i) std::this_thread::sleep_for(20ms);
    for (int i = 0; i < 750; ++i) {
        bool idle = true;
        auto now = t.farm().status();  // named: the loop must not range over a temporary's member
        for (const auto& d : now["drives"]) idle = idle && d["initiators"].empty();
        if (idle) break;
        std::this_thread::sleep_for(20ms);
    }
    auto st = t.farm().status();
    for (const auto& d : st["drives"]) EXPECT_TRUE(d["initiators"].empty()) << d.dump();
    EXPECT_EQ(t.farm().drive("dvd")->check_medium_invariants(), "");
}
