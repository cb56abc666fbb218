#!/usr/bin/python3
# The user-facing tools end to end: guestfish sessions, the virt-* tools,
# guestmount and the Python bindings' events and handle life cycle, all
# driving our guestfsd through tools/guestfsd-hv as users would run them.
#
# A tool that needs a procedure this build does not implement yet is
# skipped and the skip names the procedure (guestfsd --list-procedures).

import errno
import hashlib
import os
import re
import shutil
import subprocess
import tarfile
import time

import guestfs

import gdtest
from gdtest import MiB, expect_error, skip, test

GUESTFSD = os.path.join(gdtest.BUILDDIR, "guestfsd", "guestfsd")

# Who is still writing a procedure, for skip messages.
OWNERS = [
    ("tar_", "tar.c"), ("tgz_", "tar.c"), ("txz_", "tar.c"),
    ("checksum", "checksum.c"), ("find0", "find.c"), ("du", "du.c"),
    ("inspect_", "inspect*.c"), ("lvm_", "lvm.c"), ("lvs", "lvm.c"), ("vgs", "lvm.c"),
    ("pvs", "lvm.c"), ("pvcreate", "lvm.c"), ("is_lv", "lvm.c"),
    ("mkfs_btrfs", "btrfs.c"), ("file", "filetype.c"), ("cp", "copy.c"), ("mv", "copy.c"),
]

_procs = None


def implemented():
    global _procs
    if _procs is None:
        out = subprocess.run([GUESTFSD, "--list-procedures"], capture_output=True,
                             text=True, check=True).stdout
        _procs = {w[0] for w in (line.split() for line in out.splitlines())
                  if len(w) == 2 and w[1] == "implemented"}
    return _procs


def need(*procs):
    missing = [p for p in procs if p not in implemented()]
    if missing:
        who = sorted({f for p in missing for pre, f in OWNERS if p.startswith(pre)})
        skip("needs %s, not implemented yet%s" % (
            ", ".join(missing), (" (" + ", ".join(who) + ")") if who else ""))


# ---- running tools ---------------------------------------------------------

def run(argv, input=None, check=True, timeout=600, env=None):
    """Runs a tool; returns the CompletedProcess (bytes).  check: a
    non-zero exit fails the test with the tool's stderr."""
    e = None
    if env:
        e = dict(os.environ)
        e.update(env)
    p = subprocess.run(argv, input=input.encode() if isinstance(input, str) else input,
                       capture_output=True, timeout=timeout, env=e)
    if check and p.returncode != 0:
        raise AssertionError("%s exited with %d: %s" % (
            " ".join(argv), p.returncode, p.stderr.decode(errors="replace").strip()))
    return p


def fish(*args, script=None, check=True, env=None):
    return run(["guestfish", *args], input=script, check=check, env=env)


def out(p):
    return p.stdout.decode(errors="surrogateescape")


def err(p):
    return p.stderr.decode(errors="surrogateescape")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(MiB), b""):
            h.update(b)
    return h.hexdigest()


def new_fs_image(d, name="disk.img", fstype="ext4", size="64M", script=""):
    """guestfish -N: a partitioned disk with one filesystem on /dev/sda1,
    mounted while script runs."""
    path = os.path.join(d, name)
    fish("-N", f"{path}=fs:{fstype}:{size}", "-m", "/dev/sda1", script=script)
    return path


# ---- trees with awkward names ---------------------------------------------

# Names a shell, tar, or a careless daemon would mangle.
ODD_NAMES = [
    b"sp ace", b"new\nline", b"tab\there", b"-dash", b"--double-dash",
    b"*star?[glob]", b"\xff\xfe not utf-8", "\u00e9t\u00e9 \u00fcn\u00efc\u00f6de".encode(),
    b".hidden", b"back\\slash", b"quote'\"", b"$(echo no)", b"x" * 255,
]


def make_odd_tree(root):
    """A local tree: odd file names, nested directories (one with a
    space), symlinks (relative, dangling, absolute), modes, an empty file
    and one 1 MiB random file.  Returns root."""
    r = os.fsencode(root)
    os.makedirs(os.path.join(r, b"sub dir", b"deep"))
    os.mkdir(os.path.join(r, b"empty dir"))
    for i, n in enumerate(ODD_NAMES):
        with open(os.path.join(r, n), "wb") as f:
            f.write(b"content of %d: %s\n" % (i, n))
        with open(os.path.join(r, b"sub dir", n), "wb") as f:
            f.write(b"nested %d\n" % i)
    with open(os.path.join(r, b"sub dir", b"deep", b"random.bin"), "wb") as f:
        f.write(os.urandom(MiB))
    open(os.path.join(r, b"empty"), "wb").close()
    os.chmod(os.path.join(r, b"empty"), 0o600)
    with open(os.path.join(r, b"script.sh"), "wb") as f:
        f.write(b"#!/bin/sh\necho hi\n")
    os.chmod(os.path.join(r, b"script.sh"), 0o750)
    os.symlink(b"sp ace", os.path.join(r, b"rel link"))
    os.symlink(b"../sp ace", os.path.join(r, b"sub dir", b"up link"))
    os.symlink(b"nowhere", os.path.join(r, b"dangling"))
    os.symlink(b"/etc/passwd", os.path.join(r, b"absolute"))
    return root


def snapshot(root):
    """{relative path: (kind, mode, content digest or link target)}."""
    r = os.fsencode(root)
    snap = {}
    for dirpath, dirnames, filenames in os.walk(r):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            rel = os.path.relpath(p, r)
            st = os.lstat(p)
            mode = st.st_mode & 0o7777
            if os.path.islink(p):
                snap[rel] = ("l", None, os.readlink(p))
            elif os.path.isdir(p):
                snap[rel] = ("d", mode, None)
            else:
                with open(p, "rb") as f:
                    snap[rel] = ("f", mode, hashlib.sha256(f.read()).hexdigest())
    return snap


def assert_same_tree(expected_root, got_root):
    a, b = snapshot(expected_root), snapshot(got_root)
    missing = sorted(set(a) - set(b))
    extra = sorted(set(b) - set(a))
    differ = sorted(k for k in set(a) & set(b) if a[k] != b[k])
    if missing or extra or differ:
        raise AssertionError("trees differ: missing %r, extra %r, different %r" % (
            missing[:5], extra[:5], [(k, a[k], b[k]) for k in differ[:5]]))


# ---- a guest with an operating system, for the tools that inspect -----------

def make_os_image(d, name="os.img"):
    """A small fake Debian guest (one ext4 partition) built through our
    daemon: enough for inspection to find an operating system."""
    path = os.path.join(d, name)
    script = """
mkdir-p /etc
mkdir-p /bin
mkdir-p /var/log
mkdir-p /var/lib/dpkg
mkdir-p /home/user
write /etc/os-release "ID=debian\\nVERSION_ID=\\"12\\"\\nNAME=\\"Debian GNU/Linux\\"\\nPRETTY_NAME=\\"Debian GNU/Linux 12 (bookworm)\\"\\n"
write /etc/debian_version "12.5\\n"
write /etc/hostname "qa-guest\\n"
write /etc/fstab "/dev/sda1 / ext4 defaults 0 1\\n"
upload /bin/ls /bin/ls
chmod 0755 /bin/ls
write /var/log/syslog "Nov 25 10:00:00 qa-guest kernel: first line\\nNov 25 10:00:01 qa-guest kernel: second line\\n"
write /var/lib/dpkg/status "Package: hello\\nStatus: install ok installed\\nArchitecture: amd64\\nVersion: 2.10-3\\nDescription: hello\\n\\n"
write /home/user/notes.txt "some notes\\n"
"""
    fish("-N", f"{path}=fs:ext4:64M", "-m", "/dev/sda1", script=script)
    return path


# ============================================================================
# guestfish
# ============================================================================

@test
def test_fish_scripted_session():
    with gdtest.tmpdir() as d:
        img = os.path.join(d, "n.img")
        p = fish("-N", f"{img}=fs:ext4:64M", "-m", "/dev/sda1", script="""
mkdir-p /a/b/c
write /a/f "hello\\n"
write-append /a/f "world\\n"
echo ==cat
cat /a/f
echo ==ls
ls /a
echo ==ll
ll /a
echo ==stat
stat /a/f
echo ==lstatns
ln-s f /a/link
lstatns /a/link
echo ==glob
touch /a/g1
touch /a/g2
glob ls /a/b*
glob echo /a/g*
echo ==is
is-dir /a/b
is-file /a/link
is-symlink /a/link
exists /a/nope
readlink /a/link
echo ==filesystems
list-filesystems
""")
        o = out(p)
        sec = dict(re.findall(r"==(\w+)\n(.*?)(?=\n==|\Z)", o, re.S))
        assert sec["cat"] == "hello\nworld\n", sec["cat"]
        assert sec["ls"].split() == ["b", "f"], sec["ls"]
        ll = sec["ll"].splitlines()
        assert ll[0].startswith("total"), ll
        assert any(re.match(r"-rw-r--r-- +1 0 +0 +12 .* f$", line) for line in ll), ll
        assert any(re.match(r"drwxr-xr-x .* b$", line) for line in ll), ll
        st = dict(re.findall(r"^(\w+): (-?\d+)$", sec["stat"], re.M))
        assert st["size"] == "12" and int(st["mode"]) & 0o170000 == 0o100000, st
        ns = dict(re.findall(r"^(\w+): (-?\d+)$", sec["lstatns"], re.M))
        assert int(ns["st_mode"]) & 0o170000 == 0o120000 and ns["st_size"] == "1", ns
        assert int(ns["st_mtime_nsec"]) < 10**9
        assert sec["glob"].split() == ["c", "/a/g1", "/a/g2"], sec["glob"]
        assert sec["is"].split() == ["true", "false", "true", "false", "f"], sec["is"]
        assert sec["filesystems"].strip() == "/dev/sda1: ext4", sec["filesystems"]
        # -N made a 64 MiB image with an MBR partition table.
        assert os.path.getsize(img) == 64 * MiB
        p = fish("-a", img, "run", ":", "part-get-parttype", "/dev/sda",
                 ":", "part-list", "/dev/sda")
        assert out(p).startswith("msdos\n"), out(p)


@test
def test_fish_prepared_disks():
    with gdtest.tmpdir() as d:
        # -N twice: two disks, each prepared its own way.
        a, b = os.path.join(d, "a.img"), os.path.join(d, "b.img")
        p = fish("-N", f"{a}=bootroot:ext2:ext4:96M:32M", "-N", f"{b}=part:16M",
                 "list-filesystems", ":", "list-partitions", ":", "blockdev-getsize64", "/dev/sdb")
        lines = out(p).splitlines()
        assert lines[:2] == ["/dev/sda1: ext2", "/dev/sda2: ext4"], lines
        assert "/dev/sdb1" in lines and lines[-1] == str(16 * MiB), lines
        c = os.path.join(d, "c.img")
        p = fish("-N", f"{c}=disk:8M", "list-devices", ":", "is-zero-device", "/dev/sda")
        assert out(p).split() == ["/dev/sda", "true"], out(p)
        e = os.path.join(d, "e.img")
        p = fish("-N", f"{e}=fs:ext2:16M", "-m", "/dev/sda1", "vfs-type", "/dev/sda1")
        assert out(p).strip() == "ext2"


@test
def test_fish_prepared_lvm():
    # -N lv needs device-mapper, which this host lacks: a clear failure.
    need("pvcreate")
    with gdtest.tmpdir() as d:
        p = fish("-N", os.path.join(d, "lv.img") + "=lv", "lvs", check=False)
        if p.returncode == 0:
            assert "/dev/VG/LV" in out(p)
        else:
            assert re.search(r"not (available|supported)|device.mapper", err(p), re.I), err(p)


@test
def test_fish_add_mount_ro():
    with gdtest.tmpdir() as d:
        img = new_fs_image(d, script='write /f "data"\nmkdir /dir\n')
        before = sha256(img)
        p = fish("--ro", "-a", img, "-m", "/dev/sda1", script="""
cat /f
-write /f "changed"
-mkdir /dir2
-touch /dir/x
ls /
""")
        assert out(p) == "data\ndir\nf\nlost+found\n", out(p)
        assert err(p).count("Read-only file system") == 3, err(p)
        # -m DEVICE:MOUNTPOINT:OPTIONS (rw, explicit options)
        p = fish("-a", img, "-m", "/dev/sda1:/:ro", script='-write /new "n"\n')
        assert "Read-only file system" in err(p), err(p)
        p = fish("-a", img, "-m", "/dev/sda1:/:noatime", script='write /new "n"\nmountpoints\n')
        assert out(p).strip() == "/dev/sda1: /", out(p)
        p = fish("--ro", "-a", img, "-m", "/dev/sda1", "cat", "/new")
        assert out(p) == "n\n"
        assert sha256(img) != before  # the rw session did write
        after = sha256(img)
        fish("--ro", "-a", img, "-m", "/dev/sda1", "ls", "/")
        assert sha256(img) == after


@test
def test_fish_inspect_i():
    need("inspect_os")
    with gdtest.tmpdir() as d:
        img = make_os_image(d)
        p = fish("--ro", "-a", img, "-i", script="""
inspect-get-roots
inspect-get-distro /dev/sda1
inspect-get-hostname /dev/sda1
cat /etc/hostname
mountpoints
""")
        assert out(p).splitlines() == ["/dev/sda1", "debian", "qa-guest", "qa-guest", "",
                                       "/dev/sda1: /"], out(p)
        # -i on a disk without an operating system: guestfish says so.
        blank = new_fs_image(d, "blank.img")
        p = fish("--ro", "-a", blank, "-i", "ls", "/", check=False)
        assert p.returncode != 0 and "no operating system" in err(p), err(p)


@test
def test_fish_errors():
    # Common mistakes: each gives one clear message, and the daemon stays up.
    with gdtest.tmpdir() as d:
        img = new_fs_image(d, script='mkdir /a\nwrite /a/f "x"\n')
        # (command, regex its error must match or None, ignore the error);
        # errors the library or guestfish itself gives carry no line number.
        cases = [
            ("write /x y", r"call 'mount' first", True),
            ("mount /dev/sda1 /", None, False),
            ("cat a/f", r"absolute path|must be absolute", True),
            ("ls a", r"absolute path|must be absolute", True),
            ("cat /nope", r"/nope: No such file or directory", True),
            ("cat /a", r"/a: Is a directory", True),
            ("mkdir /a", r"mkdir: /a: File exists", True),
            ("rmdir /a/f", r"rmdir: /a/f: Not a directory", True),
            ("rm /a", r"rm: /a: Is a directory", True),
            ("write /lost+found x", r"/lost\+found: .*(is a directory|Is a directory)", True),
            ("mount /dev/sdz1 /a", r"/dev/sdz1", True),
            ("mount /dev/sda9 /a", r"/dev/sda9", True),
            ("mkfs ext4 /dev/sda1", r"mounted|busy", True),
            ("mkfs nosuchfs /dev/sda", r"nosuchfs", True),
            ("umount /a", r"umount: /a: not mounted", True),
            ("download /nope %s/x" % d, r"download: /nope: No such file or directory", True),
            ("upload %s/nope /x" % d, r"nope: No such file or directory", True),
            ("truncate-size /a/f -1", r"negative|Invalid argument", True),
            ("chmod 0644 /nope", r"chmod: /nope: 0644: No such file or directory", True),
            ("ping-daemon", None, False),
        ]
        script = "run\n" + "".join(("-" if dash else "") + c + "\necho ==\n"
                                   for c, _, dash in cases)
        p = fish("-a", img, script=script)
        msgs = err(p)
        # stderr lines are prefixed with *stdin*:LINE:, so map them back.
        by_line = {}
        for m in re.finditer(r"^\*stdin\*:(\d+): (.*)$", msgs, re.M):
            by_line.setdefault(int(m.group(1)), []).append(m.group(2))
        for i, (cmd, pattern, _) in enumerate(cases):
            got = " ".join(by_line.get(2 * i + 2, []))
            if pattern is None:
                assert not got, (cmd, got)
            else:
                assert re.search(pattern, got), (cmd, got, msgs)
        assert out(p).count("==\n") == len(cases), out(p)  # every line ran
        # Mistakes guestfish catches itself.
        p = fish("-a", img, script="""
run
-nosuchcommand
-cat
-mkdir-mode /m notanumber
-mount
ping-daemon
""")
        assert re.search(r"nosuchcommand: unknown command", err(p)), err(p)
        assert err(p).count("incorrect number of arguments") == 2, err(p)
        assert "invalid integer parameter" in err(p), err(p)
        assert out(p) == ""
        # Without the '-', a failing command ends the script with status 1.
        p = fish("-a", img, "-m", "/dev/sda1", script="cat /nope\necho after\n", check=False)
        assert p.returncode == 1 and "after" not in out(p), (p.returncode, out(p))
        # A command before the appliance is launched: the library says so.
        p = fish("-a", img, "ls", "/", check=False)
        assert p.returncode == 1 and "call launch before" in err(p), err(p)


@test
def test_fish_upload_download():
    with gdtest.tmpdir() as d:
        img = new_fs_image(d, size="96M")
        src = os.path.join(d, "random.bin")
        with open(src, "wb") as f:
            f.write(os.urandom(20 * MiB + 12345))
        empty = os.path.join(d, "empty")
        open(empty, "wb").close()
        back, back_empty = os.path.join(d, "back.bin"), os.path.join(d, "back.empty")
        fish("-a", img, "-m", "/dev/sda1", script=f"""
upload {src} "/random file.bin"
upload {empty} /empty
download "/random file.bin" {back}
download /empty {back_empty}
""")
        assert sha256(back) == sha256(src)
        assert os.path.getsize(back_empty) == 0
        # stdin and stdout: upload - / download -
        run(["guestfish", "-a", img, "-m", "/dev/sda1", "upload", "-", "/from-stdin"],
            input=b"piped\x00bytes\n")
        p = fish("-a", img, "-m", "/dev/sda1", "download", "/from-stdin", "-")
        assert p.stdout == b"piped\x00bytes\n", p.stdout
        # Offsets.
        part = os.path.join(d, "part")
        fish("-a", img, "-m", "/dev/sda1", script=f"""
upload-offset {empty} /from-stdin 3
download-offset "/random file.bin" {part} 1000 5000
""")
        with open(src, "rb") as f:
            f.seek(1000)
            assert open(part, "rb").read() == f.read(5000)
        # A device, both ways (the image is a second, blank disk).
        disk2 = os.path.join(d, "disk2.img")
        with open(disk2, "wb") as f:
            f.truncate(32 * MiB)
        dev_back = os.path.join(d, "dev.back")
        fish("-a", img, "-a", disk2, "run", ":", "upload", src, "/dev/sdb")
        with open(disk2, "rb") as f, open(src, "rb") as s:
            assert f.read(20 * MiB + 12345) == s.read()
        fish("-a", img, "-a", disk2, "run", ":", "download-offset", "/dev/sdb", dev_back,
             "0", str(4 * MiB))
        with open(src, "rb") as s:
            assert open(dev_back, "rb").read() == s.read(4 * MiB)
        # Too big for the device: an error, not a silent truncation.
        big = os.path.join(d, "big")
        with open(big, "wb") as f:
            f.truncate(40 * MiB)
        p = fish("-a", img, "-a", disk2, "run", ":", "upload", big, "/dev/sdb", check=False)
        assert p.returncode == 1 and "upload" in err(p), err(p)


@test
def test_fish_edit_roundtrip():
    with gdtest.tmpdir() as d:
        img = new_fs_image(d, script='mkdir /etc\nwrite /etc/conf "name=foo\\nport=1\\n"\n')
        # write / cat
        p = fish("-a", img, "-m", "/dev/sda1", script="""
write /etc/conf2 "line one\\nline two\\n"
cat /etc/conf2
write-append /etc/conf2 "line three\\n"
cat /etc/conf2
""")
        # (guestfish ends what cat prints with a newline of its own)
        assert out(p) == "line one\nline two\n\nline one\nline two\nline three\n\n", out(p)
        need("mv")
        # edit: download, $EDITOR, upload (mode and owner kept).  guestfish
        # uploads only when the size or ctime changed.
        fish("-a", img, "-m", "/dev/sda1", "chmod", "0640", "/etc/conf")
        fish("-a", img, "-m", "/dev/sda1", "edit", "/etc/conf",
             env={"EDITOR": "sed -i -e s/foo/barbaz/"})
        p = fish("--ro", "-a", img, "-m", "/dev/sda1", "cat", "/etc/conf", ":", "stat", "/etc/conf")
        assert out(p).startswith("name=barbaz\nport=1\n"), out(p)
        mode = int(re.search(r"^mode: (\d+)$", out(p), re.M).group(1))
        assert mode & 0o7777 == 0o640, oct(mode)
        # virt-edit -e, with -m (no inspection).
        run(["virt-edit", "-a", img, "-m", "/dev/sda1", "/etc/conf", "-e", "s/port=1/port=2/"])
        p = run(["virt-cat", "-a", img, "-m", "/dev/sda1", "/etc/conf"])
        assert out(p) == "name=barbaz\nport=2\n", out(p)
        # Through symlinks (absolute, relative, and one that climbs above
        # the root): the guest's file is edited, links and owner are kept.
        fish("-a", img, "-m", "/dev/sda1", script="""
chown 12 34 /etc/conf
ln-s /etc/conf /etc/abs
ln-s conf /etc/rel
ln-s ../../../../etc/conf /etc/esc
""")
        for link in ("abs", "rel", "esc"):
            run(["virt-edit", "-a", img, "-m", "/dev/sda1", "/etc/" + link, "-e", f"s/$/+{link}/"])
        p = fish("--ro", "-a", img, "-m", "/dev/sda1", "cat", "/etc/conf", ":",
                 "lstatns", "/etc/conf", ":", "readlink", "/etc/esc")
        o = out(p)
        assert o.startswith("name=barbaz+abs+rel+esc\nport=2+abs+rel+esc\n"), o
        st = dict(re.findall(r"^(\w+): (-?\d+)$", o, re.M))
        assert (st["st_uid"], st["st_gid"]) == ("12", "34"), st
        assert int(st["st_mode"]) & 0o7777 == 0o640, st
        assert o.rstrip().endswith("../../../../etc/conf"), o
        # virt-edit on a file that does not exist: an error, nothing created.
        p = run(["virt-edit", "-a", img, "-m", "/dev/sda1", "/etc/nope", "-e", "s/a/b/"],
                check=False)
        assert p.returncode != 0 and "nope" in err(p), err(p)


@test
def test_fish_copy_in_out():
    need("tar_in", "tar_out")
    with gdtest.tmpdir() as d:
        tree = make_odd_tree(os.path.join(d, "tree"))
        img = new_fs_image(d, size="64M")
        fish("-a", img, "-m", "/dev/sda1", script=f"""
mkdir /dst
copy-in {tree} /dst
copy-in "{tree}/sub dir" {tree}/empty /
""")
        outdir = os.path.join(d, "out")
        os.mkdir(outdir)
        fish("--ro", "-a", img, "-m", "/dev/sda1", "copy-out", "/dst/tree", "/sub dir", "/empty",
             outdir)
        assert_same_tree(tree, os.path.join(outdir, "tree"))
        assert_same_tree(os.path.join(tree, "sub dir"), os.path.join(outdir, "sub dir"))
        assert open(os.path.join(outdir, "empty"), "rb").read() == b""
        # A file that is not there.
        p = fish("--ro", "-a", img, "-m", "/dev/sda1", "copy-out", "/nope", outdir, check=False)
        assert p.returncode == 1 and "/nope" in err(p), err(p)


@test
def test_fish_tar_in_out():
    need("tar_in", "tar_out")
    with gdtest.tmpdir() as d:
        tree = make_odd_tree(os.path.join(d, "tree"))
        img = new_fs_image(d, size="64M")
        tarball = os.path.join(d, "in.tar")
        run(["tar", "-C", tree, "-cf", tarball, "."])
        outtar = os.path.join(d, "out.tar")
        fish("-a", img, "-m", "/dev/sda1", script=f"""
mkdir /t
tar-in {tarball} /t
tar-out /t {outtar}
""")
        x = os.path.join(d, "x")
        os.mkdir(x)
        run(["tar", "-C", x, "-xf", outtar])
        assert_same_tree(tree, x)
        # Compressed variants, when present.
        if "tgz_in" in implemented() and "tgz_out" in implemented():
            tgz = os.path.join(d, "in.tgz")
            run(["tar", "-C", tree, "-czf", tgz, "."])
            outtgz = os.path.join(d, "out.tgz")
            fish("-a", img, "-m", "/dev/sda1", script=f"""
mkdir /z
tar-in {tgz} /z compress:gzip
tar-out /z {outtgz} compress:gzip
""")
            y = os.path.join(d, "y")
            os.mkdir(y)
            run(["tar", "-C", y, "-xzf", outtgz])
            assert_same_tree(tree, y)
        # A tarball that is not one: an error, the daemon still answers.
        junk = os.path.join(d, "junk.tar")
        with open(junk, "wb") as f:
            f.write(os.urandom(10000))
        p = fish("-a", img, "-m", "/dev/sda1", script=f"-tar-in {junk} /t\nping-daemon\necho ok\n")
        assert "tar_in" in err(p) and out(p) == "ok\n", (err(p), out(p))


@test
def test_tar_out_reads_silently():
    # GNU tar reads what tar-out writes without a warning, for any name
    # (virt-tar-out | tar x is what users do).
    need("tar_out")
    with gdtest.tmpdir() as d:
        tree = make_odd_tree(os.path.join(d, "tree"))
        img = new_fs_image(d, size="64M")
        outtar = os.path.join(d, "out.tar")
        fish("-a", img, "-m", "/dev/sda1", "copy-in", tree, "/", ":", "tar-out", "/tree", outtar)
        x = os.path.join(d, "x")
        os.mkdir(x)
        for opts in (["-tvf"], ["-xf"]):
            p = run(["tar", "-C", x, *opts, outtar])
            assert err(p) == "", err(p)


# The daemon sends the first progress message of an operation after 2 s,
# so a bar shows only for longer ones.  How long an operation on a sparse
# disk takes depends on the machine: the disks grow until it lasts.
PROGRESS_SIZES = (1024 * MiB, 3072 * MiB, 6144 * MiB)
NO_PROGRESS = "an operation over %d MiB lasted under 2 s: no progress message is due"


def sparse_disk(path, size, data_every=None):
    with open(path, "wb") as f:
        f.truncate(size)
        if data_every:
            for off in range(0, size, data_every):
                f.seek(off)
                f.write(b"data" * 1024)
    return path


def timed(fn, *args, **kw):
    t0 = time.monotonic()
    r = fn(*args, **kw)
    return r, time.monotonic() - t0


def check_bar(text, seconds):
    """A bar was printed, and ended at 100%; or the operation was short."""
    if re.search(r"\d+%", text):
        assert "100%" in text, text[-300:]
        assert "\u27e6" in text or "[" in text, text[-300:]  # the bar itself
        return True
    # Launching takes under a second: an operation this long sent progress.
    assert seconds < 4, ("no progress bar after %.1f s" % seconds, text[-300:])
    return False


@test
def test_fish_progress_bars():
    with gdtest.tmpdir() as d:
        for size in PROGRESS_SIZES:
            a = sparse_disk(os.path.join(d, "a.img"), size, data_every=256 * MiB)
            b = sparse_disk(os.path.join(d, "b.img"), size)
            p, t = timed(fish, "--progress-bars", "-a", a, "-a", b, "run", ":",
                         "copy-device-to-device", "/dev/sda", "/dev/sdb", "sparse:true")
            with open(a, "rb") as fa, open(b, "rb") as fb:
                for off in range(0, size, 256 * MiB):
                    fa.seek(off)
                    fb.seek(off)
                    assert fa.read(4096) == fb.read(4096)
            assert os.stat(b).st_blocks * 512 < 64 * MiB  # sparse:true kept it sparse
            if check_bar(out(p), t):
                break
        else:
            skip(NO_PROGRESS % (size // MiB))
        # zero-device of the same disk, written where it holds data.
        p, t = timed(fish, "--progress-bars", "-a", a, "run", ":", "zero-device", "/dev/sda",
                     ":", "is-zero-device", "/dev/sda")
        assert out(p).rstrip().endswith("true"), out(p)[-100:]
        check_bar(out(p), t)
        # Without --progress-bars, none.
        p = fish("-a", b, "run", ":", "zero-device", "/dev/sda")
        assert "%" not in out(p), out(p)[-300:]


@test
def test_fish_upload_progress_bar():
    with gdtest.tmpdir() as d:
        img = new_fs_image(d, size="1200M")
        src = os.path.join(d, "src.bin")
        block = os.urandom(MiB)
        for size in (256 * MiB, 1024 * MiB):
            with open(src, "wb") as f:
                for _ in range(size // MiB):
                    f.write(block)
            p, t = timed(fish, "--progress-bars", "-a", img, "-m", "/dev/sda1", "upload", src,
                         "/big", ":", "filesize", "/big")
            o = out(p)
            assert o.rstrip().endswith(str(size)), o[-200:]
            if check_bar(o, t):
                break
        else:
            skip(NO_PROGRESS % (size // MiB))


@test
def test_fish_glob_ll_find_stat():
    with gdtest.tmpdir() as d:
        img = new_fs_image(d, script="""
mkdir-p "/g/sub dir/deep"
touch "/g/a 1.txt"
touch /g/b.txt
touch /g/c.log
touch "/g/sub dir/x.txt"
ln-s b.txt /g/link
mknod-c 0666 1 3 /g/null
mkfifo 0600 /g/fifo
""")
        p = fish("--ro", "-a", img, "-m", "/dev/sda1", script="""
echo ==glob
glob echo /g/*.txt
echo ==globdir
glob echo /g/*/*.txt
echo ==ll
ll /g
echo ==lstat
lstatns /g/link
echo ==stat
statns /g/link
echo ==lstatfifo
lstatns /g/fifo
echo ==lstatnull
lstatns /g/null
""")
        sec = dict(re.findall(r"==(\w+)\n(.*?)(?=\n==|\Z)", out(p), re.S))
        assert sec["glob"].splitlines() == ["/g/a 1.txt", "/g/b.txt"], sec["glob"]
        assert sec["globdir"].strip() == "/g/sub dir/x.txt", sec["globdir"]
        ll = sec["ll"]
        assert re.search(r"^lrwxrwxrwx .* link -> b\.txt$", ll, re.M), ll
        assert re.search(r"^prw------- .* fifo$", ll, re.M), ll
        assert re.search(r"^crw-r--r-- .* 1, +3 .* null$", ll, re.M), ll  # umask 022
        lst = dict(re.findall(r"^(\w+): (-?\d+)$", sec["lstat"], re.M))
        st = dict(re.findall(r"^(\w+): (-?\d+)$", sec["stat"], re.M))
        assert int(lst["st_mode"]) & 0o170000 == 0o120000
        assert int(st["st_mode"]) & 0o170000 == 0o100000 and st["st_size"] == "0"
        assert lst["st_ino"] != st["st_ino"]
        fifo = dict(re.findall(r"^(\w+): (-?\d+)$", sec["lstatfifo"], re.M))
        assert int(fifo["st_mode"]) & 0o170000 == 0o010000
        null = dict(re.findall(r"^(\w+): (-?\d+)$", sec["lstatnull"], re.M))
        assert int(null["st_mode"]) & 0o170000 == 0o020000
        assert int(null["st_rdev"]) == os.makedev(1, 3), null
        # find lists everything below a directory, relative names with the
        # original's leading "/" (none after "/g/").
        need("find0")
        p = fish("--ro", "-a", img, "-m", "/dev/sda1", "find", "/g")
        assert sorted(out(p).splitlines()) == sorted([
            "/a 1.txt", "/b.txt", "/c.log", "/fifo", "/link", "/null", "/sub dir",
            "/sub dir/deep", "/sub dir/x.txt"]), out(p)
        p = fish("--ro", "-a", img, "-m", "/dev/sda1", "find", "/g/")
        assert "sub dir/x.txt" in out(p).splitlines(), out(p)


# ============================================================================
# virt-* tools
# ============================================================================

@test
def test_virt_ls_cat():
    with gdtest.tmpdir() as d:
        img = new_fs_image(d, script="""
mkdir-p "/d/sub dir"
write "/d/sub dir/file one" "12345"
write /d/two "ab"
ln-s two /d/link
chmod 0600 /d/two
""")
        p = run(["virt-ls", "-a", img, "-m", "/dev/sda1", "-lR", "/d"])
        lines = out(p).splitlines()
        assert re.match(r"d 0755 +\d+ /d$", lines[0]), lines
        assert "- 0644          5 /d/sub dir/file one" in lines, lines
        assert "- 0600          2 /d/two" in lines, lines
        assert "l 0777          3 /d/link -> two" in lines, lines
        p = run(["virt-ls", "-a", img, "-m", "/dev/sda1", "/"])
        assert out(p).split() == ["d", "lost+found"], out(p)
        # --long --time-t --uids: numbers that lstatns gives.
        p = run(["virt-ls", "-a", img, "-m", "/dev/sda1", "-lR", "--uids", "--time-t", "/d"])
        assert re.search(r"^- 0600 +2 +0 +0 +\d+ +\d+ +\d+ /d/two$", out(p), re.M), out(p)
        p = run(["virt-cat", "-a", img, "-m", "/dev/sda1", "/d/sub dir/file one", "/d/link"])
        assert out(p) == "12345ab", out(p)
        p = run(["virt-cat", "-a", img, "-m", "/dev/sda1", "/d/nope"], check=False)
        assert p.returncode == 1 and "/d/nope: No such file or directory" in err(p), err(p)
        p = run(["virt-ls", "-a", img, "-m", "/dev/sda1", "/nope"], check=False)
        assert p.returncode == 1 and "/nope" in err(p), err(p)
        # Without -l, -R lists names through find.
        need("find0")
        p = run(["virt-ls", "-a", img, "-m", "/dev/sda1", "-R", "/d"])
        # find's names, with the original's leading "/" (docs/differences.md).
        assert sorted(out(p).splitlines()) == ["/link", "/sub dir", "/sub dir/file one", "/two"]


@test
def test_virt_ls_checksum():
    need("checksum")
    with gdtest.tmpdir() as d:
        img = new_fs_image(d, script='write /a "hello"\nwrite /b ""\n')
        p = run(["virt-ls", "-a", img, "-m", "/dev/sda1", "--checksum=sha256", "-lR", "/"])
        o = out(p)
        assert hashlib.sha256(b"hello").hexdigest() + " /a" in o, o
        assert hashlib.sha256(b"").hexdigest() + " /b" in o, o
        p = run(["virt-ls", "-a", img, "-m", "/dev/sda1", "--checksum", "-lR", "/"])
        assert hashlib.md5(b"hello").hexdigest() in out(p), out(p)


@test
def test_virt_copy_in_out():
    need("inspect_os", "tar_in", "tar_out")
    with gdtest.tmpdir() as d:
        img = make_os_image(d)
        tree = make_odd_tree(os.path.join(d, "tree"))
        run(["virt-copy-in", "-a", img, tree, "/home/user"])
        outdir = os.path.join(d, "out")
        os.mkdir(outdir)
        run(["virt-copy-out", "-a", img, "/home/user/tree", "/etc/hostname", outdir])
        assert_same_tree(tree, os.path.join(outdir, "tree"))
        assert open(os.path.join(outdir, "hostname")).read() == "qa-guest\n"
        p = run(["virt-copy-in", "-a", img, tree, "/no/such/dir"], check=False)
        assert p.returncode != 0 and "/no/such/dir" in err(p), err(p)


@test
def test_virt_tar_in_out():
    need("inspect_os", "tar_in", "tar_out")
    with gdtest.tmpdir() as d:
        img = make_os_image(d)
        tree = make_odd_tree(os.path.join(d, "tree"))
        tarball = os.path.join(d, "t.tar")
        run(["tar", "-C", tree, "-cf", tarball, "."])
        run(["virt-tar-in", "-a", img, tarball, "/home/user"])
        p = run(["virt-tar-out", "-a", img, "/home/user", "-"])
        x = os.path.join(d, "x")
        os.mkdir(x)
        with tarfile.open(fileobj=__import__("io").BytesIO(p.stdout)) as t:
            names = set(os.fsencode(n).lstrip(b"./") for n in t.getnames())
        assert b"notes.txt" in names and b"sub dir/deep/random.bin" in names, sorted(names)[:20]
        run(["tar", "-C", x, "-xf", "-"], input=p.stdout)
        os.unlink(os.path.join(x, "notes.txt"))
        assert_same_tree(tree, x)
        # gzip both ways (guestfish's tar-in/tar-out optional arguments).
        need("tgz_in", "tgz_out")
        tgz = os.path.join(d, "t.tgz")
        run(["tar", "-C", os.path.join(tree, "sub dir"), "-czf", tgz, "."])
        run(["virt-tar-in", "-a", img, tgz, "/var/log", "compress:gzip"])
        p = run(["virt-tar-out", "-a", img, "/var/log", "-", "compress:gzip"])
        p = run(["tar", "-tzf", "-"], input=p.stdout)
        assert "./syslog" in out(p).splitlines() and "./deep/random.bin" in out(p).splitlines()


@test
def test_virt_make_fs():
    need("tar_in")
    with gdtest.tmpdir() as d:
        tree = make_odd_tree(os.path.join(d, "tree"))
        tarball = os.path.join(d, "t.tar.gz")
        run(["tar", "-C", tree, "-czf", tarball, "."])
        cases = [("ext2", []), ("ext3", ["--partition"]), ("ext4", ["--partition=gpt"]),
                 ("ext4", ["--label=QA"]), ("xfs", ["--size=320M"])]
        if gdtest.have_program("mkntfs"):
            cases.append(("ntfs", ["--size=+16M"]))
        # NTFS names are UTF-16: a tree it can hold.
        simple = os.path.join(d, "simple")
        os.makedirs(os.path.join(simple, "sub dir"))
        for n in ("a file", "\u00e9t\u00e9", "sub dir/x"):
            with open(os.path.join(simple, n), "w") as f:
                f.write(n)
        for n, (fstype, extra) in enumerate(cases):
            outimg = os.path.join(d, f"{n}-{fstype}.img")
            if os.path.exists(outimg):
                os.unlink(outimg)
            src = {"ext2": tarball, "ntfs": simple}.get(fstype, tree)
            run(["virt-make-fs", f"--type={fstype}", *(extra or ["--size=+8M"]),
                 *(["--size=+8M"] if extra and not any(e.startswith("--size") for e in extra)
                   else []), src, outimg])
            dev = "/dev/sda1" if any(e.startswith("--partition") for e in extra) else "/dev/sda"
            p = fish("--ro", "-a", outimg, "run", ":", "vfs-type", dev, ":", "vfs-label", dev)
            assert out(p).splitlines()[0] == fstype, (fstype, extra, out(p))
            if "--label=QA" in extra:
                assert out(p).splitlines()[1] == "QA", out(p)
            if "--partition=gpt" in extra:
                p = fish("--ro", "-a", outimg, "run", ":", "part-get-parttype", "/dev/sda")
                assert out(p).strip() == "gpt"
            if fstype == "ntfs":
                p = fish("--ro", "-a", outimg, "-m", dev, "cat", "/\u00e9t\u00e9", ":",
                         "cat", "/sub dir/x")
                assert out(p) == "\u00e9t\u00e9\nsub dir/x\n", out(p)
                continue
            got = os.path.join(d, f"got-{n}")
            os.mkdir(got)
            fish("--ro", "-a", outimg, "-m", dev, "copy-out", "/", got)
            shutil.rmtree(os.path.join(got, "lost+found"), ignore_errors=True)
            a, b = snapshot(tree), snapshot(got)
            a.pop(b".", None)
            b.pop(b".", None)
            assert a == b, (fstype, sorted(set(a) ^ set(b))[:5],
                            [(k, a[k], b.get(k)) for k in a if a[k] != b.get(k)][:3])


@test
def test_virt_format():
    need("lvm_scan")
    with gdtest.tmpdir() as d:
        img = os.path.join(d, "f.img")
        with open(img, "wb") as f:
            f.truncate(400 * MiB)
        new_img = new_fs_image(d, "old.img", size="400M", script='write /old "x"\n')
        os.replace(new_img, img)
        run(["virt-format", "-a", img, "--filesystem=ext4"])
        p = fish("--ro", "-a", img, "run", ":", "list-filesystems", ":",
                 "part-get-parttype", "/dev/sda")
        assert out(p).splitlines() == ["/dev/sda1: ext4", "msdos"], out(p)
        p = fish("--ro", "-a", img, "-m", "/dev/sda1", "ls", "/")
        assert "old" not in out(p).split(), out(p)
        run(["virt-format", "-a", img, "--partition=gpt", "--filesystem=xfs", "--label=QAX"])
        p = fish("--ro", "-a", img, "run", ":", "list-filesystems", ":",
                 "part-get-parttype", "/dev/sda", ":", "vfs-label", "/dev/sda1")
        assert out(p).splitlines() == ["/dev/sda1: xfs", "gpt", "QAX"], out(p)
        run(["virt-format", "-a", img, "--partition=none", "--filesystem=ext2"])
        p = fish("--ro", "-a", img, "run", ":", "list-filesystems")
        assert out(p).strip() == "/dev/sda: ext2", out(p)
        run(["virt-format", "-a", img, "--partition=mbr"])
        p = fish("--ro", "-a", img, "run", ":", "list-partitions", ":", "list-filesystems")
        assert out(p).splitlines() == ["/dev/sda1", "/dev/sda1: unknown"], out(p)
        # Two disks at once.
        img2 = os.path.join(d, "g.img")
        with open(img2, "wb") as f:
            f.truncate(64 * MiB)
        run(["virt-format", "-a", img, "-a", img2, "--filesystem=ext3"])
        p = fish("--ro", "-a", img, "-a", img2, "run", ":", "list-filesystems")
        assert out(p).splitlines() == ["/dev/sda1: ext3", "/dev/sdb1: ext3"], out(p)


@test
def test_virt_format_lvm():
    # --lvm needs device-mapper, which this host does not have: the tool
    # fails with a clear message, the daemon with ENOTSUP.
    need("lvm_scan", "pvcreate")
    with gdtest.tmpdir() as d:
        img = os.path.join(d, "f.img")
        with open(img, "wb") as f:
            f.truncate(200 * MiB)
        p = run(["virt-format", "-a", img, "--lvm", "--filesystem=ext4"], check=False)
        if p.returncode == 0:
            q = fish("--ro", "-a", img, "run", ":", "lvs")
            assert "/dev/VG/LV" in out(q), out(q)
        else:
            assert re.search(r"not supported|not available|device.mapper", err(p), re.I), err(p)
            # The procedure that cannot work here says so with ENOTSUP.
            with gdtest.handle(images=[img]) as g:
                if "VG" in g.vgs():
                    expect_error(g, g.lvcreate_free, "LV", "VG", 100, errno=errno.ENOTSUP)
                else:
                    expect_error(g, g.pvcreate, "/dev/sda1", errno=errno.ENOTSUP)


@test
def test_virt_resize():
    need("lvm_set_filter", "lvs", "pvs_full")
    with gdtest.tmpdir() as d:
        src = new_fs_image(d, "src.img", size="64M", script="""
mkdir /d
write /d/f "resized"
""")
        before = sha256(src)
        dst = os.path.join(d, "dst.img")
        with open(dst, "wb") as f:
            f.truncate(160 * MiB)
        run(["virt-resize", "--expand", "/dev/sda1", src, dst])
        assert sha256(src) == before  # the source is only read
        p = fish("--ro", "-a", dst, "-m", "/dev/sda1", script="""
cat /d/f
vfs-type /dev/sda1
statvfs /
part-get-parttype /dev/sda
""")
        o = out(p)
        assert o.startswith("resized\next4\n"), o
        sv = dict(re.findall(r"^(\w+): (-?\d+)$", o, re.M))
        assert int(sv["blocks"]) * int(sv["frsize"]) > 120 * MiB, sv
        assert o.rstrip().endswith("msdos"), o


@test
def test_virt_sparsify_in_place():
    need("lvs", "vgs", "lvs_full", "is_lv")
    with gdtest.tmpdir() as d:
        img = new_fs_image(d, size="128M")
        data = os.path.join(d, "data")
        with open(data, "wb") as f:
            f.write(os.urandom(40 * MiB))
        fish("-a", img, "-m", "/dev/sda1", "upload", data, "/junk", ":", "sync", ":",
             "rm", "/junk", ":", "write", "/kept", "still here")
        used = os.stat(img).st_blocks * 512
        run(["virt-sparsify", "--in-place", img])
        after = os.stat(img).st_blocks * 512
        assert after < used - 30 * MiB, (used, after)  # the deleted file's blocks
        p = fish("--ro", "-a", img, "-m", "/dev/sda1", "cat", "/kept")
        assert out(p) == "still here\n", out(p)


@test
def test_virt_alignment_scan():
    with gdtest.tmpdir() as d:
        img = os.path.join(d, "a.img")
        fish("-N", f"{img}=disk:64M", script="""
part-init /dev/sda mbr
part-add /dev/sda p 63 20479
part-add /dev/sda p 20480 -1
""")
        p = run(["virt-alignment-scan", "-a", img], check=False)
        lines = out(p).splitlines()
        assert lines[0].split()[:2] == ["/dev/sda1", str(63 * 512)], lines
        assert lines[0].split()[-1] != "ok", lines
        assert lines[1].split()[:2] == ["/dev/sda2", str(20480 * 512)], lines
        assert lines[1].split()[-1] == "ok", lines
        assert p.returncode == 3, p.returncode  # some partitions are not aligned


@test
def test_virt_df():
    with gdtest.tmpdir() as d:
        img = new_fs_image(d, size="96M", script="fallocate64 /big %d\n" % (20 * MiB))
        img2 = new_fs_image(d, "two.img", fstype="ext2", size="32M")
        p = fish("--ro", "-a", img, "-m", "/dev/sda1", "statvfs", "/")
        sv = dict(re.findall(r"^(\w+): (-?\d+)$", out(p), re.M))
        p = run(["virt-df", "-a", img, "-a", img2])
        lines = out(p).splitlines()
        assert lines[0].split() == ["Filesystem", "1K-blocks", "Used", "Available", "Use%"], lines
        row = lines[1].split()
        # Several -a make one guest, named after its first disk.
        assert row[0] == os.path.basename(img) + "+:/dev/sda1", row
        k = int(sv["frsize"]) // 1024
        assert int(row[1]) == int(sv["blocks"]) * k, (row, sv)
        assert int(row[3]) == int(sv["bavail"]) * k, (row, sv)
        assert int(row[2]) >= 20 * 1024, row
        assert lines[2].split()[0] == os.path.basename(img) + "+:/dev/sdb1", lines
        p = run(["virt-df", "-a", img, "--inodes", "--csv"])
        rows = out(p).splitlines()
        assert rows[0].startswith("VirtualMachine,Filesystem,Inodes,IUsed"), rows
        r = rows[1].split(",")
        assert r[:3] == [os.path.basename(img), "/dev/sda1", sv["files"]], (rows, sv)
        assert int(r[4]) == int(sv["ffree"]), (rows, sv)
        p = run(["virt-df", "-a", img, "-h"])
        assert re.search(r"\d+M", out(p)), out(p)


@test
def test_virt_filesystems():
    with gdtest.tmpdir() as d:
        img = os.path.join(d, "fs.img")
        fish("-N", f"{img}=bootroot:ext2:ext4:96M:32M", script="""
set-label /dev/sda1 BOOT
set-label /dev/sda2 ROOT
""")
        p = run(["virt-filesystems", "-a", img, "--filesystems", "--long", "--uuid"])
        lines = [line.split() for line in out(p).splitlines()]
        assert lines[0][:4] == ["Name", "Type", "VFS", "Label"], lines
        rows = {r[0]: r for r in lines[1:]}
        assert rows["/dev/sda1"][1:4] == ["filesystem", "ext2", "BOOT"], rows
        assert rows["/dev/sda2"][1:4] == ["filesystem", "ext4", "ROOT"], rows
        p = run(["virt-filesystems", "-a", img, "--partitions", "--long", "--csv"])
        rows = [r.split(",") for r in out(p).splitlines()]
        assert rows[0] == ["Name", "Type", "MBR", "Size", "Parent"], rows
        assert rows[1] == ["/dev/sda1", "partition", "83", str(32 * MiB), "/dev/sda"], rows
        p = run(["virt-filesystems", "-a", img, "--all", "--long"], check=False)
        if p.returncode != 0 and "lvs" not in implemented():
            skip("virt-filesystems --all calls lvs: not implemented yet (lvm.c)")
        assert p.returncode == 0, err(p)
        names = [line.split()[0] for line in out(p).splitlines()[1:]]
        assert names == ["/dev/sda1", "/dev/sda2", "/dev/sda1", "/dev/sda2", "/dev/sda"], names


@test
def test_virt_diff():
    need("inspect_os")
    with gdtest.tmpdir() as d:
        a = make_os_image(d, "a.img")
        b = os.path.join(d, "b.img")
        shutil.copyfile(a, b)
        fish("-a", b, "-m", "/dev/sda1", script="""
write /etc/hostname "other\\n"
rm /var/log/syslog
touch /newfile
""")
        p = run(["virt-diff", "-a", a, "-A", b])
        o = out(p)
        # Only what changed: identical files on two disks are identical.
        assert "st_dev" not in o, o[:2000]
        assert re.search(r"^= - 0644 +9 /etc/hostname$", o, re.M), o
        assert "-qa-guest\n+other\n" in o, o
        assert re.search(r"^- - 0644 +\d+ /var/log/syslog$", o, re.M), o
        assert re.search(r"^\+ - 0644 +0 /newfile$", o, re.M), o
        assert "/bin/ls" not in o and "/etc/fstab" not in o, o
        p = run(["virt-diff", "-a", a, "-A", a])
        assert out(p) == "", out(p)


@test
def test_device_numbers_as_in_the_appliance():
    # What virt-diff compares: st_dev of the same file on two copies of an
    # image, served by two handles, is the same, and it is the number the
    # appliance gives the guest's device (8:1 for /dev/sda1), not a loop
    # device's.  blkid's PART_ENTRY_DISK too.
    with gdtest.tmpdir() as d:
        a = new_fs_image(d, "a.img", script='write /f "x"\n')
        b = os.path.join(d, "b.img")
        shutil.copyfile(a, b)
        devs = []
        for imgs in ([a], [b], [b, a]):
            with gdtest.handle(readonly_images=imgs) as g:
                g.mount_ro("/dev/sda1", "/")
                devs.append(g.lstatns("/f")["st_dev"])
                assert g.statns("/")["st_dev"] == devs[-1]
                assert g.lstatnslist("/", ["f"])[0]["st_dev"] == devs[-1]
                assert g.blkid("/dev/sda1")["PART_ENTRY_DISK"] == "8:0"
                if len(imgs) == 2:
                    g.umount_all()
                    g.mount_ro("/dev/sdb1", "/")
                    assert g.lstatns("/f")["st_dev"] == os.makedev(8, 17)
                    assert g.blkid("/dev/sdb1")["PART_ENTRY_DISK"] == "8:16"
        assert devs == [os.makedev(8, 1)] * 3, devs


@test
def test_read_only_tools_on_a_dirty_filesystem():
    # The disk of a running or crashed guest: an ext4 whose journal needs
    # replaying.  The read-only tools still read it (the appliance would
    # replay into its overlay; a host mounts without replaying), and the
    # image is not written.
    if not (gdtest.have_program("mkfs.ext4") and gdtest.have_program("debugfs")):
        skip("needs mkfs.ext4 and debugfs")
    with gdtest.tmpdir() as d:
        tree = os.path.join(d, "tree")
        os.makedirs(os.path.join(tree, "etc"))
        with open(os.path.join(tree, "etc", "hostname"), "w") as f:
            f.write("dirty\n")
        img = os.path.join(d, "dirty.img")
        with open(img, "wb") as f:
            f.truncate(32 * MiB)
        run(["mkfs.ext4", "-q", "-F", "-d", tree, img])
        run(["debugfs", "-w", "-R", "feature needs_recovery", img])
        before = sha256(img)
        p = fish("--ro", "-a", img, "-m", "/dev/sda", "cat", "/etc/hostname")
        assert out(p) == "dirty\n\n", out(p)
        p = run(["virt-cat", "-a", img, "-m", "/dev/sda", "/etc/hostname"])
        assert out(p) == "dirty\n", out(p)
        p = run(["virt-ls", "-a", img, "-m", "/dev/sda", "-lR", "/etc"])
        assert re.search(r"^- 0644 +6 /etc/hostname$", out(p), re.M), out(p)
        p = run(["virt-df", "-a", img])
        assert ":/dev/sda " in out(p), out(p)
        with gdtest.handle(readonly_images=[img]) as g:
            g.mount("/dev/sda", "/")  # asked read-write: read-only all the same
            assert g.cat("/etc/hostname") == "dirty\n"
            expect_error(g, g.write, "/x", "y", errno=30)
        assert sha256(img) == before


@test
def test_virt_inspector():
    need("inspect_os")
    with gdtest.tmpdir() as d:
        img = make_os_image(d)
        p = run(["virt-inspector", "-a", img])
        o = out(p)
        for s in ["<root>/dev/sda1</root>", "<distro>debian</distro>", "<major_version>12",
                  "<hostname>qa-guest</hostname>", "<name>hello</name>",
                  '<mountpoint dev="/dev/sda1">/</mountpoint>', "<arch>x86_64</arch>"]:
            assert s in o, (s, o)


@test
def test_virt_log():
    need("inspect_os")
    with gdtest.tmpdir() as d:
        img = make_os_image(d)
        p = run(["virt-log", "-a", img])
        assert "kernel: first line" in out(p) and "kernel: second line" in out(p), out(p)


@test
def test_virt_rescue():
    skip("virt-rescue needs the appliance's serial console and a shell in a VM; "
         "host mode has neither")


# ============================================================================
# guestmount
# ============================================================================

def _wait_gone(pid, timeout=30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise AssertionError(f"guestmount {pid} did not exit")


@test
def test_guestmount():
    if not os.path.exists("/dev/fuse"):
        skip("no /dev/fuse")
    with gdtest.tmpdir() as d:
        img = new_fs_image(d, script="""
mkdir-p "/dir/sub dir"
write "/dir/sub dir/f" "hello\\n"
write /dir/g "0123456789"
ln-s g /dir/link
setxattr user.colour red 3 /dir/g
""")
        mnt = os.path.join(d, "mnt")
        os.mkdir(mnt)
        pidfile = os.path.join(d, "pid")
        run(["guestmount", "-a", img, "-m", "/dev/sda1", "--pid-file", pidfile, mnt])
        pid = int(open(pidfile).read())
        try:
            p = run(["ls", "-lR", mnt])
            o = out(p)
            assert re.search(r"^lrwxrwxrwx .* link -> g$", o, re.M), o
            assert re.search(r"^-rw-r--r-- +1 root root +10 .* g$", o, re.M), o
            assert "sub dir:" in o, o
            assert open(os.path.join(mnt, "dir/sub dir/f")).read() == "hello\n"
            assert open(os.path.join(mnt, "dir/link")).read() == "0123456789"
            with open(os.path.join(mnt, "dir/g"), "rb") as f:
                f.seek(3)
                assert f.read(4) == b"3456"
            # write, append, truncate, mkdir, rename, rm, chmod, symlinks
            with open(os.path.join(mnt, "new"), "w") as f:
                f.write("x" * 100000)
            with open(os.path.join(mnt, "new"), "a") as f:
                f.write("tail")
            assert os.path.getsize(os.path.join(mnt, "new")) == 100004
            os.truncate(os.path.join(mnt, "new"), 10)
            assert open(os.path.join(mnt, "new")).read() == "x" * 10
            os.mkdir(os.path.join(mnt, "made"))
            os.rename(os.path.join(mnt, "new"), os.path.join(mnt, "made", "moved"))
            os.chmod(os.path.join(mnt, "made", "moved"), 0o751)
            assert os.stat(os.path.join(mnt, "made", "moved")).st_mode & 0o7777 == 0o751
            os.symlink("made/moved", os.path.join(mnt, "sl"))
            assert os.readlink(os.path.join(mnt, "sl")) == "made/moved"
            assert open(os.path.join(mnt, "sl")).read() == "x" * 10
            os.link(os.path.join(mnt, "dir/g"), os.path.join(mnt, "hard"))
            assert os.stat(os.path.join(mnt, "dir/g")).st_nlink == 2
            os.unlink(os.path.join(mnt, "dir/sub dir/f"))
            os.rmdir(os.path.join(mnt, "dir/sub dir"))
            assert sorted(os.listdir(os.path.join(mnt, "dir"))) == ["g", "link"]
            try:
                os.rmdir(os.path.join(mnt, "made"))
                raise AssertionError("rmdir of a non-empty directory succeeded")
            except OSError as e:
                assert e.errno == 39, e  # ENOTEMPTY
            try:
                open(os.path.join(mnt, "nope"))
                raise AssertionError("opened a missing file")
            except FileNotFoundError:
                pass
            # xattrs (getfattr / setfattr)
            assert os.getxattr(os.path.join(mnt, "dir/g"), "user.colour") == b"red"
            p = run(["getfattr", "-d", os.path.join(mnt, "dir/g")])
            assert 'user.colour="red"' in out(p), out(p)
            # (values travel as C strings in the protocol: no NUL bytes)
            os.setxattr(os.path.join(mnt, "made"), "user.k", b"v w")
            assert os.getxattr(os.path.join(mnt, "made"), "user.k") == b"v w"
            os.removexattr(os.path.join(mnt, "dir/g"), "user.colour")
            assert "user.colour" not in os.listxattr(os.path.join(mnt, "dir/g"))
            sv = os.statvfs(mnt)
            assert sv.f_blocks > 0 and sv.f_namemax == 255
        finally:
            run(["guestunmount", mnt])
        _wait_gone(pid)
        assert not os.path.ismount(mnt)
        # What was done through FUSE is on the disk.
        p = fish("--ro", "-a", img, "-m", "/dev/sda1", script="""
cat /made/moved
readlink /sl
ls /dir
getxattr /made user.k
""")
        assert out(p).startswith("xxxxxxxxxx\nmade/moved\ng\nlink\n"), out(p)
        # Read-only: writes are refused, the image is unchanged.
        before = sha256(img)
        run(["guestmount", "--ro", "-a", img, "-m", "/dev/sda1", "--pid-file", pidfile, mnt])
        pid = int(open(pidfile).read())
        try:
            assert open(os.path.join(mnt, "made/moved")).read() == "x" * 10
            try:
                open(os.path.join(mnt, "w"), "w").close()
                raise AssertionError("wrote through a read-only guestmount")
            except OSError as e:
                assert e.errno == 30, e  # EROFS
        finally:
            run(["guestunmount", mnt])
        _wait_gone(pid)
        assert sha256(img) == before


# ============================================================================
# Python bindings
# ============================================================================

@test
def test_python_progress_events():
    with gdtest.tmpdir() as d:
        for size in PROGRESS_SIZES:
            img = sparse_disk(os.path.join(d, "p.img"), size)
            g = guestfs.GuestFS(python_return_dict=True)
            events = []

            def cb(ev, eh, buf, array):
                events.append((ev, array))
            eh = g.set_event_callback(cb, guestfs.EVENT_PROGRESS)
            g.add_drive_opts(img, format="raw")
            g.launch()
            _, t = timed(g.zero_device, "/dev/sda")
            prog = [a for ev, a in events if ev == guestfs.EVENT_PROGRESS]
            if prog or t >= 2.5:
                break
            g.close()
        else:
            skip(NO_PROGRESS % (size // MiB))
        assert prog, "no progress event for a zero_device of %.1f s" % t
        pos = [a[2] for a in prog]
        assert pos == sorted(pos) and prog[-1][2] == prog[-1][3] == size, prog[-3:]
        assert len({a[0] for a in prog}) == 1  # one procedure number
        # After delete_event_callback, none.
        g.delete_event_callback(eh)
        n = len(events)
        g.zero_device("/dev/sda")
        assert len(events) == n
        g.shutdown()
        g.close()


@test
def test_python_appliance_log():
    with gdtest.tmpdir() as d:
        img = new_fs_image(d)
        g = guestfs.GuestFS(python_return_dict=True)
        log = []
        g.set_event_callback(lambda ev, eh, buf, array: log.append(buf),
                             guestfs.EVENT_APPLIANCE)
        g.set_verbose(True)
        g.add_drive_opts(img, format="raw")
        g.launch()
        g.mount("/dev/sda1", "/")
        try:
            g.cat("/nope")
        except RuntimeError:
            pass
        g.shutdown()
        g.close()
        text = "".join(b if isinstance(b, str) else b.decode(errors="replace") for b in log)
        # The daemon's own log of each request reaches the application.
        assert "mount" in text and "/nope" in text, text[-2000:]
        # Not verbose: no daemon chatter.
        g = guestfs.GuestFS(python_return_dict=True)
        quiet = []
        g.set_event_callback(lambda ev, eh, buf, array: quiet.append(buf),
                             guestfs.EVENT_APPLIANCE)
        g.add_drive_opts(img, format="raw")
        g.launch()
        g.mount("/dev/sda1", "/")
        g.shutdown()
        g.close()
        assert not any("guestfsd" in (b if isinstance(b, str) else b.decode(errors="replace"))
                       for b in quiet), quiet


def _loop_attached(path):
    p = subprocess.run(["losetup", "-j", path], capture_output=True, text=True)
    return p.stdout.strip() != ""


@test
def test_python_close_shutdown():
    with gdtest.tmpdir() as d:
        img = new_fs_image(d)
        # shutdown syncs, then calls need a new launch; shutdown twice is fine.
        g = guestfs.GuestFS(python_return_dict=True)
        g.add_drive_opts(img, format="raw")
        g.launch()
        pid = g.get_pid()
        g.mount("/dev/sda1", "/")
        g.write("/a", "1")
        g.shutdown()
        _wait_gone(pid)
        assert not _loop_attached(img)
        expect_error(g, g.cat, "/a", match="call launch before")
        g.shutdown()
        g.close()
        try:
            g.cat("/a")
            raise AssertionError("call on a closed handle succeeded")
        except guestfs.ClosedHandle:
            pass
        # close without shutdown: the data are on the disk all the same,
        # with or without autosync.
        for autosync in (True, False):
            g = guestfs.GuestFS(python_return_dict=True)
            g.set_autosync(autosync)
            closed = []
            g.set_event_callback(lambda *a: closed.append(1), guestfs.EVENT_CLOSE)
            g.add_drive_opts(img, format="raw")
            g.launch()
            pid = g.get_pid()
            g.mount("/dev/sda1", "/")
            g.write(f"/b{int(autosync)}", "2")
            g.close()
            assert closed == [1]
            _wait_gone(pid)
            assert not _loop_attached(img)
        with gdtest.handle(readonly_images=[img]) as g:
            g.mount_ro("/dev/sda1", "/")
            assert g.cat("/a") == "1" and g.cat("/b1") == "2" and g.cat("/b0") == "2"
        # A handle that is never launched, and a launch that fails.
        guestfs.GuestFS().close()
        g = guestfs.GuestFS(python_return_dict=True)
        g.add_drive_opts(img, format="raw")
        bad = os.path.join(d, "not-an-image")
        os.mkdir(bad)
        g.add_drive_opts(bad, format="raw")
        try:
            g.launch()
            raise AssertionError("launch with a directory as a disk succeeded")
        except RuntimeError:
            pass
        g.close()
        assert not _loop_attached(img)


@test
def test_python_user_cancel():
    # user_cancel (guestfish's ^C) during a transfer: the call fails with
    # "operation cancelled", the handle stays usable.
    import threading
    with gdtest.tmpdir() as d:
        # Room for /big and a whole second GiB: the upload must be stopped by
        # the cancel, never by a full filesystem.
        img = new_fs_image(d, size="2400M", script="fallocate64 /big %d\n" % (1024 * MiB))
        src = sparse_disk(os.path.join(d, "src"), 1024 * MiB)
        dst = os.path.join(d, "dst")
        g = guestfs.GuestFS(python_return_dict=True)
        g.add_drive_opts(img, format="raw")
        g.launch()
        try:
            g.mount("/dev/sda1", "/")
            for name, call in [("download", lambda: g.download("/big", dst)),
                               ("upload", lambda: g.upload(src, "/up")),
                               ("download of a device", lambda: g.download("/dev/sda", dst))]:
                timer = threading.Timer(0.3, g.user_cancel)
                timer.start()
                try:
                    _, t = timed(call)
                    if t > 1:
                        raise AssertionError(f"{name} ran {t:.1f} s and was not cancelled")
                except RuntimeError as e:
                    assert "cancelled" in str(e), (name, e)
                timer.join()
                assert g.filesize("/big") == 1024 * MiB
                assert "lost+found" in g.ls("/")
        finally:
            g.shutdown()
            g.close()


@test
def test_python_drive_order():
    # Guest names follow the order of add_drive whatever each drive's
    # read-only flag (virt-resize adds its source read-only, then the
    # target: swapping them would write to the wrong disk).
    with gdtest.tmpdir() as d:
        spec = [(16, True), (24, False), (32, True), (40, False), (48, False)]
        g = guestfs.GuestFS(python_return_dict=True)
        for i, (size, ro) in enumerate(spec):
            path = os.path.join(d, f"{i}.img")
            with open(path, "wb") as f:
                f.truncate(size * MiB)
            g.add_drive_opts(path, format="raw", readonly=ro)
        g.launch()
        try:
            devs = g.list_devices()
            assert devs == ["/dev/sd" + c for c in "abcde"], devs
            assert [g.blockdev_getsize64(x) for x in devs] == [s * MiB for s, _ in spec]
            for x, (_, ro) in zip(devs, spec):
                if ro:
                    expect_error(g, g.pwrite_device, x, b"x", 0, errno=30)
                else:
                    g.pwrite_device(x, b"x", 0)
        finally:
            g.shutdown()
            g.close()
        for i, (_, ro) in enumerate(spec):
            with open(os.path.join(d, f"{i}.img"), "rb") as f:
                assert f.read(1) == (b"\0" if ro else b"x"), i


@test
def test_qcow2_not_served_as_raw():
    # The library names no format unless the user gives one, and qemu
    # would probe: a qcow2 file must be served as qcow2 (its 64 MiB
    # virtual disk, tests/client/test-formats.py), never (and never
    # written) as a raw disk of its file's size.
    if not gdtest.have_program("qemu-img"):
        skip("no qemu-img")
    if not os.access("/usr/bin/qemu-storage-daemon", os.X_OK) or not os.path.exists("/dev/fuse"):
        skip("needs qemu-storage-daemon and /dev/fuse")
    with gdtest.tmpdir() as d:
        q = os.path.join(d, "q.qcow2")
        run(["qemu-img", "create", "-q", "-f", "qcow2", q, "64M"])
        before = sha256(q)
        for args in (["--ro", "-a", q], ["-a", q], ["--format=qcow2", "-a", q]):
            p = fish(*args, "run", ":", "blockdev-getsize64", "/dev/sda")
            assert out(p) == "%d\n" % (64 * MiB), (args, out(p))
            if args[0] == "--ro":
                assert sha256(q) == before
        assert "No errors were found" in run(["qemu-img", "check", q]).stdout.decode()
        # A raw image is probed as raw.
        img = new_fs_image(d)
        p = fish("-a", img, "run", ":", "list-filesystems")
        assert out(p) == "/dev/sda1: ext4\n"


@test
def test_python_readonly_drive():
    with gdtest.tmpdir() as d:
        img = new_fs_image(d, script='write /f "original"\n')
        before = sha256(img)
        g = guestfs.GuestFS(python_return_dict=True)
        g.add_drive_opts(img, format="raw", readonly=True)
        g.launch()
        try:
            g.mount_ro("/dev/sda1", "/")
            assert g.cat("/f") == "original"
            expect_error(g, g.write, "/f", "new", errno=30)        # EROFS
            expect_error(g, g.mkdir, "/d", errno=30)
            g.umount_all()
            # A rw mount of a read-only drive is still read-only.
            g.mount("/dev/sda1", "/")
            expect_error(g, g.write, "/f", "new", errno=30)
            expect_error(g, g.touch, "/f", errno=30)
            g.umount_all()
            # Writes to the device itself.
            expect_error(g, g.pwrite_device, "/dev/sda", b"x", 0, errno=30)
            expect_error(g, g.zero_device, "/dev/sda", errno=30)
            expect_error(g, g.part_del, "/dev/sda", 1, errno=30)
            expect_error(g, g.mkfs, "ext4", "/dev/sda1", errno=30)
            expect_error(g, g.set_label, "/dev/sda1", "L", errno=30)
            expect_error(g, g.wipefs, "/dev/sda1", errno=30)
            expect_error(g, g.upload, "/etc/hostname", "/dev/sda1", errno=30)
            # Reading is fine.
            assert g.pread_device("/dev/sda", 2, 510) == b"\x55\xaa"
        finally:
            g.shutdown()
            g.close()
        assert sha256(img) == before


gdtest.main()
