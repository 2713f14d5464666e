#include "mastering/transport/transport.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <mutex>

namespace mastering::transport {

Command::Command(std::span<const uint8_t> cdb_bytes, Direction dir, std::span<std::byte> buffer)
    : direction(dir), data(buffer) {
    DM_VERIFY(cdb_bytes.size() <= cdb.size());
    std::copy(cdb_bytes.begin(), cdb_bytes.end(), cdb.begin());
    cdb_length = uint8_t(cdb_bytes.size());
}

std::optional<scsi::Sense> Command::decoded_sense() const {
    if (status != scsi::Status::check_condition || sense.empty()) return std::nullopt;
    auto s = scsi::decode_sense(sense);
    if (!s.ok()) return std::nullopt;
    return *s;
}

std::string Command::describe_failure() const {
    char op[32];
    std::snprintf(op, sizeof op, "command %02Xh", cdb_length ? cdb[0] : 0);
    if (auto s = decoded_sense()) return std::string(op) + ": " + scsi::describe(*s);
    char st[80];
    std::snprintf(st, sizeof st, "%s: SCSI status %02Xh", op, unsigned(status));
    return st;
}

Status Transport::execute(Command& cmd) {
    cmd.status = scsi::Status::good;
    cmd.sense.clear();
    cmd.transferred = 0;
    cmd.residual = 0;
    auto t0 = std::chrono::steady_clock::now();
    Status r = do_execute(cmd);
    if (m_trace) m_trace(cmd, std::chrono::steady_clock::now() - t0);
    return r;
}

std::string redact_address(const std::string& address) {
    size_t host = address.rfind("iscsi://", 0) == 0 ? 8 : address.rfind("iser://", 0) == 0 ? 7 : 0;
    if (!host) return address;
    size_t query = std::min(address.find('?', host), address.size());
    std::string out = address.substr(0, query);
    // "user%secret@host" (libiscsi takes the first '@', then the first '%',
    // or the first ':' where there is no '%').
    auto at = out.find('@', host);
    if (at != std::string::npos) {
        auto sep = out.find('%', host);
        if (sep == std::string::npos || sep > at) sep = out.find(':', host);
        if (sep != std::string::npos && sep < at) out = out.substr(0, sep + 1) + "***" + out.substr(at);
    }
    // "?target_user=NAME&target_password=SECRET"
    for (size_t pos = query; pos < address.size();) {
        size_t end = std::min(address.find('&', pos + 1), address.size());
        std::string arg = address.substr(pos, end - pos);  // with its leading '?' or '&'
        if (arg.compare(1, 16, "target_password=") == 0) arg = arg.substr(0, 17) + "***";
        out += arg;
        pos = end;
    }
    return out;
}

namespace {
std::mutex g_registry_mutex;
std::map<std::string, BackendFactory>& registry() {
    static std::map<std::string, BackendFactory> r;
    return r;
}
}  // namespace

void register_backend(const std::string& prefix, BackendFactory factory) {
    std::lock_guard lock(g_registry_mutex);
    registry()[prefix] = std::move(factory);
}

Result<std::unique_ptr<Transport>> open_transport(const std::string& address, const OpenOptions& options) {
    if (address.rfind("iscsi://", 0) == 0) return open_iscsi(address, options);
    if (address.rfind("/dev/", 0) == 0) return open_sg(address, options);
    BackendFactory factory;
    {
        std::lock_guard lock(g_registry_mutex);
        for (const auto& [prefix, f] : registry())
            if (address.rfind(prefix, 0) == 0) factory = f;
    }
    if (factory) return factory(address, options);
    if (address.rfind("emu:", 0) == 0)
        return make_error(Errc::unsupported, address + ": the in-process emulator is not available in this program");
    return make_error(Errc::invalid_argument,
                      address + ": not a drive address (use /dev/srN, /dev/sgN, iscsi://HOST[:PORT]/IQN/LUN or emu:PATH)");
}

}  // namespace mastering::transport
