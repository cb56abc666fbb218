#!/bin/bash
# Builds the differential harness's disk images, reproducibly: fixed disk
# and partition GUIDs, filesystem UUIDs, labels, hash seeds, creation and
# file times, created in a fixed order (so inode numbers and directory
# order repeat too).  Runs as root in its own mount namespace, on loop
# devices over the image files only.
#
#   mkimages.sh OUTDIR        -> OUTDIR/multi.img, OUTDIR/small.img
#
# multi.img: a GPT disk with vfat (1), ext2 (2), ext4 (3, the files that
# stress tools), swap (4), xfs (5).  small.img: an MBR disk, one ext4.
set -euo pipefail
out=$1
mkdir -p "$out"
if [ -z "${GDDIFF_IN_NS:-}" ]; then
  GDDIFF_IN_NS=1 exec unshare -m --propagation private "$0" "$@"
fi
export E2FSPROGS_FAKE_TIME=1700000000
export TZ=UTC LC_ALL=C.UTF-8
T=@1700000000
tmp=$(mktemp -d /tmp/gddiff-mk.XXXXXX)
cleanup() {
  set +e
  umount "$tmp/m" 2>/dev/null
  rm -rf "$tmp"
}
mkdir "$tmp/m"
# Loop devices made, one per line, for the cleanup.
cleanup_loops() {
  [ -f "$tmp/loops" ] || return 0
  while read -r l; do losetup -d "$l" 2>/dev/null || true; done < "$tmp/loops"
  rm -f "$tmp/loops"
}
trap 'cleanup_loops; cleanup' EXIT

# partloop IMAGE N: a loop device over partition N of IMAGE (by offset: no
# partition scanning, which host kernels may not do for loop devices).
partloop() {
  local start size l
  read -r start size < <(sfdisk -d "$1" | sed -n "s/^[^ ]*$2 : start= *\([0-9]*\), size= *\([0-9]*\),.*/\1 \2/p")
  l=$(losetup -f --show -o $((start * 512)) --sizelimit $((size * 512)) "$1")
  echo "$l" >> "$tmp/loops"
  echo "$l"
}

settimes() { # every file under $1, deepest first, links themselves
  find "$1" -depth -exec touch -h -d "$T" {} +
}

# ---- multi.img -------------------------------------------------------------
img=$out/multi.img.new
rm -f "$img"
truncate -s 560M "$img"
sgdisk -U 11111111-2222-3333-4444-555555555555 \
  -n 1:2048:+32M -t 1:ef00 -c 1:"EFI System" -u 1:aaaaaaaa-0000-0000-0000-000000000001 \
  -n 2:0:+32M -t 2:8300 -c 2:"boot part" -u 2:aaaaaaaa-0000-0000-0000-000000000002 \
  -n 3:0:+128M -t 3:8300 -c 3:data -u 3:aaaaaaaa-0000-0000-0000-000000000003 \
  -n 4:0:+16M -t 4:8200 -c 4:swap -u 4:aaaaaaaa-0000-0000-0000-000000000004 \
  -n 5:0:+320M -t 5:8300 -c 5:xfsdata -u 5:aaaaaaaa-0000-0000-0000-000000000005 \
  "$img" >/dev/null
p1=$(partloop "$img" 1); p2=$(partloop "$img" 2); p3=$(partloop "$img" 3)
p4=$(partloop "$img" 4); p5=$(partloop "$img" 5)

# No vfat in every host kernel: mtools writes the files, keeping the
# sources' fixed times (mcopy -m).
mkfs.vfat -i 1234ABCD -n EFI --invariant "$p1" >/dev/null
src=$tmp/vfat
mkdir -p "$src/EFI/BOOT" "$src/Long Directory Name"
head -c 20000 /dev/zero | tr '\0' 'E' > "$src/EFI/BOOT/BOOTX64.EFI"
printf 'vfat text\r\n' > "$src/Long Directory Name/Mixed Case File.TXT"
printf 'short\n' > "$src/README.TXT"
settimes "$src"
export MTOOLS_SKIP_CHECK=1
mcopy -s -m -i "$p1" "$src/EFI" "$src/Long Directory Name" "$src/README.TXT" ::/

mkfs.ext2 -q -F -U 22222222-0000-0000-0000-000000000002 -L boot \
  -E hash_seed=22222222-0000-0000-0000-0000000000ff "$p2"
mount "$p2" "$tmp/m"
mkdir -p "$tmp/m/grub"
printf 'set timeout=5\nmenuentry "Debian" {\n  linux /vmlinuz root=LABEL=data\n}\n' \
  > "$tmp/m/grub/grub.cfg"
head -c 70000 /dev/zero | tr '\0' 'K' > "$tmp/m/vmlinuz-6.1.0-test"
printf 'CONFIG_EXT4_FS=y\nCONFIG_XFS_FS=m\n' > "$tmp/m/config-6.1.0-test"
ln -s vmlinuz-6.1.0-test "$tmp/m/vmlinuz"
settimes "$tmp/m"
umount "$tmp/m"

mkfs.ext4 -q -F -U 33333333-0000-0000-0000-000000000003 -L data \
  -E hash_seed=33333333-0000-0000-0000-0000000000ff "$p3"
mount "$p3" "$tmp/m"
d=$tmp/m
mkdir -p "$d/etc" "$d/home/user" "$d/dir with spaces" "$d/srv/tree"
printf 'root:x:0:0:root:/root:/bin/bash\nuser:x:1000:1000:User:/home/user:/bin/sh\n' > "$d/etc/passwd"
printf 'root:x:0:\nuser:x:1000:\n' > "$d/etc/group"
printf 'data-host\n' > "$d/etc/hostname"
printf 'LABEL=data / ext4 defaults 0 1\nLABEL=boot /boot ext2 defaults 0 2\n' > "$d/etc/fstab"
seq 1 2000 > "$d/etc/numbers"
printf 'hello world\nsecond line\n' > "$d/home/user/notes.txt"
printf 'x\n' > "$d/-dash-first"
printf 'spaces\n' > "$d/dir with spaces/file with spaces"
printf 'quotes\n' > "$d/dir with spaces/it's \"quoted\""
printf 'newline\n' > "$d/dir with spaces/new
line"
printf 'utf8\n' > "$d/caf\xc3\xa9 \xc3\xbc \xe6\x97\xa5\xe6\x9c\xac"
printf '#!/bin/sh\necho setuid\n' > "$d/setuid.sh"
chmod 4755 "$d/setuid.sh"
printf 'private\n' > "$d/home/user/private"
chmod 600 "$d/home/user/private"
chown -R 1000:1000 "$d/home/user"
printf 'linked\n' > "$d/srv/a"
ln "$d/srv/a" "$d/srv/a-hard"
ln -s /etc/passwd "$d/abs-link"
ln -s ../etc/hostname "$d/srv/rel-link"
ln -s /nowhere "$d/dangling"
ln -s srv "$d/dirlink"
mkfifo "$d/srv/fifo"
mknod "$d/srv/null" c 1 3
mknod "$d/srv/loop9" b 7 9
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$d/srv/sock"
printf 'xattr\n' > "$d/srv/xattrs"
setfattr -n user.zeta -v last "$d/srv/xattrs"
setfattr -n user.alpha -v first "$d/srv/xattrs"
setfattr -n user.mid -v 0x00ff00 "$d/srv/xattrs"
printf 'acl\n' > "$d/srv/acl"
setfacl -m u:1000:rwx,g:1000:r-x "$d/srv/acl"
setfacl -d -m u:1000:rwx "$d/srv/tree"
truncate -s 64M "$d/srv/sparse"
printf 'middle of sparse' | dd of="$d/srv/sparse" bs=1 seek=$((32 * 1024 * 1024)) conv=notrunc status=none
python3 -c '
import random, sys
r = random.Random(42)
open(sys.argv[1], "wb").write(bytes(r.getrandbits(8) for _ in range(3 * 1024 * 1024)))
' "$d/srv/random.bin"
p=$d/srv/tree
for i in $(seq -w 1 25); do p=$p/level-$i; done
mkdir -p "$p"
printf 'deep\n' > "$p/leaf"
gzip -n -c "$d/etc/numbers" > "$d/srv/numbers.gz"
settimes "$d"
umount "$tmp/m"

mkswap -q -U 44444444-0000-0000-0000-000000000004 -L swap "$p4"

mkfs.xfs -q -f -m uuid=55555555-0000-0000-0000-000000000005 -L xfsdata "$p5"
mount "$p5" "$tmp/m"
mkdir -p "$tmp/m/projects/alpha" "$tmp/m/projects/beta"
printf 'alpha\n' > "$tmp/m/projects/alpha/README"
printf 'beta\n' > "$tmp/m/projects/beta/README"
ln "$tmp/m/projects/alpha/README" "$tmp/m/projects/alpha-readme"
setfattr -n user.project -v alpha "$tmp/m/projects/alpha"
seq 1 500 > "$tmp/m/count"
settimes "$tmp/m"
umount "$tmp/m"
cleanup_loops
mv "$img" "$out/multi.img"

# ---- small.img -------------------------------------------------------------
img=$out/small.img.new
rm -f "$img"
truncate -s 64M "$img"
printf 'label: dos\nlabel-id: 0x12345678\n2048,,83,*\n' | sfdisk -q "$img"
p1=$(partloop "$img" 1)
mkfs.ext4 -q -F -U 66666666-0000-0000-0000-000000000006 -L small \
  -E hash_seed=66666666-0000-0000-0000-0000000000ff "$p1"
mount "$p1" "$tmp/m"
mkdir -p "$tmp/m/etc" "$tmp/m/data"
printf 'small-host\n' > "$tmp/m/etc/hostname"
printf 'one\ntwo\nthree\n' > "$tmp/m/data/three-lines"
settimes "$tmp/m"
umount "$tmp/m"
cleanup_loops
mv "$img" "$out/small.img"
