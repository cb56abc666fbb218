#!/bin/sh
# Installs what building and testing libguestfsd needs on Debian 12.
set -e
# Root is needed (apt-get, loop devices, mounts): as a user, run again
# through sudo; as root (where sudo may not even be installed), go on.
if [ "$(id -u)" != 0 ]; then
  if ! command -v sudo >/dev/null; then
    echo "$0: needs root, and sudo is not installed: run it as root" >&2
    exit 1
  fi
  exec sudo -- /bin/sh "$0" "$@"
fi
export DEBIAN_FRONTEND=noninteractive
# Build.
BUILD="meson ninja-build gcc pkg-config python3 rpcsvc-proto libtirpc-dev
  libglib2.0-dev gobject-introspection libgirepository1.0-dev libblkid-dev
  libarchive-dev libacl1-dev libcap-dev libmagic-dev libtsk-dev libaugeas-dev
  libhivex-dev librpm-dev libsystemd-dev libyara-dev libselinux1-dev libgnutls28-dev"
# The real libguestfs client and the qemu it probes; libguestfs-dev for the
# benchmark program (bench/gd-bench.c); qemu-system-common has the
# qemu-storage-daemon that serves qcow2 drives in host mode.
CLIENT="libguestfs0 libguestfs-dev guestfish python3-guestfs libguestfs-tools
  qemu-system-x86 qemu-system-common qemu-utils"
# Helper programs the handlers run, and test tools.
TOOLS="parted gdisk fdisk util-linux udev e2fsprogs xfsprogs btrfs-progs
  dosfstools ntfs-3g f2fs-tools squashfs-tools mtools genisoimage attr acl
  libcap2-bin zerofree scrub syslinux extlinux sleuthkit cpio tar gzip bzip2
  xz-utils lzop zstd file bsdextrautils uuid-runtime fuseiso fusefat
  exfat-fuse python3-gi gir1.2-glib-2.0 gjs man-db rsync libhivex-bin rpm
  policycoreutils systemd-journal-remote yara grub-pc-bin gnutls-bin"
# Benchmarks (bench/tools, bench/fleet): FUSE mounts, a Debian 12 image
# built at bench time, plots.
BENCH="guestmount debootstrap python3-matplotlib"
# Building and booting the real appliance (tests/appliance/, tools/build-appliance.sh).
APPLIANCE="supermin linux-image-amd64"
# Building the Debian packages (debian/, tools/build-debs.sh), checking them,
# and installing them into a clean Debian 12 root (tools/test-debs.sh).
PACKAGING="debhelper dpkg-dev fakeroot lintian debootstrap"
# The container image (Containerfile, tools/build-container.sh; not run by CI).
CONTAINER="podman runc"
apt-get update -qq
# The client with its recommends, as a libguestfs user has it.
# shellcheck disable=SC2086
apt-get install -y -qq $CLIENT $APPLIANCE >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $BUILD $TOOLS $BENCH $PACKAGING $CONTAINER >/dev/null
# supermin builds the appliance from the host's installed packages.
packages=/usr/lib/x86_64-linux-gnu/guestfs/supermin.d/packages
if [ -f "$packages" ]; then
  # shellcheck disable=SC2046
  apt-get install -y -qq --no-install-recommends $(cat "$packages") >/dev/null
fi
