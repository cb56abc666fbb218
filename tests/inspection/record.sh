#!/bin/sh
# Records the original daemon's outputs as references: builds the
# synthetic guests and runs the unchanged tools on each in Debian's own
# appliance (no LIBGUESTFS_PATH), writing tests/inspection/ref/GUEST/TOOL.
# Takes a few minutes per guest with TCG.
#
#   tests/inspection/record.sh [GUEST...]
set -e
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /var/tmp/gdinspect-record.XXXXXX)
trap 'rm -rf "$work"' EXIT
python3 "$here/guests.py" "$work" "$@" > "$work/names"
for g in $(cat "$work/names"); do
  rm -rf "$here/ref/$g"
  python3 "$here/tools.py" original "$work/$g.img" "$here/ref/$g"
  rm -f "$here/ref/$g/times"
  echo "recorded $g"
done
