// libFuzzer: every UDF descriptor decoder (mastering/udf: volume_descriptors,
// file_descriptors, partition_tables, descriptors) over arbitrary bytes.
// Invariants: nothing crashes or reads out of bounds; whatever decodes
// encodes to bytes that decode again, and encoding that value once more
// gives the same bytes (a decoded value has one canonical encoding).
// Seeds: any block of a UDF image (scripts/fuzz-seeds.sh udf_descriptors).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "mastering/udf/file_descriptors.h"
#include "mastering/udf/partition_tables.h"
#include "mastering/udf/volume_descriptors.h"

using namespace mastering;
using namespace mastering::udf;

namespace {

template <typename T>
size_t size_of(const T& v) {
    if constexpr (requires { v.encoded_size(); }) return v.encoded_size();
    else if constexpr (std::is_same_v<T, VolumeStructureDescriptor>) return block_size;
    else return volume_descriptor_bytes;
}

template <typename T>
std::vector<std::byte> encoded(const T& v) {
    if constexpr (std::is_same_v<T, VirtualAllocationTable> || std::is_same_v<T, std::vector<PathComponent>>) {
        return encode(v);
    } else {
        std::vector<std::byte> out(size_of(v));
        encode(v, out.data());
        return out;
    }
}

// decode(bytes) -> Result<T>: the canonical form is reached in one step.
template <typename Decode>
void round_trip(codec::Bytes in, Decode decode) {
    auto first = decode(in);
    if (!first.ok()) return;
    auto b2 = encoded(*first);
    auto second = decode(codec::Bytes(b2));
    if (!second.ok()) __builtin_trap();
    auto b3 = encoded(*second);
    if (b2 != b3) __builtin_trap();
    if constexpr (requires { second->attributes; })
        for (const auto& a : second->attributes) (void)device_numbers(a);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    codec::Bytes in(reinterpret_cast<const std::byte*>(data), size);
    auto at = [](auto f) { return [f](codec::Bytes b) { return f(b, std::nullopt); }; };
    round_trip(in, [](codec::Bytes b) { return decode_volume_structure(b); });
    round_trip(in, at([](codec::Bytes b, auto l) { return decode_anchor(b, l); }));
    round_trip(in, at([](codec::Bytes b, auto l) { return decode_pointer(b, l); }));
    round_trip(in, at([](codec::Bytes b, auto l) { return decode_primary(b, l); }));
    round_trip(in, at([](codec::Bytes b, auto l) { return decode_implementation_use(b, l); }));
    round_trip(in, at([](codec::Bytes b, auto l) { return decode_partition(b, l); }));
    round_trip(in, at([](codec::Bytes b, auto l) { return decode_logical_volume(b, l); }));
    round_trip(in, at([](codec::Bytes b, auto l) { return decode_unallocated_space(b, l); }));
    round_trip(in, at([](codec::Bytes b, auto l) { return decode_terminating(b, l); }));
    round_trip(in, at([](codec::Bytes b, auto l) { return decode_integrity(b, l); }));
    round_trip(in, at([](codec::Bytes b, auto l) { return decode_file_set(b, l); }));
    round_trip(in, at([](codec::Bytes b, auto l) { return decode_file_identifier(b, l); }));
    round_trip(in, at([](codec::Bytes b, auto l) { return decode_allocation_extent(b, l); }));
    round_trip(in, at([](codec::Bytes b, auto l) { return decode_file_entry(b, l); }));
    round_trip(in, at([](codec::Bytes b, auto l) { return decode_extended_attributes(b, l); }));
    round_trip(in, at([](codec::Bytes b, auto l) { return decode_sparing_table(b, l); }));
    round_trip(in, [](codec::Bytes b) { return decode_vat(b, true); });
    round_trip(in, [](codec::Bytes b) { return decode_vat(b, false); });
    round_trip(in, [](codec::Bytes b) { return decode_path(b); });
    for (uint8_t form = 0; form < 5; ++form) (void)decode_ads(in, AdForm(form), 0);
    return 0;
}
