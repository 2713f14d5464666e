#include "mastering/media/toc_json.h"

namespace mastering::media {

nlohmann::json to_json(const Toc& toc) {
    using nlohmann::json;
    json media = {
        {"profile", toc.profile == Profile::none ? "image-file" : std::string(profile_name(toc.profile))},
        {"state", std::string(to_string(toc.state))},
        {"capacity", toc.capacity},
        {"free_blocks", toc.free_blocks},
    };
    if (toc.next_writable) media["next_writable"] = *toc.next_writable;
    json sessions = json::array();
    for (const auto& s : toc.sessions) {
        json tracks = json::array();
        for (const auto& t : s.tracks)
            tracks.push_back({{"number", t.number}, {"start", t.start}, {"size", t.size},
                              {"state", std::string(to_string(t.state))}});
        sessions.push_back({{"number", s.number}, {"start", s.start}, {"size", s.size},
                            {"state", std::string(to_string(s.state))}, {"tracks", tracks}});
    }
    return {{"media", media}, {"sessions", sessions}};
}

}  // namespace mastering::media
