#!/bin/bash
# The whole test suite (this is what .ci/run calls):
#  1. installs what is missing, builds Release with warnings as errors, runs every test
#     (unit tests, tests judged by third-party programs, the interop suite);
#  2. builds with clang + ASan + UBSan and runs the unit tests under it;
#  3. runs each libFuzzer target for FUZZ_SECONDS (default 30) seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
start=$SECONDS
step() { printf '\n=== %s (%ds)\n' "$*" $((SECONDS - start)); }

step "dependencies"
scripts/install-deps.sh

step "release build"
scripts/build.sh release
step "tests (release)"
ctest --test-dir build --output-on-failure -j "$(nproc)" --timeout 900

step "sanitizer + fuzzer build"
scripts/build.sh asan
step "unit tests under ASan + UBSan"
# Third-party-judged suites (ThirdParty*) and the interop suite ran in step 1.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$(nproc)" --timeout 900 -E '^ThirdParty' -LE interop

step "fuzzing, ${FUZZ_SECONDS}s per target"
scripts/fuzz.sh "$FUZZ_SECONDS"

step "all tests passed"
