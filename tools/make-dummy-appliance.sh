#!/bin/sh
# Makes the "fixed appliance" that the libguestfs library insists on
# before it launches $LIBGUESTFS_HV: it only reads the root image's UUID;
# guestfsd-hv never boots any of it.
#
#   make-dummy-appliance.sh DIR             (the build tree's tools/appliance)
#   make-dummy-appliance.sh --install DIR   (meson install script: DIR under $DESTDIR)
#
# The image is the same at every build (fixed UUID, hash seed and time), so
# packages built from the tree are reproducible.
set -e
if [ "$1" = --install ]; then
  out="${DESTDIR:-}$2"
  [ -z "${MESON_INSTALL_QUIET:-}" ] && echo "Installing dummy appliance to $out"
else
  out="$1"
fi
PATH=$PATH:/usr/sbin:/sbin
mkdir -p "$out"
: > "$out/kernel"
: > "$out/initrd"
echo "dummy appliance for guestfsd-hv (host mode)" > "$out/README.fixed"
rm -f "$out/root"
truncate -s 1M "$out/root"
E2FSPROGS_FAKE_TIME=${SOURCE_DATE_EPOCH:-1577836800} \
  mkfs.ext2 -q -F -U 6f1b6a1c-9f6e-4c4e-9d7e-67756573746b \
  -E hash_seed=6f1b6a1c-9f6e-4c4e-9d7e-67756573746b,root_owner=0:0 \
  -L guestfsd-dummy "$out/root"
