#!/bin/bash
# The kernel-initiator leg of the interop suite: the guest attaches
# master-drive's recorders the way a CI runner does, with open-iscsi
# (iscsiadm, iscsid) and the kernel's iscsi_tcp, and burns through /dev/srN.
#   tests/interop/run-kinit.sh BUILD_DIR [OUT_DIR] [--full]
# 1. builds the guest (build-guest.sh) and starts master-drive on 127.0.0.1
#    with its defaults plus a control socket and traces, a blank disc per drive;
# 2. boots the guest with one network forward (QEMU user-mode, restrict=on):
#    each guest connection to 10.0.2.100:3260 runs relay.sh, one socat to
#    master-drive's port (it waits while master-drive is down instead of
#    accepting and closing);
# 3. in the guest (kinit.sh): the docs/ci.md shell recipe (taken from the
#    document; its own master-drive inside the guest), discovery and login to every drive with
#    one /dev/disk/by-id link each, burns mounted by the guest kernel, and
#    (--full) recovery from a 20 s stall, a kill -9 and restart, a logout and
#    login, and a burn across a stall; the host stops, kills and restarts
#    master-drive when the guest asks (the files ask/N and done/N of the share);
# 4. checks each burned disc's session count with master-info on the host and
#    exits 1 if anything failed.
# Default: the recipe, attach and xorriso on DVD+R (about 2 minutes); --full
# (or DM_INTEROP_FULL=1) adds every burner of issue 18 and the recovery.
# DM_KINIT_ONLY=REGEX keeps the checks and burns whose names match
# (ci-recipe, by-id, recovery, stalled-burn, PROGRAM-PROFILE); attach always runs.
# Exit 77 (skipped) where QEMU, the kernel package, open-iscsi or socat is missing.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/workers.sh"
build=$(cd "${1:?usage: run-kinit.sh BUILD_DIR [OUT_DIR] [--full]}" && pwd)
out=${2:-$build/interop-kinit}
full=${DM_INTEROP_FULL:-}; [ "${3:-}" = --full ] && full=1
limit=${DM_INTEROP_TIMEOUT:-900}
for need in qemu-system-x86_64 busybox socat iscsid iscsiadm; do
  command -v $need >/dev/null || { echo "interop-kinit: skipped: $need is not installed (scripts/install-deps.sh)"; exit 77; }
done
ls /boot/vmlinuz-* >/dev/null 2>&1 || { echo "interop-kinit: skipped: no kernel in /boot (linux-image-amd64)"; exit 77; }
[ -x "$build/tools/master-drive" ] || { echo "interop-kinit: $build/tools/master-drive is not built" >&2; exit 2; }

rm -rf "$out"; mkdir -p "$out/share/ask" "$out/share/done" "$out/discs"
"$here/build-guest.sh" "$build" || exit 2

# The burns (scenarios.sh, PROGRAM PROFILE) and the recovery drives.
burns=("xorriso dvd+r")
[ -n "$full" ] && burns+=("xorriso bd-r" "growisofs dvd-r" "wodim-tao cd-r" "wodim-tao cd-rw" "cdrdao cd-r" "cdrdao cd-rw")
drives=() names=() runs=()
only() { [[ $1 =~ ${DM_KINIT_ONLY:-.} ]]; }
for b in "${burns[@]}"; do
  set -- $b; only "$1-$2" || continue; name=k${#names[@]}
  drives+=(--drive "$name=$2:$out/discs/$1-$2.vdisc"); names+=("$name"); runs+=("$1 $2 $name 0")
done
if [ -n "$full" ]; then
  drives+=(--drive "recovery=dvd+r:$out/discs/recovery.vdisc" --drive "stalled=dvd+r:$out/discs/stalled.vdisc")
  names+=(recovery stalled)
fi

# master-drive, owned by the agent below: started, stopped (SIGSTOP), killed
# and restarted on the guest's request. relay.sh finds its port in $out/port.
serve() {
  rm -f "$out/ready"
  "$build/tools/master-drive" serve --listen 127.0.0.1:0 --ready-file "$out/ready" --control "$out/ctl.sock" \
    --trace-dir "$out" "${drives[@]}" 2>>"$out/master-drive.log" &
  echo $! >"$out/server.pid"
  for _ in $(seq 100); do [ -s "$out/ready" ] && break; sleep 0.1; done
  [ -s "$out/ready" ] || return 1
  sed 's/.*://' "$out/ready" >"$out/port.tmp"; mv "$out/port.tmp" "$out/port"
}
agent() {
  local n=0 action arg pid
  serve || { echo "interop-kinit: master-drive did not start:"; cat "$out/master-drive.log"; exit 2; }
  while :; do
    if [ -e "$out/share/ask/$((n + 1))" ]; then
      n=$((n + 1)); read -r action arg <"$out/share/ask/$n"; pid=$(cat "$out/server.pid")
      echo "interop-kinit: $(date +%T) the guest asks: $action $arg"
      case $action in
        stall) kill -STOP "$pid"; echo "stopped for $arg s" >"$out/share/done/$n"
               sleep "$arg"; echo resumed >"$out/share/done/$n.resumed"; kill -CONT "$pid";;
        kill) kill -KILL "$pid"; { wait "$pid"; } 2>/dev/null; rm -f "$out/port"; echo killed >"$out/share/done/$n";;
        start) serve && echo "listening on $(cat "$out/port")" >"$out/share/done/$n";;
        *) echo "unknown request" >"$out/share/done/$n";;
      esac
    fi
    sleep 0.2
  done
}
agent &
agent_pid=$!
stop_all() {
  kill "$agent_pid" 2>/dev/null; wait "$agent_pid" 2>/dev/null
  local pid; pid=$(cat "$out/server.pid" 2>/dev/null) || return 0
  kill -CONT "$pid" 2>/dev/null; kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
}
trap stop_all EXIT
for _ in $(seq 100); do [ -s "$out/port" ] && break; sleep 0.1; done
[ -s "$out/port" ] || exit 2
cat >"$out/relay.sh" <<EOF
#!/bin/sh
# One guest connection: wait while master-drive is down, then carry the bytes.
for _ in \$(seq 600); do
  [ -s "$out/port" ] && exec socat - "TCP:127.0.0.1:\$(cat "$out/port")" 2>>"$out/relay.log"
  sleep 0.1
done
EOF
chmod +x "$out/relay.sh"

cp "$here/scenarios.sh" "$here/kinit.sh" "$out/share/"
# docs/ci.md's shell recipe, as the document gives it
awk '/<!-- ci-recipe.sh/ { mark = 1; next } mark && /^```sh$/ { on = 1; next } on && /^```$/ { exit } on' \
  "$here/../../docs/ci.md" >"$out/share/ci-recipe.sh"
grep -q 'iscsiadm -m discovery' "$out/share/ci-recipe.sh" || { echo "interop-kinit: no recipe in docs/ci.md" >&2; exit 2; }
echo 0 >"$out/share/drives"  # the guest's init waits for no passed-through drive
echo "${names[*]}" >"$out/share/names"
{
  echo ". /scenario/scenarios.sh; . /scenario/kinit.sh"
  echo "make_data; mkdir -p /scenario/logs"
  echo "start_initiator"
  only ci-recipe && echo "kcheck ci-recipe sh /scenario/ci-recipe.sh /tmp/ci >/scenario/logs/kinit-ci-recipe.log 2>&1"
  echo "kcheck attach kinit_attach >/scenario/logs/kinit-attach.log 2>&1 || exit 0"
  only by-id && echo "kcheck by-id kinit_by_id >/scenario/logs/kinit-by-id.log 2>&1"
  print_workers "${runs[@]}"
  if [ -n "$full" ]; then  # these stop or kill master-drive: alone, one after the other
    only recovery && echo "kcheck recovery kinit_recovery recovery >/scenario/logs/kinit-recovery.log 2>&1"
    only stalled-burn && echo "kcheck stalled-burn kinit_stalled_burn stalled >/scenario/logs/kinit-stalled-burn.log 2>&1"
  fi
  echo "iscsiadm -m node --logout; exit 0"
} >"$out/share/run.sh"
echo "interop-kinit: ${#names[@]} drives, ${#runs[@]} burns${full:+ and the recovery} ($(date +%T)); logs: $out/share/logs/"
start=$SECONDS
"$here/run-guest.sh" "$build/interop-guest" "$out/share" "$limit" --relay "$out/relay.sh"
guest_rc=$?
echo "interop-kinit: guest finished with status $guest_rc after $((SECONDS - start)) s"
stop_all; trap - EXIT

# Every check's result line; each burned disc's sessions counted again on the host.
failed=0 checks=(kinit-attach)
for c in ci-recipe by-id; do only $c && checks+=(kinit-$c); done
for r in "${runs[@]}"; do set -- $r; checks+=("$1-$2"); done
if [ -n "$full" ]; then for c in recovery stalled-burn; do only $c && checks+=(kinit-$c); done; fi
for c in "${checks[@]}"; do
  line=$(cat "$out/share/results/$c" 2>/dev/null) || line="$c - fail 0 no result (guest status $guest_rc)"
  set -- $line
  if [ "$3" = pass ] && [ "$1" != kinit ]; then
    host_sessions=$("$build/tools/master-info" "$out/discs/$1-$2.vdisc" 2>/dev/null | sed -n 's/^sessions: *//p')
    [ "$host_sessions" = "$4" ] || line="$1 $2 fail $4 the guest saw $4 sessions, master-info on the host ${host_sessions:-none}"
  fi
  echo "interop-kinit: $line"
  case $line in *" pass "*) ;; *) failed=$((failed + 1)); echo "  log: $out/share/logs/$c.log";; esac
done
grep -h 'logged in\|logged out\|reinstatement\|implicitly\|lost without\|resumes' "$out/master-drive.log" | sed 's/^/  master-drive: /' | tail -20
echo "interop-kinit: $failed failed of ${#checks[@]}"
[ $failed = 0 ]
