#!/bin/bash
# Seed corpora for the fuzz targets, made by a recipe (nothing binary is kept
# in the repository): scripts/fuzz-seeds.sh BUILD_DIR OUT_DIR
set -euo pipefail
build=${1:?usage: fuzz-seeds.sh BUILD_DIR OUT_DIR}
out=${2:?usage: fuzz-seeds.sh BUILD_DIR OUT_DIR}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# iso9660_reader: small images with every view (ISO 9660, Rock Ridge, Joliet),
# deep directories (relocation), symlinks, hard links, several sessions.
d=$out/iso9660_reader; mkdir -p "$d" "$tmp/t/a/b/c/d/e/f/g/h/i" "$tmp/t2"
echo hi >"$tmp/t/a/b/c/d/e/f/g/h/i/deep.txt"; echo x >"$tmp/t/x.txt"; ln -sf x.txt "$tmp/t/link"
ln -f "$tmp/t/x.txt" "$tmp/t/hard"; echo y >"$tmp/t2/y.txt"
if command -v genisoimage >/dev/null; then
  genisoimage -quiet -R -J -o "$d/genisoimage-rr-joliet.iso" "$tmp/t" 2>/dev/null || true
  genisoimage -quiet -o "$d/genisoimage-plain.iso" "$tmp/t2" 2>/dev/null || true
fi
if [ -x "$build/tools/master-image" ]; then
  "$build/tools/master-image" create "$tmp/m.iso" --from "$tmp/t" >/dev/null
  "$build/tools/master-image" append "$tmp/m.iso" --from "$tmp/t2" >/dev/null
  cp "$tmp/m.iso" "$d/master-image-2-sessions.iso"
  "$build/tools/master-image" create "$d/master-image-level1.iso" --from "$tmp/t2" --iso-level 1 --fs iso9660 >/dev/null
fi
