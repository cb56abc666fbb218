#!/bin/sh
# conformance.sh BUILDDIR [conform.py options]: libguestfs's per-action
# tests (tests/conformance/conform.py) in the real appliance.
#
# Builds BUILDDIR/appliance if needed and runs the whole set against it
# (or against GDTEST_APPLIANCE_PATH, e.g. BUILDDIR/appliance-original for
# the distribution's daemon), with TCG unless KVM works here.  Figures
# only: the exit status is 0 whatever the tests say.  Results also go to
# BUILDDIR/conformance-appliance.json.  With TCG a full run takes hours.
set -eu
[ $# -ge 1 ] || { echo "usage: conformance.sh BUILDDIR [conform.py options]"; exit 2; }
b=$(cd "$1" && pwd)
shift
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
conform=$src/tests/conformance/conform.py
[ -f "$conform" ] || { echo "conformance.sh: $conform: no conformance runner in this tree"; exit 2; }

if [ -n "${GDTEST_APPLIANCE_PATH:-}" ]; then
    LIBGUESTFS_PATH=$GDTEST_APPLIANCE_PATH
else
    LIBGUESTFS_PATH=$b/appliance
    "$src/tools/build-appliance.sh" "$LIBGUESTFS_PATH" "$b/guestfsd/guestfsd" \
        "$b/libguestfsd/libguestfsd.so.0"
fi
export LIBGUESTFS_PATH
if [ -z "${LIBGUESTFS_BACKEND_SETTINGS+set}" ] &&
    ! PYTHONPATH="$src/tests/client:$here" /usr/bin/python3 -c \
        'import sys, appltest; sys.exit(0 if appltest.kvm_usable() else 1)' 2>/dev/null; then
    export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
fi
exec /usr/bin/python3 "$conform" --appliance --builddir "$b" --timeout 300 --report-only \
    --json "$b/conformance-appliance.json" "$@"
