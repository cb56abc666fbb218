#!/bin/sh
# debian-root.sh: prints the path of a tarball of a minimal Debian 12 root
# (debootstrap --variant=minbase bookworm), making it first if it is not
# cached in /var/cache/libguestfsd.  Used by tools/test-debs.sh (a clean
# root to install the packages into) and tools/build-container.sh (the
# container's base, through `podman import`).
#
# The mirror is the host's (/etc/apt/sources.list.d), or $MIRROR; the
# downloads go through apt's cache, so a host that has installed
# tools/install-deps.sh's packages downloads little.  Needs root.
#
# debian-root.sh --sources prints, instead, a deb822 sources file of the
# same mirrors (updates and security too) for apt inside such a root.
set -eu
mirror=${MIRROR:-$(sed -n 's/^URIs: *\(http[^ ]*\/debian\) *$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)}
mirror=${mirror:-http://deb.debian.org/debian}
if [ "${1:-}" = --sources ]; then
    security=$(sed -n 's/^URIs: *\(http[^ ]*\/debian-security\) *$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
    cat <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${security:-http://deb.debian.org/debian-security}
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    exit 0
fi
cache=/var/cache/libguestfsd
base=$cache/bookworm-minbase.tar
if [ -f "$base" ]; then
    echo "$base"
    exit 0
fi
mkdir -p "$cache" /var/cache/apt/archives
root=$(mktemp -d /var/tmp/debian-root.XXXXXX)
trap 'rm -rf "$root"' EXIT
trap 'exit 1' INT TERM
echo "debian-root.sh: debootstrap bookworm from $mirror" >&2
debootstrap --variant=minbase --cache-dir=/var/cache/apt/archives \
    bookworm "$root" "$mirror" >"$root.log" 2>&1 || {
    tail -n 30 "$root.log" >&2
    rm -f "$root.log"
    echo "debian-root.sh: debootstrap failed" >&2
    exit 1
}
rm -f "$root.log" "$root"/var/cache/apt/archives/*.deb
tar -cf "$base.tmp.$$" -C "$root" . && mv "$base.tmp.$$" "$base"
echo "$base"
