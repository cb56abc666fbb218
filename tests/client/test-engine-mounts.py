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
    """(pid, sysroot) of the guestfsd serving our handle: the stand-in is
    our child, the daemon its child."""
    me = os.getpid()
    parents = {}
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
    for pid, ppid in parents.items():
        if parents.get(ppid) != me:
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
    subprocess.run(["nsenter", "--target", str(pid), "--mount", "--", *cmd], check=True)


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
