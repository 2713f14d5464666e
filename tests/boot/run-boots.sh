#!/bin/bash
# Real firmware boots bootable discs that discmaster mastered (issue 20,
# must-show 2-4), each boot a QEMU (TCG) with a bounded time, judged by the
# marker that the booted kernel's initramfs prints on the serial console and
# by the files it lists from the boot medium (make-boot-tree.sh):
#   image    master-image create with ISOLINUX, GRUB EFI, isohybrid MBR and
#            GPT: SeaBIOS and OVMF, from the file as a CD-ROM and as a disk;
#   xorriso  an image xorriso -as mkisofs made from the same tree and options,
#            with a session appended by master-image append: the same four
#            boots, each listing the appended file;
#   dvd-r, cd-r   master-burn writes the tree onto a blank virtual disc served
#            by master-drive, QEMU boots from it over iSCSI (its own initiator,
#            the disc a SCSI CD-ROM passed through); master-burn appends a second session and
#            the disc boots again with the new file visible.
#   tests/boot/run-boots.sh BUILD_DIR [OUT_DIR] [SCENARIO_REGEX]
# Exit 1 if a boot failed, 77 (skipped) when QEMU, OVMF or the kernel is missing.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: run-boots.sh BUILD_DIR [OUT_DIR] [SCENARIO_REGEX]}" && pwd)
out=${2:-$build/boot}
filter=${3:-.}
limit=${DM_BOOT_TIMEOUT:-150}  # seconds per boot; a TCG boot here takes 10-40
ovmf_code=/usr/share/OVMF/OVMF_CODE_4M.fd ovmf_vars=/usr/share/OVMF/OVMF_VARS_4M.fd
for need in qemu-system-x86_64 xorriso grub-mkstandalone mkfs.vfat mcopy busybox; do
  command -v $need >/dev/null || { echo "boot: skipped: $need is not installed (scripts/install-deps.sh)"; exit 77; }
done
[ -f "$ovmf_code" ] && [ -f /usr/lib/ISOLINUX/isolinux.bin ] || { echo "boot: skipped: ovmf or isolinux is missing"; exit 77; }
ls /boot/vmlinuz-* >/dev/null 2>&1 || { echo "boot: skipped: no kernel in /boot (linux-image-amd64)"; exit 77; }
rm -rf "$out/runs"; mkdir -p "$out/runs"
"$here/make-boot-tree.sh" "$out" || exit 2
tree=$out/tree runs=$out/runs tools=$build/tools
mkdir -p "$runs/more"; echo "new in the second session" >"$runs/more/added.txt"
# The Debian installer's options (docs/boot.md), for xorriso and for us.
bios=(-b isolinux/isolinux.bin -c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table)
efi=(-eltorito-alt-boot -e boot/grub/efi.img -no-emul-boot)
hybrid=(-isohybrid-mbr /usr/lib/ISOLINUX/isohdpfx.bin -isohybrid-gpt-basdat)
ours() { for o in "$@"; do case $o in -b|-c|-e|/*|[a-z0-9]*) printf "%s\n" "$o";; *) printf "%s\n" "-$o";; esac; done; }
mapfile -t our_bios < <(ours "${bios[@]}"); mapfile -t our_efi < <(ours "${efi[@]}"); mapfile -t our_hybrid < <(ours "${hybrid[@]}")

failed=0 total=0
# boot NAME bios|uefi cd|disk|iscsi SOURCE FILE_THE_GUEST_MUST_LIST
boot() {
  local name=$1 fw=$2 as=$3 src=$4 want=$5 log=$runs/$1.log a=()
  case $fw in
    uefi) cp "$ovmf_vars" "$runs/$name.vars"
          a+=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=$ovmf_code" -drive "if=pflash,format=raw,unit=1,file=$runs/$name.vars");;
  esac
  case $as in
    cd) a+=(-drive "if=none,id=m,file=$src,format=raw,readonly=on" -device ide-cd,drive=m,bootindex=0);;
    disk) a+=(-drive "if=none,id=m,file=$src,format=raw,snapshot=on" -device ide-hd,drive=m,bootindex=0);;
    # The disc passed through (scsi-generic): the guest's sr driver reads the
    # drive's own TOC, so Linux mounts the newest session (QEMU's emulated
    # scsi-cd would report one session); SeaBIOS and OVMF boot from it as a CD.
    iscsi) a+=(-device virtio-scsi-pci,id=scsi0 -drive "if=none,id=m,file=$src,format=raw"
               -device scsi-generic,drive=m,bus=scsi0.0,bootindex=0);;
  esac
  local start=$SECONDS verdict=pass
  timeout -k 5 "$limit" qemu-system-x86_64 -machine pc -accel tcg -m 512 -display none -monitor none -parallel none \
    -no-reboot -serial "file:$log" "${a[@]}" </dev/null >"$runs/$name.qemu" 2>&1
  local rc=$?
  if ! grep -q "DISCMASTER-BOOT-MARKER" "$log" 2>/dev/null; then
    verdict="FAIL: no marker (qemu status $rc; $log)"
  elif ! grep -q "DISCMASTER-FILES .*$want" "$log"; then
    verdict="FAIL: the booted system does not list $want ($log)"
  fi
  total=$((total + 1))
  [ "$verdict" = pass ] || failed=$((failed + 1))
  echo "boot $name ($fw, $as): $verdict ($((SECONDS - start)) s)"
}
# The four firmware boots of an image file.
boot_image() {
  boot "$1-bios-cd" bios cd "$2" "$3"; boot "$1-bios-disk" bios disk "$2" "$3"
  boot "$1-uefi-cd" uefi cd "$2" "$3"; boot "$1-uefi-disk" uefi disk "$2" "$3"
}

if [[ image =~ $filter ]]; then
  "$tools/master-image" create "$runs/ours.iso" --from "$tree" "${our_hybrid[@]}" "${our_bios[@]}" "${our_efi[@]}" || failed=$((failed + 1))
  boot_image image "$runs/ours.iso" readme.txt
fi

if [[ xorriso =~ $filter ]]; then
  xorriso -as mkisofs -o "$runs/xorriso.iso" -R -J "${hybrid[@]}" "${bios[@]}" "${efi[@]}" "$tree" 2>"$runs/xorriso.err" &&
    "$tools/master-image" append "$runs/xorriso.iso" --from "$runs/more" || failed=$((failed + 1))
  boot_image xorriso "$runs/xorriso.iso" added.txt
fi

discs=(); for d in dvd-r cd-r; do [[ $d =~ $filter ]] && discs+=("$d"); done
if [ ${#discs[@]} -gt 0 ]; then
  drives=(); for d in "${discs[@]}"; do drives+=(--drive "$d=$d:$runs/$d.vdisc"); done
  "$tools/master-drive" serve --listen 127.0.0.1:0 --ready-file "$runs/ready" --nop-interval 0 "${drives[@]}" \
    2>"$runs/master-drive.log" &
  server=$!
  trap 'kill $server 2>/dev/null' EXIT
  for _ in $(seq 100); do [ -s "$runs/ready" ] && break; sleep 0.1; done
  portal=$(cat "$runs/ready" 2>/dev/null)
  [ -n "$portal" ] || { echo "boot: master-drive did not start:"; cat "$runs/master-drive.log"; exit 2; }
  for d in "${discs[@]}"; do
    url=iscsi://$portal/iqn.2026-11.org.discmaster:$d/0
    "$tools/master-burn" --drive "$url" --from "$tree" "${our_bios[@]}" "${our_efi[@]}" >"$runs/$d-burn1.log" 2>&1 ||
      { echo "boot: master-burn onto $d failed ($runs/$d-burn1.log)"; failed=$((failed + 1)); }
    boot "$d-bios-session1" bios iscsi "$url" readme.txt
    "$tools/master-burn" --drive "$url" --from "$runs/more" >"$runs/$d-burn2.log" 2>&1 ||
      { echo "boot: the second master-burn onto $d failed ($runs/$d-burn2.log)"; failed=$((failed + 1)); }
    boot "$d-bios-session2" bios iscsi "$url" added.txt
    [ "$d" = dvd-r ] && boot "$d-uefi-session2" uefi iscsi "$url" added.txt
  done
  kill -TERM $server; wait $server; trap - EXIT
fi

echo "boot: $((total - failed)) of $total boots passed, $failed failures ($SECONDS s)"
[ $failed = 0 ]
