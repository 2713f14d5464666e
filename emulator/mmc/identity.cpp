#include "emulator/mmc/identity.h"

#include <cstdio>
#include <filesystem>

#include "mastering/codec/bytes.h"

namespace emulator::mmc {

namespace {

// FNV-1a, 64 bits: stable across builds and machines (std::hash is not).
uint64_t fnv1a(std::string_view text, uint64_t h = 1469598103934665603ull) {
    for (char c : text) h = (h ^ uint8_t(c)) * 1099511628211ull;
    return h;
}

// A designator descriptor header (SPC-4 7.8.6.1): association 0 (the
// logical unit), no protocol identifier.
void add_designator(mastering::scsi::Bytes& page, uint8_t code_set, uint8_t type, const uint8_t* value, size_t length) {
    page.insert(page.end(), {code_set, type, 0x00, uint8_t(length)});
    page.insert(page.end(), value, value + length);
}

}  // namespace

DriveIdentity DriveIdentity::derive(std::string_view name, const std::string& disc_path) {
    std::string where;
    if (!disc_path.empty()) {
        std::error_code ec;
        auto absolute = std::filesystem::weakly_canonical(std::filesystem::absolute(disc_path, ec), ec);
        where = ec ? disc_path : absolute.string();
    }
    uint64_t h = fnv1a(where, fnv1a(std::string(name) + '\0'));
    DriveIdentity id;
    char serial[17];
    std::snprintf(serial, sizeof serial, "DM%014llX", (unsigned long long)(h >> 8));
    id.serial = serial;
    id.naa = (uint64_t(3) << 60) | (h & 0x0FFFFFFFFFFFFFFFull);
    return id;
}

mastering::scsi::Bytes unit_serial_number_page(const DriveIdentity& id) {
    mastering::scsi::Bytes b = {0x05, 0x80, 0x00, uint8_t(id.serial.size())};
    b.insert(b.end(), id.serial.begin(), id.serial.end());
    return b;
}

mastering::scsi::Bytes device_identification_page(const DriveIdentity& id, const std::string& vendor,
                                                  const std::string& product) {
    mastering::scsi::Bytes b = {0x05, 0x83, 0x00, 0x00};
    // T10 vendor ID based (type 1, ASCII): the 8-byte T10 vendor
    // identification, then a vendor specific identifier.
    std::string t10 = vendor;
    t10.resize(8, ' ');
    t10 += product + " " + id.serial;
    add_designator(b, 0x02, 0x01, reinterpret_cast<const uint8_t*>(t10.data()), t10.size());
    // NAA (type 3, binary): 8 bytes for NAA 3.
    uint8_t naa[8];
    mastering::codec::store_be64(naa, id.naa);
    add_designator(b, 0x01, 0x03, naa, sizeof naa);
    mastering::codec::store_be16(&b[2], uint16_t(b.size() - 4));
    return b;
}

}  // namespace emulator::mmc
