#!/bin/bash
# Side-by-side: master-image create against xorriso -as mkisofs -R -J,
# genisoimage -R -J and cat, on the same trees in one run (issue 2); and the
# UDF images (UDF 2.01, 2.50 with its metadata partition, the ISO 9660 /
# Joliet / UDF bridge) beside genisoimage -udf, its only peer here (issue 6).
#   bench/image-create.sh [BUILD_DIR] [WORK_DIR] [a|b|all]
# (a) 20,000 small files (100 B - 16 KiB in 200 leaf directories) + three 200 MB files
# (b) 1,000,000 empty files (1,000 directories of 1,000)
# Prints wall time, peak RSS and the ratios against master-image. The page
# cache is warmed first (the trees are read once), so that the figures compare
# the programs, not the disk.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
build=$(cd "${1:-build}" && pwd)
work=${2:-${TMPDIR:-/tmp}/dm-bench}
which=${3:-all}
mkdir -p "$work"
mi=$build/tools/master-image

make_a() {
  local d=$work/tree-a
  [ -f "$d/.complete" ] && return
  rm -rf "$d"; mkdir -p "$d"
  python3 - "$d" <<'PY'
import os, random, sys
root = sys.argv[1]; rnd = random.Random(1)
n = 0
for i in range(10):
    for j in range(20):
        leaf = os.path.join(root, f"d{i}", f"e{j}")
        os.makedirs(leaf, exist_ok=True)
        for k in range(100):
            size = rnd.randint(100, 16384)
            with open(os.path.join(leaf, f"f{k:03}.dat"), "wb") as f:
                f.write(rnd.randbytes(size))
            n += 1
for b in range(3):
    with open(os.path.join(root, f"big{b}.bin"), "wb") as f:
        for _ in range(200):
            f.write(os.urandom(1 << 20))
PY
  touch "$d/.complete"
}

make_b() {
  local d=$work/tree-b
  [ -f "$d/.complete" ] && return
  rm -rf "$d"; mkdir -p "$d"
  empty_tree "$d" 1000 1000
  touch "$d/.complete"
}

# measure NAME CMD...: wall seconds and peak RSS (KiB) of the command, median of 3.
measure() {
  local name=$1; shift
  local walls=() rss=0
  for run in 1 2 3; do
    rm -f "$work/out.iso" "$work/out.iso.partial"
    /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" >/dev/null 2>&1 || { echo "$name failed" >&2; }
    local t; t=$(tail -1 "$work/time.txt")
    walls+=("${t% *}"); local r=${t#* }; [ "$r" -gt "$rss" ] && rss=$r
  done
  local median; median=$(printf '%s\n' "${walls[@]}" | median)
  echo "$name $median $rss"
}

report() { "$(dirname "$0")/report.py" "$1" "$2" master-image; }

run_set() {
  local set=$1 dir=$work/tree-$1 files
  files=$(find "$dir" -type f | wc -l)
  find "$dir" -type f -print0 | xargs -0 cat >/dev/null  # warm the cache
  {
    measure "cat >/dev/null" sh -c "find '$dir' -type f -print0 | xargs -0 cat >/dev/null"
    measure "cat >file" sh -c "find '$dir' -type f -print0 | xargs -0 cat >'$work/out.iso'"
    measure "master-image" "$mi" create "$work/out.iso" --from "$dir"
    measure "master-image --no-dedup" "$mi" create "$work/out.iso" --from "$dir" --no-dedup
    measure "xorriso -as mkisofs -R -J" xorriso -as mkisofs -R -J -quiet -o "$work/out.iso" "$dir"
    measure "genisoimage -R -J" genisoimage -R -J -quiet -o "$work/out.iso" "$dir"
    measure "master-image udf 2.01" "$mi" create "$work/out.iso" --from "$dir" --fs udf --udf-revision 2.01
    measure "master-image udf 2.50" "$mi" create "$work/out.iso" --from "$dir" --fs udf --udf-revision 2.50
    measure "master-image bridge" "$mi" create "$work/out.iso" --from "$dir" --fs iso9660,rockridge,joliet,udf
    measure "genisoimage -R -J -udf" genisoimage -R -J -udf -quiet -o "$work/out.iso" "$dir"
  } | report "set ($set): $files files in $(du -sh --apparent-size "$dir" | cut -f1)" "$files"
}

case $which in
  a) make_a; run_set a;;
  b) make_b; run_set b;;
  all) make_a; run_set a; make_b; run_set b;;
esac
rm -f "$work/out.iso"
