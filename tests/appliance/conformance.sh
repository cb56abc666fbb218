#!/bin/sh
# conformance.sh [--check] BUILDDIR [conform.py options]: libguestfs's
# per-action tests (tests/conformance/conform.py) in the real appliance.
#
# Builds BUILDDIR/appliance if needed and runs the whole set against it
# (or against GDTEST_APPLIANCE_PATH, e.g. BUILDDIR/appliance-original for
# the distribution's daemon), with TCG unless KVM works here.  Results
# also go to BUILDDIR/conformance-appliance.json.  With TCG a full run
# takes about 20 minutes.
#
# Without --check, figures only: the exit status is 0 whatever the tests
# say.  With --check (the meson test appliance/conformance), it skips
# unless GDTEST_APPLIANCE=1 and fails when a test of
# tests/appliance/expected-pass.txt does not pass.
set -eu
check=no
if [ "${1:-}" = --check ]; then
    check=yes
    shift
fi
[ $# -ge 1 ] || { echo "usage: conformance.sh [--check] BUILDDIR [conform.py options]"; exit 2; }
b=$(cd "$1" && pwd)
shift
here=$(cd "$(dirname "$0")" && pwd)
if [ "$check" = yes ] && [ "${GDTEST_APPLIANCE:-}" != 1 ]; then
    echo "SKIP all: the appliance conformance run boots a VM for ~20 minutes; set GDTEST_APPLIANCE=1"
    exit 77
fi
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
if [ "$check" = yes ]; then
    set -- --expect "$here/expected-pass.txt" "$@"
else
    set -- --report-only "$@"
fi
exec /usr/bin/python3 "$conform" --appliance --builddir "$b" --timeout 300 \
    --json "$b/conformance-appliance.json" "$@"
