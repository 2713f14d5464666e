#!/bin/bash
# Run every libFuzzer target of build-asan/ for SECONDS (default 30) each, two at
# a time, from its seed corpus (scripts/fuzz-seeds.sh makes them by a recipe). A crash or
# leak fails the run and leaves the reproducer in build-asan/fuzz-artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
art=build-asan/fuzz-artifacts
mkdir -p "$art"
# Seeds made by a recipe with the release build's tools (if built).
seeds_root=build-asan/fuzz-seeds
scripts/fuzz-seeds.sh build "$seeds_root" >/dev/null 2>&1 || true
targets=(build-asan/tests/fuzz_*)
[ -e "${targets[0]}" ] || { echo "no fuzz targets built (scripts/build.sh asan)" >&2; exit 1; }
run_one() {
  local bin=$1 name; name=$(basename "$1")
  local work=build-asan/fuzz-corpus/$name; mkdir -p "$work"
  local seeds=$seeds_root/${name#fuzz_}
  local dirs=("$work"); [ -d "$seeds" ] && dirs+=("$seeds")
  if ASAN_OPTIONS=detect_leaks=1 "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=262144 \
       -artifact_prefix="$art/$name-" -print_final_stats=1 "${dirs[@]}" >"$work.log" 2>&1; then
    echo "$name: ok ($(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work.log" | grep -o '[0-9]*$') runs)"
  else
    echo "$name: FAILED"; tail -40 "$work.log"; return 1
  fi
}
export -f run_one; export secs art seeds_root
printf '%s\n' "${targets[@]}" | xargs -P 2 -I{} bash -c 'run_one {}'
