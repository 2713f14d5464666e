// libFuzzer: random CDBs and data-out to the drive model over a small medium
// of any recordable profile. No crash, no hang, and after every command the
// medium obeys its profile's rules (tracks in order, inside the capacity, ...).
// Input: [profile index][records...], record = [cdb length][cdb][out length (2)][out bytes].
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "emulator/mmc/drive.h"

using namespace emulator;
using mastering::media::Profile;

namespace {

constexpr Profile k_profiles[] = {Profile::cd_r, Profile::cd_rw, Profile::dvd_r, Profile::dvd_rw, Profile::dvd_plus_r,
                                  Profile::dvd_plus_r_dl, Profile::dvd_plus_rw, Profile::dvd_ram, Profile::bd_r,
                                  Profile::bd_re};
constexpr uint32_t k_capacity = 20000;

struct Rig {
    std::string dir;
    std::map<Profile, std::unique_ptr<media::VirtualDisc>> discs;
    Rig() {
        char tmpl[] = "/tmp/mmcfuzz.XXXXXX";
        dir = ::mkdtemp(tmpl);
        for (Profile p : k_profiles) {
            auto d = media::VirtualDisc::create_blank(dir + "/" + std::to_string(int(p)) + ".vdisc", p, k_capacity);
            if (!d.ok()) std::abort();
            (*d)->set_durable(false);
            discs[p] = std::move(*d);
        }
    }
    ~Rig() { std::filesystem::remove_all(dir); }
};

Rig& rig() {
    static Rig r;
    return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    Profile p = k_profiles[data[0] % std::size(k_profiles)];
    auto& disc = rig().discs[p];
    disc->model() = media::blank_disc(p, k_capacity);
    (void)disc->discard_data();
    mmc::Drive drive;
    drive.set_tracing(false);
    drive.nexus_opened(1);
    if (!drive.insert(std::move(disc)).ok()) std::abort();
    std::vector<std::byte> in(256 * 1024);
    size_t pos = 1;
    for (int n = 0; n < 64 && pos < size; ++n) {
        size_t cdb_len = data[pos++] % 17;
        if (pos + cdb_len > size) break;
        std::span<const uint8_t> cdb(data + pos, cdb_len);
        pos += cdb_len;
        size_t out_len = 0;
        if (pos + 2 <= size) {
            out_len = (size_t(data[pos]) << 8 | data[pos + 1]) % (64 * 1024);
            pos += 2;
        }
        out_len = std::min(out_len, size - pos);
        std::span<const std::byte> out(reinterpret_cast<const std::byte*>(data + pos), out_len);
        pos += out_len;
        auto r = drive.execute(1, cdb, out, in);
        if (r.data_in_length > in.size()) std::abort();
        std::string broken = drive.check_medium_invariants();
        if (!broken.empty()) {
            std::fprintf(stderr, "invariant broken: %s\n", broken.c_str());
            std::abort();
        }
    }
    auto back = drive.eject(true);
    if (!back.ok() || !*back) {
        // A fault cannot be planned from CDBs; the medium is always still there.
        std::abort();
    }
    disc = std::move(*back);
    return 0;
}
