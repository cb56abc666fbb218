#!/bin/sh
# run-fish.sh SCRIPT.fish: run a guestfish script in the real appliance
# and compare its output with SCRIPT.out.
#
# The script's header says what it needs:
#   # disks: 100M 100M     fresh sparse disks, added in this order
# A line "# --- reboot ---" ends a phase: the next phase is a new
# guestfish, a new appliance, the same disks (what a guest would see after
# a clean shutdown).  The script is guestfish's stdin, with
# --keys-from-stdin: the line after a command that takes a key (luks-format,
# cryptsetup-open ...) is the key.
#
# Environment: GDTEST_APPLIANCE=1 (required), LIBGUESTFS_PATH (default:
# GDTEST_BUILDDIR/appliance, built if needed), LIBGUESTFS_BACKEND_SETTINGS
# (default force_tcg unless KVM works).
set -eu

script=$1
expected=${script%.fish}.out
[ -f "$script" ] || { echo "$script: no such script"; exit 2; }
[ -f "$expected" ] || { echo "$expected: no expected output"; exit 2; }

if [ "${GDTEST_APPLIANCE:-}" != 1 ]; then
    echo "SKIP $(basename "$script"): appliance tests boot VMs; set GDTEST_APPLIANCE=1 to run them"
    exit 77
fi
if [ -z "${LIBGUESTFS_PATH:-}" ]; then
    # As appltest.setup(): our appliance, (re)built when needed.
    b=${GDTEST_BUILDDIR:-build}
    LIBGUESTFS_PATH=$b/appliance
    "$(dirname "$0")/../../tools/build-appliance.sh" "$LIBGUESTFS_PATH" "$b/guestfsd/guestfsd" \
        "$b/libguestfsd/libguestfsd.so.0" >/dev/null || { echo "FAIL: build-appliance.sh"; exit 1; }
fi
export LIBGUESTFS_PATH LIBGUESTFS_BACKEND=direct
if [ -z "${LIBGUESTFS_BACKEND_SETTINGS+set}" ]; then
    # appltest.kvm_usable() decides as the Python tests do.
    if ! /usr/bin/python3 -c 'import sys, appltest; sys.exit(0 if appltest.kvm_usable() else 1)' \
        2>/dev/null; then
        export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
    fi
fi
[ -f "$LIBGUESTFS_PATH/README.fixed" ] || {
    echo "SKIP $(basename "$script"): no appliance in $LIBGUESTFS_PATH (ninja appliance)"
    exit 77
}

tmp=$(mktemp -d /tmp/run-fish.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
drives=
i=0
# shellcheck disable=SC2013 # sizes are words
for size in $(sed -n 's/^# disks: *//p' "$script"); do
    truncate -s "$size" "$tmp/disk$i.img"
    drives="$drives -a $tmp/disk$i.img"
    i=$((i + 1))
done

# Split into phases.
awk -v dir="$tmp" '
    BEGIN { n = 0; f = dir "/phase0.fish"; printf "" > f }
    /^# --- reboot ---/ { n++; f = dir "/phase" n ".fish"; printf "" > f; next }
    { print >> f }
' "$script"

start=$(date +%s)
: >"$tmp/out"
for phase in "$tmp"/phase*.fish; do
    # shellcheck disable=SC2086
    if ! guestfish --keys-from-stdin $drives <"$phase" >>"$tmp/out" 2>"$phase.err"; then
        cat "$tmp/out" "$phase.err"
        echo "FAIL $(basename "$script"): guestfish failed in $(basename "$phase")"
        exit 1
    fi
done
if ! diff -u "$expected" "$tmp/out"; then
    echo "FAIL $(basename "$script"): output differs from $(basename "$expected")"
    exit 1
fi
echo "PASS $(basename "$script") ($(($(date +%s) - start)) s)"
