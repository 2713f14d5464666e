#!/bin/bash
# The bootable tree the firmware tests master (docs/boot.md, issue 20):
#   isolinux/isolinux.bin, ldlinux.c32, isolinux.cfg   BIOS: ISOLINUX (Debian's isolinux)
#   boot/grub/efi.img    UEFI: a FAT image with EFI/BOOT/BOOTX64.EFI, GRUB made by
#                        grub-mkstandalone (grub-efi-amd64-bin) with its grub.cfg inside
#   boot/vmlinuz         Debian's kernel (linux-image-amd64)
#   boot/initrd.gz       busybox and the modules for IDE, virtio-scsi, sr, sd and
#                        iso9660; its init prints the marker on the serial console,
#                        mounts the boot medium read-only and lists its files, powers off
#   readme.txt
#   tests/boot/make-boot-tree.sh OUT_DIR   -> OUT_DIR/tree (skipped when the inputs did not change)
set -euo pipefail
out=${1:?usage: make-boot-tree.sh OUT_DIR}
kernel=$(ls /lib/modules | sort -V | tail -1)
modules=(ata_piix sr_mod sd_mod isofs virtio_scsi virtio_pci)
fingerprint=$( { echo "$kernel"; cat "$0"; for f in /boot/vmlinuz-"$kernel" /usr/lib/ISOLINUX/isolinux.bin \
  /usr/lib/grub/x86_64-efi/linux.mod /bin/busybox; do stat -c '%n %s %Y' "$f"; done; } | md5sum)
if [ -f "$out/tree/boot/initrd.gz" ] && [ "$(cat "$out/inputs" 2>/dev/null)" = "$fingerprint" ]; then exit 0; fi
rm -rf "$out/tree" "$out/work"
tree=$out/tree work=$out/work
mkdir -p "$tree/isolinux" "$tree/boot/grub" "$work/root"

# ISOLINUX, starting the kernel with the console on the first serial port
# (no_timer_check: under TCG on a busy host the kernel's IO-APIC timer check
# can fail and panic before the initramfs runs).
cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$tree/isolinux/"
cat >"$tree/isolinux/isolinux.cfg" <<'CFG'
DEFAULT linux
PROMPT 0
TIMEOUT 0
LABEL linux
  KERNEL /boot/vmlinuz
  APPEND initrd=/boot/initrd.gz console=ttyS0 quiet panic=-1 no_timer_check
CFG
cp "/boot/vmlinuz-$kernel" "$tree/boot/vmlinuz"

# GRUB for UEFI: finds the medium that holds the kernel (CD or disk), boots it.
cat >"$work/grub.cfg" <<'CFG'
set timeout=0
search --no-floppy --set=root --file /boot/vmlinuz
linux /boot/vmlinuz console=ttyS0 quiet panic=-1 no_timer_check
initrd /boot/initrd.gz
boot
CFG
grub_modules="part_gpt part_msdos fat iso9660 search search_fs_file linux normal configfile echo all_video"
grub-mkstandalone -O x86_64-efi -o "$work/BOOTX64.EFI" --modules="$grub_modules" \
  --install-modules="$grub_modules efi_gop efi_uga video video_fb gzio" --locales= --fonts= --themes= \
  "boot/grub/grub.cfg=$work/grub.cfg"
mkfs.vfat -C "$tree/boot/grub/efi.img" 2880 >/dev/null
mmd -i "$tree/boot/grub/efi.img" ::/EFI ::/EFI/BOOT
mcopy -i "$tree/boot/grub/efi.img" "$work/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
echo "a bootable disc mastered by discmaster" >"$tree/readme.txt"

# The initramfs.
root=$work/root
mkdir -p "$root"/{bin,proc,sys,dev,mnt,lib/modules}
cp /bin/busybox "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"; done
for m in "${modules[@]}"; do modprobe -S "$kernel" --show-depends "$m"; done | awk '$1 == "insmod" && !seen[$2]++ {print $2}' |
  while read -r ko; do cp "$ko" "$root/lib/modules/"; basename "$ko" >>"$root/lib/modules/order"; done
cat >"$root/init" <<'INIT'
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
echo "DISCMASTER-BOOT-MARKER: kernel $(uname -r) is up"
for m in $(cat /lib/modules/order); do insmod /lib/modules/$m 2>/dev/null; done
# The medium it booted from: a CD (sr) or the image as a disk (sd).
for i in $(seq 1 150); do [ -b /dev/sr0 ] || [ -b /dev/sda ] && break; sleep 0.1; done
sleep 1
echo "DISCMASTER-DEVICES: $(ls /dev/sr* /dev/sd* 2>/dev/null | tr '\n' ' ')"
for d in /dev/sr* /dev/sda; do
  [ -b $d ] || continue
  if mount -t iso9660 -o ro $d /mnt; then
    echo "DISCMASTER-FILES $d: $(cd /mnt && find . -type f | sort | tr '\n' ' ')"
    umount /mnt
  fi
done
echo "DISCMASTER-BOOT-DONE"
poweroff -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$tree/boot/initrd.gz"
echo "$fingerprint" >"$out/inputs"
echo "boot tree: $tree ($(du -sh "$tree" | cut -f1)), kernel $kernel"
