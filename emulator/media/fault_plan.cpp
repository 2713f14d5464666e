#include "emulator/media/fault_plan.h"

#include <cstdio>
#include <cstdlib>

namespace emulator::media {

using mastering::Errc;
using mastering::make_error;

namespace {
std::string trim(std::string s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.erase(s.begin());
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) s.pop_back();
    return s;
}
std::optional<uint64_t> number(const std::string& s, int base = 10) {
    if (s.empty()) return std::nullopt;
    char* end = nullptr;
    unsigned long long v = std::strtoull(s.c_str(), &end, base);
    if (*end != '\0') return std::nullopt;
    return v;
}
}  // namespace

mastering::Result<FaultPlan> parse_fault_plan(const std::string& spec) {
    FaultPlan plan;
    std::string s = trim(spec);
    if (s.empty() || s == "none") return plan;
    size_t pos = 0;
    while (pos <= s.size()) {
        size_t sep = s.find_first_of(";,", pos);
        std::string item = trim(s.substr(pos, sep == std::string::npos ? std::string::npos : sep - pos));
        pos = sep == std::string::npos ? s.size() + 1 : sep + 1;
        if (item.empty()) continue;
        size_t colon = item.find(':');
        std::string kind = item.substr(0, colon), arg = colon == std::string::npos ? "" : item.substr(colon + 1);
        Fault f{};
        auto bad = [&] { return make_error(Errc::invalid_argument, "fault plan: cannot read \"" + item + "\""); };
        if (kind == "write-error") {
            f.kind = FaultKind::write_error;
            size_t dash = arg.find('-');
            auto a = number(arg.substr(0, dash));
            auto b = dash == std::string::npos ? a : number(arg.substr(dash + 1));
            if (!a || !b || *b < *a) return bad();
            f.first = *a;
            f.last = *b;
        } else if (kind == "underrun" || kind == "remove" || kind == "power-loss" || kind == "not-ready") {
            f.kind = kind == "underrun" ? FaultKind::underrun
                     : kind == "remove" ? FaultKind::remove
                     : kind == "power-loss" ? FaultKind::power_loss
                                            : FaultKind::not_ready;
            auto n = number(arg);
            if (!n) return bad();
            f.count = *n;
        } else if (kind == "slow") {
            f.kind = FaultKind::slow;
            size_t c2 = arg.find(':');
            std::string ms = arg.substr(0, c2);
            if (ms.size() > 2 && ms.substr(ms.size() - 2) == "ms") ms.resize(ms.size() - 2);
            auto n = number(ms);
            if (!n || *n > 600000) return bad();
            f.milliseconds = uint32_t(*n);
            if (c2 != std::string::npos) {
                auto op = number(arg.substr(c2 + 1), 16);
                if (!op || *op > 0xFF) return bad();
                f.opcode = uint8_t(*op);
            }
        } else {
            return make_error(Errc::invalid_argument, "fault plan: unknown fault \"" + kind +
                                                          "\" (write-error, underrun, remove, power-loss, not-ready, slow)");
        }
        plan.faults.push_back(f);
    }
    return plan;
}

std::string format_fault_plan(const FaultPlan& plan) {
    std::string out;
    char buf[64];
    for (const auto& f : plan.faults) {
        switch (f.kind) {
        case FaultKind::write_error:
            std::snprintf(buf, sizeof buf, "write-error:%llu-%llu", (unsigned long long)f.first, (unsigned long long)f.last);
            break;
        case FaultKind::underrun: std::snprintf(buf, sizeof buf, "underrun:%llu", (unsigned long long)f.count); break;
        case FaultKind::remove: std::snprintf(buf, sizeof buf, "remove:%llu", (unsigned long long)f.count); break;
        case FaultKind::power_loss: std::snprintf(buf, sizeof buf, "power-loss:%llu", (unsigned long long)f.count); break;
        case FaultKind::not_ready: std::snprintf(buf, sizeof buf, "not-ready:%llu", (unsigned long long)f.count); break;
        case FaultKind::slow:
            if (f.opcode) std::snprintf(buf, sizeof buf, "slow:%ums:%02x", f.milliseconds, *f.opcode);
            else std::snprintf(buf, sizeof buf, "slow:%ums", f.milliseconds);
            break;
        }
        if (!out.empty()) out += ";";
        out += buf;
    }
    return out.empty() ? "none" : out;
}

}  // namespace emulator::media
