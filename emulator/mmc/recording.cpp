// The write modes of random and sequential recording (MMC-6 4.5 to 4.10),
// one strategy each; the cue sheet's session at once is in cue_sheet.cpp.
#include "emulator/mmc/recording.h"

#include <algorithm>
#include <cstring>

#include "emulator/mmc/recorder.h"

namespace emulator::mmc {

namespace sense = sc::sense;
using P = mastering::media::Profile;

CommandReply check(const sc::Sense& s) { return {sc::Status::check_condition, s, 0}; }

CommandReply check_at(sc::Sense s, int64_t lba) {
    s.information = uint32_t(lba);
    return check(s);
}

std::span<const std::byte> SectorFormat::user_data(std::span<const std::byte> sent, uint32_t blocks,
                                                   std::vector<std::byte>& scratch) const {
    if (block == 2048) return sent.first(size_t(blocks) * 2048);
    scratch.resize(size_t(blocks) * 2048);
    for (uint32_t i = 0; i < blocks; ++i)
        std::memcpy(scratch.data() + size_t(i) * 2048, sent.data() + size_t(i) * block + user_offset, 2048);
    return scratch;
}

CommandReply RecordingStrategy::send_cue_sheet(DiscModel&, const sc::WriteParameters&, size_t, std::span<const std::byte>) {
    return check(sense::incompatible_medium);  // cue sheets are for CDs
}

std::optional<sc::TrackInformation> RecordingStrategy::track_information(const DiscModel& m, uint8_t type, uint32_t number,
                                                                         const sc::WriteParameters&) const {
    return mmc::track_information(m, type, number);
}

namespace {

// A read-only disc, or a profile no drive writes.
class NotWritable final : public RecordingStrategy {
public:
    WriteMode mode() const override { return WriteMode::none; }
    CommandReply write(RecordingContext&, int64_t, uint32_t, std::span<const std::byte>) override {
        return check(sense::cannot_write_medium);
    }
};

// Formatted overwritable media: any block of the formatted area.
class RandomWrite : public RecordingStrategy {
public:
    WriteMode mode() const override { return WriteMode::random; }
    CommandReply write(RecordingContext& ctx, int64_t lba, uint32_t n, std::span<const std::byte> data) override {
        const DiscModel& m = ctx.model();
        if (!m.formatted) return check(sense::incompatible_medium);
        if (lba < 0 || uint64_t(lba) + n > m.formatted_blocks) return check_at(sense::lba_out_of_range, lba);
        if (!aligned(lba, n)) return check_at(sense::invalid_address_for_write, lba);
        if (auto failed = ctx.record(lba, n, uint64_t(lba), data, nullptr)) return *failed;
        return {};
    }

protected:
    virtual bool aligned(int64_t, uint32_t) const { return true; }
};

// DVD-RW restricted overwrite: whole 16-block packets only.
class RestrictedOverwrite final : public RandomWrite {
public:
    WriteMode mode() const override { return WriteMode::restricted_overwrite; }

private:
    bool aligned(int64_t lba, uint32_t n) const override { return lba % 16 == 0 && n % 16 == 0; }
};

// Sequential recording: a WRITE continues an open track at its next
// writable address, or starts a new track at the invisible track's start.
class Sequential : public RecordingStrategy {
public:
    WriteMode mode() const override { return WriteMode::sequential; }
    CommandReply write(RecordingContext& ctx, int64_t lba, uint32_t n, std::span<const std::byte> data) final {
        if (ctx.model().finalized) return check_at(sense::invalid_address_for_write, lba);
        return append(ctx, lba, n, data);
    }

protected:
    virtual CommandReply append(RecordingContext& ctx, int64_t lba, uint32_t n, std::span<const std::byte> data);
};

CommandReply Sequential::append(RecordingContext& ctx, int64_t lba, uint32_t n, std::span<const std::byte> data) {
    DiscModel& m = ctx.model();
    auto target = lba < 0 ? std::nullopt : write_target(m, uint64_t(lba));
    if (!target) {
        auto nwa = m.next_writable();
        if (nwa && uint64_t(lba) == *nwa) return check_at(sense::end_of_user_area, lba);
        return check_at(sense::invalid_address_for_write, lba);
    }
    if (uint64_t(lba) + n > m.capacity) return check_at(sense::end_of_user_area, lba);
    TrackRecord* t = target->track;
    if (t && t->reserved && t->recorded + n > t->reserved) return check_at(sense::invalid_address_for_write, lba);
    if (target->new_track) {
        auto* s = m.open_session();
        if (m.one_track_per_session() && !s->tracks.empty()) return check_at(sense::invalid_address_for_write, lba);
        TrackRecord nt;
        nt.number = m.track_count() + 1;
        nt.start = uint32_t(lba);
        nt.tao = m.is_cd();
        s->tracks.push_back(nt);
        t = &s->tracks.back();
    }
    if (auto failed = ctx.record(lba, n, uint64_t(lba), data, t)) return *failed;
    t->recorded += n;
    return {};
}

// CD track at once: a track ends with its data, at SYNCHRONIZE CACHE
// (libburn sends no CLOSE TRACK).
class TrackAtOnce final : public Sequential {
public:
    WriteMode mode() const override { return WriteMode::track_at_once; }
    bool synchronize(DiscModel& m, const sc::WriteParameters&) override {
        TrackRecord* t = open_track(m);
        if (!t || !t->tao || t->reserved != 0 || t->recorded == 0) return false;
        close_track(m, *t);
        return true;
    }
    CommandReply send_cue_sheet(DiscModel&, const sc::WriteParameters&, size_t, std::span<const std::byte>) override {
        return check(sense::command_sequence_error);  // page 05 does not ask for session at once
    }
};

// DVD-R/-RW sequential: incremental tracks; written disc at once (write
// type 2, one reserved track), the drive closes the single session when the
// track is full.
class Incremental final : public Sequential {
public:
    WriteMode mode() const override { return WriteMode::incremental; }
    bool synchronize(DiscModel& m, const sc::WriteParameters& page05) override {
        TrackRecord* t = open_track(m);
        if (!t || page05.write_type != 2 || !t->reserved || t->recorded < t->reserved) return false;
        close_session(m, true);
        return true;
    }
};

// BD-R SRM+POW: blocks already recorded are overwritten logically (the
// drive records the data in replacement blocks of the spare area and reads
// them back in their place); what follows them must start at the next
// writable address.
class PseudoOverwrite final : public Sequential {
public:
    WriteMode mode() const override { return WriteMode::pseudo_overwrite; }

protected:
    CommandReply append(RecordingContext& ctx, int64_t lba, uint32_t n, std::span<const std::byte> data) override {
        DiscModel& m = ctx.model();
        if (lba < 0) return Sequential::append(ctx, lba, n, data);
        uint32_t k = uint32_t(first_unreadable(m, uint64_t(lba), n) - uint64_t(lba));
        if (k == 0) return Sequential::append(ctx, lba, n, data);
        if (uint64_t(m.pow_replaced) + k > m.pow_spare) return check_at(sense::no_defect_spare_location, lba);
        if (auto failed = ctx.record(lba, k, uint64_t(lba), data.first(size_t(k) * 2048), nullptr)) return *failed;
        m.pow_replaced += k;
        if (!ctx.save_model().ok()) return check_at(sense::write_error, lba);
        if (k == n) return {};
        return Sequential::append(ctx, lba + k, n - k, data.subspan(size_t(k) * 2048));
    }
};

}  // namespace

WriteMode write_mode(const DiscModel& m, const sc::WriteParameters& page05) {
    if (m.rom || !mastering::media::is_writable(m.profile)) return WriteMode::none;
    if (m.overwritable()) return m.profile == P::dvd_rw_ro ? WriteMode::restricted_overwrite : WriteMode::random;
    if (m.is_cd()) return page05.write_type == 2 || page05.write_type == 3 ? WriteMode::session_at_once : WriteMode::track_at_once;
    if (m.pow) return WriteMode::pseudo_overwrite;
    if (m.is_dvd_minus()) return WriteMode::incremental;
    return WriteMode::sequential;
}

std::unique_ptr<RecordingStrategy> make_recording(WriteMode mode) {
    switch (mode) {
    case WriteMode::none: return std::make_unique<NotWritable>();
    case WriteMode::random: return std::make_unique<RandomWrite>();
    case WriteMode::restricted_overwrite: return std::make_unique<RestrictedOverwrite>();
    case WriteMode::track_at_once: return std::make_unique<TrackAtOnce>();
    case WriteMode::session_at_once: return make_session_at_once();
    case WriteMode::incremental: return std::make_unique<Incremental>();
    case WriteMode::sequential: return std::make_unique<Sequential>();
    case WriteMode::pseudo_overwrite: return std::make_unique<PseudoOverwrite>();
    }
    return std::make_unique<NotWritable>();
}

}  // namespace emulator::mmc
