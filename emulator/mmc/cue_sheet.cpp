// CD session at once (MMC-6 4.3.6, write types 2 and 3): SEND CUE SHEET
// announces the session's tracks, their sector format and its lead-out; the
// initiator then writes every block from the first pre-gap on, and the
// session closes at SYNCHRONIZE CACHE once the last track is full. Before a
// cue sheet is sent the CD is written track at once.
#include <algorithm>
#include <vector>

#include "emulator/mmc/recorder.h"
#include "emulator/mmc/recording.h"

namespace emulator::mmc {

namespace sense = sc::sense;

namespace {

bool session_at_once_page(const sc::WriteParameters& page05) { return page05.write_type == 2 || page05.write_type == 3; }

// What a cue sheet announced and how far its write has come.
struct CueSheet {
    int32_t leadout = 0;
    int64_t next = 0;             // the next block the write must send (from the pre-gap on)
    uint32_t first_track = 0;     // the first track of the cue sheet
    SectorFormat format;
};

// The sector format of the data (MMC "Data Form of Main Data"); nullopt for
// forms the drive does not record (audio).
std::optional<SectorFormat> sector_format_of(uint8_t data_form) {
    switch (data_form) {
    case 0x10: return SectorFormat{2048, 0, 1};
    case 0x11: return SectorFormat{2352, 16, 1};
    case 0x20: return SectorFormat{2336, 8, 2};
    case 0x21: return SectorFormat{2352, 24, 2};
    case 0x00: case 0x01: return std::nullopt;  // audio: not emulated
    default: return SectorFormat{2048, 0, 1};   // other codes (wodim sends FFh for mode 1 data): 2048-byte user data
    }
}

class SessionAtOnce final : public RecordingStrategy {
public:
    WriteMode mode() const override { return WriteMode::session_at_once; }
    SectorFormat sector_format() const override { return m_cue ? m_cue->format : SectorFormat{}; }
    bool holds_session() const override { return m_cue.has_value(); }

    CommandReply write(RecordingContext& ctx, int64_t lba, uint32_t n, std::span<const std::byte> data) override {
        if (!m_cue) return m_before_cue->write(ctx, lba, n, data);
        DiscModel& m = ctx.model();
        if (m.finalized) return check_at(sense::invalid_address_for_write, lba);
        if (lba != m_cue->next) return check_at(sense::invalid_address_for_write, lba);
        TrackRecord* t = open_track(m);
        if (!t) return check(sense::command_sequence_error);
        if (lba + n > m_cue->leadout) return check_at(sense::end_of_user_area, lba);
        // Pre-gap blocks carry no user data: only what lies in the track is kept.
        int64_t first_data = std::max<int64_t>(lba, t->start);
        auto kept = first_data < lba + n ? data.subspan(size_t(first_data - lba) * 2048) : std::span<const std::byte>{};
        if (auto failed = ctx.record(lba, n, uint64_t(first_data), kept, t)) return *failed;
        if (!kept.empty()) t->recorded = uint32_t(lba + n - t->start);
        m_cue->next = lba + n;
        return {};
    }

    bool synchronize(DiscModel& m, const sc::WriteParameters& page05) override {
        if (!m_cue) return m_before_cue->synchronize(m, page05);
        TrackRecord* t = open_track(m);
        if (!t || !t->reserved || t->recorded < t->reserved) return false;
        close_session(m, page05.multisession != 3);
        m_cue.reset();
        return true;
    }

    std::optional<sc::TrackInformation> track_information(const DiscModel& m, uint8_t type, uint32_t number,
                                                          const sc::WriteParameters& page05) const override {
        if (m_cue && type == 1 && number == 0xFF) {
            // Cue sheet sent: the track being written is the cue sheet's
            // first, and the next address to write is where the initiator
            // must go on (from the pre-gap, LBA -150, before any write).
            auto t = mmc::track_information(m, 1, m_cue->first_track);
            if (t) {
                t->nwa_valid = true;
                t->next_writable = uint32_t(int32_t(m_cue->next));
            }
            return t;
        }
        // The initiator writes the pre-gap too, so the next writable address
        // of the blank track is where its pre-gap starts (LBA -150 on a blank
        // disc), as wodim and cdrdao expect.
        auto t = mmc::track_information(m, type, number);
        if (t && t->blank && t->nwa_valid && session_at_once_page(page05))
            t->next_writable = uint32_t(int32_t(t->next_writable) - 150);
        return t;
    }

    CommandReply send_cue_sheet(DiscModel& m, const sc::WriteParameters& page05, size_t len,
                                std::span<const std::byte> sent) override;

private:
    std::unique_ptr<RecordingStrategy> m_before_cue = make_recording(WriteMode::track_at_once);
    std::optional<CueSheet> m_cue;
};

CommandReply SessionAtOnce::send_cue_sheet(DiscModel& m, const sc::WriteParameters& page05, size_t len,
                                           std::span<const std::byte> sent) {
    if (!session_at_once_page(page05)) return check(sense::command_sequence_error);
    if (len == 0 || len % 8 || sent.size() < len) return check(sense::parameter_list_length_error);
    auto inv = m.invisible_start();
    if (!inv || m.finalized) return check(sense::command_sequence_error);
    const auto* p = reinterpret_cast<const uint8_t*>(sent.data());
    std::optional<int32_t> leadout, pregap;
    std::optional<uint8_t> data_form;
    std::vector<std::pair<uint8_t, int32_t>> starts;  // (track number, index 1 LBA)
    for (size_t i = 0; i < len; i += 8) {
        const uint8_t* e = p + i;
        uint8_t adr = e[0] & 0x0F, tno = e[1], index = e[2];
        if (adr != 1) continue;  // MCN / ISRC entries
        int32_t lba = sc::msf_to_lba({e[5], e[6], e[7]});
        if (tno == 0xAA) leadout = lba;
        else if (tno >= 1 && tno <= 99 && index == 1) {
            starts.emplace_back(tno, lba);
            if (!data_form) data_form = e[3];
        } else if (tno >= 1 && tno <= 99 && index == 0 && !pregap) pregap = lba;
    }
    if (!leadout || starts.empty() || starts.front().second != int32_t(*inv) || *leadout <= starts.back().second)
        return check(sense::invalid_field_in_parameter_list);
    auto format = sector_format_of(data_form.value_or(0x10));
    if (!format) return check(sense::invalid_field_in_parameter_list);
    auto* s = m.open_session();
    CueSheet cue{*leadout, pregap.value_or(starts.front().second - 150), m.track_count() + 1, *format};
    for (size_t i = 0; i < starts.size(); ++i) {
        int32_t end = i + 1 < starts.size() ? starts[i + 1].second : *leadout;
        if (end <= starts[i].second || uint32_t(end) > m.capacity) return check(sense::invalid_field_in_parameter_list);
        TrackRecord t;
        t.number = m.track_count() + 1;
        t.start = uint32_t(starts[i].second);
        t.reserved = uint32_t(end - starts[i].second);
        t.data_mode = format->data_mode;
        s->tracks.push_back(t);
    }
    m_cue = cue;
    return {};
}

}  // namespace

std::unique_ptr<RecordingStrategy> make_session_at_once() { return std::make_unique<SessionAtOnce>(); }

}  // namespace emulator::mmc
