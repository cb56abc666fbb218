#!/bin/sh
# build-appliance.sh: build a libguestfs "fixed appliance" (kernel, initrd,
# root, README.fixed) that runs our guestfsd instead of the distribution's.
#
#   build-appliance.sh [options] OUTDIR GUESTFSD [LIBGUESTFSD.so]
#
# It starts from the supermin input the libguestfs package ships
# (supermin.d: base image, init script, package lists, daemon.tar.gz),
# replaces usr/sbin/guestfsd in daemon.tar.gz with GUESTFSD, puts
# LIBGUESTFSD.so (if the daemon links it) in the library path, adds the
# packages holding every library the two link, and runs
# `supermin --build --format ext2 --copy-kernel`.  The library boots the
# result unchanged:
#
#   LIBGUESTFS_BACKEND=direct LIBGUESTFS_PATH=OUTDIR guestfish -a disk.img run
#
# Options:
#   --supermin-d DIR    supermin input to start from
#                       (default: /usr/lib/x86_64-linux-gnu/guestfs/supermin.d)
#   --packages "A B"    extra packages to put in the appliance
#   --original          keep the distribution's guestfsd (for comparisons);
#                       GUESTFSD is then not needed
#   --force             rebuild even if the inputs have not changed
#   --supermin          write only OUTDIR/supermin.d (no supermin run): with
#                       LIBGUESTFS_PATH=OUTDIR the library builds the
#                       appliance itself and caches it in $LIBGUESTFS_CACHEDIR
#                       (/var/tmp/.guestfs-UID), as for its own appliance
#
# The build is skipped when OUTDIR already holds an appliance made from the
# same inputs (see OUTDIR/stamp).  Needs root (supermin reads the host's
# package files) and the supermin and linux-image-* packages.

set -eu

prog="build-appliance.sh"
supermin_d=/usr/lib/x86_64-linux-gnu/guestfs/supermin.d
extra_packages=
original=no
force=no
supermin_only=no

die() {
    echo "$prog: $*" >&2
    exit 1
}

while [ $# -gt 0 ]; do
    case "$1" in
    --supermin-d) supermin_d=$2; shift 2 ;;
    --packages) extra_packages="$extra_packages $2"; shift 2 ;;
    --original) original=yes; shift ;;
    --force) force=yes; shift ;;
    --supermin) supermin_only=yes; shift ;;
    --help|-h) sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --) shift; break ;;
    -*) die "unknown option $1" ;;
    *) break ;;
    esac
done

[ $# -ge 1 ] || die "usage: $prog [options] OUTDIR GUESTFSD [LIBGUESTFSD.so]"
outdir=$1
guestfsd=${2:-}
libguestfsd=${3:-}
if [ "$original" = no ]; then
    [ -n "$guestfsd" ] || die "GUESTFSD missing (or use --original)"
    [ -x "$guestfsd" ] || die "$guestfsd: not an executable"
fi
[ -z "$libguestfsd" ] || [ -f "$libguestfsd" ] || die "$libguestfsd: no such file"
[ -d "$supermin_d" ] || die "$supermin_d: no supermin input (install libguestfs0?)"
[ -f "$supermin_d/daemon.tar.gz" ] || die "$supermin_d: no daemon.tar.gz"
command -v supermin >/dev/null || die "supermin not found (apt-get install supermin)"
ls /boot/vmlinuz-* >/dev/null 2>&1 || die "no kernel in /boot (apt-get install linux-image-amd64)"

# Decide whether anything changed since the last build.
stamp_of_inputs() {
    {
        echo "original=$original packages=$extra_packages"
        ls -l --time-style=+%s "$supermin_d" /boot
        # The host's packages (an upgrade of lvm2 changes the appliance).
        stat -c %Y /var/lib/dpkg/status 2>/dev/null || true
        if [ "$original" = no ]; then
            sha256sum <"$guestfsd"
            [ -z "$libguestfsd" ] || sha256sum <"$libguestfsd"
        fi
    } | sha256sum | cut -d' ' -f1
}
stamp=$(stamp_of_inputs)
if [ "$supermin_only" = yes ]; then
    force=yes # cheap, and the library compares the files itself
fi
if [ "$force" = no ] && [ -f "$outdir/stamp" ] && [ -f "$outdir/root" ] &&
    [ -f "$outdir/kernel" ] && [ -f "$outdir/initrd" ] &&
    [ "$(cat "$outdir/stamp")" = "$stamp" ]; then
    echo "$prog: $outdir is up to date"
    exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/build-appliance.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir "$tmp/supermin.d" "$tmp/daemon"
cp -p "$supermin_d"/* "$tmp/supermin.d/"

# The Debian package a file belongs to (usrmerge: dpkg may know the file
# under /usr only).
package_of() {
    f=$1
    for cand in "$f" "$(readlink -f "$f")" "/usr$f" "$(echo "$f" | sed 's|^/usr||')"; do
        p=$(dpkg -S "$cand" 2>/dev/null | head -n1 | cut -d: -f1) || true
        if [ -n "$p" ]; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

# Every shared library the given ELF files load, by path: the linked ones
# (ldd) and the ones libguestfsd dlopens on first use, which only appear
# as SONAME strings (gd-lazy.c).
libraries_of() {
    for f in "$@"; do
        ldd "$f" | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p'
        for soname in $(strings -a "$f" | grep -E '^lib[A-Za-z0-9_+-]+\.so\.[0-9]+$' | sort -u); do
            ldconfig -p | awk -v s="$soname" '$1 == s && /x86-64/ { print $NF; exit }'
        done
    done | sort -u
}

packages=$extra_packages
if [ "$original" = no ]; then
    tar -xzf "$supermin_d/daemon.tar.gz" -C "$tmp/daemon"
    [ -f "$tmp/daemon/usr/sbin/guestfsd" ] ||
        echo "$prog: warning: $supermin_d/daemon.tar.gz has no usr/sbin/guestfsd" >&2
    mkdir -p "$tmp/daemon/usr/sbin"
    install -m 0755 "$guestfsd" "$tmp/daemon/usr/sbin/guestfsd"
    elfs=$guestfsd
    if [ -n "$libguestfsd" ]; then
        # A system library directory: found without ld.so.cache or RUNPATH.
        libdir=usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
        soname=$(objdump -p "$libguestfsd" | sed -n 's/^ *SONAME *//p')
        [ -n "$soname" ] || soname=$(basename "$libguestfsd")
        mkdir -p "$tmp/daemon/$libdir"
        install -m 0755 "$libguestfsd" "$tmp/daemon/$libdir/$soname"
        elfs="$elfs $libguestfsd"
    fi
    # shellcheck disable=SC2086 # elfs is a list of paths without spaces
    for lib in $(libraries_of $elfs); do
        case "$lib" in
        */libguestfsd.so*) continue ;; # ours, shipped above
        esac
        p=$(package_of "$lib") || die "$lib: which package holds it?"
        packages="$packages $p"
    done
    # Owned by root, whoever runs the build.
    tar -C "$tmp/daemon" --owner=0 --group=0 --numeric-owner -czf "$tmp/supermin.d/daemon.tar.gz" .
fi

# supermin reads every packages* file of its input.
echo "$packages" | tr ' ' '\n' | sed '/^$/d' | sort -u >"$tmp/supermin.d/packages-libguestfsd"
echo "$prog: extra packages: $(tr '\n' ' ' <"$tmp/supermin.d/packages-libguestfsd")"

if [ "$supermin_only" = yes ]; then
    mkdir -p "$outdir"
    rm -rf "$outdir/supermin.d"
    cp -rp "$tmp/supermin.d" "$outdir/supermin.d"
    echo "$prog: wrote $outdir/supermin.d (LIBGUESTFS_PATH=$outdir builds and caches the appliance)"
    exit 0
fi

build=$outdir.tmp.$$
rm -rf "$build"
start=$(date +%s)
supermin --build --format ext2 --copy-kernel --host-cpu "$(uname -m)" \
    -o "$build" "$tmp/supermin.d" || { rm -rf "$build"; die "supermin failed"; }
if [ "$original" = yes ]; then
    what="the distribution's guestfsd"
else
    what="guestfsd from $guestfsd"
fi
cat >"$build/README.fixed" <<EOF
This is a libguestfs fixed appliance running $what,
built by $prog from $supermin_d on $(date -u +%Y-%m-%dT%H:%M:%SZ).
Use it with: LIBGUESTFS_BACKEND=direct LIBGUESTFS_PATH=$outdir
EOF
echo "$stamp" >"$build/stamp"
rm -rf "$outdir"
mv "$build" "$outdir"
echo "$prog: built $outdir in $(($(date +%s) - start)) s"
