#!/usr/bin/python3
# Hostile guest images must not make the daemon read or write one byte
# outside the sysroot.
#
# Each test plants a canary tree H in a host temp directory, builds a guest
# image (mke2fs -d, without the daemon) whose symlinks point at H in every
# way a guest can try (absolute, relative with many "..", "/../../..",
# through a link in the middle of a path, from a subdirectory, through
# /proc/self/...), and which also holds its own copy of H at the same path,
# with different contents.  Then it drives one family of procedures through
# those links.  Inside the guest the links lead to the guest's copy: the
# test checks the calls see and change the guest's copy, and that on the
# host nothing under H was opened, read, changed, created or removed
# (inotify on every directory of H, plus a full snapshot compare).

import contextlib
import ctypes
import errno
import hashlib
import os
import struct
import tempfile

import gdtest
import fsimages
from gdtest import expect_error, test

HOST_CANARY = b"HOST CANARY: the daemon must never see this\n"
GUEST_CANARY = b"guest canary\n"
HOST_INNER = b"HOST INNER\n"
GUEST_INNER = b"guest inner\n"

# ---- inotify ---------------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)
IN_ALL_EVENTS = 0xFFF
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000


class Watch:
    """Records every inotify event on a set of host directories."""

    def __init__(self, dirs):
        self.fd = _libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        assert self.fd >= 0, "inotify_init1"
        self.wd = {}
        for d in dirs:
            wd = _libc.inotify_add_watch(self.fd, d.encode(), IN_ALL_EVENTS)
            assert wd >= 0, f"inotify_add_watch {d}"
            self.wd[wd] = d

    def events(self):
        out = []
        try:
            data = os.read(self.fd, 65536)
        except BlockingIOError:
            return out
        i = 0
        while i < len(data):
            wd, mask, cookie, ln = struct.unpack_from("iIII", data, i)
            name = data[i + 16:i + 16 + ln].rstrip(b"\0").decode(errors="replace")
            out.append((self.wd.get(wd, "?"), name, hex(mask)))
            i += 16 + ln
        return out

    def close(self):
        os.close(self.fd)


# ---- the host canary tree and its snapshot ---------------------------------

def make_host_tree(h):
    with open(os.path.join(h, "canary"), "wb") as f:
        f.write(HOST_CANARY)
    os.mkdir(os.path.join(h, "dir"))
    with open(os.path.join(h, "dir", "inner"), "wb") as f:
        f.write(HOST_INNER)
    os.mkdir(os.path.join(h, "dir", "sub"))
    with open(os.path.join(h, "dir", "sub", "deep"), "wb") as f:
        f.write(HOST_INNER)
    os.mkdir(os.path.join(h, "empty"))
    os.symlink("canary", os.path.join(h, "link"))
    os.setxattr(os.path.join(h, "canary"), "user.host", b"host value")


def snapshot(h):
    """Everything observable about H, read without following links."""
    snap = {}
    for root, dirs, files in os.walk(h):
        for n in dirs + files + [""]:
            p = os.path.join(root, n) if n else root
            st = os.lstat(p)
            entry = (st.st_mode, st.st_uid, st.st_gid, st.st_size, st.st_mtime_ns,
                     st.st_ctime_ns, st.st_ino, st.st_nlink)
            if os.path.islink(p):
                entry += (os.readlink(p),)
            elif os.path.isfile(p):
                with open(p, "rb") as f:
                    entry += (hashlib.sha256(f.read()).hexdigest(),)
            if not os.path.islink(p):
                entry += (tuple(sorted((a, os.getxattr(p, a)) for a in os.listxattr(p))),)
            snap[p] = entry
    return snap


def host_dirs(h):
    return [root for root, _, _ in os.walk(h)]


# ---- the hostile guest -----------------------------------------------------

def up(n):
    return "../" * n


def populate_guest(h):
    rel = h.lstrip("/")

    def populate(root):
        # The guest's own copy of H, at the same path.
        g = os.path.join(root, rel)
        os.makedirs(os.path.join(g, "dir", "sub"))
        os.mkdir(os.path.join(g, "empty"))
        with open(os.path.join(g, "canary"), "wb") as f:
            f.write(GUEST_CANARY)
        with open(os.path.join(g, "dir", "inner"), "wb") as f:
            f.write(GUEST_INNER)
        with open(os.path.join(g, "dir", "sub", "deep"), "wb") as f:
            f.write(GUEST_INNER)
        os.symlink("canary", os.path.join(g, "link"))

        def link(target, name):
            p = os.path.join(root, name.lstrip("/"))
            os.makedirs(os.path.dirname(p), exist_ok=True)
            os.symlink(target, p)

        link(h, "/abs")                                   # absolute
        link(h + "/canary", "/abscanary")
        link(up(16) + rel, "/rel")                        # relative, climbing
        link(up(16) + rel + "/canary", "/relcanary")
        link("/" + "../" * 16 + rel, "/etc")              # /../../../H
        link("/../../../../../.." + h + "/canary", "/dotdot")
        link(h + "/dir", "/mid")                          # link in the middle
        link(up(20) + rel, "/deep/x/y/up")                # from a subdirectory
        link("/proc/self/root" + h + "/canary", "/procself")
        link("/proc/self/cwd/" + up(8) + rel, "/proccwd")
        link("/proc/1/root" + h, "/proc1")
        link("/nonexistent" + h, "/noguest")
        link("loop", "/loop")
        link(h + "/dir/sub", "/subdir")
        os.mkdir(os.path.join(root, "work"))
    return populate


@contextlib.contextmanager
def hostile():
    """(g, h): a launched handle with the hostile image mounted on /, and
    the host canary directory.  On exit: no host event, no host change."""
    with gdtest.tmpdir() as d:
        h = tempfile.mkdtemp(prefix="gdtest-host.", dir="/tmp")
        try:
            make_host_tree(h)
            img = fsimages.ext4_from_tree(os.path.join(d, "hostile.img"), 64,
                                          populate_guest(h))
            before = snapshot(h)
            watch = Watch(host_dirs(h))
            try:
                with gdtest.handle(images=[img]) as g:
                    g.mount("/dev/sda", "/")
                    yield g, h
                    g.umount_all()
                events = watch.events()
            finally:
                watch.close()
            assert events == [], f"the daemon touched the host tree: {events}"
            after = snapshot(h)
            assert after == before, "host tree changed: " + repr(
                {k: (before.get(k), after.get(k)) for k in set(before) | set(after)
                 if before.get(k) != after.get(k)})
        finally:
            import shutil
            shutil.rmtree(h, ignore_errors=True)


# Paths that, inside the guest, name the guest's copy of H/canary.
def canary_paths(h):
    return ["/abscanary", "/relcanary", "/dotdot", "/etc/canary", "/abs/canary",
            "/rel/canary", "/deep/x/y/up/canary", "/abs/link", "/etc/link", "/subdir/../../canary"]


# Paths that name the guest's copy of H (a directory).
def dir_paths(h):
    return ["/abs", "/rel", "/etc", "/deep/x/y/up", "/mid/..", "/subdir/../.."]


# ---- families --------------------------------------------------------------

@test
def test_reading_through_hostile_links():
    with hostile() as (g, h):
        for p in canary_paths(h):
            assert g.cat(p) == GUEST_CANARY.decode(), p
            assert g.read_file(p) == GUEST_CANARY, p
            assert g.pread(p, 5, 0) == GUEST_CANARY[:5], p
            assert g.filesize(p) == len(GUEST_CANARY), p
            assert g.statns(p)["st_size"] == len(GUEST_CANARY), p
            assert not g.is_zero(p), p
            assert g.is_file(p, followsymlinks=True), p
            assert g.getxattrs(p) == [], p
            assert g.cap_get_file(p) == "", p
            assert "user::rw-" in g.acl_get_file(p, "access"), p
        assert g.cat("/mid/inner") == GUEST_INNER.decode()
        assert g.cat("/subdir/deep") == GUEST_INNER.decode()
        for p in dir_paths(h):
            assert sorted(g.ls(p)) == ["canary", "dir", "empty", "link"], p
            names = sorted(e["name"] for e in g.readdir(p))
            assert names == [".", "..", "canary", "dir", "empty", "link"], p
            assert "canary" in g.ll(p + "/"), p
            assert g.statns(p)["st_ino"] == g.statns(h)["st_ino"], p
        assert g.glob_expand("/abs/*") == ["/abs/canary", "/abs/dir/", "/abs/empty/",
                                           "/abs/link"]
        assert g.glob_expand("/etc/d*/*") == ["/etc/dir/inner", "/etc/dir/sub/"]
        for p in ("/procself", "/proccwd", "/proc1", "/noguest", "/proc1/canary"):
            expect_error(g, g.cat, p, errno=errno.ENOENT)
            # exists does not follow a final symlink (the original's answer).
            assert g.exists(p) == g.is_symlink(p), p
        expect_error(g, g.cat, "/loop", errno=errno.ELOOP)
        assert g.is_symlink("/abs") and not g.is_dir("/abs")
        assert g.is_dir("/abs", followsymlinks=True)
        assert g.lstatns("/abs")["st_mode"] & 0o170000 == 0o120000
        assert g.lgetxattrs("/abscanary") == []
        # lstatnslist / lxattrlist / readlinklist, including ".." of the root.
        root_ino = g.statns("/")["st_ino"]
        st = g.lstatnslist("/", ["..", ".", "abs", "etc"])
        assert st[0]["st_ino"] == root_ino and st[1]["st_ino"] == root_ino
        assert st[2]["st_mode"] & 0o170000 == 0o120000
        st = g.lstatnslist("/abs", ["canary", ".."])
        assert st[0]["st_size"] == len(GUEST_CANARY)
        xl = g.lxattrlist("/", ["..", "abscanary"])
        assert [x["attrname"] for x in xl] == ["", ""]
        assert g.lxattrlist(h, ["canary"]) == [{"attrname": "", "attrval": b"0\0"}]
        assert g.readlinklist("/", ["abs", "..", "etc"]) == [h, "", "/" + "../" * 16 + h[1:]]
        assert g.readlinklist("/etc", ["link", ".."]) == ["canary", ""]


@test
def test_readlink_and_realpath_results():
    with hostile() as (g, h):
        rel = h.lstrip("/")
        # readlink: the stored target, verbatim.
        assert g.readlink("/abs") == h
        assert g.readlink("/rel") == up(16) + rel
        assert g.readlink("/etc") == "/" + "../" * 16 + rel
        assert g.readlink("/procself") == "/proc/self/root" + h + "/canary"
        assert g.readlink("/etc/link") == "canary"
        # realpath / case_sensitive_path: guest paths, resolved in the guest.
        for p in canary_paths(h):
            assert g.realpath(p) == h + "/canary", p
        for p in dir_paths(h):
            assert g.realpath(p) == h, p
        assert g.realpath("/mid/inner") == h + "/dir/inner"
        assert g.realpath("/deep/x/y/up/dir/../..") == os.path.dirname(h)
        expect_error(g, g.realpath, "/procself", errno=errno.ENOENT)
        expect_error(g, g.realpath, "/loop", errno=errno.ELOOP)
        assert g.case_sensitive_path("/ETC/CANARY") == "/etc/canary"
        assert g.case_sensitive_path("/MID/INNER") == "/mid/inner"
        assert g.case_sensitive_path("/ABS/DIR/SUB/nothing") == "/abs/dir/sub/nothing"


@test
def test_writing_through_hostile_links():
    with hostile() as (g, h):
        for i, p in enumerate(canary_paths(h)):
            data = b"written %d\n" % i
            g.write(p, data)
            assert g.cat(h + "/canary") == data.decode(), p
            g.write_append(p, b"+")
            g.pwrite(p, b"W", 0)
            g.truncate_size(p, 3)
            g.truncate(p)
            g.fallocate64(p, 100)
            g.fill(0x41, 10, p)
            g.fill_pattern("ab", 5, p)
            assert g.cat(h + "/canary") == "ababa", p
            g.write_file(p, "old interface", 0)
        for p in dir_paths(h):
            g.write(p + "/new-" + p.strip("/").replace("/", "_"), b"guest only")
        assert len(g.ls(h)) == 4 + len(dir_paths(h))
        g.write("/mid/inner", b"mid")
        assert g.cat(h + "/dir/inner") == "mid"
        g.touch("/abs/touched")
        g.fill_dir("/mid", 3)
        assert "00000002" in g.ls(h + "/dir")
        for p in ("/procself", "/proccwd/x", "/proc1/x", "/noguest/x"):
            expect_error(g, g.write, p, b"x", errno=errno.ENOENT)
        # A dangling absolute link: written inside the guest.
        g.ln_s(h + "/created-through-link", "/dangling")
        g.write("/dangling", b"made in the guest")
        assert g.cat(h + "/created-through-link") == "made in the guest"


@test
def test_metadata_through_hostile_links():
    with hostile() as (g, h):
        for i, p in enumerate(canary_paths(h)):
            g.chmod(0o6777, p)
            g.chown(1234 + i, 4321, p)
            g.setxattr("user.pwn", "x", 1, p)
            g.removexattr("user.pwn", p)
            g.setxattr("user.kept%d" % i, "y", 1, p)
            g.acl_set_file(p, "access", "u::rwx,g::rwx,o::rwx,m::rwx,u:99:rwx")
            g.cap_set_file(p, "cap_sys_admin+ep")
            g.copy_attributes("/mid/inner", p, all=True)
            assert g.statns(h + "/canary")["st_uid"] == 0
        assert len(g.getxattrs(h + "/canary")) >= len(canary_paths(h))
        for p in ("/abs", "/etc", "/mid", "/abscanary"):
            g.lchown(777, 777, p)
            g.lsetxattr("trusted.lnk", "v", 1, p)
            g.lremovexattr("trusted.lnk", p)
            g.utimens(p, 1, 2, 3, 4)
            assert g.lstatns(p)["st_mtime_sec"] == 3
        for p in dir_paths(h):
            g.utimens(p + "/dir", 5, 6, 7, 8)
            g.chmod(0o700, p + "/dir")
            g.acl_set_file(p + "/dir", "default", "u::rwx,g::-,o::-")
            g.acl_delete_def_file(p + "/dir")
        assert g.statns(h + "/dir")["st_mtime_sec"] == 7
        for p in ("/procself", "/noguest"):
            expect_error(g, g.chmod, 0o777, p, errno=errno.ENOENT)
            expect_error(g, g.chown, 0, 0, p, errno=errno.ENOENT)
            expect_error(g, g.setxattr, "user.x", "x", 1, p, errno=errno.ENOENT)
            expect_error(g, g.getxattr, p, "user.host", errno=errno.ENOENT)
        expect_error(g, g.getxattr, "/abscanary", "user.host", errno=errno.ENODATA)


@test
def test_creating_and_removing_through_hostile_links():
    with hostile() as (g, h):
        for p in dir_paths(h):
            tag = p.strip("/").replace("/", "_").replace(".", "d")
            g.mkdir(p + "/m-" + tag)
            g.mkdir_mode(p + "/mm-" + tag, 0o700)
            g.mkdir_p(p + "/p-" + tag + "/q/r")
            t = g.mkdtemp(p + "/tXXXXXX")
            g.rmdir(t)
            t = g.mktemp(p + "/fXXXXXX")
            g.rm(t)
            g.mkfifo(0o600, p + "/fifo-" + tag)
            g.mknod_c(0o600, 1, 3, p + "/null-" + tag)
            g.rm_f(p + "/null-" + tag)
            g.rm_rf(p + "/p-" + tag)
        assert sorted(n for n in g.ls(h) if n.startswith("m-")) == sorted(
            "m-" + p.strip("/").replace("/", "_").replace(".", "d") for p in dir_paths(h))
        g.mkdir_p("/rel/dir/sub/new/levels")
        assert g.is_dir(h + "/dir/sub/new/levels")
        g.mkdir_p("/etc/../../../../../" + h.lstrip("/") + "/via-dotdot")
        assert g.is_dir(h + "/via-dotdot")
        # rm_rf through a link in the middle removes the guest's copy.
        g.rm_rf("/mid/sub")
        assert not g.exists(h + "/dir/sub")
        g.rm_rf("/rel/dir/")
        g.rm_rf("/etc/empty")
        assert not g.exists(h + "/empty")
        # rm_rf of the links themselves removes only the links.
        for p in ("/abs", "/rel", "/etc", "/dotdot", "/procself", "/loop", "/subdir"):
            g.rm_rf(p)
            assert not g.exists(p) and not g.is_symlink(p)
        assert g.cat(h + "/canary") == GUEST_CANARY.decode()
        g.rm_rf("/deep")
        # The whole guest copy of H, then everything.
        g.rm_rf(h.rsplit("/", 1)[0])
        g.rm_rf("/")
        assert g.ls("/") == []


@test
def test_rename_and_links_through_hostile_links():
    with hostile() as (g, h):
        g.rename("/abs/canary", "/etc/renamed")
        assert g.cat(h + "/renamed") == GUEST_CANARY.decode()
        g.rename("/rel/renamed", "/work/moved-out")
        assert g.cat("/work/moved-out") == GUEST_CANARY.decode()
        g.rename("/work/moved-out", "/dotdot")      # replaces the link itself
        assert not g.is_symlink("/dotdot")
        g.rename("/mid", "/work/mid")               # moves the link
        assert g.readlink("/work/mid") == h + "/dir"
        g.ln("/etc/dir/inner", "/work/hard")
        assert g.statns(h + "/dir/inner")["st_nlink"] == 2
        g.ln_f("/rel/dir/inner", "/abs/hard2")
        g.ln_s("/anything/at/all", "/abs/newlink")
        assert g.readlink(h + "/newlink") == "/anything/at/all"
        g.ln_sf("x", "/etc/link")
        assert g.readlink(h + "/link") == "x"
        g.ln_s("/target", "/rel")                   # into the directory it leads to
        assert g.readlink(h + "/target") == "/target"
        g.ln("/procself", "/work/hard-to-link")     # link(2) does not follow
        assert g.readlink("/work/hard-to-link") == "/proc/self/root" + h + "/canary"
        expect_error(g, g.ln, "/noguest/x", "/work/h3", errno=errno.ENOENT)
        expect_error(g, g.rename, "/proc1/x", "/work/y", errno=errno.ENOENT)


@test
def test_directory_swapped_for_a_link_between_calls():
    with hostile() as (g, h):
        g.mkdir("/swap")
        g.write("/swap/canary", b"swap dir")
        assert g.cat("/swap/canary") == "swap dir"
        # Between two calls the directory becomes a link to the host path.
        g.rename("/swap", "/swap.old")
        g.ln_s(h, "/swap")
        assert g.cat("/swap/canary") == GUEST_CANARY.decode()
        g.write("/swap/canary", b"after swap")
        assert g.cat(h + "/canary") == "after swap"
        g.rm_rf("/swap/dir")
        assert not g.exists(h + "/dir")
        # And back, and to a relative climbing link.
        g.rm("/swap")
        g.rename("/swap.old", "/swap")
        assert g.cat("/swap/canary") == "swap dir"
        g.rm_rf("/swap")
        g.ln_s(up(30) + h.lstrip("/"), "/swap")
        g.chmod(0o777, "/swap/canary")
        g.mkdir_p("/swap/a/b")
        assert g.is_dir(h + "/a/b")
        g.rm_rf("/swap/")
        assert g.is_dir(h)


gdtest.main()
