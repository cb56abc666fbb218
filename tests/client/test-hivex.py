#!/usr/bin/python3
"""hivex procedures through the real library, on tests/data/files/minimal
(an 8 KiB registry hive): reading, writing and committing, errors with
their errno, the handle's life, and confinement."""

import errno
import os

import gdtest
from gdtest import test

MINIMAL = os.path.join(gdtest.SRCDIR, "tests", "data", "files", "minimal")
REG_SZ, REG_BINARY, REG_DWORD = 1, 3, 4


def with_hive(g, path="/hive"):
    gdtest.mkfs_mount(g)
    g.upload(MINIMAL, path)


@test
def test_read_minimal():
    with gdtest.handle(disks=[100]) as g:
        with_hive(g)
        assert g.feature_available(["hivex"])
        g.hivex_open("/hive")
        root = g.hivex_root()
        assert root == 0x1020, hex(root)
        assert g.hivex_node_name(root) == "$$$PROTO.HIV"
        assert g.hivex_node_children(root) == []
        assert g.hivex_node_values(root) == []
        assert g.hivex_node_get_child(root, "nothing") == 0
        assert g.hivex_node_get_value(root, "nothing") == 0
        g.hivex_close()


@test
def test_write_commit_reopen():
    with gdtest.handle(disks=[100]) as g:
        with_hive(g)
        g.hivex_open("/hive", write=True)
        root = g.hivex_root()
        child = g.hivex_node_add_child(root, "Software")
        sub = g.hivex_node_add_child(child, "Vendor")
        assert g.hivex_node_parent(sub) == child
        assert g.hivex_node_get_child(root, "Software") == child
        text = "héllo".encode("utf-16-le") + b"\0\0"
        g.hivex_node_set_value(child, "Greeting", REG_SZ, text)
        g.hivex_node_set_value(child, "Count", REG_DWORD, b"\x2a\0\0\0")
        v = g.hivex_node_get_value(child, "Greeting")
        assert g.hivex_value_key(v) == "Greeting"
        assert g.hivex_value_type(v) == REG_SZ
        assert g.hivex_value_value(v) == text
        assert g.hivex_value_string(v) == "héllo"
        assert g.hivex_value_utf8(v) == "héllo"
        keys = sorted(g.hivex_value_key(x["hivex_value_h"])
                      for x in g.hivex_node_values(child))
        assert keys == ["Count", "Greeting"]
        # To another file first: the original is left as it was.
        g.hivex_commit("/copy")
        assert g.read_file("/hive") == open(MINIMAL, "rb").read()
        g.hivex_commit(None)
        g.hivex_close()
        assert g.read_file("/hive") != open(MINIMAL, "rb").read()
        g.hivex_open("/copy")
        assert g.hivex_node_get_child(g.hivex_root(), "Software") != 0

        g.hivex_open("/hive")
        root = g.hivex_root()
        child = g.hivex_node_get_child(root, "Software")
        assert child != 0
        assert [g.hivex_node_name(c["hivex_node_h"])
                for c in g.hivex_node_children(child)] == ["Vendor"]
        v = g.hivex_node_get_value(child, "Count")
        assert g.hivex_value_value(v) == b"\x2a\0\0\0"
        gdtest.expect_error(g, g.hivex_value_string, v, errno=errno.EINVAL)
        g.hivex_close()

        g.hivex_open("/hive", write=True)
        child = g.hivex_node_get_child(g.hivex_root(), "Software")
        g.hivex_node_delete_child(child)
        g.hivex_commit(None)
        g.hivex_open("/hive")
        assert g.hivex_node_children(g.hivex_root()) == []
        g.hivex_close()


@test
def test_errors():
    with gdtest.handle(disks=[100]) as g:
        with_hive(g)
        for fn, args in [(g.hivex_root, ()), (g.hivex_close, ()),
                         (g.hivex_node_name, (0x1020,)), (g.hivex_commit, (None,))]:
            gdtest.expect_error(g, fn, *args, match="hivex_open first")
        gdtest.expect_error(g, g.hivex_open, "/nonexistent", errno=errno.ENOENT)
        g.mkdir("/dir")
        gdtest.expect_error(g, g.hivex_open, "/dir", errno=errno.EISDIR)
        g.write("/small", b"regf" + b"\0" * 100)
        gdtest.expect_error(g, g.hivex_open, "/small", match="/small")
        g.mkfifo(0o644, "/fifo")
        gdtest.expect_error(g, g.hivex_open, "/fifo", errno=errno.EINVAL)
        # A guest's device node would be one of the host's devices.
        g.mknod_b(0o600, 7, 0, "/blk")
        g.ln_s("/blk", "/blk-link")
        gdtest.expect_error(g, g.hivex_open, "/blk", errno=errno.EINVAL)
        gdtest.expect_error(g, g.hivex_open, "/blk-link", errno=errno.EINVAL)

        g.hivex_open("/hive")
        # Handles that are not nodes or values of this hive.
        gdtest.expect_error(g, g.hivex_node_name, 12345, errno=errno.EINVAL)
        gdtest.expect_error(g, g.hivex_node_children, 1 << 40, errno=errno.EINVAL)
        gdtest.expect_error(g, g.hivex_value_key, 0x1020, errno=errno.EINVAL)
        gdtest.expect_error(g, g.hivex_node_set_value, 0x1020, "k", -1, b"",
                            errno=errno.EINVAL)
        # Opened read-only.
        gdtest.expect_error(g, g.hivex_node_add_child, 0x1020, "x", errno=errno.EROFS)
        gdtest.expect_error(g, g.hivex_commit, None, errno=errno.EROFS)
        gdtest.expect_error(g, g.hivex_commit, "relative", errno=errno.EINVAL)
        g.hivex_close()
        g.hivex_open("/hive", write=True)
        gdtest.expect_error(g, g.hivex_commit, "/dir", errno=errno.EISDIR)
        gdtest.expect_error(g, g.hivex_commit, "/blk-link", errno=errno.EINVAL)
        # The handle survives errors.
        assert g.hivex_node_name(g.hivex_root()) == "$$$PROTO.HIV"
        g.hivex_close()
        gdtest.expect_error(g, g.hivex_close, match="hivex_open first")


@test
def test_umount_all_closes_hive():
    with gdtest.handle(disks=[100]) as g:
        with_hive(g)
        g.hivex_open("/hive", write=True)
        g.umount_all()
        assert g.mounts() == []
        gdtest.expect_error(g, g.hivex_root, match="hivex_open first")


@test
def test_umount_with_write_handle_open():
    # A hive opened for writing is held in memory (as with the original):
    # "/" can be unmounted under it, and it is committed to what is
    # mounted then.
    with gdtest.handle(disks=[100]) as g:
        with_hive(g)
        g.hivex_open("/hive", write=True)
        g.umount("/")
        assert g.mounts() == []
        g.hivex_node_add_child(g.hivex_root(), "Later")
        gdtest.expect_error(g, g.hivex_commit, None, match="mount")
        g.mount("/dev/sda1", "/")
        g.hivex_commit(None)
        g.hivex_open("/hive")
        assert g.hivex_node_get_child(g.hivex_root(), "Later") != 0
        g.hivex_close()


@test
def test_worker_death():
    # The hive is parsed in a worker process: if hivex crashes on a
    # malformed hive, the call fails (EIO) and the daemon goes on.
    with gdtest.handle(disks=[100]) as g:
        with_hive(g)
        before = set(gdtest.daemon_children())
        g.hivex_open("/hive")
        new = list(set(gdtest.daemon_children()) - before)
        if len(new) != 1:
            gdtest.skip(f"cannot tell the hivex worker among {new}")
        os.kill(new[0], 9)
        gdtest.expect_error(g, g.hivex_root, errno=errno.EIO, match="worker process died")
        gdtest.expect_error(g, g.hivex_root, match="hivex_open first")
        g.hivex_open("/hive")
        assert g.hivex_root() == 0x1020
        assert not os.path.exists(f"/proc/{new[0]}")


@test
def test_confined_to_guest():
    # A symlink to an absolute path names the guest's file, and commit
    # through a symlink writes the guest's file, never the host's.
    with gdtest.tmpdir() as d, gdtest.handle(disks=[100]) as g:
        host_file = os.path.join(d, "hive")
        with open(host_file, "wb") as f:
            f.write(b"host data, not a hive")
        with_hive(g)
        g.mkdir_p(d)
        g.upload(MINIMAL, d + "/hive")
        g.ln_s(host_file, "/link")
        g.hivex_open("/link", write=True)
        g.hivex_node_add_child(g.hivex_root(), "Added")
        g.hivex_commit("/link")
        g.hivex_close()
        with open(host_file, "rb") as f:
            assert f.read() == b"host data, not a hive"
        g.hivex_open(d + "/hive")
        assert g.hivex_node_get_child(g.hivex_root(), "Added") != 0
        g.hivex_close()


gdtest.main()
