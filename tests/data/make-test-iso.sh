#!/bin/sh
# make-test-iso.sh SRCDIR OUTDIR [PYTHON]
#
# Builds the host-side data of the conformance tests in OUTDIR, laid out
# like libguestfs's test-data/ directory (tests/data/README.md says what
# each file is):
#
#   OUTDIR/files/        stored files (copied from SRCDIR/files) + generated ones
#   OUTDIR/binaries/     header-only architecture samples (make-fake-binaries.py)
#   OUTDIR/blank-disks/  seven small raw/qcow2 images (qemu-img)
#   OUTDIR/test.iso      everything above, flat, plus directory/ and
#                        abssymlink -> /10klines (genisoimage -J -r)
#
# SRCDIR is tests/data in the source tree.  Needs genisoimage, qemu-img,
# cpio, gzip, xz.
set -eu

src=$1
out=$2
python=${3:-python3}

for prog in genisoimage qemu-img cpio gzip xz; do
  if ! command -v "$prog" >/dev/null 2>&1; then
    echo "make-test-iso.sh: $prog is needed to build the test data (Debian: apt-get install genisoimage qemu-utils cpio xz-utils)" >&2
    exit 1
  fi
done

mkdir -p "$out"
out=$(cd "$out" && pwd)
src=$(cd "$src" && pwd)
files=$out/files
bins=$out/binaries
blank=$out/blank-disks
root=$out/iso-root
rm -rf "$files" "$bins" "$blank" "$root" "$out/test.iso" "$out/test.iso.tmp"
mkdir -p "$files" "$bins" "$blank" "$root"

# Stored files.
for f in empty known-1 known-2 known-3 known-4 known-5 test-grep.txt minimal \
         helloworld.tar helloworld.tar.gz helloworld.tar.xz; do
  cp "$src/files/$f" "$files/$f"
  chmod 0644 "$files/$f"
done

# Architecture samples.
"$python" "$src/make-fake-binaries.py" "$bins"

# Generated files.
(
  cd "$files"
  dd if=/dev/zero of=100kallzeroes bs=1024 count=100 status=none
  tr '\0' '\n' < 100kallzeroes > 100kallnewlines
  tr '\0' ' ' < 100kallzeroes > 100kallspaces
  dd if=/dev/urandom of=100krandom bs=1024 count=100 status=none
  # 10000 lines "<n>abcdefghijklmnopqrstuvwxyz": checksum tests pin its hashes.
  seq 0 9999 | sed 's/$/abcdefghijklmnopqrstuvwxyz/' > 10klines
  echo hello | base64 > hello.b64
  gzip -9 -n -c test-grep.txt > test-grep.txt.gz
  gzip -9 -n -c "$bins/bin-x86_64-dynamic" > bin-x86_64-dynamic.gz
  xz -c "$bins/lib-i586.so" > lib-i586.so.xz

  # initrd: gzip'ed newc cpio of the known files, in this order.
  rm -rf initrd.d && mkdir initrd.d
  cp empty known-1 known-2 known-3 known-4 known-5 initrd.d/
  (cd initrd.d && printf '%s\n' empty known-1 known-2 known-3 known-4 known-5 |
     cpio --quiet -o -H newc) | gzip -9 -n > initrd
  rm -rf initrd.d

  # initrd-x86_64.img: newc cpio holding bin/nash, an x86-64 program.
  rm -rf initrd-x86_64.d && mkdir -p initrd-x86_64.d/bin
  cp "$bins/bin-x86_64-dynamic" initrd-x86_64.d/bin/nash
  (cd initrd-x86_64.d && echo bin/nash | cpio --quiet -o -H newc) > initrd-x86_64.img
  rm -rf initrd-x86_64.d
  gzip -9 -n -c initrd-x86_64.img > initrd-x86_64.img.gz
)

sum=$(md5sum < "$files/10klines" | cut -d' ' -f1)
if [ "$sum" != e20b00c2bc0543358d445035bb7f9a97 ]; then
  echo "make-test-iso.sh: 10klines has the wrong content (md5 $sum)" >&2
  exit 1
fi

# Blank disks (the library-side disk_* tests read them on the host).
(
  cd "$blank"
  q() { qemu-img create -q "$@"; }
  q -f raw blank-disk-1s.raw 512
  q -f qcow2 -o preallocation=metadata blank-disk-1s.qcow2 512
  q -f raw blank-disk-1K.raw 1K
  q -f qcow2 -o preallocation=metadata blank-disk-1K.qcow2 1K
  q -f raw blank-disk-1M.raw 1M
  q -f qcow2 -o preallocation=metadata blank-disk-1M.qcow2 1M
  q -f qcow2 -b blank-disk-1M.raw -F raw blank-disk-with-backing.qcow2
)

# The ISO: 56 files flat, an empty directory and an absolute symlink.
cp -p "$bins"/* "$root/"
for f in helloworld.tar helloworld.tar.gz helloworld.tar.xz empty \
         known-1 known-2 known-3 known-4 known-5 test-grep.txt minimal \
         100kallzeroes 100kallnewlines 100kallspaces 100krandom 10klines \
         bin-x86_64-dynamic.gz hello.b64 initrd initrd-x86_64.img \
         initrd-x86_64.img.gz lib-i586.so.xz test-grep.txt.gz; do
  cp -p "$files/$f" "$root/"
done
cp -p "$blank"/* "$root/"
mkdir "$root/directory"
ln -s /10klines "$root/abssymlink"

n=$(find "$root" -mindepth 1 -maxdepth 1 | wc -l)
if [ "$n" -ne 58 ]; then
  echo "make-test-iso.sh: the ISO root holds $n entries, expected 58" >&2
  exit 1
fi

genisoimage -quiet -J -r -o "$out/test.iso.tmp" "$root"
rm -rf "$root"
mv "$out/test.iso.tmp" "$out/test.iso"
