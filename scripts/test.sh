#!/bin/bash
# The whole test suite (this is what .ci/run calls):
#  1. installs what is missing, builds Release with warnings as errors, runs every test
#     (unit tests, tests judged by third-party programs, and the interop suite: real
#     burning programs in a QEMU guest, which runs in the background meanwhile);
#  2. builds with clang + ASan + UBSan and runs the unit tests under it;
#  3. runs each libFuzzer target for FUZZ_SECONDS (default 30) seconds;
#  4. with --package: builds, lints, installs and purges the Debian packages
#     (scripts/package-test.sh; minutes, so not by default).
set -euo pipefail
cd "$(dirname "$0")/.."
package=0
case ${1:-} in
  --package) package=1 ;;
  "") ;;
  *) echo "usage: $0 [--package]" >&2; exit 2 ;;
esac
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
start=$SECONDS
step() { printf '\n=== %s (%ds)\n' "$*" $((SECONDS - start)); }

step "dependencies"
scripts/install-deps.sh

step "release build"
scripts/build.sh release

# The interop guests mostly wait (burns, tray reloads, TCG): they run beside the
# rest of the suite and are collected at the end; the firmware boots
# (tests/boot, label boot) run in the same queue.
step "interop suite and firmware boots started in the background (log: build/interop.log)"
# In its own process group, so that an early exit stops the guest and the drive too.
setsid ctest --test-dir build --verbose --timeout 1000 -L 'interop|boot' >build/interop.log 2>&1 &
interop=$!
trap 'kill -- -$interop 2>/dev/null || true' EXIT

step "tests (release)"
ctest --test-dir build --output-on-failure -j "$(nproc)" --timeout 900 -LE 'interop|boot'

step "sanitizer + fuzzer build"
scripts/build.sh asan
step "unit tests under ASan + UBSan"
# Third-party-judged suites (ThirdParty*) and the interop suite ran on the release build.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$(nproc)" --timeout 900 -E '^ThirdParty' -LE interop

step "fuzzing, ${FUZZ_SECONDS}s per target"
scripts/fuzz.sh "$FUZZ_SECONDS"

step "interop suite"
interop_status=0
wait $interop || interop_status=$?
trap - EXIT
cat build/interop.log
[ -f build/interop/interop.md ] && cat build/interop/interop.md
[ $interop_status = 0 ] || { echo "interop suite failed" >&2; exit 1; }

if [ $package = 1 ]; then
  step "Debian packages (scripts/package-test.sh)"
  scripts/package-test.sh
fi

step "all tests passed"
