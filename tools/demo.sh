#!/bin/sh
# Sets up this machine, builds guestfsd, and runs a guestfish session on a
# scratch disk with the real libguestfs library driving our daemon.
set -e
# Root is needed (apt-get, loop devices, mounts): as a user, run again
# through sudo; as root (where sudo may not even be installed), go on.
if [ "$(id -u)" != 0 ]; then
  if ! command -v sudo >/dev/null; then
    echo "$0: needs root, and sudo is not installed: run it as root" >&2
    exit 1
  fi
  exec sudo -- /bin/sh "$0" "$@"
fi
cd "$(dirname "$0")/.."
tools/install-deps.sh
[ -d build ] || meson setup build
ninja -C build
exec tools/guestfish-session.sh build
