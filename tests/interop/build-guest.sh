#!/bin/bash
# Builds the interop guest: Debian's kernel (linux-image-amd64) and an
# initramfs holding busybox, the burning programs (xorriso, wodim, growisofs,
# cdrdao, genisoimage, sg3-utils, dvd+rw-tools), our own tools, the kernel
# modules for virtio-scsi, sr, sg, iso9660, udf and 9p, and an init that runs
# /scenario/run.sh from a 9p share and powers off.
#   tests/interop/build-guest.sh OUT_DIR [OUR_TOOL...]
# Writes OUT_DIR/vmlinuz and OUT_DIR/initrd.gz; skips the work when the inputs
# did not change (OUT_DIR/inputs holds their fingerprint).
set -euo pipefail
out=${1:?usage: build-guest.sh OUT_DIR [TOOL...]}; shift
mkdir -p "$out"
kernel=$(ls /lib/modules | sort -V | tail -1)
programs=(xorriso wodim cdrecord growisofs cdrdao genisoimage mkisofs sg_inq sg_raw sg_turs sg_start isoinfo
          dvd+rw-mediainfo dvd+rw-format md5sum find sort)
fingerprint=$( { echo "$kernel"; cat "$0"; for p in "${programs[@]}" "$@"; do w=$(command -v "$p" || echo "$p"); [ -e "$w" ] && stat -c '%n %s %Y' "$(readlink -f "$w")"; done; } | md5sum)
if [ -f "$out/initrd.gz" ] && [ "$(cat "$out/inputs" 2>/dev/null)" = "$fingerprint" ]; then exit 0; fi

root=$(mktemp -d); trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,mnt,run,usr/bin,usr/local/bin,scenario,lib/modules/"$kernel"}
cp /bin/busybox "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"; done
# A program and every shared library it loads.
add_program() {
  local src dst=$2
  src=$(readlink -f "$1")
  cp "$src" "$root$dst"
  ldd "$src" 2>/dev/null | grep -o '/[^ ]*' | while read -r lib; do
    [ -f "$lib" ] || continue
    mkdir -p "$root$(dirname "$lib")"
    [ -e "$root$lib" ] || cp -L "$lib" "$root$lib"
  done
}
for p in "${programs[@]}"; do
  w=$(command -v "$p" || true)
  [ -n "$w" ] && add_program "$w" "/usr/bin/$p"
done
for t in "$@"; do add_program "$t" "/usr/local/bin/$(basename "$t")"; done
: >"$root/lib/modules/order"
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci scsi_common scsi_mod virtio_scsi \
         cdrom sr_mod sg isofs crc-itu-t udf netfs fscache 9pnet 9pnet_virtio 9p; do
  f=$(find "/lib/modules/$kernel/kernel" -name "$m.ko*" | head -1)
  [ -n "$f" ] || continue
  cp "$f" "$root/lib/modules/$kernel/"
  basename "$f" >>"$root/lib/modules/order"
done
cat >"$root/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev; mount -t tmpfs tmp /tmp
kernel=$(ls /lib/modules | grep -v order)
for m in $(cat /lib/modules/order); do
  case $m in *.xz) xz -dc /lib/modules/$kernel/$m >/tmp/m.ko && insmod /tmp/m.ko;; *) insmod /lib/modules/$kernel/$m;; esac 2>/dev/null
done
ln -s /proc/self/fd /dev/fd  # growisofs hands genisoimage the device as /dev/fd/N
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 scenario /scenario
want=$(cat /scenario/drives 2>/dev/null || echo 1)
for i in $(seq 1 300); do [ "$(ls /dev/sr* 2>/dev/null | wc -l)" -ge "$want" ] && break; sleep 0.1; done
export PATH=/usr/local/bin:/usr/bin:/bin:/sbin HOME=/tmp TERM=dumb
echo "=== guest: kernel $(uname -r), drives: $(ls /dev/sr* 2>/dev/null | tr '\n' ' ')"
sh /scenario/run.sh >/scenario/guest.log 2>&1
rc=$?
echo "$rc" >/scenario/exit
echo "=== scenario exit $rc"
sync; umount /scenario; poweroff -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$out/initrd.gz.tmp"
mv "$out/initrd.gz.tmp" "$out/initrd.gz"
cp "/boot/vmlinuz-$kernel" "$out/vmlinuz"
echo "$fingerprint" >"$out/inputs"
echo "interop guest: $out/initrd.gz ($(du -h "$out/initrd.gz" | cut -f1)), kernel $kernel"
