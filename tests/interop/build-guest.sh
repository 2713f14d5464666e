#!/bin/bash
# Builds the interop guest: Debian's kernel (linux-image-amd64) and an
# initramfs holding busybox, the burning programs (xorriso, wodim, growisofs,
# cdrdao, genisoimage, sg3-utils, dvd+rw-tools), open-iscsi (iscsid,
# iscsiadm), udev's daemon with its persistent-storage rules, lsscsi, our own
# tools (master-burn, master-info, master-drive), the kernel modules for
# virtio-scsi, virtio-net, sr, sg, iso9660, udf, 9p and the kernel's iSCSI
# initiator (iscsi_tcp), and an init that runs /scenario/run.sh from a 9p
# share and powers off.
#   tests/interop/build-guest.sh BUILD_DIR
# Writes BUILD_DIR/interop-guest/vmlinuz and initrd.gz; skips the work when
# the inputs did not change (interop-guest/inputs holds their fingerprint).
set -euo pipefail
build=${1:?usage: build-guest.sh BUILD_DIR}
out=$build/interop-guest
mkdir -p "$out"
exec 9>"$out/lock"; flock 9  # the interop tests may be started side by side
kernel=$(ls /lib/modules | sort -V | tail -1)
programs=(xorriso wodim cdrecord growisofs cdrdao genisoimage mkisofs sg_inq sg_raw sg_turs sg_start sg_vpd isoinfo
          dvd+rw-mediainfo dvd+rw-format md5sum find sort iscsid iscsiadm lsscsi udevadm)
tools=("$build/tools/master-burn" "$build/tools/master-info" "$build/tools/master-drive")
udev_helpers=(/lib/udev/scsi_id)
udev_rules=(/lib/udev/rules.d/60-persistent-storage.rules)
fingerprint=$( { echo "$kernel"; cat "$0"; cat /etc/iscsi/iscsid.conf "${udev_rules[@]}";
  for p in "${programs[@]}" "${tools[@]}" "${udev_helpers[@]}"; do
    w=$(command -v "$p" || echo "$p"); [ -e "$w" ] && stat -c '%n %s %Y' "$(readlink -f "$w")"; done; } | md5sum)
if [ -f "$out/initrd.gz" ] && [ "$(cat "$out/inputs" 2>/dev/null)" = "$fingerprint" ]; then exit 0; fi

root=$(mktemp -d); trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,etc/iscsi,etc/udev,proc,sys,dev,tmp,mnt,run,var/lock,usr/bin,usr/local/bin,scenario} \
         "$root"/lib/{modules/"$kernel",udev/rules.d,systemd}
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
for t in "${tools[@]}"; do add_program "$t" "/usr/local/bin/$(basename "$t")"; done
# udev: the daemon is udevadm under another name; scsi_id names SCSI disks
# and recorders under /dev/disk/by-id from their device identification VPD
# page. Only the persistent-storage rules: cdrom_id's rules would lock the
# trays that the scenarios eject.
ln -s /usr/bin/udevadm "$root/lib/systemd/systemd-udevd"
for h in "${udev_helpers[@]}"; do [ -e "$h" ] && add_program "$h" "$h"; done
for r in "${udev_rules[@]}"; do [ -e "$r" ] && cp "$r" "$root$r"; done
# open-iscsi: Debian's defaults, a name of the guest's own, and the root
# entry iscsid insists on.
cp /etc/iscsi/iscsid.conf "$root/etc/iscsi/"
echo "InitiatorName=iqn.1993-08.org.debian:01:interop-guest" >"$root/etc/iscsi/initiatorname.iscsi"
echo "root:x:0:0:root:/tmp:/bin/sh" >"$root/etc/passwd"
echo "root:x:0:" >"$root/etc/group"
: >"$root/lib/modules/order"
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci scsi_common scsi_mod virtio_scsi \
         cdrom sr_mod sg isofs crc-itu-t udf netfs fscache 9pnet 9pnet_virtio 9p \
         failover net_failover virtio_net crc32c_generic scsi_transport_iscsi libiscsi libiscsi_tcp iscsi_tcp; do
  f=$(find "/lib/modules/$kernel/kernel" -name "$m.ko*" | head -1)
  [ -n "$f" ] || continue
  cp "$f" "$root/lib/modules/$kernel/"
  basename "$f" >>"$root/lib/modules/order"
done
cat >"$root/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev; mount -t tmpfs tmp /tmp
mount -t tmpfs run /run; mkdir -p /run/lock  # iscsiadm locks its records there
kernel=$(ls /lib/modules | grep -v order)
for m in $(cat /lib/modules/order); do
  case $m in *.xz) xz -dc /lib/modules/$kernel/$m >/tmp/m.ko && insmod /tmp/m.ko;; *) insmod /lib/modules/$kernel/$m;; esac 2>/dev/null
done
ln -s /proc/self/fd /dev/fd  # growisofs hands genisoimage the device as /dev/fd/N
ip link set lo up
# QEMU's user-mode network (run-guest.sh --relay): the guest is 10.0.2.15
if [ -e /sys/class/net/eth0 ]; then ip addr add 10.0.2.15/24 dev eth0; ip link set eth0 up; fi
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
