#!/usr/bin/python3
# The btrfs family through the real libguestfs library: mkfs options,
# subvolumes and snapshots, the Mountable_or_Path forms (a device or a
# btrfsvol: subvolume that is not mounted), quotas, scrub, balance,
# resize, member devices, the offline tools, errors with their errno, and
# guest symlinks that point outside the guest.  The last tests put a fake
# btrfs first on the daemon's PATH to check the parsing of outputs that
# this host's btrfs-progs does not print (older releases, running
# balances, several devices, odd names).

import errno
import os
import shutil
import struct
import subprocess
import tempfile

import gdtest
from gdtest import MiB, expect_error, skip, test

SUPER_OFFSET = 64 * 1024  # the primary superblock
TOTAL_BYTES = 0x70  # its total_bytes field


def need_btrfs(g):
    if not g.feature_available(["btrfs"]):
        skip("btrfs is not available (kernel module or btrfs-progs missing)")


def total_bytes(g, device):
    data = g.pread_device(device, 8, SUPER_OFFSET + TOTAL_BYTES)
    return struct.unpack("<Q", data)[0]


def two_partitions(g, disk="/dev/sda"):
    g.part_init(disk, "mbr")
    g.part_add(disk, "p", 2048, 2048 + 300 * 2048 - 1)
    g.part_add(disk, "p", 2048 + 300 * 2048, 2048 + 600 * 2048 - 1)
    return disk + "1", disk + "2"


def subvol_paths(g, fs):
    return sorted(s["btrfssubvolume_path"] for s in g.btrfs_subvolume_list(fs))


@test
def test_mkfs_options():
    with gdtest.handle(disks=[700]) as g:
        need_btrfs(g)
        p1, p2 = two_partitions(g)
        g.mkfs_btrfs([p1], label="mylabel", nodesize=16384, sectorsize=4096, datatype="single",
                     metadata="dup", bytecount=200 * MiB, allocstart=0)
        assert total_bytes(g, p1) == 200 * MiB
        # leafsize is the node size (current btrfs-progs only knows that name).
        g.mkfs_btrfs([p2], leafsize=65536)
        g.mkfs_btrfs([p2], leafsize=32768, nodesize=32768)
        expect_error(g, g.mkfs_btrfs, [p2], leafsize=16384, nodesize=32768, errno=errno.EINVAL,
                     match="leafsize")
        expect_error(g, g.mkfs_btrfs, [p2], bytecount=-1, errno=errno.EINVAL)
        expect_error(g, g.mkfs_btrfs, [p2], nodesize=-4096, errno=errno.EINVAL)
        # mkfs.btrfs's own refusals come back with its words, guest names only.
        msg = expect_error(g, g.mkfs_btrfs, [p2], datatype="nosuchprofile")
        assert "loop" not in msg, msg
        msg = expect_error(g, g.mkfs_btrfs, [p2], sectorsize=512, match="sectorsize")
        # Two devices: one filesystem over both.
        g.mkfs_btrfs([p1, p2], datatype="raid1", metadata="raid1")
        assert g.btrfs_filesystem_show(p2) == [p1, p2]
        g.mount(p1, "/")
        g.write("/f", b"hello")
        g.umount_all()
        g.mount(p2, "/")
        assert g.cat("/f") == "hello"


@test
def test_subvolumes_and_snapshots():
    with gdtest.handle(disks=[300]) as g:
        need_btrfs(g)
        g.part_disk("/dev/sda", "mbr")
        g.mkfs_btrfs(["/dev/sda1"])
        # Not mounted: the device form mounts it for the call only.
        assert g.btrfs_subvolume_list("/dev/sda1") == []
        assert g.btrfs_subvolume_get_default("/dev/sda1") == 5
        assert g.mounts() == []
        g.mount("/dev/sda1", "/")
        g.btrfs_subvolume_create("/sub 1")
        g.mkdir("/dir")
        g.btrfs_subvolume_create_opts("/dir/test2")
        g.write("/sub 1/file", b"data")
        g.btrfs_subvolume_snapshot_opts("/sub 1", "/snap", ro=True)
        # Into an existing directory: under the source's name, as btrfs does.
        g.btrfs_subvolume_snapshot("/sub 1", "/dir")
        assert g.cat("/dir/sub 1/file") == "data"
        subs = g.btrfs_subvolume_list("/")
        by_path = {s["btrfssubvolume_path"]: s for s in subs}
        assert sorted(by_path) == ["dir/sub 1", "dir/test2", "snap", "sub 1"], by_path
        assert all(s["btrfssubvolume_top_level_id"] == 5 for s in subs)
        assert sorted(s["btrfssubvolume_id"] for s in subs) == [256, 257, 258, 259]
        # The read-only snapshot is read-only.
        expect_error(g, g.touch, "/snap/x", errno=errno.EROFS)
        # Same list from the device (mounted: shares the superblock), a
        # subvolume of it, and a path inside a subvolume.
        assert subvol_paths(g, "/dev/sda1") == sorted(by_path)
        assert subvol_paths(g, "btrfsvol:/dev/sda1/dir/test2") == sorted(by_path)
        assert subvol_paths(g, "/dir/test2") == sorted(by_path)

        show = g.btrfs_subvolume_show("/sub 1")
        assert show["Name"] == "sub 1", show
        assert show["Subvolume ID"] == str(by_path["sub 1"]["btrfssubvolume_id"])
        assert sorted(show["Snapshot(s)"].split(",")) == ["dir/sub 1", "snap"], show
        assert ":" in show["Creation time"]  # values keep their colons
        assert g.btrfs_subvolume_show("/snap")["Flags"] == "readonly"

        # Default subvolume.
        snap_id = by_path["snap"]["btrfssubvolume_id"]
        g.btrfs_subvolume_set_default(snap_id, "/")
        assert g.btrfs_subvolume_get_default("/") == snap_id
        assert g.btrfs_subvolume_get_default("/dev/sda1") == snap_id
        g.btrfs_subvolume_set_default(5, "/")

        # Delete.
        g.btrfs_subvolume_delete("/dir/test2")
        assert not g.exists("/dir/test2")
        assert "dir/test2" not in subvol_paths(g, "/")

        # Errors.
        expect_error(g, g.btrfs_subvolume_create, "/sub 1", errno=errno.EEXIST)
        expect_error(g, g.btrfs_subvolume_create, "/nope/x", errno=errno.ENOENT)
        expect_error(g, g.btrfs_subvolume_delete, "/dir", errno=errno.EINVAL,
                     match="not a btrfs subvolume")
        expect_error(g, g.btrfs_subvolume_delete, "/nope", errno=errno.ENOENT)
        expect_error(g, g.btrfs_subvolume_delete, "/", errno=errno.EINVAL)
        expect_error(g, g.btrfs_subvolume_snapshot, "/dir", "/s2", errno=errno.EINVAL,
                     match="not a btrfs subvolume")
        # "/dir/sub 1" is there already; "/snap" is a read-only subvolume.
        expect_error(g, g.btrfs_subvolume_snapshot, "/sub 1", "/dir", errno=errno.EEXIST)
        expect_error(g, g.btrfs_subvolume_snapshot, "/sub 1", "/snap", errno=errno.EROFS)
        expect_error(g, g.btrfs_subvolume_snapshot, "/sub 1", "/nope/s", errno=errno.ENOENT)
        expect_error(g, g.btrfs_subvolume_create_opts, "/q", qgroupid="x/y",
                     errno=errno.EINVAL, match="qgroup")
        expect_error(g, g.btrfs_subvolume_set_default, -1, "/", errno=errno.EINVAL)
        msg = expect_error(g, g.btrfs_subvolume_show, "/dir", match="subvolume")
        assert "/proc/self" not in msg and "sysroot" not in msg, msg
        g.touch("/plain")
        expect_error(g, g.btrfs_subvolume_list, "/plain", errno=errno.ENOTDIR)
        g.ping_daemon()


@test
def test_not_btrfs():
    with gdtest.handle(disks=[100]) as g:
        need_btrfs(g)
        gdtest.mkfs_mount(g)  # ext4
        g.mkdir("/d")
        expect_error(g, g.btrfs_subvolume_create, "/d/s", errno=errno.EINVAL,
                     match="not on a btrfs")
        expect_error(g, g.btrfs_subvolume_list, "/dev/sda1", errno=errno.EINVAL,
                     match="/dev/sda1: cannot mount it as btrfs")
        msg = expect_error(g, g.btrfs_filesystem_show, "/dev/sda1", match="/dev/sda1")
        assert "loop" not in msg, msg
        expect_error(g, g.btrfs_filesystem_sync, "/d")
        expect_error(g, g.btrfs_fsck, "/dev/sda1")
        g.ping_daemon()


@test
def test_readonly_drive():
    with gdtest.tmpdir() as d:
        img = os.path.join(d, "ro.img")

        def setup(g):
            g.part_disk("/dev/sda", "mbr")
            g.mkfs_btrfs(["/dev/sda1"])
            g.mount("/dev/sda1", "/")
            g.btrfs_subvolume_create("/vol")

        gdtest.make_image(img, 200, setup)
        with gdtest.handle(readonly_images=[img]) as g:
            need_btrfs(g)
            assert subvol_paths(g, "/dev/sda1") == ["vol"]
            assert g.btrfs_subvolume_get_default("btrfsvol:/dev/sda1/vol") == 5
            # Needs to write: refused, the drive is read-only.
            expect_error(g, g.btrfs_quota_enable, "/dev/sda1", True)


@test
def test_quotas():
    with gdtest.handle(disks=[300]) as g:
        need_btrfs(g)
        g.part_disk("/dev/sda", "mbr")
        g.mkfs_btrfs(["/dev/sda1"])
        g.btrfs_quota_enable("/dev/sda1", True)
        g.btrfs_quota_rescan("/dev/sda1")
        g.mount("/dev/sda1", "/")
        g.btrfs_subvolume_create("/sub1")
        g.write("/sub1/data", b"x" * 100000)
        g.btrfs_filesystem_sync("/")
        g.btrfs_quota_rescan("/")
        g.btrfs_qgroup_create("1/100", "/")
        g.btrfs_qgroup_assign("0/256", "1/100", "/")
        g.btrfs_qgroup_limit("/sub1", 10 * MiB)
        groups = {q["btrfsqgroup_id"]: q for q in g.btrfs_qgroup_show("/")}
        assert {"0/5", "0/256", "1/100"} <= set(groups), groups
        assert groups["0/256"]["btrfsqgroup_rfer"] >= 100000, groups
        g.btrfs_qgroup_remove("0/256", "1/100", "/")
        g.btrfs_qgroup_destroy("1/100", "/")
        assert "1/100" not in {q["btrfsqgroup_id"] for q in g.btrfs_qgroup_show("/")}
        expect_error(g, g.btrfs_qgroup_create, "abc", "/", errno=errno.EINVAL, match="qgroup")
        expect_error(g, g.btrfs_qgroup_create, "-1", "/", errno=errno.EINVAL)
        expect_error(g, g.btrfs_qgroup_assign, "0/256", "1/x", "/", errno=errno.EINVAL)
        expect_error(g, g.btrfs_qgroup_limit, "/sub1", -5, errno=errno.EINVAL)
        g.btrfs_quota_enable("/", False)
        expect_error(g, g.btrfs_qgroup_show, "/", match="quota")
        # A snapshot and a subvolume made straight into a qgroup.
        g.btrfs_quota_enable("/", True)
        g.btrfs_qgroup_create("1/7", "/")
        g.btrfs_subvolume_create_opts("/sub2", qgroupid="1/7")
        g.btrfs_subvolume_snapshot_opts("/sub1", "/snap", qgroupid="1/7")
        assert set(subvol_paths(g, "/")) == {"sub1", "sub2", "snap"}


@test
def test_scrub_balance_resize():
    had_state_dir = os.path.exists("/var/lib/btrfs")
    with gdtest.handle(disks=[600]) as g:
        need_btrfs(g)
        g.part_disk("/dev/sda", "mbr")
        g.mkfs_btrfs(["/dev/sda1"], bytecount=300 * MiB)
        g.mount("/dev/sda1", "/")
        g.write("/f", b"y" * 200000)
        g.btrfs_filesystem_sync("/f")  # a file of the filesystem will do
        g.btrfs_scrub_start("/")
        st = g.btrfs_scrub_status("/")
        assert st["btrfsscrub_tree_bytes_scrubbed"] > 0, st
        assert st["btrfsscrub_data_bytes_scrubbed"] >= 200000, st
        assert st["btrfsscrub_csum_errors"] == 0 and st["btrfsscrub_uncorrectable_errors"] == 0
        expect_error(g, g.btrfs_scrub_cancel, "/", match="not running")
        bal = g.btrfs_balance_status("/")
        assert bal["btrfsbalance_status"] == "none", bal
        g.btrfs_filesystem_balance("/")
        msg = expect_error(g, g.btrfs_balance_pause, "/", match="'/'")
        assert "'.'" not in msg, msg
        expect_error(g, g.btrfs_balance_cancel, "/")
        expect_error(g, g.btrfs_balance_resume, "/")
        # Resize: grow to a size, then to the whole partition (the kernel
        # refuses sizes under 256 MiB).
        g.btrfs_filesystem_resize("/", size=400 * MiB)
        g.btrfs_filesystem_sync("/")
        assert total_bytes(g, "/dev/sda1") == 400 * MiB
        g.btrfs_filesystem_resize("/")
        g.btrfs_filesystem_sync("/")
        size = g.blockdev_getsize64("/dev/sda1")
        assert total_bytes(g, "/dev/sda1") == size // 4096 * 4096, (total_bytes(g, "/dev/sda1"),
                                                                     size)
        expect_error(g, g.btrfs_filesystem_resize, "/", size=-1, errno=errno.EINVAL)
        expect_error(g, g.btrfs_filesystem_resize, "/nope", errno=errno.ENOENT)
        # Defragment a directory tree and one file, with options.
        g.btrfs_filesystem_defragment("/", flush=True, compress="zlib")
        g.btrfs_filesystem_defragment("/f", compress="zstd")
        expect_error(g, g.btrfs_filesystem_defragment, "/f", compress="gzip",
                     errno=errno.EINVAL)
        g.ping_daemon()
    # The scrub state never went to this host's /var/lib/btrfs.
    assert os.path.exists("/var/lib/btrfs") == had_state_dir


@test
def test_devices():
    with gdtest.handle(disks=[700, 400]) as g:
        need_btrfs(g)
        p1, p2 = two_partitions(g)
        g.part_disk("/dev/sdb", "mbr")
        g.mkfs_btrfs([p1])
        assert g.btrfs_filesystem_show(p1) == [p1]
        g.mount(p1, "/")
        g.write("/f", b"z" * 50000)
        g.btrfs_device_add([], "/")  # nothing to do
        g.btrfs_device_add([p2], "/")
        assert g.btrfs_filesystem_show(p1) == [p1, p2]
        g.btrfs_device_delete([p1], "/")
        assert g.btrfs_filesystem_show(p2) == [p2]
        g.btrfs_replace(p2, "/dev/sdb1", "/")
        assert g.btrfs_filesystem_show("/dev/sdb1") == ["/dev/sdb1"]
        assert g.cat("/f") == "z" * 50000
        # A mounted device cannot be added twice.
        msg = expect_error(g, g.btrfs_device_add, ["/dev/sdb1"], "/")
        assert "loop" not in msg, msg
        g.umount_all()
        # A filesystem with a member gone.
        g.mkfs_btrfs([p1, p2])
        g.zero_device(p2)
        expect_error(g, g.btrfs_filesystem_show, p1, errno=errno.ENODEV, match="missing")


@test
def test_offline_tools():
    with gdtest.handle(disks=[700]) as g:
        need_btrfs(g)
        p1, p2 = two_partitions(g)
        g.mkfs_btrfs([p1])
        g.mkfs_btrfs([p2])
        g.btrfs_fsck(p1)
        g.btrfs_fsck(p1, superblock=1)
        expect_error(g, g.btrfs_fsck, p1, superblock=-1, errno=errno.EINVAL)
        g.btrfs_set_seeding(p1, True)
        g.btrfs_set_seeding(p1, False)
        g.btrfstune_seeding(p1, True)
        g.btrfstune_seeding(p1, False)
        g.btrfstune_enable_extended_inode_refs(p1)
        g.btrfstune_enable_skinny_metadata_extent_refs(p1)
        g.btrfs_rescue_super_recover(p1)
        g.btrfs_fsck(p1)
        # Images: written into the guest.
        g.mount(p1, "/")
        g.btrfs_image([p2], "/1.img")
        g.btrfs_image([p2], "/2.img", compresslevel=9)
        assert g.filesize("/1.img") > 4096 and g.filesize("/2.img") > 0
        expect_error(g, g.btrfs_image, [p2], "/3.img", compresslevel=10, errno=errno.EINVAL)
        expect_error(g, g.btrfs_image, [p2], "/nope/3.img", errno=errno.ENOENT)
        # A mounted device is refused by the offline tools.
        msg = expect_error(g, g.btrfs_fsck, p1, match="mounted")
        assert p1 in msg and "loop" not in msg, msg


@test
def test_guest_symlinks_stay_in_guest():
    """Symlinks in the guest naming host paths lead into the guest."""
    with gdtest.tmpdir() as hostdir:
        host = os.path.join(hostdir, "h")
        os.mkdir(host)
        with open(os.path.join(host, "file"), "w") as f:
            f.write("host file\n")
        before = sorted(os.listdir(host))
        with gdtest.handle(disks=[300]) as g:
            need_btrfs(g)
            g.part_disk("/dev/sda", "mbr")
            g.mkfs_btrfs(["/dev/sda1"])
            g.mount("/dev/sda1", "/")
            g.mkdir_p(host)  # the guest's own copy of the host path
            g.write(host + "/file", b"guest file\n")
            g.ln_s(host, "/esc")
            g.ln_s(host + "/file", "/escfile")
            g.btrfs_subvolume_create("/esc/new")
            assert g.is_dir(host + "/new")
            g.btrfs_subvolume_snapshot("/esc/new", "/esc/snap")
            assert g.is_dir(host + "/snap")
            # btrfs(8) runs in the guest's directory: on the host's (not
            # btrfs) these would fail.
            g.btrfs_filesystem_sync("/esc")
            g.btrfs_filesystem_defragment("/escfile")
            assert g.btrfs_subvolume_show("/esc/new")["Name"] == "new"
            g.btrfs_image(["/dev/sda1"], "/escfile")
            assert g.filesize(host + "/file") > 4096
            g.btrfs_subvolume_delete("/esc/snap")
            assert not g.exists(host + "/snap")
        assert sorted(os.listdir(host)) == before
        with open(os.path.join(host, "file")) as f:
            assert f.read() == "host file\n"


# ---- parsing, with a fake btrfs -------------------------------------------

FAKE = """#!/bin/sh
# canned output for "btrfs A B ...": $FAKE_BTRFS_DIR/A-B (+ .rc, .err)
f="$FAKE_BTRFS_DIR/$1-$2"
[ -f "$f" ] || { echo "ERROR: fake btrfs: nothing for $*" >&2; exit 1; }
cat "$f"
[ -f "$f.err" ] && cat "$f.err" >&2
[ -f "$f.rc" ] && exit "$(cat "$f.rc")"
exit 0
"""


class FakeBtrfs:
    def __init__(self, d):
        # Both in the directory on PATH: in host mode the daemon's jail
        # shows it (test mode, -t), and nothing else of the host.
        bindir = os.path.join(d, "bin")
        os.mkdir(bindir)
        self.dir = os.path.join(bindir, "canned")
        os.mkdir(self.dir)
        path = os.path.join(bindir, "btrfs")
        with open(path, "w") as f:
            f.write(FAKE)
        os.chmod(path, 0o755)
        self.bindir = bindir

    def set(self, cmd, out, rc=0, err=""):
        base = os.path.join(self.dir, cmd)
        with open(base, "w") as f:
            f.write(out)
        for ext, val, default in ((".rc", str(rc), "0"), (".err", err, "")):
            if val != default:
                with open(base + ext, "w") as f:
                    f.write(val)
            elif os.path.exists(base + ext):
                os.unlink(base + ext)


def fake_handle(d):
    fake = FakeBtrfs(d)
    saved = dict(os.environ)
    os.environ["PATH"] = fake.bindir + ":" + os.environ.get("PATH", "/usr/bin:/bin")
    os.environ["FAKE_BTRFS_DIR"] = fake.dir
    os.environ["GUESTFSD_EXTRA_ARGS"] = "-t"
    try:
        h = gdtest.handle(disks=[100])
        g = h.__enter__()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return fake, h, g


@test
def test_parse_fake_outputs():
    with gdtest.tmpdir() as d:
        fake, h, g = fake_handle(d)
        try:
            need_btrfs(g)
            gdtest.mkfs_mount(g)
            # The outputs libguestfs's own daemon test fed its parser.
            fake.set("subvolume-list", "ID 256 gen 30 top level 5 path test1\n"
                     "ID 257 gen 30 top level 5 path dir/test2\n"
                     "ID 258 gen 30 top level 5 path test3\n")
            subs = g.btrfs_subvolume_list("/")
            assert [(s["btrfssubvolume_id"], s["btrfssubvolume_top_level_id"],
                     s["btrfssubvolume_path"]) for s in subs] == [
                (256, 5, "test1"), (257, 5, "dir/test2"), (258, 5, "test3")], subs
            fake.set("qgroup-show", "qgroupid rfer excl \n-------- ---- ---- \n0/5 4096 4096 \n")
            assert g.btrfs_qgroup_show("/") == [
                {"btrfsqgroup_id": "0/5", "btrfsqgroup_rfer": 4096, "btrfsqgroup_excl": 4096}]

            # Extra columns, names with spaces and with the word "path".
            fake.set("subvolume-list",
                     "ID 300 gen 9 cgen 8 parent 5 top level 5 uuid - path my path x\n"
                     "ID 301 gen 9 top level 300 path <FS_TREE>/a b/path c\n\n")
            subs = g.btrfs_subvolume_list("/")
            assert [(s["btrfssubvolume_id"], s["btrfssubvolume_top_level_id"],
                     s["btrfssubvolume_path"]) for s in subs] == [
                (300, 5, "my path x"), (301, 300, "a b/path c")], subs
            fake.set("subvolume-list", "")
            assert g.btrfs_subvolume_list("/") == []
            fake.set("subvolume-list", "ID x gen 1 top level 5 path a\n")
            expect_error(g, g.btrfs_subvolume_list, "/", errno=errno.EIO, match="unexpected")

            # Current qgroup table, with a path column holding spaces.
            fake.set("qgroup-show", "Qgroupid    Referenced    Exclusive   Path \n"
                     "--------    ----------    ---------   ---- \n"
                     "0/5              16384        16384   <toplevel>\n"
                     "1/1000               0            0   <0 member qgroups>\n")
            assert [(q["btrfsqgroup_id"], q["btrfsqgroup_rfer"], q["btrfsqgroup_excl"])
                    for q in g.btrfs_qgroup_show("/")] == [("0/5", 16384, 16384),
                                                          ("1/1000", 0, 0)]
            fake.set("qgroup-show", "qgroupid rfer excl\n0/5 16.00KiB 16.00KiB\n")
            expect_error(g, g.btrfs_qgroup_show, "/", errno=errno.EIO)

            fake.set("subvolume-get-default", "ID 5 (FS_TREE)\n")
            assert g.btrfs_subvolume_get_default("/") == 5
            fake.set("subvolume-get-default", "ID 260 gen 12 top level 5 path snap\n")
            assert g.btrfs_subvolume_get_default("/") == 260
            fake.set("subvolume-get-default", "garbage\n")
            expect_error(g, g.btrfs_subvolume_get_default, "/", errno=errno.EIO)

            # subvolume show: a snapshot list, a quota section, colons in values.
            fake.set("subvolume-show", "sub1\n"
                     "\tName: \t\t\tsub1\n"
                     "\tCreation time: \t\t2024-01-02 03:04:05 +0000\n"
                     "\tSubvolume ID: \t\t256\n"
                     "\tSnapshot(s):\n"
                     "\t\t\t\tsnap:1\n"
                     "\t\t\t\tdir/snap 2\n"
                     "\tQuota group:\t\t0/256\n"
                     "\t  Limit referenced:\t-\n")
            show = g.btrfs_subvolume_show("/")
            assert show == {"Name": "sub1", "Creation time": "2024-01-02 03:04:05 +0000",
                            "Subvolume ID": "256", "Snapshot(s)": "snap:1,dir/snap 2",
                            "Quota group": "0/256", "Limit referenced": "-"}, show

            # balance status: a running balance (exit status 1 says so).
            fake.set("balance-status", "Balance on '.' is running\n"
                     "2 out of about 10 chunks balanced (3 considered),  80% left\n", rc=1)
            assert g.btrfs_balance_status("/") == {
                "btrfsbalance_status": "running", "btrfsbalance_total": 10,
                "btrfsbalance_balanced": 2, "btrfsbalance_considered": 3,
                "btrfsbalance_left": 80}
            fake.set("balance-status", "Balance on '.' is paused\n"
                     "7 out of about 10 chunks balanced (8 considered),  30% left\n", rc=1)
            assert g.btrfs_balance_status("/")["btrfsbalance_status"] == "paused"
            fake.set("balance-status", "", rc=2, err="ERROR: balance status on '.' failed: "
                     "Permission denied\n")
            msg = expect_error(g, g.btrfs_balance_status, "/", match="Permission denied")
            assert "'/'" in msg, msg

            # scrub status of two devices: counters add up.
            dev = ("\tdata_extents_scrubbed: 1\n\ttree_extents_scrubbed: 2\n"
                   "\tdata_bytes_scrubbed: 4096\n\ttree_bytes_scrubbed: 8192\n"
                   "\tread_errors: 0\n\tcsum_errors: 1\n\tverify_errors: 0\n\tno_csum: 0\n"
                   "\tcsum_discards: 0\n\tsuper_errors: 0\n\tmalloc_errors: 0\n"
                   "\tuncorrectable_errors: 0\n\tunverified_errors: 0\n"
                   "\tcorrected_errors: 1\n\tlast_physical: %d\n")
            fake.set("scrub-status", "UUID: x\nScrub started: Mon Jan  1 00:00:00 2024\n"
                     "Status: finished\n" + dev % 100 + dev % 300)
            st = g.btrfs_scrub_status("/")
            assert st["btrfsscrub_data_bytes_scrubbed"] == 8192, st
            assert st["btrfsscrub_csum_errors"] == 2 and st["btrfsscrub_corrected_errors"] == 2
            assert st["btrfsscrub_last_physical"] == 300, st

            # scrub start -B: 3 says the scrub found uncorrectable errors
            # (they are in scrub_status); anything else is a failure.
            fake.set("scrub-start", "scrub done\n", rc=3,
                     err="ERROR: there are 2 uncorrectable errors\n")
            g.btrfs_scrub_start("/")
            fake.set("scrub-start", "", rc=1, err="ERROR: scrubbing . failed for device id 1: "
                     "ret=-1, errno=30 (Read-only file system)\n")
            msg = expect_error(g, g.btrfs_scrub_start, "/", match="Read-only file system")
            assert "scrubbing / failed" in msg and "unshare" not in msg, msg

            # filesystem show: guest names back; a missing member is ENODEV.
            fake.set("filesystem-show", "Label: none  uuid: x\n\tTotal devices 1 FS bytes used 1\n"
                     "\tdevid    1 size 1.00GiB used 0 path /dev/sda1\n")
            assert g.btrfs_filesystem_show("/dev/sda1") == ["/dev/sda1"]
            fake.set("filesystem-show", "Label: none  uuid: x\n\tTotal devices 2 FS bytes used 1\n"
                     "\tdevid    1 size 1.00GiB used 0 path /dev/sda1\n"
                     "\t*** Some devices missing\n")
            expect_error(g, g.btrfs_filesystem_show, "/dev/sda1", errno=errno.ENODEV)
            g.ping_daemon()
        finally:
            h.__exit__(None, None, None)


gdtest.main()
