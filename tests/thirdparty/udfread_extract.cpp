// dm-udfread: a third-party UDF reader for the tests, built on libudfread
// (VideoLAN's, Debian libudfread-dev). It never uses our code.
//
//   dm-udfread extract IMAGE OUTDIR   directories and regular files into OUTDIR
//                                     (zero blocks become holes; names beyond
//                                     the BMP mended, see join_surrogates); other
//                                     entries are listed on stdout as "other PATH"
//   dm-udfread lba IMAGE PATH         the first block of PATH on the medium
//   dm-udfread volume IMAGE           the volume identifier
//
// Exit status 0 on success, 1 on any error (message on stderr).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include <udfread/udfread.h>
}

namespace {

bool all_zero(const char* p, size_t n) {
    for (size_t i = 0; i < n; ++i)
        if (p[i]) return false;
    return true;
}

// libudfread 1.1.2 turns a UTF-16 surrogate pair (a character beyond the
// BMP, as Windows and Linux record it) into two 3-byte sequences (CESU-8):
// join them, so that extracted names are the UTF-8 a POSIX system uses.
std::string join_surrogates(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size();) {
        auto u = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
        if (i + 5 < s.size() && u(i) == 0xED && (u(i + 1) & 0xF0) == 0xA0 && u(i + 3) == 0xED && (u(i + 4) & 0xF0) == 0xB0) {
            unsigned hi = 0xD000 | ((u(i + 1) & 0x3F) << 6) | (u(i + 2) & 0x3F);
            unsigned lo = 0xD000 | ((u(i + 4) & 0x3F) << 6) | (u(i + 5) & 0x3F);
            unsigned c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
            out += char(0xF0 | (c >> 18));
            out += char(0x80 | ((c >> 12) & 0x3F));
            out += char(0x80 | ((c >> 6) & 0x3F));
            out += char(0x80 | (c & 0x3F));
            i += 6;
        } else {
            out += s[i++];
        }
    }
    return out;
}

bool extract_file(udfread* udf, const std::string& path, const std::string& out) {
    UDFFILE* f = udfread_file_open(udf, path.c_str());
    if (!f) {
        std::fprintf(stderr, "dm-udfread: cannot open %s\n", path.c_str());
        return false;
    }
    int64_t size = udfread_file_size(f);
    int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || size < 0) {
        std::fprintf(stderr, "dm-udfread: cannot create %s\n", out.c_str());
        udfread_file_close(f);
        return false;
    }
    std::vector<char> buf(1 << 20);
    int64_t done = 0;
    bool ok = true;
    while (done < size) {
        ssize_t n = udfread_file_read(f, buf.data(), buf.size());
        if (n <= 0) {
            std::fprintf(stderr, "dm-udfread: read error in %s at %lld of %lld\n", path.c_str(),
                         static_cast<long long>(done), static_cast<long long>(size));
            ok = false;
            break;
        }
        if (!all_zero(buf.data(), size_t(n)) && ::pwrite(fd, buf.data(), size_t(n), done) != n) {
            ok = false;
            break;
        }
        done += n;
    }
    if (ok && ::ftruncate(fd, size) != 0) ok = false;
    ::close(fd);
    udfread_file_close(f);
    return ok;
}

bool extract_dir(udfread* udf, const std::string& path, const std::string& out) {
    UDFDIR* d = udfread_opendir(udf, path.empty() ? "/" : path.c_str());
    if (!d) {
        std::fprintf(stderr, "dm-udfread: cannot open directory %s\n", path.empty() ? "/" : path.c_str());
        return false;
    }
    bool ok = true;
    udfread_dirent ent;
    while (ok && udfread_readdir(d, &ent)) {
        std::string name = ent.d_name;
        if (name == "." || name == "..") continue;
        std::string p = path + "/" + name, o = out + "/" + join_surrogates(name);
        if (ent.d_type == UDF_DT_DIR) {
            if (::mkdir(o.c_str(), 0755) != 0) ok = false;
            else ok = extract_dir(udf, p, o);
        } else if (ent.d_type == UDF_DT_REG) {
            ok = extract_file(udf, p, o);
        } else {
            std::printf("other %s\n", p.c_str() + 1);
        }
    }
    udfread_closedir(d);
    return ok;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: dm-udfread extract IMAGE OUTDIR | lba IMAGE PATH | volume IMAGE\n");
        return 1;
    }
    std::string cmd = argv[1];
    udfread* udf = udfread_init();
    if (!udf || udfread_open(udf, argv[2]) < 0) {
        std::fprintf(stderr, "dm-udfread: %s: not a UDF volume libudfread can open\n", argv[2]);
        if (udf) udfread_close(udf);
        return 1;
    }
    bool ok = false;
    if (cmd == "extract" && argc == 4) {
        ::mkdir(argv[3], 0755);
        ok = extract_dir(udf, "", argv[3]);
    } else if (cmd == "lba" && argc == 4) {
        UDFFILE* f = udfread_file_open(udf, argv[3]);
        if (f) {
            std::printf("%u\n", udfread_file_lba(f, 0));
            udfread_file_close(f);
            ok = true;
        } else {
            std::fprintf(stderr, "dm-udfread: no %s\n", argv[3]);
        }
    } else if (cmd == "volume") {
        const char* v = udfread_get_volume_id(udf);
        std::printf("%s\n", v ? v : "");
        ok = v != nullptr;
    } else {
        std::fprintf(stderr, "dm-udfread: unknown command %s\n", cmd.c_str());
    }
    udfread_close(udf);
    return ok ? 0 : 1;
}
