#!/bin/bash
# Configure and build one of the project's build trees.
#   scripts/build.sh release   -> build/        (GCC, Release, warnings as errors)
#   scripts/build.sh asan      -> build-asan/   (clang, ASan + UBSan + libFuzzer targets)
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-release}
jobs=${DM_JOBS:-$(nproc)}
# A developer's ccache, when installed, is used (not needed, not in CI's packages).
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
case $kind in
  release)
    cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DDM_WERROR=ON "${launcher[@]}" >/dev/null
    cmake --build build -j "$jobs";;
  asan)
    CC=clang CXX=clang++ cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DDM_WERROR=ON -DDM_SANITIZE=ON -DDM_FUZZ=ON -DDM_BENCH=OFF "${launcher[@]}" >/dev/null
    cmake --build build-asan -j "$jobs";;
  *) echo "usage: $0 release|asan" >&2; exit 2;;
esac
