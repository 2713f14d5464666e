// An iSCSI drive address as libiscsi reads it (docs/architecture.md "Drive
// addresses", docs/iscsi-client.md):
//   iscsi://[USER[%SECRET]@]HOST[:PORT]/IQN/LUN[?KEY=VALUE&...]
// parsed into its parts so that a malformed one is refused with one line that
// names the part at fault, and written back without the secret for messages.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mastering/codec/result.h"

namespace mastering::transport {

struct IscsiAddress {
    std::string user;                // CHAP: the initiator's name ("" = none in the address)
    std::string secret;              // and its secret ("" = none in the address)
    std::string host;                // a name, an IPv4 address or a bracketed IPv6 address
    std::optional<uint16_t> port;    // 3260 when absent
    std::string target;              // the target's name (IQN)
    uint32_t lun = 0;
    // The parameters after '?', as written: target_user, target_password
    // (mutual CHAP) and header_digest (crc32c or none), the keys libiscsi reads.
    std::string parameters;

    // HOST:PORT, the port always given.
    std::string portal() const;
    bool operator==(const IscsiAddress&) const = default;
};

constexpr uint16_t k_iscsi_default_port = 3260;

// The address's parts; an error names what is wrong ("... the LUN 'x' is not
// a number") and never repeats the secret.
Result<IscsiAddress> parse_iscsi_address(std::string_view text);
// The address written out again (the secret included): parse's inverse.
std::string format_iscsi_address(const IscsiAddress& address);

}  // namespace mastering::transport
