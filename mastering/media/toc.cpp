#include "mastering/media/toc.h"

#include <array>
#include <utility>

namespace mastering::media {

namespace {
template <typename E, size_t N>
std::optional<E> lookup(const std::array<std::pair<E, std::string_view>, N>& table, std::string_view s) {
    for (const auto& [e, name] : table)
        if (name == s) return e;
    return std::nullopt;
}
template <typename E, size_t N>
std::string_view name_of(const std::array<std::pair<E, std::string_view>, N>& table, E e) {
    for (const auto& [v, name] : table)
        if (v == e) return name;
    return "unknown";
}
constexpr std::array<std::pair<DiscState, std::string_view>, 4> k_disc{{
    {DiscState::blank, "blank"}, {DiscState::appendable, "appendable"},
    {DiscState::complete, "complete"}, {DiscState::other, "other"}}};
constexpr std::array<std::pair<SessionState, std::string_view>, 3> k_session{{
    {SessionState::empty, "empty"}, {SessionState::incomplete, "incomplete"}, {SessionState::complete, "complete"}}};
constexpr std::array<std::pair<TrackState, std::string_view>, 4> k_track{{
    {TrackState::invisible, "invisible"}, {TrackState::incomplete, "incomplete"},
    {TrackState::reserved, "reserved"}, {TrackState::complete, "complete"}}};
}  // namespace

std::string_view to_string(DiscState s) { return name_of(k_disc, s); }
std::string_view to_string(SessionState s) { return name_of(k_session, s); }
std::string_view to_string(TrackState s) { return name_of(k_track, s); }
std::optional<DiscState> disc_state_from_string(std::string_view s) { return lookup(k_disc, s); }
std::optional<SessionState> session_state_from_string(std::string_view s) { return lookup(k_session, s); }
std::optional<TrackState> track_state_from_string(std::string_view s) { return lookup(k_track, s); }

void Toc::set_next_writable(std::optional<uint32_t> lba) {
    next_writable = lba;
    if (lba) free_blocks = capacity > *lba ? capacity - *lba : 0;
}

const Session* Toc::last_session() const {
    for (auto it = sessions.rbegin(); it != sessions.rend(); ++it)
        if (it->size > 0) return &*it;
    return nullptr;
}

}  // namespace mastering::media
