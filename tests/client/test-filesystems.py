#!/usr/bin/python3
# Filesystems through the real libguestfs library: mkfs and its optional
# arguments per filesystem, labels and UUIDs, probing (blkid, vfs_*,
# findfs, list_filesystems), ext2/3/4 tools, swap, XFS, NTFS, F2FS,
# squashfs, ISO 9660, statvfs/df, minimum sizes, syslinux/extlinux.

import errno
import os
import re
import subprocess
import time

import gdtest
from gdtest import MiB, test, skip

UUID = "9a01e959-8d4f-66dd-0eba-d3eb35a35850"


def available(g, group):
    return g.feature_available([group])


def need_program(*names):
    for n in names:
        if not gdtest.have_program(n):
            skip(f"{n} is not installed")


def sfdisk_image(path, size_mib, script):
    """A raw image partitioned on the host by sfdisk (MBR)."""
    with open(path, "wb") as f:
        f.truncate(size_mib * MiB)
    subprocess.run(["sfdisk", "--quiet", path], input=script.encode(), check=True,
                   stdout=subprocess.DEVNULL)
    return path


def fetch(g, path):
    """A guest file's bytes, through download."""
    with gdtest.tmpdir() as d:
        local = os.path.join(d, "f")
        g.download(path, local)
        with open(local, "rb") as f:
            return f.read()


def put(g, path, data):
    with gdtest.tmpdir() as d:
        local = os.path.join(d, "f")
        with open(local, "wb") as f:
            f.write(data)
        g.upload(local, path)


# ---- mkfs --------------------------------------------------------------------

def have_mkfs(fstype):
    prog = {"ext2": "mke2fs", "ext3": "mke2fs", "ext4": "mke2fs", "swap": "mkswap"}
    return gdtest.have_program(prog.get(fstype, "mkfs." + fstype))


MKFS_TYPES = [
    # fstype, expected vfs_type, label
    ("ext2", "ext2", "e2label"),
    ("ext3", "ext3", "e3label"),
    ("ext4", "ext4", "e4label"),
    ("xfs", "xfs", "xfslabel"),
    ("btrfs", "btrfs", "btrfslabel"),
    ("vfat", "vfat", "FATLABEL"),
    ("ntfs", "ntfs", "ntfs label"),
    ("f2fs", "f2fs", "f2fslabel"),
    ("swap", "swap", "swaplabel"),
    ("exfat", "exfat", "exfatlabel"),
]


@test
def test_mkfs_every_type_with_label():
    with gdtest.handle(disks=[400]) as g:
        g.part_disk("/dev/sda", "mbr")
        for fstype, vfs, label in MKFS_TYPES:
            if not have_mkfs(fstype):
                continue
            g.mkfs(fstype, "/dev/sda1", label=label)
            assert g.vfs_type("/dev/sda1") == vfs, fstype
            assert g.vfs_label("/dev/sda1") == label, fstype
            assert g.vfs_uuid("/dev/sda1") != "", fstype
        g.mkfs("ext4", "/dev/sda1")
        assert g.vfs_label("/dev/sda1") == ""


@test
def test_mkfs_over_another_filesystem():
    # Superblocks of the old filesystem that the new one does not overwrite
    # (btrfs keeps one at 64 KiB) must not make probing ambiguous.
    with gdtest.handle(disks=[400]) as g:
        g.part_disk("/dev/sda", "mbr")
        for fstype, vfs, _ in MKFS_TYPES:
            if not have_mkfs(fstype):
                continue
            for old in ("btrfs", "ntfs"):
                g.mkfs(old, "/dev/sda1")
                g.mkfs(fstype, "/dev/sda1")
                assert g.vfs_type("/dev/sda1") == vfs, (old, fstype)
        assert g.list_partitions() == ["/dev/sda1"]
        assert g.blkid("/dev/sda1")["PART_ENTRY_NUMBER"] == "1"


@test
def test_mkfs_on_whole_disk():
    with gdtest.handle(disks=[64]) as g:
        for fstype in ("ext4", "vfat", "ntfs"):
            g.mkfs(fstype, "/dev/sda")
            assert g.vfs_type("/dev/sda") == fstype


@test
def test_mkfs_blocksize_is_per_filesystem():
    with gdtest.handle(disks=[400]) as g:
        g.part_disk("/dev/sda", "mbr")
        # ext: block size, inode size and features.
        g.mkfs("ext4", "/dev/sda1", blocksize=4096, inode=256, features="^has_journal")
        t = g.tune2fs_l("/dev/sda1")
        assert t["Block size"] == "4096" and t["Inode size"] == "256"
        assert "has_journal" not in t["Filesystem features"].split()
        g.mkfs_b("ext2", 1024, "/dev/sda1")
        assert g.tune2fs_l("/dev/sda1")["Block size"] == "1024"
        # FAT: the block size is the cluster size (sectors per cluster at
        # offset 13 of the boot sector).
        g.mkfs("vfat", "/dev/sda1", blocksize=32768)
        g.mkfs_b("vfat", 16384, "/dev/sda1")
        # NTFS: the cluster size too (sectors per cluster at offset 13).
        g.mkfs("ntfs", "/dev/sda1", blocksize=32768)
        assert g.vfs_type("/dev/sda1") == "ntfs"
        # XFS spells it -b size=, and takes a sector size.
        g.mkfs("xfs", "/dev/sda1", blocksize=4096, sectorsize=4096)
        x = g.xfs_info("/dev/sda1")
        assert x["xfs_blocksize"] == 4096 and x["xfs_sectsize"] == 4096
        g.mkfs("xfs", "/dev/sda1", blocksize=2048)
        assert g.xfs_info("/dev/sda1")["xfs_blocksize"] == 2048
        # btrfs takes a sector size, not a block size.
        g.mkfs("btrfs", "/dev/sda1", sectorsize=4096)
        assert g.vfs_type("/dev/sda1") == "btrfs"


@test
def test_mkfs_cluster_sizes_on_disk():
    with gdtest.tmpdir() as d:
        img = os.path.join(d, "a.img")
        with open(img, "wb") as f:
            f.truncate(100 * MiB)
        with gdtest.handle(images=[img]) as g:
            g.mkfs("vfat", "/dev/sda", blocksize=32768)
            g.sync()
        with open(img, "rb") as f:
            assert f.read(16)[13] == 64  # 32768 / 512
        with gdtest.handle(images=[img]) as g:
            g.mkfs_b("ntfs", 8192, "/dev/sda")
            g.sync()
        with open(img, "rb") as f:
            assert f.read(16)[13] == 16  # 8192 / 512


@test
def test_mkfs_errors():
    with gdtest.handle(disks=[100]) as g:
        g.part_disk("/dev/sda", "mbr")
        gdtest.expect_error(g, g.mkfs, "nosuchfs", "/dev/sda1", errno=errno.EINVAL,
                            match="unknown filesystem type")
        gdtest.expect_error(g, g.mkfs, "../ext4", "/dev/sda1", errno=errno.EINVAL)
        gdtest.expect_error(g, g.mkfs, "", "/dev/sda1", errno=errno.EINVAL)
        # tests.json mkfs_b_2/3: not powers of 2.
        gdtest.expect_error(g, g.mkfs_b, "vfat", 32769, "/dev/sda1", errno=errno.EINVAL,
                            match="power of 2")
        gdtest.expect_error(g, g.mkfs_b, "vfat", 33280, "/dev/sda1", errno=errno.EINVAL)
        gdtest.expect_error(g, g.mkfs, "ext4", "/dev/sda1", blocksize=0, errno=errno.EINVAL)
        gdtest.expect_error(g, g.mkfs, "ext4", "/dev/sda1", blocksize=-4096,
                            errno=errno.EINVAL)
        gdtest.expect_error(g, g.mkfs, "vfat", "/dev/sda1", blocksize=256, errno=errno.EINVAL)
        gdtest.expect_error(g, g.mkfs, "btrfs", "/dev/sda1", blocksize=4096,
                            errno=errno.EINVAL, match="btrfs")
        gdtest.expect_error(g, g.mkfs, "vfat", "/dev/sda1", inode=256, errno=errno.EINVAL,
                            match="inode")
        gdtest.expect_error(g, g.mkfs, "ext4", "/dev/sda1", sectorsize=512,
                            errno=errno.EINVAL, match="sector size")
        gdtest.expect_error(g, g.mkfs, "ext4", "/dev/sda1", label="x" * 17,
                            errno=errno.EINVAL, match="16 bytes")
        gdtest.expect_error(g, g.mkfs, "vfat", "/dev/sda1", label="x" * 12,
                            errno=errno.EINVAL, match="11 bytes")
        gdtest.expect_error(g, g.mkfs, "xfs", "/dev/sda1", label="x" * 13,
                            errno=errno.EINVAL, match="12 bytes")
        gdtest.expect_error(g, g.mkfs, "swap", "/dev/sda1", blocksize=4096,
                            errno=errno.EINVAL)
        # The tool's own complaint comes back too (XFS needs 300 MB), with
        # the client's device names.
        msg = gdtest.expect_error(g, g.mkfs, "xfs", "/dev/sda1", match="xfs")
        assert "/dev/loop" not in msg, msg
        # Not on a device in use.
        g.mkfs("ext4", "/dev/sda1")
        g.mount("/dev/sda1", "/")
        for fn, args in ((g.mkfs, ("vfat", "/dev/sda1")), (g.mkswap, ("/dev/sda1",)),
                         (g.mke2fs, ("/dev/sda1",)), (g.mke2journal, (4096, "/dev/sda1"))):
            gdtest.expect_error(g, fn, *args, errno=errno.EBUSY,
                                match="/dev/sda1: device is mounted")
        g.umount_all()
        g.ping_daemon()


# ---- labels and UUIDs --------------------------------------------------------

# fstype, a label, a UUID in the form the filesystem uses
LABEL_UUID_TYPES = [
    ("ext4", "ext4-label", UUID),
    ("xfs", "xfs-label", UUID),
    ("btrfs", "test-label-btrfs", UUID),
    ("vfat", "FAT-LABEL", "ABCD-1234"),
    ("ntfs", "NTFS Label", "1234567890ABCDEF"),
    ("swap", "swap-label", UUID),
    ("exfat", "exFAT label", "89AB-CDEF"),
]


@test
def test_set_label_and_uuid_every_type():
    with gdtest.handle(disks=[400]) as g:
        g.part_disk("/dev/sda", "mbr")
        dev = "/dev/sda1"
        for fstype, label, uuid in LABEL_UUID_TYPES:
            if not have_mkfs(fstype):
                continue
            g.mkfs(fstype, dev)
            g.set_label(dev, label)
            assert g.vfs_label(dev) == label, fstype
            assert g.findfs_label(label) == dev, fstype
            g.set_uuid(dev, uuid)
            assert g.vfs_uuid(dev) == uuid, fstype
            assert g.findfs_uuid(uuid) == dev, fstype
            g.set_uuid_random(dev)
            new = g.vfs_uuid(dev)
            assert new != uuid and new != "", fstype
            assert g.vfs_label(dev) == label, fstype
            assert g.vfs_type(dev) == fstype, fstype
        # Clearing labels.
        for fstype in ("ext4", "xfs", "vfat", "swap"):
            g.mkfs(fstype, dev, label="L")
            g.set_label(dev, "")
            assert g.vfs_label(dev) == "", fstype


@test
def test_label_and_uuid_errors():
    with gdtest.handle(disks=[400]) as g:
        g.part_disk("/dev/sda", "mbr")
        dev = "/dev/sda1"
        for fstype, limit in (("ext4", 16), ("xfs", 12), ("vfat", 11), ("swap", 15),
                              ("btrfs", 254)):
            g.mkfs(fstype, dev)
            gdtest.expect_error(g, g.set_label, dev, "x" * (limit + 1), errno=errno.EINVAL,
                                match=f"{limit} bytes")
            g.set_label(dev, "y" * limit)
            assert g.vfs_label(dev) == "y" * limit, (fstype, g.vfs_label(dev))
        g.mkfs("ntfs", dev)
        gdtest.expect_error(g, g.set_label, dev, "é" * 129, errno=errno.EINVAL,
                            match="128 characters")
        g.set_label(dev, "é" * 20)
        assert g.vfs_label(dev) == "é" * 20
        gdtest.expect_error(g, g.set_uuid, dev, "xyz", errno=errno.EINVAL)
        g.mkfs("vfat", dev)
        gdtest.expect_error(g, g.set_uuid, dev, UUID, errno=errno.EINVAL)
        g.mkfs("ext4", dev)
        gdtest.expect_error(g, g.set_uuid, dev, "not-a-uuid", errno=errno.EINVAL)
        # f2fs: no tool to change them.
        g.mkfs("f2fs", dev)
        gdtest.expect_error(g, g.set_label, dev, "x", errno=errno.ENOTSUP)
        gdtest.expect_error(g, g.set_uuid, dev, UUID, errno=errno.ENOTSUP)
        gdtest.expect_error(g, g.set_uuid_random, dev, errno=errno.ENOTSUP)


@test
def test_empty_device_probes_empty():
    with gdtest.handle(disks=[16]) as g:
        assert g.vfs_type("/dev/sda") == ""
        assert g.vfs_label("/dev/sda") == ""
        assert g.vfs_uuid("/dev/sda") == ""
        # Nothing but the device's name and I/O limits (blkid -p -i).
        assert sorted(g.blkid("/dev/sda")) == ["DEVNAME", "LOGICAL_SECTOR_SIZE",
                                                "MINIMUM_IO_SIZE", "PHYSICAL_SECTOR_SIZE"]
        gdtest.expect_error(g, g.set_label, "/dev/sda", "x", errno=errno.ENOTSUP,
                            match="don't know how")
        gdtest.expect_error(g, g.set_uuid, "/dev/sda", UUID, errno=errno.ENOTSUP)
        gdtest.expect_error(g, g.vfs_minimum_size, "/dev/sda", errno=errno.ENOTSUP)
        gdtest.expect_error(g, g.findfs_label, "nolabel", errno=errno.ENOENT)
        gdtest.expect_error(g, g.findfs_uuid, UUID, errno=errno.ENOENT)


@test
def test_blkid_keys():
    with gdtest.handle(disks=[100]) as g:
        g.part_disk("/dev/sda", "mbr")
        g.mkfs("ext2", "/dev/sda1", label="blk")
        b = g.blkid("/dev/sda1")
        assert b["TYPE"] == "ext2" and b["USAGE"] == "filesystem"
        assert b["LABEL"] == "blk" and b["UUID"] == g.vfs_uuid("/dev/sda1")
        assert b["DEVNAME"] == "/dev/sda1"
        assert b["PART_ENTRY_NUMBER"] == "1" and b["PART_ENTRY_TYPE"] == "0x83"
        assert int(b["PART_ENTRY_SIZE"]) > 0 and int(b["PART_ENTRY_OFFSET"]) > 0
        # Shell-special characters: blkid's escapes, passed on as the
        # original does; vfs_label has the label itself.
        g.set_label("/dev/sda1", "a b'$\\")
        assert g.blkid("/dev/sda1")["LABEL"] == "a\\ b\\'\\$\\\\"
        assert g.vfs_label("/dev/sda1") == "a b'$\\"


@test
def test_findfs_prefers_partitions_and_only_our_devices():
    with gdtest.handle(disks=[64, 64]) as g:
        g.mkfs("ext4", "/dev/sda", label="same")
        g.part_disk("/dev/sdb", "mbr")
        g.mkfs("ext4", "/dev/sdb1", label="other")
        assert g.findfs_label("same") == "/dev/sda"
        assert g.findfs_label("other") == "/dev/sdb1"
        uuid = g.vfs_uuid("/dev/sdb1")
        assert g.findfs_uuid(uuid) == "/dev/sdb1"
        # The host's own filesystems are never found.
        host_root = subprocess.run(["findmnt", "-n", "-o", "UUID", "/"],
                                   capture_output=True, text=True).stdout.strip()
        if host_root:
            gdtest.expect_error(g, g.findfs_uuid, host_root, errno=errno.ENOENT)


# ---- list_filesystems --------------------------------------------------------

def btrfs_with_subvolumes(img, tmp, subvols, default=None):
    """mkfs.btrfs on a host image and create subvolumes in it, mounted in a
    private mount namespace."""
    need_program("mkfs.btrfs", "btrfs", "unshare")
    subprocess.run(["mkfs.btrfs", "-q", "-f", img], check=True, capture_output=True)
    mnt = os.path.join(tmp, "btrfs-mnt")
    os.mkdir(mnt)
    script = ('set -e; mount -o loop "$IMG" "$MNT"; trap \'umount "$MNT"\' EXIT\n'
              'for v in "$@"; do btrfs -q subvolume create "$MNT/$v"; done\n')
    if default:
        script += 'btrfs subvolume set-default "$MNT/$DEFAULT"\n'
    subprocess.run(["unshare", "-m", "sh", "-c", script, "sh"] + subvols, check=True,
                   env=dict(os.environ, IMG=img, MNT=mnt, DEFAULT=default or ""))


@test
def test_list_filesystems():
    need_program("sfdisk")
    with gdtest.tmpdir() as d:
        # sda: 1 ext4, 2 extended (5 swap, 6 nothing), 3 empty, 4 LDM (skipped)
        sda = sfdisk_image(os.path.join(d, "sda.img"), 200,
                           "label: dos\n,40M,83\n,80M,5\n,20M,83\n,20M,42\n,30M,82\n,,83\n")
        sdb = os.path.join(d, "sdb.img")  # whole-disk xfs
        sdc = os.path.join(d, "sdc.img")  # whole-disk nothing
        sdd = os.path.join(d, "sdd.img")  # whole-disk btrfs with subvolumes
        for p, s in ((sdb, 400), (sdc, 16), (sdd, 200)):
            with open(p, "wb") as f:
                f.truncate(s * MiB)
        btrfs_with_subvolumes(sdd, d, ["sv1", "sv1/nested", "sv 2"], default="sv1")
        with gdtest.handle(images=[sda, sdb, sdc, sdd]) as g:
            assert g.list_partitions() == ["/dev/sda1", "/dev/sda2", "/dev/sda3", "/dev/sda4",
                                           "/dev/sda5", "/dev/sda6"]
            g.mkfs("ext4", "/dev/sda1")
            g.mkfs("vfat", "/dev/sda4")  # inside an LDM partition: ignored
            g.mkswap("/dev/sda5")
            g.mkfs("xfs", "/dev/sdb")
            fs = g.list_filesystems()
            assert fs == {
                "/dev/sda1": "ext4",
                "/dev/sda3": "unknown",
                "/dev/sda5": "swap",
                "/dev/sda6": "unknown",
                "/dev/sdb": "xfs",
                "/dev/sdc": "unknown",
                "/dev/sdd": "btrfs",
                # not sv1: it is the default subvolume, what /dev/sdd mounts
                "btrfsvol:/dev/sdd/sv1/nested": "btrfs",
                "btrfsvol:/dev/sdd/sv 2": "btrfs",
            }, fs
            assert list(fs)[:3] == ["/dev/sdb", "/dev/sdc", "/dev/sdd"], list(fs)
            assert list(fs)[5:] == ["/dev/sda1", "/dev/sda3", "/dev/sda5", "/dev/sda6"], list(fs)
            g.mount("btrfsvol:/dev/sdd/sv 2", "/")
            g.umount_all()
            # A mounted filesystem is still listed, and listing does not
            # disturb mounts.
            g.mount("/dev/sdd", "/")
            assert g.list_filesystems()["/dev/sdd"] == "btrfs"
            assert g.mounts() == ["/dev/sdd"]


# ---- ext2/3/4 ----------------------------------------------------------------

@test
def test_tune2fs_and_tune2fs_l():
    with gdtest.handle(disks=[100]) as g:
        g.part_disk("/dev/sda", "mbr")
        g.mkfs("ext2", "/dev/sda1")
        t = g.tune2fs_l("/dev/sda1")
        assert t["Filesystem magic number"] == "0xEF53"
        assert t["Filesystem OS type"] == "Linux"
        assert t["Filesystem volume name"] == ""  # <none>
        assert not any(k.startswith("tune2fs ") for k in t)
        g.tune2fs("/dev/sda1", force=False, maxmountcount=0, intervalbetweenchecks=0)
        t = g.tune2fs_l("/dev/sda1")
        assert t["Check interval"] == "0 (<none>)" and t["Maximum mount count"] == "-1"
        g.tune2fs("/dev/sda1", maxmountcount=0, intervalbetweenchecks=86400)
        assert g.tune2fs_l("/dev/sda1")["Check interval"] == "86400 (1 day)"
        g.tune2fs("/dev/sda1", group=1, user=1)
        t = g.tune2fs_l("/dev/sda1")
        assert re.search(r"^1 \(user \S+\)", t["Reserved blocks uid"])
        assert re.search(r"^1 \(group \S+\)", t["Reserved blocks gid"])
        g.tune2fs("/dev/sda1", mountcount=7, maxmountcount=20, errorbehavior="panic",
                  reservedblockspercentage=2, lastmounteddirectory="/mnt/x")
        t = g.tune2fs_l("/dev/sda1")
        assert t["Mount count"] == "7" and t["Maximum mount count"] == "20"
        assert t["Errors behavior"] == "Panic" and t["Last mounted on"] == "/mnt/x"
        g.tune2fs("/dev/sda1", reservedblockscount=100)
        assert g.tune2fs_l("/dev/sda1")["Reserved block count"] == "100"
        gdtest.expect_error(g, g.tune2fs, "/dev/sda1", errorbehavior="explode",
                            errno=errno.EINVAL)
        gdtest.expect_error(g, g.tune2fs, "/dev/sda1", mountcount=-2, errno=errno.EINVAL)
        gdtest.expect_error(g, g.tune2fs, "/dev/sda1", reservedblockspercentage=90,
                            errno=errno.EINVAL)


@test
def test_e2_labels_uuids_and_journals():
    with gdtest.handle(disks=[100, 16]) as g:
        g.part_disk("/dev/sda", "mbr")
        g.mkfs("ext3", "/dev/sda1")
        g.set_e2label("/dev/sda1", "e2")
        assert g.get_e2label("/dev/sda1") == "e2"
        gdtest.expect_error(g, g.set_e2label, "/dev/sda1", "x" * 17, errno=errno.EINVAL)
        g.set_e2uuid("/dev/sda1", UUID)
        assert g.get_e2uuid("/dev/sda1") == UUID
        g.set_e2uuid("/dev/sda1", "clear")
        assert g.get_e2uuid("/dev/sda1") == ""
        g.set_e2uuid("/dev/sda1", "random")
        assert g.get_e2uuid("/dev/sda1") not in ("", UUID)
        # tests.json get_e2uuid_0: a journal device has a UUID too.
        g.mke2journal(1024, "/dev/sdb")
        assert g.vfs_type("/dev/sdb") == "jbd" and g.get_e2uuid("/dev/sdb") != ""
        g.mke2journal_L(1024, "JLABEL", "/dev/sdb")
        g.mke2fs_JL("ext4", 1024, "/dev/sda1", "JLABEL")
        assert g.vfs_type("/dev/sda1") == "ext4"
        g.mke2journal_U(1024, UUID, "/dev/sdb")
        g.mke2fs_JU("ext3", 1024, "/dev/sda1", UUID)
        g.mke2journal(1024, "/dev/sdb")
        g.mke2fs_J("ext2", 1024, "/dev/sda1", "/dev/sdb")
        g.mount("/dev/sda1", "/")
        g.write("/new", b"new file contents")
        assert fetch(g, "/new") == b"new file contents"
        g.umount_all()
        gdtest.expect_error(g, g.mke2fs_JL, "ext4", 1024, "/dev/sda1", "nosuchlabel",
                            errno=errno.ENOENT)
        gdtest.expect_error(g, g.mke2fs_J, "xfs", 1024, "/dev/sda1", "/dev/sdb",
                            errno=errno.EINVAL)
        gdtest.expect_error(g, g.mke2journal, 1000, "/dev/sdb", errno=errno.EINVAL)
        gdtest.expect_error(g, g.mke2journal_L, 1024, "x" * 17, "/dev/sdb",
                            errno=errno.EINVAL)


@test
def test_mke2fs_optargs():
    with gdtest.handle(disks=[200]) as g:
        g.part_disk("/dev/sda", "mbr")
        g.mke2fs("/dev/sda1", blocksize=4096, fstype="ext4", label="full",
                 inodesize=256, numberofinodes=5000, reservedblockspercentage=1,
                 uuid=UUID, lastmounteddir="/srv", creatoros="Linux",
                 extent=True, hasjournal=False, flexbg=True, largefile=True,
                 lazyitableinit=False, discard=False, forcecreate=True,
                 stridesize=16, stripewidth=32, blockscount=20000)
        t = g.tune2fs_l("/dev/sda1")
        assert t["Block size"] == "4096" and t["Inode size"] == "256"
        assert t["Filesystem volume name"] == "full" and t["Filesystem UUID"] == UUID
        assert t["Last mounted on"] == "/srv" and t["Block count"] == "20000"
        assert t["RAID stride"] == "16" and t["RAID stripe width"] == "32"
        feats = t["Filesystem features"].split()
        assert "extent" in feats and "has_journal" not in feats
        assert int(t["Inode count"]) >= 5000
        gdtest.expect_error(g, g.mke2fs, "/dev/sda1", blocksize=3000, errno=errno.EINVAL)
        gdtest.expect_error(g, g.mke2fs, "/dev/sda1", fstype="xfs", errno=errno.EINVAL)
        gdtest.expect_error(g, g.mke2fs, "/dev/sda1", label="x" * 17, errno=errno.EINVAL)
        gdtest.expect_error(g, g.mke2fs, "/dev/sda1", blockscount=-1, errno=errno.EINVAL)
        gdtest.expect_error(g, g.mke2fs, "/dev/sda1", journaldevice="LABEL=none",
                            errno=errno.ENOENT)


@test
def test_mke2fs_external_journal_by_label():
    need_program("sfdisk")
    with gdtest.tmpdir() as d:
        img = sfdisk_image(os.path.join(d, "a.img"), 200, "label: dos\n,100M,83\n,,83\n")
        with gdtest.handle(images=[img]) as g:
            # tests.json mke2fs_0 and mke2fs_1.
            g.mke2fs("/dev/sda1", blocksize=4096, journaldev=True)
            g.mke2fs("/dev/sda2", blocksize=4096, journaldevice="/dev/sda1", fstype="ext2")
            g.mount("/dev/sda2", "/")
            g.write("/new", b"new file contents")
            assert fetch(g, "/new") == b"new file contents"
            g.umount_all()
            g.mke2fs("/dev/sda1", blocksize=4096, journaldevice="/dev/sda1",
                     label="JOURNAL", fstype="ext2", journaldev=True)
            g.mke2fs("/dev/sda2", blocksize=4096, journaldevice="LABEL=JOURNAL",
                     label="JOURNAL", fstype="ext2")
            assert g.vfs_label("/dev/sda2") == "JOURNAL"
            g.mount("/dev/sda2", "/")
            g.write("/new", b"new file contents")
            assert fetch(g, "/new") == b"new file contents"


@test
def test_fsck_and_e2fsck():
    with gdtest.handle(disks=[100, 16]) as g:
        g.part_disk("/dev/sda", "mbr")
        g.mkfs("ext2", "/dev/sda1")
        assert g.fsck("ext2", "/dev/sda1") == 0
        g.e2fsck("/dev/sda1")
        g.e2fsck("/dev/sda1", correct=True)
        g.e2fsck("/dev/sda1", forceall=True)
        g.e2fsck_f("/dev/sda1")
        gdtest.expect_error(g, g.e2fsck, "/dev/sda1", correct=True, forceall=True,
                            errno=errno.EINVAL, match="only one")
        gdtest.expect_error(g, g.fsck, "ext2; rm", "/dev/sda1", errno=errno.EINVAL)
        # tests.json fsck_1: nothing there is fsck status 8.
        assert g.fsck("ext2", "/dev/sdb") == 8
        gdtest.expect_error(g, g.e2fsck, "/dev/sdb", match="e2fsck")
        gdtest.expect_error(g, g.e2fsck_f, "/dev/sdb")


@test
def test_fsck_corrects_damage():
    need_program("debugfs")
    with gdtest.tmpdir() as d:
        img = os.path.join(d, "a.img")
        with open(img, "wb") as f:
            f.truncate(64 * MiB)
        with gdtest.handle(images=[img]) as g:
            g.mkfs("ext2", "/dev/sda")
        # Clear the root directory's inode: preening cannot fix that.
        subprocess.run(["debugfs", "-w", "-R", "clri <2>", img], check=True,
                       capture_output=True)
        with gdtest.handle(images=[img]) as g:
            gdtest.expect_error(g, g.e2fsck, "/dev/sda", match="status")
            gdtest.expect_error(g, g.e2fsck, "/dev/sda", correct=True, match="status 4")
            gdtest.expect_error(g, g.e2fsck_f, "/dev/sda")
            assert g.fsck("ext2", "/dev/sda") == 4
            g.e2fsck("/dev/sda", forceall=True)
            g.e2fsck("/dev/sda")
            assert g.fsck("ext2", "/dev/sda") == 0
            g.mount("/dev/sda", "/")
            assert g.is_dir("/lost+found")


def have_cap_sys_resource():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapEff:"):
                return int(line.split()[1], 16) & (1 << 24) != 0
    return False


@test
def test_resize2fs():
    with gdtest.handle(disks=[200]) as g:
        g.part_disk("/dev/sda", "mbr")
        g.mke2fs("/dev/sda1", fstype="ext4", blocksize=4096, blockscount=10000)
        g.resize2fs("/dev/sda1")
        full = int(g.tune2fs_l("/dev/sda1")["Block count"])
        assert full > 40000
        g.resize2fs_size("/dev/sda1", 100 * MiB)
        assert int(g.tune2fs_l("/dev/sda1")["Block count"]) * 4096 == 100 * MiB
        g.resize2fs_M("/dev/sda1")
        small = int(g.tune2fs_l("/dev/sda1")["Block count"]) * 4096
        assert small < 100 * MiB
        assert g.vfs_minimum_size("/dev/sda1") <= small
        # Online growth of a mounted filesystem (the kernel wants
        # CAP_SYS_RESOURCE, which some containers drop).
        g.mount("/dev/sda1", "/")
        if have_cap_sys_resource():
            g.resize2fs("/dev/sda1")
            assert int(g.tune2fs_l("/dev/sda1")["Block count"]) == full
        gdtest.expect_error(g, g.resize2fs_size, "/dev/sda1", 1000, errno=errno.EINVAL)
        gdtest.expect_error(g, g.resize2fs_size, "/dev/sda1", -1024, errno=errno.EINVAL)


@test
def test_e2attrs_and_generation():
    with gdtest.handle(disks=[64]) as g:
        g.part_disk("/dev/sda", "mbr")
        g.mkfs("ext2", "/dev/sda1")
        g.mount("/dev/sda1", "/")
        g.touch("/f")
        assert g.get_e2attrs("/f") == ""
        g.set_e2attrs("/f", "is")
        assert g.get_e2attrs("/f") == "is"
        g.set_e2attrs("/f", "is", clear=True)
        # tests.json get_e2attrs_3
        g.set_e2attrs("/f", "adst")
        g.set_e2attrs("/f", "iS")
        g.set_e2attrs("/f", "i", clear=True)
        g.set_e2attrs("/f", "ad", clear=True)
        g.set_e2attrs("/f", "")
        g.set_e2attrs("/f", "", clear=True)
        assert g.get_e2attrs("/f") == "Sst"
        gdtest.expect_error(g, g.set_e2attrs, "/f", "v", errno=errno.EINVAL)
        gdtest.expect_error(g, g.set_e2attrs, "/f", "aa", errno=errno.EINVAL)
        g.mkdir("/d")
        g.set_e2attrs("/d", "D")
        assert g.get_e2attrs("/d") == "D"
        g.set_e2generation("/f", 123456)
        assert g.get_e2generation("/f") == 123456
        g.set_e2generation("/f", 4294967295)
        assert g.get_e2generation("/f") == 4294967295
        gdtest.expect_error(g, g.set_e2generation, "/f", -1, errno=errno.EINVAL)
        gdtest.expect_error(g, g.set_e2generation, "/f", 1 << 32, errno=errno.EINVAL)
        gdtest.expect_error(g, g.get_e2attrs, "/nope", errno=errno.ENOENT)
        gdtest.expect_error(g, g.get_e2generation, "/nope", errno=errno.ENOENT)
        # ext4 files use extents.
        g.umount_all()
        g.mkfs("ext4", "/dev/sda1")
        g.mount("/dev/sda1", "/")
        g.write("/e", b"x")
        assert g.get_e2attrs("/e") == "e"


@test
def test_mklost_and_found():
    with gdtest.handle(disks=[64]) as g:
        gdtest.mkfs_mount(g, fstype="ext2")
        g.mkdir("/sub")
        g.mklost_and_found("/sub")
        assert g.is_dir("/sub/lost+found")
        gdtest.expect_error(g, g.mklost_and_found, "/")  # already there
        gdtest.expect_error(g, g.mklost_and_found, "/nope", errno=errno.ENOENT)


# ---- swap --------------------------------------------------------------------

def swaps():
    with open("/proc/swaps") as f:
        return f.read()


@test
def test_swap_devices():
    # mkswap works on the guest's disks; swapon is refused in host mode:
    # the host's kernel would page every process's memory out to the
    # image, where the client reads it back (tests/security checks the
    # same).  swapoff of an area that is not on says so.
    with gdtest.handle(disks=[64, 32]) as g:
        g.part_disk("/dev/sda", "mbr")
        before = swaps()
        g.mkswap("/dev/sda1", label="swapL", uuid=UUID)
        assert g.vfs_type("/dev/sda1") == "swap"
        assert g.vfs_label("/dev/sda1") == "swapL" and g.vfs_uuid("/dev/sda1") == UUID
        for fn, arg in ((g.swapon_device, "/dev/sda1"), (g.swapon_label, "swapL"),
                        (g.swapon_uuid, UUID)):
            gdtest.expect_error(g, fn, arg, errno=errno.EPERM, match="refused in host mode")
        assert swaps() == before
        g.mkswap_L("L2", "/dev/sdb")
        assert g.vfs_label("/dev/sdb") == "L2"
        g.mkswap_U(UUID, "/dev/sdb")
        assert g.vfs_uuid("/dev/sdb") == UUID
        gdtest.expect_error(g, g.swapon_label, "nolabel", errno=errno.ENOENT)
        gdtest.expect_error(g, g.swapoff_device, "/dev/sdb", errno=errno.EINVAL)
        gdtest.expect_error(g, g.mkswap, "/dev/sdb", label="x" * 16, errno=errno.EINVAL)
        gdtest.expect_error(g, g.mkswap, "/dev/sdb", uuid="bad", errno=errno.EINVAL)
        assert swaps() == before


@test
def test_swap_file():
    with gdtest.handle(disks=[64]) as g:
        gdtest.mkfs_mount(g, fstype="ext4")
        put(g, "/swapfile", b"\0" * (8 * MiB))
        before = swaps()
        g.mkswap_file("/swapfile")
        gdtest.expect_error(g, g.swapon_file, "/swapfile", errno=errno.EPERM,
                            match="refused in host mode")
        assert swaps() == before
        g.mkdir("/dir")
        gdtest.expect_error(g, g.mkswap_file, "/dir", errno=errno.EINVAL)
        gdtest.expect_error(g, g.swapon_file, "/nope", errno=errno.ENOENT)


# ---- XFS ---------------------------------------------------------------------

@test
def test_xfs():
    with gdtest.handle(disks=[400]) as g:
        if not available(g, "xfs"):
            skip("xfs group not available")
        g.part_disk("/dev/sda", "mbr")
        g.mkfs("xfs", "/dev/sda1")
        x = g.xfs_info("/dev/sda1")
        assert x["xfs_blocksize"] == 4096 and x["xfs_mntpoint"] == "/dev/sda1"
        assert x["xfs_agcount"] > 0 and x["xfs_datablocks"] > 0
        assert x["xfs_logname"] == "internal" and x["xfs_rtname"] == "none"
        assert x["xfs_dirversion"] == 2 and x["xfs_logversion"] == 2
        assert x["xfs_lazycount"] == 1 and x["xfs_inodesize"] == 512
        # tests.json xfs_admin_1/2
        g.xfs_admin("/dev/sda1", uuid=UUID)
        assert g.vfs_uuid("/dev/sda1") == UUID
        g.xfs_admin("/dev/sda1", label="LBL-TEST")
        assert g.vfs_label("/dev/sda1") == "LBL-TEST"
        gdtest.expect_error(g, g.xfs_admin, "/dev/sda1", label="x" * 13, errno=errno.EINVAL)
        assert g.xfs_repair("/dev/sda1", nomodify=True) == 0
        assert g.xfs_repair("/dev/sda1") == 0
        # tests.json xfs_info_0: by mounted path.
        g.mount("/dev/sda1", "/")
        g.mkdir("/sub")
        assert g.xfs_info("/")["xfs_blocksize"] == 4096
        assert g.xfs_info("/sub")["xfs_datablocks"] == x["xfs_datablocks"]
        g.xfs_growfs("/", datasec=True, logsec=False, rtsec=False)
        g.xfs_growfs("/sub", maxpct=30)
        assert g.xfs_info("/")["xfs_imaxpct"] == 30
        gdtest.expect_error(g, g.xfs_growfs, "/", datasize=-1, errno=errno.EINVAL)
        gdtest.expect_error(g, g.xfs_admin, "/dev/sda1", label="busy")  # mounted
        assert g.vfs_minimum_size("/dev/sda1") == x["xfs_datablocks"] * 4096
        g.umount_all()
        assert g.vfs_minimum_size("/dev/sda1") == x["xfs_datablocks"] * 4096
        # Not XFS.
        g.mkfs("ext4", "/dev/sda1")
        gdtest.expect_error(g, g.xfs_info, "/dev/sda1")
        g.mount("/dev/sda1", "/")
        gdtest.expect_error(g, g.xfs_info, "/")


@test
def test_xfs_repair_image_file():
    need_program("mkfs.xfs", "mke2fs")
    with gdtest.tmpdir() as d:
        # An ext4 disk holding an XFS image file, made on the host (mke2fs -d
        # copies the sparse image without writing its holes).
        src = os.path.join(d, "src")
        os.mkdir(src)
        xfs_img = os.path.join(src, "x.img")
        with open(xfs_img, "wb") as f:
            f.truncate(310 * MiB)
        subprocess.run(["mkfs.xfs", "-q", xfs_img], check=True)
        disk = os.path.join(d, "disk.img")
        subprocess.run(["mke2fs", "-q", "-F", "-t", "ext4", "-d", src, disk, "400M"], check=True,
                       stdout=subprocess.DEVNULL)
        with gdtest.handle(images=[disk]) as g:
            if not available(g, "xfs"):
                skip("xfs group not available")
            g.mount("/dev/sda", "/")
            assert g.xfs_repair("/x.img", nomodify=True) == 0
            assert g.xfs_repair("/x.img") == 0
            g.mkdir("/d")
            gdtest.expect_error(g, g.xfs_repair, "/d", errno=errno.EINVAL)
            gdtest.expect_error(g, g.xfs_repair, "/nope", errno=errno.ENOENT)
            gdtest.expect_error(g, g.xfs_repair, "/x.img", logdev="/dev/sdz", errno=errno.ENOENT)


# ---- NTFS, F2FS, btrfs ---------------------------------------------------------

@test
def test_ntfs():
    with gdtest.handle(disks=[200]) as g:
        g.part_disk("/dev/sda", "mbr")
        g.mkfs("ntfs", "/dev/sda1")
        minsize = g.vfs_minimum_size("/dev/sda1")
        assert 0 < minsize < 100 * MiB
        if available(g, "ntfsprogs"):
            g.ntfsresize_size("/dev/sda1", 80 * MiB)
            # After a resize NTFS wants a chkdsk: only force goes on.
            gdtest.expect_error(g, g.ntfsresize, "/dev/sda1")
            g.ntfsresize("/dev/sda1", force=True)
            gdtest.expect_error(g, g.ntfsresize, "/dev/sda1", size=-1, errno=errno.EINVAL)
        if available(g, "ntfs3g"):
            # tests.json ntfs_3g_probe_0/1, ntfsfix_0
            assert g.ntfs_3g_probe(True, "/dev/sda1") == 0
            g.ntfsfix("/dev/sda1", clearbadsectors=True)
            g.mkfs("ext2", "/dev/sda1")
            assert g.ntfs_3g_probe(True, "/dev/sda1") == 12


@test
def test_f2fs_and_btrfs_sizes():
    with gdtest.handle(disks=[400]) as g:
        g.part_disk("/dev/sda", "mbr")
        if available(g, "f2fs"):
            g.mkfs("f2fs", "/dev/sda1")
            g.f2fs_expand("/dev/sda1")
            assert g.vfs_type("/dev/sda1") == "f2fs"
            gdtest.expect_error(g, g.vfs_minimum_size, "/dev/sda1", errno=errno.ENOTSUP)
        g.mkfs("btrfs", "/dev/sda1")
        size = g.vfs_minimum_size("/dev/sda1")
        assert 0 < size < 400 * MiB
        g.mount("/dev/sda1", "/")
        assert g.vfs_minimum_size("/dev/sda1") == size


# ---- squashfs, ISO 9660 --------------------------------------------------------

@test
def test_mksquashfs():
    need_program("unsquashfs")
    with gdtest.tmpdir() as d, gdtest.handle(disks=[64]) as g:
        if not available(g, "squashfs"):
            skip("squashfs group not available")
        gdtest.mkfs_mount(g)
        g.mkdir("/src")
        g.mkdir("/src/sub")
        g.write("/src/a.txt", b"hello")
        g.write("/src/sub/b.log", b"world")
        g.write("/src/c.log", b"!")
        out = os.path.join(d, "img.sqsh")
        g.mksquashfs("/src", out)
        with open(out, "rb") as f:
            assert f.read(4) == b"hsqs"
        listing = subprocess.run(["unsquashfs", "-l", "-d", "", out], capture_output=True,
                                 text=True, check=True).stdout.split()
        assert {"/a.txt", "/sub", "/sub/b.log", "/c.log"} <= set(listing), listing
        # mksquashfs wildcards are anchored at the top ("... " matches anywhere).
        g.mksquashfs("/src", out, compress="xz", excludes=["*.log"])
        listing = subprocess.run(["unsquashfs", "-l", "-d", "", out], capture_output=True,
                                 text=True, check=True).stdout.split()
        assert "/a.txt" in listing and "/c.log" not in listing and "/sub/b.log" in listing
        g.mksquashfs("/src", out, excludes=["... *.log", "a.txt"])
        listing = subprocess.run(["unsquashfs", "-l", "-d", "", out], capture_output=True,
                                 text=True, check=True).stdout.split()
        assert listing == ["/sub"], listing
        gdtest.expect_error(g, g.mksquashfs, "/src", out, compress="nope", errno=errno.EINVAL)
        gdtest.expect_error(g, g.mksquashfs, "/nope", out, errno=errno.ENOENT)
        g.ping_daemon()


def make_iso(d):
    need_program("genisoimage")
    src = os.path.join(d, "isosrc")
    os.mkdir(src)
    with open(os.path.join(src, "hello.txt"), "w") as f:
        f.write("hello\n")
    iso = os.path.join(d, "test.iso")
    # In a time zone 5:30 from UTC: the dates carry that offset.
    subprocess.run(["genisoimage", "-quiet", "-J", "-r", "-V", "MYVOLUME", "-publisher",
                    "Pub", "-p", "Preparer", "-A", "App", "-volset", "SET", "-o", iso, src],
                   check=True, env=dict(os.environ, TZ="Asia/Kolkata"))
    return iso


def check_iso(info, iso):
    assert info["iso_system_id"] == "LINUX"
    assert info["iso_volume_id"] == "MYVOLUME"
    assert info["iso_volume_set_id"] == "SET"
    assert info["iso_publisher_id"] == "Pub"
    assert info["iso_data_preparer_id"] == "Preparer"
    assert info["iso_application_id"] == "App"
    assert info["iso_volume_set_size"] == 1 and info["iso_volume_sequence_number"] == 1
    assert info["iso_logical_block_size"] == 2048
    assert info["iso_volume_space_size"] * 2048 == os.path.getsize(iso)
    # genisoimage stamps the creation time as now, in local time with the
    # offset recorded: as seconds since the epoch it is close to now.
    assert abs(info["iso_volume_creation_t"] - time.time()) < 600, info
    if os.path.exists("/usr/share/zoneinfo/Asia/Kolkata"):
        with open(iso, "rb") as f:
            f.seek(16 * 2048 + 813 + 16)
            assert f.read(1) == bytes([22])  # +5:30 in 15-minute units
    assert info["iso_volume_modification_t"] == info["iso_volume_creation_t"]
    assert info["iso_volume_expiration_t"] == -1
    # The host's isoinfo agrees on the text fields.
    if gdtest.have_program("isoinfo"):
        text = subprocess.run(["isoinfo", "-d", "-i", iso], capture_output=True, text=True,
                              check=True).stdout
        assert re.search(r"^Volume id: MYVOLUME$", text, re.M)
        size = re.search(r"^Volume size is: (\d+)$", text, re.M)
        assert int(size.group(1)) == info["iso_volume_space_size"]


@test
def test_isoinfo():
    with gdtest.tmpdir() as d:
        iso = make_iso(d)
        with gdtest.handle(disks=[64], readonly_images=[iso]) as g:
            check_iso(g.isoinfo_device("/dev/sdb"), iso)
            gdtest.mkfs_mount(g)
            g.upload(iso, "/x.iso")
            check_iso(g.isoinfo("/x.iso"), iso)
            gdtest.expect_error(g, g.isoinfo_device, "/dev/sda1", errno=errno.EINVAL,
                                match="ISO 9660")
            g.mkdir("/dir")
            gdtest.expect_error(g, g.isoinfo, "/dir", errno=errno.EINVAL)
            gdtest.expect_error(g, g.isoinfo, "/nope", errno=errno.ENOENT)
            g.write("/short", b"CD001")
            gdtest.expect_error(g, g.isoinfo, "/short", errno=errno.EINVAL)
            assert g.vfs_type("/dev/sdb") == "iso9660"
            assert g.vfs_label("/dev/sdb") == "MYVOLUME"


# ---- statvfs, df, minimum sizes ----------------------------------------------

@test
def test_statvfs_and_df():
    with gdtest.handle(disks=[100]) as g:
        gdtest.mkfs_mount(g, fstype="ext4")
        s = g.statvfs("/")
        assert s["namemax"] == 255 and s["bsize"] in (1024, 4096)
        assert s["blocks"] * s["frsize"] > 80 * MiB
        assert 0 < s["bavail"] <= s["bfree"] <= s["blocks"]
        assert s["ffree"] <= s["files"] and s["favail"] <= s["files"]
        g.mkdir("/d")
        assert g.statvfs("/d")["blocks"] == s["blocks"]
        gdtest.expect_error(g, g.statvfs, "/nope", errno=errno.ENOENT)
        df = g.df().splitlines()
        assert df[0].split() == ["Filesystem", "1K-blocks", "Used", "Available", "Use%",
                                 "Mounted", "on"]
        row = df[1].split()
        assert row[0] == "/dev/sda1" and row[5] == "/"
        assert int(row[1]) == s["blocks"] * s["frsize"] // 1024
        dfh = g.df_h().splitlines()
        assert dfh[0].split()[1] == "Size" and dfh[1].split()[0] == "/dev/sda1"
        assert re.match(r"^\d+(\.\d)?[KMG]$", dfh[1].split()[1])


@test
def test_vfs_minimum_size_ext():
    with gdtest.handle(disks=[100]) as g:
        g.part_disk("/dev/sda", "mbr")
        g.mkfs("ext4", "/dev/sda1")
        size = g.vfs_minimum_size("/dev/sda1")
        assert 0 < size < 100 * MiB
        g.mkfs("vfat", "/dev/sda1")
        gdtest.expect_error(g, g.vfs_minimum_size, "/dev/sda1", errno=errno.ENOTSUP)


# ---- availability, bootloaders ---------------------------------------------------

@test
def test_filesystem_available_and_groups():
    with gdtest.handle(disks=[16]) as g:
        assert g.filesystem_available("ext4") == 1, g.filesystem_available("ext4")
        assert g.filesystem_available("nosuchfs") == 0
        gdtest.expect_error(g, g.filesystem_available, "a/b", errno=errno.EINVAL)
        for group, prog in (("xfs", "mkfs.xfs"), ("ntfsprogs", "ntfsresize"),
                            ("f2fs", "resize.f2fs"), ("squashfs", "mksquashfs"),
                            ("syslinux", "syslinux"), ("extlinux", "extlinux"),
                            ("linuxfsuuid", None)):
            if prog is None or gdtest.have_program(prog):
                assert available(g, group), group


@test
def test_syslinux_and_extlinux():
    with gdtest.handle(disks=[64, 64]) as g:
        if available(g, "syslinux") and gdtest.have_program("mcopy"):
            g.part_disk("/dev/sda", "mbr")
            g.mkfs("vfat", "/dev/sda1")
            g.syslinux("/dev/sda1")
            g.syslinux("/dev/sda1", directory="/")
            assert g.vfs_type("/dev/sda1") == "vfat"
            g.mkfs("ext4", "/dev/sda1")
            gdtest.expect_error(g, g.syslinux, "/dev/sda1")
        if available(g, "extlinux"):
            gdtest.mkfs_mount(g, device="/dev/sdb", fstype="ext4")
            g.mkdir("/boot")
            g.extlinux("/boot")
            assert g.is_file("/boot/ldlinux.sys")
            gdtest.expect_error(g, g.extlinux, "/nope", errno=errno.ENOENT)


gdtest.main()
