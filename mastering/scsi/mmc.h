// MMC-6 / SPC-4 command descriptor blocks and reply formats as plain values
// with encode/decode: the burn engine builds CDBs and decodes replies with
// these; the emulator decodes CDBs and encodes replies with the same code.
// Multi-byte fields are big-endian (mastering/codec/bytes.h reads and
// writes them).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mastering/codec/result.h"
#include "mastering/scsi/commands.h"
#include "mastering/scsi/sense.h"

namespace mastering::scsi {

using Bytes = std::vector<uint8_t>;

// ---- CDBs ------------------------------------------------------------------

struct Cdb {
    std::array<uint8_t, 16> b{};
    uint8_t length = 0;
    std::span<const uint8_t> bytes() const { return {b.data(), length}; }
};

namespace cdb {
Cdb test_unit_ready();
Cdb request_sense(uint8_t alloc = 18);
Cdb inquiry(uint16_t alloc = 96, std::optional<uint8_t> vpd_page = {});
Cdb mode_sense10(uint8_t page, uint8_t page_control = 0, uint16_t alloc = 256);
Cdb mode_select10(uint16_t param_length);
Cdb get_configuration(uint8_t rt, uint16_t start_feature, uint16_t alloc);
Cdb get_event_status(uint8_t class_mask, uint16_t alloc);
Cdb read_capacity();
Cdb read10(uint32_t lba, uint16_t blocks);
Cdb read12(uint32_t lba, uint32_t blocks);
Cdb write10(uint32_t lba, uint16_t blocks);
Cdb write12(uint32_t lba, uint32_t blocks);
Cdb read_toc(uint8_t format, uint8_t track, uint16_t alloc, bool msf = false);
Cdb read_disc_information(uint16_t alloc = 34);
// address_type: 0 LBA, 1 track number (0xFF: the invisible track), 2 session number
Cdb read_track_information(uint8_t address_type, uint32_t number, uint16_t alloc = 48);
Cdb reserve_track(uint32_t blocks);
Cdb synchronize_cache(bool immed = false);
// function: 1 close track, 2 close session, 4 close with extended lead-out,
// 5 finalize with minimal radius, 6 finalize (BD-R / DVD+R compatible)
Cdb close_track_session(uint8_t function, uint16_t track = 0, bool immed = false);
Cdb send_cue_sheet(uint32_t length);
// type: 0 full, 1 minimal, 2 track, 3 unreserve, 4 tail, 5 unclose, 6 session
Cdb blank(uint8_t type, bool immed = false, uint32_t address = 0);
Cdb format_unit(uint16_t param_length = 12);
Cdb read_format_capacities(uint16_t alloc = 252);
Cdb read_buffer_capacity(uint16_t alloc = 12);
Cdb set_cd_speed(uint16_t read_kbs, uint16_t write_kbs);
Cdb start_stop_unit(bool load_eject, bool start, bool immed = false);
Cdb prevent_allow(bool prevent);
Cdb mechanism_status(uint16_t alloc = 8);
Cdb read_disc_structure(uint8_t media_type, uint8_t format, uint16_t alloc, uint8_t layer = 0, uint32_t address = 0);
Cdb get_performance(uint8_t type, uint16_t max_descriptors, uint8_t data_type = 0);
Cdb set_streaming(uint16_t param_length = 28);
Cdb read_cd(uint32_t lba, uint32_t blocks);
Cdb send_opc();
}  // namespace cdb

// LBA <-> MSF (a CD's minute:second:frame with the 150-frame offset).
struct Msf { uint8_t m = 0, s = 0, f = 0; };
Msf lba_to_msf(int32_t lba);
int32_t msf_to_lba(Msf msf);

// ---- Replies -----------------------------------------------------------------

struct InquiryData {
    uint8_t device_type = 5;  // MMC
    bool removable = true;
    uint8_t version = 5;      // SPC-3
    std::string vendor, product, revision;
};
Bytes encode_inquiry(const InquiryData& d);
Result<InquiryData> decode_inquiry(std::span<const uint8_t> b);

struct DiscInformation {
    uint8_t disc_status = 0;         // 0 blank, 1 appendable, 2 complete, 3 other
    uint8_t last_session_state = 0;  // 0 empty, 1 incomplete, 2 damaged, 3 complete
    bool erasable = false;
    uint8_t first_track = 1;
    uint16_t sessions = 1;           // includes an empty trailing session
    uint16_t first_track_last_session = 1;
    uint16_t last_track_last_session = 1;
    uint8_t bg_format_status = 0;
    uint8_t disc_type = 0;           // 00 CD-DA/ROM, 10 CD-I, 20 XA
    bool unrestricted_use = true;
    uint32_t last_session_leadin = 0xFFFFFFFF;
    uint32_t last_possible_leadout = 0xFFFFFFFF;
};
Bytes encode_disc_information(const DiscInformation& d);  // 34 bytes
Result<DiscInformation> decode_disc_information(std::span<const uint8_t> b);

struct TrackInformation {
    uint16_t track = 1;
    uint16_t session = 1;
    bool damage = false, copy = false;
    uint8_t track_mode = 4;      // 4 data uninterrupted, 5 data incremental
    bool reserved = false, blank = false, packet = false, fixed_packet = false;
    uint8_t data_mode = 1;       // 1 mode 1, 2 mode 2, 0xF unknown
    bool lra_valid = false, nwa_valid = false;
    uint32_t start = 0, next_writable = 0, free_blocks = 0, packet_size = 0, size = 0, last_recorded = 0;
};
Bytes encode_track_information(const TrackInformation& t);  // 48 bytes
Result<TrackInformation> decode_track_information(std::span<const uint8_t> b);

struct TocEntry {
    uint8_t adr_control = 0x14;  // ADR 1, data track
    uint8_t track = 1;           // 0xAA: lead-out
    int32_t lba = 0;
};
struct Toc0 {
    uint8_t first_track = 1, last_track = 1;
    std::vector<TocEntry> entries;  // the tracks, then the lead-out
};
Bytes encode_toc_format0(const Toc0& t, bool msf);
Result<Toc0> decode_toc_format0(std::span<const uint8_t> b, bool msf = false);

struct SessionInfo {  // READ TOC format 1
    uint8_t first_session = 1, last_session = 1;
    uint8_t first_track_last_session = 1;
    uint8_t adr_control = 0x14;
    int32_t start = 0;  // start of the first track of the last complete session
};
Bytes encode_toc_format1(const SessionInfo& s, bool msf);
Result<SessionInfo> decode_toc_format1(std::span<const uint8_t> b, bool msf = false);

struct FullTocEntry {
    uint8_t session = 1, adr_control = 0x14, tno = 0, point = 0;
    Msf atime;
    uint8_t zero = 0;
    Msf p;
};
struct FullToc {
    uint8_t first_session = 1, last_session = 1;
    std::vector<FullTocEntry> entries;
};
Bytes encode_full_toc(const FullToc& t);
Result<FullToc> decode_full_toc(std::span<const uint8_t> b);

struct Atip {
    bool rewritable = false;
    Msf leadin_start;
    Msf last_leadout_start;
};
Bytes encode_atip(const Atip& a);
Result<Atip> decode_atip(std::span<const uint8_t> b);

struct Feature {
    uint16_t code = 0;
    uint8_t version = 0;
    bool persistent = false, current = false;
    Bytes data;
};
struct Configuration {
    uint16_t current_profile = 0;
    std::vector<Feature> features;
    std::vector<std::pair<uint16_t, bool>> profiles() const;  // from feature 0: (profile, current)
    const Feature* feature(uint16_t code) const;
};
Bytes encode_configuration(const Configuration& c);
Result<Configuration> decode_configuration(std::span<const uint8_t> b);

// Mode page 05h (write parameters).
struct WriteParameters {
    bool bufe = false, ls_v = false, test_write = false;
    uint8_t write_type = 1;         // 0 packet/incremental, 1 TAO, 2 SAO/DAO, 3 raw, 4 layer jump
    uint8_t multisession = 0;       // 0 finalize, 1 finalize with B0 FF, 3 keep appendable
    bool fixed_packet = false, copy = false;
    uint8_t track_mode = 4;
    uint8_t data_block_type = 8;    // 8 = mode 1, 2048 bytes
    uint8_t link_size = 0;
    uint8_t session_format = 0;
    uint32_t packet_size = 0;
    uint16_t audio_pause = 150;
};
constexpr uint8_t write_parameters_page_length = 0x32;
Bytes encode_write_parameters(const WriteParameters& w);  // the page: 2 + 0x32 bytes
Result<WriteParameters> decode_write_parameters(std::span<const uint8_t> page);

// A MODE SENSE(10) reply: 8-byte header (no block descriptors) + pages.
Bytes mode_sense10_reply(std::span<const uint8_t> pages);
// The pages of a MODE SENSE(10) reply / MODE SELECT(10) parameter list.
Result<std::span<const uint8_t>> mode_pages(std::span<const uint8_t> reply);
// One page (by code) out of a page list.
std::optional<std::span<const uint8_t>> find_mode_page(std::span<const uint8_t> pages, uint8_t code);

struct FormatDescriptor {
    uint32_t blocks = 0;
    uint8_t type = 0;    // format type (bits 7..2 of byte 4) or, for the current descriptor, descriptor type
    uint32_t param = 0;  // 24 bits
};
struct FormatCapacities {
    FormatDescriptor current;  // type: 1 unformatted, 2 formatted, 3 no medium
    std::vector<FormatDescriptor> formattable;
};
Bytes encode_format_capacities(const FormatCapacities& f);
Result<FormatCapacities> decode_format_capacities(std::span<const uint8_t> b);

struct BufferCapacity {
    uint32_t size = 0, free = 0;
};
Bytes encode_buffer_capacity(const BufferCapacity& c);
Result<BufferCapacity> decode_buffer_capacity(std::span<const uint8_t> b);

struct ReadCapacity {
    uint32_t last_lba = 0;
    uint32_t block_length = 2048;
};
Bytes encode_read_capacity(const ReadCapacity& c);
Result<ReadCapacity> decode_read_capacity(std::span<const uint8_t> b);

}  // namespace mastering::scsi
