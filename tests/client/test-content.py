#!/usr/bin/python3
# File contents through the real libguestfs library: grep, head/tail, wc,
# hexdump, strings, equal, checksums, base64, compress_out, du, find0,
# cp/cp_r/cp_a/mv, file, file_architecture, initrd_list/initrd_cat.
# Every reader is also checked against symlinks that point out of the guest
# and against device nodes in the guest.

import base64
import bz2
import errno
import gzip
import hashlib
import lzma
import os
import struct
import subprocess

import guestfs

import gdtest
from gdtest import GiB, MiB, test

import contentutil
from contentutil import Tree, read_file

TEN_K = "".join(f"{i}abcdefghijklmnopqrstuvwxyz\n" for i in range(10000))
GREP_TXT = "abc\ndef\nghi\nghi\n\nabc123\nABC\n"
# Names as bytes: spaces, newline, backslash, tab, not UTF-8, UTF-8 ...
ODD_NAMES = [b"with space", b"new\nline", b"back\\slash", b"tab\there", b"caf\xe9",
             "ünï".encode(), b"-dash", b"*star?"]


def deep_tree(g, top, levels_per_part=60, parts=2, leaf=b"bottom"):
    """Builds a directory chain deeper than PATH_MAX under top: each part
    goes in with tar_in (names below 4096 bytes) and is moved into the
    previous one.  Returns the list of components below top."""
    comps = []
    for p in range(parts):
        names = [f"p{p}-level-{i:03d}-abcdefghijklmnopqrstuvwxyz" for i in range(levels_per_part)]
        t = Tree().dir(f"part{p}")
        for i in range(levels_per_part):
            t.dir(f"part{p}/" + "/".join(names[:i + 1]))
        if p == parts - 1:
            t.file(f"part{p}/" + "/".join(names) + "/leaf", leaf)
        t.put(g)
        if p == 0:
            g.mv("/part0", top)
        else:
            g.mv(f"/part{p}", top + "/" + "/".join(comps))
            names = [f"part{p}"] + names
        comps += names
    return comps


def fs(g, size_fs="ext4"):
    gdtest.mkfs_mount(g, fstype=size_fs)


def sample_tree():
    t = Tree()
    t.file("10klines", TEN_K).file("test-grep.txt", GREP_TXT)
    t.file("test-grep.txt.gz", gzip.compress(GREP_TXT.encode()))
    t.file("known-4", b"abc\ndef\nghi").file("known-5", b"abcdefghi\njklmnopqr")
    t.file("empty", b"").dir("directory")
    t.symlink("abssymlink", "/10klines")
    # Links that would leave the guest if resolved on the host.
    t.symlink("hostpasswd", "/etc/passwd")
    t.symlink("dotdot", "../../../../../../../../etc/passwd")
    t.dir("etc").file("etc/passwd", "guest-passwd-line\n")
    t.device("devnull", "c", 1, 3).device("blockdev", "b", 7, 0).fifo("fifo")
    return t


@test
def test_grep_family():
    with gdtest.handle(disks=[64]) as g:
        fs(g)
        sample_tree().put(g)
        assert g.grep("abc", "/test-grep.txt") == ["abc", "abc123"]
        assert g.grep("nomatch", "/test-grep.txt") == []
        assert g.grep("abc", "/test-grep.txt", insensitive=True) == ["abc", "abc123", "ABC"]
        assert g.grep("abc|ghi", "/test-grep.txt", extended=True) == ["abc", "ghi", "ghi", "abc123"]
        assert g.grep("a.c", "/test-grep.txt", fixed=True) == []
        assert g.grep("abc", "/test-grep.txt.gz", compressed=True) == ["abc", "abc123"]
        assert g.grep("ABC", "/test-grep.txt.gz", compressed=True, insensitive=True,
                      fixed=True) == ["abc", "abc123", "ABC"]
        assert g.egrep("^(abc|def)$", "/test-grep.txt") == ["abc", "def"]
        assert g.fgrepi("abc", "/test-grep.txt") == ["abc", "abc123", "ABC"]
        assert g.zgrepi("abc", "/test-grep.txt.gz") == ["abc", "abc123", "ABC"]
        assert g.zfgrep("abc", "/test-grep.txt.gz") == ["abc", "abc123"]
        # A pattern that looks like an option is still a pattern.
        g.write("/opt", b"-v\nx\n")
        assert g.grep("-v", "/opt") == ["-v"]
        # Absolute symlinks resolve inside the guest.
        assert g.grep("^9999", "/abssymlink") == ["9999abcdefghijklmnopqrstuvwxyz"]
        assert g.grep("passwd", "/hostpasswd") == ["guest-passwd-line"]
        assert g.grep("passwd", "/dotdot") == ["guest-passwd-line"]
        gdtest.expect_error(g, g.grep, "x", "/test-grep.txt", extended=True, fixed=True,
                            errno=errno.EINVAL)
        gdtest.expect_error(g, g.grep, "x", "/directory", errno=errno.EISDIR)
        gdtest.expect_error(g, g.grep, "x", "/nope", errno=errno.ENOENT)
        gdtest.expect_error(g, g.grep, "x", "/devnull", errno=errno.EINVAL)
        gdtest.expect_error(g, g.grep, "x", "/fifo", errno=errno.EINVAL)
        gdtest.expect_error(g, g.grep, "[", "/test-grep.txt", match="Invalid|Unmatched|brack")
        g.ping_daemon()


@test
def test_head_tail_wc():
    with gdtest.handle(disks=[64]) as g:
        fs(g)
        sample_tree().put(g)
        lines = TEN_K.splitlines()
        assert g.head("/10klines") == lines[:10]
        assert g.head("/abssymlink") == lines[:10]
        assert g.head_n(3, "/10klines") == lines[:3]
        assert g.head_n(-9997, "/10klines") == lines[:3]
        assert g.head_n(0, "/10klines") == []
        assert g.tail("/10klines") == lines[-10:]
        assert g.tail_n(3, "/10klines") == lines[-3:]
        assert g.tail_n(-9998, "/10klines") == lines[-3:]
        assert g.tail_n(0, "/10klines") == []
        assert g.head("/known-4") == ["abc", "def", "ghi"]
        assert g.tail_n(1, "/known-4") == ["ghi"]
        assert g.head("/empty") == [] and g.tail("/empty") == []
        assert (g.wc_l("/10klines"), g.wc_w("/10klines"), g.wc_c("/10klines")) == (10000, 10000, 308890)
        assert (g.wc_l("/known-4"), g.wc_w("/known-4"), g.wc_c("/known-4")) == (2, 3, 11)
        assert (g.wc_l("/empty"), g.wc_w("/empty"), g.wc_c("/empty")) == (0, 0, 0)
        assert g.head("/hostpasswd") == ["guest-passwd-line"]
        gdtest.expect_error(g, g.head_n, 0, "/nope", errno=errno.ENOENT)
        gdtest.expect_error(g, g.tail, "/directory", errno=errno.EISDIR)
        gdtest.expect_error(g, g.wc_c, "/blockdev", errno=errno.EINVAL)


@test
def test_hexdump_strings_equal():
    with gdtest.handle(disks=[64]) as g:
        fs(g)
        sample_tree().put(g)
        assert g.hexdump("/known-4") == (
            "00000000  61 62 63 0a 64 65 66 0a  67 68 69                 |abc.def.ghi|\n"
            "0000000b\n")
        assert g.hexdump("/empty") == ""
        # A result past the protocol's limit is refused, not buffered.
        g.write("/big", os.urandom(2 * MiB))
        gdtest.expect_error(g, g.hexdump, "/big", errno=errno.E2BIG)
        g.write("/bigtext", b"line\n" * (MiB + 1))
        gdtest.expect_error(g, g.grep, "line", "/bigtext", errno=errno.E2BIG)
        gdtest.expect_error(g, g.head_n, 2 * MiB, "/bigtext", errno=errno.E2BIG)
        g.ping_daemon()
        assert g.strings("/known-5") == ["abcdefghi", "jklmnopqr"]
        assert g.strings("/empty") == []
        g.write("/utf16", "\0h\0e\0l\0l\0o\0\n\0w\0o\0r\0l\0d\0\n".encode())
        assert g.strings_e("b", "/utf16") == ["hello", "world"]
        gdtest.expect_error(g, g.strings_e, "x", "/utf16", errno=errno.EINVAL)
        assert g.equal("/10klines", "/abssymlink")
        assert not g.equal("/known-4", "/known-5")
        g.write("/k4copy", b"abc\ndef\nghi")
        assert g.equal("/known-4", "/k4copy")
        g.write("/k4diff", b"abc\ndef\nghX")
        assert not g.equal("/known-4", "/k4diff")
        assert g.equal("/empty", "/empty")
        gdtest.expect_error(g, g.equal, "/nope1", "/nope2", errno=errno.ENOENT)
        gdtest.expect_error(g, g.equal, "/known-4", "/directory", errno=errno.EISDIR)


def local_cksum(data):
    r = subprocess.run(["cksum"], input=data, capture_output=True, check=True)
    return r.stdout.split()[0].decode()


@test
def test_checksums():
    data = os.urandom(3 * MiB + 17)
    with gdtest.tmpdir() as d, gdtest.handle(disks=[64, 8]) as g:
        fs(g)
        t = Tree().file("data", data).file("empty", b"").symlink("link", "/data")
        t.dir("sub")
        for i, n in enumerate(ODD_NAMES):
            t.file("sub/" + os.fsdecode(n), f"content {i}\n")
        t.put(g)
        for kind in ["md5", "sha1", "sha224", "sha256", "sha384", "sha512"]:
            assert g.checksum(kind, "/data") == hashlib.new(kind, data).hexdigest(), kind
            assert g.checksum(kind, "/empty") == hashlib.new(kind, b"").hexdigest(), kind
        assert g.checksum("crc", "/data") == local_cksum(data)
        assert g.checksum("crc", "/empty") == local_cksum(b"")
        assert g.checksum("SHA256", "/link") == hashlib.sha256(data).hexdigest()
        gdtest.expect_error(g, g.checksum, "md4", "/data", errno=errno.EINVAL)
        gdtest.expect_error(g, g.checksum, "md5", "/nope", errno=errno.ENOENT)
        gdtest.expect_error(g, g.checksum, "md5", "/sub", errno=errno.EISDIR)

        # The whole device, compared with the image read here.
        img = os.path.join(d, "dev.img")
        g.download("/dev/sdb", img)
        with open(img, "rb") as f:
            dev = f.read()
        assert g.checksum_device("sha256", "/dev/sdb") == hashlib.sha256(dev).hexdigest()
        assert g.checksum_device("crc", "/dev/sdb") == local_cksum(dev)

        # checksums_out: md5sum's format and escapes, over the same tree here.
        out = os.path.join(d, "sums")
        g.checksums_out("md5", "/sub", out)
        tree = os.path.join(d, "tree")
        os.mkdir(tree)
        for i, n in enumerate(ODD_NAMES):
            with open(os.path.join(tree.encode(), n), "wb") as f:
                f.write(f"content {i}\n".encode())
        want = subprocess.run("find . -type f -print0 | xargs -0 md5sum", shell=True, cwd=tree,
                              capture_output=True, check=True).stdout
        with open(out, "rb") as f:
            got = f.read()
        assert sorted(got.split(b"\n")) == sorted(want.split(b"\n")), (got, want)
        g.checksums_out("crc", "/sub", out)
        want = subprocess.run("find . -type f -print0 | xargs -0 cksum", shell=True, cwd=tree,
                              capture_output=True, check=True).stdout
        with open(out, "rb") as f:
            got = f.read()
        assert sorted(got.split(b"\n")) == sorted(want.split(b"\n")), (got, want)
        g.checksums_out("sha1", "/", out)
        with open(out, "rb") as f:
            top = f.read()
        assert f"{hashlib.sha1(data).hexdigest()}  ./data\n".encode() in top
        assert b"./link" not in top
        gdtest.expect_error(g, g.checksums_out, "md5", "/nope", out, errno=errno.ENOENT)
        gdtest.expect_error(g, g.checksums_out, "bad", "/", out, errno=errno.EINVAL)


@test
def test_checksum_sparse_2gib_bounded_memory():
    size = 2 * GiB
    with gdtest.tmpdir() as d, gdtest.handle(disks=[256]) as g:
        fs(g)
        # A sparse file travels as a small GNU sparse archive.
        src = os.path.join(d, "src")
        os.mkdir(src)
        with open(os.path.join(src, "sparse"), "wb") as f:
            f.truncate(size)
            f.seek(GiB)
            f.write(b"in the middle")
        subprocess.run(["tar", "-S", "-C", src, "-cf", os.path.join(d, "s.tar"), "sparse"],
                       check=True)
        assert os.path.getsize(os.path.join(d, "s.tar")) < MiB
        g.tar_in(os.path.join(d, "s.tar"), "/")
        h = hashlib.md5()
        with open(os.path.join(src, "sparse"), "rb") as f:
            while chunk := f.read(8 * MiB):
                h.update(chunk)
        want = h.hexdigest()
        events = []
        g.set_event_callback(lambda ev, eh, buf, arr: events.append(tuple(arr[2:4])),
                             guestfs.EVENT_PROGRESS)
        assert g.checksum("md5", "/sparse") == want
        # Pulse mode: (0, 1) while it runs, (1, 1) at the end.
        assert events and set(events[:-1]) <= {(0, 1)} and events[-1] == (1, 1), events
        assert g.du("/sparse") < 1024  # still sparse in the guest
        pids = contentutil.daemon_pids()
        assert pids, "no guestfsd process found"
        assert contentutil.peak_rss_kib(pids[0]) < 100 * 1024


@test
def test_base64():
    data = os.urandom(100_000) + b"\0\n"
    with gdtest.tmpdir() as d, gdtest.handle(disks=[64]) as g:
        fs(g)
        g.write("/bin", data)
        out = os.path.join(d, "b64")
        g.base64_out("/bin", out)
        with open(out, "rb") as f:
            enc = f.read()
        assert enc == base64.encodebytes(data)  # 76-column lines, like base64(1)
        assert all(len(line) <= 76 for line in enc.split(b"\n"))
        # Decoding skips what is not base64 (whitespace, garbage).
        noisy = os.path.join(d, "noisy")
        with open(noisy, "wb") as f:
            f.write(b"  \n" + enc.replace(b"\n", b"\r\n!!") + b"\n")
        g.base64_in(noisy, "/back")
        assert read_file(g, "/back") == data
        g.write("/e", b"")
        g.base64_out("/e", out)
        assert open(out, "rb").read() == b""
        for n in (1, 2, 3, 57, 58):
            g.write("/n", b"x" * n)
            g.base64_out("/n", out)
            assert open(out, "rb").read() == base64.encodebytes(b"x" * n)
        gdtest.expect_error(g, g.base64_out, "/nope", out, errno=errno.ENOENT)
        gdtest.expect_error(g, g.base64_in, noisy, "/nope/x", errno=errno.ENOENT)
        g.ping_daemon()


def decompress(kind, blob):
    if kind == "gzip":
        return gzip.decompress(blob)
    if kind == "bzip2":
        return bz2.decompress(blob)
    if kind == "xz":
        return lzma.decompress(blob)
    prog = {"lzop": ["lzop", "-dc"], "zstd": ["zstd", "-dc"], "compress": ["gzip", "-dc"]}[kind]
    return subprocess.run(prog, input=blob, capture_output=True, check=True).stdout


@test
def test_compress_out():
    data = (TEN_K * 3).encode()
    with gdtest.tmpdir() as d, gdtest.handle(disks=[64, 4]) as g:
        fs(g)
        g.write("/f", data)
        out = os.path.join(d, "z")
        for kind in ["gzip", "bzip2", "xz", "lzop", "zstd", "compress"]:
            if kind in ("lzop", "zstd") and not gdtest.have_program(kind):
                continue
            g.compress_out(kind, "/f", out)
            blob = open(out, "rb").read()
            assert decompress(kind, blob) == data, kind
            assert len(blob) < len(data) // 3, kind
        g.compress_out("gzip", "/f", out, level=1)
        assert gzip.decompress(open(out, "rb").read()) == data
        g.compress_out("xz", "/f", out, level=0)
        assert lzma.decompress(open(out, "rb").read()) == data
        gdtest.expect_error(g, g.compress_out, "gzip", "/f", out, level=10, errno=errno.EINVAL)
        gdtest.expect_error(g, g.compress_out, "compress", "/f", out, level=5, errno=errno.EINVAL)
        gdtest.expect_error(g, g.compress_out, "rar", "/f", out, errno=errno.ENOTSUP,
                            match="not supported")
        gdtest.expect_error(g, g.compress_out, "gzip", "/nope", out, errno=errno.ENOENT)
        g.compress_device_out("gzip", "/dev/sdb", out)
        assert gzip.decompress(open(out, "rb").read()) == bytes(4 * MiB)
        g.ping_daemon()


@test
def test_du_find0():
    with gdtest.tmpdir() as d, gdtest.handle(disks=[600]) as g:
        fs(g)  # 600 MiB: ext4 with 4 KiB blocks
        t = Tree().dir("d").file("d/one", os.urandom(MiB)).hardlink("d/two", "d/one")
        t.symlink("d/link", "/nowhere")
        t.symlink("d/dirlink", "/names")  # listed, never followed
        t.dir("names")
        for n in ODD_NAMES:
            t.file("names/" + os.fsdecode(n), "x")
        t.put(g)
        comps = deep_tree(g, "/deep")
        depth = len(comps)
        assert len("/".join(comps)) > 4096
        # One 4 KiB directory block + 1 MiB of data counted once.
        assert g.du("/d") == 4 + 1024
        assert g.du("/d/one") == 1024
        assert g.du("/d/link") == 0  # the link itself, like du
        gdtest.expect_error(g, g.du, "/nope", errno=errno.ENOENT)
        assert g.du("/deep") == 4 * (depth + 1) + 4  # directories and one small leaf

        out = os.path.join(d, "find0")
        g.find0("/names", out)
        with open(out, "rb") as f:
            names = f.read().split(b"\0")
        assert names[-1] == b""
        # The original's leading "/" (the directory given without one).
        assert sorted(names[:-1]) == sorted(b"/" + n for n in ODD_NAMES)
        g.find0("/deep", out)
        with open(out, "rb") as f:
            found = f.read().split(b"\0")[:-1]
        assert len(found) == depth + 1
        assert found[-1].decode() == "/" + "/".join(comps) + "/leaf"
        # A directory comes before its entries.
        assert all(len(found[i]) < len(found[i + 1]) for i in range(len(found) - 1))
        # Types come from readdir (no stat per entry): symlinks, also to a
        # directory, are names, and only directories are walked into.
        g.find0("/d", out)
        with open(out, "rb") as f:
            assert sorted(f.read().split(b"\0")[:-1]) == [b"/dirlink", b"/link", b"/one", b"/two"]
        g.mkdir("/emptydir")
        g.find0("/emptydir", out)
        assert open(out, "rb").read() == b""
        gdtest.expect_error(g, g.find0, "/nope", out, errno=errno.ENOENT)
        gdtest.expect_error(g, g.find0, "/d/one", out, errno=errno.ENOTDIR)


def listing(g, directory):
    members, contents, _ = contentutil.tar_out_members(g, directory, numericowner=True,
                                                        xattrs=True)
    return members, contents


@test
def test_cp_mv():
    with gdtest.handle(disks=[64]) as g:
        fs(g)
        t = Tree().dir("src", mode=0o750, uid=12, gid=34, mtime=1_500_000_000)
        t.file("src/a", "A", mode=0o640, uid=5, gid=6, mtime=1_400_000_000)
        t.hardlink("src/a2", "src/a")
        t.symlink("src/rel", "a").symlink("src/abs", "/src/a")
        t.dir("src/sub").file("src/sub/b", "B", mode=0o4755)
        t.fifo("src/fifo").device("src/null", "c", 1, 3)
        t.symlink("toa", "/src/a")
        t.dir("dst")
        t.put(g)

        g.cp("/src/a", "/copy")
        assert read_file(g, "/copy") == b"A"
        g.cp("/toa", "/dst")  # the source link is followed, dest is a directory
        assert read_file(g, "/dst/toa") == b"A"
        g.cp("/src/a", "/copy")  # overwrite
        gdtest.expect_error(g, g.cp, "/src", "/x", errno=errno.EISDIR)
        gdtest.expect_error(g, g.cp, "/nope", "/x", errno=errno.ENOENT)
        gdtest.expect_error(g, g.cp, "/src/a", "/nodir/x", errno=errno.ENOENT)
        gdtest.expect_error(g, g.cp, "/src/a", "/src/a", errno=errno.EINVAL)

        g.cp_r("/src", "/r")
        m, c = listing(g, "/r")
        assert c["./a"] == b"A" and c["./a2"] == b"A" and c["./sub/b"] == b"B"
        assert m["./rel"].issym() and m["./rel"].linkname == "a"
        assert m["./abs"].linkname == "/src/a"
        assert m["./fifo"].isfifo() and m["./null"].ischr()
        assert m["./a"].mode & 0o7777 == 0o640 & ~0o022
        assert m["./sub/b"].mode & 0o7777 == 0o755  # set-uid dropped, like cp -r
        assert m["./a"].uid == 0 and m["./a"].mtime != 1_400_000_000
        assert not m["./a2"].islnk()  # no hard links kept

        g.cp_a("/src", "/dst")
        m, c = listing(g, "/dst/src")
        assert m["."].mode & 0o7777 == 0o750 and (m["."].uid, m["."].gid) == (12, 34)
        assert m["."].mtime == 1_500_000_000
        assert m["./a"].mode & 0o7777 == 0o640 and (m["./a"].uid, m["./a"].gid) == (5, 6)
        assert m["./a"].mtime == 1_400_000_000
        assert m["./a2"].islnk() or m["./a"].islnk()  # one inode, two names
        assert m["./sub/b"].mode & 0o7777 == 0o4755
        assert m["./null"].ischr() and (m["./null"].devmajor, m["./null"].devminor) == (1, 3)
        gdtest.expect_error(g, g.cp_a, "/src", "/src/sub", errno=errno.EINVAL, match="itself")
        gdtest.expect_error(g, g.cp_r, "/src", "/src", errno=errno.EINVAL, match="itself")

        g.mv("/copy", "/moved")
        assert not g.exists("/copy") and read_file(g, "/moved") == b"A"
        g.mv("/moved", "/dst")
        assert read_file(g, "/dst/moved") == b"A"
        g.mv("/r", "/dst/r2")
        assert read_file(g, "/dst/r2/sub/b") == b"B" and not g.exists("/r")
        gdtest.expect_error(g, g.mv, "/nope", "/x", errno=errno.ENOENT)
        gdtest.expect_error(g, g.mv, "/dst", "/dst/r2", errno=errno.EINVAL)


@test
def test_mv_across_filesystems_and_deep_cp():
    with gdtest.handle(disks=[64, 64]) as g:
        fs(g)
        g.part_disk("/dev/sdb", "mbr")
        g.mkfs("ext4", "/dev/sdb1")
        g.mkdir("/mnt")
        g.mount("/dev/sdb1", "/mnt")
        Tree().dir("tree", mode=0o700).put(g)
        comps = deep_tree(g, "/tree/deep", leaf=b"leaf")
        leaf = "/".join(comps) + "/leaf"
        g.cp_r("/tree", "/copy")
        m, c = listing(g, "/copy")
        assert c["./deep/" + leaf] == b"leaf"
        before, _ = listing(g, "/tree")
        g.mv("/tree", "/mnt")  # EXDEV: copied with attributes, then removed
        assert not g.exists("/tree")
        m, c = listing(g, "/mnt/tree")
        assert m["."].mode & 0o777 == 0o700 and m["."].mtime == before["."].mtime
        assert c["./deep/" + leaf] == b"leaf"


@test
def test_file_types():
    with gdtest.handle(disks=[64]) as g:
        fs(g)
        sample_tree().put(g)
        g.write("/gz", gzip.compress(b"hello world\n"))
        g.write("/bz", bz2.compress(b"hello world\n"))
        assert g.file("/empty") == "empty"
        assert g.file("/known-4") == "ASCII text"
        assert g.file("/10klines") == "ASCII text"
        assert g.file("/directory") == "directory"
        assert g.file("/abssymlink") == "symbolic link"
        assert g.file("/devnull") == "character device"
        assert g.file("/blockdev") == "block device"
        assert g.file("/fifo") == "FIFO"
        assert g.file("/gz").startswith("ASCII text (gzip compressed data")
        assert "ext4 filesystem" in g.file("/dev/sda1")
        gdtest.expect_error(g, g.file, "/nope", errno=errno.ENOENT)
        assert g.zfile("gzip", "/gz") == "ASCII text"
        assert g.zfile("bzip2", "/bz") == "ASCII text"
        gdtest.expect_error(g, g.zfile, "lzma", "/gz", errno=errno.EINVAL)


def elf(bits, endian, machine, etype=2):
    le = endian == "LSB"
    e = b"\x7fELF" + bytes([1 if bits == 32 else 2, 1 if le else 2, 1]) + bytes(9)
    return e + struct.pack("<HHI" if le else ">HHI", etype, machine, 1) + bytes(200)


def pe(machine):
    mz = b"MZ" + bytes(0x3a) + struct.pack("<I", 0x40)
    return mz + b"PE\0\0" + struct.pack("<H", machine) + bytes(200)


def cpio_newc(members):
    """A newc cpio archive of (name, data) regular files."""
    out = b""
    for i, (name, data) in enumerate(members + [("TRAILER!!!", b"")]):
        n = name.encode() + b"\0"
        mode = 0o100755 if name != "TRAILER!!!" else 0
        h = "070701" + "".join(f"{v:08X}" for v in (
            i + 1, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(n), 0))
        out += h.encode() + n
        out += bytes((4 - len(out) % 4) % 4) + data
        out += bytes((4 - len(out) % 4) % 4)
    return out + bytes((512 - len(out) % 512) % 512)


@test
def test_file_architecture():
    samples = {
        "x86_64": elf(64, "LSB", 62), "i386": elf(32, "LSB", 3), "aarch64": elf(64, "LSB", 183),
        "arm": elf(32, "LSB", 40), "ppc64": elf(64, "MSB", 21), "ppc64le": elf(64, "LSB", 21),
        "s390x": elf(64, "MSB", 22), "riscv64": elf(64, "LSB", 243), "sparc": elf(32, "MSB", 18),
        "sparc64": elf(64, "MSB", 43), "ia64": elf(64, "LSB", 50),
    }
    with gdtest.handle(disks=[64]) as g:
        fs(g)
        t = Tree()
        for arch, data in samples.items():
            t.file(f"bin-{arch}", data, mode=0o755).file(f"lib-{arch}.so", elf(64, "LSB", 62, 3)
                                                          if arch == "x86_64" else data)
        t.file("win32.exe", pe(0x14c)).file("win64.dll", pe(0x8664))
        t.file("x.gz", gzip.compress(samples["x86_64"])).file("i.xz", lzma.compress(samples["i386"]))
        initrd = cpio_newc([("init", b"#!/bin/sh\n"), ("bin/nash", samples["aarch64"])])
        t.file("initrd.img", initrd).file("initrd.gz", gzip.compress(initrd))
        t.file("initrd.xz", lzma.compress(initrd))
        t.file("text", "just text\n").file("empty", b"")
        t.symlink("link", "/bin-arm")
        t.put(g)
        for arch in samples:
            assert g.file_architecture(f"/bin-{arch}") == arch, arch
            assert g.file_architecture(f"/lib-{arch}.so") == arch, arch
        assert g.file_architecture("/win32.exe") == "i386"
        assert g.file_architecture("/win64.dll") == "x86_64"
        assert g.file_architecture("/x.gz") == "x86_64"
        assert g.file_architecture("/i.xz") == "i386"
        for name in ("initrd.img", "initrd.gz", "initrd.xz"):
            assert g.file_architecture("/" + name) == "aarch64", name
        assert g.file_architecture("/link") == "arm"
        gdtest.expect_error(g, g.file_architecture, "/text", match="unknown architecture")
        gdtest.expect_error(g, g.file_architecture, "/empty", match="unknown architecture")
        gdtest.expect_error(g, g.file_architecture, "/nope", errno=errno.ENOENT)


@test
def test_initrd():
    files = [("empty", b""), ("known-1", b"abc\n"), ("known-4", b"abc\ndef\nghi"),
             ("sub/deep", b"deep\n")]
    with gdtest.tmpdir() as d, gdtest.handle(disks=[64]) as g:
        fs(g)
        root = os.path.join(d, "root")
        os.makedirs(os.path.join(root, "sub"))
        for name, data in files:
            with open(os.path.join(root, name), "wb") as f:
                f.write(data)
        names = "\n".join(["empty", "known-1", "known-4", "sub", "sub/deep"]) + "\n"
        raw = subprocess.run(["cpio", "--quiet", "-o", "-H", "newc"], input=names.encode(),
                             cwd=root, capture_output=True, check=True).stdout
        t = Tree().file("raw", raw).file("gz", gzip.compress(raw)).file("xz", lzma.compress(raw))
        t.file("bz", bz2.compress(raw)).file("junk", "not an initrd\n")
        # Early microcode first (uncompressed), padding, then the main part.
        ucode = subprocess.run(["cpio", "--quiet", "-o", "-H", "newc"], input=b"known-1\n",
                               cwd=root, capture_output=True, check=True).stdout
        t.file("concat", ucode + bytes(1024) + gzip.compress(raw))
        t.put(g)
        for f in ("raw", "gz", "xz", "bz"):
            assert g.initrd_list("/" + f) == ["empty", "known-1", "known-4", "sub", "sub/deep"], f
            assert g.initrd_cat("/" + f, "known-4") == b"abc\ndef\nghi"
        assert g.initrd_list("/concat") == ["known-1", "empty", "known-1", "known-4", "sub",
                                            "sub/deep"]
        assert g.initrd_cat("/concat", "sub/deep") == b"deep\n"
        assert g.initrd_cat("/gz", "empty") == b""
        assert g.initrd_cat("/gz", "sub/deep") == b"deep\n"
        assert g.initrd_cat("/gz", "./known-1") == b"abc\n"
        gdtest.expect_error(g, g.initrd_cat, "/gz", "missing", errno=errno.ENOENT)
        gdtest.expect_error(g, g.initrd_cat, "/gz", "sub", errno=errno.EINVAL)
        gdtest.expect_error(g, g.initrd_list, "/junk")
        gdtest.expect_error(g, g.initrd_list, "/nope", errno=errno.ENOENT)
        g.ping_daemon()


gdtest.main()
