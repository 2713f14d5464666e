// Reading commands and media queries: READ CAPACITY, READ(10/12), READ CD,
// READ TOC/PMA/ATIP, READ DISC/TRACK INFORMATION, READ FORMAT CAPACITIES,
// READ BUFFER CAPACITY, READ DISC STRUCTURE, GET PERFORMANCE, SET CD SPEED /
// SET STREAMING, REPORT KEY, VERIFY.
#include <algorithm>
#include <cstring>

#include "emulator/mmc/handlers.h"
#include "emulator/mmc/recorder.h"

namespace emulator::mmc {

namespace op = sc::op;
namespace sense = sc::sense;
using mastering::media::Family;
using sc::Bytes;

CommandReply Handlers::read_capacity(Drive& d, Ctx& c) {
    uint32_t blocks = read_capacity_blocks(d.model());
    return Drive::reply(c, sc::encode_read_capacity({blocks ? blocks - 1 : 0, 2048}), 8);
}

// READ CAPACITY(16) (SBC; SERVICE ACTION IN 10h): not MMC, but answered the
// same way so that block-device initiators that start with it find the size.
CommandReply Handlers::read_capacity16(Drive& d, Ctx& c) {
    uint32_t blocks = read_capacity_blocks(d.model());
    sc::Bytes data(32, 0);
    store_be64(&data[0], blocks ? blocks - 1 : 0);
    data[10] = 0x08;  // 2048-byte blocks
    return Drive::reply(c, data, load_be32(&c.cdb[10]));
}

CommandReply Handlers::read(Drive& d, Ctx& c) {
    bool twelve = c.cdb[0] == op::read12;
    uint32_t lba = load_be32(&c.cdb[2]);
    uint32_t n = twelve ? load_be32(&c.cdb[6]) : load_be16(&c.cdb[7]);
    if (n == 0) {  // nothing to transfer, but the address must still exist
        if (lba > read_capacity_blocks(d.model())) {
            sc::Sense s = sense::lba_out_of_range;
            s.information = lba;
            return Drive::check(s);
        }
        return Drive::good();
    }
    if (!readable(d.model(), lba, n)) {
        // As a drive does: the blocks before the first unreadable one are
        // sent, and the sense data name that block (VALID + INFORMATION), so
        // that an initiator (the Linux sr driver) keeps the good part of a
        // read-ahead that ran past the recorded area.
        uint64_t bad = first_unreadable(d.model(), lba, n);
        sc::Sense s = sense::lba_out_of_range;
        s.information = uint32_t(bad);
        CommandReply r = Drive::check(s);
        size_t good = std::min(size_t(bad - lba) * 2048, c.in.size() / 2048 * 2048);
        if (good && d.m_disc->read(lba, c.in.first(good)).ok()) r.data_in_length = good;
        return r;
    }
    // The initiator may expect less than the CDB asks for: send what fits,
    // down to part of a block (the transport reports the residual).
    size_t want = size_t(n) * 2048, fits = std::min(want, c.in.size());
    size_t whole = fits / 2048 * 2048;
    CommandReply r;
    r.data_in_length = fits;
    r.data_in_overflow = want - fits;
    if (c.by_reference && whole == fits) {
        if (auto range = d.m_disc->file_range(lba, whole)) {  // the transport sends them from the file
            r.data_in_file = std::move(*range);
            return r;
        }
    }
    if (whole && !d.m_disc->read(lba, c.in.first(whole)).ok()) return Drive::check(sense::unrecovered_read_error);
    if (fits > whole) {
        std::vector<std::byte> block(2048);
        if (!d.m_disc->read(lba + whole / 2048, block).ok()) return Drive::check(sense::unrecovered_read_error);
        std::memcpy(c.in.data() + whole, block.data(), fits - whole);
    }
    return r;
}

// VERIFY(10): the blocks must be readable; with BYTCHK the data-out is
// compared with them (MISCOMPARE on the first difference).
CommandReply Handlers::verify(Drive& d, Ctx& c) {
    uint32_t lba = load_be32(&c.cdb[2]);
    uint16_t n = load_be16(&c.cdb[7]);
    bool byte_check = c.cdb[1] & 0x02;
    sc::Sense out_of_range = sense::lba_out_of_range;
    out_of_range.information = lba;
    if (n == 0) return lba > read_capacity_blocks(d.model()) ? Drive::check(out_of_range) : Drive::good();
    if (!readable(d.model(), lba, n)) return Drive::check(out_of_range);
    std::vector<std::byte> block(2048);
    for (uint32_t i = 0; i < n; ++i) {
        if (!d.m_disc->read(lba + i, block).ok()) return Drive::check(sense::unrecovered_read_error);
        if (!byte_check) continue;
        if (c.out.size() < size_t(i + 1) * 2048) return Drive::check(sense::invalid_field_in_cdb);
        auto given = c.out.subspan(size_t(i) * 2048, 2048);
        auto diff = std::mismatch(block.begin(), block.end(), given.begin());
        if (diff.first != block.end()) {
            sc::Sense s = sense::miscompare_during_verify;
            s.information = uint32_t(i) * 2048 + uint32_t(diff.first - block.begin());  // offset of the first difference
            return Drive::check(s);
        }
    }
    return Drive::good();
}

CommandReply Handlers::read_cd(Drive& d, Ctx& c) {
    if (!d.model().is_cd()) return Drive::check(sense::cannot_read_medium);
    uint8_t sector_type = (c.cdb[1] >> 2) & 7;
    uint8_t flags = c.cdb[9];
    if ((sector_type != 0 && sector_type != 2) || (flags & 0xF8) != 0x10 || c.cdb[10] != 0)
        return Drive::check(sense::invalid_field_in_cdb);  // only the 2048 user-data bytes of mode 1
    Ctx r = c;
    uint8_t cdb10[10] = {op::read10, 0, c.cdb[2], c.cdb[3], c.cdb[4], c.cdb[5], 0, c.cdb[7], c.cdb[8], 0};
    if (c.cdb[6] != 0) return Drive::check(sense::invalid_field_in_cdb);
    r.cdb = std::span<const uint8_t>(cdb10, 10);
    return read(d, r);
}

CommandReply Handlers::read_toc(Drive& d, Ctx& c) {
    bool msf = c.cdb[1] & 2;
    uint8_t format = c.cdb[2] & 0x0F;
    if (format == 0 && (c.cdb[9] >> 6)) format = uint8_t(c.cdb[9] >> 6);  // the old SFF-8020 field
    uint16_t alloc = load_be16(&c.cdb[7]);
    const auto& m = d.model();
    switch (format) {
    case 0: {
        auto t = toc_format0(m, c.cdb[6]);
        if (!t) return Drive::check(sense::invalid_field_in_cdb);
        return Drive::reply(c, sc::encode_toc_format0(*t, msf), alloc);
    }
    case 1: {
        auto s = toc_format1(m);
        if (!s) return Drive::check(sense::invalid_field_in_cdb);
        return Drive::reply(c, sc::encode_toc_format1(*s, msf), alloc);
    }
    case 2: {
        auto t = full_toc(m);
        if (!t) return Drive::check(sense::invalid_field_in_cdb);
        return Drive::reply(c, sc::encode_full_toc(*t), alloc);
    }
    case 4: {
        if (!m.is_cd() || m.rom) return Drive::check(sense::invalid_field_in_cdb);
        sc::Atip a{m.medium == mastering::media::Profile::cd_rw, {97, 15, 0}, sc::lba_to_msf(int32_t(m.capacity) - 150)};
        return Drive::reply(c, sc::encode_atip(a), alloc);
    }
    default:
        return Drive::check(sense::invalid_field_in_cdb);
    }
}

CommandReply Handlers::read_disc_information(Drive& d, Ctx& c) {
    if ((c.cdb[1] & 7) != 0) return Drive::check(sense::invalid_field_in_cdb);  // only standard disc information
    return Drive::reply(c, sc::encode_disc_information(disc_information(d.model())), load_be16(&c.cdb[7]));
}

CommandReply Handlers::read_track_information(Drive& d, Ctx& c) {
    uint8_t type = c.cdb[1] & 3;
    uint32_t number = load_be32(&c.cdb[2]);
    if (type == 3) return Drive::check(sense::invalid_field_in_cdb);
    auto t = d.recording().track_information(d.model(), type, number, d.m_page05);
    if (!t) return Drive::check(sense::invalid_field_in_cdb);
    return Drive::reply(c, sc::encode_track_information(*t), load_be16(&c.cdb[7]));
}

CommandReply Handlers::read_format_capacities(Drive& d, Ctx& c) {
    using P = mastering::media::Profile;
    sc::FormatCapacities f;
    uint16_t alloc = load_be16(&c.cdb[7]);
    if (d.m_tray_open || !d.m_disc) {
        f.current = {0xFFFFFFFF, 3, 2048};
        return Drive::reply(c, sc::encode_format_capacities(f), alloc);
    }
    const auto& m = d.model();
    if (m.rom) {
        f.current = {m.rom_blocks, 2, 2048};
    } else if (m.overwritable() || m.medium == P::dvd_rw || m.medium == P::bd_r) {
        f.current = m.formatted ? sc::FormatDescriptor{m.formatted_blocks, 2, 2048}
                                : sc::FormatDescriptor{m.capacity, 1, 2048};
        switch (m.medium) {
        case P::dvd_plus_rw: f.formattable.push_back({m.capacity, 0x26, 0}); break;
        case P::dvd_rw:
            f.formattable.push_back({m.capacity, 0x00, 16});
            f.formattable.push_back({m.capacity, 0x10, 16});
            f.formattable.push_back({m.capacity, 0x15, 16});
            break;
        case P::dvd_ram: f.formattable.push_back({m.capacity, 0x00, 0}); break;
        case P::bd_re:
            f.formattable.push_back({m.capacity, 0x00, 0});
            f.formattable.push_back({m.capacity, 0x30, 0});
            f.formattable.push_back({m.capacity, 0x31, 0});
            break;
        case P::bd_r: f.formattable.push_back({m.capacity, 0x32, 0}); break;
        default: break;
        }
    } else {
        f.current = {m.capacity, uint8_t(m.blank() ? 1 : 2), 2048};
    }
    return Drive::reply(c, sc::encode_format_capacities(f), alloc);
}

CommandReply Handlers::read_buffer_capacity(Drive&, Ctx& c) {
    constexpr uint32_t size = 4u << 20;
    if (c.cdb[1] & 1) {  // block form
        Bytes b(12, 0);
        store_be16(&b[0], 10);
        b[7] = 0;
        store_be32(&b[8], size / 2048);
        return Drive::reply(c, b, load_be16(&c.cdb[7]));
    }
    return Drive::reply(c, sc::encode_buffer_capacity({size, size}), load_be16(&c.cdb[7]));
}

CommandReply Handlers::read_disc_structure(Drive& d, Ctx& c) {
    using P = mastering::media::Profile;
    const auto& m = d.model();
    uint8_t media_type = c.cdb[1] & 0x0F, format = c.cdb[7];
    uint16_t alloc = load_be16(&c.cdb[8]);
    Family fam = mastering::media::profile_info(m.medium).family;
    if (fam == Family::cd) return Drive::check(sense::cannot_read_medium);
    if (format == 0xFF) {  // the list of structures this medium has
        Bytes b(4, 0);
        auto add = [&](uint8_t f, uint16_t len) { b.insert(b.end(), {f, 0x40, uint8_t(len >> 8), uint8_t(len)}); };
        if (fam == Family::dvd) {
            add(0x00, 2052);
            add(0x01, 8);
            add(0x10, 2052);
            if (m.medium == P::dvd_plus_r_dl) add(0x20, 12);
        } else {
            add(0x00, 4100);
            add(0x0A, 16);
        }
        store_be16(&b[0], uint16_t(b.size() - 2));
        return Drive::reply(c, b, alloc);
    }
    if (fam == Family::dvd && media_type == 0 && (format == 0x00 || format == 0x10)) {
        Bytes b(4 + 2048, 0);
        store_be16(&b[0], 2050);
        uint8_t book = 0;
        switch (m.medium) {
        case P::dvd_ram: book = 1; break;
        case P::dvd_r:
        case P::dvd_r_dl: book = 2; break;
        case P::dvd_rw: book = 3; break;
        case P::dvd_plus_rw: book = 9; break;
        case P::dvd_plus_r: book = 10; break;
        case P::dvd_plus_r_dl: book = 14; break;
        default: book = 0;
        }
        bool dl = m.medium == P::dvd_plus_r_dl || m.medium == P::dvd_r_dl;
        b[4] = uint8_t(book << 4 | 1);
        b[5] = 0x0F;  // 120 mm, maximum rate not specified
        b[6] = uint8_t((dl ? 1 : 0) << 5 | (mastering::media::is_writable(m.medium) ? 0x02 : 0x01) |
                       (mastering::media::profile_info(m.medium).erasable ? 0x04 : 0));
        store_be32(&b[8], 0x030000);
        store_be32(&b[12], 0x030000 + m.capacity - 1);
        store_be32(&b[16], dl ? 0x030000 + m.capacity / 2 - 1 : 0);
        return Drive::reply(c, b, alloc);
    }
    if (fam == Family::dvd && media_type == 0 && format == 0x01) {  // copyright: none
        Bytes b(8, 0);
        store_be16(&b[0], 6);
        return Drive::reply(c, b, alloc);
    }
    if (fam == Family::dvd && media_type == 0 && format == 0x20 && m.medium == P::dvd_plus_r_dl) {
        Bytes b(12, 0);  // layer boundary
        store_be16(&b[0], 10);
        store_be32(&b[8], m.capacity / 2);
        return Drive::reply(c, b, alloc);
    }
    if (fam == Family::bd && media_type == 1 && format == 0x00) {
        Bytes b(4 + 4096, 0);  // disc information units
        store_be16(&b[0], 4098);
        b[4] = 'D';
        b[5] = 'I';
        b[6] = 0x01;
        b[12] = 'B';
        b[13] = 'D';
        b[14] = m.medium == P::bd_re ? 'W' : m.medium == P::bd_r ? 'R' : 'O';
        return Drive::reply(c, b, alloc);
    }
    if (fam == Family::bd && media_type == 1 && format == 0x0A) {  // spare areas: none
        Bytes b(16, 0);
        store_be16(&b[0], 14);
        return Drive::reply(c, b, alloc);
    }
    return Drive::check(sense::invalid_field_in_cdb);
}

CommandReply Handlers::get_performance(Drive& d, Ctx& c) {
    uint8_t type = c.cdb[10];
    uint16_t max = load_be16(&c.cdb[8]);
    uint32_t end = d.m_disc ? d.model().capacity : 0;
    Bytes b(8, 0);
    if (type == 0x00) {
        if (max) {
            Bytes e(16, 0);
            store_be32(&e[4], 7056);
            store_be32(&e[8], end);
            store_be32(&e[12], 7056);
            b.insert(b.end(), e.begin(), e.end());
        }
    } else if (type == 0x03) {
        for (uint32_t kbs : {7056u, 1764u}) {
            if (b.size() >= 8 + size_t(max) * 16) break;
            Bytes e(16, 0);
            store_be32(&e[4], end);
            store_be32(&e[8], kbs);
            store_be32(&e[12], kbs);
            b.insert(b.end(), e.begin(), e.end());
        }
    } else {
        return Drive::check(sense::invalid_field_in_cdb);
    }
    store_be32(&b[0], uint32_t(b.size() - 4));
    return Drive::reply(c, b, 8 + size_t(max) * 16);
}

CommandReply Handlers::set_speed(Drive& d, Ctx& c) {
    if (c.cdb[0] == op::set_cd_speed) {
        d.m_read_speed = load_be16(&c.cdb[2]);
        d.m_write_speed = load_be16(&c.cdb[4]);
        return Drive::good();
    }
    // SET STREAMING: type 0 (performance descriptor, 28 bytes); accept and remember.
    if (c.cdb[8] != 0 && c.cdb[8] != 5) return Drive::check(sense::invalid_field_in_cdb);
    size_t len = load_be16(&c.cdb[9]);
    if (c.out.size() < len) return Drive::check(sense::parameter_list_length_error);
    if (c.cdb[8] == 0 && len >= 28) {
        const auto* p = reinterpret_cast<const uint8_t*>(c.out.data());
        uint32_t write_size = load_be32(&p[20]), write_ms = load_be32(&p[24]);
        if (write_ms) d.m_write_speed = uint16_t(std::min<uint64_t>(0xFFFF, uint64_t(write_size) * 1000 / write_ms));
    }
    return Drive::good();
}

CommandReply Handlers::report_key(Drive&, Ctx& c) {
    uint8_t format = c.cdb[10] & 0x3F;
    if (format != 0x08) return Drive::check(sense::invalid_field_in_cdb);
    Bytes b = {0, 6, 0, 0, 0x00, 0xFF, 0x01, 0};  // RPC state: no region set, all regions, RPC phase II
    return Drive::reply(c, b, load_be16(&c.cdb[8]));
}

}  // namespace emulator::mmc
