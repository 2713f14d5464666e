// libFuzzer: sense data decoding (initiator side parses what drives send).
#include <cstddef>
#include <cstdint>
#include <span>

#include "mastering/scsi/sense.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto r = mastering::scsi::decode_sense(std::span<const uint8_t>(data, size));
    if (r.ok()) {
        auto b = mastering::scsi::encode_fixed_sense(*r);
        auto again = mastering::scsi::decode_sense(b);
        if (!again.ok() || !(*again == *r)) __builtin_trap();
    }
    return 0;
}
