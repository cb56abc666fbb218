#!/bin/sh
# guestfish (Debian's, unchanged) through our guestfsd on a scratch disk:
# partition, mkfs, mount, write/cat, upload/download with checksums.
set -e
build="${1:-build}"
export LIBGUESTFS_BACKEND=direct
export LIBGUESTFS_HV="$build/tools/guestfsd-hv"
export LIBGUESTFS_PATH="$build/tools/appliance"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
truncate -s 512M "$tmp/disk.img"
head -c 64M /dev/urandom > "$tmp/in"
guestfish --format=raw -a "$tmp/disk.img" <<EOS
run

list-devices
part-disk /dev/sda mbr
mkfs ext4 /dev/sda1
mount /dev/sda1 /
write /hello "Hello from guestfsd"
cat /hello
mkdir-p /a/b/c
upload $tmp/in /a/b/c/blob
download /a/b/c/blob $tmp/out
ls /a/b/c
df-h
EOS
cmp "$tmp/in" "$tmp/out"
echo "upload/download round trip: identical ($(sha256sum < "$tmp/out" | cut -c1-16)...)"
