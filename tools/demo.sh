#!/bin/sh
# Sets up this machine, builds guestfsd, and runs a guestfish session on a
# scratch disk with the real libguestfs library driving our daemon.
set -e
cd "$(dirname "$0")/.."
tools/install-deps.sh
[ -d build ] || meson setup build
ninja -C build
exec tools/guestfish-session.sh build
