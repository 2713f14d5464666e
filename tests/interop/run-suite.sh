#!/bin/bash
# The interop suite: real burning programs in a Linux guest against
# master-drive, in one boot.
#   tests/interop/run-suite.sh BUILD_DIR [OUT_DIR] [PROGRAM_REGEX]
# 1. builds the guest (build-guest.sh, cached in BUILD_DIR/interop-guest);
# 2. starts master-drive on 127.0.0.1 with a fresh blank disc for every
#    runnable line of matrix.txt (one LUN each, up to 8 per SCSI target);
# 3. boots the guest; scenarios.sh runs each scenario on its drive;
# 4. stops master-drive with SIGTERM and checks every disc on the host:
#    master-info counts the sessions the guest reported, and master-mount
#    shows every session the guest kernel mounted with the same files;
# 5. writes OUT_DIR/interop.md (the table of docs/interop.md) and exits 1 if
#    any runnable scenario failed.
# Exit 77 (skipped) with a message when QEMU or the kernel package is missing.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/workers.sh"
build=$(cd "${1:?usage: run-suite.sh BUILD_DIR [OUT_DIR] [PROGRAM_REGEX]}" && pwd)
out=${2:-$build/interop}
filter=${3:-.}
limit=${DM_INTEROP_TIMEOUT:-840}
for need in qemu-system-x86_64 busybox; do
  command -v $need >/dev/null || { echo "interop: skipped: $need is not installed (scripts/install-deps.sh)"; exit 77; }
done
ls /boot/vmlinuz-* >/dev/null 2>&1 || { echo "interop: skipped: no kernel in /boot (linux-image-amd64)"; exit 77; }
[ -x "$build/tools/master-drive" ] || { echo "interop: $build/tools/master-drive is not built" >&2; exit 2; }

rm -rf "$out"; mkdir -p "$out/share" "$out/discs"
"$here/build-guest.sh" "$build" || exit 2

# The runnable scenarios and their drives.
drives=() runs=() skipped=()
declare -A xfail
i=0
while read -r program profile dash why; do
  case $program in ''|'#'*) continue;; esac
  [[ $program =~ $filter ]] || continue
  if [ "$dash" = "-" ]; then skipped+=("$program $profile $why"); continue; fi
  [ "$dash" = xfail ] && xfail["$program $profile"]=$why
  name=d$i
  drives+=(--drive "$name=$profile:$out/discs/$program-$profile.vdisc")
  runs+=("$program $profile $((i / 8)) $((i % 8)) $name")
  i=$((i + 1))
done <"$here/matrix.txt"
[ $i -gt 0 ] || { echo "interop: no scenario matches $filter" >&2; exit 2; }

"$build/tools/master-drive" serve --listen 127.0.0.1:0 --ready-file "$out/ready" --trace-dir "$out" --nop-interval 0 \
  "${drives[@]}" 2>"$out/master-drive.log" &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 100); do [ -s "$out/ready" ] && break; sleep 0.1; done
[ -s "$out/ready" ] || { echo "interop: master-drive did not start:"; cat "$out/master-drive.log"; exit 2; }
portal=$(cat "$out/ready")
urls=()
for r in "${runs[@]}"; do set -- $r; urls+=("iscsi://$portal/iqn.2026-11.org.discmaster:$5/0"); done

cp "$here/scenarios.sh" "$out/share/"
{
  echo ". /scenario/scenarios.sh"
  echo "make_data; mkdir -p /scenario/logs"
  print_workers "${runs[@]}"
  echo "exit 0"
} >"$out/share/run.sh"
echo "interop: $i scenarios in one guest ($(date +%T)); logs: $out/share/logs/"
start=$SECONDS
"$here/run-guest.sh" "$build/interop-guest" "$out/share" "$limit" "${urls[@]}"
guest_rc=$?
echo "interop: guest finished with status $guest_rc after $((SECONDS - start)) s"
kill -TERM $server; wait $server; trap - EXIT

# Host side: every disc, served again by nobody, read by master-info.
failed=0 mounted=0
fuse=; [ -w /dev/fuse ] && command -v fusermount3 >/dev/null && fuse=yes
declare -A verdict sessions detail
while read -r program profile v n d; do
  verdict["$program $profile"]=$v; sessions["$program $profile"]=$n; detail["$program $profile"]=$d
done < <(cat "$out/share/results/"* 2>/dev/null)
for r in "${runs[@]}"; do
  set -- $r
  key="$1 $2"
  if [ -z "${verdict[$key]:-}" ]; then verdict[$key]=fail; detail[$key]="no result (guest status $guest_rc)"; fi
  host_n=$("$build/tools/master-info" "$out/discs/$1-$2.vdisc" --json 2>/dev/null | grep -c '"number"' || true)
  host_sessions=$("$build/tools/master-info" "$out/discs/$1-$2.vdisc" 2>/dev/null | sed -n 's/^sessions: *//p')
  if [ "${verdict[$key]}" = pass ] && [ "$host_sessions" != "${sessions[$key]}" ] && [ "$1" != blank ]; then
    case $2 in dvd+rw|bd-re|dvd-ram) ;;  # one physical session; the guest counted ISO 9660 sessions
      *) verdict[$key]=fail; detail[$key]="the guest saw ${sessions[$key]} sessions, master-info on the host $host_sessions";;
    esac
  fi
  # After the guest powered off: master-mount on the host shows every session
  # the guest kernel mounted (the newest, and each older one with -o
  # session=N) with the same files (where FUSE is available).
  if [ "${verdict[$key]}" = pass ] && [ -n "$fuse" ] && [ -f "$out/share/expected/$1-$2" ]; then
    for want in "$out/share/expected/$1-$2" "$out/share/expected/$1-$2".s*; do
      [ -f "$want" ] || continue
      s=; case $want in *.s[0-9]*) s=${want##*.s};; esac
      mnt=$out/mnt-$1-$2${s:+-s$s}; mkdir -p "$mnt"
      "$build/tools/master-mount" "$out/discs/$1-$2.vdisc" "$mnt" ${s:+--session $s} 2>>"$out/master-mount.log"
      if mountpoint -q "$mnt"; then
        (cd "$mnt" && find . -type f | LC_ALL=C sort | xargs -r md5sum) >"$mnt.listing"
        fusermount3 -u "$mnt"
        if ! cmp -s "$mnt.listing" "$want"; then
          verdict[$key]=fail; detail[$key]="master-mount on the host shows other files than the guest kernel (session ${s:-newest})"
        else
          mounted=$((mounted + 1))
        fi
      else
        verdict[$key]=fail; detail[$key]="master-mount on the host failed for session ${s:-newest} (see $out/master-mount.log)"
      fi
    done
  fi
  if [ -n "${xfail[$key]:-}" ]; then
    if [ "${verdict[$key]}" = pass ]; then
      detail[$key]="passes but matrix.txt expects it to fail: drop the xfail"; failed=$((failed + 1))
    fi
  elif [ "${verdict[$key]}" != pass ]; then
    failed=$((failed + 1))
  fi
done

{
  echo "| program | $(for p in cd-r cd-rw dvd-r dvd-rw dvd+r dvd+r-dl dvd+rw bd-r bd-re; do printf '%s | ' $p; done)"
  echo "|---|$(for p in 1 2 3 4 5 6 7 8 9; do printf -- '---|'; done)"
  # One row per program, in the order matrix.txt names them.
  for program in $(grep -v '^#' "$here/matrix.txt" | awk 'NF && !seen[$1]++ {print $1}'); do
    [[ $program =~ $filter ]] || continue
    printf '| %s |' "$program"
    for p in cd-r cd-rw dvd-r dvd-rw dvd+r dvd+r-dl dvd+rw bd-r bd-re; do
      key="$program $p"
      if [ -n "${verdict[$key]:-}" ]; then
        printf ' %s |' "${verdict[$key]}${xfail[$key]:+ (known)}"
      elif printf '%s\n' "${skipped[@]}" | grep -q "^$key "; then
        printf ' n/a |'
      else
        printf ' |'
      fi
    done
    echo
  done
  echo
  echo "n/a: the program cannot do this (matrix.txt gives the reason):"
  for s in "${skipped[@]}"; do echo "- $s"; done
  if [ -n "${!xfail[*]}" ]; then
    echo
    echo "known failures (xfail in matrix.txt):"
    for k in "${!xfail[@]}"; do echo "- $k: ${xfail[$k]}"; done
  fi
} >"$out/interop.md"
cat "$out/interop.md"
for r in "${runs[@]}"; do set -- $r; key="$1 $2"
  if [ -n "${xfail[$key]:-}" ] && [ "${verdict[$key]}" != pass ]; then echo "known failure: $key (log: $out/share/logs/$1-$2.log)"
  elif [ -n "${xfail[$key]:-}" ] || [ "${verdict[$key]}" != pass ]; then echo "FAILED: $key: ${detail[$key]} (log: $out/share/logs/$1-$2.log)"; fi
done
if [ -n "$fuse" ]; then echo "interop: master-mount on the host read $mounted sessions as the guest kernel did"
else echo "interop: no /dev/fuse: the host-side master-mount check was skipped"; fi
echo "interop: $failed unexpected result(s) in $i scenarios"
[ $failed = 0 ]
