// dm-sparse-seed IMAGE OUT: an image as a sparse fuzz input (the "DMSP" form
// of tests/fuzz/reader_support.h): only its non-zero blocks, each without its
// trailing zeros. scripts/fuzz-seeds.sh uses it for the UDF seeds, whose
// structures sit at block 256 and at the end of a volume.
#include <cstdint>
#include <cstdio>
#include <vector>

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: dm-sparse-seed IMAGE OUT\n");
        return 1;
    }
    std::FILE* in = std::fopen(argv[1], "rb");
    std::FILE* out = in ? std::fopen(argv[2], "wb") : nullptr;
    if (!in || !out) {
        std::perror("dm-sparse-seed");
        return 1;
    }
    auto put32 = [&](uint32_t v) {
        for (int i = 0; i < 4; ++i) std::fputc(int((v >> (8 * i)) & 0xFF), out);
    };
    std::fseek(in, 0, SEEK_END);
    long size = std::ftell(in);
    std::fseek(in, 0, SEEK_SET);
    std::fwrite("DMSP", 1, 4, out);
    put32(uint32_t((size + 2047) / 2048));
    std::vector<unsigned char> b(2048);
    for (uint32_t lba = 0;; ++lba) {
        size_t n = std::fread(b.data(), 1, b.size(), in);
        if (n == 0) break;
        while (n > 0 && b[n - 1] == 0) --n;
        if (n == 0) continue;
        put32(lba);
        std::fputc(int(n & 0xFF), out);
        std::fputc(int(n >> 8), out);
        std::fwrite(b.data(), 1, n, out);
    }
    std::fclose(in);
    return std::fclose(out) == 0 ? 0 : 1;
}
