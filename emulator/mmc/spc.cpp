// SPC and device-level commands: TEST UNIT READY, REQUEST SENSE, INQUIRY,
// MODE SENSE/SELECT (pages 01, 05, 1A, 2A), START STOP UNIT, PREVENT ALLOW,
// MECHANISM STATUS, GET EVENT STATUS NOTIFICATION, REPORT LUNS, REPORT
// SUPPORTED OPERATION CODES.
#include <algorithm>
#include <cstring>
#include <optional>

#include "emulator/mmc/handlers.h"

namespace emulator::mmc {

namespace op = sc::op;
namespace sense = sc::sense;
using sc::Bytes;

CommandReply Handlers::test_unit_ready(Drive& d, Ctx&) {
    auto now = std::chrono::steady_clock::now();
    if (now < d.m_busy_until) {
        sc::Sense s = d.m_busy_sense;
        auto total = d.m_busy_until - d.m_busy_since, done = now - d.m_busy_since;
        s.progress = uint16_t(65535.0 * double(done.count()) / double(std::max<int64_t>(1, total.count())));
        return Drive::check(s);
    }
    if (d.m_tray_open) return Drive::check(sense::medium_not_present_tray_open);
    if (!d.m_disc) return Drive::check(sense::medium_not_present_tray_closed);
    return Drive::good();
}

CommandReply Handlers::request_sense(Drive& d, Ctx& c) {
    sc::Sense s = sense::no_sense;
    auto now = std::chrono::steady_clock::now();
    if (now < d.m_busy_until) {
        s = d.m_busy_sense;
        auto total = d.m_busy_until - d.m_busy_since, done = now - d.m_busy_since;
        s.progress = uint16_t(65535.0 * double(done.count()) / double(std::max<int64_t>(1, total.count())));
    } else if (auto q = d.m_ua.find(c.nexus); q != d.m_ua.end() && !q->second.empty()) {
        s = q->second.front();  // reported (and so cleared) by REQUEST SENSE
        q->second.pop_front();
    } else if (auto it = d.m_deferred.find(c.nexus); it != d.m_deferred.end()) {
        s = it->second;
        d.m_deferred.erase(it);
    } else if (d.m_tray_open) {
        s = sense::medium_not_present_tray_open;
    } else if (!d.m_disc) {
        s = sense::medium_not_present_tray_closed;
    }
    auto b = sc::encode_fixed_sense(s);
    CommandReply r = Drive::reply(c, Bytes(b.begin(), b.end()), c.cdb[4]);
    d.m_deferred.erase(c.nexus);
    return r;
}

CommandReply Handlers::inquiry(Drive& d, Ctx& c) {
    uint16_t alloc = load_be16(&c.cdb[3]);
    bool evpd = c.cdb[1] & 1;
    if (!evpd) {
        if (c.cdb[2] != 0) return Drive::check(sense::invalid_field_in_cdb);
        sc::InquiryData q{5, true, 5, d.m_options.vendor, d.m_options.product, d.m_options.revision};
        return Drive::reply(c, sc::encode_inquiry(q), alloc);
    }
    Bytes b;
    switch (c.cdb[2]) {
    case 0x00:  // supported pages
        b = {0x05, 0x00, 0x00, 3, 0x00, 0x80, 0x83};
        break;
    case 0x80: {  // unit serial number
        b = {0x05, 0x80, 0x00, uint8_t(d.m_options.serial.size())};
        b.insert(b.end(), d.m_options.serial.begin(), d.m_options.serial.end());
        break;
    }
    case 0x83: {  // device identification: T10 vendor ID and an NAA name
        b = {0x05, 0x83, 0x00, 0x00};
        std::string t10 = d.m_options.vendor;
        t10.resize(8, ' ');
        t10 += d.m_options.product + " " + d.m_options.serial;
        b.insert(b.end(), {0x02, 0x01, 0x00, uint8_t(t10.size())});  // ASCII, T10 vendor ID, LU
        b.insert(b.end(), t10.begin(), t10.end());
        uint64_t h = 1469598103934665603ull;
        for (char ch : d.m_options.serial + d.m_options.product) h = (h ^ uint8_t(ch)) * 1099511628211ull;
        b.insert(b.end(), {0x01, 0x03, 0x00, 0x08});  // binary, NAA, LU
        uint8_t naa[8];
        naa[0] = 0x60 | uint8_t(h >> 60 & 0x0F);  // NAA 6 (registered extended), locally made up
        for (int i = 1; i < 8; ++i) naa[i] = uint8_t(h >> (8 * (7 - i)));
        b.insert(b.end(), naa, naa + 8);
        store_be16(&b[2], uint16_t(b.size() - 4));
        break;
    }
    default:
        return Drive::check(sense::invalid_field_in_cdb);
    }
    return Drive::reply(c, b, alloc);
}

namespace {

// Page 2A: capabilities and mechanical status.
Bytes page_2a(const Drive&, bool changeable, bool locked, uint16_t write_kbs) {
    Bytes p(2 + 0x26, 0);
    p[0] = 0x2A;
    p[1] = 0x26;
    if (changeable) return p;
    p[2] = 0x3F;                       // reads CD-R, CD-RW, method 2, DVD-ROM, DVD-R, DVD-RAM
    p[3] = 0x37;                       // writes CD-R, CD-RW, test write, DVD-R, DVD-RAM
    p[4] = 0xF0;                       // BUF, multisession, mode 2 form 2, form 1
    p[5] = 0x01;                       // CD-DA commands supported
    p[6] = uint8_t(0x20 | 0x08 | 0x01 | (locked ? 0x02 : 0));  // tray, eject, lock (+ locked)
    store_be16(&p[8], 7056);            // obsolete maximum read speed
    store_be16(&p[12], 4096);           // buffer size, KiB
    store_be16(&p[18], 7056);           // obsolete maximum write speed
    store_be16(&p[20], write_kbs);
    store_be16(&p[28], write_kbs);      // current write speed
    store_be16(&p[30], 2);              // write speed descriptors
    store_be16(&p[34], 7056);           // 40x CD
    store_be16(&p[38], 1764);           // 10x CD
    return p;
}

Bytes page_01(bool changeable) {
    Bytes p = {0x01, 0x0A, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    if (!changeable) p[3] = 5;  // read retry count
    return p;
}

Bytes page_1a(bool) { return Bytes{0x1A, 0x0A, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}; }

// Control mode page (SPC): fixed sense data, unrestricted reordering off,
// nothing changeable; busy timeout unlimited.
Bytes page_0a(bool changeable) {
    if (changeable) return Bytes{0x0A, 0x0A, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    return Bytes{0x0A, 0x0A, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0};
}

Bytes page_05_changeable() {
    sc::WriteParameters w;
    Bytes p = sc::encode_write_parameters(w);
    std::fill(p.begin() + 2, p.end(), 0);
    p[2] = 0x40 | 0x20 | 0x10 | 0x0F;  // BUFE, LS_V, test write, write type
    p[3] = 0xC0 | 0x20 | 0x10 | 0x0F;  // multisession, FP, copy, track mode
    p[4] = 0x0F;                       // data block type
    p[5] = 0xFF;                       // link size
    p[8] = 0xFF;                       // session format
    std::fill(p.begin() + 10, p.begin() + 16, 0xFF);  // packet size, audio pause
    return p;
}

}  // namespace

CommandReply Handlers::mode_sense(Drive& d, Ctx& c) {
    bool ten = c.cdb[0] == op::mode_sense10;
    uint8_t pc = c.cdb[2] >> 6, page = c.cdb[2] & 0x3F;
    size_t alloc = ten ? load_be16(&c.cdb[7]) : c.cdb[4];
    if (pc == 3) return Drive::check(sense::saving_parameters_not_supported);
    bool ch = pc == 1;
    sc::WriteParameters defaults;
    defaults.write_type = 1;
    Bytes p05 = ch ? page_05_changeable() : sc::encode_write_parameters(pc == 2 ? defaults : d.m_page05);
    Bytes pages;
    auto add = [&](const Bytes& p) { pages.insert(pages.end(), p.begin(), p.end()); };
    switch (page) {
    case 0x01: add(page_01(ch)); break;
    case 0x05: add(p05); break;
    case 0x0A: add(page_0a(ch)); break;
    case 0x1A: add(page_1a(ch)); break;
    case 0x2A: add(page_2a(d, ch, d.prevented(), d.m_write_speed == 0xFFFF ? 7056 : d.m_write_speed)); break;
    case 0x3F:
        add(page_01(ch));
        add(p05);
        add(page_0a(ch));
        add(page_1a(ch));
        add(page_2a(d, ch, d.prevented(), d.m_write_speed == 0xFFFF ? 7056 : d.m_write_speed));
        break;
    default: return Drive::check(sense::invalid_field_in_cdb);
    }
    if (ten) return Drive::reply(c, sc::mode_sense10_reply(pages), alloc);
    Bytes b(4 + pages.size(), 0);
    b[0] = uint8_t(std::min<size_t>(255, b.size() - 1));
    std::copy(pages.begin(), pages.end(), b.begin() + 4);
    return Drive::reply(c, b, alloc);
}

CommandReply Handlers::mode_select(Drive& d, Ctx& c) {
    bool ten = c.cdb[0] == op::mode_select10;
    size_t len = ten ? load_be16(&c.cdb[7]) : c.cdb[4];
    if (!(c.cdb[1] & 0x10) && len > 0) return Drive::check(sense::invalid_field_in_cdb);  // PF must be set
    if (c.cdb[1] & 0x01) return Drive::check(sense::saving_parameters_not_supported);
    if (c.out.size() < len) return Drive::check(sense::parameter_list_length_error);
    std::span<const uint8_t> plist(reinterpret_cast<const uint8_t*>(c.out.data()), len);
    if (len == 0) return Drive::good();
    size_t header = ten ? 8 : 4;
    if (len < header) return Drive::check(sense::parameter_list_length_error);
    size_t bd = ten ? load_be16(&plist[6]) : plist[3];
    if (header + bd > len) return Drive::check(sense::parameter_list_length_error);
    auto pages = plist.subspan(header + bd);
    Bytes changeable = page_05_changeable();
    for (size_t p = 0; p + 2 <= pages.size();) {
        uint8_t code = pages[p] & 0x3F;
        size_t n = 2 + size_t(pages[p + 1]);
        if (p + n > pages.size()) return Drive::check(sense::parameter_list_length_error);
        auto page = pages.subspan(p, n);
        if (code == 0x05) {
            if (n < 16) return Drive::check(sense::invalid_field_in_parameter_list);
            auto w = sc::decode_write_parameters(page);
            if (!w.ok()) return Drive::check(sense::invalid_field_in_parameter_list);
            // Bits outside the changeable mask must not be set.
            for (size_t i = 2; i < std::min<size_t>(n, 16); ++i)
                if (page[i] & ~changeable[i]) return Drive::check(sense::invalid_field_in_parameter_list);
            bool ok_type = w->write_type <= 4;
            bool ok_ms = w->multisession != 2;
            bool ok_dbt = w->data_block_type <= 13 && w->data_block_type != 4 && w->data_block_type != 5 &&
                          w->data_block_type != 6 && w->data_block_type != 7;
            bool ok_mode = w->track_mode == 0 || w->track_mode == 4 || w->track_mode == 5 || w->track_mode == 6 ||
                           w->track_mode == 7 || w->track_mode == 1 || w->track_mode == 2;
            if (!ok_type || !ok_ms || !ok_dbt || !ok_mode) return Drive::check(sense::invalid_field_in_parameter_list);
            if (w->write_type == 0 && w->fixed_packet && w->packet_size == 0) return Drive::check(sense::invalid_packet_size);
            if (!(d.m_page05.write_type == w->write_type && d.m_page05.multisession == w->multisession &&
                  d.m_page05.data_block_type == w->data_block_type && d.m_page05.track_mode == w->track_mode))
                for (NexusId other : d.m_nexuses)  // the others learn that the parameters changed
                    if (other != c.nexus) d.m_ua[other].push_back(sense::mode_parameters_changed);
            d.m_page05 = *w;
        } else if (code == 0x0A) {
            // Nothing of the control page is changeable: only its current values are accepted.
            Bytes cur = page_0a(false);
            if (n != cur.size() || !std::equal(page.begin() + 2, page.end(), cur.begin() + 2))
                return Drive::check(sense::invalid_field_in_parameter_list);
        } else if (code != 0x01 && code != 0x1A && code != 0x2A) {
            return Drive::check(sense::invalid_field_in_parameter_list);
        }
        p += n;
    }
    return Drive::good();
}

CommandReply Handlers::start_stop_unit(Drive& d, Ctx& c) {
    // A power condition other than 0 (START_VALID) ignores LoEj and Start (SPC-4 / MMC-6).
    if (c.cdb[4] & 0xF0) return Drive::good();
    bool loej = c.cdb[4] & 2, start = c.cdb[4] & 1;
    if (!loej) return Drive::good();  // spin up / down
    if (!start) {                     // eject: the medium stays in the open tray
        if (d.prevented()) return Drive::check(sense::removal_prevented);
        if (!d.m_tray_open) {
            d.m_tray_open = true;
            if (d.m_disc) (void)d.m_disc->sync();
            d.media_event(3);
        }
        return Drive::good();
    }
    if (d.m_tray_open) {  // load: close the tray; a medium in it comes back as new
        d.m_tray_open = false;
        if (d.m_disc) {
            // Every other initiator learns of it; the one that loaded it knows.
            for (NexusId n : d.m_nexuses)
                if (n != c.nexus) d.m_ua[n].push_back(sense::medium_changed);
            d.media_event(2);
        }
    }
    return Drive::good();
}

CommandReply Handlers::prevent_allow(Drive& d, Ctx& c) {
    if (c.cdb[4] & 1) d.m_preventers.insert(c.nexus);
    else d.m_preventers.erase(c.nexus);
    return Drive::good();
}

CommandReply Handlers::mechanism_status(Drive& d, Ctx& c) {
    Bytes b(8, 0);
    b[1] = d.m_tray_open ? 0x10 : 0x00;
    return Drive::reply(c, b, load_be16(&c.cdb[8]));
}

CommandReply Handlers::event_status(Drive& d, Ctx& c) {
    if (!(c.cdb[1] & 1)) return Drive::check(sense::invalid_field_in_cdb);  // asynchronous: not supported
    uint8_t classes = c.cdb[4];
    constexpr uint8_t supported = 0x02 | 0x04 | 0x08 | 0x10 | 0x40;  // operational, power, external, media, busy
    Bytes b(4, 0);
    b[3] = supported;
    if (classes & 0x10) {  // media class first: what burners poll
        uint8_t code = 0;
        if (!d.m_media_events.empty()) {
            code = d.m_media_events.front();
            d.m_media_events.pop_front();
        }
        b[2] = 0x04;
        b.insert(b.end(), {code, uint8_t((d.m_disc ? 2 : 0) | (d.m_tray_open ? 1 : 0)), 0, 0});
    } else if (classes & 0x02) {
        b[2] = 0x01;
        b.insert(b.end(), {0, 0, 0, 0});
    } else if (classes & 0x04) {
        b[2] = 0x02;
        b.insert(b.end(), {0, 1, 0, 0});  // active
    } else if (classes & 0x08) {
        b[2] = 0x03;
        b.insert(b.end(), {0, 0, 0, 0});
    } else if (classes & 0x40) {
        b[2] = 0x06;
        b.insert(b.end(), {0, 0, 0, 0});
    } else {
        b[2] = 0x80;  // NEA: no class asked for that we have
    }
    store_be16(&b[0], uint16_t(b.size() - 2));
    return Drive::reply(c, b, load_be16(&c.cdb[7]));
}

CommandReply Handlers::report_luns(Drive&, Ctx& c) {
    Bytes b(16, 0);
    store_be32(&b[0], 8);  // one LUN: 0
    return Drive::reply(c, b, load_be32(&c.cdb[6]));
}

namespace {
// Command timeouts descriptor (SPC-4 6.35.4): the recommended seconds a
// command may take; nominal (bytes 4-7) left 0, not specified.
Bytes timeouts_descriptor(const sc::Command& command) {
    Bytes t(12, 0);
    t[1] = 0x0A;
    store_be32(&t[8], command.timeout_seconds);
    return t;
}
}  // namespace

CommandReply Handlers::report_supported_opcodes(Drive&, Ctx& c) {
    uint8_t options = c.cdb[2] & 7;
    bool rctd = c.cdb[2] & 0x80;  // return command timeouts descriptors
    uint32_t alloc = load_be32(&c.cdb[6]);
    if (options == 0) {
        Bytes b(4, 0);
        for (const Binding& binding : bindings()) {
            const sc::Command& e = *binding.command;
            auto sa = e.service_action;
            uint8_t d[8] = {e.opcode, 0, 0, sa.value_or(0), 0, uint8_t((sa ? 1 : 0) | (rctd ? 2 : 0)), 0,
                            e.cdb_length};  // SERVACTV, CTDP
            b.insert(b.end(), d, d + 8);
            if (rctd) {
                auto td = timeouts_descriptor(e);
                b.insert(b.end(), td.begin(), td.end());
            }
        }
        store_be32(&b[0], uint32_t(b.size() - 4));
        return Drive::reply(c, b, alloc);
    }
    if (options == 1 || options == 2) {
        const Binding* binding = binding_for(c.cdb[3]);
        const sc::Command* e = binding ? binding->command : nullptr;
        auto sa = e ? e->service_action : std::nullopt;
        // Options 1 names an opcode without service actions, 2 one with them.
        if (e && (options == 1) == sa.has_value()) return Drive::check(sense::invalid_field_in_cdb);
        Bytes b(4, 0);
        if (!e || (options == 2 && load_be16(&c.cdb[4]) != *sa)) {
            b[1] = 1;  // not supported
            return Drive::reply(c, b, alloc);
        }
        b[1] = 3;  // supported as in the standard
        store_be16(&b[2], e->cdb_length);
        Bytes usage(e->cdb_length, 0xFF);
        usage[0] = e->opcode;
        if (sa) usage[1] = *sa;
        b.insert(b.end(), usage.begin(), usage.end());
        if (rctd) {
            b[1] |= 0x80;  // CTDP
            auto td = timeouts_descriptor(*e);
            b.insert(b.end(), td.begin(), td.end());
        }
        return Drive::reply(c, b, alloc);
    }
    return Drive::check(sense::invalid_field_in_cdb);
}

}  // namespace emulator::mmc
