// Side-by-side: master-drive against tgtd (Debian package tgt) serving the
// same disc image as a CD/DVD LUN on this machine, and against the loopback
// TCP ceiling, in one run (issue 4).
//
//   build/bench/iscsi_bench [--work DIR] [--mb 700] [--write-mb 256] [--depth 8] [--runs 3]
//                           [--sessions 4] [--rows read,parallel,write]
//
// Sequential READ(10) of the whole image with 64 KiB and 1 MiB transfers from
// one session, the same from SESSIONS sessions at once (each reads its own
// part of the image from its own thread: libiscsi's single-threaded client is
// the limit of one session), and a burn: sequential WRITE(10) onto a blank
// DVD+R from LBA 0 then SYNCHRONIZE CACHE. The initiator is libiscsi
// (asynchronous, DEPTH commands in flight per session), the same for both
// targets. The image is in the page cache (read once first). Each row runs
// RUNS rounds; a round measures master-drive, tgtd and the loopback ceiling
// back to back, so that the figures a ratio compares were taken under the
// same load of this (shared) machine. Each figure is the median of the
// rounds, printed with the slowest and fastest; each ratio is the median of
// the rounds' ratios.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <sstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/libiscsi_session.h"
#include "tests/support/master_drive.h"
#include "tests/support/support.h"
#include "tests/support/tgtd.h"

using namespace dmtest;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
    std::string work = "/tmp/dm-bench";
    uint64_t mb = 700, write_mb = 256;
    int depth = 8, runs = 3, sessions = 4;
    std::string rows = "read,parallel,write";
    bool wants(const std::string& row) const { return ("," + rows + ",").find("," + row + ",") != std::string::npos; }
};

// The runs of one figure: median, slowest and fastest; and the CPU time the
// target process and this process (the initiator) spent on them.
struct Rates {
    std::vector<double> v;
    double target_cpu = 0, client_cpu = 0, bytes = 0;  // seconds, seconds, bytes over all runs
    double sync = 0;                                   // burns: seconds in SYNCHRONIZE CACHE over all runs
    double target_ms_per_gb() const { return target_cpu * 1e3 / (bytes / 1e9); }
    double client_ms_per_gb() const { return client_cpu * 1e3 / (bytes / 1e9); }
    double median() const {
        std::vector<double> s = v;
        std::sort(s.begin(), s.end());
        return s[s.size() / 2];
    }
    double min() const { return *std::min_element(v.begin(), v.end()); }
    double max() const { return *std::max_element(v.begin(), v.end()); }
};

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// User + system CPU seconds of a process (all its threads) so far.
double cpu_seconds(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    size_t close = stat.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream rest(stat.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {  // fields 14 and 15: utime, stime
        if (i == 14) utime = std::stoull(field);
        if (i == 15) stime = std::stoull(field);
    }
    return double(utime + stime) / double(::sysconf(_SC_CLK_TCK));
}

double own_cpu_seconds() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// The child process of ours named `comm` (tgtd, started by dmtest::Tgtd).
pid_t child_named(const std::string& comm) {
    for (const auto& e : fs::directory_iterator("/proc")) {
        std::string name = e.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream f(e.path() / "stat");
        std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
        size_t open = stat.find('('), close = stat.rfind(')');
        if (open == std::string::npos || close == std::string::npos || close + 4 > stat.size()) continue;
        std::istringstream rest(stat.substr(close + 2));
        std::string state;
        long ppid = 0;
        rest >> state >> ppid;
        if (stat.substr(open + 1, close - open - 1) == comm && ppid == ::getpid()) return pid_t(std::stol(name));
    }
    return -1;
}

// Charge one run's CPU time (target process `pid`, and this process) to `r`.
class CpuMeter {
public:
    CpuMeter(Rates& r, pid_t pid, double bytes) : m_r(r), m_pid(pid), m_bytes(bytes), m_target(cpu_seconds(pid)), m_own(own_cpu_seconds()) {}
    ~CpuMeter() {
        m_r.target_cpu += cpu_seconds(m_pid) - m_target;
        m_r.client_cpu += own_cpu_seconds() - m_own;
        m_r.bytes += m_bytes;
    }

private:
    Rates& m_r;
    pid_t m_pid;
    double m_bytes, m_target, m_own;
};

// One logged-in libiscsi session; sequential I/O with `depth` commands in flight.
class Initiator {
public:
    explicit Initiator(const std::string& url) : m_session(url, options()), m_ctx(m_session.ctx()), m_lun(m_session.lun()) {
        if (!m_session) throw std::runtime_error(m_session.error());
    }

    // Sequential transfers of `chunk` bytes over `total` bytes from byte `start`.
    void run(bool write, uint64_t total, uint32_t chunk, int depth, uint64_t start = 0) {
        m_write = write;
        m_total = start + total;
        m_chunk = chunk;
        m_next = start;
        m_done = start;
        m_inflight = 0;
        m_error.clear();
        if (write && m_buffer.size() < chunk) {
            m_buffer.resize(chunk);
            for (size_t i = 0; i < m_buffer.size(); ++i) m_buffer[i] = uint8_t(i * 131 + 7);
        }
        for (int i = 0; i < depth; ++i) issue();
        while (m_done < m_total && m_error.empty()) {
            pollfd p{iscsi_get_fd(m_ctx), short(iscsi_which_events(m_ctx)), 0};
            if (::poll(&p, 1, 10000) <= 0) throw std::runtime_error("the target stopped answering");
            if (iscsi_service(m_ctx, p.revents) < 0) throw std::runtime_error(std::string("iscsi: ") + iscsi_get_error(m_ctx));
        }
        if (!m_error.empty()) throw std::runtime_error(m_error);
        if (write) {
            auto t0 = Clock::now();
            scsi_task* t = iscsi_synchronizecache10_sync(m_ctx, m_lun, 0, 0, 0, 0);
            m_sync_seconds = seconds_since(t0);
            bool good = t && t->status == SCSI_STATUS_GOOD;
            if (t) scsi_free_scsi_task(t);
            if (!good) throw std::runtime_error(std::string("SYNCHRONIZE CACHE failed: ") + iscsi_get_error(m_ctx));
        }
    }

    // How long the last run's SYNCHRONIZE CACHE took (the target flushes to disk).
    double sync_seconds() const { return m_sync_seconds; }

    uint64_t capacity_bytes() {
        scsi_task* t = iscsi_readcapacity10_sync(m_ctx, m_lun, 0, 0);
        if (!t || t->status != SCSI_STATUS_GOOD) throw std::runtime_error("READ CAPACITY failed");
        auto* rc = static_cast<scsi_readcapacity10*>(scsi_datain_unmarshall(t));
        uint64_t bytes = (uint64_t(rc->lba) + 1) * rc->block_size;
        scsi_free_scsi_task(t);
        return bytes;
    }

private:
    static void on_done(iscsi_context*, int status, void* data, void* self_) {
        auto* self = static_cast<Initiator*>(self_);
        auto* task = static_cast<scsi_task*>(data);
        --self->m_inflight;
        if (status != SCSI_STATUS_GOOD) {
            self->m_error = std::string(self->m_write ? "WRITE" : "READ") + " failed: " + iscsi_get_error(self->m_ctx);
        } else {
            self->m_done += self->m_write ? task->expxferlen : uint64_t(task->datain.size);
        }
        scsi_free_scsi_task(task);
        if (self->m_error.empty()) self->issue();
    }
    void issue() {
        if (m_next >= m_total) return;
        uint32_t len = uint32_t(std::min<uint64_t>(m_chunk, m_total - m_next));
        uint32_t lba = uint32_t(m_next / 2048);
        scsi_task* t = m_write ? iscsi_write10_task(m_ctx, m_lun, lba, m_buffer.data(), len, 2048, 0, 0, 0, 0, 0, on_done, this)
                               : iscsi_read10_task(m_ctx, m_lun, lba, len, 2048, 0, 0, 0, 0, 0, on_done, this);
        if (!t) {
            m_error = std::string("cannot queue a command: ") + iscsi_get_error(m_ctx);
            return;
        }
        m_next += len;
        ++m_inflight;
    }

    static LibiscsiSession::Options options() {
        LibiscsiSession::Options o;
        o.initiator = "iqn.2026-11.org.discmaster.bench:initiator";
        o.header_digest = ISCSI_HEADER_DIGEST_NONE;
        return o;
    }
    LibiscsiSession m_session;
    iscsi_context* m_ctx = nullptr;
    int m_lun = 0;
    bool m_write = false;
    uint64_t m_total = 0, m_next = 0, m_done = 0;
    uint32_t m_chunk = 0;
    int m_inflight = 0;
    std::vector<uint8_t> m_buffer;
    std::string m_error;
    double m_sync_seconds = 0;
};

// The loopback ceiling: one TCP stream over 127.0.0.1, 1 MiB writes and
// reads; the receiver drops what it reads or, with `into` set, writes it into
// that (new) file, starting write-back as it goes, and makes it durable
// (fdatasync) before the clock stops, as a burn's SYNCHRONIZE CACHE has the
// target do: what a target that stores a burn on that file system can reach.
double loopback_mbps(uint64_t total, const fs::path& into = {}) {
    int ls = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(ls, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(ls, 1) != 0 ||
        ::getsockname(ls, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        throw std::runtime_error("loopback: cannot listen");
    int file = -1;
    if (!into.empty()) {
        file = ::open(into.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (file < 0) throw std::runtime_error("loopback: cannot create " + into.string());
    }
    std::thread sender([&] {
        int s = ::socket(AF_INET, SOCK_STREAM, 0);
        if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return;
        std::vector<char> buf(1 << 20, 'x');
        for (uint64_t sent = 0; sent < total;) {
            ssize_t n = ::send(s, buf.data(), std::min<uint64_t>(buf.size(), total - sent), 0);
            if (n <= 0) break;
            sent += uint64_t(n);
        }
        ::close(s);
    });
    int c = ::accept(ls, nullptr, nullptr);
    std::vector<char> buf(1 << 20);
    auto t0 = Clock::now();
    uint64_t got = 0;
    bool stored = true;
    for (ssize_t n; (n = ::recv(c, buf.data(), buf.size(), file >= 0 ? MSG_WAITALL : 0)) > 0;) {
        if (file >= 0) {
            if (::pwrite(file, buf.data(), size_t(n), off_t(got)) != n) stored = false;
            // Write-back starts as the data come (every 8 MiB, no wait), so
            // that little is left for the final flush.
            if ((got + uint64_t(n)) / (8 << 20) != got / (8 << 20))
                ::sync_file_range(file, off_t(got / (8 << 20) * (8 << 20)), 0, SYNC_FILE_RANGE_WRITE);
        }
        got += uint64_t(n);
    }
    if (file >= 0 && ::fdatasync(file) != 0) stored = false;
    double s = seconds_since(t0);
    sender.join();
    ::close(c);
    ::close(ls);
    if (file >= 0) {
        ::close(file);
        fs::remove(into);
        if (!stored) throw std::runtime_error("loopback: cannot write " + into.string());
    }
    return double(got) / 1e6 / s;
}

// What one loopback figure streams: enough for a steady figure.
constexpr uint64_t loopback_bytes = uint64_t(2) << 30;

// One row of the table: both targets and the loopback ceiling, round by round.
struct Row {
    std::string what;
    Rates ours, tgt, loopback;
    Rates storage;  // burns: the loopback stream into a file on the disc's file system, made durable
    double vs_tgt() const { return median_ratio(ours, tgt); }
    double vs_loopback() const { return median_ratio(ours, loopback); }
    double vs_storage() const { return median_ratio(ours, storage); }
    static double median_ratio(const Rates& a, const Rates& b) {
        Rates r;
        for (size_t i = 0; i < a.v.size() && i < b.v.size(); ++i) r.v.push_back(a.v[i] / b.v[i]);
        return r.v.empty() ? 0 : r.median();
    }
};

// One timed run of `once` moving `bytes`, charged to `rates` (and its CPU to `target`'s).
void timed(Rates& rates, const std::function<void()>& once, uint64_t bytes, pid_t target) {
    CpuMeter cpu(rates, target, double(bytes));
    auto t0 = Clock::now();
    once();
    rates.v.push_back(double(bytes) / 1e6 / seconds_since(t0));
}

// `runs` rounds of: ours, tgtd, the loopback ceiling (the same bytes).
Row measure(std::string what, const std::function<void()>& ours, pid_t ours_pid, const std::function<void()>& tgt,
            pid_t tgt_pid, uint64_t bytes, int runs) {
    Row row{std::move(what), {}, {}, {}, {}};
    for (int i = 0; i < runs; ++i) {
        timed(row.ours, ours, bytes, ours_pid);
        timed(row.tgt, tgt, bytes, tgt_pid);
        row.loopback.v.push_back(loopback_mbps(loopback_bytes));
    }
    return row;
}

// `n` sessions read the image at once, each its own part (whole chunks), each
// from its own thread; the time is from the start of all to the end of the last.
class ParallelReaders {
public:
    ParallelReaders(const std::string& url, int n) {
        for (int i = 0; i < n; ++i) m_sessions.push_back(std::make_unique<Initiator>(url));
    }
    void run(uint64_t image_bytes, uint32_t chunk, int depth) {
        int n = int(m_sessions.size());
        uint64_t chunks = (image_bytes + chunk - 1) / chunk;
        std::vector<std::thread> threads;
        std::vector<std::string> errors(static_cast<size_t>(n));
        for (int i = 0; i < n; ++i) {
            uint64_t first = std::min(image_bytes, chunks * uint64_t(i) / uint64_t(n) * chunk);
            uint64_t end = std::min(image_bytes, chunks * uint64_t(i + 1) / uint64_t(n) * chunk);
            threads.emplace_back([&, i, first, end] {
                try {
                    m_sessions[size_t(i)]->run(false, end - first, chunk, depth, first);
                } catch (const std::exception& e) {
                    errors[size_t(i)] = e.what();
                }
            });
        }
        for (auto& t : threads) t.join();
        for (const auto& e : errors)
            if (!e.empty()) throw std::runtime_error(e);
    }

private:
    std::vector<std::unique_ptr<Initiator>> m_sessions;
};

// Parses the command line into `o`; false on a usage error.
bool parse_options(int argc, char** argv, Options& o) {
    for (int i = 1; i < argc; i += 2) {
        std::string k = argv[i], v = i + 1 < argc ? argv[i + 1] : "";
        if (i + 1 >= argc) k = "";
        if (k == "--work") o.work = v;
        else if (k == "--mb") o.mb = std::stoull(v);
        else if (k == "--write-mb") o.write_mb = std::stoull(v);
        else if (k == "--depth") o.depth = std::stoi(v);
        else if (k == "--runs") o.runs = std::stoi(v);
        else if (k == "--sessions") o.sessions = std::stoi(v);
        else if (k == "--rows") o.rows = v;
        else return false;
    }
    return o.runs >= 1 && o.depth >= 1 && o.sessions >= 1;
}

// One burn row: a fresh blank DVD+R for each run on both sides, and the
// loopback and storage ceilings measured in the same round.
Row burn_row(const Options& o, Tgtd& tgt, pid_t tgt_pid, const fs::path& dir, uint32_t chunk) {
    uint64_t write_bytes = o.write_mb * 1000000 / (1 << 20) * (1 << 20);
    fs::path tgt_blank = dir / "tgt-blank.img";
    Row row{"WRITE " + std::to_string(chunk >> 10) + " KiB (burn)", {}, {}, {}, {}};
    Rates &r_ours = row.ours, &r_tgt = row.tgt;
    for (int run = 0; run < o.runs; ++run) {
        fs::path vdisc = dir / ("burn" + std::to_string(chunk) + "-" + std::to_string(run) + ".vdisc");
        // Each figure starts with nothing dirty on disk: none pays for
        // the write-back of another (tgtd leaves its burn in the page
        // cache, its SYNCHRONIZE CACHE returns at once).
        ::sync();
        {
            MasterDrive burner({"burn=dvd+r:" + vdisc.string()});
            if (!burner.running()) throw std::runtime_error(burner.error());
            Initiator a(burner.url("burn"));
            CpuMeter cpu(r_ours, burner.pid(), double(write_bytes));
            auto t0 = Clock::now();
            a.run(true, write_bytes, chunk, o.depth);
            r_ours.v.push_back(double(write_bytes) / 1e6 / seconds_since(t0));
            r_ours.sync += a.sync_seconds();
        }
        fs::remove_all(vdisc);
        ::sync();
        write_file(tgt_blank, "");  // an empty backing file: tgtd's blank DVD+R
        std::string iqn = "iqn.2026-11.org.discmaster.bench:blank" + std::to_string(chunk) + "-" + std::to_string(run);
        if (!tgt.add_target(iqn, tgt_blank.string(), "cd")) throw std::runtime_error("tgtd: " + tgt.error());
        Initiator b(tgt.url(iqn));
        CpuMeter cpu(r_tgt, tgt_pid, double(write_bytes));
        auto t0 = Clock::now();
        b.run(true, write_bytes, chunk, o.depth);
        r_tgt.v.push_back(double(write_bytes) / 1e6 / seconds_since(t0));
        r_tgt.sync += b.sync_seconds();
        ::sync();
        row.loopback.v.push_back(loopback_mbps(loopback_bytes));
        row.storage.v.push_back(loopback_mbps(write_bytes, dir / "storage-ceiling.bin"));
    }
    return row;
}

void print_rows(const std::vector<Row>& rows, const fs::path& dir) {
    auto range = [](const Rates& r) {
        char b[64];
        std::snprintf(b, sizeof b, "%.0f [%.0f-%.0f]", r.median(), r.min(), r.max());
        return std::string(b);
    };
    std::printf("\n%-24s %22s %22s %22s %9s %12s   %s\n", "MB/s", "master-drive", "tgtd", "loopback", "vs tgtd",
                "vs loopback", "CPU ms/GB: target (ours, tgtd), initiator (with ours, with tgtd)");
    for (const auto& r : rows)
        std::printf("%-24s %22s %22s %22s %8.2fx %11.2fx   %5.0f %5.0f   %5.0f %5.0f\n", r.what.c_str(),
                    range(r.ours).c_str(), range(r.tgt).c_str(), range(r.loopback).c_str(), r.vs_tgt(),
                    r.vs_loopback(), r.ours.target_ms_per_gb(), r.tgt.target_ms_per_gb(), r.ours.client_ms_per_gb(),
                    r.tgt.client_ms_per_gb());
    std::printf("loopback: one TCP stream over 127.0.0.1 (1 MiB writes, 2 GiB), measured in each round\n");
    for (const auto& r : rows)
        if (!r.storage.v.empty())
            std::printf("%s: loopback into a file + fdatasync (%s) %s MB/s: master-drive %.2fx of it\n",
                        r.what.c_str(), dir.string().c_str(), range(r.storage).c_str(), r.vs_storage());
    for (const auto& r : rows)
        if (r.ours.sync > 0 || r.tgt.sync > 0)
            std::printf("%s: SYNCHRONIZE CACHE took %.0f ms on average with master-drive, %.0f ms with tgtd\n",
                        r.what.c_str(), r.ours.sync * 1e3 / double(r.ours.v.size()),
                        r.tgt.sync * 1e3 / double(r.tgt.v.size()));
    std::printf("goal: >= 1.50x tgtd and >= 0.70x the loopback ceiling\n");
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    if (!parse_options(argc, argv, o)) {
        std::fprintf(stderr,
                     "usage: %s [--work DIR] [--mb 700] [--write-mb 256] [--depth 8] [--runs 3] [--sessions 4] "
                     "[--rows read,parallel,write]\n",
                     argv[0]);
        return 2;
    }
    try {
        fs::create_directories(o.work);
        uint64_t image_bytes = o.mb * 1000000 / 2048 * 2048;
        fs::path image = fs::path(o.work) / ("disc-" + std::to_string(o.mb) + "MB.img");
        if (!fs::exists(image) || fs::file_size(image) != image_bytes) write_random_file(image, image_bytes, 700);
        (void)read_file(image);  // into the page cache
        std::printf("iSCSI throughput: a %.0f MB disc image, libiscsi initiator, %d commands in flight per session, "
                    "median of %d runs [slowest-fastest]\n",
                    double(image_bytes) / 1e6, o.depth, o.runs);

        Tgtd tgt;
        if (!tgt.running()) throw std::runtime_error("tgtd: " + tgt.error());
        if (!tgt.add_target("iqn.2026-11.org.discmaster.bench:rom", image.string(), "cd"))
            throw std::runtime_error("tgtd: " + tgt.error());

        // The burns' discs (and the storage ceiling's file) live under WORK:
        // its file system is the one measured.
        fs::path dir = fs::path(o.work) / "burns";
        fs::remove_all(dir);
        fs::create_directories(dir);
        MasterDrive ours({"rom=" + image.string()});
        if (!ours.running()) throw std::runtime_error(ours.error());
        std::string url_ours = ours.url("rom"), url_tgt = tgt.url("iqn.2026-11.org.discmaster.bench:rom");
        pid_t tgt_pid = child_named("tgtd");
        if (tgt_pid < 0) throw std::runtime_error("cannot find tgtd's process");

        std::vector<Row> rows;
        if (o.wants("read")) {
            for (uint32_t chunk : {64u << 10, 1u << 20}) {
                Initiator a(url_ours);
                Initiator b(url_tgt);
                if (a.capacity_bytes() != image_bytes || b.capacity_bytes() != image_bytes)
                    throw std::runtime_error("the two targets disagree on the disc's size");
                rows.push_back(measure(
                    "READ " + std::to_string(chunk >> 10) + " KiB", [&] { a.run(false, image_bytes, chunk, o.depth); },
                    ours.pid(), [&] { b.run(false, image_bytes, chunk, o.depth); }, tgt_pid, image_bytes, o.runs));
            }
        }
        if (o.wants("parallel")) {
            for (uint32_t chunk : {64u << 10, 1u << 20}) {
                ParallelReaders a(url_ours, o.sessions), b(url_tgt, o.sessions);
                rows.push_back(measure("READ " + std::to_string(chunk >> 10) + " KiB x" + std::to_string(o.sessions) + " sess",
                                       [&] { a.run(image_bytes, chunk, o.depth); }, ours.pid(),
                                       [&] { b.run(image_bytes, chunk, o.depth); }, tgt_pid, image_bytes, o.runs));
            }
        }
        if (o.wants("write"))
            for (uint32_t chunk : {64u << 10, 1u << 20}) rows.push_back(burn_row(o, tgt, tgt_pid, dir, chunk));
        print_rows(rows, dir);
        fs::remove_all(dir);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "iscsi_bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
