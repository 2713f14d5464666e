// The numbering of one session (RFC 7143 4.2.2): the CmdSN window the target
// offers (ExpCmdSN to MaxCmdSN) and which commands it takes from it, and the
// StatSN of the responses it sends. Pure: the session logs and rejects.
#pragma once

#include <cstdint>

#include "emulator/iscsi/pdu.h"

namespace emulator::iscsi {

// Serial number arithmetic (RFC 7143 4.2.2.1, after RFC 1982): a before b.
constexpr bool serial_lt(uint32_t a, uint32_t b) { return a != b && uint32_t(b - a) < 0x80000000u; }

class CommandWindow {
public:
    explicit CommandWindow(uint32_t max_commands) : m_max_commands(max_commands) {}
    // From the login: the first CmdSN expected and the next StatSN.
    void start(uint32_t exp_cmd_sn, uint32_t stat_sn) {
        m_exp_cmd_sn = exp_cmd_sn;
        m_stat_sn = stat_sn;
    }

    enum class Verdict {
        accepted,  // immediate, or the CmdSN expected (which advances)
        outside,   // before ExpCmdSN or past MaxCmdSN
        skipped,   // inside the window but ahead: this target runs commands in order
    };
    Verdict accept(uint32_t cmd_sn, bool immediate) {
        if (immediate) return Verdict::accepted;
        if (cmd_sn == m_exp_cmd_sn) {
            ++m_exp_cmd_sn;
            return Verdict::accepted;
        }
        if (serial_lt(cmd_sn, m_exp_cmd_sn) || serial_lt(max_cmd_sn(), cmd_sn)) return Verdict::outside;
        return Verdict::skipped;
    }

    uint32_t exp_cmd_sn() const { return m_exp_cmd_sn; }
    uint32_t max_cmd_sn() const { return m_exp_cmd_sn + m_max_commands - 1; }
    // The numbers of a PDU that carries a status (its StatSN is taken) or not.
    TargetSn status() { return {m_stat_sn++, exp_cmd_sn(), max_cmd_sn()}; }
    TargetSn current() const { return {m_stat_sn, exp_cmd_sn(), max_cmd_sn()}; }
    // A Data-In without status: StatSN is reserved there (RFC 7143 11.7.4).
    TargetSn without_stat_sn() const { return {0, exp_cmd_sn(), max_cmd_sn()}; }

private:
    uint32_t m_max_commands;
    uint32_t m_exp_cmd_sn = 0, m_stat_sn = 0;
};

// Target Transfer Tags of R2Ts, pings and long text answers (RFC 7143 11.8.3,
// 11.19.3, 11.11.4): never the reserved value 0xFFFFFFFF, and not 0.
class TagSource {
public:
    uint32_t next() {
        if (m_next == reserved_tag || m_next == 0) m_next = 1;
        return m_next++;
    }

private:
    uint32_t m_next = 1;
};

}  // namespace emulator::iscsi
