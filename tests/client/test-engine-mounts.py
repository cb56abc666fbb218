#!/usr/bin/python3
# The engine keeps the sysroot fd (and whether a root is mounted) across
# requests while the mount table is unchanged.  These tests change mounts
# between requests, through the daemon and behind its back, and check that
# every request sees the filesystem mounted now, and that the daemon's own
# unmounts are not kept busy by the cache.

import os
import subprocess

import gdtest
from gdtest import test


def daemon_of_this_process():
    """(pid, sysroot) of the guestfsd serving our handle: below the
    stand-in (our child), the daemon is the process named "guestfsd" whose
    parent is not (in host mode that parent is its jail's init)."""
    me = os.getpid()
    parents, comms = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        parents[int(entry)] = ppid
        comms[int(entry)] = stat[stat.index("(") + 1:stat.rindex(")")]

    def below_me(pid):
        while pid > 1:
            pid = parents.get(pid, 0)
            if pid == me:
                return True
        return False

    for pid, ppid in parents.items():
        if comms[pid] != "guestfsd" or comms.get(ppid) == "guestfsd" or not below_me(pid):
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if b"--sysroot" in argv and os.path.basename(argv[0]) == b"guestfsd":
            return pid, argv[argv.index(b"--sysroot") + 1].decode()
    raise AssertionError("cannot find our guestfsd process")


def in_daemon_namespace(pid, *cmd):
    # Its PID namespace too: the daemon's /proc is that namespace's, where
    # mount(8) must find itself (/proc/self/mountinfo).
    subprocess.run(["nsenter", "--target", str(pid), "--mount", "--pid", "--", *cmd], check=True)


@test
def test_remount_other_filesystem():
    with gdtest.handle(disks=[32, 32]) as g:
        for dev in ("/dev/sda", "/dev/sdb"):
            g.part_disk(dev, "mbr")
            g.mkfs("ext4", dev + "1")
        g.mount("/dev/sda1", "/")
        g.touch("/on-a")
        assert g.exists("/on-a")
        g.umount("/")
        g.mount("/dev/sdb1", "/")
        assert not g.exists("/on-a")
        g.touch("/on-b")
        g.umount_all()
        g.mount("/dev/sda1", "/")
        assert g.exists("/on-a") and not g.exists("/on-b")


@test
def test_mount_behind_the_daemons_back():
    with gdtest.handle(disks=[32]) as g:
        gdtest.mkfs_mount(g)
        g.touch("/on-disk")
        pid, sysroot = daemon_of_this_process()
        # A mount the daemon does not know about (as a helper program could
        # make): the next request must see it.
        in_daemon_namespace(pid, "mount", "-t", "tmpfs", "gdtest", sysroot)
        assert not g.exists("/on-disk")
        g.touch("/on-tmpfs")
        assert g.exists("/on-tmpfs")
        # Lazily: the daemon's cached fd of the sysroot pins the tmpfs, as
        # any process's open file would.
        in_daemon_namespace(pid, "umount", "--lazy", sysroot)
        assert g.exists("/on-disk") and not g.exists("/on-tmpfs")


@test
def test_root_mounted_check_follows_unmount():
    with gdtest.handle(disks=[32]) as g:
        gdtest.mkfs_mount(g)
        assert g.exists("/")
        pid, sysroot = daemon_of_this_process()
        in_daemon_namespace(pid, "umount", "--lazy", sysroot)
        gdtest.expect_error(g, g.exists, "/", match="mount")


gdtest.main()
