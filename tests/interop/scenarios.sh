# Interop scenarios, run by busybox sh inside the guest (sourced by run.sh,
# which run-suite.sh writes: one line "scenario PROGRAM PROFILE TARGET LUN" per
# matrix entry). Each scenario burns onto its own blank drive, checks what the
# program and the guest kernel see, and writes one line to
# /scenario/results/PROGRAM-PROFILE: "PROGRAM PROFILE pass|fail SESSIONS DETAIL".

data=/tmp/data
step() { echo "--- $*"; }

# Three batches of files; the third session also removes docs/numbers.txt
# where the program can remove (xorriso, master-burn). Expected trees as
# md5sum listings: exp1, exp2, exp3 (with the removal), all3 (without).
# s3x is the third batch plus a symlink, for the programs whose appended
# sessions keep Rock Ridge under Linux (xorriso, master-burn): genisoimage -C
# records a session's own size as its volume space size, and Linux ignores
# Rock Ridge continuation areas beyond it, then falls back to Joliet, where a
# symlink reads as an empty file (docs/interop.md).
make_data() {
  mkdir -p $data/s1/docs $data/s2/photos $data/s3/notes
  echo "first session" >$data/s1/README.txt
  seq 1 20000 >$data/s1/docs/numbers.txt
  dd if=/dev/urandom of=$data/s2/photos/beach.raw bs=1k count=700 2>/dev/null
  echo "second session: a newer README" >$data/s2/README.txt
  echo "third session" >$data/s3/notes/today.txt
  # what a file system records beyond the bytes: a symlink, an executable
  # with set-group-ID, a private directory and file, a sticky directory
  mkdir -p $data/s3/tools $data/s3/private $data/s3/shared
  echo '#!/bin/sh' >$data/s3/tools/run.sh; chmod 2755 $data/s3/tools/run.sh
  echo "only mine" >$data/s3/private/secret.txt; chmod 600 $data/s3/private/secret.txt; chmod 700 $data/s3/private
  echo "for all" >$data/s3/shared/board.txt; chmod 1777 $data/s3/shared
  touch -d '2020-02-29 12:34:56' $data/s3/notes/today.txt
  rm -rf $data/s3x; cp -a $data/s3 $data/s3x
  mkdir -p $data/s3x/links; ln -sf ../README.txt $data/s3x/links/readme
  for k in 1 2 3; do
    rm -rf $data/u$k; mkdir -p $data/u$k
    for j in $(seq 1 $k); do cp -a $data/s$j/. $data/u$k/; done
  done
  cp -a $data/s3x/. $data/u3/
  listing $data/u1 >$data/exp1; listing $data/u2 >$data/exp2; listing $data/u3 >$data/all3
  grep -v ' ./docs/numbers.txt$' $data/all3 >$data/exp3
  meta $data/u3 | grep -v '^./docs/numbers.txt ' >$data/meta3
}
listing() { (cd "$1" && find . -type f | sort | xargs md5sum); }
# Every entry's type, mode and target (symlinks) or modification time (files).
meta() {
  (cd "$1" && find . ! -name . | sort | while read -r f; do
    if [ -L "$f" ]; then echo "$f link $(readlink "$f")"
    elif [ -d "$f" ]; then echo "$f dir $(stat -c %a "$f")"
    else echo "$f file $(stat -c '%a %Y' "$f")"; fi
  done)
}

# The guest's block device for SCSI target T, LUN L.
device_for() { echo /dev/$(ls /sys/bus/scsi/devices/0:0:$1:$2/block/ 2>/dev/null | head -1); }

# After a burn the kernel keeps the size it read at load time: eject and
# load the tray as a user would, then mount.
reload() { sg_start --eject "$1" >/dev/null 2>&1; sg_start --load "$1" >/dev/null 2>&1; sleep 1; }

# mount_check DEV EXPECTED [SESSION]: the kernel's iso9660 view equals the listing.
mount_check() {
  local dev=$1 want=$2 opt=ro
  [ -n "${3:-}" ] && opt=ro,session=$3
  mkdir -p $work/mnt
  mount -t iso9660 -o $opt "$dev" $work/mnt || { echo "mount -o $opt failed"; return 1; }
  listing $work/mnt >$work/got
  umount $work/mnt
  if ! cmp -s $work/got "$want"; then
    echo "mounted tree (-o $opt) differs from $(basename "$want"):"; diff "$want" $work/got | head -20; return 1
  fi
  # what each session holds, for the host's master-mount check (the kernel
  # counts sessions from 0, master-mount from 1)
  if [ -n "${3:-}" ]; then cp "$want" $work/older-$(( $3 + 1 )); else newest=$want; fi
}

# mount_check_udf DEV EXPECTED: the kernel's UDF view of the newest session
# (the kernel takes the last session from the TOC and, on write-once media,
# the VAT from the last recorded block).
mount_check_udf() {
  mkdir -p $work/mnt
  mount -t udf -o ro "$1" $work/mnt || {
    echo "mount -t udf failed; the device has $(blockdev --getsize64 "$1" 2>/dev/null) bytes"; dmesg | tail -20; return 1; }
  listing $work/mnt >$work/got
  umount $work/mnt
  cmp -s $work/got "$2" || { echo "the UDF tree differs from $(basename "$2"):"; diff "$2" $work/got | head -20; return 1; }
}

# meta_check DEV FSTYPE: the kernel's view of the newest session (iso9660:
# Rock Ridge) records the modes, symlinks and file times of the third batch.
meta_check() {
  mkdir -p $work/mnt
  mount -t $2 -o ro "$1" $work/mnt || { echo "mount -t $2 failed"; return 1; }
  meta $work/mnt >$work/meta
  umount $work/mnt
  cmp -s $work/meta $data/meta3 || {
    echo "the $2 view records other modes, links or times:"; diff $data/meta3 $work/meta | head -40; dmesg | grep -i -A2 'iso\|rock\|udf' | tail -20; return 1; }
}

# Sessions on the disc, as xorriso reads the TOC; libburn refuses a BD-R
# formatted for pseudo-overwrite ("unsuitable"), so there dvd+rw-mediainfo
# counts them.
toc_sessions() {
  xorriso -outdev "$1" -toc >$work/toc 2>&1
  if grep -q 'is POW formatted' $work/toc; then
    dvd+rw-mediainfo "$1" >>$work/toc 2>&1
    sed -n 's/.*Number of Sessions: *\([0-9]*\).*/\1/p' $work/toc | head -1
  else
    grep -c '^ISO session' $work/toc
  fi
}

result() { mkdir -p /scenario/results; echo "$1 $2 $3 $4 $5" >"/scenario/results/$1-$2"; echo "=== RESULT $*"; }

# Check after three sessions: the TOC lists 3, the kernel mounts the newest
# tree and each older session with -o session=N.
check_three() {
  local dev=$1 last=$2 n want=3
  # growisofs grows one session in place on overwritable media, and on a
  # BD-R it formatted for pseudo-overwrite (SRM+POW)
  case $program-$profile in growisofs-dvd+rw|growisofs-bd-re|growisofs-dvd-ram|growisofs-bd-r) want=1;; esac
  reload "$dev"
  n=$(toc_sessions "$dev")
  [ "$n" = $want ] || { cat $work/toc; echo "xorriso -toc lists $n sessions, not $want"; return 1; }
  mount_check "$dev" "$last" || return 1
  # Older sessions (the kernel counts from 0; overwritable media have one physical session).
  case $profile in dvd+rw|bd-re|dvd-ram) return 0;; esac
  [ -z "$overwritable" ] || return 0  # a DVD-RW formatted for restricted overwrite
  [ $want = 3 ] || return 0  # growisofs on a POW BD-R: one session
  mount_check "$dev" $data/exp1 0 || return 1
  mount_check "$dev" $data/exp2 1 || return 1
}

burn_xorriso() {
  local dev=$1
  xorriso -dev "$dev" -map $data/s1 / -close off -commit || return 1
  xorriso -dev "$dev" -map $data/s2 / -close off -commit || return 1
  xorriso -dev "$dev" -map $data/s3x / -rm /docs/numbers.txt -- -close off -commit || return 1
  check_three "$dev" $data/exp3 || return 1
  meta_check "$dev" iso9660
}

burn_master_burn() {
  local dev=$1; shift
  master-burn --drive "$dev" --from $data/s1 "$@" || return 1
  master-burn --drive "$dev" --from $data/s2 "$@" || return 1
  master-burn --drive "$dev" --from $data/s3x --remove docs/numbers.txt --verify "$@" || return 1
  master-info "$dev"
  check_three "$dev" $data/exp3 || return 1
  meta_check "$dev" iso9660
}

# master-burn with the ISO 9660 / Joliet / UDF bridge (UDF through a VAT on
# write-once media): the ISO checks of every session, and the kernel's UDF view.
burn_master_burn_udf() {
  burn_master_burn "$1" --fs iso9660,rockridge,joliet,udf || return 1
  mount_check_udf "$1" $data/exp3 || return 1
  meta_check "$1" udf
}

# The bridge on a DVD-RW that dvd+rw-format put into restricted overwrite:
# master-burn gives UDF a sparable partition there (fixed 16-block packets),
# and the kernel's udf driver reads it through the sparing table.
burn_master_burn_sparable() {
  dvd+rw-format -force "$1" || return 1
  reload "$1"
  overwritable=yes
  burn_master_burn_udf "$1"
}

burn_growisofs() {
  local dev=$1
  growisofs -Z "$dev" -R -J $data/s1 || return 1
  growisofs -M "$dev" -R -J $data/s2 || return 1
  growisofs -M "$dev" -R -J $data/s3 || return 1
  check_three "$dev" $data/all3
}

# wodim -multi with mkisofs -C/-M for the later sessions (TAO or SAO).
burn_wodim() {
  local dev=$1 mode=$2 k ms
  for k in 1 2 3; do
    if [ $k = 1 ]; then
      genisoimage -quiet -R -J -o $work/s.iso $data/s1 || return 1
    else
      ms=$(wodim -msinfo dev="$dev" 2>/dev/null | tail -1)
      echo "msinfo: $ms"
      genisoimage -quiet -R -J -C "$ms" -M "$dev" -o $work/s.iso $data/s$k || return 1
    fi
    # wodim's SAO cue sheets for later sessions start again at track 1, LBA 0
    # (a drive must refuse them): the first session is SAO, later ones TAO.
    [ $k = 1 ] || mode=-tao
    wodim -v $mode -multi dev="$dev" $work/s.iso || return 1
    reload "$dev"
  done
  check_three "$dev" $data/all3
}

# cdrdao: session-at-once from a toc file, --multi; msinfo from cdrdao itself.
burn_cdrdao() {
  local dev=$1 k ms
  for k in 1 2 3; do
    if [ $k = 1 ]; then
      genisoimage -quiet -R -J -o $work/s.iso $data/s1 || return 1
    else
      ms=$(cdrdao msinfo --device "$dev" 2>/dev/null | tail -1 | tr -d ' ')
      echo "msinfo: $ms"
      genisoimage -quiet -R -J -C "$ms" -M "$dev" -o $work/s.iso $data/s$k || return 1
    fi
    # a CD track lasts at least 4 seconds (300 blocks): pad the image as users do
    [ "$(wc -c <$work/s.iso)" -ge 614400 ] || truncate -s 614400 $work/s.iso
    printf 'CD_ROM_XA\nTRACK MODE2_FORM1\nDATAFILE "%s"\n' "$work/s.iso" >$work/s.toc  # multisession: XA
    cdrdao write --device "$dev" --driver generic-mmc --multi -n $work/s.toc || return 1
    reload "$dev"
  done
  check_three "$dev" $data/all3
}

# Rewritable media: burn, blank or format with the program people use for
# that medium, then burn again and mount the new tree.
burn_blank() {
  local dev=$1
  xorriso -dev "$dev" -map $data/s2 / -close off -commit || return 1
  case $profile in
    cd-rw) wodim -v blank=fast dev="$dev" || return 1;;
    dvd-rw) xorriso -outdev "$dev" -blank fast || return 1;;
    dvd+rw) dvd+rw-format -force "$dev" || return 1  # formatting keeps the data, as on a real disc:
            xorriso -outdev "$dev" -blank as_needed || return 1;;  # blanking invalidates the file system
    bd-re) xorriso -outdev "$dev" -format as_needed -blank as_needed || return 1;;
  esac
  reload "$dev"
  xorriso -outdev "$dev" -toc 2>&1 | tail -4
  xorriso -dev "$dev" -map $data/s1 / -close off -commit || return 1
  reload "$dev"
  mount_check "$dev" $data/exp1
}

# scenario PROGRAM PROFILE TARGET LUN (scenarios run two at a time: every
# file a scenario makes is under its own $work)
scenario() {
  program=$1 profile=$2 newest= overwritable=
  work=/tmp/work-$1-$2
  rm -rf $work; mkdir -p $work
  local dev start n rc
  dev=$(device_for "$3" "$4")
  start=$(date +%s)
  echo; echo "=== $program on $profile ($dev)"
  [ -b "$dev" ] || { result "$program" "$profile" fail 0 "no block device for 0:0:$3:$4"; return; }
  case $program in
    xorriso) burn_xorriso "$dev";;
    master-burn) burn_master_burn "$dev";;
    master-burn-sao) burn_master_burn "$dev" --write-mode sao;;
    master-burn-udf) burn_master_burn_udf "$dev";;
    master-burn-sparable) burn_master_burn_sparable "$dev";;
    growisofs) burn_growisofs "$dev";;
    wodim-tao) burn_wodim "$dev" -tao;;
    wodim-sao) burn_wodim "$dev" -sao;;
    cdrdao) burn_cdrdao "$dev";;
    blank) burn_blank "$dev";;
    *) echo "unknown program $program"; false;;
  esac
  rc=$?
  n=$(toc_sessions "$dev")
  if [ $rc = 0 ] && [ -n "${newest:-}" ]; then
    mkdir -p /scenario/expected; cp "$newest" "/scenario/expected/$program-$profile"
    for f in $work/older-*; do
      [ -f "$f" ] && cp "$f" "/scenario/expected/$program-$profile.s${f##*-}"
    done
  fi
  if [ $rc = 0 ]; then
    result "$program" "$profile" pass "$n" "$(( $(date +%s) - start ))s"
  else
    result "$program" "$profile" fail "$n" "step failed after $(( $(date +%s) - start ))s"
  fi
}
