#!/bin/bash
# Side-by-side: master-mount against fuseiso (the FUSE ISO reader Debian
# ships) and against reading the image file directly, on the same images in
# one run (issue 7).
#   bench/mount-read.sh [BUILD_DIR] [WORK_DIR]
# (1) sequential read of a 1 GiB file (cat FILE >/dev/null) from a fresh
#     mount: the image is in the page cache, the mount's own cache is empty;
#     "direct" reads the file's bytes from the image with dd in 128 KiB
#     reads, the buffer cat uses on the mount. Then the same
#     read again through the same mount (master-mount keeps its page cache).
# (2) find + stat over 100,000 entries (find -printf '%s %m' stats every
#     entry) from a fresh mount; "direct" is isoinfo -l -R over the same
#     image (every directory record, no kernel in between). The peak RSS of
#     the file system process during the walk (/usr/bin/time, in the
#     foreground) beside it.
# Median of 3 runs each; prints the ratios. Needs /dev/fuse, fuseiso, isoinfo.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
build=$(cd "${1:-build}" && pwd)
work=${2:-${TMPDIR:-/tmp}/dm-bench-mount}
mkdir -p "$work"
mm=$build/tools/master-mount
mi=$build/tools/master-image
for p in fuseiso isoinfo fusermount3; do command -v $p >/dev/null || { echo "mount-read: $p is missing" >&2; exit 2; }; done

if [ ! -f "$work/big.iso" ]; then
  mkdir -p "$work/big"
  head -c $((1 << 30)) /dev/urandom >"$work/big/big.bin"
  "$mi" create "$work/big.iso" --from "$work/big" >/dev/null
  rm -rf "$work/big"
fi
if [ ! -f "$work/tree.iso" ]; then
  mkdir -p "$work/tree"
  empty_tree "$work/tree" 100 1000
  "$mi" create "$work/tree.iso" --from "$work/tree" >/dev/null
  rm -rf "$work/tree"
fi
cat "$work/big.iso" "$work/tree.iso" >/dev/null  # warm the page cache

mnt=$work/mnt
mkdir -p "$mnt"
mounted() { [ "$(stat -c %d "$mnt")" != "$(stat -c %d "$work")" ]; }
server=
mount_with() {  # mount_with master-mount|fuseiso IMAGE [RSS_FILE]: with RSS_FILE, in the foreground under time
  local fg=() timed=()
  [ -n "${3:-}" ] && { fg=(-f); timed=(/usr/bin/time -f %M -o "$3"); }
  case $1 in
    master-mount) "${timed[@]}" "$mm" "$2" "$mnt" --fs rockridge "${fg[@]}" >/dev/null & server=$!;;
    fuseiso) "${timed[@]}" fuseiso "$2" "$mnt" "${fg[@]}" >/dev/null & server=$!;;
  esac
  [ -n "${3:-}" ] || { wait $server; server=; }
  for _ in $(seq 100); do mounted && return 0; sleep 0.05; done
  echo "mount-read: $1 did not mount $2" >&2; exit 1
}
umount_it() {
  fusermount3 -u "$mnt"
  [ -z "$server" ] || { wait $server || true; server=; }
  for _ in $(seq 100); do mounted || return 0; sleep 0.05; done
}
# seconds CMD...: wall time of one run
seconds() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); echo "$e - $s" | bc; }

# (1) read a 1 GiB file
lba=$(isoinfo -l -R -i "$work/big.iso" | awk '/ big.bin *$/ {gsub(/\[|\]/, "", $0); for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/ && $(i+1) ~ /^[0-9]+$/ && $(i+2) == "big.bin") {print $i; exit}}')
[ -n "$lba" ] || lba=$(isoinfo -l -R -i "$work/big.iso" | sed -n 's/.*\[ *\([0-9]*\) .*big.bin *$/\1/p')
size=$((1 << 30))
read_file() {  # read_file TOOL [again]: the first read of a fresh mount, or the second one
  local t=()
  for run in 1 2 3; do
    mount_with "$1" "$work/big.iso"
    if [ -n "${2:-}" ]; then cat "$mnt/big.bin" >/dev/null; fi
    t+=("$(seconds cat "$mnt/big.bin")")
    umount_it
  done
  printf '%s\n' "${t[@]}" | median
}
direct_read() {
  local t=()
  for run in 1 2 3; do
    t+=("$(seconds dd if="$work/big.iso" of=/dev/null bs=128K iflag=skip_bytes,count_bytes skip=$((lba * 2048)) count=$size status=none)")
  done
  printf '%s\n' "${t[@]}" | median
}
ours=$(read_file master-mount); theirs=$(read_file fuseiso); direct=$(direct_read)
ours2=$(read_file master-mount again); theirs2=$(read_file fuseiso again)

# (2) find + stat over 100,000 entries
walk() {  # walk TOOL: the median seconds, then the largest peak RSS (KiB)
  local t=() rss=0
  for run in 1 2 3; do
    mount_with "$1" "$work/tree.iso" "$work/rss.txt"
    t+=("$(seconds find "$mnt" -printf '%s %m\n')")
    umount_it
    local r; r=$(tail -1 "$work/rss.txt"); [ "$r" -gt "$rss" ] && rss=$r
  done
  echo "$(printf '%s\n' "${t[@]}" | median) $rss"
}
direct_walk() {
  local t=()
  for run in 1 2 3; do t+=("$(seconds isoinfo -l -R -i "$work/tree.iso")"); done
  printf '%s\n' "${t[@]}" | median
}
w=$(walk master-mount); w_ours=${w% *}; rss_ours=${w#* }
w=$(walk fuseiso); w_theirs=${w% *}; rss_theirs=${w#* }
w_direct=$(direct_walk)
entries=$(mount_with master-mount "$work/tree.iso"; find "$mnt" | wc -l; umount_it)

python3 - "$ours" "$theirs" "$direct" "$w_ours" "$w_theirs" "$w_direct" "$entries" "$ours2" "$theirs2" \
  "$rss_ours" "$rss_theirs" <<'PY'
import sys
o, t, d, wo, wt, wd, n, o2, t2, ro, rt = map(float, sys.argv[1:12])
mb = 1024.0
print("read a 1 GiB file (cat), fresh mount, image in the page cache")
print(f"  master-mount   {o:7.2f} s  {mb / o:8.0f} MB/s")
print(f"  fuseiso        {t:7.2f} s  {mb / t:8.0f} MB/s   master-mount: {t / o:.2f}x fuseiso's throughput (goal >= 2)")
print(f"  direct (dd 128K){d:7.2f} s  {mb / d:8.0f} MB/s   master-mount: {d / o:.2f}x direct throughput (goal >= 0.8)")
print("read it again through the same mount (the mount's page cache)")
print(f"  master-mount   {o2:7.2f} s  {mb / o2:8.0f} MB/s   {d / o2:.2f}x direct throughput")
print(f"  fuseiso        {t2:7.2f} s  {mb / t2:8.0f} MB/s   master-mount: {t2 / o2:.2f}x fuseiso's throughput")
print(f"find + stat over {int(n)} entries, fresh mount")
print(f"  master-mount   {wo:7.2f} s   peak RSS {ro / 1024:6.1f} MiB")
print(f"  fuseiso        {wt:7.2f} s   peak RSS {rt / 1024:6.1f} MiB   master-mount: {wt / wo:.2f}x as fast as fuseiso (goal >= 2)")
print(f"  isoinfo -l -R  {wd:7.2f} s   master-mount: {wd / wo:.2f}x the speed of reading the records directly")
PY
