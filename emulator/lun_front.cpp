#include "emulator/lun_front.h"

#include <algorithm>
#include <cstring>

#include "mastering/codec/bytes.h"
#include "mastering/scsi/opcodes.h"

namespace emulator {

namespace codec = mastering::codec;
namespace op = mastering::scsi::op;

namespace {

// SAM-5 4.7.6: the first level of an 8-byte LUN field, peripheral device
// addressing (method 00b, bus 0) and the LUN in its second byte.
uint16_t first_level(uint64_t lun) { return uint16_t(lun >> 48); }

CommandReply check(uint8_t asc) {
    CommandReply r;
    r.status = scsi::Status::check_condition;
    r.sense = {scsi::SenseKey::illegal_request, asc, 0x00};
    return r;
}

// What fits of `bytes` into the initiator's buffer, no more than `alloc` (SPC-4 4.2.5.6).
CommandReply reply(std::span<const std::byte> bytes, size_t alloc, std::span<std::byte> data_in) {
    CommandReply r;
    size_t want = std::min(bytes.size(), alloc);
    r.data_in_length = std::min(want, data_in.size());
    r.data_in_overflow = want - r.data_in_length;
    if (r.data_in_length) std::memcpy(data_in.data(), bytes.data(), r.data_in_length);
    return r;
}

}  // namespace

void LunFront::attach(uint8_t lun, std::shared_ptr<LogicalUnit> unit) {
    auto it = std::find_if(m_units.begin(), m_units.end(), [&](const auto& u) { return u.first >= lun; });
    if (it != m_units.end() && it->first == lun) it->second = std::move(unit);
    else m_units.emplace(it, lun, std::move(unit));
}

LogicalUnit* LunFront::unit(uint64_t lun) const {
    for (const auto& [n, u] : m_units)
        if (first_level(lun) == n) return u.get();
    return nullptr;
}

LogicalUnit* LunFront::route(uint64_t lun, std::span<const uint8_t> cdb) const {
    if (!cdb.empty() && cdb[0] == op::report_luns) return nullptr;  // a target concern
    return unit(lun);
}

CommandReply LunFront::answer(uint64_t lun, std::span<const uint8_t> cdb, std::span<std::byte> data_in) const {
    (void)lun;
    if (!cdb.empty() && cdb[0] == op::report_luns) return report_luns(cdb, data_in);
    if (!cdb.empty() && cdb[0] == op::inquiry && !data_in.empty()) {
        // SPC-4 6.6.2: no unit here (qualifier 011b, type 1Fh); SPC-3 (5), response format 2.
        std::array<std::byte, 36> inq{};
        inq[0] = std::byte{0x7F};
        inq[2] = std::byte{5};
        inq[3] = std::byte{2};
        inq[4] = std::byte{31};  // additional length
        return reply(inq, inq.size(), data_in);
    }
    return check(0x25);  // LOGICAL UNIT NOT SUPPORTED
}

// SPC-4 6.33: the LUN list length, 4 reserved bytes, then 8 bytes per LUN.
CommandReply LunFront::report_luns(std::span<const uint8_t> cdb, std::span<std::byte> data_in) const {
    if (cdb.size() < 12) return check(0x24);  // INVALID FIELD IN CDB: a short CDB
    uint32_t alloc = codec::load_be32(reinterpret_cast<const std::byte*>(cdb.data() + 6));
    std::vector<std::byte> list(8 + 8 * m_units.size());
    codec::store_be32(list.data(), uint32_t(8 * m_units.size()));
    for (size_t i = 0; i < m_units.size(); ++i) list[8 + 8 * i + 1] = std::byte{m_units[i].first};
    return reply(list, alloc, data_in);
}

}  // namespace emulator
