#!/bin/sh
# kill.sh: an unclean end of the VM must not lose what sync wrote.
#
# Through a guestfish server (--listen / --remote): write files, sync,
# write one more file without syncing, then kill qemu with SIGKILL (no
# internal_autosync, no unmount: what a crash of the host process or an
# OOM kill does).  A new appliance must find the synced files intact, the
# filesystem clean after journal replay, and the LVM volume group active.
# Then the same with a clean shutdown (autosync): the unsynced write
# survives too.
#
# Environment: as run-fish.sh.
set -eu

if [ "${GDTEST_APPLIANCE:-}" != 1 ]; then
    echo "SKIP kill.sh: appliance tests boot VMs; set GDTEST_APPLIANCE=1 to run them"
    exit 77
fi
if [ -z "${LIBGUESTFS_PATH:-}" ]; then
    b=${GDTEST_BUILDDIR:-build}
    LIBGUESTFS_PATH=$b/appliance
    "$(dirname "$0")/../../tools/build-appliance.sh" "$LIBGUESTFS_PATH" "$b/guestfsd/guestfsd" \
        "$b/libguestfsd/libguestfsd.so.0" >/dev/null || { echo "FAIL: build-appliance.sh"; exit 1; }
fi
export LIBGUESTFS_PATH LIBGUESTFS_BACKEND=direct
if [ -z "${LIBGUESTFS_BACKEND_SETTINGS+set}" ]; then
    if ! /usr/bin/python3 -c 'import sys, appltest; sys.exit(0 if appltest.kvm_usable() else 1)' \
        2>/dev/null; then
        export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
    fi
fi

tmp=$(mktemp -d /tmp/kill-test.XXXXXX)
GUESTFISH_PID=
cleanup() {
    if [ -n "$GUESTFISH_PID" ]; then
        kill "$GUESTFISH_PID" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
    echo "FAIL kill.sh: $*"
    exit 1
}
disk=$tmp/disk.img
truncate -s 200M "$disk"
start=$(date +%s)

# 1. Writes, sync, one more write, SIGKILL.
# The server reports the killed appliance on its stderr: keep that quiet.
eval "$(guestfish --listen -a "$disk" 2>"$tmp/server.err")"
[ -n "$GUESTFISH_PID" ] || fail "guestfish --listen did not start"
r() { guestfish --remote -- "$@"; }
r run
r part-disk /dev/sda mbr
r pvcreate /dev/sda1
r vgcreate VG /dev/sda1
r lvcreate LV VG 64
r mkfs ext4 /dev/VG/LV
r mount /dev/VG/LV /
r mkdir /d
i=0
while [ $i -lt 20 ]; do
    r write /d/file$i "file number $i"
    i=$((i + 1))
done
head -c 3000000 /dev/urandom >"$tmp/big"
r upload "$tmp/big" /big
r sync
r write /unsynced "may be lost"
qemu=$(r get-pid)
[ "$qemu" -gt 1 ] 2>/dev/null || fail "get-pid said '$qemu'"
kill -9 "$qemu"
# The server notices that the appliance is gone; stop it.
r exit 2>/dev/null || true
kill "$GUESTFISH_PID" 2>/dev/null || true
GUESTFISH_PID=

# 2. A new appliance: the synced data is there.
out=$(guestfish -a "$disk" <<FISH
run
lvs
mount /dev/VG/LV /
download /d/file0 -
echo
download /d/file19 -
echo
download /big $tmp/big.after
write /after "written after the crash"
FISH
) || fail "second boot: $out"
cmp "$tmp/big" "$tmp/big.after" || fail "/big differs after the kill"
expected="/dev/VG/LV
file number 0
file number 19"
[ "$out" = "$expected" ] || fail "after the kill, got:
$out
expected:
$expected"

# 3. A clean shutdown (internal_autosync) keeps an unsynced write.
out=$(guestfish -a "$disk" <<'FISH'
run
mount /dev/VG/LV /
download /after -
FISH
) || fail "third boot: $out"
[ "$out" = "written after the crash" ] || fail "after a clean shutdown, got '$out'"
echo "PASS kill.sh ($(($(date +%s) - start)) s)"
