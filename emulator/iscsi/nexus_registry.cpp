#include "emulator/iscsi/nexus_registry.h"

namespace emulator::iscsi {

NexusRegistry::Claim NexusRegistry::claim(const Port& port, const void* owner, std::function<void()> end_owner,
                                          const std::shared_ptr<LogicalUnit>& unit) {
    std::lock_guard lock(m_mutex);
    Entry& e = m_entries[port];
    if (!e.id) e.id = m_next_id++;
    Claim c;
    c.id = e.id;
    if (e.owner && e.owner != owner) c.end_previous = std::move(e.end_owner);
    e.owner = owner;
    e.end_owner = std::move(end_owner);
    e.kept_until = {};
    if (e.unit == unit) {
        c.resumed = true;
    } else {
        if (e.unit) e.unit->nexus_closed(e.id);  // the target's unit was replaced meanwhile
        e.unit = unit;
        e.unit->nexus_opened(e.id);
    }
    return c;
}

void NexusRegistry::release(const Port& port, const void* owner, bool close_now) {
    std::lock_guard lock(m_mutex);
    auto it = m_entries.find(port);
    if (it == m_entries.end() || it->second.owner != owner) return;
    Entry& e = it->second;
    e.owner = nullptr;
    e.end_owner = nullptr;
    if (!close_now) {
        e.kept_until = Clock::now() + m_retention;
        return;
    }
    close(e);
    m_entries.erase(it);
}

void NexusRegistry::close(Entry& e) {
    if (e.unit) e.unit->nexus_closed(e.id);
    e.unit.reset();
}

std::vector<NexusRegistry::Port> NexusRegistry::expire(Clock::time_point now) {
    std::vector<Port> out;
    std::lock_guard lock(m_mutex);
    for (auto it = m_entries.begin(); it != m_entries.end();) {
        Entry& e = it->second;
        if (e.owner || now < e.kept_until) {
            ++it;
            continue;
        }
        close(e);
        out.push_back(it->first);
        it = m_entries.erase(it);
    }
    return out;
}

void NexusRegistry::close_all() {
    std::lock_guard lock(m_mutex);
    for (auto it = m_entries.begin(); it != m_entries.end();) {
        if (it->second.owner) {
            ++it;
            continue;
        }
        close(it->second);
        it = m_entries.erase(it);
    }
}

}  // namespace emulator::iscsi
