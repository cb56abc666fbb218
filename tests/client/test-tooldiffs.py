#!/usr/bin/python3
# Differences whole tools tripped on (issue 12): each answer here is the
# original daemon's, as seen by running the same call against Debian's own
# appliance.

import os
import subprocess
import tarfile

import gdtest
from gdtest import test


def with_fs(fn, fstype="ext4", disks=(64,)):
    with gdtest.handle(disks=list(disks)) as g:
        gdtest.mkfs_mount(g, fstype=fstype)
        fn(g)


@test
def test_find_leading_slash_and_symlinks():
    def t(g):
        g.mkdir_p("/d/sub")
        g.touch("/d/-dash-first")
        g.touch("/d/sub/x")
        g.ln_s("/etc/passwd", "/d/abs-link")
        g.ln_s("d", "/link-to-d")
        g.touch("/file")
        # Without a final "/" the names keep a leading "/", as the original.
        assert sorted(g.find("/d")) == ["/-dash-first", "/abs-link", "/sub", "/sub/x"]
        # With one, they do not; nor for "/".
        assert sorted(g.find("/d/")) == ["-dash-first", "abs-link", "sub", "sub/x"]
        assert "lost+found" in g.find("/") and "d/sub/x" in g.find("/")
        # A symlink to a directory is not followed (find(1) without -H).
        assert g.find("/link-to-d") == []
        assert sorted(g.find("/link-to-d/")) == ["-dash-first", "abs-link", "sub", "sub/x"]
        gdtest.expect_error(g, g.find, "/file")
        gdtest.expect_error(g, g.find, "/missing")
    with_fs(t)


@test
def test_exists_dangling_symlink():
    def t(g):
        g.ln_s("/nowhere", "/dangling")
        assert g.exists("/dangling")
        assert not g.exists("/nowhere")
        assert not g.is_file("/dangling")
    with_fs(t)


@test
def test_download_offset_past_end():
    with gdtest.tmpdir() as d:
        def t(g):
            g.write("/f", b"0123456789")
            out = os.path.join(d, "out")
            g.download_offset("/f", out, 5, 100)
            assert open(out, "rb").read() == b"56789"
            g.download_offset("/f", out, 20, 5)
            assert open(out, "rb").read() == b""
        with_fs(t)


@test
def test_file_keeps_mode_words():
    def t(g):
        g.write("/s", b"#!/bin/sh\necho hi\n")
        g.chmod(0o4755, "/s")
        assert g.file("/s") == "setuid POSIX shell script, ASCII text executable", g.file("/s")
        g.chmod(0o6755, "/s")
        assert g.file("/s").startswith("setuid, setgid POSIX shell script")
        g.touch("/e")
        g.chmod(0o4644, "/e")
        assert g.file("/e") == "setuid, empty"
        g.chmod(0o644, "/s")
        assert g.file("/s") == "POSIX shell script, ASCII text executable"
    with_fs(t)


@test
def test_xattrs_sorted_by_name():
    def t(g):
        g.touch("/f")
        for name in ("user.zz", "user.aa", "user.mm", "user.b"):
            g.setxattr(name, "v-" + name, len("v-" + name), "/f")
        want = ["user.aa", "user.b", "user.mm", "user.zz"]
        assert [x["attrname"] for x in g.getxattrs("/f")] == want
        assert [x["attrname"] for x in g.lgetxattrs("/f")] == want
        # lxattrlist (the library's lstatnslist/ls -l helper) too.
        got = g.lxattrlist("/", ["f"])
        assert [x["attrname"] for x in got if x["attrname"]] == want
    with_fs(t)


@test
def test_blkid_io_limits():
    with gdtest.handle(disks=[32]) as g:
        g.part_disk("/dev/sda", "mbr")
        g.mkfs("ext4", "/dev/sda1")
        for dev in ("/dev/sda1", "/dev/sda"):
            b = g.blkid(dev)
            for key in ("MINIMUM_IO_SIZE", "PHYSICAL_SECTOR_SIZE", "LOGICAL_SECTOR_SIZE"):
                assert key in b, (dev, b)
            assert b["LOGICAL_SECTOR_SIZE"] == "512"
        assert g.blkid("/dev/sda1")["TYPE"] == "ext4"


@test
def test_partitions_visible_after_mbr_edits():
    with gdtest.handle(disks=[64]) as g:
        g.part_init("/dev/sda", "mbr")
        g.part_add("/dev/sda", "p", 2048, 20479)
        g.part_add("/dev/sda", "e", 20480, 120000)
        g.part_add("/dev/sda", "l", 22528, 40000)
        g.part_add("/dev/sda", "l", 43008, 60000)
        assert g.list_partitions() == ["/dev/sda1", "/dev/sda2", "/dev/sda5", "/dev/sda6"]
        g.part_set_mbr_id("/dev/sda", 5, 0x83)
        g.part_set_bootable("/dev/sda", 1, True)
        assert g.list_partitions() == ["/dev/sda1", "/dev/sda2", "/dev/sda5", "/dev/sda6"]
        assert g.blockdev_getsize64("/dev/sda5") == (40000 - 22528 + 1) * 512
        assert g.blockdev_getsize64("/dev/sda6") == (60000 - 43008 + 1) * 512


@test
def test_xfs_info_no_realtime():
    if not gdtest.have_program("mkfs.xfs"):
        gdtest.skip("no mkfs.xfs")
    with gdtest.handle(disks=[320]) as g:
        g.part_disk("/dev/sda", "mbr")
        g.mkfs("xfs", "/dev/sda1")
        info = g.xfs_info("/dev/sda1")
        assert info["xfs_rtname"] == "none"
        assert info["xfs_rtextsize"] == 4294967295, info["xfs_rtextsize"]


@test
def test_chmod_error_names_mode():
    def t(g):
        msg = gdtest.expect_error(g, g.chmod, 0o644, "/x")
        assert msg == "chmod: /x: 0644: No such file or directory", msg
    with_fs(t)


@test
def test_guest_ids_as_numbers():
    # Never the host's names for guest ids (the appliance has no user
    # database: ls and tune2fs print numbers / "unknown" there).
    def t(g):
        g.touch("/f")
        g.chown(1000, 1000, "/f")
        ll = g.ll("/f")
        assert " 1000 1000 " in ll, ll
        g.tune2fs("/dev/sda1", user=1000, group=0)
        t2 = g.tune2fs_l("/dev/sda1")
        assert t2["Reserved blocks uid"] == "1000 (user unknown)", t2["Reserved blocks uid"]
        assert t2["Reserved blocks gid"] == "0 (group unknown)", t2["Reserved blocks gid"]
    with_fs(t)


@test
def test_e2fsck_refuses_mounted():
    def t(g):
        msg = gdtest.expect_error(g, g.e2fsck, "/dev/sda1", correct=True)
        assert "/dev/sda1 is mounted" in msg, msg
        g.umount_all()
        g.e2fsck("/dev/sda1", correct=True)
    with_fs(t)


@test
def test_blkid_keeps_escapes_ll_follows_dir_links():
    with gdtest.handle(disks=[64]) as g:
        g.part_init("/dev/sda", "gpt")
        g.part_add("/dev/sda", "p", 2048, -2048)
        g.part_set_name("/dev/sda", 1, "two words")
        g.mkfs("ext4", "/dev/sda1")
        assert g.blkid("/dev/sda1")["PART_ENTRY_NAME"] == "two\\ words"
        g.mount("/dev/sda1", "/")
        g.mkdir("/d")
        g.touch("/d/inside")
        g.ln_s("d", "/dl")
        assert "inside" in g.ll("/dl")
        line = g.ll("/d/inside")
        assert line.rstrip("\n").endswith(" /d/inside"), line
        assert g.ll("/dl/").count("inside") == 1
        assert g.acl_get_file("/d/inside", "access").endswith("other::r--\n")


# ---- tar_out as GNU tar ------------------------------------------------------

def tree_with_socket(g):
    g.mkdir_p("/t/a/b/c")
    g.mkdir("/t/z")
    g.write("/t/a/b/c/f", b"deep")
    g.write("/t/a/x", b"x" * 5000)
    g.write("/t/z/y", b"y")
    g.mknod_c(0o644, 1, 3, "/t/chr")
    g.mkfifo(0o644, "/t/fifo")
    g.ln("/t/a/x", "/t/hard")
    g.touch("/t/caf\u00e9 \u00fc")
    g.setxattr("user.k", "v", 1, "/t/a/x")


@test
def test_tar_out_skips_sockets_depth_first():
    with gdtest.tmpdir() as d:
        img = os.path.join(d, "disk.img")

        def setup(g):
            gdtest.mkfs_mount(g)
            tree_with_socket(g)
        gdtest.make_image(img, 64, setup)
        # A unix socket made on the image directly (the API cannot).
        mnt = os.path.join(d, "mnt")
        os.mkdir(mnt)
        r = subprocess.run(
            ["unshare", "-m", "sh", "-c",
             f"L=$(losetup -f --show -P {img}) && mount ${{L}}p1 {mnt} && "
             f"python3 -c 'import socket; s=socket.socket(socket.AF_UNIX); "
             f"s.bind(\"{mnt}/t/a/sock\")' && umount {mnt}; losetup -d $L"],
            capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        with gdtest.handle(images=[img]) as g:
            g.mount("/dev/sda1", "/")
            out = os.path.join(d, "t.tar")
            g.tar_out("/t", out)
            with tarfile.open(out) as tf:
                names = tf.getnames()
            assert "./a/sock" not in names
            # Depth first: everything under ./a before ./z (whatever the
            # directory order, a subtree is contiguous).
            subtree = [i for i, n in enumerate(names) if n == "./a" or n.startswith("./a/")]
            assert subtree == list(range(subtree[0], subtree[0] + len(subtree))), names
            assert names.index("./a/b/c/f") > names.index("./a/b/c") > names.index("./a/b")
            # GNU tar extracts it with the directories' times.
            g.set_e2attrs  # noqa: B018 - the handle stays usable
            ex = os.path.join(d, "ex")
            os.mkdir(ex)
            r = subprocess.run(["tar", "-C", ex, "-xf", out], capture_output=True, text=True)
            assert r.returncode == 0, r.stderr
            assert r.stderr == "", r.stderr
            st = g.statns("/t/a/b")
            assert int(os.stat(os.path.join(ex, "a", "b")).st_mtime) == st["st_mtime_sec"]
            # xattrs: pax records GNU tar knows (no hdrcharset).
            g.tar_out("/t", out, xattrs=True)
            r = subprocess.run(["tar", "--xattrs", "-tvf", out], capture_output=True,
                               text=True)
            assert r.returncode == 0, r.stderr
            assert "hdrcharset" not in r.stderr and "Ignoring" not in r.stderr, r.stderr
            assert "caf\u00e9 \u00fc" in r.stdout
            raw = open(out, "rb").read()
            assert b"hdrcharset" not in raw
            assert b"SCHILY.xattr.user.k" in raw


gdtest.main()
