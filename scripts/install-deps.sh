#!/bin/bash
# Install what discmaster needs on Debian 12 (as root): build tools, libraries,
# and the third-party programs the tests judge our output with. Installs only
# what is missing, so a second run costs a second.
set -euo pipefail
packages=(
  # build
  g++ cmake ninja-build pkg-config clang libclang-rt-14-dev
  libfuse3-dev fuse3 libboost-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev
  libiscsi-dev nlohmann-json3-dev libssl-dev libudfread-dev libxxhash-dev libsystemd-dev scdoc
  # third-party readers, writers and initiators the tests use
  xorriso genisoimage 7zip udftools libcdio-utils libiscsi-bin tgt fuseiso
  wodim growisofs dvd+rw-tools cdrdao sg3-utils
  # the interop guest (tests/interop): a Debian kernel under QEMU
  qemu-system-x86 qemu-block-extra linux-image-amd64 busybox-static cpio
  # its kernel-initiator leg: open-iscsi, udev and lsscsi copied into the guest, socat as the forward
  open-iscsi udev lsscsi socat
  # bootable discs (docs/boot.md, tests/boot): boot loaders, firmware, FAT and partition tools
  isolinux syslinux-common ovmf grub-efi-amd64-bin grub-common mtools dosfstools fdisk
  # measuring (bench/)
  time hyperfine
  # packaging (tests/packaging, scripts/package-test.sh)
  jq groff-base man-db bash-completion systemd debhelper dpkg-dev fakeroot lintian
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
