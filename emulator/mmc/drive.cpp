#include "emulator/mmc/drive.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <thread>

#include "emulator/mmc/handlers.h"

namespace emulator::mmc {

namespace op = sc::op;
namespace sense = sc::sense;

const std::vector<Drive::Entry>& Drive::table() {
    using H = Handlers;
    static const std::vector<Entry> t = {
        {op::test_unit_ready, 6, H::test_unit_ready, k_while_busy},
        {op::request_sense, 6, H::request_sense, k_skips_ua | k_while_busy},
        {op::format_unit, 6, H::format_unit, k_needs_medium | k_writes},
        {op::inquiry, 6, H::inquiry, k_skips_ua | k_while_busy},
        {op::mode_select6, 6, H::mode_select, 0},
        {op::mode_sense6, 6, H::mode_sense, k_while_busy},
        {op::start_stop_unit, 6, H::start_stop_unit, 0},
        {op::prevent_allow, 6, H::prevent_allow, k_while_busy},
        {op::read_format_capacities, 10, H::read_format_capacities, k_while_busy},
        {op::read_capacity, 10, H::read_capacity, k_needs_medium},
        {op::service_action_in16, 16, H::read_capacity16, k_needs_medium},
        {op::read10, 10, H::read, k_needs_medium},
        {op::write10, 10, H::write, k_needs_medium | k_writes},
        {op::verify10, 10, H::verify, k_needs_medium},
        {op::synchronize_cache, 10, H::synchronize_cache, k_needs_medium},
        {op::read_toc, 10, H::read_toc, k_needs_medium},
        {op::get_configuration, 10, H::get_configuration, k_skips_ua | k_while_busy},
        {op::get_event_status, 10, H::event_status, k_skips_ua | k_while_busy},
        {op::read_disc_information, 10, H::read_disc_information, k_needs_medium},
        {op::read_track_information, 10, H::read_track_information, k_needs_medium},
        {op::reserve_track, 10, H::reserve_track, k_needs_medium | k_writes},
        {op::send_opc, 10, H::send_opc, k_needs_medium},
        {op::mode_select10, 10, H::mode_select, 0},
        {op::mode_sense10, 10, H::mode_sense, k_while_busy},
        {op::close_track_session, 10, H::close_track_session, k_needs_medium | k_writes},
        {op::read_buffer_capacity, 10, H::read_buffer_capacity, k_while_busy},
        {op::send_cue_sheet, 10, H::send_cue_sheet, k_needs_medium | k_writes},
        {op::report_luns, 12, H::report_luns, k_skips_ua | k_while_busy},
        {op::blank, 12, H::blank, k_needs_medium | k_writes},
        {op::report_supported_opcodes, 12, H::report_supported_opcodes, k_while_busy},
        {op::report_key, 12, H::report_key, k_needs_medium},
        {op::read12, 12, H::read, k_needs_medium},
        {op::write12, 12, H::write, k_needs_medium | k_writes},
        {op::get_performance, 12, H::get_performance, k_while_busy},
        {op::read_disc_structure, 12, H::read_disc_structure, k_needs_medium},
        {op::set_streaming, 12, H::set_speed, k_while_busy},
        {op::read_cd, 12, H::read_cd, k_needs_medium},
        {op::set_cd_speed, 12, H::set_speed, k_while_busy},
        {op::mechanism_status, 12, H::mechanism_status, k_skips_ua | k_while_busy},
    };
    return t;
}

Drive::Drive(DriveOptions options) : m_options(std::move(options)), m_tracing(m_options.trace) {
    m_page05.write_type = 1;  // TAO: a valid default (Brasero never sets page 05 when one is shown)
    m_page05.multisession = 0;
    m_page05.data_block_type = 8;
    m_page05.track_mode = 4;
}

Drive::~Drive() {
    if (m_trace_fd >= 0) ::close(m_trace_fd);
}

Profile Drive::profile() const { return m_disc ? m_disc->model().profile : Profile::none; }

CommandReply Drive::reply(Ctx& c, const sc::Bytes& data, size_t alloc) {
    size_t want = std::min(data.size(), alloc);
    size_t n = std::min(want, c.in.size());
    if (n) std::memcpy(c.in.data(), data.data(), n);
    CommandReply r;
    r.data_in_length = n;
    r.data_in_overflow = want - n;
    return r;
}

void Drive::queue_ua_all(const sc::Sense& s) {
    for (NexusId n : m_nexuses) {
        auto& q = m_ua[n];
        if (std::find(q.begin(), q.end(), s) == q.end()) q.push_back(s);
    }
}

void Drive::media_event(uint8_t code) {
    m_media_events.push_back(code);
    while (m_media_events.size() > 8) m_media_events.pop_front();
}

void Drive::nexus_opened(NexusId nexus) {
    std::lock_guard lock(m_mutex);
    m_nexuses.insert(nexus);
    m_ua[nexus] = {sense::power_on_reset};
}

void Drive::nexus_closed(NexusId nexus) {
    std::lock_guard lock(m_mutex);
    m_nexuses.erase(nexus);
    m_ua.erase(nexus);
    m_deferred.erase(nexus);
    m_preventers.erase(nexus);
}

void Drive::reset(NexusId) {
    std::lock_guard lock(m_mutex);
    m_preventers.clear();
    m_busy_until = {};
    m_sao_leadout.reset();
    for (NexusId n : m_nexuses) m_ua[n] = {sense::power_on_reset};
}

std::optional<size_t> Drive::data_out_length(std::span<const uint8_t> cdb) const {
    if (cdb.empty()) return std::nullopt;
    size_t block = m_sao_leadout ? m_sao_block : 2048;
    // A CDB shorter than its command is refused by execute(); it transfers nothing.
    auto has = [&](size_t n) { return cdb.size() >= n; };
    switch (cdb[0]) {
    case op::write10: return has(10) ? size_t(sc::be16(&cdb[7])) * block : 0;
    case op::write12: return has(12) ? size_t(sc::be32(&cdb[6])) * block : 0;
    case op::verify10: return (has(10) && (cdb[1] & 0x02)) ? size_t(sc::be16(&cdb[7])) * 2048 : 0;  // BYTCHK
    case op::mode_select10:
    case op::send_opc:
        return has(10) ? sc::be16(&cdb[7]) : 0;
    case op::mode_select6: return cdb.size() > 4 ? cdb[4] : 0;
    case op::send_cue_sheet: return has(10) ? sc::be24(&cdb[6]) : 0;
    case op::format_unit: return (cdb.size() > 1 && (cdb[1] & 0x10)) ? 12 : 0;
    case op::set_streaming: return cdb.size() > 10 ? sc::be16(&cdb[9]) : 0;
    case op::send_disc_structure: return cdb.size() > 9 ? sc::be16(&cdb[8]) : 0;
    default: return 0;
    }
}

void Drive::lose_power() {
    // What the drive had not written to the medium is gone; the medium keeps
    // its last synchronized state.
    if (m_disc) (void)m_disc->reload_model();
    m_busy_until = {};
    m_sao_leadout.reset();
    m_preventers.clear();
    for (NexusId n : m_nexuses) m_ua[n] = {sense::power_on_reset};
}

std::optional<CommandReply> Drive::write_faults(uint64_t lba, uint32_t blocks) {
    using media::FaultKind;
    for (const auto& f : m_faults.faults) {
        if (f.kind == FaultKind::write_error && lba <= f.last && lba + blocks > f.first) {
            sc::Sense s = sense::write_error;
            s.information = uint32_t(std::max<uint64_t>(lba, f.first));
            return check(s);
        }
    }
    uint64_t after = m_fault_sectors + blocks;
    uint64_t before = m_fault_sectors;
    m_fault_sectors = after;  // each sector-count fault fires once, when the count is crossed
    for (const auto& f : m_faults.faults) {
        if (after <= f.count || before > f.count) continue;
        switch (f.kind) {
        case FaultKind::underrun: return check(sense::loss_of_streaming);
        case FaultKind::remove:
            if (m_disc) (void)m_disc->reload_model();
            m_disc.reset();
            m_tray_open = true;
            m_preventers.clear();
            media_event(3);
            return check(sense::medium_not_present_tray_open);
        case FaultKind::power_loss:
            lose_power();
            return check(sense::power_on_reset);
        default: break;
        }
    }
    return std::nullopt;
}

void Drive::emulate_speed(uint32_t blocks) {
    if (!m_options.speed || !m_disc) return;
    // 1x: 150 sectors/s for CD, 1385 kB/s for DVD, 4495.5 kB/s for BD.
    double kbs = 176.4;
    switch (mastering::media::profile_info(model().medium).family) {
    case mastering::media::Family::cd: kbs = 176.4; break;
    case mastering::media::Family::dvd: kbs = 1385; break;
    case mastering::media::Family::bd: kbs = 4495.5; break;
    }
    double secs = blocks * 2.048 / (kbs * m_options.speed);
    std::this_thread::sleep_for(std::chrono::duration<double>(secs));
}

CommandReply Drive::execute(NexusId nexus, std::span<const uint8_t> cdb, std::span<const std::byte> data_out,
                            std::span<std::byte> data_in) {
    std::lock_guard lock(m_mutex);
    return execute_locked(nexus, cdb, data_out, data_in);
}

std::optional<CommandReply> Drive::try_execute_now(NexusId nexus, std::span<const uint8_t> cdb,
                                                   std::span<const std::byte> data_out, std::span<std::byte> data_in,
                                                   bool by_reference) {
    if (cdb.empty()) return std::nullopt;
    switch (cdb[0]) {  // reads, writes and queries: no mechanics, no fsync, no emulated speed
    case op::read10: case op::read12: case op::read_cd: case op::test_unit_ready: case op::inquiry:
    case op::read_capacity: case op::service_action_in16: case op::mode_sense6: case op::mode_sense10:
    case op::get_configuration: case op::get_event_status: case op::read_toc: case op::read_disc_information:
    case op::read_track_information: case op::request_sense: case op::read_disc_structure:
    case op::read_buffer_capacity: case op::mechanism_status: case op::read_format_capacities:
        break;
    case op::write10: case op::write12:  // into the page cache, like a read from it
        break;
    default: return std::nullopt;
    }
    std::unique_lock lock(m_mutex, std::try_to_lock);
    if (!lock.owns_lock()) return std::nullopt;  // another command runs: queue behind it
    bool writes = cdb[0] == op::write10 || cdb[0] == op::write12;
    if (writes && m_options.speed) return std::nullopt;  // an emulated speed sleeps: on a worker
    for (const auto& f : m_faults.faults)
        if (f.kind == media::FaultKind::slow) return std::nullopt;  // a slow drive is slow on a worker
    return execute_locked(nexus, cdb, data_out, data_in, by_reference);
}

CommandReply Drive::execute_locked(NexusId nexus, std::span<const uint8_t> cdb, std::span<const std::byte> data_out,
                                   std::span<std::byte> data_in, bool by_reference) {
    auto t0 = std::chrono::steady_clock::now();
    Ctx c{nexus, cdb, data_out, data_in, by_reference};
    auto run = [&]() -> CommandReply {
        if (cdb.empty()) return check(sense::invalid_opcode);
        const auto& t = table();
        auto it = std::find_if(t.begin(), t.end(), [&](const Entry& e) { return e.opcode == cdb[0]; });
        if (it == t.end()) return check(sense::invalid_opcode);
        if (cdb.size() < it->cdb_length) return check(sense::invalid_field_in_cdb);
        if (!(it->flags & k_skips_ua)) {
            auto q = m_ua.find(nexus);
            if (q != m_ua.end() && !q->second.empty()) {
                sc::Sense s = q->second.front();
                q->second.pop_front();
                return check(s);
            }
        }
        for (const auto& f : m_faults.faults)
            if (f.kind == media::FaultKind::slow && (!f.opcode || *f.opcode == cdb[0]))
                std::this_thread::sleep_for(std::chrono::milliseconds(f.milliseconds));
        if (m_not_ready_left > 0 && !(it->flags & k_skips_ua)) {
            --m_not_ready_left;
            return check(sense::becoming_ready);
        }
        auto now = std::chrono::steady_clock::now();
        if (now < m_busy_until && !(it->flags & k_while_busy)) {
            sc::Sense s = m_busy_sense;
            return check(s);
        }
        if (it->flags & k_needs_medium) {
            if (m_tray_open) return check(sense::medium_not_present_tray_open);
            if (!m_disc) return check(sense::medium_not_present_tray_closed);
        }
        return it->handler(*this, c);
    };
    CommandReply r = run();
    if (auto need = data_out_length(cdb)) {
        r.data_out_used = std::min(*need, data_out.size());
        r.data_out_overflow = *need > data_out.size() ? *need - data_out.size() : 0;
    }
    if (r.status == sc::Status::check_condition) m_deferred[nexus] = r.sense;
    record(c, r, std::chrono::steady_clock::now() - t0);
    return r;
}

void Drive::record(Ctx& c, const CommandReply& r, std::chrono::nanoseconds took) {
    ++m_seq;
    if (!m_tracing && m_trace_fd < 0) return;
    // Kept as a compact record and written out as JSON only when asked for
    // (or when a trace file takes every line): the hot path of a read stays cheap.
    TraceRecord t;
    t.seq = m_seq;
    t.nexus = c.nexus;
    t.cdb_length = uint8_t(std::min(c.cdb.size(), t.cdb.size()));
    std::copy_n(c.cdb.begin(), t.cdb_length, t.cdb.begin());
    t.out = c.out.size();
    // Parameter lists (cue sheets, mode pages, ...) are worth seeing; written blocks are not.
    if (!c.out.empty() && c.out.size() <= 256) {
        const auto* p = reinterpret_cast<const uint8_t*>(c.out.data());
        t.data.assign(p, p + c.out.size());
    }
    t.in = r.data_in_length;
    t.status = r.status;
    t.sense = r.sense;
    t.us = std::chrono::duration_cast<std::chrono::microseconds>(took).count();
    if (m_trace_fd >= 0) {
        std::string l = trace_line(t) + "\n";
        (void)!::write(m_trace_fd, l.data(), l.size());
    }
    if (m_tracing) {
        m_trace.push_back(std::move(t));
        while (m_trace.size() > m_options.trace_limit) m_trace.pop_front();
    }
}

std::string Drive::trace_line(const TraceRecord& t) {
    auto hex = [](const uint8_t* p, size_t n) {
        static constexpr char digits[] = "0123456789abcdef";
        std::string h;
        h.reserve(2 * n);
        for (size_t i = 0; i < n; ++i) h += {digits[p[i] >> 4], digits[p[i] & 15]};
        return h;
    };
    std::span<const uint8_t> cdb(t.cdb.data(), t.cdb_length);
    std::string data_text;
    if (!t.data.empty()) data_text = ",\"data\":\"" + hex(t.data.data(), t.data.size()) + "\"";
    std::string sense_text;
    if (t.status == sc::Status::check_condition) {
        char s[32];
        std::snprintf(s, sizeof s, ",\"sense\":\"%X/%02X/%02X\"", unsigned(t.sense.key), t.sense.asc, t.sense.ascq);
        sense_text = s;
    }
    char line[1200];
    std::snprintf(line, sizeof line,
                  "{\"seq\":%llu,\"nexus\":%llu,\"op\":\"%s\",\"cdb\":\"%s\",\"out\":%zu%s,\"in\":%zu,\"status\":%u%s,\"us\":%lld}",
                  (unsigned long long)t.seq, (unsigned long long)t.nexus, std::string(sc::command_name(cdb)).c_str(),
                  hex(cdb.data(), cdb.size()).c_str(), t.out, data_text.c_str(), t.in, unsigned(t.status),
                  sense_text.c_str(), (long long)t.us);
    return line;
}

Status Drive::insert(std::unique_ptr<media::VirtualDisc> disc) {
    std::lock_guard lock(m_mutex);
    if (m_disc) return mastering::make_error(mastering::Errc::exists, "the drive already holds a medium");
    m_disc = std::move(disc);
    m_tray_open = false;
    m_sao_leadout.reset();
    queue_ua_all(sense::medium_changed);
    media_event(2);
    return {};
}

Result<std::unique_ptr<media::VirtualDisc>> Drive::eject(bool force) {
    std::lock_guard lock(m_mutex);
    if (prevented() && !force)
        return mastering::make_error(mastering::Errc::invalid_argument, "medium removal is prevented by an initiator");
    m_preventers.clear();
    m_tray_open = true;
    m_sao_leadout.reset();
    media_event(3);
    if (m_disc) (void)m_disc->sync();
    return std::move(m_disc);
}

Status Drive::set_fault_plan(const std::string& spec) {
    auto plan = DM_TRY(media::parse_fault_plan(spec));
    std::lock_guard lock(m_mutex);
    m_faults = std::move(plan);
    m_fault_sectors = 0;
    m_not_ready_left = 0;
    for (const auto& f : m_faults.faults)
        if (f.kind == media::FaultKind::not_ready) m_not_ready_left += f.count;
    return {};
}

void Drive::set_speed(unsigned multiple) {
    std::lock_guard lock(m_mutex);
    m_options.speed = multiple;
}

void Drive::set_tracing(bool on) {
    std::lock_guard lock(m_mutex);
    m_tracing = on;
}

std::vector<std::string> Drive::trace(bool clear) {
    std::lock_guard lock(m_mutex);
    std::vector<std::string> out;
    out.reserve(m_trace.size());
    for (const auto& t : m_trace) out.push_back(trace_line(t));
    if (clear) m_trace.clear();
    return out;
}

Status Drive::set_trace_file(const std::string& path) {
    std::lock_guard lock(m_mutex);
    if (m_trace_fd >= 0) ::close(m_trace_fd);
    m_trace_fd = -1;
    if (path.empty()) return {};
    m_trace_fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (m_trace_fd < 0) return mastering::os_error(path);
    return {};
}

std::string Drive::check_medium_invariants() {
    std::lock_guard lock(m_mutex);
    return m_disc ? media::check_invariants(m_disc->model()) : "";
}

DriveStatus Drive::status() {
    std::lock_guard lock(m_mutex);
    DriveStatus s;
    s.medium_present = m_disc != nullptr;
    s.tray_open = m_tray_open;
    s.prevented = prevented();
    if (m_disc) {
        s.disc_path = m_disc->path();
        s.toc = m_disc->model().toc();
    }
    s.fault_plan = media::format_fault_plan(m_faults);
    s.nexuses = m_nexuses.size();
    s.commands = m_seq;
    return s;
}

}  // namespace emulator::mmc
