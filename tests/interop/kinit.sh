# The kernel-initiator leg, run by busybox sh in the guest after
# scenarios.sh (run.sh, written by run-kinit.sh, sources both). The guest's
# open-iscsi and iscsi_tcp reach the host's master-drive at 10.0.2.100:3260,
# a forward of QEMU's user-mode network (one relay per connection); the
# drives are found through discovery only. Each check writes one result line
# to /scenario/results/ like the burn scenarios.

portal=10.0.2.100:3260
iqn=iqn.2026-11.org.discmaster

# udev names the recorders under /dev/disk/by-id; iscsid serves iscsiadm.
start_initiator() {
  /lib/systemd/systemd-udevd --daemon || return 1
  iscsid || return 1
  udevadm trigger --action=add; udevadm settle
}

# kdev NAME: the recorder the kernel made for drive NAME (iscsiadm's view).
kdev() {
  local d
  for _ in $(seq 150); do
    d=$(iscsiadm -m session -P 3 2>/dev/null | awk -v t="$iqn:$1" '
      $1 == "Target:" { hit = ($2 == t) } hit && /Attached scsi disk/ { print "/dev/" $4; exit }')
    [ -n "$d" ] && [ -b "$d" ] && { echo "$d"; return 0; }
    sleep 0.2
  done
  return 1
}
# The burn scenarios of scenarios.sh name their drive by target and LUN:
# here the "target" is the drive's name.
device_for() { kdev "$1" || echo /dev/none-$1; }

# host_do ACTION...: the host side (run-kinit.sh) acts on master-drive and
# answers through the share; the reply's file names the step.
asked=0
host_do() {
  asked=$((asked + 1))
  mkdir -p /scenario/ask
  echo "$*" >/scenario/ask/.$asked; mv /scenario/ask/.$asked /scenario/ask/$asked
  while [ ! -e /scenario/done/$asked ]; do sleep 0.2; done
  echo "host: $* done ($(cat /scenario/done/$asked))"
}

# Discovery and login with the records discovery made: every drive of
# /scenario/names gets a recorder.
kinit_attach() {
  local names n found d name
  names=$(cat /scenario/names); n=$(echo $names | wc -w)
  step "iscsiadm -m discovery -t sendtargets -p $portal"
  iscsiadm -m discovery -t sendtargets -p $portal | tee $work/discovered || return 1
  found=$(grep -c " $iqn:" $work/discovered)
  [ "$found" = "$n" ] || { echo "discovery found $found targets, not $n"; return 1; }
  step "iscsiadm -m node --login"
  iscsiadm -m node --login || return 1
  for name in $names; do d=$(kdev $name) || { echo "no recorder for $name"; return 1; }; echo "$name: $d"; done
  lsscsi
}

# Every drive of /scenario/names has one /dev/disk/by-id link of its own
# (udev's scsi_id reads the device identification VPD page).
kinit_by_id() {
  local names n d l name missing=0
  names=$(cat /scenario/names); n=$(echo $names | wc -w)
  udevadm settle
  for name in $names; do
    d=$(kdev $name)
    l=$(for f in /dev/disk/by-id/scsi-*; do [ "$(readlink -f "$f")" = "$d" ] && echo "${f##*/}"; done | head -1)
    echo "$name: $d, wwid $(cat /sys/block/${d#/dev/}/device/wwid), link ${l:-none}"
    cat /sys/block/${d#/dev/}/device/wwid >>$work/wwids
    if [ -n "$l" ]; then echo "$l" >>$work/links; else missing=$((missing + 1)); fi
  done
  ls -l /dev/disk/by-id
  [ "$(sort -u $work/wwids | wc -l)" = "$n" ] || { echo "the drives' identifiers (wwid) collide"; return 1; }
  [ $missing = 0 ] || { echo "$missing drives have no /dev/disk/by-id/scsi-* link"; return 1; }
  [ "$(sort -u $work/links | wc -l)" = "$n" ] || { echo "by-id links collide"; return 1; }
  echo "$n drives, $n distinct identifiers and by-id links"
}

# dmesg lines since the mark: did the kernel see a POWER ON/RESET unit attention?
reset_seen() { dmesg | sed -n "/kinit-mark-$1/,\$p" | grep -q 'Power-on or device reset occurred'; }
mark() { echo "kinit-mark-$1" >/dev/kmsg; }
# sums DEV: MD5 of the disc's first 4 MiB, read past the page cache
sums() { dd if="$1" iflag=direct bs=64k count=64 2>/dev/null | md5sum | cut -d' ' -f1; }

# Recovery on drive NAME: a read spanning a 20 s stall, a kill -9 and
# restart, a logout and login; then a burn still works.
kinit_recovery() {
  local dev ref got
  dev=$(kdev $1) || return 1
  mkdir -p $work/big; dd if=/dev/urandom of=$work/big/blob bs=1M count=6 2>/dev/null; cp -a $data/s1/. $work/big/
  xorriso -dev "$dev" -map $work/big / -close off -commit || return 1
  reload "$dev"; ref=$(sums "$dev"); echo "reference: $ref"

  step "a READ issued while master-drive is stopped for 20 s"
  mark stall; host_do stall 20
  got=$(sums "$dev")
  [ -e /scenario/done/$asked.resumed ] || { echo "the read ended before the stall did"; return 1; }
  [ "$got" = "$ref" ] || { echo "read across the stall: $got, not $ref"; return 1; }
  if reset_seen stall; then echo "a reset unit attention after a mere stall"; dmesg | tail -20; return 1; fi

  step "master-drive killed (-9) and restarted while the guest reads"
  mark kill; host_do kill
  (sums "$dev" >$work/during) 2>/dev/null &
  local reader=$!
  sleep 3; host_do start
  wait $reader
  echo "the read across the restart gave '$(cat $work/during)' (an I/O error is allowed)"
  for _ in $(seq 100); do reset_seen kill && break; sleep 0.3; done
  reset_seen kill || { echo "the guest saw no disc change (POWER ON/RESET) after the restart"; dmesg | tail -30; return 1; }
  reload "$dev"
  got=$(sums "$dev"); [ "$got" = "$ref" ] || { echo "re-read after the restart: $got, not $ref"; return 1; }
  xorriso -dev "$dev" -map $data/s2 / -close off -commit || { echo "a burn after the restart failed"; return 1; }
  cp -a $work/big $work/u2; cp -a $data/s2/. $work/u2/; listing $work/u2 >$work/exp-u2
  reload "$dev"; mount_check "$dev" $work/exp-u2 || return 1

  step "logout and login"
  iscsiadm -m node -T $iqn:$1 --logout || return 1
  iscsiadm -m node -T $iqn:$1 --login || return 1
  dev=$(kdev $1) || return 1
  reload "$dev"; mount_check "$dev" $work/exp-u2 || return 1
  [ "$(toc_sessions "$dev")" = 2 ] || { cat $work/toc; return 1; }
}

# A burn that spans a 20 s stall of master-drive on drive NAME: it completes,
# or it fails and leaves a disc that xorriso and master-burn continue.
kinit_stalled_burn() {
  local dev rc burn bad=
  dev=$(kdev $1) || return 1
  mkdir -p $work/big; dd if=/dev/urandom of=$work/big/blob bs=1M count=24 2>/dev/null
  xorriso -dev "$dev" -map $work/big / -close off -commit >$work/burn.log 2>&1 &
  burn=$!
  for _ in $(seq 100); do grep -q 'Writing:' $work/burn.log && break; sleep 0.1; done
  host_do stall 20
  wait $burn; rc=$?
  grep -v 'UPDATE' $work/burn.log | tail -12
  dmesg | grep -i 'connection[0-9]' | tail -4
  [ -e /scenario/done/$asked.resumed ] || { echo "the burn ended before the stall did"; return 1; }
  reload "$dev"
  if [ $rc = 0 ]; then
    outcome="the burn across the stall completed"
    listing $work/big >$work/exp-big; mount_check "$dev" $work/exp-big || return 1
  else
    outcome="the burn across the stall failed (xorriso $rc)"
    xorriso -outdev "$dev" -toc 2>&1 | grep -i 'session\|nwa'
  fi
  echo "$outcome"
  # the next burns append the first two batches: the newest session holds
  # them, and the blob if its burn completed
  xorriso -dev "$dev" -map $data/s1 / -close off -commit || bad="$bad xorriso"
  master-burn --drive "$dev" --from $data/s2 || bad="$bad master-burn"
  [ -z "$bad" ] || { outcome="$outcome; cannot continue the disc:$bad"; echo "$outcome"; return 1; }
  reload "$dev"
  cp $data/exp2 $work/exp-all
  [ $rc != 0 ] || cat $work/exp-big >>$work/exp-all
  sort -k2 $work/exp-all >$work/exp-sorted
  mount_check "$dev" $work/exp-sorted
}

# kcheck NAME FUNCTION ARGS: run one check and write its result line.
kcheck() {
  local check=$1 fn=$2 start rc; shift 2
  program=kinit profile=$check work=/tmp/work-kinit-$check outcome=
  rm -rf $work; mkdir -p $work
  start=$(date +%s)
  echo; echo "=== kinit $check"
  $fn "$@"; rc=$?
  if [ $rc = 0 ]; then result kinit "$check" pass 0 "$(( $(date +%s) - start ))s${outcome:+: $outcome}"
  else result kinit "$check" fail 0 "step failed after $(( $(date +%s) - start ))s"; fi
  return $rc
}
