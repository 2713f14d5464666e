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

# udf_reader: mkudffs volumes (plain, VAT, sparable), master-image UDF of
# every revision, a bridge, and an appended session.
# Made afresh each time: the conversion below renames what it converts, and
# a second run would convert the first run's sparse files again.
d=$out/udf_reader; rm -rf "$d"; mkdir -p "$d"
if command -v mkudffs >/dev/null; then
  for spec in "hd 2.01" "cdr 1.50" "bdr 2.50" "cdrw 1.50" "dvdrw 2.01"; do
    set -- $spec
    truncate -s 16M "$d/mkudffs-$1-$2.udf"
    mkudffs --media-type="$1" --udfrev="$2" -b 2048 "$d/mkudffs-$1-$2.udf" >/dev/null 2>&1 || rm -f "$d/mkudffs-$1-$2.udf"
  done
fi
if [ -x "$build/tools/master-image" ]; then
  for rev in 1.02 1.50 2.01 2.50; do
    "$build/tools/master-image" create "$d/master-image-udf-$rev.udf" --from "$tmp/t" --fs udf --udf-revision $rev >/dev/null
  done
  "$build/tools/master-image" create "$tmp/b.iso" --from "$tmp/t" --fs iso9660,joliet,udf >/dev/null
  "$build/tools/master-image" append "$tmp/b.iso" --from "$tmp/t2" >/dev/null
  cp "$tmp/b.iso" "$d/master-image-bridge-2-sessions.iso"
fi
# As sparse inputs: the UDF structures lie beyond the fuzzer's input size limit.
if [ -x "$build/tests/dm-sparse-seed" ]; then
  for f in "$d"/*; do "$build/tests/dm-sparse-seed" "$f" "$f.dmsp" && rm -f "$f"; done
fi

# iscsi_pdu: one byte of digest flags, then Login Requests as an initiator
# sends them: security stage offering CHAP and None, then operational keys.
d=$out/iscsi_pdu; mkdir -p "$d"
login_pdu() {  # login_pdu FLAGS TEXT: a Login Request BHS + TEXT (NUL-separated), padded
  local flags=$1 text=$2 len pad
  len=$(printf "$text" | wc -c); pad=$(( (4 - len % 4) % 4 ))
  printf "\\x43\\x$flags\\x00\\x00\\x00\\x$(printf %02x $((len >> 16 & 255)))\\x$(printf %02x $((len >> 8 & 255)))\\x$(printf %02x $((len & 255)))"
  printf '\x40\x00\x01\x37\x00\x01\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00'
  printf '\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'
  printf "$text"; head -c "$pad" /dev/zero
}
sec='InitiatorName=iqn.2026-11.org.example:seed\0SessionType=Normal\0TargetName=iqn.2026-11.org.discmaster:rom\0AuthMethod=CHAP,None\0'
op='HeaderDigest=CRC32C,None\0DataDigest=None\0MaxRecvDataSegmentLength=65536\0MaxBurstLength=262144\0FirstBurstLength=65536\0InitialR2T=No\0ImmediateData=Yes\0ErrorRecoveryLevel=0\0'
chap='InitiatorName=iqn.2026-11.org.example:seed\0SessionType=Normal\0TargetName=iqn.2026-11.org.discmaster:dvd\0AuthMethod=CHAP\0'
disc='InitiatorName=iqn.2026-11.org.example:seed\0SessionType=Discovery\0AuthMethod=None\0'
{ printf '\x00'; login_pdu 81 "$sec"; login_pdu 87 "$op"; } >"$d/login-normal"
{ printf '\x00'; login_pdu 01 "$chap"; login_pdu 00 'CHAP_A=5\0'; login_pdu 81 'CHAP_N=alice\0CHAP_R=0x00112233445566778899aabbccddeeff\0'; } >"$d/login-chap"
{ printf '\x00'; login_pdu 87 "$disc"; } >"$d/login-discovery"
