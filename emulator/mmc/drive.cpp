#include "emulator/mmc/drive.h"

#include <algorithm>
#include <cstring>
#include <thread>

#include "emulator/mmc/handlers.h"

namespace emulator::mmc {

namespace op = sc::op;
namespace sense = sc::sense;

Drive::Drive(DriveOptions options)
    : m_options(std::move(options)), m_trace(m_options.trace, m_options.trace_limit) {
    m_page05.write_type = 1;  // TAO: a valid default (Brasero never sets page 05 when one is shown)
    m_page05.multisession = 0;
    m_page05.data_block_type = 8;
    m_page05.track_mode = 4;
}

Drive::~Drive() = default;

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
    m_recording.reset();
    for (NexusId n : m_nexuses) m_ua[n] = {sense::power_on_reset};
}

uint32_t Drive::transfer_block() const { return m_recording ? m_recording->sector_format().block : 2048; }

RecordingStrategy& Drive::recording() {
    WriteMode mode = write_mode(model(), m_page05);
    if (!m_recording || (m_recording->mode() != mode && !m_recording->holds_session())) m_recording = make_recording(mode);
    return *m_recording;
}

void Drive::lose_power() {
    // What the drive had not written to the medium is gone; the medium keeps
    // its last synchronized state.
    if (m_disc) (void)m_disc->reload_model();
    m_busy_until = {};
    m_recording.reset();
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

std::optional<CommandReply> Drive::record(int64_t lba, uint32_t blocks, uint64_t data_lba,
                                          std::span<const std::byte> data, TrackRecord* track) {
    if (auto f = write_faults(uint64_t(std::max<int64_t>(lba, 0)), blocks)) {
        // A medium error leaves the medium in place: the track it hit is damaged.
        if (track && f->sense.key == sc::SenseKey::medium_error) track->damaged = true;
        return f;
    }
    if (!data.empty() && !m_disc->write(data_lba, data).ok()) return check_at(sense::write_error, lba);
    emulate_speed(blocks);
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
    // Reads, writes into the page cache and queries: no mechanics, no fsync.
    const sc::Command* command = sc::find_command(cdb);
    const Binding* binding = cdb.empty() ? nullptr : binding_for(cdb[0]);
    if (!command || !binding || !command->has(sc::command_flag::quick)) return std::nullopt;
    std::unique_lock lock(m_mutex, std::try_to_lock);
    if (!lock.owns_lock()) return std::nullopt;  // another command runs: queue behind it
    if (binding->has(k_writes) && m_options.speed) return std::nullopt;  // an emulated speed sleeps: on a worker
    for (const auto& f : m_faults.faults)
        if (f.kind == media::FaultKind::slow) return std::nullopt;  // a slow drive is slow on a worker
    return execute_locked(nexus, cdb, data_out, data_in, by_reference);
}

CommandReply Drive::execute_locked(NexusId nexus, std::span<const uint8_t> cdb, std::span<const std::byte> data_out,
                                   std::span<std::byte> data_in, bool by_reference) {
    auto t0 = std::chrono::steady_clock::now();
    Ctx c{nexus, cdb, data_out, data_in, by_reference};
    CommandReply r = dispatch(c);
    if (auto need = sc::data_out_length(cdb, transfer_block())) {
        r.data_out_used = std::min(*need, data_out.size());
        r.data_out_overflow = *need > data_out.size() ? *need - data_out.size() : 0;
    }
    if (r.status == sc::Status::check_condition) m_deferred[nexus] = r.sense;
    ++m_seq;
    m_trace.add(m_seq, nexus, cdb, data_out, r, std::chrono::steady_clock::now() - t0);
    return r;
}

CommandReply Drive::dispatch(Ctx& c) {
    const Binding* b = c.cdb.empty() ? nullptr : binding_for(c.cdb[0]);
    if (!b) return check(sense::invalid_opcode);
    if (c.cdb.size() < b->command->cdb_length) return check(sense::invalid_field_in_cdb);
    if (!b->has(k_skips_ua)) {
        auto q = m_ua.find(c.nexus);
        if (q != m_ua.end() && !q->second.empty()) {
            sc::Sense s = q->second.front();
            q->second.pop_front();
            return check(s);
        }
    }
    for (const auto& f : m_faults.faults)
        if (f.kind == media::FaultKind::slow && (!f.opcode || *f.opcode == c.cdb[0]))
            std::this_thread::sleep_for(std::chrono::milliseconds(f.milliseconds));
    if (m_not_ready_left > 0 && !b->has(k_skips_ua)) {
        --m_not_ready_left;
        return check(sense::becoming_ready);
    }
    if (std::chrono::steady_clock::now() < m_busy_until && !b->has(k_while_busy)) return check(m_busy_sense);
    if (b->has(k_needs_medium)) {
        if (m_tray_open) return check(sense::medium_not_present_tray_open);
        if (!m_disc) return check(sense::medium_not_present_tray_closed);
    }
    if (b->command->service_action && sc::service_action_field(c.cdb) != *b->command->service_action)
        return check(b->has(k_other_service_action_unknown) ? sense::invalid_opcode : sense::invalid_field_in_cdb);
    return b->handler(*this, c);
}

Status Drive::insert(std::unique_ptr<media::VirtualDisc> disc) {
    std::lock_guard lock(m_mutex);
    if (m_disc) return mastering::make_error(mastering::Errc::exists, "the drive already holds a medium");
    m_disc = std::move(disc);
    m_tray_open = false;
    m_recording.reset();
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
    m_recording.reset();
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
    m_trace.set_enabled(on);
}

std::vector<std::string> Drive::trace(bool clear) {
    std::lock_guard lock(m_mutex);
    return m_trace.lines(clear);
}

Status Drive::set_trace_file(const std::string& path) {
    std::lock_guard lock(m_mutex);
    return m_trace.set_file(path);
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
