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
# Bootable images (docs/boot.md): El Torito catalogs with a BIOS and an EFI
# entry, a floppy-emulated image, and a hybrid system area (MBR, GPT; as a
# sparse input, its padding lies beyond the input size limit).
if [ -x "$build/tools/master-image" ] && [ -f /usr/lib/ISOLINUX/isolinux.bin ]; then
  mkdir -p "$tmp/boot/isolinux"; cp /usr/lib/ISOLINUX/isolinux.bin "$tmp/boot/isolinux/"
  head -c 65536 /dev/zero >"$tmp/boot/efi.img"; head -c 1474560 /dev/zero >"$tmp/floppy.img"
  "$build/tools/master-image" create "$d/master-image-eltorito.iso" --from "$tmp/boot" -b isolinux/isolinux.bin \
    --no-emul-boot --boot-load-size 4 --boot-info-table --eltorito-alt-boot -e efi.img --no-emul-boot >/dev/null
  "$build/tools/master-image" create "$tmp/hybrid.iso" --from "$tmp/boot" --isohybrid-mbr /usr/lib/ISOLINUX/isohdpfx.bin \
    -b isolinux/isolinux.bin --no-emul-boot --boot-info-table --eltorito-alt-boot -e efi.img --no-emul-boot \
    --isohybrid-gpt-basdat --eltorito-alt-boot -b "$tmp/floppy.img" >/dev/null
  [ -x "$build/tests/dm-sparse-seed" ] && "$build/tests/dm-sparse-seed" "$tmp/hybrid.iso" "$d/master-image-hybrid.dmsp"
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
# udf_descriptors: every block of those volumes that starts with a sound
# descriptor tag (ECMA-167 3/7.2: the checksum over bytes 0-3 and 5-15), one
# file each, and a VAT's block (which has none).
e=$out/udf_descriptors; rm -rf "$e"; mkdir -p "$e"
python3 - "$d" "$e" <<'PY' || true
import os, sys
src, dst = sys.argv[1], sys.argv[2]
for name in sorted(os.listdir(src)):
    data = open(os.path.join(src, name), "rb").read()
    seen = set()
    for lba in range(len(data) // 2048):
        b = data[lba * 2048:(lba + 1) * 2048]
        if b[:2] == b"\0\0" and b[1:6] not in (b"BEA01", b"NSR02", b"NSR03", b"TEA01") and b"*UDF Sparing" not in b[:64]:
            continue
        if b[:2] != b"\0\0" and (sum(b[:4]) + sum(b[5:16])) % 256 != b[4]:
            continue
        if b in seen:
            continue
        seen.add(b)
        open(os.path.join(dst, "%s-%d" % (name, lba)), "wb").write(b)
PY
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
# The full feature phase (RFC 7143 layouts, as in tests/emulator/iscsi_pdu_test.cpp):
# a SCSI Command with an Extended CDB AHS, a Data-Out, a NOP-Out with data, a
# Text Request, an ABORT TASK and a Logout; and (first byte 0x04) what a target
# sends: Data-In with status, SCSI Response with sense, R2T, Reject.
hexbytes() { printf "$(printf '%s' "$1" | tr -d ' ' | sed 's/../\\x&/g')"; }
{ printf '\x00'
  hexbytes '01a10000 02000000 00000000 00000000 0000000a 00001000 00000007 00000003 2a000000 00100000 02000000 00000000'
  hexbytes '00050100 10111213'
  hexbytes '05800000 00000004 00000000 00000000 0000000a 00000003 00000000 00000012 00000000 00000001 00000000 00000000 deadbeef'
  hexbytes '40800000 00000002 00000000 00000000 00000040 ffffffff 0000000c 00000015 00000000 00000000 00000000 00000000 09090000'
  hexbytes '04800000 00000010 00000000 00000000 00000030 ffffffff 0000000a 00000013 00000000 00000000 00000000 00000000 53656e64546172676574733d416c6c00'
  hexbytes '42810000 00000000 00000000 00000000 00000020 0000000b 00000009 00000012 00000008 00000000 00000000 00000000'
  hexbytes '46800000 00000000 00000000 00000000 00000031 00010000 0000000b 00000014 00000000 00000000 00000000 00000000'
} >"$d/full-feature"
{ printf '\x04'
  hexbytes '25830000 00000008 00000000 00000000 0000000a ffffffff 00000011 00000008 00000047 00000002 00000800 00000010 01020304 05060708'
  hexbytes '21820002 00000014 00000000 00000000 0000000a 00000000 00000011 00000008 00000047 00000000 00000000 00001000 0012 70000500 0000000a 00000000 24000000 0000'
  hexbytes '31800000 00000000 00000000 00000000 0000000b 00000003 00000011 00000008 00000047 00000001 00040000 00040000'
  hexbytes '3f800400 00000030 00000000 00000000 ffffffff 00000000 00000015 0000000d 0000004c 00000000 00000000 00000000'
  hexbytes '40800000 00000002 00000000 00000000 00000040 ffffffff 0000000c 00000015 00000000 00000000 00000000 00000000'
} >"$d/target-pdus"
