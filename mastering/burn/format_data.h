// DiscFormatData (after IMAPI2's IDiscFormat2Data): what the medium in a
// recorder is and can take, and writing a session onto it with the write mode
// its profile needs — CD TAO, DVD-R incremental, DVD+R, BD-R SRM, and
// pseudo-multisession on overwritable media (the descriptors at LBA 0–31
// written last).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>

#include "mastering/burn/recorder.h"
#include "mastering/image/result_stream.h"
#include "mastering/image/session_head.h"
#include "mastering/media/sector_source.h"
#include "mastering/media/toc.h"

namespace mastering::burn {

enum class MediaState { no_medium, blank, appendable, closed, unsupported };
std::string_view to_string(MediaState s);

struct MediaInfo {
    media::Profile profile = media::Profile::none;
    MediaState state = MediaState::no_medium;
    bool overwritable = false;
    bool erasable = false;
    bool formatted = true;                   // overwritable media: ready for random writes
    bool last_session_incomplete = false;    // an interrupted burn left an open track
    uint64_t capacity = 0;                   // blocks
    // IMAPI2's multisession interface: where the last (complete) session starts
    // and where the next one would go; free sectors from there on.
    std::optional<uint32_t> last_session_start;
    std::optional<uint32_t> next_writable;
    uint64_t free_blocks = 0;
    media::Toc toc;                          // sessions as the drive (or, on overwritable media, the ISO chain) shows them
};

struct WriteProgress {
    uint64_t bytes = 0, sectors = 0, sectors_total = 0;
    uint32_t buffer_percent = 0;  // drive buffer fill
    double seconds = 0;
    double eta_seconds = 0;
};

struct WriteOptions {
    bool close_disc = false;  // finalize: no further sessions
    bool verify = false;      // read the session back and compare
    uint16_t speed_kbs = 0;   // 0: the drive's maximum
    // CD: write the session at once (cue sheet, pre-gap written by us)
    // instead of track at once. Other media ignore it.
    bool session_at_once = false;
    std::function<void(const WriteProgress&)> progress;
    std::atomic<bool>* cancel = nullptr;
};

struct WriteResult {
    uint32_t start = 0;
    uint32_t blocks = 0;        // written, padding included
    uint32_t session_number = 0;
    bool verified = false;
    bool closed = false;
};

class DiscFormatData {
public:
    explicit DiscFormatData(DiscRecorder& r) : m_rec(r) {}

    Result<MediaInfo> media();
    // Where a new session would start (what FileSystemImage::set_session_start_block needs).
    Result<uint32_t> next_session_start();
    // Write `stream` (laid out for next_session_start()) as a new session.
    Result<WriteResult> write(image::ImageStream& stream, const WriteOptions& o);
    // Write a plain image (blocks from 0) to a blank disc.
    Result<WriteResult> write_image(media::SectorSource& image, const WriteOptions& o);

private:
    Status overwritable_media(MediaInfo& m, const scsi::DiscInformation& di);
    static bool is_cd(media::Profile p);
    static bool dvd_minus(media::Profile p);  // DVD-R, DVD-RW, DVD-R DL: incremental, written like a CD-R
    Status send_cue_sheet(uint32_t start, uint32_t blocks);
    Status prepare_overwritable(const MediaInfo& m);
    Status close_incomplete_session(const MediaInfo& m);
    // MODE SELECT of the write parameters page (05h) for a CD (track- or
    // session-at-once, `cd_write_type`) or a DVD-R/RW (incremental, fixed
    // 16-block packets).
    Status select_write_parameters(media::Profile p, uint8_t cd_write_type, uint8_t multisession, bool bufe);
    // Overwritable media: blocks 0-31 and 256 after the session (`head`).
    Status write_head(media::Profile p, const image::SessionHead& head);
    // The session's bytes at a byte offset into it.
    using Producer = std::function<Status(uint64_t offset, std::span<std::byte>)>;
    void set_speed(const MediaInfo& m, uint16_t kbs);
    // `blocks` of the session, then zeros up to `total`, from `start` on.
    Status write_data(const MediaInfo& m, uint32_t start, uint32_t blocks, uint32_t total, const Producer& produce,
                      const WriteOptions& o);
    std::optional<uint32_t> buffer_fill();  // the drive's buffer, percent full
    // Sequential media: close the track written at `start` and its session
    // (and the disc when asked).
    Status close_written(media::Profile p, uint32_t start, bool sao, bool close_disc);
    Status verify(uint32_t start, uint32_t blocks, const Producer& produce);
    Result<WriteResult> write_blocks(const MediaInfo& m, uint32_t start, uint32_t blocks, const Producer& produce,
                                     const image::SessionHead* head, const WriteOptions& o);
    DiscRecorder& m_rec;
};

// A recorder's medium as a Medium (blocks + TOC) for import, master-info and
// master-mount: opening the recorder by address, or over one already open
// (which must outlive the Medium).
Result<std::shared_ptr<media::Medium>> open_drive_medium(const std::string& address);
Result<std::shared_ptr<media::Medium>> drive_medium(DiscRecorder& recorder);

}  // namespace mastering::burn
