#!/bin/bash
# The main job: install what is missing, build, then the whole chain on one
# machine: master a multisession image, serve a blank DVD+R on a virtual
# recorder over iSCSI (master-drive), burn three sessions onto it over the
# network (master-burn, the last one verified), show its sessions (master-info,
# and xorriso reading the same drive's disc), and print the drive's status.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release >/dev/null
bin=$PWD/build/tools
work=$(mktemp -d /tmp/discmaster-demo.XXXXXX)
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# Three batches of files: the second changes one file, the third removes one.
mkdir -p "$work/day1/docs" "$work/day2/photos" "$work/day3"
echo "first session" >"$work/day1/README.txt"
seq 1 20000 >"$work/day1/docs/numbers.txt"
head -c 3000000 /dev/urandom >"$work/day2/photos/beach.raw"
echo "second session, a newer README" >"$work/day2/README.txt"
ln -s photos/beach.raw "$work/day2/latest"
echo "third session" >"$work/day3/notes.txt"

say "1. master a multisession image file (3 sessions)"
"$bin/master-image" create "$work/archive.iso" --from "$work/day1" --volume-name DEMO
"$bin/master-image" append "$work/archive.iso" --from "$work/day2"
"$bin/master-image" append "$work/archive.iso" --from "$work/day3" --remove docs/numbers.txt
"$bin/master-info" "$work/archive.iso"

say "2. a virtual DVD+R recorder served over iSCSI (master-drive)"
"$bin/master-drive" serve --listen 127.0.0.1:0 --ready-file "$work/ready" --control "$work/ctl.sock" \
  --drive "burner=dvd+r:$work/burner.vdisc" --drive "archive=$work/archive.iso" 2>"$work/master-drive.log" &
server=$!
for _ in $(seq 100); do [ -s "$work/ready" ] && break; sleep 0.1; done
portal=$(cat "$work/ready")
cat "$work/master-drive.log"
url=iscsi://$portal/iqn.2026-11.org.discmaster:burner/0
iscsi-ls -s "iscsi://$portal"

say "3. burn three sessions onto the virtual disc over iSCSI (master-burn): ISO 9660 + Joliet + UDF"
"$bin/master-burn" --drive "$url" --from "$work/day1" --volume-name DEMO --fs iso9660,rockridge,joliet,udf
"$bin/master-burn" --drive "$url" --from "$work/day2"
"$bin/master-burn" --drive "$url" --from "$work/day3" --remove docs/numbers.txt --verify

say "4. the disc's sessions, as the drive reports them (master-info over iSCSI)"
"$bin/master-info" "$url"

say "5. the newest session read by xorriso (a third-party reader) from the virtual disc's data"
last=$("$bin/master-info" "$url" --json | grep -o '"start": *[0-9]*' | tail -1 | grep -o '[0-9]*$')
echo "xorriso -load sbsector $last -indev $work/burner.vdisc/data.img -find / -exec lsdl"
xorriso -load sbsector "$last" -indev "$work/burner.vdisc/data.img" -find / -exec lsdl 2>/dev/null | grep -v "^$"

say "6. the newest UDF session read by udfinfo from the same data (anchor at 256, VAT at the end)"
echo "udfinfo $work/burner.vdisc/data.img"
udfinfo "$work/burner.vdisc/data.img" 2>&1 | grep -E "^(label|udfrev|vatblock|numfiles|numdirs|accesstype)="

say "7. the drive farm (master-drive ctl status)"
"$bin/master-drive" ctl --control "$work/ctl.sock" status

kill -TERM "$server"; wait "$server" || true; server=
tail -1 "$work/master-drive.log"
say "done: see README.md for each tool"
