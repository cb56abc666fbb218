#!/bin/sh
# test-debs.sh [--debs DIR] [--appliance] [--keep]
#
# Builds the Debian packages of this tree (tools/build-debs.sh), checks
# them with lintian (any E: or W: tag fails), installs them with apt into
# a clean Debian 12 root made by debootstrap, and runs a guestfish session
# on a scratch disk in host mode from the installed packages only:
# `guestfsd-host guestfish ...` inside the root, nothing from the tree.
#
#   --debs DIR    use the .deb files of DIR instead of building them
#   --appliance   also install libguestfsd-appliance and a kernel, and boot
#                 the real libguestfs appliance with our daemon (TCG: a few
#                 minutes; CI runs it, through the debs suite)
#   --keep        keep the root (prints where)
#
# The minimal root is cached as a tarball in /var/cache/libguestfsd by
# tools/debian-root.sh (debootstrap's downloads come from apt's own cache
# when the host has them).  Needs root, debootstrap, and the Debian mirror of
# /etc/apt/sources.list.d.  Everything is mounted in a private mount
# namespace; the root's /dev is the host's (for loop devices).
set -eu
prog=test-debs.sh

if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null; then
        exec sudo -- /bin/sh "$0" "$@"
    fi
    echo "$prog: needs root (debootstrap, chroot, loop devices)" >&2
    exit 1
fi

debs=
appliance=no
keep=no
while [ $# -gt 0 ]; do
    case "$1" in
    --debs) debs=$(readlink -f "$2"); shift 2 ;;
    --appliance) appliance=yes; shift ;;
    --keep) keep=yes; shift ;;
    -h | --help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "$prog: unknown argument $1" >&2; exit 2 ;;
    esac
done
cd "$(dirname "$0")/.."


t0=$(date +%s)
step() { echo "$prog: [$(($(date +%s) - t0)) s] $*"; }
npass=0
nfail=0
pass() {
    echo "$prog: PASS: $*"
    npass=$((npass + 1))
}
fail() {
    echo "$prog: FAIL: $*"
    nfail=$((nfail + 1))
}

tmp=$(mktemp -d /var/tmp/test-debs.XXXXXX)
root_pid=
cleanup() {
    # debootstrap may still be writing into $tmp.
    [ -z "$root_pid" ] || wait "$root_pid" 2>/dev/null || true
    if [ "$keep" = yes ]; then
        echo "$prog: kept $tmp/root"
    else
        rm -rf "$tmp"
    fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# 1. A clean Debian 12 root (tools/debian-root.sh: debootstrap, cached),
#    made in the background while the packages build.
root=$tmp/root
mkdir -p "$root"
make_root() {
    base=$(tools/debian-root.sh) || return 1
    step "unpacking the Debian 12 root ($base)"
    tar -xf "$base" -C "$root"
}
make_root &
root_pid=$!

# 2. Packages.
if [ -z "$debs" ]; then
    step "building the packages"
    debs=$tmp/debs
    # No -dbgsym packages: nothing here installs them.
    DEB_BUILD_OPTIONS="nocheck noautodbgsym parallel=$(nproc)" tools/build-debs.sh "$debs"
fi
ls "$debs"/libguestfsd-bin_*.deb >/dev/null

# 3. lintian: only the tags debian/README.source explains (overridden).
if command -v lintian >/dev/null; then
    step "lintian"
    lintian --pedantic "$debs"/*.deb >"$tmp/lintian.txt" 2>&1 || true
    sed -n '/^[EW]: /p' "$tmp/lintian.txt" >"$tmp/lintian-bad.txt"
    if [ -s "$tmp/lintian-bad.txt" ]; then
        cat "$tmp/lintian-bad.txt"
        fail "lintian reports the tags above (fix them, or explain them in debian/README.source and override them)"
    else
        pass "lintian: no error or warning tag"
    fi
else
    echo "$prog: lintian not installed: not checking the packages"
fi

wait "$root_pid" || {
    echo "$prog: FAIL: debootstrap"
    exit 1
}
# dpkg without fsync and without documentation: this root is thrown away.
cat >"$root/etc/dpkg/dpkg.cfg.d/test-debs" <<EOF
force-unsafe-io
path-exclude=/usr/share/doc/*
path-exclude=/usr/share/man/*
path-exclude=/usr/share/locale/*
path-exclude=/usr/share/info/*
EOF
# The host's Debian sources (updates and security too, so that apt's cache
# of the host serves most downloads).
rm -f "$root/etc/apt/sources.list"
tools/debian-root.sh --sources >"$root/etc/apt/sources.list.d/debian.sources"
mkdir -p "$root/debs"
cp "$debs"/*.deb "$root/debs/"
rm -f "$root"/debs/*-dbgsym_*.deb
truncate -s 256M "$root/tmp/disk.img"
head -c 3M /dev/urandom >"$root/tmp/in"

# 4. Inside the root (in a private mount namespace): apt install, then
#    the session.  Nothing of the tree is visible in there.
pkgs="./debs/libguestfsd0_*.deb ./debs/libguestfsd-bin_*.deb ./debs/gir1.2-guestfsd-0_*.deb ./debs/libguestfsd-dev_*.deb guestfish python3-gi"
if [ "$appliance" = yes ]; then
    pkgs="$pkgs ./debs/libguestfsd-appliance_*.deb linux-image-amd64"
fi
cat >"$root/test.sh" <<EOF
set -e
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
cd /
echo "$prog: [\$((\$(date +%s) - $t0)) s] apt-get install $pkgs"
apt-get update -qq
# Pretend-start no services in the root.
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
chmod +x /usr/sbin/policy-rc.d
apt-get install -y -qq --no-install-recommends $pkgs >/tmp/apt.log 2>&1 || { tail -n 40 /tmp/apt.log; exit 1; }
dpkg -l 'libguestfsd*' 'gir1.2-guestfsd*' | grep '^ii'
echo "$prog: [\$((\$(date +%s) - $t0)) s] guestfish session through guestfsd-host"
guestfsd-host guestfish --format=raw -a /tmp/disk.img <<'FISH'
run
part-disk /dev/sda mbr
mkfs ext4 /dev/sda1
mount /dev/sda1 /
mkdir-p /a/b
write /a/b/hello "hello from the packaged guestfsd"
cat /a/b/hello
upload /tmp/in /a/b/blob
download /a/b/blob /tmp/out
checksum sha256 /a/b/blob
umount-all
FISH
cmp /tmp/in /tmp/out
echo "upload/download round trip: identical"
python3 -c 'import gi; gi.require_version("Guestfsd", "0"); from gi.repository import Guestfsd; print("typelib: Guestfsd", Guestfsd._version)'
if [ "$appliance" = yes ]; then
    echo "$prog: [\$((\$(date +%s) - $t0)) s] the real appliance with our daemon (TCG)"
    export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg
    export LIBGUESTFS_PATH=/usr/lib/\$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)/guestfsd
    export LIBGUESTFS_CACHEDIR=/var/tmp
    guestfish --format=raw -a /tmp/disk.img <<'FISH'
run
mount /dev/sda1 /
cat /a/b/hello
debug sh "ldd /usr/sbin/guestfsd"
FISH
fi
EOF
# apt's downloads of the host, hard-linked (no lock shared with the host's apt).
cp -l /var/cache/apt/archives/*.deb "$root/var/cache/apt/archives/" 2>/dev/null || true
step "installing the packages into the clean root"
rc=0
unshare --mount --propagation private sh -c '
    set -e
    root=$1
    # / must be a mount point for unshare --propagation (guestfsd-hv).
    mount --bind "$root" "$root"
    mount --rbind /dev "$root/dev"
    mount -t proc proc "$root/proc"
    mount --rbind /sys "$root/sys"
    mount -t tmpfs tmpfs "$root/run"
    cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
    exec chroot "$root" /bin/sh /test.sh
' sh "$root" >"$tmp/session.out" 2>&1 || rc=$?
cat "$tmp/session.out"
if [ "$rc" = 0 ]; then
    pass "apt install of the packages and the test in the root"
else
    fail "the test in the root exited with status $rc"
fi
if grep -qx "hello from the packaged guestfsd" "$tmp/session.out" &&
    grep -qx "upload/download round trip: identical" "$tmp/session.out" &&
    grep -qx "$(sha256sum <"$root/tmp/in" | cut -d' ' -f1)" "$tmp/session.out"; then
    pass "guestfish through the installed packages (host mode)"
else
    fail "guestfish through the installed packages (host mode)"
fi
if [ "$appliance" = yes ]; then
    if [ "$(grep -cx "hello from the packaged guestfsd" "$tmp/session.out")" = 2 ] &&
        grep -q "libguestfsd.so.0 => /" "$tmp/session.out"; then
        pass "the appliance from libguestfsd-appliance boots our daemon"
    else
        fail "the appliance from libguestfsd-appliance"
    fi
fi
step "done"
echo "$npass passed, $nfail failed, 0 skipped"
[ "$nfail" = 0 ]
