#!/bin/sh
# installed-host-mode.sh BUILDDIR SRCDIR
#
# Installs the build into a staging directory (meson install --destdir),
# hides the source and build trees behind empty tmpfs mounts in a private
# mount namespace, and runs a guestfish session on a scratch disk through
# the installed guestfsd-host: installed wrapper, guestfsd-hv, dummy
# appliance, daemon and library, and nothing else of ours.
set -eu
build=$(readlink -f "$1")
src=$(readlink -f "$2")
if [ "$(id -u)" != 0 ]; then
  echo "SKIP: needs root (loop devices, mount namespaces)"
  exit 77
fi
for p in guestfish unshare meson; do
  command -v "$p" >/dev/null || { echo "SKIP: $p not found"; exit 77; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gd-install-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/dest
meson install -C "$build" --destdir "$dest" --no-rebuild --quiet >"$tmp/install.log" 2>&1 || {
  cat "$tmp/install.log"
  echo "FAIL: meson install"
  exit 1
}

fail=0
npass=0
nfail=0
check() { # check DESCRIPTION COMMAND...: one line of the report
  what=$1
  shift
  if "$@"; then
    echo "PASS: $what"
    npass=$((npass + 1))
  else
    echo "FAIL: $what"
    nfail=$((nfail + 1))
    fail=1
  fi
}
find_one() { find "$dest" -path "*/$1" | head -n1; }
host=$(find_one bin/guestfsd-host)
hv=$(find_one libexec/guestfsd-hv)
check "guestfsd-host installed and executable" test -x "$host"
check "guestfsd-hv installed and executable" test -x "$hv"
check "dummy appliance installed" test -s "$(find_one share/guestfsd/appliance/root)"
check "guestfsd-host(1) installed" test -f "$(find_one man1/guestfsd-host.1)"
# No installed text file names the source or build tree.
check "no installed text file refers to the source or build tree" \
  sh -c '! grep -rIlF -e "$1" -e "$2" "$3"' sh "$src" "$build" "$dest"
check "guestfsd-hv runs the installed daemon path" \
  grep -q "/sbin/guestfsd\"" "$hv"
check "guestfsd-host --version" sh -c '"$1" --version | grep -q "^guestfsd-host (libguestfsd) "' sh "$host"
check "guestfsd-host --env points into the staging directory" \
  sh -c '"$1" --env | grep -q "^export LIBGUESTFS_HV='"'"'$2"' sh "$host" "$hv"

# The session, with both trees hidden.  PATH has only system directories.
truncate -s 256M "$tmp/disk.img"
head -c 3M /dev/urandom >"$tmp/in"
cat >"$tmp/session.sh" <<EOS
set -e
mount -t tmpfs -o size=1M,mode=0 gd-hidden "$src"
case "$build" in "$src"/*) ;; *) mount -t tmpfs -o size=1M,mode=0 gd-hidden "$build" ;; esac
cd /
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
unset GUESTFSD_BIN LIBGUESTFS_HV LIBGUESTFS_PATH LD_LIBRARY_PATH
"$host" guestfish --format=raw -a "$tmp/disk.img" <<'FISH'
run
part-disk /dev/sda mbr
mkfs ext4 /dev/sda1
mount /dev/sda1 /
mkdir-p /a/b
write /a/b/hello "hello from the installed guestfsd"
cat /a/b/hello
upload $tmp/in /a/b/blob
download /a/b/blob $tmp/out
checksum sha256 /a/b/blob
umount-all
FISH
EOS
check "guestfish session through the installed files" \
  sh -c 'unshare --mount --propagation private sh "$1" >"$2" 2>&1' sh "$tmp/session.sh" "$tmp/session.out"
sed 's/^/  | /' "$tmp/session.out"
check "session output" grep -qx "hello from the installed guestfsd" "$tmp/session.out"
check "upload/download round trip" cmp -s "$tmp/in" "$tmp/out"
check "checksum from the daemon" grep -qx "$(sha256sum <"$tmp/in" | cut -d' ' -f1)" "$tmp/session.out"
echo "$npass passed, $nfail failed, 0 skipped"
exit $fail
