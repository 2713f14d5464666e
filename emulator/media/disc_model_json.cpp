// toc.json: the DiscModel as JSON (docs/vdisc.md). Reading is strict: every
// field must have the type the model keeps, with no conversion (nlohmann's
// get<> turns -1 into 4294967295, 1.5 into 1, true into 1 and 2^32 into 0),
// and an error names the field.
#include "emulator/media/disc_model.h"

namespace emulator::media {

using nlohmann::json;
namespace mm = mastering::media;

json to_json(const DiscModel& m) {
    json sessions = json::array();
    for (const auto& s : m.sessions) {
        json tracks = json::array();
        for (const auto& t : s.tracks)
            tracks.push_back({{"number", t.number}, {"start", t.start}, {"recorded", t.recorded},
                              {"reserved", t.reserved}, {"closed", t.closed}, {"damaged", t.damaged},
                              {"data_mode", t.data_mode}, {"tao", t.tao}});
        sessions.push_back({{"number", s.number}, {"closed", s.closed}, {"start", s.start}, {"tracks", tracks}});
    }
    auto toc = m.toc();
    return {
        {"format", "discmaster-vdisc"},
        {"version", 1},
        {"profile", std::string(mm::profile_name(m.profile))},
        {"profile_code", uint16_t(m.profile)},
        {"medium", std::string(mm::profile_name(m.medium))},
        {"capacity", m.capacity},
        {"state", std::string(mm::to_string(toc.state))},
        {"finalized", m.finalized},
        {"formatted", m.formatted},
        {"formatted_blocks", m.formatted_blocks},
        {"rom", m.rom},
        {"rom_blocks", m.rom_blocks},
        {"pow", m.pow},
        {"pow_spare", m.pow_spare},
        {"pow_replaced", m.pow_replaced},
        {"session_gap", m.session_gap},
        {"generation", m.generation},
        {"sessions", sessions},
    };
}

namespace {

// A field that is missing or has the wrong type or range: its path
// ("sessions[1].start") and what is wrong.
struct BadField {
    std::string message;
};

// The members of one JSON object, read by type; `path` names the object.
class Fields {
public:
    Fields(const json& object, std::string path) : m_object(object), m_path(std::move(path)) {
        if (!m_object.is_object()) fail("", "is not an object");
    }

    uint64_t number(const char* key, uint64_t max, std::optional<uint64_t> absent = {}) const {
        const json* v = find(key, absent.has_value());
        if (!v) return *absent;
        if (!v->is_number_unsigned()) {
            if (v->is_number_integer()) fail(key, v->dump() + " is negative");
            fail(key, v->dump() + (v->is_number_float() ? " is not a whole number" : " is not a number"));
        }
        uint64_t n = v->get<uint64_t>();
        if (n > max) fail(key, v->dump() + " is too large (at most " + std::to_string(max) + ")");
        return n;
    }
    uint32_t u32(const char* key, std::optional<uint32_t> absent = {}) const {
        return uint32_t(number(key, UINT32_MAX, absent));
    }
    bool flag(const char* key, std::optional<bool> absent = {}) const {
        const json* v = find(key, absent.has_value());
        if (!v) return *absent;
        if (!v->is_boolean()) fail(key, v->dump() + " is not true or false");
        return v->get<bool>();
    }
    std::string text(const char* key, std::optional<std::string> absent = {}) const {
        const json* v = find(key, absent.has_value());
        if (!v) return *absent;
        if (!v->is_string()) fail(key, v->dump() + " is not a string");
        return v->get<std::string>();
    }
    const json& array(const char* key) const {
        const json* v = find(key, false);
        if (!v->is_array()) fail(key, "is not a list");
        return *v;
    }
    std::string path(const char* key) const { return m_path.empty() ? key : m_path + "." + key; }

    [[noreturn]] void fail(const char* key, const std::string& what) const {
        std::string where = *key ? path(key) : m_path;
        throw BadField{"toc.json: " + where + (where.empty() ? "" : ": ") + what};
    }

private:
    const json* find(const char* key, bool optional) const {
        auto it = m_object.find(key);
        if (it != m_object.end()) return &*it;
        if (!optional) fail(key, "missing");
        return nullptr;
    }
    const json& m_object;
    std::string m_path;
};

TrackRecord track_from_json(const json& j, const std::string& path) {
    Fields f(j, path);
    TrackRecord t;
    t.number = f.u32("number");
    t.start = f.u32("start");
    t.recorded = f.u32("recorded");
    t.reserved = f.u32("reserved");
    t.closed = f.flag("closed");
    t.damaged = f.flag("damaged", false);
    t.data_mode = uint8_t(f.number("data_mode", 0xFF, 1));
    t.tao = f.flag("tao", false);
    uint64_t end = uint64_t(t.start) + std::max(t.recorded, t.reserved);
    if (end > UINT32_MAX) f.fail("recorded", "the track ends beyond block 2^32");
    return t;
}

SessionRecord session_from_json(const json& j, const std::string& path) {
    Fields f(j, path);
    SessionRecord s;
    s.number = f.u32("number");
    s.closed = f.flag("closed");
    s.start = f.u32("start");
    const json& tracks = f.array("tracks");
    for (size_t i = 0; i < tracks.size(); ++i)
        s.tracks.push_back(track_from_json(tracks[i], f.path("tracks") + "[" + std::to_string(i) + "]"));
    return s;
}

DiscModel model_from_json(const Fields& f, const json& j) {
    DiscModel m;
    m.profile = Profile(f.number("profile_code", 0xFFFF));
    if (mm::profile_info(m.profile).profile != m.profile) f.fail("profile_code", "unknown profile " + j["profile_code"].dump());
    std::string medium = f.text("medium");
    auto known = mm::profile_from_name(medium);
    if (!known) f.fail("medium", "unknown medium \"" + medium + "\"");
    m.medium = *known;
    m.capacity = f.u32("capacity");
    m.finalized = f.flag("finalized");
    m.formatted = f.flag("formatted");
    m.formatted_blocks = f.u32("formatted_blocks");
    m.rom = f.flag("rom");
    m.rom_blocks = f.u32("rom_blocks");
    m.pow = f.flag("pow", false);
    m.pow_spare = f.u32("pow_spare", 0);
    m.pow_replaced = f.u32("pow_replaced", 0);
    m.session_gap = f.u32("session_gap", 0);
    m.generation = f.number("generation", UINT64_MAX, 0);
    const json& sessions = f.array("sessions");
    for (size_t i = 0; i < sessions.size(); ++i)
        m.sessions.push_back(session_from_json(sessions[i], "sessions[" + std::to_string(i) + "]"));
    return m;
}

}  // namespace

Result<DiscModel> disc_model_from_json(const json& j) {
    using mastering::Errc;
    using mastering::make_error;
    try {
        Fields f(j, "");
        if (f.text("format", "") != "discmaster-vdisc") return make_error(Errc::corrupt, "toc.json: not a discmaster virtual disc");
        if (f.number("version", UINT32_MAX, 0) != 1) return make_error(Errc::unsupported, "toc.json: unknown version");
        DiscModel m = model_from_json(f, j);
        // A state no medium can be in (an edited or damaged file) is refused
        // here, not left for the drive's commands to trip over.
        if (auto broken = check_invariants(m); !broken.empty()) return make_error(Errc::corrupt, "toc.json: " + broken);
        return m;
    } catch (const BadField& e) {
        return make_error(Errc::corrupt, e.message);
    } catch (const json::exception& e) {
        return make_error(Errc::corrupt, std::string("toc.json: ") + e.what());
    }
}

}  // namespace emulator::media
