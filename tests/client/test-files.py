#!/usr/bin/python3
# Files, directories, links and metadata through the real library: the
# per-action cases of tests.json for these procedures, then what they do
# not cover: error paths with their errno, odd names (spaces, newlines,
# bytes that are not UTF-8), empty and very large sparse files, deep and
# wide trees, the batched calls guestmount uses, xattrs, ACLs, caps,
# umask, progress.

import ctypes
import errno
import os
import time

import guestfs

import gdtest
import replay
from gdtest import GiB, MiB, expect_error, test

FAMILY = """
acl_delete_def_file acl_get_file acl_set_file cap_get_file cap_set_file
case_sensitive_path chmod chown copy_attributes fallocate fallocate64
filesize fill fill_dir fill_pattern getxattr getxattrs get_umask glob_expand
internal_lstatnslist internal_lxattrlist internal_readlinklist
internal_write_append is_blockdev is_chardev is_fifo is_socket is_symlink
is_zero lchown lgetxattr lgetxattrs ll llz ln ln_f ln_s ln_sf lremovexattr
lsetxattr lstatns mkdir_mode mkdir_p mkdtemp mkfifo mknod mknod_b mknod_c
mktemp pread pwrite readdir readlink realpath removexattr rename rm_f rm_rf
rmdir setxattr statns truncate truncate_size umask utimens write_file
utsname sleep drop_caches dmesg touch internal_write rm exists is_file
is_dir mkdir ls0 write write_append
""".split()

replay.register(FAMILY)


def fs(disk_mib=256, fstype="ext4"):
    """A handle with one fresh filesystem mounted on /."""
    class Ctx:
        def __enter__(self):
            self.cm = gdtest.handle(disks=[disk_mib])
            g = self.cm.__enter__()
            gdtest.mkfs_mount(g, fstype=fstype)
            return g

        def __exit__(self, *exc):
            return self.cm.__exit__(*exc)
    return Ctx()


# ---- the C API through ctypes, for names that are not UTF-8 ----------------
# (python3-guestfs only takes str, which must encode as UTF-8)

_lib = gdtest._libguestfs


def _h(g):
    return gdtest._capsule_pointer(g._o, b"guestfs_h")


def c_call(g, name, restype, *args):
    fn = getattr(_lib, "guestfs_" + name)
    fn.restype = restype
    fn.argtypes = [ctypes.c_void_p] + [
        ctypes.c_char_p if isinstance(a, bytes) else
        ctypes.POINTER(ctypes.c_char_p) if isinstance(a, ctypes.Array) else
        ctypes.c_size_t for a in args]
    return fn(_h(g), *args)


def c_ok(g, name, *args):
    r = c_call(g, name, ctypes.c_int, *args)
    if r == -1:
        _lib.guestfs_last_error.restype = ctypes.c_char_p
        _lib.guestfs_last_error.argtypes = [ctypes.c_void_p]
        raise RuntimeError(_lib.guestfs_last_error(_h(g)).decode(errors="replace"))
    return r


def c_strings(g, name, *args):
    r = c_call(g, name, ctypes.POINTER(ctypes.c_char_p), *args)
    if not r:
        raise RuntimeError(name + " failed")
    out = []
    i = 0
    while r[i] is not None:
        out.append(r[i])
        i += 1
    return out


def c_string(g, name, *args):
    r = c_call(g, name, ctypes.c_char_p, *args)
    if r is None:
        raise RuntimeError(name + " failed")
    return r


def c_strv(items):
    arr = (ctypes.c_char_p * (len(items) + 1))(*items, None)
    return arr


# ---- contents --------------------------------------------------------------

@test
def test_write_read_empty_and_binary():
    with fs() as g:
        g.write("/empty", b"")
        assert g.filesize("/empty") == 0
        assert g.pread("/empty", 10, 0) == b""
        assert g.read_file("/empty") == b""
        assert g.is_zero("/empty")
        data = bytes(range(256)) * 16
        g.write("/bin", data)
        assert g.read_file("/bin") == data
        assert g.pread("/bin", 10, 250) == data[250:260]
        assert g.pread("/bin", 100, len(data) - 5) == data[-5:]
        assert g.pread("/bin", 10, len(data) + 100) == b""
        assert g.pwrite("/bin", b"\0\0", 1) == 2
        assert g.pread("/bin", 4, 0) == b"\x00\x00\x00\x03"
        assert g.pwrite("/bin", b"end", len(data) + 10) == 3
        assert g.filesize("/bin") == len(data) + 13
        g.write_append("/bin", b"more")
        assert g.pread("/bin", 7, len(data) + 10) == b"endmore"
        g.write_file("/wf", "hello\n", 0)
        assert g.cat("/wf") == "hello\n"
        g.write_file("/wf", "hello\n", 3)
        assert g.cat("/wf") == "hel"
        g.write_append("/new-by-append", b"x")
        assert g.cat("/new-by-append") == "x"


@test
def test_content_errors():
    with fs() as g:
        g.mkdir("/d")
        g.write("/f", b"abc")
        expect_error(g, g.pread, "/missing", 1, 0, errno=errno.ENOENT)
        expect_error(g, g.pread, "/f", -1, 0, errno=errno.EINVAL)
        expect_error(g, g.pread, "/f", 1, -1, errno=errno.EINVAL)
        expect_error(g, g.pread, "/f", 8 * MiB, 0, errno=errno.EINVAL, match="too large")
        expect_error(g, g.pread, "/d", 1, 0, errno=errno.EISDIR)
        expect_error(g, g.pwrite, "/missing", b"x", 0, errno=errno.ENOENT)
        expect_error(g, g.pwrite, "/f", b"x", -5, errno=errno.EINVAL)
        expect_error(g, g.pwrite, "/d", b"x", 0, errno=errno.EISDIR)
        expect_error(g, g.write, "/d", b"x", errno=errno.EISDIR)
        expect_error(g, g.write, "/nodir/f", b"x", errno=errno.ENOENT)
        expect_error(g, g.write, "/f/x", b"x", errno=errno.ENOTDIR)
        expect_error(g, g.write_file, "/wf", "abc", 10, errno=errno.EINVAL)
        expect_error(g, g.write_file, "/wf", "abc", -1, errno=errno.EINVAL)
        expect_error(g, g.truncate, "/missing", errno=errno.ENOENT)
        expect_error(g, g.truncate_size, "/f", -1, errno=errno.EINVAL)
        expect_error(g, g.filesize, "/missing", errno=errno.ENOENT)
        expect_error(g, g.is_zero, "/d", errno=errno.EISDIR)
        expect_error(g, g.is_zero, "/missing", errno=errno.ENOENT)
        expect_error(g, g.fallocate64, "/f2", -1, errno=errno.EINVAL)
        expect_error(g, g.fill, 256, 10, "/fl", errno=errno.EINVAL)
        expect_error(g, g.fill, -1, 10, "/fl", errno=errno.EINVAL)
        expect_error(g, g.fill, 0, -10, "/fl", errno=errno.EINVAL)
        expect_error(g, g.fill_pattern, "", 10, "/fl", errno=errno.EINVAL)
        expect_error(g, g.fill_dir, "/d", -1, errno=errno.EINVAL)
        expect_error(g, g.fill_dir, "/f", 1, errno=errno.ENOTDIR)
        g.ping_daemon()


@test
def test_device_nodes_and_fifos_are_not_opened():
    """A device node in the guest names a device of the machine the daemon
    runs on: data calls refuse it; a FIFO without a peer never hangs."""
    with fs() as g:
        g.mknod_c(0o666, 1, 3, "/null")
        g.mknod_b(0o600, 7, 0, "/loop0")
        g.mkfifo(0o644, "/fifo")
        for path in ("/null", "/loop0"):
            for call, args in ((g.write, (path, b"x")), (g.pread, (path, 1, 0)),
                               (g.pwrite, (path, b"x", 0)), (g.truncate, (path,)),
                               (g.is_zero, (path,)), (g.fill, (1, 10, path)),
                               (g.write_append, (path, b"x")),
                               (g.fallocate64, (path, 10))):
                expect_error(g, call, *args, errno=errno.EACCES)
        assert g.is_chardev("/null") and g.is_blockdev("/loop0")
        expect_error(g, g.write, "/fifo", b"x", errno=errno.ENXIO)
        expect_error(g, g.pread, "/fifo", 10, 0, errno=errno.ESPIPE)
        assert g.is_zero("/fifo")
        g.touch("/f")
        expect_error(g, g.touch, "/null", errno=errno.EINVAL)
        expect_error(g, g.touch, "/fifo", errno=errno.EINVAL)
        g.ping_daemon()


@test
def test_fill_and_patterns():
    with fs() as g:
        g.fill(0x41, 3 * MiB + 7, "/a")
        assert g.filesize("/a") == 3 * MiB + 7
        assert g.pread("/a", 4, 3 * MiB + 3) == b"AAAA"
        g.fill_pattern("abc", 3 * MiB + 2, "/p")
        data = g.pread("/p", 10, MiB - 1)
        assert data == (b"abc" * 4)[(MiB - 1) % 3:][:10], data
        assert g.pread("/p", 10, 3 * MiB - 3) == b"abcab"
        g.fill(0, 0, "/zero-len")
        assert g.filesize("/zero-len") == 0
        g.fill(0, 12345, "/zeroes")
        assert g.is_zero("/zeroes")
        g.mkdir("/many")
        g.fill_dir("/many", 1500)
        names = g.ls("/many")
        assert len(names) == 1500 and names[0] == "00000000" and names[-1] == "00001499"
        assert g.filesize("/many/00000042") == 0
        # Existing entries: a file is truncated, a symlink is followed
        # inside the guest.
        g.write("/many/00000001", b"old")
        g.rm("/many/00000002")
        g.ln_s("/target-of-link", "/many/00000002")
        g.fill_dir("/many", 3)
        assert g.filesize("/many/00000001") == 0
        assert g.is_file("/target-of-link")


@test
def test_progress_on_long_operations():
    events = []

    def cb(event, eh, buf, array):
        events.append(tuple(array[2:4]))

    with fs(disk_mib=1024) as g:
        g.set_event_callback(cb, guestfs.EVENT_PROGRESS)
        # A synchronous mount makes the work slow enough (> 2 s, when the
        # first progress message is due) on any disk.
        g.umount_all()
        g.mount_options("sync,dirsync", "/dev/sda1", "/")
        g.mkdir("/d")
        checked = []
        for name, call, total in (
                ("fill", lambda: g.fill(0x55, 300 * MiB, "/big"), 300 * MiB),
                ("fill_pattern", lambda: g.fill_pattern("xyz", 300 * MiB, "/big2"), 300 * MiB),
                ("fill_dir", lambda: g.fill_dir("/d", 800), 800)):
            events.clear()
            t0 = time.monotonic()
            call()
            elapsed = time.monotonic() - t0
            if elapsed < 2.5:
                continue
            assert events, f"{name}: no progress in {elapsed:.1f}s"
            assert events[-1] == (total, total), (name, events[-3:])
            positions = [p for p, _ in events]
            assert positions == sorted(positions), name
            assert all(t == total for _, t in events), name
            checked.append(name)
        if not checked:
            gdtest.skip("every operation took < 2.5 s: too fast for progress messages")


# ---- names -----------------------------------------------------------------

@test
def test_odd_names():
    names = ["a b", " lead", "trail ", "new\nline", "tab\tx", "-dash", "*star?",
             "quote'\"", "back\\slash", "\u00e9t\u00e9", "\u65e5\u672c", "x" * 255]
    with fs() as g:
        g.mkdir("/d")
        for n in names:
            g.write("/d/" + n, n.encode())
        assert sorted(g.ls("/d")) == sorted(names)
        assert sorted(e["name"] for e in g.readdir("/d")
                      if e["name"] not in (".", "..")) == sorted(names)
        for n in names:
            p = "/d/" + n
            assert g.cat(p) == n
            assert g.is_file(p)
            assert g.realpath(p) == p
            q = p[:-10] if len(n) > 245 else p
            g.ln_s(n, q + ".lnk")
            assert g.readlink(q + ".lnk") == n
            assert g.realpath(q + ".lnk") == p
            g.rename(p, q + ".moved")
        ll = g.ll("/d")
        assert "a b.moved" in ll and "-dash.moved" in ll
        assert "-dash.moved" in g.ll("/d/-dash.moved")
        st = g.lstatnslist("/d", names)
        assert [s["st_ino"] for s in st] == [-1] * len(names)
        assert g.glob_expand("/d/a b*") == ["/d/a b.lnk", "/d/a b.moved"]
        expect_error(g, g.mkdir, "/d/" + "y" * 256, errno=errno.ENAMETOOLONG)


@test
def test_non_utf8_names():
    with fs() as g:
        raw = b"/caf\xe9-\xff\xfe"
        c_ok(g, "mkdir", b"/d")
        c_ok(g, "touch", b"/d" + raw)
        c_ok(g, "write", b"/d/x\x80y", b"content", 7)
        assert sorted(c_strings(g, "ls", b"/d")) == [b"caf\xe9-\xff\xfe", b"x\x80y"]
        assert c_string(g, "cat", b"/d/x\x80y") == b"content"
        c_ok(g, "ln_s", b"x\x80y", b"/d/l\xa0")
        assert c_string(g, "readlink", b"/d/l\xa0") == b"x\x80y"
        assert c_string(g, "realpath", b"/d/l\xa0") == b"/d/x\x80y"
        assert c_strings(g, "readlinklist", b"/d",
                         c_strv([b"l\xa0", b"x\x80y"])) == [b"x\x80y", b""]
        c_ok(g, "rename", b"/d" + raw, b"/d/\xc0\xc1")
        assert c_strings(g, "glob_expand", b"/d/\xc0*") == [b"/d/\xc0\xc1"]
        c_ok(g, "rm", b"/d/\xc0\xc1")
        c_ok(g, "mkdir_p", b"/d/\xfa/\xfb")
        c_ok(g, "rm_rf", b"/d/\xfa")
        assert sorted(c_strings(g, "ls", b"/d")) == [b"l\xa0", b"x\x80y"]


# ---- sizes and depths ------------------------------------------------------

@test
def test_large_sparse_file():
    with fs(disk_mib=6 * 1024) as g:
        g.touch("/sparse")
        g.truncate_size("/sparse", 8 * GiB)
        assert g.filesize("/sparse") == 8 * GiB
        t0 = time.monotonic()
        assert g.is_zero("/sparse")
        assert time.monotonic() - t0 < 10, "is_zero read the holes"
        off = 7 * GiB + 12345
        assert g.pwrite("/sparse", b"needle", off) == 6
        assert g.pread("/sparse", 6, off) == b"needle"
        assert g.pread("/sparse", 4, off - 4) == b"\0\0\0\0"
        assert not g.is_zero("/sparse")
        assert g.filesize("/sparse") == 8 * GiB
        assert g.statns("/sparse")["st_blocks"] < 1024
        g.pwrite("/sparse", b"!", 9 * GiB)
        assert g.filesize("/sparse") == 9 * GiB + 1
        g.fallocate64("/alloc", 3 * GiB + 1)
        st = g.statns("/alloc")
        assert st["st_size"] == 3 * GiB + 1
        assert st["st_blocks"] * 512 >= 3 * GiB
        assert g.is_zero("/alloc")
        g.truncate("/alloc")
        assert g.filesize("/alloc") == 0
        g.fallocate("/alloc32", 1000)
        assert g.filesize("/alloc32") == 1000


@test
def test_deep_tree():
    with fs() as g:
        depth = 3000
        deep = "/deep" + "/a" * depth          # 6005 bytes: beyond PATH_MAX
        g.mkdir_p(deep)
        assert g.is_dir("/deep" + "/a" * 2000)
        g.mkdir_p(deep)                         # exists: fine
        mid = "/deep" + "/a" * 1500
        g.write(mid + "/file", b"x")
        g.ln_s("/deep", mid + "/loop")          # a link back up: not followed
        g.rm_rf("/deep")
        assert not g.exists("/deep")
        # Wide and deep at once.
        g.mkdir_p("/w/x/y")
        for d in ("/w", "/w/x", "/w/x/y"):
            g.fill_dir(d, 2000)
        g.rm_rf("/w")
        assert not g.exists("/w")
        assert g.ls("/") == ["lost+found"]


# ---- directories -----------------------------------------------------------

@test
def test_directories():
    with fs() as g:
        g.mkdir("/d")
        expect_error(g, g.mkdir, "/d", errno=errno.EEXIST)
        expect_error(g, g.mkdir, "/x/y", errno=errno.ENOENT)
        g.mkdir_mode("/m", 0o1777)
        assert g.statns("/m")["st_mode"] & 0o7777 == 0o1755   # umask 022
        expect_error(g, g.mkdir_mode, "/m2", -1, errno=errno.EINVAL)
        g.mkdir_p("/p/q//r/./s/../t")
        assert g.is_dir("/p/q/r/t") and g.is_dir("/p/q/r/s")
        g.touch("/file")
        expect_error(g, g.mkdir_p, "/file", errno=errno.EEXIST)
        expect_error(g, g.mkdir_p, "/file/sub", errno=errno.ENOTDIR)
        g.ln_s("/p", "/plink")
        g.mkdir_p("/plink/new")                 # follows the link
        assert g.is_dir("/p/new")
        g.ln_s("/nowhere", "/dangling")
        expect_error(g, g.mkdir_p, "/dangling/x")
        g.touch("/d/f")
        expect_error(g, g.rmdir, "/d", errno=errno.ENOTEMPTY)
        expect_error(g, g.rmdir, "/d/f", errno=errno.ENOTDIR)
        expect_error(g, g.rmdir, "/nope", errno=errno.ENOENT)
        expect_error(g, g.rm, "/d", errno=errno.EISDIR)
        expect_error(g, g.rm_f, "/d", errno=errno.EISDIR)
        g.rm_f("/nope")
        g.rm_f("/nodir/nope")
        g.rm_rf("/nope")
        expect_error(g, g.rm_rf, "/d/..", errno=errno.EINVAL)
        expect_error(g, g.rm_rf, "/d/.", errno=errno.EINVAL)
        g.rm_rf("/plink")                       # the link, not the target
        assert g.is_dir("/p/q") and not g.exists("/plink")
        g.rm_rf("/d/f")
        g.rm("/d/../file")
        t = g.mkdtemp("/d/tmpXXXXXX")
        assert t.startswith("/d/tmp") and len(t) == len("/d/tmpXXXXXX") and g.is_dir(t)
        assert g.statns(t)["st_mode"] & 0o777 == 0o700
        f = g.mktemp("/d/fXXXXXX", suffix=".txt")
        assert f.startswith("/d/f") and f.endswith(".txt") and g.is_file(f)
        assert g.statns(f)["st_mode"] & 0o777 == 0o600
        f2 = g.mktemp("/d/fXXXXXX")
        assert f2 != f and len(f2) == len("/d/fXXXXXX")
        expect_error(g, g.mktemp, "/d/bad", errno=errno.EINVAL)
        expect_error(g, g.mktemp, "/dXXXXXX/f", errno=errno.EINVAL)
        expect_error(g, g.mktemp, "/d/fXXXXXX", suffix="/x", errno=errno.EINVAL)
        expect_error(g, g.mkdtemp, "/d/XXXXX", errno=errno.EINVAL)
        expect_error(g, g.mkdtemp, "/nodir/XXXXXX", errno=errno.ENOENT)
        # rm_rf of / empties the filesystem.
        g.rm_rf("/")
        assert g.ls("/") == []
        g.touch("/after")


@test
def test_readdir_and_ll():
    with fs() as g:
        g.mkdir("/d")
        g.touch("/d/file")
        g.mkdir("/d/dir")
        g.ln_s("file", "/d/link")
        g.mkfifo(0o600, "/d/fifo")
        g.mknod_c(0o600, 1, 3, "/d/chr")
        g.mknod_b(0o600, 7, 0, "/d/blk")
        g.mknod(0o140600, 0, 0, "/d/sock")
        ents = {e["name"]: e for e in g.readdir("/d")}
        assert {n: e["ftyp"] for n, e in ents.items()} == {
            ".": "d", "..": "d", "file": "r", "dir": "d", "link": "l", "fifo": "f",
            "chr": "c", "blk": "b", "sock": "s"}
        assert ents["file"]["ino"] == g.statns("/d/file")["st_ino"]
        assert g.is_socket("/d/sock") and g.is_fifo("/d/fifo") and g.is_symlink("/d/link")
        assert g.is_file("/d/link", followsymlinks=True) and not g.is_file("/d/link")
        assert not g.is_symlink("/d/file") and not g.is_symlink("/nope")
        assert not g.is_dir("/nope/x")
        ll = g.ll("/d")
        lines = ll.splitlines()
        assert lines[0].startswith("total")
        assert any(l.startswith("l") and l.endswith("link -> file") for l in lines), ll
        assert any(l.startswith("c") and l.endswith(" chr") for l in lines), ll
        one = g.ll("/d/link")
        assert one.startswith("l") and one.rstrip().endswith("/d/link -> file"), one
        # A symlink to a directory lists the directory, as the original.
        g.ln_s("/d", "/dlink")
        assert g.ll("/dlink").startswith("total") and "file" in g.ll("/dlink")
        assert "file" in g.ll("/dlink/")
        expect_error(g, g.ll, "/nope", errno=errno.ENOENT)
        assert "file" in g.llz("/d")
        expect_error(g, g.readdir, "/d/file", errno=errno.ENOTDIR)
        expect_error(g, g.ls, "/nope", errno=errno.ENOENT)


# ---- links -----------------------------------------------------------------

@test
def test_links():
    with fs() as g:
        g.write("/a", b"A")
        g.write("/b", b"B")
        g.ln("/a", "/h")
        assert g.statns("/a")["st_nlink"] == 2
        expect_error(g, g.ln, "/a", "/b", errno=errno.EEXIST)
        expect_error(g, g.ln, "/nope", "/h2", errno=errno.ENOENT)
        g.ln_f("/a", "/b")
        assert g.cat("/b") == "A" and g.statns("/a")["st_nlink"] == 3
        g.ln_f("/a", "/b")                      # already the same inode
        assert g.ls("/") == ["a", "b", "h", "lost+found"]
        g.ln("a", "/rel-hard")                  # relative target: from /
        assert g.statns("/a")["st_nlink"] == 4
        g.mkdir("/d")
        expect_error(g, g.ln_f, "/a", "/d", errno=errno.EISDIR)
        weird = "../../../../../etc/shadow"
        g.ln_s(weird, "/s")
        assert g.readlink("/s") == weird
        expect_error(g, g.ln_s, "x", "/s", errno=errno.EEXIST)
        g.ln_sf("new-target", "/s")
        assert g.readlink("/s") == "new-target"
        g.ln_s("/a", "/d")                      # into the directory
        assert g.readlink("/d/a") == "/a"
        g.ln_sf("/b", "/d")
        assert g.readlink("/d/b") == "/b"
        g.ln_sf("/other", "/d/b")
        assert g.readlink("/d/b") == "/other"
        expect_error(g, g.readlink, "/a", errno=errno.EINVAL)
        expect_error(g, g.readlink, "/nope", errno=errno.ENOENT)
        assert g.readlinklist("/", ["s", "a", "nope", ".", "..", "d"]) == \
            ["new-target", "", "", "", "", ""]


# ---- paths -----------------------------------------------------------------

@test
def test_realpath_and_case():
    with fs() as g:
        g.mkdir_p("/A/B/C")
        g.touch("/A/B/C/f")
        g.ln_s("/A/B", "/abs")
        g.ln_s("B/C", "/A/rel")
        g.ln_s("../../..", "/A/B/up")
        g.ln_s("loop", "/loop")
        assert g.realpath("/") == "/"
        assert g.realpath("/abs/C/f") == "/A/B/C/f"
        assert g.realpath("/A/rel/../C/f") == "/A/B/C/f"
        assert g.realpath("/A/B/up/A/./B") == "/A/B"
        assert g.realpath("/../../A//B/") == "/A/B"
        expect_error(g, g.realpath, "/A/nope", errno=errno.ENOENT)
        expect_error(g, g.realpath, "/A/B/C/f/", errno=errno.ENOTDIR)
        expect_error(g, g.realpath, "/loop", errno=errno.ELOOP)
        assert g.case_sensitive_path("/a/b/c/F") == "/A/B/C/f"
        assert g.case_sensitive_path("/a/b/c/NEW") == "/A/B/C/NEW"
        assert g.case_sensitive_path("/") == "/"
        assert g.case_sensitive_path("/ABS/c") == "/abs/C"
        expect_error(g, g.case_sensitive_path, "/a/x/c", errno=errno.ENOENT)
        expect_error(g, g.case_sensitive_path, "/a/./b", errno=errno.EINVAL)
        g.mkdir("/A/b")                         # exact match wins
        assert g.case_sensitive_path("/a/b") == "/A/b"
        assert g.glob_expand("/A/*") == ["/A/B/", "/A/b/", "/A/rel/"]
        assert g.glob_expand("/A/*", directoryslash=False) == ["/A/B", "/A/b", "/A/rel"]
        assert g.glob_expand("/A/{B,rel}") == ["/A/B/", "/A/rel/"]
        assert g.glob_expand("/abs/C/*") == ["/abs/C/f"]
        assert g.glob_expand("/nothing*") == []


# ---- metadata --------------------------------------------------------------

@test
def test_statns_and_times():
    with fs() as g:
        g.write("/f", b"12345")
        g.ln_s("f", "/l")
        g.utimens("/f", 1000000000, 123456789, 1200000000, 987654321)
        st = g.statns("/l")
        assert (st["st_atime_sec"], st["st_atime_nsec"]) == (1000000000, 123456789)
        assert (st["st_mtime_sec"], st["st_mtime_nsec"]) == (1200000000, 987654321)
        assert st["st_size"] == 5 and st["st_nlink"] == 1 and st["st_mode"] & 0o170000 == 0o100000
        assert st["st_blksize"] > 0 and st["st_ctime_sec"] > 1600000000
        lst = g.lstatns("/l")
        assert lst["st_mode"] & 0o170000 == 0o120000 and lst["st_size"] == 1
        assert lst["st_ino"] != st["st_ino"]
        # utimens sets the times of a symlink itself.
        g.utimens("/l", 5, 6, 7, 8)
        assert g.lstatns("/l")["st_mtime_sec"] == 7
        assert g.statns("/f")["st_mtime_sec"] == 1200000000
        g.utimens("/f", 0, -2, 0, -1)           # atime kept, mtime now
        st2 = g.statns("/f")
        assert st2["st_atime_sec"] == 1000000000 and st2["st_mtime_sec"] > 1600000000
        expect_error(g, g.utimens, "/f", 0, 1000000000, 0, 0, errno=errno.EINVAL)
        expect_error(g, g.utimens, "/nope", 0, 0, 0, 0, errno=errno.ENOENT)
        expect_error(g, g.statns, "/nope", errno=errno.ENOENT)
        expect_error(g, g.lstatns, "/f/x", errno=errno.ENOTDIR)
        g.touch("/f")
        assert g.statns("/f")["st_atime_sec"] > 1600000000
        expect_error(g, g.touch, "/l", errno=errno.EINVAL)
        g.mkdir("/d")
        expect_error(g, g.touch, "/d", errno=errno.EINVAL)


@test
def test_lstatnslist_and_lxattrlist_shapes():
    with fs() as g:
        g.mkdir("/d")
        g.write("/d/f", b"x")
        g.ln_s("f", "/d/l")
        g.setxattr("user.one", "1", 1, "/d/f")
        g.setxattr("user.two", "22", 2, "/d/f")
        names = [".", "..", "f", "l", "missing", ""]
        st = g.lstatnslist("/d", names)
        assert len(st) == 6
        assert st[0]["st_ino"] == g.statns("/d")["st_ino"]
        assert st[1]["st_ino"] == g.statns("/")["st_ino"]
        assert st[2]["st_size"] == 1
        assert st[3]["st_mode"] & 0o170000 == 0o120000
        assert st[4]["st_ino"] == -1 and st[5]["st_ino"] == -1
        # ".." of the root is the root.
        root = g.lstatnslist("/", ["..", "."])
        assert root[0]["st_ino"] == root[1]["st_ino"] == g.statns("/")["st_ino"]
        xl = g.lxattrlist("/d", ["f", "missing", "l"])
        # marker(2), two attributes, marker(error), marker(0)
        assert [(x["attrname"], x["attrval"]) for x in xl] == [
            ("", b"2\0"), ("user.one", b"1"), ("user.two", b"22"),
            ("", b""), ("", b"0\0")], xl
        xr = g.lxattrlist("/", ["..", "."])
        assert [x["attrname"] for x in xr] == ["", ""]


@test
def test_xattrs():
    with fs() as g:
        g.write("/f", b"x")
        g.ln_s("f", "/l")
        g.setxattr("user.a", "hello", 5, "/l")              # follows
        assert g.getxattr("/f", "user.a") == b"hello"
        assert g.getxattrs("/l") == [{"attrname": "user.a", "attrval": b"hello"}]
        assert g.lgetxattrs("/l") == []
        g.lsetxattr("trusted.t", "on-link", 7, "/l")
        assert g.lgetxattr("/l", "trusted.t") == b"on-link"
        expect_error(g, g.getxattr, "/l", "trusted.t", errno=errno.ENODATA)
        g.setxattr("user.part", "abcdef", 3, "/f")
        assert g.getxattr("/f", "user.part") == b"abc"
        g.setxattr("user.empty", "", 0, "/f")
        assert g.getxattr("/f", "user.empty") == b""
        g.removexattr("user.a", "/l")
        g.lremovexattr("trusted.t", "/l")
        assert g.lgetxattrs("/l") == []
        assert sorted(x["attrname"] for x in g.getxattrs("/f")) == ["user.empty", "user.part"]
        expect_error(g, g.removexattr, "user.none", "/f", errno=errno.ENODATA)
        expect_error(g, g.getxattrs, "/nope", errno=errno.ENOENT)
        expect_error(g, g.setxattr, "user.x", "ab", 3, "/f", errno=errno.EINVAL)
        expect_error(g, g.setxattr, "user.x", "ab", -1, "/f", errno=errno.EINVAL)
        big = "v" * 900
        g.setxattr("user.big", big, len(big), "/f")
        assert g.getxattr("/f", "user.big") == big.encode()


@test
def test_acl_and_caps():
    with fs() as g:
        g.touch("/f")
        g.mkdir("/d")
        g.acl_set_file("/f", "access", "u::rw,g::r,o::-,m::rwx,u:1000:rw,g:2000:r")
        acl = g.acl_get_file("/f", "access")
        assert "user:1000:rw-" in acl and "group:2000:r--" in acl and "mask::rwx" in acl, acl
        g.acl_set_file("/d", "default", "u::rwx,g::rx,o::-")
        assert "other::---" in g.acl_get_file("/d", "default")
        g.touch("/d/inherits")
        assert g.statns("/d/inherits")["st_mode"] & 0o777 == 0o640
        g.acl_delete_def_file("/d")
        assert g.acl_get_file("/d", "default") == ""
        expect_error(g, g.acl_get_file, "/f", "bogus", errno=errno.EINVAL)
        expect_error(g, g.acl_set_file, "/f", "access", "not an acl", errno=errno.EINVAL)
        expect_error(g, g.acl_set_file, "/f", "default", "u::rwx,g::rx,o::-",
                     errno=errno.EACCES)
        expect_error(g, g.acl_get_file, "/nope", "access", errno=errno.ENOENT)
        assert g.cap_get_file("/f") == ""
        # (a file's effective bit covers all its capabilities, or none)
        g.cap_set_file("/f", "cap_net_raw,cap_kill+p cap_chown+i")
        assert g.cap_get_file("/f") == "= cap_kill,cap_net_raw+p cap_chown+i"
        g.ln_s("f", "/l")
        assert g.cap_get_file("/l") == g.cap_get_file("/f")
        expect_error(g, g.cap_set_file, "/f", "not caps", errno=errno.EINVAL)
        expect_error(g, g.cap_set_file, "/d", "cap_chown+e", errno=errno.EINVAL)


@test
def test_modes_owners_copy_attributes():
    with fs() as g:
        g.write("/f", b"x")
        g.ln_s("f", "/l")
        g.chmod(0o4751, "/l")                   # follows, umask not applied
        assert g.statns("/f")["st_mode"] & 0o7777 == 0o4751
        expect_error(g, g.chmod, -1, "/f", errno=errno.EINVAL)
        expect_error(g, g.chmod, 0o644, "/nope", errno=errno.ENOENT)
        g.chown(1000, 2000, "/l")
        st = g.statns("/f")
        assert (st["st_uid"], st["st_gid"]) == (1000, 2000)
        g.lchown(3000, 4000, "/l")
        lst = g.lstatns("/l")
        assert (lst["st_uid"], lst["st_gid"]) == (3000, 4000)
        assert g.statns("/f")["st_uid"] == 1000
        g.chown(-1, 5, "/f")
        assert (g.statns("/f")["st_uid"], g.statns("/f")["st_gid"]) == (1000, 5)
        g.chmod(0o4751, "/f")
        g.setxattr("user.k", "v", 1, "/f")
        g.touch("/g")
        g.copy_attributes("/f", "/g")           # nothing by default
        assert g.statns("/g")["st_mode"] & 0o7777 == 0o644
        g.copy_attributes("/f", "/g", mode=True)
        st = g.statns("/g")
        assert st["st_mode"] & 0o7777 == 0o4751 and st["st_uid"] == 0
        g.touch("/h")
        g.copy_attributes("/f", "/h", all=True)
        st = g.statns("/h")
        assert (st["st_mode"] & 0o7777, st["st_uid"], st["st_gid"]) == (0o4751, 1000, 5)
        assert g.getxattr("/h", "user.k") == b"v"
        g.touch("/i")
        g.copy_attributes("/f", "/i", all=True, ownership=False)
        st = g.statns("/i")
        assert (st["st_mode"] & 0o7777, st["st_uid"]) == (0o4751, 0)
        expect_error(g, g.copy_attributes, "/nope", "/i", all=True, errno=errno.ENOENT)


@test
def test_umask_is_per_connection():
    with fs() as g:
        assert g.get_umask() == 0o22
        assert g.umask(0o077) == 0o22
        assert g.get_umask() == 0o77
        g.touch("/f")
        g.write("/w", b"x")
        g.mkdir("/d")
        g.mkdir_p("/p/q")
        g.mkfifo(0o666, "/fifo")
        g.mknod_c(0o666, 1, 3, "/c")
        g.fill_dir("/d", 1)
        assert g.statns("/f")["st_mode"] & 0o777 == 0o600
        assert g.statns("/w")["st_mode"] & 0o777 == 0o600
        assert g.statns("/d")["st_mode"] & 0o777 == 0o700
        assert g.statns("/p/q")["st_mode"] & 0o777 == 0o700
        assert g.statns("/fifo")["st_mode"] & 0o777 == 0o600
        assert g.statns("/c")["st_mode"] & 0o777 == 0o600
        assert g.statns("/d/00000000")["st_mode"] & 0o777 == 0o600
        assert g.umask(0) == 0o77
        g.mkdir_mode("/m", 0o777)
        assert g.statns("/m")["st_mode"] & 0o777 == 0o777
        expect_error(g, g.umask, 0o1000, errno=errno.EINVAL)
        expect_error(g, g.umask, -1, errno=errno.EINVAL)
    with gdtest.handle(disks=[16]) as g:
        assert g.get_umask() == 0o22


@test
def test_mknod_variants():
    with fs() as g:
        g.mknod(0o10644, 0, 0, "/fifo")
        assert g.is_fifo("/fifo")
        g.mknod(0o644, 0, 0, "/regular")        # no type bits: a regular file
        assert g.is_file("/regular")
        g.mknod_b(0o600, 259, 65537, "/bigminor")
        st = g.statns("/bigminor")
        assert os.major(st["st_rdev"]) == 259 and os.minor(st["st_rdev"]) == 65537
        expect_error(g, g.mkfifo, 0o10644, "/f2", errno=errno.EINVAL)
        expect_error(g, g.mknod_c, 0o20644, 1, 3, "/c2", errno=errno.EINVAL)
        expect_error(g, g.mknod, -1, 0, 0, "/x", errno=errno.EINVAL)
        expect_error(g, g.mknod_c, 0o644, 1, 3, "/fifo", errno=errno.EEXIST)
        expect_error(g, g.mkfifo, 0o644, "/nodir/x", errno=errno.ENOENT)


@test
def test_rename():
    with fs() as g:
        g.mkdir_p("/a/b")
        g.write("/a/f", b"1")
        g.rename("/a/f", "/a/b/g")
        assert g.cat("/a/b/g") == "1"
        g.write("/x", b"2")
        g.rename("/x", "/a/b/g")                # replaces
        assert g.cat("/a/b/g") == "2"
        g.ln_s("/a/b", "/lnk")
        g.rename("/lnk", "/lnk2")               # the link itself moves
        assert g.readlink("/lnk2") == "/a/b"
        g.rename("/lnk2/g", "/moved")           # a link in the middle is followed
        assert g.cat("/moved") == "2"
        expect_error(g, g.rename, "/nope", "/y", errno=errno.ENOENT)
        expect_error(g, g.rename, "/a", "/a/b/c", errno=errno.EINVAL)
        g.touch("/a/b/file")
        expect_error(g, g.rename, "/moved", "/a/b", errno=errno.EISDIR)


@test
def test_other_filesystems():
    for fstype in ("xfs", "btrfs", "ext2"):
        if fstype != "ext2" and not gdtest.have_program("mkfs." + fstype):
            continue
        with fs(disk_mib=400, fstype=fstype) as g:
            g.mkdir_p("/a/b/c")
            g.write("/a/f", b"data")
            g.ln_s("f", "/a/l")
            g.mkfifo(0o600, "/a/p")
            types = {e["name"]: e["ftyp"] for e in g.readdir("/a")}
            assert types == {".": "d", "..": "d", "b": "d", "f": "r", "l": "l", "p": "f"}, \
                (fstype, types)
            g.setxattr("user.k", "v", 1, "/a/f")
            assert g.lxattrlist("/a", ["f", "l"]) == [
                {"attrname": "", "attrval": b"1\0"}, {"attrname": "user.k", "attrval": b"v"},
                {"attrname": "", "attrval": b"0\0"}], fstype
            st = g.lstatnslist("/a", ["f", "l", "x"])
            assert st[0]["st_size"] == 4 and st[2]["st_ino"] == -1
            g.utimens("/a/f", 1, 111, 2, 222)
            assert g.statns("/a/f")["st_mtime_nsec"] == 222, fstype
            g.truncate_size("/a/f", 3 * GiB)
            assert g.filesize("/a/f") == 3 * GiB and not g.is_zero("/a/f")
            g.mkdir_p("/deep" + "/d" * 600)
            g.rm_rf("/deep")
            g.rm_rf("/a")
            assert not g.exists("/a")


@test
def test_read_only_filesystem():
    with fs() as g:
        g.write("/f", b"x")
        g.mkdir("/d")
        g.umount_all()
        g.mount_ro("/dev/sda1", "/")
        for call, args in ((g.touch, ("/f",)), (g.touch, ("/new",)), (g.write, ("/f", b"y")),
                           (g.mkdir, ("/d2",)), (g.mkdir_p, ("/d/a/b",)), (g.rm, ("/f",)),
                           (g.rmdir, ("/d",)), (g.chmod, (0o600, "/f")),
                           (g.chown, (1, 1, "/f")), (g.truncate, ("/f",)),
                           (g.rename, ("/f", "/g")), (g.ln_s, ("f", "/l")),
                           (g.setxattr, ("user.a", "b", 1, "/f")),
                           (g.utimens, ("/f", 0, 0, 0, 0)), (g.mkfifo, (0o600, "/p")),
                           (g.fill, (0, 1, "/f")), (g.fill_dir, ("/d", 1)),
                           (g.mktemp, ("/d/XXXXXX",)), (g.mkdtemp, ("/d/XXXXXX",)),
                           (g.rm_rf, ("/d",)), (g.ln, ("/f", "/h"))):
            expect_error(g, call, *args, errno=errno.EROFS)
        assert g.cat("/f") == "x"
        g.rm_f("/nope")
        g.rm_rf("/nope")


@test
def test_system_calls():
    with gdtest.handle(disks=[16]) as g:
        u = g.utsname()
        assert u["uts_sysname"] == "Linux" and u["uts_release"] == os.uname().release
        assert u["uts_machine"] == os.uname().machine
        t0 = time.monotonic()
        g.sleep(1)
        assert time.monotonic() - t0 >= 1
        expect_error(g, g.sleep, -1, errno=errno.EINVAL)
        g.drop_caches(3)
        expect_error(g, g.drop_caches, 99, errno=errno.EINVAL)
        # The kernel log is the host's: refused in host mode.
        expect_error(g, g.dmesg, errno=errno.EPERM, match="refused in host mode")


gdtest.main()
