#!/bin/bash
# Boots the interop guest (build-guest.sh) and runs SHARE_DIR/run.sh in it.
#   tests/interop/run-guest.sh GUEST_DIR SHARE_DIR TIMEOUT_S [--relay PROGRAM] [URL...]
# Each URL is an iSCSI LUN passed through to the guest's SCSI bus, QEMU's own
# iSCSI initiator on the host side: the guest sees /dev/sr0, /dev/sr1, ...
# (sr and sg drivers) in the order of the URLs.
# --relay gives the guest a network (QEMU's user-mode stack, restrict=on: it
# reaches nothing on the host or beyond) with one forward: a TCP connection
# from the guest to 10.0.2.100:3260 runs PROGRAM on the host with the
# connection as its standard input and output (one PROGRAM per connection).
# SHARE_DIR must hold run.sh; the guest runs it and writes guest.log and exit
# there. Exit status: the scenario's, or 124 when the guest gave none.
set -uo pipefail
guest=${1:?}; share=${2:?}; limit=${3:?}; shift 3
net=()
if [ "${1:-}" = --relay ]; then
  net=(-netdev "user,id=net0,restrict=on,guestfwd=tcp:10.0.2.100:3260-cmd:$2" -device virtio-net-pci,netdev=net0)
  shift 2
fi
[ $# -gt 0 ] || [ ${#net[@]} -gt 0 ] || { echo "run-guest.sh: no drives" >&2; exit 2; }
drives=()
i=0
for url in "$@"; do
  drives+=(-drive "file=$url,if=none,id=cd$i,format=raw" -device "scsi-generic,drive=cd$i,bus=scsi0.0,scsi-id=$((i / 8)),lun=$((i % 8))")
  i=$((i + 1))
done
echo $# >"$share/drives"
rm -f "$share/exit"
accel=${DM_GUEST_ACCEL:-tcg}  # nested KVM hangs this kernel here; DM_GUEST_ACCEL=kvm elsewhere
timeout -k 10 "$limit" qemu-system-x86_64 -accel "$accel" -m 1536 -smp 2 -nographic -no-reboot \
  -kernel "$guest/vmlinuz" -initrd "$guest/initrd.gz" -append "console=ttyS0 quiet panic=-1" \
  -device virtio-scsi-pci,id=scsi0 "${drives[@]}" "${net[@]}" \
  -fsdev local,id=share,path="$share",security_model=none -device virtio-9p-pci,fsdev=share,mount_tag=scenario \
  </dev/null >"$share/console.log" 2>&1
[ -s "$share/exit" ] || { echo "run-guest.sh: the guest gave no exit status (see $share/console.log)" >&2; exit 124; }
exit "$(cat "$share/exit")"
