#!/usr/bin/python3
# Mounting through the real libguestfs library: mount variants, nested
# mounts, umount by path and device, umount_all, mounts/mountpoints,
# remount, mount_loop, mkmountpoint/rmmountpoint before anything is
# mounted, read-only drives, and the FUSE stand-ins for filesystems this
# kernel lacks (an ISO 9660 image with Joliet and Rock Ridge read-only,
# vfat, exfat).

import errno
import os
import subprocess
import warnings

import gdtest
from gdtest import MiB, test

warnings.simplefilter("ignore", DeprecationWarning)  # list_9p, mount_9p: on purpose


def kernel_has(fstype):
    with open("/proc/filesystems") as f:
        return any(line.split()[-1] == fstype for line in f if line.strip())


def count_processes(name):
    out = subprocess.run(["pgrep", "-c", "-x", name], capture_output=True, text=True).stdout
    return int(out.strip() or 0)


def make_iso(d):
    """A small ISO like the conformance test.iso: Joliet + Rock Ridge,
    long and odd names, symlinks, an empty directory, nested dirs."""
    src = os.path.join(d, "isosrc")
    os.makedirs(os.path.join(src, "directory"))
    os.makedirs(os.path.join(src, "a", "b", "c"))
    files = {
        "known-1": b"abc\n",
        "empty": b"",
        "10klines": b"".join(b"%dabcdefghijklmnopqrstuvwxyz\n" % i for i in range(10000)),
        "A Long File Name with Spaces and MixedCase.txt": b"long name\n",
        "a/b/c/deep": b"deep\n",
        "100krandom": os.urandom(100 * 1024),
    }
    for name, data in files.items():
        with open(os.path.join(src, name), "wb") as f:
            f.write(data)
    os.symlink("/10klines", os.path.join(src, "abssymlink"))
    os.symlink("a/b/c/deep", os.path.join(src, "relsymlink"))
    iso = os.path.join(d, "test.iso")
    subprocess.run(["genisoimage", "-quiet", "-J", "-r", "-o", iso, src], check=True)
    return iso, files


@test
def test_mount_umount_listing():
    with gdtest.handle(disks=[128]) as g:
        g.part_init("/dev/sda", "mbr")
        g.part_add("/dev/sda", "p", 2048, 100000)
        g.part_add("/dev/sda", "p", 100001, 200000)
        g.mkfs("ext4", "/dev/sda1")
        g.mkfs("ext2", "/dev/sda2")
        assert g.mounts() == [] and g.mountpoints() == {}
        g.mount("/dev/sda1", "/")
        g.mkdir("/boot")
        g.mount_options("noatime", "/dev/sda2", "/boot")
        assert g.mounts() == ["/dev/sda1", "/dev/sda2"]
        assert g.mountpoints() == {"/dev/sda1": "/", "/dev/sda2": "/boot"}
        g.write("/boot/f", b"on sda2")
        # By device, then by path.
        g.umount("/dev/sda2")
        assert not g.exists("/boot/f")
        g.mount_vfs("", "ext2", "/dev/sda2", "/boot")
        assert g.cat("/boot/f") == "on sda2"
        g.umount("/boot", force=True, lazyunmount=False)
        assert g.mountpoints() == {"/dev/sda1": "/"}
        # Errors: where to mount, what is not mounted, wrong type.
        gdtest.expect_error(g, g.mount, "/dev/sda2", "/nonexistent", errno=errno.ENOENT)
        g.touch("/file")
        gdtest.expect_error(g, g.mount, "/dev/sda2", "/file", errno=errno.ENOTDIR)
        gdtest.expect_error(g, g.mount, "/dev/sda2", "boot", errno=errno.EINVAL)
        gdtest.expect_error(g, g.umount, "/boot", errno=errno.EINVAL, match="not mounted")
        gdtest.expect_error(g, g.umount, "/dev/sda2", errno=errno.EINVAL, match="not mounted")
        gdtest.expect_error(g, g.umount, "/nonexistent", errno=errno.ENOENT)
        msg = gdtest.expect_error(g, g.mount_vfs, "", "xfs", "/dev/sda2", "/boot")
        assert "/dev/sda2" in msg and "loop" not in msg and "sysroot" not in msg, msg
        gdtest.expect_error(g, g.mount, "/dev/sdz1", "/boot", errno=errno.ENOENT)
        assert g.mountpoints() == {"/dev/sda1": "/"}
        # Lazy unmount of /; umount_all unmounts nested mounts deepest first.
        g.mount("/dev/sda2", "/boot")
        g.umount("/", lazyunmount=True)
        assert g.mounts() == []
        g.mount("/dev/sda1", "/")
        g.mount("/dev/sda2", "/boot")
        g.mkdir("/boot/x")
        g.mount("/dev/sda1", "/boot/x")
        assert len(g.mounts()) == 3
        g.umount_all()
        assert g.mounts() == []
        g.ping_daemon()


@test
def test_read_only_mounts_and_remount():
    with gdtest.tmpdir() as d:
        img = os.path.join(d, "ro.img")

        def setup(g):
            gdtest.mkfs_mount(g)
            g.write("/data", b"data")

        gdtest.make_image(img, 64, setup)
        with gdtest.handle(disks=[64], readonly_images=[img]) as g:
            gdtest.mkfs_mount(g)
            g.write("/new", b"data")
            # test_mount_ro_1 and test_remount_0.
            g.umount("/")
            g.mount_ro("/dev/sda1", "/")
            assert g.cat("/new") == "data"
            gdtest.expect_error(g, g.touch, "/x", errno=errno.EROFS)
            g.remount("/", rw=True)
            g.touch("/x")
            g.remount("/", rw=False)
            gdtest.expect_error(g, g.write, "/remount1", b"data", errno=errno.EROFS)
            g.remount("/")  # no change asked for
            gdtest.expect_error(g, g.touch, "/y", errno=errno.EROFS)
            gdtest.expect_error(g, g.remount, "/lost+found", rw=True, errno=errno.EINVAL)
            gdtest.expect_error(g, g.remount, "/new", rw=True, errno=errno.ENOTDIR)
            g.umount_all()
            # A read-only drive: mounting works, writing says EROFS, and it
            # cannot be remounted read-write.
            g.mount("/dev/sdb1", "/")
            assert g.cat("/data") == "data"
            gdtest.expect_error(g, g.touch, "/x", errno=errno.EROFS)
            gdtest.expect_error(g, g.remount, "/", rw=True, errno=errno.EROFS, match="/dev/sdb1")
            assert g.mountpoints() == {"/dev/sdb1": "/"}


@test
def test_mkmountpoint_before_root():
    # The documented use: mount points in the empty sysroot, no root fs.
    with gdtest.handle(disks=[64, 32]) as g:
        g.part_disk("/dev/sda", "mbr")
        g.mkfs("ext4", "/dev/sda1")
        g.part_disk("/dev/sdb", "mbr")
        g.mkfs("ext4", "/dev/sdb1")
        g.mkmountpoint("/a")
        g.mkmountpoint("/a/b")
        g.mkmountpoint("/c")
        gdtest.expect_error(g, g.mkmountpoint, "/a", errno=errno.EEXIST)
        gdtest.expect_error(g, g.mkmountpoint, "relative", errno=errno.EINVAL)
        gdtest.expect_error(g, g.mkmountpoint, "/x/y", errno=errno.ENOENT)
        g.mount("/dev/sda1", "/a/b")
        g.mount("/dev/sdb1", "/c")
        assert g.mountpoints() == {"/dev/sda1": "/a/b", "/dev/sdb1": "/c"}
        g.write("/a/b/f", b"x")
        g.umount_all()
        g.rmmountpoint("/a/b")
        g.rmmountpoint("/a")
        g.rmmountpoint("/c")
        gdtest.expect_error(g, g.rmmountpoint, "/a", errno=errno.ENOENT)
        gdtest.expect_error(g, g.rmmountpoint, "relative", errno=errno.EINVAL)


@test
def test_iso9660_read_only():
    with gdtest.tmpdir() as d:
        iso, files = make_iso(d)
        before = count_processes("fuseiso")
        with gdtest.handle(disks=[64], readonly_images=[iso]) as g:
            g.mount_ro("/dev/sdb", "/")
            if not kernel_has("iso9660"):
                assert count_processes("fuseiso") == before + 1
            assert g.mounts() == ["/dev/sdb"]
            assert g.mountpoints() == {"/dev/sdb": "/"}
            assert sorted(g.ls("/")) == sorted(
                ["known-1", "empty", "10klines", "A Long File Name with Spaces and MixedCase.txt",
                 "a", "100krandom", "directory", "abssymlink", "relsymlink"])
            for name, data in files.items():
                assert g.read_file("/" + name) == data, name
            assert g.ls("/directory") == []
            assert g.is_dir("/a/b/c") and g.is_file("/a/b/c/deep")
            # Symlinks, resolved inside the guest.
            assert not g.is_file("/abssymlink")
            assert g.read_file("/abssymlink") == files["10klines"]
            assert g.read_file("/relsymlink") == b"deep\n"
            gdtest.expect_error(g, g.touch, "/new", errno=errno.EROFS)
            gdtest.expect_error(g, g.mkdir, "/newdir", errno=errno.EROFS)
            # A rw mount of an ISO is read-only too.
            g.umount("/dev/sdb")
            assert g.mounts() == []
            g.mount("/dev/sdb", "/")
            assert g.read_file("/known-1") == b"abc\n"
            gdtest.expect_error(g, g.touch, "/new", errno=errno.EROFS)
            g.umount_all()
            if not kernel_has("iso9660"):
                assert count_processes("fuseiso") == before
            # Under a mounted ext4, named explicitly.
            gdtest.mkfs_mount(g)
            g.mkdir("/cdrom")
            g.mount_vfs("ro", "iso9660", "/dev/sdb", "/cdrom")
            assert g.mountpoints() == {"/dev/sda1": "/", "/dev/sdb": "/cdrom"}
            assert g.cat("/cdrom/known-1") == "abc\n"
            g.umount("/cdrom")
            # Not an ISO: a clear error, nothing left mounted.
            msg = gdtest.expect_error(g, g.mount_vfs, "", "iso9660", "/dev/sda1", "/cdrom")
            assert "/dev/sda1" in msg and "loop" not in msg and "sysroot" not in msg, msg
            assert g.mountpoints() == {"/dev/sda1": "/"}
        if not kernel_has("iso9660"):
            assert count_processes("fuseiso") == before


@test
def test_fat_and_exfat():
    # Without the kernel driver the FUSE program must be there (CI installs
    # fusefat and exfat-fuse); without either the daemon can only refuse.
    if not kernel_has("vfat") and not gdtest.have_program("fusefat"):
        gdtest.skip("no vfat in this kernel and fusefat is not installed")
    have_exfat = gdtest.have_program("mkfs.exfat") and (
        kernel_has("exfat") or gdtest.have_program("mount.exfat-fuse"))
    with gdtest.handle(disks=[256]) as g:
        g.part_init("/dev/sda", "mbr")
        g.part_add("/dev/sda", "p", 2048, 204799)
        g.part_add("/dev/sda", "p", 204800, 409599)
        g.part_add("/dev/sda", "p", 409600, -2048)
        g.mkfs("vfat", "/dev/sda1")
        if have_exfat:
            g.mkfs("exfat", "/dev/sda2")
        g.mkfs("ext4", "/dev/sda3")
        g.mount("/dev/sda3", "/")
        g.mkdir("/fat")
        g.mkdir("/exfat")
        g.mount("/dev/sda1", "/fat")
        expect = {"/dev/sda3": "/", "/dev/sda1": "/fat"}
        if have_exfat:
            g.mount("/dev/sda2", "/exfat")
            expect["/dev/sda2"] = "/exfat"
        assert g.mountpoints() == expect
        g.mkdir("/fat/dir")
        g.write("/fat/dir/hello.txt", b"hello fat")
        assert g.cat("/fat/dir/hello.txt") == "hello fat"
        if have_exfat:
            g.write("/exfat/Hello World.txt", b"hello exfat")
            assert g.ls("/exfat") == ["Hello World.txt"]
            g.umount("/dev/sda2")
        g.umount("/fat")
        # What was written is on the disk: read it back read-only.
        g.mount_ro("/dev/sda1", "/fat")
        assert g.cat("/fat/dir/hello.txt") == "hello fat"
        gdtest.expect_error(g, g.touch, "/fat/x", errno=errno.EROFS)
        if have_exfat:
            g.mount_ro("/dev/sda2", "/exfat")
            assert g.cat("/exfat/Hello World.txt") == "hello exfat"
        g.umount_all()
        assert g.mounts() == []
        # Unmounted means free: the partitions can be deleted at once.
        g.part_del("/dev/sda", 1)
        g.part_del("/dev/sda", 2)
        assert g.list_partitions() == ["/dev/sda3"]


@test
def test_mount_loop():
    with gdtest.tmpdir() as d:
        ext = os.path.join(d, "ext.img")
        with open(ext, "wb") as f:
            f.truncate(16 * MiB)
        subprocess.run(["mkfs.ext4", "-q", "-F", ext], check=True)
        iso, files = make_iso(d)
        with gdtest.handle(disks=[128]) as g:
            gdtest.mkfs_mount(g)
            g.upload(ext, "/ext.img")
            g.upload(iso, "/test.iso")
            g.mkdir("/m1")
            g.mkdir("/m2")
            g.mount_loop("/ext.img", "/m1")
            g.mount_loop("/test.iso", "/m2")
            assert len(g.mounts()) == 3
            g.write("/m1/f", b"inside the image")
            assert g.cat("/m1/f") == "inside the image"
            assert g.read_file("/m2/10klines") == files["10klines"]
            gdtest.expect_error(g, g.mount_loop, "/nope.img", "/m1", errno=errno.ENOENT)
            gdtest.expect_error(g, g.mount_loop, "/m1", "/m2", errno=errno.EISDIR)
            gdtest.expect_error(g, g.mount_loop, "/ext.img", "/nowhere", errno=errno.ENOENT)
            g.umount("/m1")
            g.umount("/m2")
            assert g.mounts() == ["/dev/sda1"]
            # The data went into the file in the guest.
            g.mount_loop("/ext.img", "/m1")
            assert g.cat("/m1/f") == "inside the image"
            g.umount_all()


@test
def test_mountable_strings():
    with gdtest.handle(disks=[64]) as g:
        gdtest.mkfs_mount(g)
        g.umount_all()
        # A Mountable that is not a device.
        gdtest.expect_error(g, g.mount, "/etc", "/")
        gdtest.expect_error(g, g.mount, "btrfsvol:/dev/sdz1/vol", "/", errno=errno.EINVAL)
        assert g.list_9p() == []
        gdtest.expect_error(g, g.mount_9p, "sharetag", "/")
        g.ping_daemon()


gdtest.main()
