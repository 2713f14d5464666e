#include "emulator/mmc/trace.h"

#include <fcntl.h>

#include <algorithm>
#include <cstdio>

#include "mastering/scsi/commands.h"

namespace emulator::mmc {

void CommandTrace::add(uint64_t seq, NexusId nexus, std::span<const uint8_t> cdb, std::span<const std::byte> out,
                       const CommandReply& reply, std::chrono::nanoseconds took) {
    if (!wanted()) return;
    Record r;
    r.seq = seq;
    r.nexus = nexus;
    r.cdb_length = uint8_t(std::min(cdb.size(), r.cdb.size()));
    std::copy_n(cdb.begin(), r.cdb_length, r.cdb.begin());
    r.out = out.size();
    // Parameter lists (cue sheets, mode pages, ...) are worth seeing; written blocks are not.
    if (!out.empty() && out.size() <= 256) {
        const auto* p = reinterpret_cast<const uint8_t*>(out.data());
        r.data.assign(p, p + out.size());
    }
    r.in = reply.data_in_length;
    r.status = reply.status;
    r.sense = reply.sense;
    r.us = std::chrono::duration_cast<std::chrono::microseconds>(took).count();
    if (m_file.valid()) {
        std::string l = line(r) + "\n";
        (void)mastering::os::write_all(m_file.get(), l.data(), l.size(), "the trace file");
    }
    if (m_on) {
        m_records.push_back(std::move(r));
        while (m_records.size() > m_limit) m_records.pop_front();
    }
}

std::vector<std::string> CommandTrace::lines(bool clear) {
    std::vector<std::string> out;
    out.reserve(m_records.size());
    for (const auto& r : m_records) out.push_back(line(r));
    if (clear) m_records.clear();
    return out;
}

mastering::Status CommandTrace::set_file(const std::string& path) {
    m_file.reset();
    if (path.empty()) return {};
    m_file = DM_TRY(mastering::os::open_file(path, O_WRONLY | O_CREAT | O_APPEND));
    return {};
}

std::string CommandTrace::line(const Record& r) {
    auto hex = [](const uint8_t* p, size_t n) {
        static constexpr char digits[] = "0123456789abcdef";
        std::string h;
        h.reserve(2 * n);
        for (size_t i = 0; i < n; ++i) h += {digits[p[i] >> 4], digits[p[i] & 15]};
        return h;
    };
    std::span<const uint8_t> cdb(r.cdb.data(), r.cdb_length);
    std::string data_text;
    if (!r.data.empty()) data_text = ",\"data\":\"" + hex(r.data.data(), r.data.size()) + "\"";
    std::string sense_text;
    if (r.status == scsi::Status::check_condition) {
        char s[32];
        std::snprintf(s, sizeof s, ",\"sense\":\"%X/%02X/%02X\"", unsigned(r.sense.key), r.sense.asc, r.sense.ascq);
        sense_text = s;
    }
    char text[1200];
    std::snprintf(text, sizeof text,
                  "{\"seq\":%llu,\"nexus\":%llu,\"op\":\"%s\",\"cdb\":\"%s\",\"out\":%zu%s,\"in\":%zu,\"status\":%u%s,\"us\":%lld}",
                  (unsigned long long)r.seq, (unsigned long long)r.nexus,
                  std::string(mastering::scsi::command_name(cdb)).c_str(), hex(cdb.data(), cdb.size()).c_str(), r.out,
                  data_text.c_str(), r.in, unsigned(r.status), sense_text.c_str(), (long long)r.us);
    return text;
}

}  // namespace emulator::mmc
