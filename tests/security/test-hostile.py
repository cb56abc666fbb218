#!/usr/bin/python3
# Hostile images and hostile requests against host mode (meson suite
# "security"; man/guestfsd.8, HOST MODE BOUNDARY).
#
# Host mode must hold the boundary the appliance's virtual machine holds:
# whatever the image contains and whatever the client asks, nothing outside
# the drives and the sysroot is read, written, mounted or executed, and no
# host-wide state changes.  This suite plays the attacker:
#
# - canaries on the host: a directory with secret files (a random token
#   inside), the token in the daemon's environment and in the kernel log,
#   and a loop device over a canary image that is not one of the drives;
# - images built at test time with hostile contents: symlinks to the
#   canaries (absolute, relative, through /proc), device nodes of host
#   devices, and a static guest program (tests/client/data/sandbox-tool.c)
#   that tries the caller's terminal (TIOCSTI, /dev/tty), /proc/1/cmdline,
#   /proc/kallsyms, the canary paths;
# - requests: host paths and device names, mount types and options that
#   reach the host, calls with host-wide effect, malformed protocol words.
#
# Each attempt is counted per class.  An escape is the token in any reply
# or error message, a canary changed or a new file beside them, a refused
# call that succeeded, a host mount, process, loop device or swap area
# left behind.  The last test prints the table and fails on any escape.

import atexit
import errno
import hashlib
import os
import pty
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "client"))

import gdtest  # noqa: E402
import contentutil  # noqa: E402
from contentutil import Tree  # noqa: E402
from gdtest import MiB, test  # noqa: E402

warnings.simplefilter("ignore", DeprecationWarning)  # mount_9p, list_9p: on purpose

TOKEN = "GDSEC-CANARY-" + os.urandom(8).hex()
os.environ["GDSEC_CANARY"] = TOKEN  # the daemon's environment (debug env, guest env)

ATTEMPTS = {}
ESCAPES = {}
DETAILS = []


def count(cls, escaped, what):
    ATTEMPTS[cls] = ATTEMPTS.get(cls, 0) + 1
    if escaped:
        ESCAPES[cls] = ESCAPES.get(cls, 0) + 1
        DETAILS.append(f"{cls}: {what}")
        print(f"ESCAPE {cls}: {what}", flush=True)


# ---- canaries --------------------------------------------------------------

CANARY = tempfile.mkdtemp(prefix="gdsec-canary.", dir="/var/tmp")
atexit.register(shutil.rmtree, CANARY, ignore_errors=True)
os.chmod(CANARY, 0o755)
SECRET = os.path.join(CANARY, "secret")
with open(SECRET, "w") as f:
    f.write(f"host secret {TOKEN}\n")
os.mkdir(os.path.join(CANARY, "sub"))
with open(os.path.join(CANARY, "sub", "secret2"), "w") as f:
    f.write(f"second {TOKEN}\n")
os.chmod(SECRET, 0o644)

# A block device of the host that is not one of the daemon's drives.
CANARY_IMG = os.path.join(CANARY, "canary.img")
with open(CANARY_IMG, "wb") as f:
    f.write((f"canary block device {TOKEN}\n".encode() * 100).ljust(MiB, b"\0"))
CANARY_LOOP = subprocess.run(["losetup", "--find", "--show", CANARY_IMG], capture_output=True,
                             text=True).stdout.strip()


def _detach():
    if CANARY_LOOP:
        subprocess.run(["losetup", "-d", CANARY_LOOP], capture_output=True)


atexit.register(_detach)

# The token in the kernel log: a dmesg that reached the host's shows it.
try:
    with open("/dev/kmsg", "w") as f:
        f.write(f"gdsec: canary {TOKEN}\n")
except OSError:
    pass


def snapshot():
    """Every file under the canary directory: (type, mode, size, mtime, hash)."""
    snap = {}
    for root, dirs, files in os.walk(CANARY):
        for name in dirs + files:
            p = os.path.join(root, name)
            st = os.lstat(p)
            h = None
            if os.path.isfile(p) and not os.path.islink(p):
                with open(p, "rb") as f:
                    h = hashlib.sha256(f.read()).hexdigest()
            snap[p] = (st.st_mode, st.st_size, st.st_mtime_ns, st.st_uid, h)
    return snap


def loop_hash():
    with open(CANARY_LOOP, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


SNAP = snapshot()
LOOP_HASH = loop_hash() if CANARY_LOOP else None


def check_canaries(cls):
    now = snapshot()
    changed = sorted(set(now) ^ set(SNAP)) + sorted(p for p in now if p in SNAP and now[p] != SNAP[p])
    count(cls, bool(changed), f"canaries changed: {changed}")
    if CANARY_LOOP:
        count(cls, loop_hash() != LOOP_HASH, "the canary block device changed")


def leaked(value):
    if isinstance(value, (bytes, bytearray)):
        return TOKEN.encode() in value
    return TOKEN in repr(value)


def attempt(cls, g, fn, *args, must_fail=True, errnos=None, **kw):
    """One hostile call: escaped if the token shows in its reply or error,
    or if it succeeded although it must fail (with one of errnos)."""
    name = getattr(fn, "__name__", str(fn))
    try:
        r = fn(*args, **kw)
    except RuntimeError as e:
        en = gdtest.last_errno(g)
        bad = leaked(str(e)) or (errnos is not None and en not in errnos)
        count(cls, bad, f"{name}{args}: error errno {en}: {e}")
        return None
    count(cls, leaked(r) or must_fail, f"{name}{args} returned {r!r:.200}")
    return r


def daemon_mounts():
    out = []
    for pid in contentutil.daemon_pids():
        try:
            with open(f"/proc/{pid}/mountinfo") as f:
                out += [line.split(" - ")[1].split()[0] + " " + line.split()[4] for line in f]
        except OSError:
            pass
    return out


# ---- the guest program -----------------------------------------------------

_TOOL = {}


def sandbox_tool():
    if "t" not in _TOOL:
        cc = shutil.which("cc") or shutil.which("gcc")
        if cc is None:
            gdtest.skip("no C compiler for the static guest program")
        d = tempfile.mkdtemp(prefix="gdsec.tool.")
        atexit.register(shutil.rmtree, d, ignore_errors=True)
        out = os.path.join(d, "sandbox-tool")
        r = subprocess.run([cc, "-static", "-O2", "-o", out,
                            os.path.join(HERE, "..", "client", "data", "sandbox-tool.c")],
                           capture_output=True, text=True)
        if r.returncode != 0:
            gdtest.skip(f"cannot build a static program (libc6-dev needed): {r.stderr.strip()}")
        with open(out, "rb") as f:
            _TOOL["t"] = f.read()
    return _TOOL["t"]


def hostile_tree():
    """What a hostile image holds: links to the host's canaries, host
    device nodes, a program that attacks from inside."""
    t = Tree().dir("bin").file("bin/sandbox-tool", sandbox_tool(), mode=0o755)
    for d in ("dev", "proc", "sys", "tmp", "etc", "data"):
        t.dir(d)
    t.symlink("hostfile", SECRET)
    t.symlink("relfile", "../../../../../../../../.." + SECRET)
    t.symlink("hostdir", CANARY)
    t.symlink("data/deep", "../../../../../../../.." + CANARY)
    t.symlink("proclink", "/proc/1/root" + SECRET)
    t.symlink("selfroot", "/proc/self/root")
    t.symlink("devlink", CANARY_LOOP or "/dev/loop0")
    t.symlink("etc/passwd", SECRET)
    if CANARY_LOOP:
        st = os.stat(CANARY_LOOP)
        t.device("canarydev", "b", os.major(st.st_rdev), os.minor(st.st_rdev))
    t.device("mem", "c", 1, 1)
    t.device("kmsg", "c", 1, 11)
    t.device("tty", "c", 5, 0)
    t.device("tty0", "c", 4, 0)
    t.device("loopctl", "c", 10, 237)
    return t


def build_hostile_image(path):
    def setup(g):
        g.part_disk("/dev/sda", "mbr")
        g.mkfs("ext4", "/dev/sda1")
        g.mount("/dev/sda1", "/")
        hostile_tree().put(g)
    return gdtest.make_image(path, 64, setup)


_IMG = {}


def hostile_image():
    if "p" not in _IMG:
        d = tempfile.mkdtemp(prefix="gdsec.img.")
        atexit.register(shutil.rmtree, d, ignore_errors=True)
        _IMG["p"] = build_hostile_image(os.path.join(d, "hostile.img"))
    return _IMG["p"]


def hostile_handle(extra_disks=()):
    """A handle on a copy of the hostile image, / mounted."""
    d = tempfile.mkdtemp(prefix="gdsec.")
    atexit.register(shutil.rmtree, d, ignore_errors=True)
    copy = os.path.join(d, "copy.img")
    shutil.copyfile(hostile_image(), copy)
    return gdtest.handle(disks=extra_disks, images=[copy]), copy


# ---- 1. the guest's programs and the caller's terminal ----------------------

def host_paths_in(text):
    return [p for p in ("guestfsd-hv.", CANARY, "/tmp/gdtest.", "gdsec.") if p in text]


@test
def test_guest_program_cannot_reach_terminal():
    """Run in a pseudo-terminal of our own, as guestfish in a user's shell:
    the guest program tries TIOCSTI on everything it can open; afterwards
    nothing was pushed into our terminal's input."""
    sandbox_tool()
    hostile_image()
    pid, master = pty.fork()
    if pid == 0:
        code = 0
        try:
            ctx, _ = hostile_handle()
            with ctx as g:
                g.mount("/dev/sda1", "/")
                # The daemon itself (and its jail): no controlling terminal.
                for pid in contentutil.daemon_pids():
                    with open(f"/proc/{pid}/stat") as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                    print(f"R daemon-tty-{pid}: {'ok' if fields[4] != '0' else 'none'}", flush=True)
                for line in g.command_lines(["/bin/sandbox-tool", "terminal"]):
                    print("R " + line, flush=True)
                # The hostile program again, with its own planted node.
                print("R planted-tty: " + g.command(["/bin/sandbox-tool", "open", "/tty", "w"]).strip())
                print("R planted-tty0: " + g.command(["/bin/sandbox-tool", "open", "/tty0", "w"]).strip())
            # Anything pushed into our terminal is now readable on stdin.
            r, _, _ = select.select([0], [], [], 0.5)
            print("R injected: " + ("yes " + repr(os.read(0, 100)) if r else "no"), flush=True)
        except BaseException as e:  # noqa: BLE001
            print(f"E {type(e).__name__}: {e}", flush=True)
            code = 1
        os._exit(code)
    out = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    text = out.decode(errors="replace")
    assert os.waitstatus_to_exitcode(status) == 0, text
    results = dict(line[2:].strip().split(": ", 1) for line in text.splitlines()
                   if line.startswith("R ") and ": " in line)
    assert len(results) >= 9, text
    for k, v in results.items():
        if k == "session-leader-is-init":
            count("terminal", v != "yes", f"{k}: {v}")
        elif k == "injected":
            count("terminal", v != "no", f"{k}: {v}")
        else:
            count("terminal", v == "ok", f"{k}: {v}")


@test
def test_guest_program_sees_no_host():
    ctx, _ = hostile_handle()
    with ctx as g:
        g.mount("/dev/sda1", "/")

        def tool(*args):
            try:
                return g.command(["/bin/sandbox-tool", *args])
            except RuntimeError as e:
                return "error " + str(e)

        cmdline = tool("cat", "/proc/1/cmdline")
        count("guest-program", leaked(cmdline) or bool(host_paths_in(cmdline)),
              f"/proc/1/cmdline: {cmdline!r}")
        for f in ("/proc/1/environ", "/proc/self/environ", "/proc/self/mountinfo",
                  "/proc/1/mountinfo", "/proc/cmdline", "/proc/kallsyms", "/proc/modules",
                  "/proc/kmsg"):
            out = tool("cat", f)
            count("guest-program", leaked(out) or bool(host_paths_in(out)), f"{f}: {out!r:.200}")
        for f in ("/proc/kallsyms", "/proc/kcore", "/proc/kmsg", "/sys/firmware"):
            out = tool("read", f, "4096").strip()
            count("guest-program", out not in ("0", "ENOENT", "EISDIR", "EACCES", "EPERM"),
                  f"read {f}: {out}")
        env = tool("env")
        count("guest-program", leaked(env), f"environment: {env!r}")
        # The host's canaries by their host paths, by the links, by /proc.
        for p in (SECRET, CANARY + "/sub/secret2", "/hostfile", "/relfile", "/proclink",
                  "/selfroot" + SECRET, "/proc/1/root" + SECRET, "/data/deep/secret"):
            out = tool("cat", p)
            count("guest-program", leaked(out), f"cat {p}: {out!r:.100}")
            out = tool("write", p, "x")
            count("guest-program", out.strip() == "ok" and not p.startswith("/"), f"write {p}")
        # Planted device nodes: nodev.
        for node in ("/canarydev", "/mem", "/kmsg", "/loopctl", "/devlink"):
            out = tool("open", node, "r").strip()
            count("guest-program", out == "ok", f"open {node}: {out}")
            out = tool("cat", node)
            count("guest-program", leaked(out), f"cat {node}")
        # The host's processes: none in the namespace.
        out = tool("ls", "/proc")
        pids = [p for p in out.split() if p.isdigit()]
        count("guest-program", len(pids) > 3, f"processes visible: {pids}")
    check_canaries("guest-program")


# ---- 2. paths through hostile symlinks ---------------------------------------

LINKS = ["/hostfile", "/relfile", "/proclink", "/data/deep/secret", "/hostdir/secret",
         "/hostdir/sub/secret2", "/etc/passwd", "/selfroot" + SECRET]


@test
def test_hostile_symlinks():
    ctx, _ = hostile_handle()
    with ctx as g, gdtest.tmpdir() as d:
        g.mount("/dev/sda1", "/")
        ok = lambda *a, **k: attempt("paths", g, *a, must_fail=False, **k)  # noqa: E731
        for p in LINKS:
            for fn in (g.cat, g.read_file, g.head, g.tail, g.file, g.is_file, g.exists,
                       g.realpath, g.stat, g.lstat, g.getxattrs, g.hexdump, g.strings):
                ok(fn, p)
            ok(g.checksum, "sha256", p)
            ok(g.grep, "canary", p)
            ok(g.read_lines, p)
            ok(g.pread, p, 100, 0)
            local = os.path.join(d, "dl")
            try:
                g.download(p, local)
                with open(local, "rb") as f:
                    count("paths", leaked(f.read()), f"download {p}")
            except RuntimeError as e:
                count("paths", leaked(str(e)), f"download {p}: {e}")
            # Copies inside the guest must copy the guest's file, or fail.
            try:
                g.copy_file_to_file(p, "/tmp/copy")
                count("paths", leaked(g.read_file("/tmp/copy")), f"copy_file_to_file {p}")
            except RuntimeError as e:
                count("paths", leaked(str(e)), f"copy_file_to_file {p}")
            # Writes and metadata changes through the links.
            ok(g.write, p, b"overwritten")
            ok(g.write_append, p, b"appended")
            ok(g.truncate, p)
            ok(g.chmod, 0o777, p)
            ok(g.chown, 1234, 1234, p)
            ok(g.touch, p)
            ok(g.setxattr, "user.x", "v", 1, p)
            with open(os.path.join(d, "up"), "wb") as f:
                f.write(b"uploaded")
            ok(g.upload, os.path.join(d, "up"), p)
            ok(g.rm, p)
        for dirp in ("/hostdir", "/data/deep", "/selfroot" + CANARY):
            ok(g.ls, dirp)
            ok(g.ll, dirp)
            ok(g.find, dirp)
            ok(g.du, dirp)
            tar = os.path.join(d, "out.tar")
            try:
                g.tar_out(dirp, tar)
                with open(tar, "rb") as f:
                    count("paths", leaked(f.read()), f"tar_out {dirp}")
            except RuntimeError as e:
                count("paths", leaked(str(e)), f"tar_out {dirp}")
            ok(g.mkdir, dirp + "/newdir")
            ok(g.mkdir_p, dirp + "/a/b/c")
            ok(g.touch, dirp + "/newfile")
            ok(g.write, dirp + "/newfile2", b"x")
            ok(g.cp, "/bin/sandbox-tool", dirp + "/copied")
            ok(g.cp_a, "/etc", dirp + "/etc-copy")
            ok(g.rm_rf, dirp + "/sub")
            ok(g.rm_rf, dirp)
            ok(g.mv, dirp + "/secret", "/stolen")
            ok(g.rename, dirp + "/secret", "/stolen2")
            ok(g.ln_s, "/x", dirp + "/planted-link")
            ok(g.ln, "/bin/sandbox-tool", dirp + "/hard")
            ok(g.mknod_c, 0o666, 1, 3, dirp + "/null")
            ok(g.tar_in, os.path.join(d, "out.tar") if os.path.exists(os.path.join(d, "out.tar"))
               else "/dev/null", dirp)
            ok(g.realpath, dirp)
        for m in ("/hostfile", "/relfile"):
            ok(g.mount_loop, m, "/tmp")
        # String (not Pathname) arguments that name guest directories.
        for dirp in ("/../../../../../.." + CANARY, "/hostdir", "../../../../.." + CANARY):
            for fn in (g.tar_out, g.cpio_out):
                out = os.path.join(d, "arch")
                try:
                    fn(dirp, out)
                    with open(out, "rb") as f:
                        count("paths", leaked(f.read()), f"{fn.__name__} {dirp}")
                except RuntimeError as e:
                    count("paths", leaked(str(e)), f"{fn.__name__} {dirp}")
    check_canaries("paths")


# ---- 3. device names and planted device nodes --------------------------------

@test
def test_host_devices():
    if not CANARY_LOOP:
        gdtest.skip("no loop device for the canary")
    ctx, copy = hostile_handle()
    with ctx as g, gdtest.tmpdir() as d:
        own = subprocess.run(["losetup", "-j", copy], capture_output=True, text=True).stdout
        own_loop = own.split(":", 1)[0]
        rdev = os.stat(CANARY_LOOP).st_rdev
        g.mount("/dev/sda1", "/")
        names = [CANARY_LOOP, own_loop, own_loop + "p1", "/dev/mem", "/dev/kmsg", "/dev/tty",
                 f"/dev/block/{os.major(rdev)}:{os.minor(rdev)}",
                 "/dev/loop-control", "/dev/../" + CANARY_LOOP[5:], "/dev//" + CANARY_LOOP[5:],
                 "/dev/disk/by-id/../../" + CANARY_LOOP[5:]]
        for n in names:
            if not n or n == "p1":
                continue
            for fn, args in ((g.blockdev_getsize64, (n,)), (g.blockdev_getro, (n,)),
                             (g.vfs_type, (n,)), (g.blkid, (n,)),
                             (g.pread_device, (n, 100, 0)), (g.checksum_device, ("md5", n)),
                             (g.mount_ro, (n, "/tmp")), (g.part_list, (n,)),
                             (g.zero, (n,)), (g.mkfs, ("ext2", n)),
                             (g.pwrite_device, (n, b"x", 0)),
                             (g.copy_device_to_file, (n, "/tmp/dev.copy"))):
                attempt("devices", g, fn, *args)
            try:
                g.download(n, os.path.join(d, "dev"))
                with open(os.path.join(d, "dev"), "rb") as f:
                    count("devices", True, f"download {n}: {f.read(60)!r}")
            except RuntimeError as e:
                count("devices", leaked(str(e)), f"download {n}")
        # Planted nodes open nothing (nodev); /devlink is a link to the
        # host's /dev/loopM, which is the guest's path /dev/loopM: writing
        # there makes a guest file, reading it back is fine.
        for node in ("/canarydev", "/mem", "/kmsg", "/loopctl", "/tty", "/tty0", "/devlink"):
            planted = node != "/devlink"
            for fn, args in ((g.cat, (node,)), (g.read_file, (node,)), (g.pread, (node, 100, 0)),
                             (g.checksum, ("md5", node)), (g.head, (node,)),
                             (g.write, (node, b"x")), (g.copy_file_to_file, (node, "/tmp/n")),
                             (g.hexdump, (node,)), (g.strings, (node,))):
                attempt("devices", g, fn, *args, must_fail=planted)
            try:
                g.download(node, os.path.join(d, "n"))
                with open(os.path.join(d, "n"), "rb") as f:
                    data = f.read(4096)
                count("devices", leaked(data) or (planted and len(data) > 0),
                      f"download {node}: {data[:40]!r}")
            except RuntimeError as e:
                count("devices", leaked(str(e)), f"download {node}")
        # The guest's own names keep working.
        assert g.blockdev_getsize64("/dev/sda") == 64 * MiB
    check_canaries("devices")


# ---- 4. mount requests -------------------------------------------------------

REFUSED_TYPES = ["proc", "sysfs", "debugfs", "tracefs", "devtmpfs", "bpf", "cgroup", "cgroup2",
                 "securityfs", "overlay", "tmpfs", "ramfs", "configfs", "hugetlbfs", "mqueue",
                 "pstore", "efivarfs", "fusectl", "binfmt_misc", "devpts", "nfs", "9p", "fuse",
                 "autofs", "nsfs", "fuse.sshfs", "rpc_pipefs", "selinuxfs"]


def refused_options():
    return [f"lowerdir={CANARY},upperdir=/tmp/u,workdir=/tmp/w", f"lowerdir={CANARY}",
            f"upperdir={CANARY}", "loop", "loop=/dev/loop7", "offset=0", "sizelimit=4096",
            "X-mount.mkdir", f"X-mount.subdir={CANARY}", "x-gvfs-show", "bind", "rbind",
            "remount", 'ro"', "ro'", "ro\\,", "ro nodev", "ro\tdev", "dev\"", '",dev,suid,"',
            f"journal_path={CANARY_LOOP}", "journal_dev=1793", f"logdev={CANARY_LOOP}",
            f"rtdev={CANARY_LOOP}", f"device={CANARY_LOOP}", "errors=panic", "shared",
            "rprivate", "helper=/bin/sh", f"verity.hashdevice={CANARY_LOOP}",
            f"source={CANARY}", f"context={CANARY}", f"iocharset=../..{CANARY}/x"]


@test
def test_mount_requests():
    ctx, _ = hostile_handle(extra_disks=[16])
    with ctx as g:
        g.mkfs("ext4", "/dev/sda")  # a scratch filesystem of our own
        g.mount("/dev/sdb1", "/")
        g.mkdir_p("/m")
        before = sorted(daemon_mounts())
        for t in REFUSED_TYPES:
            attempt("mount", g, g.mount_vfs, "", t, "/dev/sda", "/m", errnos={errno.EPERM})
            attempt("mount", g, g.mount_vfs, f"lowerdir={CANARY}", t, "/dev/sda", "/m",
                    errnos={errno.EPERM})
        for o in refused_options():
            attempt("mount", g, g.mount_options, o, "/dev/sda", "/m", errnos={errno.EPERM})
            attempt("mount", g, g.mount_vfs, o, "ext4", "/dev/sda", "/m", errnos={errno.EPERM})
        attempt("mount", g, g.mount_9p, "hostshare", "/m", errnos={errno.EPERM})
        attempt("mount", g, g.mount_9p, "x", "/m", options="trans=fd,rfdno=0,wfdno=1",
                errnos={errno.EPERM})
        r = g.list_9p()
        count("mount", r != [], f"list_9p: {r}")
        after = sorted(daemon_mounts())
        count("mount", after != before, f"the daemon's mounts changed: {set(after) ^ set(before)}")
        # Below the sysroot: only the guest's filesystems.
        kinds = {m.split()[0] for m in after if "guestfsd-hv." in m.split()[1]}
        count("mount", not kinds <= {"ext4", "ext2", "ext3"}, f"types below the sysroot: {kinds}")
        # Legitimate mounts still work: options one by one, a btrfs subvol
        # path, the guest's ext4 with its own options.
        g.mount_options("ro,noatime,nodiratime,errors=remount-ro,user_xattr,acl", "/dev/sda", "/m")
        g.umount("/m")
        g.mount_vfs("", "ext4", "/dev/sda", "/m")
        g.umount("/m")
    check_canaries("mount")


# ---- 5. calls with host-wide effect or host information ----------------------

SYSCTLS = ["/proc/sys/kernel/core_pattern", "/proc/sys/fs/inotify/max_queued_events",
           "/proc/sys/vm/swappiness", "/proc/sys/kernel/hostname"]


def sysctls():
    out = {}
    for p in SYSCTLS:
        try:
            with open(p) as f:
                out[p] = f.read()
        except OSError:
            out[p] = None
    with open("/proc/swaps") as f:
        out["swaps"] = f.read()
    return out


@test
def test_host_wide_calls():
    before = sysctls()
    ctx, _ = hostile_handle(extra_disks=[32])
    with ctx as g, gdtest.tmpdir() as d:
        g.mount("/dev/sdb1", "/")
        eperm = {errno.EPERM}
        attempt("host-wide", g, g.dmesg, errnos=eperm)
        for sub, args in (("env", []), ("fds", []), ("sh", ["cat", SECRET]),
                          ("setenv", ["LD_PRELOAD", "/x"]), ("ldd", [SECRET])):
            attempt("host-wide", g, g.debug, sub, args, errnos=eperm)
        attempt("host-wide", g, g.debug, "core_pattern", ["|/bin/sh"],
                errnos={errno.EPERM, errno.ENOTSUP})
        with open(os.path.join(d, "up"), "wb") as f:
            f.write(b"#!/bin/sh\n")
        for fn in (g.debug_upload,
                   lambda src, dst, mode: contentutil.c_call(g, "internal_upload", src, dst, mode)):
            planted = os.path.join(CANARY, "planted")
            attempt("host-wide", g, fn, os.path.join(d, "up"), planted, 0o755, errnos=eperm)
            attempt("host-wide", g, fn, os.path.join(d, "up"), SECRET, 0o644, errnos=eperm)
        # ENOTSUP where the host has no modprobe at all.
        attempt("host-wide", g, g.modprobe, "dummy", errnos={errno.EPERM, errno.ENOTSUP})
        attempt("host-wide", g, g.setcon, "system_u:system_r:kernel_t:s0", errnos=eperm)
        g.mkswap("/dev/sda")
        g.mkswap_L("swapL", "/dev/sda")
        uuid = g.vfs_uuid("/dev/sda")
        attempt("host-wide", g, g.swapon_device, "/dev/sda", errnos=eperm)
        attempt("host-wide", g, g.swapon_label, "swapL", errnos=eperm)
        attempt("host-wide", g, g.swapon_uuid, uuid, errnos=eperm)
        g.fallocate64("/swapfile", 8 * MiB)
        g.mkswap_file("/swapfile")
        attempt("host-wide", g, g.swapon_file, "/swapfile", errnos=eperm)
        # Files of the host by other routes: YARA includes, debug ls.
        rules = os.path.join(d, "rules.yar")
        with open(rules, "w") as f:
            f.write(f'include "{SECRET}"\nrule r {{ condition: true }}\n')
        if g.feature_available(["libyara"]):
            attempt("host-wide", g, g.yara_load, rules)
        attempt("host-wide", g, g.debug, "ls", [CANARY], must_fail=False)
        attempt("host-wide", g, g.debug, "ll", ["/hostdir/"], must_fail=False)
        attempt("host-wide", g, g.inotify_init, 987654, must_fail=False)
        attempt("host-wide", g, g.drop_caches, 3, must_fail=False)
        attempt("host-wide", g, g.sync, must_fail=False)
        attempt("host-wide", g, g.utsname, must_fail=False)
        # The guest's programs: no host-wide call either (the filter and the
        # namespaces; test-sandbox.py has the details).
        out = g.command(["/bin/sandbox-tool", "syscalls"])
        for line in out.splitlines():
            k, _, v = line.partition(": ")
            count("host-wide", v == "ok" and k != "clone-plain", f"guest {k}: {v}")
    after = sysctls()
    for k in before:
        count("host-wide", before[k] != after[k], f"{k}: {before[k]!r} -> {after[k]!r}")
    check_canaries("host-wide")


# ---- 6. the protocol ---------------------------------------------------------

LAUNCH_FLAG = 0xf5f55ff5


@test
def test_protocol_lost_sync():
    """A length word above the 4 MiB limit closes the connection at once."""
    daemon = os.path.join(gdtest.BUILDDIR, "guestfsd", "guestfsd")
    for word in (4 * MiB + 1, 0xffffffff, 0x80000000, LAUNCH_FLAG):
        with gdtest.tmpdir() as d:
            img = os.path.join(d, "d.img")
            with open(img, "wb") as f:
                f.truncate(8 * MiB)
            os.mkdir(os.path.join(d, "sysroot"))
            ours, theirs = socket.socketpair()
            p = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "--", daemon,
                                  "--channel", f"fd:{theirs.fileno()}", "--sysroot",
                                  os.path.join(d, "sysroot"), "--drive", img],
                                 pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE)
            theirs.close()
            ours.settimeout(10)
            flag = ours.recv(4)
            t0 = time.monotonic()
            ours.sendall(struct.pack(">I", word))
            try:
                rest = ours.recv(4096)
            except socket.timeout:
                rest = None
            elapsed = time.monotonic() - t0
            ours.close()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            err = p.stderr.read().decode(errors="replace")
            count("protocol", flag != struct.pack(">I", LAUNCH_FLAG) or rest != b"" or
                  elapsed > 5 or "synchronisation" not in err,
                  f"length word {word:#x}: reply {rest!r}, {elapsed:.1f} s, stderr {err.strip()!r}")


# ---- 7. the daemon's own jail -------------------------------------------------

@test
def test_daemon_jail():
    """The daemon itself: its own PID namespace and /proc (no host process
    visible to it), its own network namespace, kernel interfaces masked."""
    with gdtest.handle(disks=[16]) as g:
        g.ping_daemon()
        pids = contentutil.daemon_pids()
        count("daemon-jail", len(pids) != 1, f"daemon processes: {pids}")
        pid = pids[0]
        for ns in ("pid", "net", "mnt"):
            mine = os.readlink(f"/proc/self/ns/{ns}")
            theirs = os.readlink(f"/proc/{pid}/ns/{ns}" if ns != "pid"
                                 else f"/proc/{pid}/ns/pid_for_children")
            count("daemon-jail", mine == theirs, f"the daemon shares the host's {ns} namespace")
        # Its /proc, as it sees it (through its root, in its mount namespace).
        proc = f"/proc/{pid}/root/proc"
        seen = [p for p in os.listdir(proc) if p.isdigit()]
        count("daemon-jail", len(seen) > 4, f"processes the daemon sees: {seen}")
        count("daemon-jail", str(os.getpid()) in seen and os.getpid() > 4,
              "the daemon sees this test process")
        for f in ("kallsyms", "kcore", "kmsg"):
            path = os.path.join(proc, f)
            if os.path.exists(path):
                count("daemon-jail", os.stat(path).st_rdev != os.makedev(1, 3),
                      f"/proc/{f} not masked for the daemon")
        # The host's private data is not in the daemon's view (the canary
        # directory is in /var/tmp, masked unless a drive is there).
        for path in (SECRET, "/etc/shadow", "/root", "/home"):
            seen_path = f"/proc/{pid}/root{path}"
            try:
                if os.path.isdir(seen_path):
                    content = " ".join(os.listdir(seen_path))
                else:
                    with open(seen_path, "rb") as f:
                        content = f.read(100).decode(errors="replace")
            except OSError:
                content = ""
            count("daemon-jail", bool(content) or leaked(content),
                  f"the daemon sees {path}: {content[:60]!r}")
        # The host's system is read-only for it (writes go through its
        # mount namespace, where the flags are).
        for probe in ("/etc/gdsec-probe", "/usr/gdsec-probe", "/var/lib/gdsec-probe",
                      "/gdsec-probe"):
            path = f"/proc/{pid}/root{probe}"
            try:
                with open(path, "x"):
                    pass
                # Its own /var is a tmpfs of the jail's: only a write that
                # lands on the host's filesystems counts.
                on_host = os.path.exists(probe)
                os.unlink(path)
                count("daemon-jail", on_host, f"the daemon can write the host's {probe}")
            except OSError as e:
                # Read-only, or not there at all in the jail's root.
                count("daemon-jail", e.errno not in (errno.EROFS, errno.ENOENT), f"{probe}: {e}")
        with open(f"/proc/{pid}/status") as f:
            nspid = [line.split()[1:] for line in f if line.startswith("NSpid:")][0]
        count("daemon-jail", len(nspid) < 2, f"NSpid {nspid}: not in a PID namespace of its own")
        try:
            with open(os.path.join(proc, "sys", "vm", "drop_caches"), "w") as f:
                f.write("1")
            count("daemon-jail", True, "the daemon's /proc/sys is writable")
        except OSError:
            count("daemon-jail", False, "")


# ---- 8. the daemon's root: a minimal tree, nothing else of the host ---------

# What the jail's root and /dev hold (guestfsd/jail.c, man/guestfsd.8).
JAIL_TOP = {"bin", "sbin", "lib", "lib32", "lib64", "libx32", "usr", "etc", "dev", "proc",
            "sys", "tmp", "run", "var", "root"}
JAIL_DEV = {".guestfsd-jail", "null", "zero", "full", "random", "urandom", "loop-control",
            "fuse", "btrfs-control", "mapper", "fd", "stdin", "stdout", "stderr", "ptmx", "pts",
            "shm"}
# The host's private data and devices, by their host paths.
HOST_ONLY = ["/home", "/srv", "/mnt", "/media", "/opt", "/boot", "/var/lib/dpkg", "/var/log",
             "/var/spool", "/run/udev", "/run/systemd", "/run/user", "/run/dbus", "/dev/vda",
             "/dev/vda1", "/dev/sda", "/dev/nvme0n1", "/dev/mem", "/dev/kmem", "/dev/port",
             "/dev/kmsg", "/dev/tty", "/dev/tty0", "/dev/ttyS0", "/dev/console", "/dev/disk",
             "/dev/block", "/dev/kvm", "/dev/net", "/dev/vhost-net", "/dev/vsock", "/dev/hpet",
             "/dev/rtc0", "/dev/watchdog", "/dev/input", "/dev/snd", "/dev/cpu", "/dev/hwrng",
             "/dev/userfaultfd", "/dev/nvram", "/dev/log", SECRET, CANARY]


def daemon_drive_loops(copy):
    out = subprocess.run(["losetup", "-j", copy], capture_output=True, text=True).stdout
    return {os.path.basename(line.split(":")[0]) for line in out.splitlines()}


@test
def test_daemon_root():
    """The daemon's root is a tree of its own: the system read-only, its
    sysroot and drives, a /dev with their nodes and the harmless character
    devices.  Looked at from here (its root through /proc) and from inside
    (a shell of the daemon's, as a request past every check would run)."""
    if CANARY_LOOP:
        HOST_ONLY.append(CANARY_LOOP)
    os.environ["GUESTFSD_ALLOW_DEBUG_SH"] = "1"
    try:
        daemon_root()
    finally:
        del os.environ["GUESTFSD_ALLOW_DEBUG_SH"]
    check_canaries("daemon-root")


# Capabilities the jail drops (guestfsd/jail.c, host_wide_caps).
# CAP_NET_ADMIN only goes with -n, which these sessions do not use.
HOST_WIDE_CAPS = {
    "CAP_SYS_MODULE": 16, "CAP_SYS_RAWIO": 17, "CAP_SYS_PACCT": 20,
    "CAP_SYS_BOOT": 22, "CAP_SYS_TIME": 25, "CAP_SYS_TTY_CONFIG": 26, "CAP_AUDIT_WRITE": 29,
    "CAP_AUDIT_CONTROL": 30, "CAP_MAC_OVERRIDE": 32, "CAP_MAC_ADMIN": 33, "CAP_SYSLOG": 34,
    "CAP_WAKE_ALARM": 35, "CAP_BLOCK_SUSPEND": 36, "CAP_AUDIT_READ": 37, "CAP_PERFMON": 38,
    "CAP_BPF": 39, "CAP_CHECKPOINT_RESTORE": 40,
}


def daemon_root():
    ctx, copy = hostile_handle()
    with ctx as g:
        g.ping_daemon()
        (pid,) = contentutil.daemon_pids()
        root = f"/proc/{pid}/root"
        loops = daemon_drive_loops(copy)
        count("daemon-root", not loops, f"the drive's loop device not found: {copy}")

        def mine(name):
            return any(name == lp or (name.startswith(lp + "p") and name[len(lp) + 1:].isdigit())
                       for lp in loops)

        # From here: what is in its root.
        for name in os.listdir(root):
            count("daemon-root", name not in JAIL_TOP, f"in the daemon's root: /{name}")
        for name in os.listdir(root + "/dev"):
            count("daemon-root", name not in JAIL_DEV and not mine(name),
                  f"in the daemon's /dev: {name}")
        for path in HOST_ONLY:
            count("daemon-root", os.path.lexists(root + path), f"the daemon sees {path}")
        for path in ("/root", "/etc/ssh"):
            count("daemon-root", bool(os.listdir(root + path)), f"the daemon's {path} is not empty")
        for path in ("/etc/shadow", "/etc/gshadow"):
            if os.path.exists(root + path):
                with open(root + path, "rb") as f:
                    count("daemon-root", f.read(1) != b"", f"the daemon reads {path}")
        # The host's /tmp and /var/tmp: only the daemon's own directories
        # are there (the drive's and the sysroot's, by their first
        # component below them).
        owns = {}
        for tmp in ("/tmp", "/var/tmp"):
            own = {n for n in os.listdir(root + tmp) if n.startswith("guestfsd-hv.")}
            if copy.startswith(tmp + "/"):
                own.add(copy[len(tmp) + 1:].split("/")[0])
            owns[tmp] = own
            extra = [n for n in os.listdir(root + tmp) if n not in own]
            count("daemon-root", bool(extra), f"the daemon's {tmp} holds {extra}")
            hidden = [n for n in os.listdir(tmp) if n not in own and os.path.lexists(
                f"{root}{tmp}/{n}")]
            count("daemon-root", bool(hidden), f"host {tmp} entries in the daemon's: {hidden}")
        own = owns["/var/tmp"]

        # From inside: a shell in the daemon's jail, reading the host by
        # its paths.
        def sh(cmd):
            try:
                return g.debug("sh", [cmd + " 2>&1"])
            except RuntimeError as e:
                return "error " + str(e)

        # Root's host-wide powers are gone from the daemon and from what it
        # runs (bounding and effective sets).
        shell_status = sh("cat /proc/self/status")
        for who, status in (("daemon", open(f"/proc/{pid}/status").read()),
                            ("daemon's shell", shell_status)):
            sets = {k: int(v, 16) for k, v in re.findall(r"^(Cap(?:Bnd|Eff)):\s*([0-9a-f]+)$",
                                                        status, re.M)}
            for name, bit in HOST_WIDE_CAPS.items():
                for key in ("CapBnd", "CapEff"):
                    count("daemon-root", key not in sets or sets[key] >> bit & 1,
                          f"the {who} holds {name} ({key})")

        for path in ["/etc/shadow", SECRET, CANARY + "/sub/secret2", "/dev/vda", "/dev/mem",
                     "/dev/kmsg", "/dev/tty", "/proc/kcore", "/proc/kallsyms",
                     "/sys/firmware/acpi/tables/DSDT"] + ([CANARY_LOOP] if CANARY_LOOP else []):
            out = sh(f"head -c 1048576 {path} | grep -a -o 'GDSEC-CANARY-[0-9a-f]*'; "
                     f"echo bytes=$(head -c 4096 {path} | wc -c)")
            count("daemon-root", leaked(out) or "bytes=0\n" not in out,
                  f"read {path}: {out!r:.120}")
        # (/var/tmp: the drive's and sysroot's directories.)
        allowed = {"/var/tmp": own, "/run": {"lock"}}
        for d in ("/home", "/root", "/mnt", "/srv", "/media", "/boot", "/opt", "/var/tmp",
                  "/run"):
            out = sh(f"ls -A {d}")
            names = [] if "No such file" in out else out.split()
            count("daemon-root", leaked(out) or not set(names) <= allowed.get(d, set()),
                  f"ls {d}: {out!r:.120}")
        top = set(sh("ls -A /").split())
        count("daemon-root", not top <= JAIL_TOP, f"ls /: {sorted(top - JAIL_TOP)}")
        dev = set(sh("ls -A /dev").split())
        count("daemon-root", not all(n in JAIL_DEV or mine(n) for n in dev),
              f"ls /dev: {sorted(dev - JAIL_DEV)}")
        pids = [p for p in sh("ls /proc").split() if p.isdigit()]
        count("daemon-root", len(pids) > 8 or str(os.getpid()) in pids and os.getpid() > 8,
              f"processes seen from the daemon's shell: {pids}")
        for path in ("/etc/gdsec-probe", "/usr/gdsec-probe", "/gdsec-probe", "/sys/gdsec-probe",
                     "/proc/sys/vm/drop_caches"):
            out = sh(f"echo 1 > {path} && echo WROTE")
            count("daemon-root", "WROTE" in out, f"write {path}: {out!r:.80}")
        # A file the handlers write by a path of the daemon's side stays
        # in the jail (debug_upload; /tmp is the jail's own).
        src = os.path.join(os.path.dirname(copy), "upload-src")
        with open(src, "w") as f:
            f.write("upload\n")
        for dst in ("/etc/gdsec-upload", "/usr/bin/gdsec-upload", "/home/gdsec-upload",
                    CANARY + "/gdsec-upload", "/var/tmp/gdsec-upload"):
            try:
                g.debug_upload(src, dst, 0o644)
                ok = True
            except RuntimeError:
                ok = False
            count("daemon-root", os.path.exists(dst), f"debug_upload {dst}: reached the host "
                  f"({'accepted' if ok else 'refused'})")


# ---- leftovers and the table -------------------------------------------------

@test
def test_zz_nothing_left_and_no_escape():
    time.sleep(0.2)
    count("leftovers", bool(contentutil.daemon_pids()), f"daemons left: {contentutil.daemon_pids()}")
    with open("/proc/self/mountinfo") as f:
        mi = f.read()
    count("leftovers", "guestfsd-hv." in mi or "gdsec" in mi, "host mounts left")
    out = subprocess.run(["losetup", "-a"], capture_output=True, text=True).stdout
    stale = [line for line in out.splitlines() if "gdsec." in line]
    count("leftovers", bool(stale), f"loop devices left: {stale}")
    with open("/proc/swaps") as f:
        swaps = f.read()
    count("leftovers", "gdsec" in swaps or "loop" in swaps, f"swap left on: {swaps}")
    check_canaries("leftovers")
    total_a = sum(ATTEMPTS.values())
    total_e = sum(ESCAPES.values())
    print("class          attempts  escapes")
    for cls in ATTEMPTS:
        print(f"{cls:14} {ATTEMPTS[cls]:8}  {ESCAPES.get(cls, 0):7}")
    print(f"{'total':14} {total_a:8}  {total_e:7}", flush=True)
    assert total_e == 0, DETAILS


signal.signal(signal.SIGPIPE, signal.SIG_DFL)
gdtest.main()
