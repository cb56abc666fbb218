#!/usr/bin/python3
# Data on devices and files, through the real libguestfs library: the copy
# family, zeroing, discard and trim, pread/pwrite, uploads and downloads
# at offsets (full filesystems, read-only drives), scrub, the Sleuth Kit
# procedures and ntfsclone/ntfscat.  Also the tests.json cases of these
# procedures, translated (procedures of other families that are not
# always present, such as checksum or fill, are replaced by local
# computations).

import errno
import hashlib
import os
import subprocess
import warnings

import guestfs

import gdtest
from gdtest import GiB, MiB, skip, test


# copy_size and dd are deprecated, and tested all the same.
warnings.filterwarnings("ignore", category=DeprecationWarning)


# ---- helpers ---------------------------------------------------------------

def blank_image(d, name, size_mib):
    path = os.path.join(d, name)
    with open(path, "wb") as f:
        f.truncate(int(size_mib * MiB))
    return path


def allocated(path):
    """Bytes the host really stores for an image file."""
    return os.stat(path).st_blocks * 512


def ext4_image(d, name, size_mib, populate):
    """An ext4 image made on the host from a directory tree, so that it
    can hold what no procedure of this family can create (symlinks,
    device nodes, FIFOs)."""
    tree = os.path.join(d, name + ".tree")
    os.mkdir(tree)
    populate(tree)
    path = blank_image(d, name, size_mib)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-d", tree, path], check=True)
    return path


def daemon_pids():
    """Our guestfsd processes (descendants of this test process), not the
    outer process and init of the host-mode jail."""
    me, found = os.getpid(), []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            if not os.readlink(f"/proc/{p}/exe").endswith("/guestfsd"):
                continue
            with open(f"/proc/{p}/comm") as f:
                if f.read().strip() != "guestfsd":
                    continue
        except OSError:
            continue
        q = int(p)
        while q > 1:
            try:
                with open(f"/proc/{q}/stat") as f:
                    q = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                break
            if q == me:
                found.append(int(p))
                break
    return found


def peak_rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def progress_recorder(g):
    events = []

    def cb(event, event_handle, buf, array):
        events.append(tuple(array))

    g.set_event_callback(cb, guestfs.EVENT_PROGRESS)
    return events


def check_progress(events, total):
    """Progress records must rise to position == total."""
    assert events, "no progress messages"
    positions = [e[2] for e in events]
    assert positions == sorted(positions), positions
    assert all(e[3] == total for e in events), events[:3]
    assert events[-1][2] == total, events[-1]


def md5_of_guest_file(g, d, path):
    out = os.path.join(d, "md5.tmp")
    g.download(path, out)
    with open(out, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


def random_file(d, name, size):
    path = os.path.join(d, name)
    with open(path, "wb") as f:
        f.write(os.urandom(size))
    return path


def device_contains(g, d, device, needle):
    out = os.path.join(d, "dev.tmp")
    g.download(device, out)
    with open(out, "rb") as f:
        found = needle in f.read()
    os.unlink(out)
    return found




# ---- the copy family ---------------------------------------------------------

@test
def test_copy_file_to_file_options():
    with gdtest.handle(disks=[64]) as g:
        gdtest.mkfs_mount(g)
        g.write("/src", b"0123456789")
        g.copy_file_to_file("/src", "/d1")
        assert g.read_file("/d1") == b"0123456789"
        g.copy_file_to_file("/src", "/d2", srcoffset=2, size=3)
        assert g.read_file("/d2") == b"234"
        g.copy_file_to_file("/src", "/d3", destoffset=4, size=2)
        assert g.read_file("/d3") == b"\0\0\0\x0001"
        for _ in range(3):
            g.copy_file_to_file("/src", "/d4", srcoffset=8, append=True)
        assert g.read_file("/d4") == b"898989"
        # Without append the destination is truncated first.
        g.copy_file_to_file("/src", "/d4", size=1)
        assert g.read_file("/d4") == b"0"
        # A source offset past the end copies nothing (no size given).
        g.copy_file_to_file("/src", "/d5", srcoffset=100)
        assert g.read_file("/d5") == b""


@test
def test_copy_errors():
    with gdtest.handle(disks=[64, 8]) as g:
        gdtest.mkfs_mount(g)
        g.write("/src", b"0123456789")
        g.mkdir("/dir")
        for kw in ({"srcoffset": -1}, {"destoffset": -1}, {"size": -1}):
            gdtest.expect_error(g, g.copy_file_to_file, "/src", "/x", errno=errno.EINVAL,
                                match="negative", **kw)
        gdtest.expect_error(g, g.copy_file_to_file, "/src", "/x", size=11,
                            errno=errno.EINVAL, match="too short")
        gdtest.expect_error(g, g.copy_file_to_file, "/nope", "/x", errno=errno.ENOENT)
        gdtest.expect_error(g, g.copy_file_to_file, "/dir", "/x", errno=errno.EISDIR)
        gdtest.expect_error(g, g.copy_file_to_file, "/src", "/dir", errno=errno.EISDIR)
        gdtest.expect_error(g, g.copy_file_to_device, "/src", "/dev/sdb", append=True,
                            errno=errno.EINVAL, match="append")
        gdtest.expect_error(g, g.copy_device_to_device, "/dev/sdb", "/dev/sdz",
                            errno=errno.ENOENT)
        # Writing past the end of a device.
        gdtest.expect_error(g, g.copy_file_to_device, "/src", "/dev/sdb",
                            destoffset=8 * MiB - 4, errno=errno.ENOSPC)
        g.ping_daemon()


@test
def test_copy_between_devices_and_files():
    with gdtest.tmpdir() as d, gdtest.handle(disks=[64, 16, 16]) as g:
        gdtest.mkfs_mount(g)
        data = random_file(d, "data", 5 * MiB + 123)
        g.upload(data, "/data")
        g.copy_file_to_device("/data", "/dev/sdb", destoffset=512)
        g.copy_device_to_device("/dev/sdb", "/dev/sdc", srcoffset=512, destoffset=1024,
                                size=5 * MiB + 123)
        g.copy_device_to_file("/dev/sdc", "/back", srcoffset=1024, size=5 * MiB + 123)
        with open(data, "rb") as f:
            want = hashlib.md5(f.read()).hexdigest()
        assert md5_of_guest_file(g, d, "/back") == want
        assert g.pread_device("/dev/sdc", 1024, 0) == b"\0" * 1024
        # Without a size, a device is copied to its end.
        g.copy_device_to_file("/dev/sdc", "/whole")
        g.download("/whole", os.path.join(d, "whole"))
        assert os.path.getsize(os.path.join(d, "whole")) == 16 * MiB


@test
def test_sparse_copy_of_big_device_is_flat_and_reports_progress():
    # A few GiB through the copier: the daemon's memory must not follow the
    # size, progress must arrive, the destination image must stay sparse.
    with gdtest.tmpdir() as d:
        src = blank_image(d, "src.img", 3 * 1024)
        dst = blank_image(d, "dst.img", 3 * 1024)
        with gdtest.handle(images=[src, dst]) as g:
            marks = [0, GiB + 12345, 3 * GiB - 4096]
            for off in marks:
                g.pwrite_device("/dev/sda", b"mark-%d" % off, off)
            pids = daemon_pids()
            assert len(pids) == 1, pids
            events = progress_recorder(g)
            g.copy_device_to_device("/dev/sda", "/dev/sdb", sparse=True)
            check_progress(events, 3 * GiB)
            for off in marks:
                assert g.pread_device("/dev/sdb", 32, off).startswith(b"mark-%d" % off)
            rss = peak_rss(pids[0])
            assert rss < 64 * MiB, f"daemon peak RSS {rss >> 20} MiB"
            g.sync()
            assert allocated(dst) < 16 * MiB, allocated(dst)


@test
def test_sparse_copy_of_sparse_file():
    with gdtest.tmpdir() as d, gdtest.handle(disks=[64]) as g:
        gdtest.mkfs_mount(g)
        small = random_file(d, "small", 4096)
        # A 40 MiB file that is mostly hole on a 64 MiB disk: a copy that
        # wrote its zeroes would not fit twice.
        g.upload_offset(small, "/sparse", 40 * MiB)
        g.upload_offset(small, "/sparse", 0)
        g.copy_file_to_file("/sparse", "/copy", sparse=True)
        g.copy_file_to_file("/sparse", "/copy2", sparse=True)
        for p in ("/copy", "/copy2"):
            g.download(p, os.path.join(d, "out"))
            with open(os.path.join(d, "out"), "rb") as f:
                out = f.read()
            with open(small, "rb") as f:
                s = f.read()
            assert len(out) == 40 * MiB + 4096
            assert out[:4096] == s and out[-4096:] == s
            assert out[4096:-4096].count(0) == 40 * MiB - 4096


@test
def test_copy_size_and_dd():
    with gdtest.handle(disks=[64, 8, 4]) as g:
        gdtest.mkfs_mount(g)
        g.write("/src", b"hello, world")
        g.copy_size("/src", "/cs", 5)
        assert g.read_file("/cs") == b"hello"
        gdtest.expect_error(g, g.copy_size, "/src", "/cs", 13, errno=errno.EINVAL,
                            match="too short")
        gdtest.expect_error(g, g.copy_size, "/src", "/cs", -1, errno=errno.EINVAL)
        g.dd("/src", "/dd")
        assert g.read_file("/dd") == b"hello, world"
        g.dd("/src", "/dev/sdb")
        assert g.pread_device("/dev/sdb", 12, 0) == b"hello, world"
        # A destination device smaller than the source.
        gdtest.expect_error(g, g.dd, "/dev/sdb", "/dev/sdc", errno=errno.ENOSPC)
        g.ping_daemon()


# ---- zeroing ---------------------------------------------------------------

@test
def test_zero_clears_the_start_of_a_device():
    with gdtest.handle(disks=[64]) as g:
        part = gdtest.mkfs_mount(g)
        g.umount_all()
        sb = g.pread_device(part, 2, 1080)
        assert sb == b"\x53\xef", sb  # the ext4 superblock magic
        g.pwrite_device(part, b"beyond", 256 * 1024)
        events = progress_recorder(g)
        g.zero(part)
        assert g.pread_device(part, 256 * 1024, 0) == b"\0" * (256 * 1024)
        assert g.pread_device(part, 6, 256 * 1024) == b"beyond"
        assert all(e[3] == 32 for e in events)
        # Zeroing a whole disk removes its partitions, as in the appliance.
        g.zero("/dev/sda")
        assert g.list_partitions() == []


@test
def test_zero_device_writes_only_non_zero_blocks():
    with gdtest.tmpdir() as d:
        img = blank_image(d, "z.img", 256)
        with gdtest.handle(images=[img]) as g:
            for off in (0, 100 * MiB, 256 * MiB - 512):
                g.pwrite_device("/dev/sda", b"x" * 512, off)
            g.sync()
            before = allocated(img)
            assert not g.is_zero_device("/dev/sda")
            g.zero_device("/dev/sda")
            assert g.is_zero_device("/dev/sda")
            g.sync()
            assert allocated(img) <= before, (allocated(img), before)


@test
def test_zero_device_with_odd_size():
    # 512 bytes more than a multiple of the 4 KiB blocks zero_device works in.
    with gdtest.handle(disks=[16 + 1 / 2048]) as g:
        size = g.blockdev_getsize64("/dev/sda")
        assert size % 4096 == 512, size
        g.pwrite_device("/dev/sda", b"z" * 512, size - 512)
        g.pwrite_device("/dev/sda", b"z" * 512, size - 4096 - 512)
        g.zero_device("/dev/sda")
        assert g.is_zero_device("/dev/sda")


@test
def test_is_zero_device():
    with gdtest.handle(disks=[32, 32]) as g:
        assert g.is_zero_device("/dev/sda")
        g.pwrite_device("/dev/sdb", b"\1", 32 * MiB - 1)
        assert not g.is_zero_device("/dev/sdb")
        gdtest.mkfs_mount(g)
        assert not g.is_zero_device("/dev/sda1")


@test
def test_zero_free_space():
    with gdtest.tmpdir() as d, gdtest.handle(disks=[64]) as g:
        part = gdtest.mkfs_mount(g)
        secret = random_file(d, "secret", 8 * MiB)
        g.upload(secret, "/secret")
        g.sync()
        with open(secret, "rb") as f:
            needle = f.read()[4 * MiB:4 * MiB + 4096]
        g.rm("/secret")
        g.sync()
        events = progress_recorder(g)
        g.zero_free_space("/")
        if events:
            assert events[-1][2] == events[-1][3]
        assert g.ls("/") == ["lost+found"]  # nothing left behind
        g.umount_all()
        assert not device_contains(g, d, part, needle)
        g.mount_ro(part, "/")
        gdtest.expect_error(g, g.zero_free_space, "/", errno=errno.EROFS)
        gdtest.expect_error(g, g.upload, secret, "/new", errno=errno.EROFS)
        gdtest.expect_error(g, g.upload_offset, secret, "/lost+found", 0, errno=errno.EISDIR)
        gdtest.expect_error(g, g.copy_device_to_file, part, "/new", errno=errno.EROFS)
        gdtest.expect_error(g, g.zero_free_space, "/lost+found/none", errno=errno.ENOENT)


@test
def test_zerofree():
    if not gdtest.have_program("zerofree"):
        skip("zerofree is not installed")
    with gdtest.tmpdir() as d, gdtest.handle(disks=[64]) as g:
        part = gdtest.mkfs_mount(g)
        secret = random_file(d, "secret", 4 * MiB)
        g.upload(secret, "/secret")
        g.sync()
        with open(secret, "rb") as f:
            needle = f.read()[MiB:MiB + 4096]
        g.rm("/secret")
        gdtest.expect_error(g, g.zerofree, part, match="mounted")
        g.umount_all()
        g.zerofree(part)
        assert not device_contains(g, d, part, needle)


@test
def test_wipefs():
    with gdtest.handle(disks=[64]) as g:
        part = gdtest.mkfs_mount(g)
        g.umount_all()
        assert g.pread_device(part, 2, 1080) == b"\x53\xef"
        g.wipefs(part)
        assert g.pread_device(part, 2, 1080) == b"\0\0"
        gdtest.expect_error(g, g.mount, part, "/")
        # A partition table goes too, and the kernel forgets the partitions.
        g.wipefs("/dev/sda")
        assert g.list_partitions() == []


# ---- discard and trim ---------------------------------------------------------

@test
def test_blkdiscard():
    with gdtest.tmpdir() as d:
        img = blank_image(d, "b.img", 64)
        with gdtest.handle(images=[img]) as g:
            for off in range(0, 64 * MiB, 4 * MiB):
                g.pwrite_device("/dev/sda", b"y" * 65536, off)
            g.sync()
            assert allocated(img) >= MiB
            assert g.blkdiscardzeroes("/dev/sda") in (True, False, 0, 1)
            g.blkdiscard("/dev/sda")
            g.sync()
            assert allocated(img) < 256 * 1024, allocated(img)
            assert g.is_zero_device("/dev/sda")


@test
def test_fstrim():
    with gdtest.tmpdir() as d:
        img = blank_image(d, "t.img", 128)
        with gdtest.handle(images=[img]) as g:
            gdtest.mkfs_mount(g)
            g.upload(random_file(d, "r", 40 * MiB), "/r")
            g.sync()
            full = allocated(img)
            g.rm("/r")
            g.fstrim("/", offset=0, minimumfreeextent=4096)
            g.sync()
            assert allocated(img) < full - 30 * MiB, (allocated(img), full)
            g.fstrim("/", length=MiB)
            g.write("/file", b"x")
            for kw in ({"offset": -1}, {"length": -1}, {"minimumfreeextent": -1}):
                gdtest.expect_error(g, g.fstrim, "/", errno=errno.EINVAL, **kw)
            gdtest.expect_error(g, g.fstrim, "/file", errno=errno.ENOTDIR)
            gdtest.expect_error(g, g.fstrim, "/none", errno=errno.ENOENT)


# ---- pread/pwrite --------------------------------------------------------------

@test
def test_pread_pwrite_device():
    with gdtest.handle(disks=[16]) as g:
        assert g.pwrite_device("/dev/sda", b"abcdef", 100) == 6
        assert g.pread_device("/dev/sda", 6, 100) == b"abcdef"
        assert g.pread_device("/dev/sda", 10, 16 * MiB - 4) == b"\0" * 4
        assert g.pread_device("/dev/sda", 10, 16 * MiB) == b""
        assert g.pread_device("/dev/sda", 0, 0) == b""
        # The largest reply that fits, and one byte more.
        limit = 4 * MiB - 44
        assert len(g.pread_device("/dev/sda", limit, 0)) == limit
        gdtest.expect_error(g, g.pread_device, "/dev/sda", limit + 1, 0,
                            errno=errno.E2BIG, match="limit")
        gdtest.expect_error(g, g.pread_device, "/dev/sda", 2**31 - 1, 0,
                            errno=errno.E2BIG)
        gdtest.expect_error(g, g.pread_device, "/dev/sda", -1, 0, errno=errno.EINVAL)
        gdtest.expect_error(g, g.pread_device, "/dev/sda", 1, -1, errno=errno.EINVAL)
        gdtest.expect_error(g, g.pwrite_device, "/dev/sda", b"x", -1, errno=errno.EINVAL)
        gdtest.expect_error(g, g.pwrite_device, "/dev/sda", b"x", 16 * MiB,
                            errno=errno.ENOSPC)
        g.ping_daemon()


# ---- uploads and downloads --------------------------------------------------------

@test
def test_upload_download_offsets():
    with gdtest.tmpdir() as d, gdtest.handle(disks=[64, 8]) as g:
        gdtest.mkfs_mount(g)
        src = random_file(d, "src", 300000)
        with open(src, "rb") as f:
            data = f.read()
        g.upload_offset(src, "/new", 1000)  # created, with a hole first
        out = os.path.join(d, "out")
        g.download("/new", out)
        with open(out, "rb") as f:
            assert f.read() == b"\0" * 1000 + data
        g.download_offset("/new", out, 1000 + 5, 70000)
        with open(out, "rb") as f:
            assert f.read() == data[5:70005]
        g.download_offset("/new", out, 301000, 0)
        assert os.path.getsize(out) == 0
        # Past the end: the bytes that exist, as the original.
        g.download_offset("/new", out, 300000, 1001)
        with open(out, "rb") as f:
            assert f.read() == data[-1000:]
        g.download_offset("/new", out, 400000, 10)
        assert os.path.getsize(out) == 0
        gdtest.expect_error(g, g.download_offset, "/new", out, -1, 1, errno=errno.EINVAL)
        gdtest.expect_error(g, g.download_offset, "/new", out, 0, -1, errno=errno.EINVAL)
        gdtest.expect_error(g, g.upload_offset, src, "/new", -1, errno=errno.EINVAL)
        gdtest.expect_error(g, g.upload_offset, src, "/nodir/x", 0, errno=errno.ENOENT)
        # Devices.
        g.upload_offset(src, "/dev/sdb", 4096)
        g.download_offset("/dev/sdb", out, 4096, len(data))
        with open(out, "rb") as f:
            assert f.read() == data
        gdtest.expect_error(g, g.upload_offset, src, "/dev/sdb", 8 * MiB - 100,
                            errno=errno.ENOSPC)
        g.download_offset("/dev/sdb", out, 8 * MiB - 100, 101)
        assert os.path.getsize(out) == 100
        g.ping_daemon()


@test
def test_download_progress():
    # Big enough to last more than the 2 s before the first progress message.
    with gdtest.handle(disks=[2048]) as g:
        events = progress_recorder(g)
        g.download("/dev/sda", "/dev/null")
        check_progress(events, 2 * GiB)
        events.clear()
        g.download_offset("/dev/sda", "/dev/null", 1, 2 * GiB - 2)
        check_progress(events, 2 * GiB - 2)


@test
def test_full_filesystem_during_upload():
    with gdtest.tmpdir() as d, gdtest.handle(disks=[32]) as g:
        gdtest.mkfs_mount(g)
        big = random_file(d, "big", 64 * MiB)
        gdtest.expect_error(g, g.upload, big, "/big", errno=errno.ENOSPC,
                            match="/big: write: No space left")
        g.ping_daemon()
        g.rm("/big")
        gdtest.expect_error(g, g.upload_offset, big, "/big2", 100, errno=errno.ENOSPC)
        g.ping_daemon()
        g.rm("/big2")
        # Still serving, and with space again the same upload works.
        small = random_file(d, "small", MiB)
        g.upload(small, "/small")
        assert md5_of_guest_file(g, d, "/small") == hashlib.md5(
            open(small, "rb").read()).hexdigest()


@test
def test_readonly_drive_refuses_writes():
    with gdtest.tmpdir() as d:
        ro = blank_image(d, "ro.img", 16)
        with gdtest.handle(disks=[16], readonly_images=[ro]) as g:
            src = random_file(d, "src", 100)
            calls = [
                (g.zero, "/dev/sdb"), (g.zero_device, "/dev/sdb"),
                (g.pwrite_device, "/dev/sdb", b"x", 0),
                (g.upload, src, "/dev/sdb"), (g.upload_offset, src, "/dev/sdb", 5),
                (g.copy_device_to_device, "/dev/sda", "/dev/sdb"),
                (g.copy_size, "/dev/sda", "/dev/sdb", 10), (g.dd, "/dev/sda", "/dev/sdb"),
                (g.blkdiscard, "/dev/sdb"), (g.wipefs, "/dev/sdb"),
            ]
            if g.feature_available(["scrub"]):
                calls.append((g.scrub_device, "/dev/sdb"))
            for fn, *args in calls:
                gdtest.expect_error(g, fn, *args, errno=errno.EROFS, match="read-only")
            assert g.is_zero_device("/dev/sdb")
            g.ping_daemon()


def special_tree(tree):
    os.mkdir(os.path.join(tree, "dir"))
    with open(os.path.join(tree, "dir", "file"), "w") as f:
        f.write("hello\n")
    os.symlink("dir/file", os.path.join(tree, "link"))
    os.symlink("/dir/file", os.path.join(tree, "abslink"))
    os.symlink("/etc/hostname", os.path.join(tree, "hostlink"))
    os.symlink("../../../../../../etc/hostname", os.path.join(tree, "uplink"))
    os.symlink("/dir/created", os.path.join(tree, "dangling"))
    os.mknod(os.path.join(tree, "null"), 0o666 | 0o020000, os.makedev(1, 3))
    # Major 240 is for local use: no host device answers to it, should a
    # bug ever let the daemon open this node.
    os.mknod(os.path.join(tree, "blk"), 0o600 | 0o060000, os.makedev(240, 0))
    os.mkfifo(os.path.join(tree, "fifo"))


@test
def test_guest_special_files_are_refused():
    # A device node in a guest filesystem would open one of the host's
    # devices; a FIFO would block; symlinks resolve inside the guest.
    with gdtest.tmpdir() as d:
        img = ext4_image(d, "special.img", 32, special_tree)
        with gdtest.handle(images=[img]) as g:
            g.mount("/dev/sda", "/")
            out = os.path.join(d, "out")
            src = random_file(d, "src", 10)
            for path in ("/link", "/abslink"):
                g.download(path, out)
                with open(out) as f:
                    assert f.read() == "hello\n"
                g.copy_file_to_file(path, "/copy")
                assert g.read_file("/copy") == b"hello\n"
            for path in ("/hostlink", "/uplink"):
                for fn, *args in ((g.download, path, out), (g.copy_file_to_file, path, "/c"),
                                  (g.download_offset, path, out, 0, 1)):
                    gdtest.expect_error(g, fn, *args, errno=errno.ENOENT)
            for path in ("/null", "/blk", "/fifo"):
                for fn, *args in ((g.download, path, out), (g.upload, src, path),
                                  (g.upload_offset, src, path, 0),
                                  (g.copy_file_to_file, path, "/c"),
                                  (g.copy_file_to_file, "/dir/file", path),
                                  (g.copy_device_to_file, "/dev/sda", path),
                                  (g.copy_size, path, "/c", 1), (g.dd, "/dir/file", path)):
                    gdtest.expect_error(g, fn, *args, errno=errno.EINVAL,
                                        match="not a regular file")
            for fn, *args in ((g.download, "/dir", out), (g.upload, src, "/dir")):
                gdtest.expect_error(g, fn, *args, errno=errno.EISDIR)
            # Writing through a dangling symlink creates its target, in the guest.
            g.upload(src, "/dangling")
            assert g.read_file("/dir/created") == open(src, "rb").read()
            g.ping_daemon()


# ---- scrub -----------------------------------------------------------------

@test
def test_scrub():
    with gdtest.tmpdir() as d, gdtest.handle(disks=[16]) as g:
        if not g.feature_available(["scrub"]):
            skip("scrub is not installed")
        gdtest.mkfs_mount(g)
        g.write("/f", b"secret")
        g.scrub_file("/f")
        assert not g.exists("/f")
        gdtest.expect_error(g, g.scrub_file, "/f", errno=errno.ENOENT)
        g.mkdir("/d")
        gdtest.expect_error(g, g.scrub_file, "/d", errno=errno.EISDIR)
        g.scrub_freespace("/sf")
        assert sorted(g.ls("/")) == ["d", "lost+found"]  # scrub -X cleans up
        g.umount_all()
        g.scrub_device("/dev/sda1")
        g.scrub_device("/dev/sda1")  # again: scrub's signature must not stop it


@test
def test_scrub_file_through_symlinks():
    with gdtest.tmpdir() as d:
        img = ext4_image(d, "special.img", 32, special_tree)
        with gdtest.handle(images=[img]) as g:
            if not g.feature_available(["scrub"]):
                skip("scrub is not installed")
            g.mount("/dev/sda", "/")
            g.scrub_file("/link")  # scrubs and removes the target
            assert g.exists("/dir") and not g.exists("/dir/file")
            assert "link" in g.ls("/")
            for path in ("/hostlink", "/uplink", "/link"):
                gdtest.expect_error(g, g.scrub_file, path, errno=errno.ENOENT)
            gdtest.expect_error(g, g.scrub_file, "/null", errno=errno.EINVAL)


# ---- the Sleuth Kit ---------------------------------------------------------------

def tsk_tree(tree):
    os.mkdir(os.path.join(tree, "dir"))
    with open(os.path.join(tree, "dir", "file"), "w") as f:
        f.write("hello tsk\n")
    with open(os.path.join(tree, "big"), "wb") as f:
        f.write(bytes(range(256)) * 4096)
    os.symlink("dir/file", os.path.join(tree, "link"))
    os.mkfifo(os.path.join(tree, "fifo"))


@test
def test_filesystem_walk_and_find_inode():
    with gdtest.tmpdir() as d:
        img = ext4_image(d, "tsk.img", 32, tsk_tree)
        with gdtest.handle(images=[img], disks=[8]) as g:
            if not g.feature_available(["libtsk"]):
                skip("libtsk group not available")
            entries = {e["tsk_name"]: e for e in g.filesystem_walk("/dev/sdb")}
            for name in (".", "lost+found", "dir", "dir/file", "big", "link", "fifo"):
                assert name in entries, sorted(entries)
            assert ".." not in entries and "dir/." not in entries
            f = entries["dir/file"]
            assert f["tsk_type"] == "r" and f["tsk_size"] == 10
            assert f["tsk_flags"] & 1 and f["tsk_nlink"] == 1 and f["tsk_mtime_sec"] > 0
            assert entries["dir"]["tsk_type"] == "d"
            assert entries["link"]["tsk_type"] == "l"
            assert entries["link"]["tsk_link"] == "dir/file"
            assert entries["fifo"]["tsk_type"] == "f"
            assert entries["."]["tsk_inode"] == 2
            found = g.find_inode("/dev/sdb", f["tsk_inode"])
            assert [e["tsk_name"] for e in found] == ["dir/file"]
            # No entry: an empty stream, which the 1.48 library reports as
            # an error (with a stale message) rather than an empty list.
            try:
                assert g.find_inode("/dev/sdb", 999999) == []
            except RuntimeError:
                pass
            gdtest.expect_error(g, g.filesystem_walk, "/dev/sda",
                                match="Cannot determine file system type")
            gdtest.expect_error(g, g.find_inode, "/dev/sdb", -1, errno=errno.EINVAL)
            g.ping_daemon()


@test
def test_download_inode_and_blocks():
    with gdtest.tmpdir() as d:
        img = ext4_image(d, "tsk.img", 32, tsk_tree)
        with gdtest.handle(images=[img]) as g:
            if not g.feature_available(["sleuthkit"]):
                skip("sleuthkit is not installed")
            entries = {e["tsk_name"]: e for e in g.filesystem_walk("/dev/sda")}
            out = os.path.join(d, "out")
            g.download_inode("/dev/sda", entries["dir/file"]["tsk_inode"], out)
            with open(out, "rb") as f:
                assert f.read() == b"hello tsk\n"
            events = progress_recorder(g)
            g.download_inode("/dev/sda", entries["big"]["tsk_inode"], out)
            with open(out, "rb") as f:
                assert f.read() == bytes(range(256)) * 4096
            gdtest.expect_error(g, g.download_inode, "/dev/sda", 99999999, out)
            # The client gives up mid-stream (cannot write): icat is stopped.
            gdtest.expect_error(g, g.download_inode, "/dev/sda",
                                entries["big"]["tsk_inode"], "/dev/full")
            g.ping_daemon()
            gdtest.expect_error(g, g.download_inode, "/dev/sda", -1, out,
                                errno=errno.EINVAL)
            # Blocks 0-1 of a 1 KiB-block ext4 with 32 MiB: the boot block
            # and the superblock.
            g.download_blocks("/dev/sda", 0, 1, out)
            with open(out, "rb") as f:
                blocks = f.read()
            assert len(blocks) % 1024 == 0 and len(blocks) >= 2048
            assert blocks[1024 + 56:1024 + 58] == b"\x53\xef"
            g.download_blocks("/dev/sda", 8000, 8100, out, unallocated=True)
            assert os.path.getsize(out) > 0
            gdtest.expect_error(g, g.download_blocks, "/dev/sda", 5, 4, out,
                                errno=errno.EINVAL)
            g.ping_daemon()


# ---- NTFS ---------------------------------------------------------------

@test
def test_ntfsclone_and_ntfscat():
    if not gdtest.have_program("mkntfs"):
        skip("mkntfs is not installed")
    with gdtest.tmpdir() as d:
        img = blank_image(d, "ntfs.img", 32)
        subprocess.run(["mkntfs", "-q", "-F", "-Q", img], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with gdtest.handle(images=[img], disks=[32, 4]) as g:
            boot = os.path.join(d, "boot")
            # inode 7 is $Boot: the first 8 KiB of the volume.
            g.ntfscat_i("/dev/sdc", 7, boot)
            with open(boot, "rb") as f:
                assert f.read() == g.pread_device("/dev/sdc", 8192, 0)
            gdtest.expect_error(g, g.ntfscat_i, "/dev/sda", 7, boot, match="NTFS")
            if not g.feature_available(["ntfs3g"]):
                skip("ntfs3g group not available (ntfs_3g_probe, ntfsfix missing)")
            clone = os.path.join(d, "clone")
            g.ntfsclone_out("/dev/sdc", clone)
            g.ntfsclone_out("/dev/sdc", clone + ".meta", metadataonly=True,
                            ignorefscheck=True, preservetimestamps=True, force=True)
            assert 0 < os.path.getsize(clone + ".meta") <= os.path.getsize(clone)
            g.ntfsclone_in(clone, "/dev/sda")
            g.ntfscat_i("/dev/sda", 7, boot + "2")
            with open(boot, "rb") as a, open(boot + "2", "rb") as b:
                assert a.read() == b.read()
            # Errors of the programs come back, and the daemon carries on.
            gdtest.expect_error(g, g.ntfsclone_in, boot, "/dev/sda", match="ntfsclone")
            gdtest.expect_error(g, g.ntfsclone_in, clone, "/dev/sdb", match="ntfsclone")
            gdtest.expect_error(g, g.ntfsclone_out, "/dev/sdb", clone, match="NTFS")
            # The client gives up mid-stream: the program is stopped.
            gdtest.expect_error(g, g.ntfsclone_out, "/dev/sdc", "/dev/full")
            g.ping_daemon()


# ---- tests.json cases of these procedures -------------------------------------

def scratch_fs(g):
    """InitScratchFS: the ext2 /dev/sdb1 made once, mounted on /."""
    g.part_disk("/dev/sdb", "mbr")
    g.mkfs("ext2", "/dev/sdb1")
    g.mount("/dev/sdb1", "/")


@test
def test_tests_json_cases():
    # The disks are smaller than the original 2 GiB: zero_free_space fills
    # the whole scratch filesystem.  COPYING.LIB (26530 bytes) is replaced
    # by a file of the same size whose MD5 is computed here.
    with gdtest.tmpdir() as d, gdtest.handle(disks=[256, 256, 10]) as g:
        COPYING_LIB = random_file(d, "COPYING.LIB", 26530)
        with open(COPYING_LIB, "rb") as f:
            COPYING_LIB_MD5 = hashlib.md5(f.read()).hexdigest()
        scratch_fs(g)
        # test_copy_file_to_file_0
        g.mkdir("/copyff")
        g.write("/copyff/src", b"hello, world")
        g.copy_file_to_file("/copyff/src", "/copyff/dest", append=False)
        assert g.read_file("/copyff/dest") == b"hello, world"
        # test_copy_file_to_file_1 (fill and is_zero done by hand)
        g.mkdir("/copyff2")
        g.copy_device_to_file("/dev/sdc", "/copyff2/src", size=MiB)  # 1 MiB of zeroes
        g.write("/copyff2/dest", b"")
        g.copy_file_to_file("/copyff2/src", "/copyff2/dest", sparse=True, append=False)
        assert g.read_file("/copyff2/dest") == b"\0" * MiB
        # test_copy_file_to_file_2
        g.mkdir("/copyff3")
        g.write("/copyff3/src", b"hello, world")
        for _ in range(3):
            g.copy_file_to_file("/copyff3/src", "/copyff3/dest", append=True)
        assert g.read_file("/copyff3/dest") == b"hello, world" * 3
        # test_copy_size_0
        g.mkdir("/copy_size")
        g.write("/copy_size/src", b"hello, world")
        g.copy_size("/copy_size/src", "/copy_size/dest", 5)
        assert g.read_file("/copy_size/dest") == b"hello"
        # test_dd_0
        g.mkdir("/dd")
        g.write("/dd/src", b"hello, world")
        g.dd("/dd/src", "/dd/dest")
        assert g.read_file("/dd/dest") == b"hello, world"
        # test_upload_0, test_download_0 (checksum computed here)
        g.mkdir("/upload")
        g.upload(COPYING_LIB, "/upload/COPYING.LIB")
        assert md5_of_guest_file(g, d, "/upload/COPYING.LIB") == COPYING_LIB_MD5
        g.mkdir("/download")
        g.upload(COPYING_LIB, "/download/COPYING.LIB")
        tmp = os.path.join(d, "testdownload.tmp")
        g.download("/download/COPYING.LIB", tmp)
        g.upload(tmp, "/download/upload")
        assert md5_of_guest_file(g, d, "/download/upload") == COPYING_LIB_MD5
        # test_download_offset_0
        g.mkdir("/download_offset")
        g.upload(COPYING_LIB, "/download_offset/COPYING.LIB")
        g.download_offset("/download_offset/COPYING.LIB", tmp, 100, 26430)
        g.upload_offset(tmp, "/download_offset/COPYING.LIB", 100)
        assert md5_of_guest_file(g, d, "/download_offset/COPYING.LIB") == COPYING_LIB_MD5
        # test_upload_offset_0
        g.upload_offset(COPYING_LIB, "/upload_offset", 0)
        assert md5_of_guest_file(g, d, "/upload_offset") == COPYING_LIB_MD5
        # test_zero_free_space_0
        g.zero_free_space("/")
        if g.feature_available(["scrub"]):
            # test_scrub_file_0 .. 3 (ln_s replaced by a host-made image
            # in test_scrub_file_through_symlinks)
            g.write("/scrub_file", b"content")
            g.scrub_file("/scrub_file")
            # test_scrub_device_0
            g.scrub_device("/dev/sdc")
        # test_is_zero_device_1, test_zero_0 (InitBasicFS: ext2 on /dev/sda1)
        g.umount_all()
        g.part_disk("/dev/sda", "mbr")
        g.mkfs("ext2", "/dev/sda1")
        g.mount("/dev/sda1", "/")
        assert not g.is_zero_device("/dev/sda1")
        g.umount("/dev/sda1")
        g.zero("/dev/sda1")
        # test_pwrite_device_0 (InitPartition)
        g.pwrite_device("/dev/sda", b"\0" * 66, 446)
        g.blockdev_rereadpt("/dev/sda")
        assert g.list_partitions() == ["/dev/sdb1"]


@test
def test_tests_json_pread_device_0():
    # /dev/sdd of the C API tests is an ISO9660 image: its primary volume
    # descriptor at 32768 starts with 01 "CD001" 01 00.
    if not gdtest.have_program("genisoimage"):
        skip("genisoimage is not installed")
    with gdtest.tmpdir() as d:
        os.mkdir(os.path.join(d, "iso"))
        iso = os.path.join(d, "test.iso")
        subprocess.run(["genisoimage", "-quiet", "-J", "-r", "-o", iso,
                        os.path.join(d, "iso")], check=True)
        with gdtest.handle(disks=[16, 16, 10], readonly_images=[iso]) as g:
            assert g.pread_device("/dev/sdd", 8, 32768) == b"\x01CD001\x01\x00"


@test
def test_live_mode_character_devices():
    # With -r on a live system the original reads and writes any file
    # open(2) takes, e.g. /dev/null and /dev/zero; only a host-mode daemon
    # (serving image files) insists on regular files.
    sandbox = os.path.join(gdtest.BUILDDIR, "bench", "gd-sandbox")
    if not os.access(sandbox, os.X_OK):
        skip("bench/gd-sandbox was not built")
    saved = dict(os.environ)
    os.environ.update({
        "GUESTFSD_HV_SANDBOX": sandbox,
        "GUESTFSD_HV_LIVE": "1",
        "GUESTFSD_HV_BIND": gdtest.BUILDDIR,
        "GUESTFSD_BIN": os.path.join(gdtest.BUILDDIR, "guestfsd", "guestfsd"),
    })
    try:
        with gdtest.tmpdir() as d:
            src = os.path.join(d, "src")
            out = os.path.join(d, "out")
            with open(src, "wb") as f:
                f.write(os.urandom(300000))
            with gdtest.handle(disks=[1]) as g:
                g.upload(src, "/dev/null")
                g.download("/dev/null", out)
                assert os.path.getsize(out) == 0
                g.download_offset("/dev/zero", out, 4096, 200000)
                with open(out, "rb") as f:
                    assert f.read() == b"\0" * 200000
                # Regular files end where they end (the original's answer).
                g.upload(src, "/tmp/f")
                g.download_offset("/tmp/f", out, 0, 300001)
                assert os.path.getsize(out) == os.path.getsize(src)
    finally:
        os.environ.clear()
        os.environ.update(saved)


gdtest.main()
