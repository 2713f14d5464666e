#include "mastering/scsi/mmc.h"

#include <algorithm>
#include <cstring>

#include "mastering/codec/bytes.h"

namespace mastering::scsi {

namespace {
using codec::load_be16;
using codec::load_be24;
using codec::load_be32;
using codec::store_be16;
using codec::store_be24;
using codec::store_be32;

// A CDB of the command `head` starts with, as long as the vocabulary says.
Cdb make(std::initializer_list<uint8_t> head) {
    const Command* command = find_command(*head.begin());
    DM_VERIFY(command != nullptr);
    Cdb c;
    c.length = command->cdb_length;
    size_t i = 0;
    for (uint8_t v : head) c.b[i++] = v;
    return c;
}
Error short_reply(const char* what, size_t have, size_t need) {
    return make_error(Errc::corrupt, std::string(what) + ": reply of " + std::to_string(have) + " bytes, need " +
                                         std::to_string(need));
}
std::string trimmed(const uint8_t* p, size_t n) {
    std::string s(reinterpret_cast<const char*>(p), n);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
    return s;
}
void put_address(uint8_t* p, int32_t lba, bool msf) {
    if (msf) {
        Msf m = lba_to_msf(lba);
        p[0] = 0;
        p[1] = m.m;
        p[2] = m.s;
        p[3] = m.f;
    } else {
        store_be32(p, uint32_t(lba));
    }
}
int32_t get_address(const uint8_t* p, bool msf) {
    if (msf) return msf_to_lba({p[1], p[2], p[3]});
    return int32_t(load_be32(p));
}
}  // namespace

Msf lba_to_msf(int32_t lba) {
    int32_t f = lba + 150;
    if (f < 0) f += 450150;  // lead-in addresses (M >= 90)
    return {uint8_t(f / (60 * 75)), uint8_t(f / 75 % 60), uint8_t(f % 75)};
}

int32_t msf_to_lba(Msf m) {
    int32_t frames = (int32_t(m.m) * 60 + m.s) * 75 + m.f;
    return m.m >= 90 ? frames - 450150 : frames - 150;
}

namespace cdb {
Cdb test_unit_ready() { return make({op::test_unit_ready}); }
Cdb request_sense(uint8_t alloc) { return make({op::request_sense, 0, 0, 0, alloc}); }
Cdb inquiry(uint16_t alloc, std::optional<uint8_t> vpd) {
    Cdb c = make({op::inquiry, uint8_t(vpd ? 1 : 0), vpd.value_or(0)});
    store_be16(&c.b[3], alloc);
    return c;
}
Cdb mode_sense10(uint8_t page, uint8_t pc, uint16_t alloc) {
    Cdb c = make({op::mode_sense10, 0x08, uint8_t(pc << 6 | (page & 0x3F))});
    store_be16(&c.b[7], alloc);
    return c;
}
Cdb mode_select10(uint16_t len) {
    Cdb c = make({op::mode_select10, 0x10});
    store_be16(&c.b[7], len);
    return c;
}
Cdb get_configuration(uint8_t rt, uint16_t start, uint16_t alloc) {
    Cdb c = make({op::get_configuration, uint8_t(rt & 3)});
    store_be16(&c.b[2], start);
    store_be16(&c.b[7], alloc);
    return c;
}
Cdb get_event_status(uint8_t classes, uint16_t alloc) {
    Cdb c = make({op::get_event_status, 1, 0, 0, classes});
    store_be16(&c.b[7], alloc);
    return c;
}
Cdb read_capacity() { return make({op::read_capacity}); }
Cdb read10(uint32_t lba, uint16_t n) {
    Cdb c = make({op::read10});
    store_be32(&c.b[2], lba);
    store_be16(&c.b[7], n);
    return c;
}
Cdb read12(uint32_t lba, uint32_t n) {
    Cdb c = make({op::read12});
    store_be32(&c.b[2], lba);
    store_be32(&c.b[6], n);
    return c;
}
Cdb write10(uint32_t lba, uint16_t n) {
    Cdb c = make({op::write10});
    store_be32(&c.b[2], lba);
    store_be16(&c.b[7], n);
    return c;
}
Cdb write12(uint32_t lba, uint32_t n) {
    Cdb c = make({op::write12});
    store_be32(&c.b[2], lba);
    store_be32(&c.b[6], n);
    return c;
}
Cdb read_toc(uint8_t format, uint8_t track, uint16_t alloc, bool msf) {
    Cdb c = make({op::read_toc, uint8_t(msf ? 2 : 0), uint8_t(format & 0x0F), 0, 0, 0, track});
    store_be16(&c.b[7], alloc);
    return c;
}
Cdb read_disc_information(uint16_t alloc) {
    Cdb c = make({op::read_disc_information});
    store_be16(&c.b[7], alloc);
    return c;
}
Cdb read_track_information(uint8_t type, uint32_t number, uint16_t alloc) {
    Cdb c = make({op::read_track_information, uint8_t(type & 3)});
    store_be32(&c.b[2], number);
    store_be16(&c.b[7], alloc);
    return c;
}
Cdb reserve_track(uint32_t blocks) {
    Cdb c = make({op::reserve_track});
    store_be32(&c.b[5], blocks);
    return c;
}
Cdb synchronize_cache(bool immed) { return make({op::synchronize_cache, uint8_t(immed ? 2 : 0)}); }
Cdb close_track_session(uint8_t function, uint16_t track, bool immed) {
    Cdb c = make({op::close_track_session, uint8_t(immed ? 1 : 0), uint8_t(function & 7)});
    store_be16(&c.b[4], track);
    return c;
}
Cdb send_cue_sheet(uint32_t len) {
    Cdb c = make({op::send_cue_sheet});
    store_be24(&c.b[6], len);
    return c;
}
Cdb blank(uint8_t type, bool immed, uint32_t address) {
    Cdb c = make({op::blank, uint8_t((immed ? 0x10 : 0) | (type & 7))});
    store_be32(&c.b[2], address);
    return c;
}
Cdb format_unit(uint16_t) { return make({op::format_unit, 0x11}); }
Cdb read_format_capacities(uint16_t alloc) {
    Cdb c = make({op::read_format_capacities});
    store_be16(&c.b[7], alloc);
    return c;
}
Cdb read_buffer_capacity(uint16_t alloc) {
    Cdb c = make({op::read_buffer_capacity});
    store_be16(&c.b[7], alloc);
    return c;
}
Cdb set_cd_speed(uint16_t r, uint16_t w) {
    Cdb c = make({op::set_cd_speed});
    store_be16(&c.b[2], r);
    store_be16(&c.b[4], w);
    return c;
}
Cdb start_stop_unit(bool loej, bool start, bool immed) {
    return make({op::start_stop_unit, uint8_t(immed ? 1 : 0), 0, 0, uint8_t((loej ? 2 : 0) | (start ? 1 : 0))});
}
Cdb prevent_allow(bool prevent) { return make({op::prevent_allow, 0, 0, 0, uint8_t(prevent ? 1 : 0)}); }
Cdb mechanism_status(uint16_t alloc) {
    Cdb c = make({op::mechanism_status});
    store_be16(&c.b[8], alloc);
    return c;
}
Cdb read_disc_structure(uint8_t media, uint8_t format, uint16_t alloc, uint8_t layer, uint32_t address) {
    Cdb c = make({op::read_disc_structure, uint8_t(media & 0x0F)});
    store_be32(&c.b[2], address);
    c.b[6] = layer;
    c.b[7] = format;
    store_be16(&c.b[8], alloc);
    return c;
}
Cdb get_performance(uint8_t type, uint16_t max, uint8_t data_type) {
    Cdb c = make({op::get_performance, data_type});
    store_be16(&c.b[8], max);
    c.b[10] = type;
    return c;
}
Cdb set_streaming(uint16_t len) {
    Cdb c = make({op::set_streaming});
    store_be16(&c.b[9], len);
    return c;
}
Cdb read_cd(uint32_t lba, uint32_t n) {
    Cdb c = make({op::read_cd, 0});
    store_be32(&c.b[2], lba);
    store_be24(&c.b[6], n);
    c.b[9] = 0x10;  // user data
    return c;
}
Cdb send_opc() { return make({op::send_opc, 1}); }
}  // namespace cdb

// ---- INQUIRY
Bytes encode_inquiry(const InquiryData& d) {
    Bytes b(96, 0);
    b[0] = d.device_type & 0x1F;
    b[1] = d.removable ? 0x80 : 0;
    b[2] = d.version;
    b[3] = 0x12;           // HiSup, response data format 2
    b[4] = uint8_t(b.size() - 5);
    b[7] = 0x02;           // CmdQue
    auto put = [&](size_t off, size_t n, const std::string& s) {
        std::memset(&b[off], ' ', n);
        std::memcpy(&b[off], s.data(), std::min(n, s.size()));
    };
    put(8, 8, d.vendor);
    put(16, 16, d.product);
    put(32, 4, d.revision);
    store_be16(&b[58], 0x00A0);  // SAM-3
    store_be16(&b[60], 0x0960);  // iSCSI
    store_be16(&b[62], 0x0300);  // SPC-3
    store_be16(&b[64], 0x04E0);  // MMC-6
    return b;
}

Result<InquiryData> decode_inquiry(std::span<const uint8_t> b) {
    if (b.size() < 36) return short_reply("INQUIRY", b.size(), 36);
    InquiryData d;
    d.device_type = b[0] & 0x1F;
    d.removable = b[1] & 0x80;
    d.version = b[2];
    d.vendor = trimmed(&b[8], 8);
    d.product = trimmed(&b[16], 16);
    d.revision = trimmed(&b[32], 4);
    return d;
}

// ---- READ DISC INFORMATION
Bytes encode_disc_information(const DiscInformation& d) {
    Bytes b(34, 0);
    store_be16(&b[0], 32);
    b[2] = uint8_t((d.erasable ? 0x10 : 0) | (d.last_session_state & 3) << 2 | (d.disc_status & 3));
    b[3] = d.first_track;
    b[4] = uint8_t(d.sessions);
    b[5] = uint8_t(d.first_track_last_session);
    b[6] = uint8_t(d.last_track_last_session);
    b[7] = uint8_t((d.unrestricted_use ? 0x20 : 0) | (d.bg_format_status & 3));
    b[8] = d.disc_type;
    b[9] = uint8_t(d.sessions >> 8);
    b[10] = uint8_t(d.first_track_last_session >> 8);
    b[11] = uint8_t(d.last_track_last_session >> 8);
    store_be32(&b[16], d.last_session_leadin);
    store_be32(&b[20], d.last_possible_leadout);
    return b;
}

Result<DiscInformation> decode_disc_information(std::span<const uint8_t> b) {
    if (b.size() < 24) return short_reply("READ DISC INFORMATION", b.size(), 24);
    DiscInformation d;
    d.erasable = b[2] & 0x10;
    d.last_session_state = (b[2] >> 2) & 3;
    d.disc_status = b[2] & 3;
    d.first_track = b[3];
    d.sessions = uint16_t(b[9] << 8 | b[4]);
    d.first_track_last_session = uint16_t(b[10] << 8 | b[5]);
    d.last_track_last_session = uint16_t(b[11] << 8 | b[6]);
    d.unrestricted_use = b[7] & 0x20;
    d.bg_format_status = b[7] & 3;
    d.disc_type = b[8];
    d.last_session_leadin = load_be32(&b[16]);
    d.last_possible_leadout = load_be32(&b[20]);
    return d;
}

// ---- READ TRACK INFORMATION
Bytes encode_track_information(const TrackInformation& t) {
    Bytes b(48, 0);
    store_be16(&b[0], 46);
    b[2] = uint8_t(t.track);
    b[3] = uint8_t(t.session);
    b[5] = uint8_t((t.damage ? 0x20 : 0) | (t.copy ? 0x10 : 0) | (t.track_mode & 0x0F));
    b[6] = uint8_t((t.reserved ? 0x80 : 0) | (t.blank ? 0x40 : 0) | (t.packet ? 0x20 : 0) | (t.fixed_packet ? 0x10 : 0) |
                   (t.data_mode & 0x0F));
    b[7] = uint8_t((t.lra_valid ? 2 : 0) | (t.nwa_valid ? 1 : 0));
    store_be32(&b[8], t.start);
    store_be32(&b[12], t.next_writable);
    store_be32(&b[16], t.free_blocks);
    store_be32(&b[20], t.packet_size);
    store_be32(&b[24], t.size);
    store_be32(&b[28], t.last_recorded);
    b[32] = uint8_t(t.track >> 8);
    b[33] = uint8_t(t.session >> 8);
    return b;
}

Result<TrackInformation> decode_track_information(std::span<const uint8_t> b) {
    if (b.size() < 28) return short_reply("READ TRACK INFORMATION", b.size(), 28);
    TrackInformation t;
    t.track = uint16_t((b.size() > 32 ? b[32] << 8 : 0) | b[2]);
    t.session = uint16_t((b.size() > 33 ? b[33] << 8 : 0) | b[3]);
    t.damage = b[5] & 0x20;
    t.copy = b[5] & 0x10;
    t.track_mode = b[5] & 0x0F;
    t.reserved = b[6] & 0x80;
    t.blank = b[6] & 0x40;
    t.packet = b[6] & 0x20;
    t.fixed_packet = b[6] & 0x10;
    t.data_mode = b[6] & 0x0F;
    t.lra_valid = b[7] & 2;
    t.nwa_valid = b[7] & 1;
    t.start = load_be32(&b[8]);
    t.next_writable = load_be32(&b[12]);
    t.free_blocks = load_be32(&b[16]);
    t.packet_size = load_be32(&b[20]);
    t.size = load_be32(&b[24]);
    if (b.size() >= 32) t.last_recorded = load_be32(&b[28]);
    return t;
}

// ---- READ TOC
Bytes encode_toc_format0(const Toc0& t, bool msf) {
    Bytes b(4 + 8 * t.entries.size(), 0);
    store_be16(&b[0], uint16_t(b.size() - 2));
    b[2] = t.first_track;
    b[3] = t.last_track;
    for (size_t i = 0; i < t.entries.size(); ++i) {
        uint8_t* d = &b[4 + 8 * i];
        d[1] = t.entries[i].adr_control;
        d[2] = t.entries[i].track;
        put_address(d + 4, t.entries[i].lba, msf);
    }
    return b;
}

Result<Toc0> decode_toc_format0(std::span<const uint8_t> b, bool msf) {
    if (b.size() < 4) return short_reply("READ TOC format 0", b.size(), 4);
    Toc0 t;
    t.first_track = b[2];
    t.last_track = b[3];
    size_t len = std::min<size_t>(b.size(), 2 + load_be16(&b[0]));
    for (size_t p = 4; p + 8 <= len; p += 8) t.entries.push_back({b[p + 1], b[p + 2], get_address(&b[p + 4], msf)});
    return t;
}

Bytes encode_toc_format1(const SessionInfo& s, bool msf) {
    Bytes b(12, 0);
    store_be16(&b[0], 10);
    b[2] = s.first_session;
    b[3] = s.last_session;
    b[5] = s.adr_control;
    b[6] = s.first_track_last_session;
    put_address(&b[8], s.start, msf);
    return b;
}

Result<SessionInfo> decode_toc_format1(std::span<const uint8_t> b, bool msf) {
    if (b.size() < 12) return short_reply("READ TOC format 1", b.size(), 12);
    SessionInfo s;
    s.first_session = b[2];
    s.last_session = b[3];
    s.adr_control = b[5];
    s.first_track_last_session = b[6];
    s.start = get_address(&b[8], msf);
    return s;
}

Bytes encode_full_toc(const FullToc& t) {
    Bytes b(4 + 11 * t.entries.size(), 0);
    store_be16(&b[0], uint16_t(b.size() - 2));
    b[2] = t.first_session;
    b[3] = t.last_session;
    for (size_t i = 0; i < t.entries.size(); ++i) {
        const auto& e = t.entries[i];
        uint8_t* d = &b[4 + 11 * i];
        d[0] = e.session;
        d[1] = e.adr_control;
        d[2] = e.tno;
        d[3] = e.point;
        d[4] = e.atime.m;
        d[5] = e.atime.s;
        d[6] = e.atime.f;
        d[7] = e.zero;
        d[8] = e.p.m;
        d[9] = e.p.s;
        d[10] = e.p.f;
    }
    return b;
}

Result<FullToc> decode_full_toc(std::span<const uint8_t> b) {
    if (b.size() < 4) return short_reply("READ TOC format 2", b.size(), 4);
    FullToc t;
    t.first_session = b[2];
    t.last_session = b[3];
    size_t len = std::min<size_t>(b.size(), 2 + load_be16(&b[0]));
    for (size_t p = 4; p + 11 <= len; p += 11)
        t.entries.push_back({b[p], b[p + 1], b[p + 2], b[p + 3], {b[p + 4], b[p + 5], b[p + 6]}, b[p + 7],
                             {b[p + 8], b[p + 9], b[p + 10]}});
    return t;
}

Bytes encode_atip(const Atip& a) {
    Bytes b(28, 0);
    store_be16(&b[0], 26);
    b[4] = 0x50;                       // reference speed
    b[6] = a.rewritable ? 0x40 : 0x00; // disc type
    b[8] = a.leadin_start.m;
    b[9] = a.leadin_start.s;
    b[10] = a.leadin_start.f;
    b[12] = a.last_leadout_start.m;
    b[13] = a.last_leadout_start.s;
    b[14] = a.last_leadout_start.f;
    return b;
}

Result<Atip> decode_atip(std::span<const uint8_t> b) {
    if (b.size() < 15) return short_reply("READ TOC format 4 (ATIP)", b.size(), 15);
    return Atip{bool(b[6] & 0x40), {b[8], b[9], b[10]}, {b[12], b[13], b[14]}};
}

// ---- GET CONFIGURATION
std::vector<std::pair<uint16_t, bool>> Configuration::profiles() const {
    std::vector<std::pair<uint16_t, bool>> out;
    if (const Feature* f = feature(0x0000))
        for (size_t p = 0; p + 4 <= f->data.size(); p += 4) out.emplace_back(load_be16(&f->data[p]), f->data[p + 2] & 1);
    return out;
}

const Feature* Configuration::feature(uint16_t code) const {
    for (const auto& f : features)
        if (f.code == code) return &f;
    return nullptr;
}

Bytes encode_configuration(const Configuration& c) {
    Bytes b(8, 0);
    store_be16(&b[6], c.current_profile);
    for (const auto& f : c.features) {
        size_t at = b.size();
        b.resize(at + 4 + f.data.size());
        store_be16(&b[at], f.code);
        b[at + 2] = uint8_t(f.version << 2 | (f.persistent ? 2 : 0) | (f.current ? 1 : 0));
        b[at + 3] = uint8_t(f.data.size());
        std::copy(f.data.begin(), f.data.end(), b.begin() + long(at + 4));
    }
    store_be32(&b[0], uint32_t(b.size() - 4));
    return b;
}

Result<Configuration> decode_configuration(std::span<const uint8_t> b) {
    if (b.size() < 8) return short_reply("GET CONFIGURATION", b.size(), 8);
    Configuration c;
    c.current_profile = load_be16(&b[6]);
    size_t len = std::min<size_t>(b.size(), 4 + size_t(load_be32(&b[0])));
    for (size_t p = 8; p + 4 <= len;) {
        Feature f;
        f.code = load_be16(&b[p]);
        f.version = uint8_t(b[p + 2] >> 2 & 0x0F);
        f.persistent = b[p + 2] & 2;
        f.current = b[p + 2] & 1;
        size_t n = b[p + 3];
        if (p + 4 + n > len) break;
        f.data.assign(b.begin() + long(p + 4), b.begin() + long(p + 4 + n));
        c.features.push_back(std::move(f));
        p += 4 + n;
    }
    return c;
}

// ---- Mode pages
Bytes encode_write_parameters(const WriteParameters& w) {
    Bytes b(2 + write_parameters_page_length, 0);
    b[0] = 0x05;
    b[1] = write_parameters_page_length;
    b[2] = uint8_t((w.bufe ? 0x40 : 0) | (w.ls_v ? 0x20 : 0) | (w.test_write ? 0x10 : 0) | (w.write_type & 0x0F));
    b[3] = uint8_t((w.multisession & 3) << 6 | (w.fixed_packet ? 0x20 : 0) | (w.copy ? 0x10 : 0) | (w.track_mode & 0x0F));
    b[4] = w.data_block_type & 0x0F;
    b[5] = w.link_size;
    b[8] = w.session_format;
    store_be32(&b[10], w.packet_size);
    store_be16(&b[14], w.audio_pause);
    return b;
}

Result<WriteParameters> decode_write_parameters(std::span<const uint8_t> p) {
    if (p.size() < 16 || (p[0] & 0x3F) != 0x05) return make_error(Errc::corrupt, "not a write parameters page (05h)");
    WriteParameters w;
    w.bufe = p[2] & 0x40;
    w.ls_v = p[2] & 0x20;
    w.test_write = p[2] & 0x10;
    w.write_type = p[2] & 0x0F;
    w.multisession = p[3] >> 6 & 3;
    w.fixed_packet = p[3] & 0x20;
    w.copy = p[3] & 0x10;
    w.track_mode = p[3] & 0x0F;
    w.data_block_type = p[4] & 0x0F;
    w.link_size = p[5];
    w.session_format = p[8];
    w.packet_size = load_be32(&p[10]);
    w.audio_pause = load_be16(&p[14]);
    return w;
}

Bytes mode_sense10_reply(std::span<const uint8_t> pages) {
    Bytes b(8 + pages.size(), 0);
    store_be16(&b[0], uint16_t(b.size() - 2));
    std::copy(pages.begin(), pages.end(), b.begin() + 8);
    return b;
}

Result<std::span<const uint8_t>> mode_pages(std::span<const uint8_t> r) {
    if (r.size() < 8) return short_reply("MODE SENSE(10)", r.size(), 8);
    size_t len = std::min<size_t>(r.size(), 2 + size_t(load_be16(&r[0])));
    size_t bd = load_be16(&r[6]);
    if (8 + bd > len) return make_error(Errc::corrupt, "MODE SENSE(10): block descriptors beyond the data");
    return r.subspan(8 + bd, len - 8 - bd);
}

std::optional<std::span<const uint8_t>> find_mode_page(std::span<const uint8_t> pages, uint8_t code) {
    for (size_t p = 0; p + 2 <= pages.size();) {
        size_t n = 2 + size_t(pages[p + 1]);
        if (p + n > pages.size()) break;
        if ((pages[p] & 0x3F) == code) return pages.subspan(p, n);
        p += n;
    }
    return std::nullopt;
}

// ---- READ FORMAT CAPACITIES
Bytes encode_format_capacities(const FormatCapacities& f) {
    Bytes b(4 + 8 * (1 + f.formattable.size()), 0);
    b[3] = uint8_t(b.size() - 4);
    store_be32(&b[4], f.current.blocks);
    b[8] = f.current.type & 3;
    store_be24(&b[9], 2048);
    for (size_t i = 0; i < f.formattable.size(); ++i) {
        uint8_t* d = &b[12 + 8 * i];
        store_be32(d, f.formattable[i].blocks);
        d[4] = uint8_t(f.formattable[i].type << 2);
        store_be24(d + 5, f.formattable[i].param);
    }
    return b;
}

Result<FormatCapacities> decode_format_capacities(std::span<const uint8_t> b) {
    if (b.size() < 12) return short_reply("READ FORMAT CAPACITIES", b.size(), 12);
    FormatCapacities f;
    f.current = {load_be32(&b[4]), uint8_t(b[8] & 3), load_be24(&b[9])};
    size_t len = std::min<size_t>(b.size(), 4 + size_t(b[3]));
    for (size_t p = 12; p + 8 <= len; p += 8) f.formattable.push_back({load_be32(&b[p]), uint8_t(b[p + 4] >> 2), load_be24(&b[p + 5])});
    return f;
}

Bytes encode_buffer_capacity(const BufferCapacity& c) {
    Bytes b(12, 0);
    store_be16(&b[0], 10);
    store_be32(&b[4], c.size);
    store_be32(&b[8], c.free);
    return b;
}

Result<BufferCapacity> decode_buffer_capacity(std::span<const uint8_t> b) {
    if (b.size() < 12) return short_reply("READ BUFFER CAPACITY", b.size(), 12);
    return BufferCapacity{load_be32(&b[4]), load_be32(&b[8])};
}

Bytes encode_read_capacity(const ReadCapacity& c) {
    Bytes b(8, 0);
    store_be32(&b[0], c.last_lba);
    store_be32(&b[4], c.block_length);
    return b;
}

Result<ReadCapacity> decode_read_capacity(std::span<const uint8_t> b) {
    if (b.size() < 8) return short_reply("READ CAPACITY", b.size(), 8);
    return ReadCapacity{load_be32(&b[0]), load_be32(&b[4])};
}

}  // namespace mastering::scsi
