#!/usr/bin/python3
# Guest commands, inotify and debug through the real libguestfs library:
# command/command_lines/sh/sh_lines run a static program in the guest with
# /dev, /proc, /sys bound for the duration (and undone), the network's
# resolv.conf swap, inotify per connection, the debug subcommands and the
# uploads to the daemon's side.

import atexit
import errno
import os
import shutil
import stat
import tempfile

import guestfs

import gdtest
from gdtest import MiB, test

import contentutil
from contentutil import Tree, read_file

TOOL_CACHE = {}


def guest_tool():
    if "path" not in TOOL_CACHE:
        d = tempfile.mkdtemp(prefix="gdtest.tool.")
        atexit.register(shutil.rmtree, d, ignore_errors=True)
        TOOL_CACHE["path"] = contentutil.build_guest_tool(d)
    with open(TOOL_CACHE["path"], "rb") as f:
        return f.read()


def install(g, extra=None):
    """A guest with /bin/guest-tool, /bin/sh (the same program), /dev,
    /proc, /sys, /etc and a resolv.conf of its own."""
    tool = guest_tool()
    t = Tree().dir("bin").file("bin/guest-tool", tool, mode=0o755).file("bin/sh", tool, mode=0o755)
    for d in ("dev", "proc", "sys", "etc", "tmp"):
        t.dir(d)
    t.file("etc/resolv.conf", "nameserver 192.0.2.1 # the guest's own\n")
    if extra:
        extra(t)
    t.put(g)


EXPECTED = {
    "1": "Result1", "2": "Result2\n", "3": "\nResult3", "4": "\nResult4\n",
    "5": "\nResult5\n\n", "6": "\n\nResult6\n\n", "7": "", "8": "\n", "9": "\n\n",
    "10": "Result10-1\nResult10-2\n", "11": "Result11-1\nResult11-2",
}
EXPECTED_LINES = {
    "1": ["Result1"], "2": ["Result2"], "3": ["", "Result3"], "4": ["", "Result4"],
    "5": ["", "Result5", ""], "6": ["", "", "Result6", ""], "7": [], "8": [""], "9": ["", ""],
    "10": ["Result10-1", "Result10-2"], "11": ["Result11-1", "Result11-2"],
}


@test
def test_command_output():
    with gdtest.handle(disks=[64]) as g:
        gdtest.expect_error(g, g.command, ["/bin/true"], match="mount")
        gdtest.mkfs_mount(g)
        install(g)
        for n, out in EXPECTED.items():
            assert g.command(["/bin/guest-tool", "result", n]) == out, n
            assert g.command_lines(["/bin/guest-tool", "result", n]) == EXPECTED_LINES[n], n
        assert g.command(["/bin/guest-tool", "pwd"]) == "/"
        assert g.command(["guest-tool", "echo", "found", "on", "PATH"]) == "found on PATH\n"
        # A non-zero exit: the message is the command's stderr.
        msg = gdtest.expect_error(g, g.command, ["/bin/guest-tool", "fail", "3", "it", "broke"])
        assert msg.endswith("it broke"), msg
        gdtest.expect_error(g, g.command, ["/bin/guest-tool", "result", "99"],
                            match="unknown parameter")
        gdtest.expect_error(g, g.command, ["/bin/missing"], errno=errno.ENOENT)
        gdtest.expect_error(g, g.command, [], errno=errno.EINVAL)
        # The guest's files are what the command sees and changes.
        assert g.command(["/bin/guest-tool", "cat", "/etc/resolv.conf"]).startswith(
            "nameserver 192.0.2.1")
        g.command(["/bin/guest-tool", "write", "/tmp/made-by-command", "hi"])
        assert read_file(g, "/tmp/made-by-command") == b"hi\n"
        assert not os.path.exists("/tmp/made-by-command")
        # Output past the protocol's limit stops the command.
        Tree().file("tmp/big", b"y" * (5 * MiB)).put(g)
        gdtest.expect_error(g, g.command, ["/bin/guest-tool", "cat", "/tmp/big"],
                            errno=errno.E2BIG)
        g.ping_daemon()


@test
def test_sh():
    with gdtest.handle(disks=[64]) as g:
        gdtest.mkfs_mount(g)
        install(g)
        assert g.sh("echo hello world") == "hello world\n"
        assert g.sh_lines("result 10") == ["Result10-1", "Result10-2"]
        gdtest.expect_error(g, g.sh, "fail 1 from sh", match="from sh")


@test
def test_bind_mounts_for_the_duration():
    with gdtest.handle(disks=[64]) as g:
        gdtest.mkfs_mount(g)
        install(g)
        before = g.mounts()
        assert g.command(["/bin/guest-tool", "type", "/dev/null"]) == "chr\n"
        assert g.command(["/bin/guest-tool", "type", "/proc/self"]) == "link\n"
        assert g.command(["/bin/guest-tool", "mounted", "/proc"]) == "yes\n"
        assert g.command(["/bin/guest-tool", "mounted", "/sys"]) == "yes\n"
        assert g.command(["/bin/guest-tool", "mounted", "/dev/pts"]) == "yes\n"
        # Undone afterwards, after a failure too.
        gdtest.expect_error(g, g.command, ["/bin/guest-tool", "fail", "1", "x"])
        assert g.mounts() == before
        assert not g.exists("/dev/null") and not g.exists("/proc/self")
        assert g.ls("/dev") == [] and g.ls("/proc") == []
        g.umount_all()
        g.mount("/dev/sda1", "/")


@test
def test_no_bind_over_symlinks_or_missing_dirs():
    with gdtest.handle(disks=[64]) as g:
        gdtest.mkfs_mount(g)
        tool = guest_tool()
        # /dev is a symlink to the guest's root, /proc is missing.
        Tree().dir("bin").file("bin/guest-tool", tool, mode=0o755).symlink("dev", "/") \
            .dir("sys").put(g)
        assert g.command(["/bin/guest-tool", "type", "/null"]) == "missing\n"
        assert g.command(["/bin/guest-tool", "type", "/proc"]) == "missing\n"
        assert g.command(["/bin/guest-tool", "mounted", "/sys"]) == "no\n"  # no /proc to tell
        assert g.command(["/bin/guest-tool", "type", "/sys/kernel"]) == "dir\n"
        assert g.command(["/bin/guest-tool", "type", "/bin"]) == "dir\n"


@test
def test_network_resolv_conf():
    if not os.path.isfile("/etc/resolv.conf"):
        gdtest.skip("this system has no /etc/resolv.conf")
    with open("/etc/resolv.conf", "rb") as f:
        ours = f.read()
    with gdtest.tmpdir() as d:
        img = os.path.join(d, "disk.img")
        gdtest.make_image(img, 64, lambda g: (gdtest.mkfs_mount(g), install(g)))
        with gdtest.handle(images=[img], network=True) as g:
            g.mount("/dev/sda1", "/")
            assert g.command(["/bin/guest-tool", "cat", "/etc/resolv.conf"]).encode() == ours
            assert read_file(g, "/etc/resolv.conf") == b"nameserver 192.0.2.1 # the guest's own\n"
            assert sorted(g.ls("/etc")) == ["resolv.conf"]
            # A guest without one gets ours for the command only.
            g.rm("/etc/resolv.conf")
            assert g.command(["/bin/guest-tool", "cat", "/etc/resolv.conf"]).encode() == ours
            assert g.ls("/etc") == []
    # Without the network the guest's own file stays.
    with gdtest.handle(disks=[64]) as g:
        gdtest.mkfs_mount(g)
        install(g)
        assert g.command(["/bin/guest-tool", "cat", "/etc/resolv.conf"]).startswith(
            "nameserver 192.0.2.1")


@test
def test_inotify():
    with gdtest.handle(disks=[64]) as g, gdtest.handle(disks=[64]) as other:
        gdtest.expect_error(g, g.inotify_read, match="inotify_init")
        gdtest.mkfs_mount(g)
        g.mkdir("/w")
        Tree().symlink("hostlink", "/w").put(g)
        g.inotify_init(0)
        wd = g.inotify_add_watch("/w", 4095)
        assert wd >= 1
        g.touch("/w/b")
        g.touch("/w/a")
        g.write("/w/a", b"data")
        assert g.inotify_files() == ["a", "b"]
        assert g.inotify_files() == []
        g.rm("/w/b")
        events = g.inotify_read()
        assert events and all(e["in_wd"] == wd for e in events)
        assert any(e["in_name"] == "b" and e["in_mask"] & 0x200 for e in events)  # IN_DELETE
        assert g.inotify_read() == []
        # Through a symlink in the guest: the same directory, another watch
        # descriptor is not made (inotify returns the same one).
        assert g.inotify_add_watch("/hostlink", 4095) == wd
        gdtest.expect_error(g, g.inotify_add_watch, "/nope", 4095, errno=errno.ENOENT)
        # State is per connection: the other handle has none.
        gdtest.expect_error(other, other.inotify_files, match="inotify_init")
        g.inotify_rm_watch(wd)
        gdtest.expect_error(g, g.inotify_rm_watch, wd, errno=errno.EINVAL)
        g.touch("/w/c")
        assert g.inotify_files() == []
        g.inotify_init(0)  # a second init starts afresh
        g.inotify_close()
        gdtest.expect_error(g, g.inotify_close, match="inotify_init")
        gdtest.expect_error(g, g.inotify_init, -1, errno=errno.EINVAL)


@test
def test_debug():
    # sh, setenv and debug_upload act on the daemon's side: host mode
    # refuses them unless the daemon starts with this (test-sandbox.py
    # checks the refusal).
    os.environ["GUESTFSD_ALLOW_DEBUG_SH"] = "1"
    try:
        debug_daemon_side()
    finally:
        del os.environ["GUESTFSD_ALLOW_DEBUG_SH"]


def debug_daemon_side():
    with gdtest.tmpdir() as d, gdtest.handle(disks=[64]) as g:
        gdtest.mkfs_mount(g)
        Tree().dir("etc").file("etc/passwd", "guest\n").symlink("link", "/etc").put(g)
        help_text = g.debug("help", [])
        for sub in ("env", "error", "fds", "ls", "ll", "progress", "sh", "setenv", "spew"):
            assert f" {sub}" in help_text, sub
        for n in (0, 1, 1024, 65535, 65536, 131072):
            msg = gdtest.expect_error(g, g.debug, "error", [str(n)], errno=errno.EROFS)
            assert msg.count("a") >= min(n, 60000)
        g.ping_daemon()
        assert g.debug("ls", ["/etc"]).split("\n")[:3] == [".", "..", "passwd"]
        assert "passwd" in g.debug("LL", ["/link/"])
        assert " -> /etc" in g.debug("ll", ["/"])
        assert g.debug("setenv", ["GDTEST_VAR", "value 1"]) == "ok"
        assert "GDTEST_VAR=value 1" in g.debug("env", []).split("\n")
        assert g.debug("sh", ["echo", "$GDTEST_VAR"]) == "value 1\n"
        assert g.debug("sh", ["test", "-d", "$root/etc", "&&", "echo", "yes"]) == "yes\n"
        # virt-customize and virt-sysprep finish with "fuser -k /sysroot":
        # the daemon must not be a user of the sysroot then (it kept an fd
        # of it between calls, and the appliance's daemon was killed).
        assert g.is_dir("/etc")
        assert g.debug("sh", ["fuser", "$root", ";", "echo", "rc=$?"]).endswith("rc=1\n")
        g.ping_daemon()
        assert "fd 0 " in g.debug("fds", []) or "fd 1 " in g.debug("fds", [])
        assert g.debug("print", ["to", "stderr"]) == "ok"
        assert g.debug("spew", ["3"]) == "ok"
        events = []
        g.set_event_callback(lambda ev, eh, buf, arr: events.append(tuple(arr[:4])),
                             guestfs.EVENT_PROGRESS)
        assert g.debug("progress", ["3"]) == "ok"
        assert events and events[-1][2] == events[-1][3]
        gdtest.expect_error(g, g.debug, "progress", ["0"], errno=errno.EINVAL)
        gdtest.expect_error(g, g.debug, "nosuch", [], errno=errno.EINVAL, match="help")
        # These would reach past a daemon that is not the appliance's.
        gdtest.expect_error(g, g.debug, "segv", [], errno=errno.ENOTSUP)
        gdtest.expect_error(g, g.debug, "core_pattern", ["core"], errno=errno.ENOTSUP)
        g.ping_daemon()

        # Uploads to the daemon's side (not the guest).
        src = os.path.join(d, "src")
        with open(src, "wb") as f:
            f.write(b"x" * (3 * MiB + 5))
        # In host mode the daemon's side is its jail, whose /tmp is its
        # own: seen here through its root, and not in the host's /tmp.
        name = os.path.basename(d)
        dst = f"/tmp/{name}-uploaded"
        g.debug_upload(src, dst, 0o640)
        (pid,) = contentutil.daemon_pids()
        seen = f"/proc/{pid}/root{dst}"
        assert not os.path.exists(dst), "debug_upload wrote the host's /tmp"
        assert open(seen, "rb").read() == b"x" * (3 * MiB + 5)
        assert stat.S_IMODE(os.stat(seen).st_mode) == 0o640
        dst2 = f"/tmp/{name}-internal"
        contentutil.c_call(g, "internal_upload", src, dst2, 0o600)
        assert os.path.getsize(f"/proc/{pid}/root{dst2}") == 3 * MiB + 5
        gdtest.expect_error(g, g.debug_upload, src, "/nonexistent-dir/x", 0o644,
                            errno=errno.ENOENT)
        g.ping_daemon()


@test
def test_rhbz914931_crash_helper():
    with gdtest.tmpdir() as d, gdtest.handle(disks=[8]) as g:
        src = os.path.join(d, "src")
        with open(src, "wb") as f:
            f.write(os.urandom(64 * 1024))
        try:
            contentutil.c_call(g, "internal_rhbz914931", src, 0)
            raise AssertionError("count 0 accepted")
        except RuntimeError as e:
            assert "count" in str(e)
        g.ping_daemon()
        # The "crash" after 2 chunks: the call fails cleanly and the
        # connection ends, as if the daemon had died.
        try:
            contentutil.c_call(g, "internal_rhbz914931", src, 2)
            raise AssertionError("internal_rhbz914931 succeeded")
        except RuntimeError:
            pass
        try:
            g.ping_daemon()
            alive = True
        except RuntimeError:
            alive = False
        assert not alive


gdtest.main()
