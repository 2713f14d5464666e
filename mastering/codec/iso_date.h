// ECMA-119 dates: the 7-byte form of directory records (9.1.5) and the
// 17-byte text form of volume descriptors (8.4.26.1). Offsets are in 15-minute
// units from GMT. We always write GMT (offset 0).
#pragma once

#include <cstdint>
#include <span>

#include "mastering/codec/bytes.h"

namespace mastering::codec {

// Proleptic Gregorian calendar in UTC (shared with UDF timestamps).
struct Civil {
    int year;
    unsigned month, day, hour, minute, second;
};
Civil to_civil(int64_t unix_seconds);
int64_t days_from_civil(int y, unsigned m, unsigned d);

// Seconds since the epoch <-> 7-byte recording date and time.
void encode_date7(int64_t unix_seconds, std::byte* out);
// nullopt-like: all-zero dates decode to 0.
int64_t decode_date7(const std::byte* in);

// Seconds since the epoch <-> 17-byte "YYYYMMDDHHMMSScc" + offset; 0 encodes
// the "not specified" form (all '0' digits and offset 0).
void encode_date17(int64_t unix_seconds, std::byte* out);
int64_t decode_date17(const std::byte* in);

}  // namespace mastering::codec
