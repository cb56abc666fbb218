#!/usr/bin/python3
# Partition tables through the real libguestfs library: MBR and GPT
# layouts with exact sector values, types, names, flags, GUIDs and
# attributes, resizing (also of a mounted partition), the kernel's view
# after every change (no stale or missing /dev/sdaN), read-only drives,
# busy disks, the old sfdisk calls, block device ioctls and device names.

import errno
import os
import subprocess
import warnings

import gdtest
from gdtest import MiB, test

SECTOR = 512

warnings.simplefilter("ignore", DeprecationWarning)  # sfdisk*, setbsz: on purpose


def ext(p):
    """(start, end, size) of a part_list entry, in sectors."""
    return (p["part_start"] // SECTOR, p["part_end"] // SECTOR, p["part_size"] // SECTOR)


@test
def test_mbr_layout_exact():
    # The layout of the tests.json cases (list_partitions_1, lvcreate_0 ...).
    with gdtest.handle(disks=[2048, 64]) as g:
        total = g.blockdev_getsz("/dev/sda")
        assert total == 2048 * MiB // SECTOR
        g.part_init("/dev/sda", "mbr")
        assert g.part_get_parttype("/dev/sda") == "msdos"
        assert g.part_list("/dev/sda") == []
        g.part_add("/dev/sda", "p", 64, 204799)
        g.part_add("/dev/sda", "p", 204800, 409599)
        g.part_add("/dev/sda", "primary", 409600, -64)
        assert [ext(p) for p in g.part_list("/dev/sda")] == [
            (64, 204799, 204736), (204800, 409599, 204800), (409600, total - 64, total - 64 - 409600 + 1)]
        assert [p["part_num"] for p in g.part_list("/dev/sda")] == [1, 2, 3]
        assert g.list_partitions() == ["/dev/sda1", "/dev/sda2", "/dev/sda3"]
        # The kernel's view follows every change at once: nothing stale.
        assert g.blockdev_getsize64("/dev/sda2") == 204800 * SECTOR
        g.part_del("/dev/sda", 2)
        assert g.list_partitions() == ["/dev/sda1", "/dev/sda3"]
        gdtest.expect_error(g, g.blockdev_getsize64, "/dev/sda2", errno=errno.ENOENT)
        g.part_add("/dev/sda", "p", 204800, 300000)
        assert g.list_partitions() == ["/dev/sda1", "/dev/sda2", "/dev/sda3"]
        assert g.blockdev_getsize64("/dev/sda2") == (300000 - 204800 + 1) * SECTOR
        # part_add's first test: a whole-disk partition from sector 1.
        g.part_init("/dev/sda", "mbr")
        assert g.list_partitions() == []
        g.part_add("/dev/sda", "primary", 1, -1)
        assert [ext(p) for p in g.part_list("/dev/sda")] == [(1, total - 1, total - 1)]
        g.part_init("/dev/sda", "mbr")
        for s, e in [(32, 127), (128, 255), (256, 511), (512, -1)]:
            g.part_add("/dev/sda", "primary", s, e)
        assert len(g.list_partitions()) == 4


@test
def test_part_disk_layout():
    with gdtest.handle(disks=[100]) as g:
        size = 100 * MiB
        for parttype, label in [("mbr", "msdos"), ("msdos", "msdos"), ("gpt", "gpt"),
                                ("efi", "gpt")]:
            g.part_disk("/dev/sda", parttype)
            assert g.part_get_parttype("/dev/sda") == label
            # parted's 128s to -128s: starts 128 sectors in, ends on the
            # 128th sector from the end (127 stay free).
            assert g.part_list("/dev/sda") == [{
                "part_num": 1, "part_start": 128 * SECTOR, "part_end": size - 127 * SECTOR - 1,
                "part_size": size - 255 * SECTOR}]
            assert g.list_partitions() == ["/dev/sda1"]
            assert g.blockdev_getsize64("/dev/sda1") == size - 255 * SECTOR
        # parted names a GPT partition after the type it was given.
        assert g.part_get_name("/dev/sda", 1) == "primary"
        assert g.part_get_bootable("/dev/sda", 1) == 0


@test
def test_mbr_types_flags_extended():
    with gdtest.handle(disks=[512]) as g:
        g.part_init("/dev/sda", "mbr")
        g.part_add("/dev/sda", "p", 64, 204799)
        g.part_add("/dev/sda", "e", 204800, 614400)
        g.part_add("/dev/sda", "l", 204864, 205988)
        g.part_add("/dev/sda", "logical", 206848, 300000)
        assert g.list_partitions() == ["/dev/sda1", "/dev/sda2", "/dev/sda5", "/dev/sda6"]
        assert g.part_get_mbr_part_type("/dev/sda", 1) == "primary"
        assert g.part_get_mbr_part_type("/dev/sda", 2) == "extended"
        assert g.part_get_mbr_part_type("/dev/sda", 5) == "logical"
        assert g.part_get_mbr_id("/dev/sda", 1) == 0x83
        assert g.part_get_mbr_id("/dev/sda", 2) in (0x05, 0x0F)
        g.part_set_mbr_id("/dev/sda", 1, 0x7F)
        assert g.part_get_mbr_id("/dev/sda", 1) == 0x7F
        g.part_set_mbr_id("/dev/sda", 5, 0x8E)
        assert g.part_get_mbr_id("/dev/sda", 5) == 0x8E
        # The GPT type a conversion would give (here Linux LVM).
        assert g.part_get_gpt_type("/dev/sda", 5) == "E6D6D379-F507-44C2-A23C-238F2A3DF928"
        gdtest.expect_error(g, g.part_set_mbr_id, "/dev/sda", 1, 256, errno=errno.EINVAL)
        gdtest.expect_error(g, g.part_get_mbr_id, "/dev/sda", 3, errno=errno.ENOENT)
        assert g.part_get_bootable("/dev/sda", 1) == 0
        g.part_set_bootable("/dev/sda", 1, True)
        assert g.part_get_bootable("/dev/sda", 1) == 1
        g.part_set_bootable("/dev/sda", 1, False)
        assert g.part_get_bootable("/dev/sda", 1) == 0
        # MBR has no names or GUIDs.
        gdtest.expect_error(g, g.part_set_name, "/dev/sda", 1, "x", errno=errno.EINVAL)
        gdtest.expect_error(g, g.part_get_name, "/dev/sda", 1, errno=errno.EINVAL)
        gdtest.expect_error(g, g.part_get_gpt_guid, "/dev/sda", 1, errno=errno.EINVAL)
        gdtest.expect_error(g, g.part_set_gpt_type, "/dev/sda", 1,
                            "0FC63DAF-8483-4772-8E79-3D69D8477DE4", errno=errno.EINVAL)
        gdtest.expect_error(g, g.part_get_disk_guid, "/dev/sda", errno=errno.EINVAL)
        # Deleting the extended partition takes its logical ones along.
        g.part_del("/dev/sda", 2)
        assert g.list_partitions() == ["/dev/sda1"]
        assert [p["part_num"] for p in g.part_list("/dev/sda")] == [1]


@test
def test_gpt_fields():
    guid = "01234567-89AB-CDEF-0123-456789ABCDEF"
    with gdtest.handle(disks=[64]) as g:
        g.part_disk("/dev/sda", "gpt")
        g.part_set_gpt_type("/dev/sda", 1, guid)
        assert g.part_get_gpt_type("/dev/sda", 1) == guid
        g.part_set_gpt_type("/dev/sda", 1, "c12a7328-f81f-11d2-ba4b-00a0c93ec93b")
        assert g.part_get_gpt_type("/dev/sda", 1) == "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
        g.part_set_gpt_guid("/dev/sda", 1, guid)
        assert g.part_get_gpt_guid("/dev/sda", 1) == guid
        g.part_set_disk_guid("/dev/sda", guid)
        assert g.part_get_disk_guid("/dev/sda") == guid
        g.part_set_disk_guid_random("/dev/sda")
        new = g.part_get_disk_guid("/dev/sda")
        assert new != guid and len(new) == 36 and new == new.upper()
        # (The library checks GUIDs before sending them; the daemon checks
        # again for other clients.)
        for bad in ["f", "01234567-89AB-CDEF-0123-456789ABCDEG", guid + "0", ""]:
            gdtest.expect_error(g, g.part_set_disk_guid, "/dev/sda", bad, match="GUID")
            gdtest.expect_error(g, g.part_set_gpt_guid, "/dev/sda", 1, bad, match="GUID")
            gdtest.expect_error(g, g.part_set_gpt_type, "/dev/sda", 1, bad, match="GUID")
        # Attributes: all 64 bits, including bit 63 (negative as int64).
        assert g.part_get_gpt_attributes("/dev/sda", 1) == 0
        for attrs in [1, 4, 0x1000000000000000, -(1 << 63) | 5, 0x8000000000, 0]:
            g.part_set_gpt_attributes("/dev/sda", 1, attrs)
            assert g.part_get_gpt_attributes("/dev/sda", 1) == attrs
        # Names are stored as given: spaces, quotes, colons.
        for name in ["thepartname", "it's a \"name\": x;y  z", "ÉFI système", "  padded  ", ""]:
            g.part_set_name("/dev/sda", 1, name)
            assert g.part_get_name("/dev/sda", 1) == name
        gdtest.expect_error(g, g.part_set_name, "/dev/sda", 1, "x" * 37, errno=errno.EINVAL)
        # GPT has no logical or extended partitions and no MBR type byte.
        gdtest.expect_error(g, g.part_get_mbr_id, "/dev/sda", 1, errno=errno.EINVAL)
        assert g.part_get_mbr_part_type("/dev/sda", 1) == "primary"
        # Nothing of this disturbed the partition.
        assert g.list_partitions() == ["/dev/sda1"]


@test
def test_gpt_expand_after_growing_the_image():
    with gdtest.tmpdir() as d:
        img = os.path.join(d, "grow.img")

        def setup(g):
            g.part_init("/dev/sda", "gpt")
            g.part_add("/dev/sda", "p", 2048, 40959)

        gdtest.make_image(img, 32, setup)
        with open(img, "r+b") as f:
            f.truncate(64 * MiB)
        with gdtest.handle(images=[img]) as g:
            total = g.blockdev_getsz("/dev/sda")
            # The backup GPT still sits at the old end: no room past it.
            try:
                g.part_add("/dev/sda", "p", 70000, total - 40)
            except RuntimeError:
                pass
            else:
                raise AssertionError("part_add past the old backup GPT succeeded")
            g.part_expand_gpt("/dev/sda")
            g.part_add("/dev/sda", "p", 70000, total - 40)
            assert [ext(p) for p in g.part_list("/dev/sda")][1] == (70000, total - 40,
                                                                    total - 40 - 70000 + 1)
            assert g.list_partitions() == ["/dev/sda1", "/dev/sda2"]
            g.part_disk("/dev/sda", "mbr")
            gdtest.expect_error(g, g.part_expand_gpt, "/dev/sda", errno=errno.EINVAL)


@test
def test_resize():
    with gdtest.handle(disks=[256]) as g:
        total = g.blockdev_getsz("/dev/sda")
        for parttype in ["mbr", "gpt"]:
            g.part_init("/dev/sda", parttype)
            g.part_add("/dev/sda", "p", 2048, 100000)
            g.part_add("/dev/sda", "p", 200000, 300000)
            g.part_resize("/dev/sda", 1, 199999)
            assert ext(g.part_list("/dev/sda")[0]) == (2048, 199999, 199999 - 2048 + 1)
            assert g.blockdev_getsz("/dev/sda1") == 199999 - 2048 + 1
            g.part_resize("/dev/sda", 1, 50000)
            assert g.blockdev_getsz("/dev/sda1") == 50000 - 2048 + 1
            # Into the next partition, before the start, past the end.
            gdtest.expect_error(g, g.part_resize, "/dev/sda", 1, 250000, errno=errno.EINVAL)
            gdtest.expect_error(g, g.part_resize, "/dev/sda", 1, 1000, errno=errno.EINVAL)
            gdtest.expect_error(g, g.part_resize, "/dev/sda", 2, total + 10, errno=errno.EINVAL)
            gdtest.expect_error(g, g.part_resize, "/dev/sda", 3, 1000, errno=errno.ENOENT)
            # A negative end counts from the end of the disk.
            g.part_del("/dev/sda", 2)
            g.part_resize("/dev/sda", 1, -2048)
            assert ext(g.part_list("/dev/sda")[0])[1] == total - 2048
            assert g.list_partitions() == ["/dev/sda1"]


@test
def test_changes_under_a_mounted_filesystem():
    with gdtest.handle(disks=[256]) as g:
        g.part_init("/dev/sda", "mbr")
        g.part_add("/dev/sda", "p", 2048, 102399)
        g.mkfs("ext4", "/dev/sda1")
        g.mount("/dev/sda1", "/")
        g.write("/f", b"still here")
        # Removing or rewriting what is mounted: refused before writing.
        gdtest.expect_error(g, g.part_del, "/dev/sda", 1, errno=errno.EBUSY, match="sda1")
        gdtest.expect_error(g, g.part_init, "/dev/sda", "gpt", errno=errno.EBUSY, match="sda1")
        gdtest.expect_error(g, g.part_disk, "/dev/sda", "mbr", errno=errno.EBUSY)
        gdtest.expect_error(g, g.sfdisk, "/dev/sda", 0, 0, 0, [","], errno=errno.EBUSY)
        assert [p["part_num"] for p in g.part_list("/dev/sda")] == [1]
        # Changes that leave it alone work, and the kernel sees them.
        g.part_add("/dev/sda", "p", 102400, 204799)
        assert g.list_partitions() == ["/dev/sda1", "/dev/sda2"]
        g.part_set_bootable("/dev/sda", 1, True)
        g.part_set_mbr_id("/dev/sda", 2, 0x8E)
        g.part_del("/dev/sda", 2)
        assert g.list_partitions() == ["/dev/sda1"]
        # Growing the mounted partition updates the kernel's size in place.
        g.part_resize("/dev/sda", 1, 409599)
        assert g.blockdev_getsize64("/dev/sda1") == (409599 - 2048 + 1) * SECTOR
        assert g.cat("/f") == "still here"
        # The table wiped behind our back: re-reading cannot drop the
        # mounted partition; a clear error, and the daemon goes on.
        with gdtest.tmpdir() as d:
            zero = os.path.join(d, "zero")
            with open(zero, "wb") as f:
                f.write(b"\0" * 512)
            g.upload(zero, "/dev/sda")
        gdtest.expect_error(g, g.blockdev_rereadpt, "/dev/sda", errno=errno.EBUSY,
                            match="partition 1")
        g.ping_daemon()
        assert g.cat("/f") == "still here"
        g.umount_all()
        g.blockdev_rereadpt("/dev/sda")
        assert g.list_partitions() == []


@test
def test_read_only_drive():
    with gdtest.tmpdir() as d:
        img = os.path.join(d, "ro.img")
        gdtest.make_image(img, 64, lambda g: g.part_disk("/dev/sda", "gpt"))
        with gdtest.handle(disks=[16], readonly_images=[img]) as g:
            assert g.blockdev_getro("/dev/sdb") == 1
            assert g.blockdev_getro("/dev/sda") == 0
            assert g.list_partitions() == ["/dev/sdb1"]
            guid = "01234567-89AB-CDEF-0123-456789ABCDEF"
            for fn, args in [(g.part_init, ("gpt",)), (g.part_disk, ("mbr",)),
                             (g.part_add, ("p", 100000, 110000)), (g.part_del, (1,)),
                             (g.part_resize, (1, 100000)), (g.part_set_bootable, (1, True)),
                             (g.part_set_name, (1, "x")), (g.part_set_gpt_type, (1, guid)),
                             (g.part_set_gpt_guid, (1, guid)), (g.part_set_disk_guid, (guid,)),
                             (g.part_set_disk_guid_random, ()),
                             (g.part_set_gpt_attributes, (1, 4)), (g.part_expand_gpt, ()),
                             (g.sfdisk_N, (1, 0, 0, 0, ",100"))]:
                gdtest.expect_error(g, fn, "/dev/sdb", *args, errno=errno.EROFS, match="read-only")
            # Clearing the kernel's flag does not make the drive writable.
            g.blockdev_setrw("/dev/sdb")
            assert g.blockdev_getro("/dev/sdb") == 1
            gdtest.expect_error(g, g.part_init, "/dev/sdb", "mbr", errno=errno.EROFS)
            # Reading still works, and nothing changed.
            assert g.part_get_name("/dev/sdb", 1) == "primary"
            assert g.list_partitions() == ["/dev/sdb1"]
            # blockdev_setro makes a writable drive refuse too.
            g.part_disk("/dev/sda", "mbr")
            g.blockdev_setro("/dev/sda")
            assert g.blockdev_getro("/dev/sda") == 1
            gdtest.expect_error(g, g.part_del, "/dev/sda", 1, errno=errno.EROFS)
            g.blockdev_setrw("/dev/sda")
            g.part_del("/dev/sda", 1)


@test
def test_parttype_follows_the_table():
    # part_get_parttype reads GPT and MBR tables with libblkid, other labels
    # and whole-disk filesystems with parted: each change must show at once.
    with gdtest.handle(disks=[64]) as g:
        for parttype, label in [("gpt", "gpt"), ("mbr", "msdos"), ("gpt", "gpt"),
                                ("msdos", "msdos"), ("loop", "loop")]:
            g.part_init("/dev/sda", parttype)
            assert g.part_get_parttype("/dev/sda") == label, parttype
        g.zero_device("/dev/sda")
        gdtest.expect_error(g, g.part_get_parttype, "/dev/sda", errno=errno.EINVAL)
        g.mkfs("vfat", "/dev/sda")  # a FAT boot sector is no MBR
        assert g.part_get_parttype("/dev/sda") == "loop"


@test
def test_errors():
    with gdtest.handle(disks=[64]) as g:
        gdtest.expect_error(g, g.part_list, "/dev/sda", errno=errno.EINVAL, match="no partition")
        gdtest.expect_error(g, g.part_get_parttype, "/dev/sda", errno=errno.EINVAL)
        gdtest.expect_error(g, g.part_add, "/dev/sda", "p", 64, 1000, errno=errno.EINVAL)
        gdtest.expect_error(g, g.part_init, "/dev/sda", "nosuchtype", errno=errno.EINVAL,
                            match="nosuchtype")
        gdtest.expect_error(g, g.part_disk, "/dev/sda", "", errno=errno.EINVAL)
        g.part_init("/dev/sda", "mbr")
        gdtest.expect_error(g, g.part_add, "/dev/sda", "q", 64, 1000, errno=errno.EINVAL)
        g.part_add("/dev/sda", "p", 2048, 4095)
        # Overlaps, ranges, logical partitions outside an extended one.
        gdtest.expect_error(g, g.part_add, "/dev/sda", "p", 4000, 8000, errno=errno.EINVAL,
                            match="overlap partition 1")
        gdtest.expect_error(g, g.part_add, "/dev/sda", "p", 8000, 4000, errno=errno.EINVAL)
        gdtest.expect_error(g, g.part_add, "/dev/sda", "p", 8000, 10 ** 9, errno=errno.EINVAL)
        gdtest.expect_error(g, g.part_add, "/dev/sda", "l", 8000, 9000, errno=errno.EINVAL,
                            match="extended")
        # Partitions that do not exist.
        gdtest.expect_error(g, g.part_del, "/dev/sda", 2, errno=errno.ENOENT)
        gdtest.expect_error(g, g.part_del, "/dev/sda", 0, errno=errno.EINVAL)
        gdtest.expect_error(g, g.part_del, "/dev/sda", -1, errno=errno.EINVAL)
        gdtest.expect_error(g, g.part_get_bootable, "/dev/sda", 9, errno=errno.ENOENT)
        gdtest.expect_error(g, g.part_set_bootable, "/dev/sda", 9, True, errno=errno.ENOENT)
        gdtest.expect_error(g, g.part_set_mbr_id, "/dev/sda", 9, 7, errno=errno.ENOENT)
        # Devices that are not ours.
        gdtest.expect_error(g, g.part_init, "/dev/sdb", "mbr", errno=errno.ENOENT)
        gdtest.expect_error(g, g.part_init, "/dev/vdb", "mbr", errno=errno.ENOENT)
        gdtest.expect_error(g, g.part_list, "/dev/sda7", errno=errno.ENOENT)
        gdtest.expect_error(g, g.part_list, "/dev/null", errno=errno.EINVAL)
        gdtest.expect_error(g, g.part_list, "/etc/passwd")
        with gdtest.tmpdir() as d:
            other = os.path.join(d, "other.img")
            with open(other, "wb") as f:
                f.truncate(MiB)
            node = subprocess.check_output(["losetup", "-f", "--show", other], text=True).strip()
            try:
                # Refused by the device check (EPERM), or not there at all in
                # host mode's jail, whose /dev holds only its own drives.
                for fn, args in ((g.part_init, (node, "mbr")), (g.blockdev_getsize64, (node,))):
                    try:
                        fn(*args)
                        raise AssertionError(f"{fn.__name__} {node}: accepted")
                    except RuntimeError:
                        assert gdtest.last_errno(g) in (errno.EPERM, errno.ENOENT), fn
            finally:
                subprocess.run(["losetup", "-d", node], check=True)
        # /dev/vda is the guest's other name for /dev/sda, never the host's disk.
        assert g.part_get_parttype("/dev/vda") == "msdos"
        assert g.part_to_dev("/dev/vda1") == "/dev/sda"
        g.ping_daemon()


@test
def test_device_names():
    with gdtest.handle(disks=[64, 32, 16]) as g:
        g.part_disk("/dev/sda", "mbr")
        g.part_init("/dev/sdc", "gpt")
        for i in range(1, 13):
            g.part_add("/dev/sdc", "p", 2048 * i, 2048 * i + 2047)
        assert g.nr_devices() == 3
        assert [g.device_index(d) for d in ["/dev/sda", "/dev/sdb", "/dev/sdc"]] == [0, 1, 2]
        gdtest.expect_error(g, g.device_index, "/dev/sda1", match="not found")
        assert g.is_whole_device("/dev/sda") and g.is_whole_device("/dev/sdc")
        assert not g.is_whole_device("/dev/sda1") and not g.is_whole_device("/dev/sdc12")
        assert g.part_to_dev("/dev/sda1") == "/dev/sda"
        assert g.part_to_partnum("/dev/sda1") == 1
        assert g.part_to_dev("/dev/sdc12") == "/dev/sdc"
        assert g.part_to_partnum("/dev/sdc12") == 12
        gdtest.expect_error(g, g.part_to_dev, "/dev/sda", errno=errno.EINVAL)
        gdtest.expect_error(g, g.part_to_partnum, "/dev/sdb", errno=errno.EINVAL)
        gdtest.expect_error(g, g.part_to_dev, "/dev/sda2", errno=errno.ENOENT)
        parts = g.list_partitions()
        assert parts == ["/dev/sda1"] + [f"/dev/sdc{i}" for i in range(1, 13)]
        assert g.list_devices() == ["/dev/sda", "/dev/sdb", "/dev/sdc"]
        assert g.list_disk_labels() == {}


@test
def test_sfdisk_family():
    with gdtest.handle(disks=[128]) as g:
        g.sfdisk("/dev/sda", 0, 0, 0, ["2048,20480,83", "22528,,8e"])
        assert g.list_partitions() == ["/dev/sda1", "/dev/sda2"]
        assert ext(g.part_list("/dev/sda")[0]) == (2048, 22527, 20480)
        assert g.part_get_mbr_id("/dev/sda", 2) == 0x8E
        g.sfdisk_N("/dev/sda", 2, 0, 0, 0, "22528,40960,83")
        assert ext(g.part_list("/dev/sda")[1]) == (22528, 22528 + 40960 - 1, 40960)
        assert g.part_get_mbr_id("/dev/sda", 2) == 0x83
        assert g.blockdev_getsz("/dev/sda2") == 40960
        listing = g.sfdisk_l("/dev/sda")
        assert "/dev/sda1" in listing and "/dev/sda2" in listing and "loop" not in listing
        assert "/dev/sda" in g.sfdisk_kernel_geometry("/dev/sda")
        assert "/dev/sda" in g.sfdisk_disk_geometry("/dev/sda")
        # Sizes in megabytes.
        g.sfdiskM("/dev/sda", ["1,10", ",20", ","])
        parts = g.part_list("/dev/sda")
        assert [p["part_size"] for p in parts[:2]] == [10 * MiB, 20 * MiB]
        assert parts[0]["part_start"] == MiB
        assert g.list_partitions() == ["/dev/sda1", "/dev/sda2", "/dev/sda3"]
        gdtest.expect_error(g, g.sfdisk_N, "/dev/sda", 0, 0, 0, 0, ",1", errno=errno.EINVAL)
        gdtest.expect_error(g, g.sfdisk, "/dev/sda", 0, 0, 0, ["a\nb"], errno=errno.EINVAL)
        gdtest.expect_error(g, g.sfdisk, "/dev/sda", 0, 0, 0, ["nonsense,x,y"])
        g.ping_daemon()


@test
def test_blockdev():
    with gdtest.handle(disks=[64]) as g:
        assert g.blockdev_getss("/dev/sda") == 512
        assert g.blockdev_getsz("/dev/sda") == 64 * MiB // 512
        assert g.blockdev_getsize64("/dev/sda") == 64 * MiB
        assert g.blockdev_getbsz("/dev/sda") in (512, 1024, 2048, 4096)
        g.blockdev_setbsz("/dev/sda", 4096)
        gdtest.expect_error(g, g.blockdev_setbsz, "/dev/sda", 1000, errno=errno.EINVAL)
        g.blockdev_setra("/dev/sda", 1024)
        gdtest.expect_error(g, g.blockdev_setra, "/dev/sda", -1, errno=errno.EINVAL)
        g.blockdev_flushbufs("/dev/sda")
        g.blockdev_rereadpt("/dev/sda")
        g.part_disk("/dev/sda", "mbr")
        g.blockdev_rereadpt("/dev/sda")
        assert g.list_partitions() == ["/dev/sda1"]
        gdtest.expect_error(g, g.blockdev_rereadpt, "/dev/sda1")
        g.blockdev_setro("/dev/sda")
        assert g.blockdev_getro("/dev/sda")
        g.blockdev_setrw("/dev/sda")
        assert not g.blockdev_getro("/dev/sda")


@test
def test_hotplug_refused():
    # 1.48 clients never send these; through the protocol they refuse.
    with gdtest.handle(disks=[16]) as g:
        for proc in ["internal_hot_add_drive", "internal_hot_remove_drive_precheck",
                     "internal_hot_remove_drive"]:
            fn = getattr(g, proc, None)
            if fn is not None:
                gdtest.expect_error(g, fn, "label", errno=errno.ENOTSUP)
        g.ping_daemon()


gdtest.main()
