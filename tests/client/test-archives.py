#!/usr/bin/python3
# Archives through the real libguestfs library: tar_in/tar_out (every
# compression, hostile members, optional arguments, cancellation from
# either end, a 3 GiB sparse file with bounded memory), tgz/txz, cpio_out.

import errno
import gzip
import io
import lzma
import os
import subprocess
import tarfile
import threading
import uuid

import gdtest
from gdtest import GiB, MiB, test

import contentutil
from contentutil import Tree, read_file

HELLO = Tree().dir(".").file("./hello", "hello\n").file("./world", "world\n").bytes()


def put_bytes(g, d, data, directory, name="in.tar", **opts):
    path = os.path.join(d, name)
    with open(path, "wb") as f:
        f.write(data)
    g.tar_in(path, directory, **opts)


def compressed(kind, data):
    if kind == "gzip":
        return gzip.compress(data)
    if kind == "xz":
        return lzma.compress(data)
    prog = {"bzip2": ["bzip2", "-c"], "lzop": ["lzop", "-c"], "zstd": ["zstd", "-qc"]}[kind]
    return subprocess.run(prog, input=data, capture_output=True, check=True).stdout


def decompressed(kind, data):
    if kind is None:
        return data
    if kind == "gzip":
        return gzip.decompress(data)
    if kind == "xz":
        return lzma.decompress(data)
    prog = {"bzip2": ["bzip2", "-dc"], "lzop": ["lzop", "-dc"], "zstd": ["zstd", "-qdc"]}[kind]
    return subprocess.run(prog, input=data, capture_output=True, check=True).stdout


def kinds():
    return [k for k in ["gzip", "xz", "bzip2", "lzop", "zstd"]
            if k in ("gzip", "xz") or gdtest.have_program(k.replace("bzip2", "bzip2"))]


@test
def test_tar_in_compressions():
    with gdtest.tmpdir() as d, gdtest.handle(disks=[64]) as g:
        gdtest.mkfs_mount(g)
        g.mkdir("/plain")
        put_bytes(g, d, HELLO, "/plain")
        assert read_file(g, "/plain/hello") == b"hello\n"
        for kind in kinds():
            g.mkdir("/" + kind)
            put_bytes(g, d, compressed(kind, HELLO), "/" + kind, compress=kind)
            assert read_file(g, f"/{kind}/world") == b"world\n", kind
            # Without the compress argument the compression is recognised.
            if kind != "lzop":
                g.mkdir("/auto-" + kind)
                put_bytes(g, d, compressed(kind, HELLO), "/auto-" + kind)
                assert read_file(g, f"/auto-{kind}/hello") == b"hello\n", kind
        g.mkdir("/tgz")
        path = os.path.join(d, "h.tgz")
        with open(path, "wb") as f:
            f.write(gzip.compress(HELLO))
        g.tgz_in(path, "/tgz")
        assert read_file(g, "/tgz/hello") == b"hello\n"
        g.mkdir("/txz")
        with open(path, "wb") as f:
            f.write(lzma.compress(HELLO))
        g.txz_in(path, "/txz")
        assert read_file(g, "/txz/world") == b"world\n"
        gdtest.expect_error(g, put_bytes, g, d, HELLO, "/plain", compress="rar",
                            errno=errno.EINVAL)
        gdtest.expect_error(g, put_bytes, g, d, HELLO, "/nope", errno=errno.ENOENT)
        gdtest.expect_error(g, put_bytes, g, d, HELLO, "/plain/hello", errno=errno.ENOTDIR)
        gdtest.expect_error(g, put_bytes, g, d, b"this is not a tar archive" * 100, "/plain")
        gdtest.expect_error(g, put_bytes, g, d, HELLO[:1000], "/plain")  # truncated
        # Trailing data after the end of the archive is read and ignored.
        put_bytes(g, d, HELLO + bytes(100_000), "/plain")
        g.ping_daemon()


@test
def test_tar_in_hostile_members():
    sentinel = f"/tmp/gdtest-escape-{uuid.uuid4().hex}"
    with gdtest.tmpdir() as d, gdtest.handle(disks=[64]) as g:
        gdtest.mkfs_mount(g)
        for p in ("/target", "/target/pre", "/etc", "/other"):
            g.mkdir(p)
        # In the guest already: a directory symlink to / and one to /other.
        Tree().symlink("target/toroot", "/").symlink("target/toother", "../other").put(g)
        t = Tree()
        t.file("../../../../../../../.." + sentinel, "escape 1")
        t.file("/abs-" + os.path.basename(sentinel), "absolute")
        t.file("a/../../dotdot", "dotdot")
        t.symlink("evil", "/tmp")
        t.file("evil/" + os.path.basename(sentinel), "through a new link")
        t.symlink("evil2", "../../../../../../../../tmp")
        t.file("evil2/" + os.path.basename(sentinel), "through a relative link")
        t.hardlink("hard", "../../../../../../etc/passwd")
        t.file("toroot/etc/via-old-link", "through an old link")
        t.file("toother/x", "other")
        t.file("ok", "fine")
        try:
            put_bytes(g, d, t.bytes(), "/target")
        except RuntimeError as e:
            # Like GNU tar, refused members make the whole call fail, after
            # the others were extracted.
            assert "symlink" in str(e) or "link" in str(e), e
        assert not os.path.exists(sentinel), "a member escaped to the host"
        assert read_file(g, "/target/ok") == b"fine"
        assert read_file(g, "/target/tmp/" + os.path.basename(sentinel)) == b"escape 1"
        assert read_file(g, "/target/abs-" + os.path.basename(sentinel)) == b"absolute"
        assert read_file(g, "/target/dotdot") == b"dotdot"
        assert not g.exists("/tmp/" + os.path.basename(sentinel))
        assert not g.exists("/target/evil/" + os.path.basename(sentinel))
        # Links that were already in the guest are followed, inside it.
        assert read_file(g, "/etc/via-old-link") == b"through an old link"
        assert read_file(g, "/other/x") == b"other"
        assert not os.path.exists("/etc/via-old-link")
        g.ping_daemon()


@test
def test_tar_in_user_cancel():
    with gdtest.tmpdir() as d, gdtest.handle(disks=[200]) as g:
        gdtest.mkfs_mount(g)
        g.mkdir("/t")
        fifo = os.path.join(d, "fifo")
        os.mkfifo(fifo)
        big = Tree().file("big", os.urandom(8 * MiB)).bytes()

        def feed():
            with open(fifo, "wb") as f:
                f.write(big[:6 * MiB])
                f.flush()
                g.user_cancel()

        th = threading.Thread(target=feed)
        th.start()
        gdtest.expect_error(g, g.tar_in, fifo, "/t", errno=errno.EINTR)
        th.join()
        g.ping_daemon()
        put_bytes(g, d, HELLO, "/t")
        assert read_file(g, "/t/hello") == b"hello\n"


def odd_tree():
    t = Tree().dir("d", mode=0o750, uid=1000, gid=100, mtime=1_300_000_000)
    t.file("d/plain", "plain\n", mode=0o640, uid=1000, gid=100)
    t.file("d/empty", b"")
    for n in [b"with space", b"new\nline", b"caf\xe9", "ünï".encode(), b"back\\slash"]:
        t.file("d/" + os.fsdecode(n), n)
    t.symlink("d/link", "/d/plain").hardlink("d/hard", "d/plain")
    t.fifo("d/fifo").device("d/null", "c", 1, 3)
    t.dir("d/excluded").file("d/excluded/x", "x").file("d/junk.o", "o")
    return t


@test
def test_tar_out_roundtrip():
    with gdtest.tmpdir() as d, gdtest.handle(disks=[64]) as g:
        gdtest.mkfs_mount(g)
        odd_tree().put(g)
        m, c, raw = contentutil.tar_out_members(g, "/d")
        assert "./" in m or "." in m
        assert c["./plain"] == b"plain\n" and c["./empty"] == b""
        for n in [b"with space", b"new\nline", b"caf\xe9", "ünï".encode(), b"back\\slash"]:
            assert c["./" + os.fsdecode(n)] == n
        assert m["./link"].issym() and m["./link"].linkname == "/d/plain"
        assert m["./hard"].islnk() or m["./plain"].islnk()
        assert m["./fifo"].isfifo() and m["./null"].ischr()
        assert m["./plain"].mode & 0o7777 == 0o640 and m["./plain"].uid == 1000
        # GNU tar reads it.
        arch = os.path.join(d, "a.tar")
        with open(arch, "wb") as f:
            f.write(raw)
        out = os.path.join(d, "x")
        os.mkdir(out)
        subprocess.run(["tar", "-C", out, "-xf", arch], check=True)
        with open(os.path.join(out, "plain"), "rb") as f:
            assert f.read() == b"plain\n"
        assert os.readlink(os.path.join(out, "link")) == "/d/plain"
        assert os.stat(os.path.join(out, "hard")).st_ino == os.stat(os.path.join(out, "plain")).st_ino

        m, _, _ = contentutil.tar_out_members(g, "/d", numericowner=True)
        assert m["./plain"].uname == "" and m["./plain"].uid == 1000
        m, _, _ = contentutil.tar_out_members(g, "/d", excludes=["./excluded", "*.o"])
        assert "./excluded" not in m and "./excluded/x" not in m and "./junk.o" not in m
        assert "./plain" in m
        # Compressions, read back here.
        path = os.path.join(d, "c")
        for kind in kinds():
            g.tar_out("/d", path, compress=kind)
            data = decompressed(kind, open(path, "rb").read())
            with tarfile.open(fileobj=io.BytesIO(data)) as t:
                assert t.extractfile("./plain").read() == b"plain\n", kind
        g.tgz_out("/d", path)
        with tarfile.open(path) as t:
            assert t.extractfile("./plain").read() == b"plain\n"
        g.txz_out("/d", path)
        with tarfile.open(path) as t:
            assert t.extractfile("./plain").read() == b"plain\n"
        gdtest.expect_error(g, g.tar_out, "/nope", path, errno=errno.ENOENT)
        gdtest.expect_error(g, g.tar_out, "/d/plain", path, errno=errno.ENOTDIR)
        gdtest.expect_error(g, g.tar_out, "/d", path, compress="rar", errno=errno.EINVAL)


@test
def test_tar_xattrs():
    with gdtest.tmpdir() as d, gdtest.handle(disks=[64]) as g:
        gdtest.mkfs_mount(g)
        g.mkdir("/x")
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
            ti = tarfile.TarInfo("f")
            ti.size = 1
            ti.pax_headers = {"SCHILY.xattr.user.color": "blue"}
            t.addfile(ti, io.BytesIO(b"x"))
        put_bytes(g, d, buf.getvalue(), "/x", xattrs=True)
        m, _, _ = contentutil.tar_out_members(g, "/x", xattrs=True)
        assert m["./f"].pax_headers.get("SCHILY.xattr.user.color") == "blue"
        m, _, _ = contentutil.tar_out_members(g, "/x")
        assert "SCHILY.xattr.user.color" not in m["./f"].pax_headers
        # Without xattrs=True nothing is restored.
        g.mkdir("/y")
        put_bytes(g, d, buf.getvalue(), "/y")
        m, _, _ = contentutil.tar_out_members(g, "/y", xattrs=True)
        assert "SCHILY.xattr.user.color" not in m["./f"].pax_headers


@test
def test_tar_acls_and_selinux_label():
    with gdtest.tmpdir() as d, gdtest.handle(disks=[64]) as g:
        gdtest.mkfs_mount(g)
        buf = io.BytesIO()
        acl = "user::rw-,user:1234:r--,group::r--,mask::r--,other::---"
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
            ti = tarfile.TarInfo("f")
            ti.size = 1
            ti.mode = 0o640
            ti.pax_headers = {"SCHILY.acl.access": acl, "SCHILY.xattr.user.k": "v"}
            t.addfile(ti, io.BytesIO(b"x"))
        g.mkdir("/a")
        put_bytes(g, d, buf.getvalue(), "/a", acls=True)
        m, _, _ = contentutil.tar_out_members(g, "/a", acls=True)
        assert "user:1234:r--" in m["./f"].pax_headers.get("SCHILY.acl.access", ""), \
            m["./f"].pax_headers
        assert "SCHILY.xattr.user.k" not in m["./f"].pax_headers  # acls only, no xattrs
        m, _, _ = contentutil.tar_out_members(g, "/a")
        assert "SCHILY.acl.access" not in m["./f"].pax_headers
        # Without acls=True the ACL is not restored.
        g.mkdir("/b")
        put_bytes(g, d, buf.getvalue(), "/b")
        m, _, _ = contentutil.tar_out_members(g, "/b", acls=True)
        assert "user:1234" not in m["./f"].pax_headers.get("SCHILY.acl.access", "")


@test
def test_tar_out_cancel_and_full_disk():
    with gdtest.handle(disks=[200]) as g:
        gdtest.mkfs_mount(g)
        g.mkdir("/big")
        Tree().file("big/a", os.urandom(20 * MiB)).put(g)
        gdtest.expect_error(g, g.tar_out, "/big", "/dev/full")
        g.ping_daemon()
        gdtest.expect_error(g, g.tgz_out, "/big", "/dev/full")
        g.ping_daemon()
        m, c, _ = contentutil.tar_out_members(g, "/big")
        assert len(c["./a"]) == 20 * MiB


@test
def test_tar_out_sparse_3gib_bounded_memory():
    with gdtest.tmpdir() as d, gdtest.handle(disks=[256]) as g:
        gdtest.mkfs_mount(g)
        src = os.path.join(d, "src")
        os.mkdir(src)
        with open(os.path.join(src, "sparse"), "wb") as f:
            f.truncate(3 * GiB)
            f.seek(2 * GiB)
            f.write(b"data at 2 GiB")
        subprocess.run(["tar", "-S", "-C", src, "-cf", os.path.join(d, "in.tar"), "."], check=True)
        g.mkdir("/s")
        g.tar_in(os.path.join(d, "in.tar"), "/s")
        out = os.path.join(d, "out.tar")
        g.tar_out("/s", out)
        # GNU tar's format, as the original: holes travel as zeros, memory
        # stays flat.
        assert os.path.getsize(out) >= 3 * GiB
        x = os.path.join(d, "x")
        os.mkdir(x)
        subprocess.run(["tar", "-C", x, "-xf", out], check=True)
        with open(os.path.join(x, "sparse"), "rb") as f:
            assert os.fstat(f.fileno()).st_size == 3 * GiB
            f.seek(2 * GiB)
            assert f.read(13) == b"data at 2 GiB"
        pids = contentutil.daemon_pids()
        assert pids and contentutil.peak_rss_kib(pids[0]) < 100 * 1024


@test
def test_deep_tree_tar_out():
    with gdtest.handle(disks=[64]) as g:
        gdtest.mkfs_mount(g)
        comps = []
        for p in range(2):
            names = [f"p{p}-{i:03d}-abcdefghijklmnopqrstuvwxyz0123" for i in range(60)]
            t = Tree().dir(f"part{p}")
            for i in range(60):
                t.dir(f"part{p}/" + "/".join(names[:i + 1]))
            if p == 1:
                t.file("part1/" + "/".join(names) + "/leaf", "leaf")
            t.put(g)
            if p == 0:
                g.mv("/part0", "/deep")
            else:
                g.mv("/part1", "/deep/" + "/".join(comps))
                names = ["part1"] + names
            comps += names
        leaf = "./" + "/".join(comps) + "/leaf"
        assert len(leaf) > 4096
        m, c, _ = contentutil.tar_out_members(g, "/deep")
        assert c[leaf] == b"leaf"


@test
def test_deep_tree_tar_in():
    with gdtest.handle(disks=[64]) as g:
        gdtest.mkfs_mount(g)
        names = [f"level-{i:03d}-abcdefghijklmnopqrstuvwxyz0123" for i in range(130)]
        t = Tree()
        for i in range(len(names)):
            t.dir("/".join(names[:i + 1]), mode=0o750, mtime=1_111_111_111, uid=42)
        leaf = "/".join(names) + "/leaf"
        assert len(leaf) > 4096
        t.file(leaf, "deep leaf", mode=0o600, uid=43, mtime=1_222_222_222)
        t.file("top", "top file")
        t.hardlink("/".join(names) + "/hard", "top")
        g.mkdir("/in")
        t.put(g, "/in")
        m, c, _ = contentutil.tar_out_members(g, "/in", numericowner=True)
        assert c["./" + leaf] == b"deep leaf"
        assert c["./" + "/".join(names) + "/hard"] == b"top file"
        assert m["./" + leaf].uid == 43 and m["./" + leaf].mode & 0o777 == 0o600
        assert m["./" + leaf].mtime == 1_222_222_222
        deepdir = m["./" + "/".join(names)]
        assert deepdir.mode & 0o777 == 0o750 and deepdir.uid == 42
        shallow = m["./" + "/".join(names[:3])]
        assert shallow.mode & 0o777 == 0o750 and shallow.mtime == 1_111_111_111


def cpio_members(data):
    """(name, mode, nlink, size, check, body) of each member of a newc/crc
    archive, trailer excluded."""
    out, off = [], 0
    while True:
        h = data[off:off + 110]
        magic = h[:6]
        assert magic in (b"070701", b"070702"), (off, h)
        f = [int(h[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
        namesize, size = f[11], f[6]
        name = data[off + 110:off + 110 + namesize - 1]
        off = (off + 110 + namesize + 3) & ~3
        body = data[off:off + size]
        off = (off + size + 3) & ~3
        if name == b"TRAILER!!!":
            return out, off, magic
        out.append((name, f[1], f[4], size, f[12], body))


@test
def test_cpio_out():
    with gdtest.tmpdir() as d, gdtest.handle(disks=[64]) as g:
        gdtest.mkfs_mount(g)
        odd_tree().put(g)
        path = os.path.join(d, "a.cpio")
        g.cpio_out("/d", path)
        data = open(path, "rb").read()
        assert len(data) % 512 == 0
        members, end, magic = cpio_members(data)
        assert magic == b"070701"
        names = [m[0] for m in members]
        assert names[0] == b"." and b"plain" in names and b"new\nline" in names
        by = {m[0]: m for m in members}
        # Hard links: the data goes with the last of the names.
        links = [by[b"plain"], by[b"hard"]]
        assert sorted(m[3] for m in links) == [0, 6] and all(m[2] == 2 for m in links)
        assert by[b"link"][5] == b"/d/plain"
        # GNU cpio extracts it.
        x = os.path.join(d, "x")
        os.mkdir(x)
        subprocess.run(["cpio", "--quiet", "-i", "-d", "-F", path], cwd=x, check=True)
        assert open(os.path.join(x, "plain"), "rb").read() == b"plain\n"
        assert open(os.path.join(x.encode(), b"caf\xe9"), "rb").read() == b"caf\xe9"
        assert os.stat(os.path.join(x, "hard")).st_ino == os.stat(os.path.join(x, "plain")).st_ino
        # crc: each file's byte sum, which GNU cpio checks.
        g.cpio_out("/d", path, format="crc")
        data = open(path, "rb").read()
        members, _, magic = cpio_members(data)
        assert magic == b"070702"
        for name, mode, nlink, size, check, body in members:
            if size and (mode & 0o170000) == 0o100000:
                assert check == sum(body) & 0xffffffff, name
        x2 = os.path.join(d, "x2")
        os.mkdir(x2)
        r = subprocess.run(["cpio", "-i", "-d", "-F", path], cwd=x2, capture_output=True,
                           text=True)
        assert r.returncode == 0 and "checksum" not in r.stderr, r.stderr
        gdtest.expect_error(g, g.cpio_out, "/d", path, format="tar", errno=errno.EINVAL)
        gdtest.expect_error(g, g.cpio_out, "/nope", path, errno=errno.ENOENT)
        gdtest.expect_error(g, g.cpio_out, "/d", "/dev/full")
        g.ping_daemon()


gdtest.main()
