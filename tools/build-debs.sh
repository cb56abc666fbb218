#!/bin/sh
# build-debs.sh [OUTDIR]: builds the Debian packages of this tree
# (debian/) in a scratch copy, so that nothing is written next to the
# tree, and puts the .deb files in OUTDIR (default: debs/ in the tree).
#
# Runs `dpkg-buildpackage -us -uc -b` with DEB_BUILD_OPTIONS="nocheck
# parallel=NPROC" unless DEB_BUILD_OPTIONS is set: the test suite runs from
# the tree in CI (tests/run.sh), and without parallel= debhelper runs
# ninja -j1.  Needs tools/install-deps.sh's packages (the build
# dependencies of debian/control are a subset of them).
set -eu
cd "$(dirname "$0")/.."
src=$(pwd)
out=$(readlink -f "${1:-debs}")
version=$(dpkg-parsechangelog -S Version)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/build-debs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
copy=$tmp/libguestfsd-$version
mkdir "$copy"
# The tree as it is (committed or not), without build directories.
git ls-files -z --cached --others --exclude-standard | (cd "$src" && xargs -0 tar -cf - --no-recursion) |
    tar -xf - -C "$copy"
cd "$copy"
start=$(date +%s)
DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS-nocheck parallel=$(nproc)} \
    dpkg-buildpackage -us -uc -b >"$tmp/build.log" 2>&1 || {
    tail -n 60 "$tmp/build.log"
    echo "build-debs.sh: dpkg-buildpackage failed" >&2
    exit 1
}
mkdir -p "$out"
rm -f "$out"/*.deb
mv "$tmp"/*.deb "$out"/
cp "$tmp/build.log" "$out/build.log"
echo "build-debs.sh: built in $(($(date +%s) - start)) s:"
ls -s1 "$out"/*.deb
