#!/usr/bin/python3
# The first guestfish session's calls, through the real libguestfs library:
# launch, mount, write/cat, upload/download (1 GiB with sha256 compared), a
# cancelled upload, and a clean shutdown.

import errno
import hashlib
import os
import threading

import gdtest
from gdtest import GiB, MiB, test


def pattern_file(path, size):
    """A file of size bytes whose every MiB differs (not all zeroes)."""
    block = bytearray(hashlib.sha256(b"seed").digest() * (MiB // 32))
    h = hashlib.sha256()
    with open(path, "wb") as f:
        for i in range(size // MiB):
            block[0:8] = i.to_bytes(8, "little")
            f.write(block)
            h.update(block)
    return h.hexdigest()


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(4 * MiB):
            h.update(chunk)
    return h.hexdigest()


@test
def test_devices_and_partitions():
    with gdtest.handle(disks=[64, 32]) as g:
        assert g.list_devices() == ["/dev/sda", "/dev/sdb"]
        assert g.list_partitions() == []
        g.part_disk("/dev/sda", "mbr")
        g.part_disk("/dev/sdb", "gpt")
        assert g.list_partitions() == ["/dev/sda1", "/dev/sdb1"]
        assert g.blockdev_getsize64("/dev/sda") == 64 * MiB
        g.blockdev_setrw("/dev/sda")


@test
def test_mount_write_cat():
    with gdtest.handle(disks=[64]) as g:
        gdtest.mkfs_mount(g)
        assert g.mounts() == ["/dev/sda1"]
        assert g.mountpoints() == {"/dev/sda1": "/"}
        g.write("/hello", b"hello world\n")
        assert g.cat("/hello") == "hello world\n"
        g.mkdir("/dir")
        g.touch("/dir/a")
        assert g.ls("/dir") == ["a"]
        assert g.is_file("/hello") and not g.is_dir("/hello")
        assert g.is_dir("/dir") and g.exists("/dir/a") and not g.exists("/nope")
        g.rm("/dir/a")
        assert g.ls("/dir") == []
        g.umount_all()
        assert g.mounts() == []


@test
def test_errors_are_reported_with_errno():
    with gdtest.handle(disks=[64]) as g:
        gdtest.expect_error(g, g.mkdir, "/x", match="mount")
        gdtest.mkfs_mount(g)
        gdtest.expect_error(g, g.mkdir, "/lost+found", errno=errno.EEXIST)
        gdtest.expect_error(g, g.rm, "/nope", errno=errno.ENOENT)
        gdtest.expect_error(g, g.blockdev_getsize64, "/dev/sdz", errno=errno.ENOENT)
        gdtest.expect_error(g, g.blockdev_getsize64, "/dev/vda9", errno=errno.ENOENT)
        g.ping_daemon()


@test
def test_data_survives_a_new_launch():
    with gdtest.tmpdir() as d:
        img = gdtest.make_image(os.path.join(d, "a.img"), 64, lambda g: (
            gdtest.mkfs_mount(g), g.write("/kept", b"still here")))
        with gdtest.handle(images=[img]) as g:
            g.mount("/dev/sda1", "/")
            assert g.cat("/kept") == "still here"


@test
def test_upload_download_1gib():
    with gdtest.tmpdir() as d, gdtest.handle(disks=[1200]) as g:
        src = os.path.join(d, "src")
        out = os.path.join(d, "out")
        digest = pattern_file(src, GiB)
        gdtest.mkfs_mount(g)
        g.upload(src, "/big")
        g.download("/big", out)
        os.unlink(src)
        assert sha256_of(out) == digest


@test
def test_cancelled_upload_keeps_serving():
    with gdtest.tmpdir() as d, gdtest.handle(disks=[64]) as g:
        gdtest.mkfs_mount(g)
        fifo = os.path.join(d, "fifo")
        os.mkfifo(fifo)

        def feed():
            with open(fifo, "wb") as f:
                f.write(b"x" * (4 * MiB))
                f.flush()
                g.user_cancel()

        t = threading.Thread(target=feed)
        t.start()
        gdtest.expect_error(g, g.upload, fifo, "/partial", errno=errno.EINTR)
        t.join()
        g.ping_daemon()
        g.write("/after", b"ok")
        assert g.cat("/after") == "ok"


@test
def test_download_to_full_device_cancels():
    with gdtest.handle(disks=[64]) as g:
        gdtest.mkfs_mount(g)
        g.write("/f", b"y" * (3 * MiB))
        gdtest.expect_error(g, g.download, "/f", "/dev/full")
        g.ping_daemon()
        assert g.cat("/f")[:3] == "yyy"


gdtest.main()
