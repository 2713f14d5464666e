#include "mastering/transport/iscsi_address.h"

#include <cctype>

#include "mastering/transport/transport.h"

namespace mastering::transport {

namespace {

constexpr std::string_view k_scheme = "iscsi://";
constexpr std::string_view k_form = "iscsi://[USER[%SECRET]@]HOST[:PORT]/IQN/LUN";

bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    return true;
}

// The parameters libiscsi knows; anything else is a typo we name.
Status check_parameters(std::string_view params, const std::string& shown) {
    while (!params.empty()) {
        auto amp = params.find('&');
        std::string_view kv = params.substr(0, amp);
        params = amp == std::string_view::npos ? std::string_view() : params.substr(amp + 1);
        auto eq = kv.find('=');
        std::string_view key = kv.substr(0, eq);
        std::string_view value = eq == std::string_view::npos ? std::string_view() : kv.substr(eq + 1);
        if (key == "header_digest") {
            if (value != "crc32c" && value != "none")
                return make_error(Errc::invalid_argument,
                                  shown + ": header_digest is crc32c or none, not '" + std::string(value) + "'");
        } else if (key != "target_user" && key != "target_password") {
            return make_error(Errc::invalid_argument, shown + ": unknown parameter '" + std::string(key) +
                                                          "' (known: target_user, target_password, header_digest)");
        }
    }
    return {};
}

Status parse_portal(std::string_view portal, IscsiAddress& a, const std::string& shown) {
    // HOST, HOST:PORT, [IPv6] or [IPv6]:PORT
    size_t host_end = portal.rfind(':');
    if (!portal.empty() && portal.front() == '[') {
        auto close = portal.find(']');
        if (close == std::string_view::npos)
            return make_error(Errc::invalid_argument, shown + ": the IPv6 address lacks its closing ']'");
        host_end = close + 1 < portal.size() ? close + 1 : std::string_view::npos;
        if (host_end != std::string_view::npos && portal[host_end] != ':')
            return make_error(Errc::invalid_argument,
                              shown + ": unexpected '" + std::string(portal.substr(host_end)) + "' after the IPv6 address");
    }
    a.host = std::string(portal.substr(0, host_end));
    if (a.host.empty() || a.host == "[]")
        return make_error(Errc::invalid_argument, shown + ": no host (" + std::string(k_form) + ")");
    if (host_end == std::string_view::npos) return {};
    std::string_view port = portal.substr(host_end + 1);
    unsigned long p = all_digits(port) && port.size() <= 5 ? std::stoul(std::string(port)) : 0;
    if (p == 0 || p > 65535)
        return make_error(Errc::invalid_argument,
                          shown + ": the port '" + std::string(port) + "' is not a number from 1 to 65535");
    a.port = uint16_t(p);
    return {};
}

}  // namespace

std::string IscsiAddress::portal() const { return host + ":" + std::to_string(port.value_or(k_iscsi_default_port)); }

Result<IscsiAddress> parse_iscsi_address(std::string_view text) {
    std::string shown = redact_address(std::string(text));
    if (text.substr(0, k_scheme.size()) != k_scheme)
        return make_error(Errc::invalid_argument, shown + ": not an iSCSI address (" + std::string(k_form) + ")");
    IscsiAddress a;
    std::string_view rest = text.substr(k_scheme.size());
    if (auto q = rest.find('?'); q != std::string_view::npos) {
        a.parameters = std::string(rest.substr(q + 1));
        rest = rest.substr(0, q);
        DM_TRY(check_parameters(a.parameters, shown));
    }
    // As libiscsi reads it: the first '@' ends the credentials, and their first
    // '%' (or else ':') ends the user name.
    if (auto at = rest.find('@'); at != std::string_view::npos) {
        std::string_view cred = rest.substr(0, at);
        rest = rest.substr(at + 1);
        auto sep = cred.find('%');
        if (sep == std::string_view::npos) sep = cred.find(':');
        a.user = std::string(cred.substr(0, sep));
        if (sep != std::string_view::npos) a.secret = std::string(cred.substr(sep + 1));
        if (a.user.empty()) return make_error(Errc::invalid_argument, shown + ": the CHAP user name before '@' is empty");
    }
    auto slash = rest.find('/');
    if (slash == std::string_view::npos)
        return make_error(Errc::invalid_argument, shown + ": no target name (" + std::string(k_form) + ")");
    DM_TRY(parse_portal(rest.substr(0, slash), a, shown));
    rest = rest.substr(slash + 1);
    auto lun_slash = rest.find('/');
    if (lun_slash == std::string_view::npos || lun_slash == 0)
        return make_error(Errc::invalid_argument, shown + ": " + (lun_slash == 0 ? "no target name" : "no LUN") + " (" +
                                                      std::string(k_form) + ", e.g. .../iqn.2026-11.org.discmaster:burner/0)");
    a.target = std::string(rest.substr(0, lun_slash));
    std::string_view lun = rest.substr(lun_slash + 1);
    if (!all_digits(lun) || lun.size() > 5)
        return make_error(Errc::invalid_argument, shown + ": the LUN '" + std::string(lun) + "' is not a number (0 for master-drive)");
    a.lun = uint32_t(std::stoul(std::string(lun)));
    return a;
}

std::string format_iscsi_address(const IscsiAddress& a) {
    std::string s(k_scheme);
    if (!a.user.empty()) s += a.user + (a.secret.empty() ? "" : "%" + a.secret) + "@";
    s += a.host;
    if (a.port) s += ":" + std::to_string(*a.port);
    s += "/" + a.target + "/" + std::to_string(a.lun);
    if (!a.parameters.empty()) s += "?" + a.parameters;
    return s;
}

}  // namespace mastering::transport
