#!/bin/sh
# Makes the "fixed appliance" that the libguestfs library insists on
# before it launches $LIBGUESTFS_HV: it only reads the root image's UUID;
# guestfsd-hv never boots any of it.
set -e
out="$1"
mkdir -p "$out"
: > "$out/kernel"
: > "$out/initrd"
echo "dummy appliance for guestfsd-hv (host mode)" > "$out/README.fixed"
rm -f "$out/root"
truncate -s 4M "$out/root"
mkfs.ext2 -q -F "$out/root"
