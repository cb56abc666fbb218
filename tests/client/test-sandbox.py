#!/usr/bin/python3
# The sandbox of host mode's guest commands (libguestfsd/handlers/sandbox.c):
# a static program in the guest (data/sandbox-tool.c), run with command,
# tries what a hostile guest program would try against the host (leave
# the chroot, open a host device, make one, mount, look through
# /proc/1/root, kill a host process, load a module, see the host's
# network, write to /proc/sys and /sys, new namespaces ...): each must
# fail, while what guest programs legitimately need (/dev/null, zero,
# urandom, full, pseudo-terminals, /proc/self, /dev/shm, chown, the
# loopback interface) works.  Also: the daemon's own namespaces are left
# alone, and debug sh & co are refused in host mode.

import atexit
import ctypes
import errno
import os
import shutil
import socket
import subprocess
import tempfile
import time

import guestfs

import contentutil
import gdtest
from contentutil import Tree, read_file
from gdtest import MiB, test

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = {}


def static_program(name):
    """tests/client/data/NAME.c compiled statically (cached)."""
    if name not in TOOLS:
        d = tempfile.mkdtemp(prefix="gdtest.sandbox.")
        atexit.register(shutil.rmtree, d, ignore_errors=True)
        if name == "guest-tool":
            path = contentutil.build_guest_tool(d)
        else:
            cc = shutil.which("cc") or shutil.which("gcc")
            if cc is None:
                gdtest.skip("no C compiler to build the static sandbox-tool")
            path = os.path.join(d, name)
            r = subprocess.run([cc, "-static", "-O2", "-o", path,
                                os.path.join(HERE, "data", name + ".c")],
                               capture_output=True, text=True)
            if r.returncode != 0:
                gdtest.skip(f"cannot build a static {name} (libc6-dev needed): {r.stderr.strip()}")
        with open(path, "rb") as f:
            TOOLS[name] = f.read()
    return TOOLS[name]


def install(g):
    """/bin/sandbox-tool, /bin/sh (guest-tool's sh mode), /dev, /proc,
    /sys, /tmp, /etc."""
    t = Tree().dir("bin").file("bin/sandbox-tool", static_program("sandbox-tool"), mode=0o755) \
        .file("bin/sh", static_program("guest-tool"), mode=0o755)
    for d in ("dev", "proc", "sys", "tmp", "etc"):
        t.dir(d)
    t.put(g)


def tool(g, *args):
    return g.command(["/bin/sandbox-tool", *args])


def tool_lines(g, *args):
    return g.command_lines(["/bin/sandbox-tool", *args])


def tool_map(g, *args):
    """ "name: result" lines as a dict."""
    out = {}
    for line in tool_lines(g, *args):
        k, _, v = line.partition(": ")
        out[k] = v
    return out


def caps(g):
    """CapEff, CapBnd ... of the command, as ints."""
    return {k: (int(v, 16) if k.startswith("Cap") else int(v))
            for k, v in (line.split(":\t") for line in tool_lines(g, "status"))}


CAP = {"CHOWN": 0, "DAC_OVERRIDE": 1, "DAC_READ_SEARCH": 2, "FOWNER": 3, "FSETID": 4, "KILL": 5,
       "SETGID": 6, "SETUID": 7, "SETPCAP": 8, "LINUX_IMMUTABLE": 9, "NET_BIND_SERVICE": 10,
       "NET_BROADCAST": 11, "NET_ADMIN": 12, "NET_RAW": 13, "IPC_LOCK": 14, "IPC_OWNER": 15,
       "SYS_MODULE": 16, "SYS_RAWIO": 17, "SYS_CHROOT": 18, "SYS_PTRACE": 19, "SYS_PACCT": 20,
       "SYS_ADMIN": 21, "SYS_BOOT": 22, "SYS_NICE": 23, "SYS_RESOURCE": 24, "SYS_TIME": 25,
       "SYS_TTY_CONFIG": 26, "MKNOD": 27, "LEASE": 28, "AUDIT_WRITE": 29, "AUDIT_CONTROL": 30,
       "SETFCAP": 31, "MAC_OVERRIDE": 32, "MAC_ADMIN": 33, "SYSLOG": 34, "WAKE_ALARM": 35,
       "BLOCK_SUSPEND": 36, "AUDIT_READ": 37, "PERFMON": 38, "BPF": 39, "CHECKPOINT_RESTORE": 40}
KEPT = {"CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
        "LINUX_IMMUTABLE", "SETFCAP"}


def landlock_abi():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc.syscall(ctypes.c_long(444), None, ctypes.c_long(0), ctypes.c_long(1))


def daemon_namespaces():
    pids = contentutil.daemon_pids()
    assert len(pids) == 1, pids
    pid = pids[0]
    return pid, {ns: os.readlink(f"/proc/{pid}/ns/{ns}")
                 for ns in ("mnt", "pid", "net", "ipc", "uts", "cgroup")}


def drive_loop_device(image):
    """The loop device guestfsd-hv attached to our image (in the daemon's
    namespace it is the same device)."""
    out = subprocess.run(["losetup", "-j", image], capture_output=True, text=True).stdout
    return out.split(":", 1)[0] if out else None


@test
def test_legitimate_uses():
    with gdtest.handle(disks=[64]) as g:
        gdtest.mkfs_mount(g)
        install(g)
        assert tool_lines(g, "ls", "/dev") == sorted(
            ["fd", "full", "null", "ptmx", "pts", "random", "shm", "stderr", "stdin", "stdout",
             "urandom", "zero"])
        assert tool(g, "read", "/dev/zero", "100") == "100\n"
        assert tool(g, "read", "/dev/urandom", "16") == "16\n"
        assert tool(g, "read", "/dev/random", "16") == "16\n"
        assert tool(g, "write", "/dev/null", "x") == "ok\n"
        assert tool(g, "write", "/dev/full", "x") == "ENOSPC\n"
        assert tool(g, "write", "/dev/shm/sem.x", "x") == "ok\n"
        assert tool(g, "pty") == "ok hi\n"
        assert tool(g, "readlink", "/proc/self/exe") == "/bin/sandbox-tool\n"
        assert tool(g, "readlink", "/proc/self/fd/1").startswith("pipe:")
        assert tool(g, "readlink", "/dev/stdout") == "/proc/self/fd/1\n"
        assert int(tool(g, "read", "/proc/cpuinfo", "64")) > 0
        assert int(tool(g, "read", "/proc/self/mounts", "64")) > 0
        assert int(tool(g, "read", "/proc/meminfo", "64")) > 0
        # The command is not PID 1 (the sandbox's init is): it behaves as
        # anywhere else with signals.
        assert tool(g, "pid") == "2\n"
        # Threads and child processes (the C library's clone3 gets ENOSYS
        # and falls back on clone).
        assert tool(g, "threads") == "ok\n"
        assert tool(g, "spawn") == "ok\n"
        # Root manages the guest's files.
        assert tool(g, "write", "/tmp/f", "data") == "ok\n"
        assert tool(g, "chown", "/tmp/f", "1000", "1001") == "ok\n"
        st = g.statns("/tmp/f")
        assert (st["st_uid"], st["st_gid"]) == (1000, 1001)
        assert tool(g, "mknod", "/tmp/fifo", "p", "0", "0") == "ok\n"
        assert g.is_fifo("/tmp/fifo")
        # Within the guest "/" the guest tree and only it; /dev etc. are not
        # left in it (nor in the daemon's namespace).
        assert not g.exists("/dev/null") and g.ls("/dev") == []
        # The loopback interface works (a private network namespace).
        assert tool(g, "loopback") == "ok\n"
        assert g.sh("echo through sh") == "through sh\n"
        # Not in a pseudo-root: no_new_privs, seccomp, the kept
        # capabilities only, nothing inheritable or ambient.
        c = caps(g)
        assert c["NoNewPrivs"] == 1 and c["Seccomp"] == 2, c
        assert c["CapInh"] == 0 and c["CapAmb"] == 0, c
        for name, bit in CAP.items():
            want = name in KEPT or name == "NET_BIND_SERVICE"
            assert bool(c["CapBnd"] & (1 << bit)) == want, name
            assert bool(c["CapEff"] & (1 << bit)) == want, name


@test
def test_terminal_unreachable():
    # A guest program never reaches the terminal the client was started
    # from: no /dev/tty, a session of its own (led by the sandbox's init),
    # and TIOCSTI/TIOCLINUX refused by the filter even on a pseudo-terminal
    # of its own, where the kernel would allow them.  Its environment is
    # the appliance's, not the daemon's.
    with gdtest.handle(disks=[64]) as g:
        gdtest.mkfs_mount(g)
        install(g)
        r = tool_map(g, "terminal")
        assert r == {"open-dev-tty": "ENOENT", "tiocsti-fd0": "EPERM", "tiocsti-fd1": "EPERM",
                     "tiocsti-fd2": "EPERM", "tiocsti-own-pty": "EPERM",
                     "tioclinux-own-pty": "EPERM", "session-leader-is-init": "yes"}, r
        env = tool_lines(g, "env")
        assert sorted(env) == ["HOME=/", "LC_ALL=C", "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                               "SHELL=/bin/sh", "TERM=dumb"], env
        # PID 1 of the namespace (a copy of the daemon) shows no host path.
        cmdline = tool(g, "cat", "/proc/1/cmdline")
        assert cmdline.rstrip("\0") == "guestfsd-sandbox", repr(cmdline)
        for f in ("/proc/kallsyms", "/proc/modules", "/proc/cmdline", "/proc/kmsg"):
            assert tool(g, "read", f, "4096") in ("0\n", "ENOENT\n"), f


@test
def test_escapes_fail():
    with gdtest.handle(disks=[64]) as g:
        gdtest.mkfs_mount(g)
        install(g)
        daemon, ns_before = daemon_namespaces()

        # Out of the chroot: there is none to leave (pivot_root), and
        # chroot is refused anyway.
        assert tool_map(g, "chroot-escape") == {"chroot": "EPERM", "guest-root": "yes"}
        # Nothing of the host's tree is mounted in the namespace.
        points = [line.split()[4] for line in tool_lines(g, "cat", "/proc/self/mountinfo")]
        assert points[0] == "/", points
        assert all(p.startswith(("/proc", "/sys", "/dev")) for p in points[1:]), points

        # Calls that reach past a namespace.
        r = tool_map(g, "syscalls")
        assert r.pop("clone-plain") == "ok", r
        for name in ("clone3", "io_uring_setup"):
            if name in r:
                assert r.pop(name) == "ENOSYS", (name, r)
        assert all(v == "EPERM" for v in r.values()), r
        if os.uname().machine == "x86_64":
            # 32-bit programs: the i386 table has other numbers.
            assert tool_map(g, "syscalls32") == {
                "getpid": "ok", "unshare-user": "EPERM", "keyctl": "EPERM", "clone3": "ENOSYS",
                "io_uring_setup": "ENOSYS", "mount": "EPERM"}

        # Device nodes: none can be made, /dev has no block device.
        assert tool(g, "mknod", "/tmp/null2", "c", "1", "3") == "EPERM\n"
        assert tool(g, "mknod", "/tmp/loop0", "b", "7", "0") == "EPERM\n"
        assert not any(n.startswith(("sd", "vd", "loop", "nvme", "mem", "kmsg", "port"))
                       for n in tool_lines(g, "ls", "/dev"))

        # Init (PID 1, outside the command's reach) and the host's
        # processes: /proc shows only the sandbox's.
        assert tool(g, "readlink", "/proc/1/root") == "EACCES\n"
        assert tool(g, "open", "/proc/1/root/bin", "r") == "EACCES\n"
        assert tool(g, "readlink", "/proc/1/fd/3") == "EACCES\n"
        assert tool(g, "readlink", "/proc/1/exe") == "EACCES\n"
        assert tool(g, "open", "/proc/1/mem", "r") == "EACCES\n"
        assert sorted(n for n in tool_lines(g, "ls", "/proc") if n.isdigit()) == ["1", "2"]

        sleeper = subprocess.Popen(["sleep", "600"])
        try:
            assert tool_map(g, "kill", str(sleeper.pid)) == {"signal0": "ESRCH", "sigkill": "ESRCH"}
            time.sleep(0.1)
            assert sleeper.poll() is None
        finally:
            sleeper.kill()
            sleeper.wait()

        # Modules.
        assert tool(g, "finit-module", "/bin/sandbox-tool") == "EPERM\n"

        # The host's system-wide knobs: read-only (only opened, never written).
        for path in ("/proc/sys/kernel/hostname", "/proc/sys/vm/drop_caches",
                     "/proc/sys/kernel/core_pattern", "/sys/class/net/lo/tx_queue_len",
                     "/sys/kernel/mm/transparent_hugepage/enabled", "/proc/sysrq-trigger"):
            if os.path.exists(path):
                assert tool(g, "open", path, "w") == "EROFS\n", path
        assert tool(g, "write", "/sys/gdtest", "x") == "EROFS\n"
        assert tool_lines(g, "ls", "/sys/firmware") == []
        for path in ("/proc/timer_list", "/proc/kcore", "/proc/sched_debug", "/proc/keys"):
            if os.path.exists(path):
                assert tool(g, "read", path, "100") == "0\n", path

        # The host's network: not there.
        assert tool_lines(g, "ls", "/sys/class/net") == ["lo"]
        assert [line.split(":")[0].strip()
                for line in tool_lines(g, "cat", "/proc/net/dev")[2:]] == ["lo"]

        # What the command leaves running dies with it.
        assert tool(g, "orphan", "gd-sbx-orphan") == "ok\n"
        left = []
        for p in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{p}/comm") as f:
                    if f.read().strip() == "gd-sbx-orphan":
                        left.append(p)
            except OSError:
                pass
        assert left == [], left

        # The daemon is where it was, with nothing mounted for the command.
        assert daemon_namespaces() == (daemon, ns_before)
        with open(f"/proc/{daemon}/mountinfo") as f:
            mounts = [(line.split()[4], line.split(" - ")[1].split()[1]) for line in f]
        sysroot = [point for point, source in mounts if source.endswith("p1")][-1]
        below = [point for point, _ in mounts if point.startswith(sysroot + "/")]
        assert below == [], below
        g.ping_daemon()


@test
def test_guest_device_nodes_open_nothing():
    """Device nodes stored in the guest's filesystems (a hostile image
    can have any) name host devices: in the sandbox every guest mount is
    nodev, the root's and the others'."""
    with gdtest.tmpdir() as d:
        imgs = [os.path.join(d, f"disk{i}.img") for i in range(2)]
        for p in imgs:
            with open(p, "wb") as f:
                f.truncate(64 * MiB)
        g = guestfs.GuestFS(python_return_dict=True)
        try:
            for p in imgs:
                g.add_drive_opts(p, format="raw")
            g.launch()
            loop = drive_loop_device(imgs[0])
            assert loop, "no loop device found for the first drive"
            gdtest.mkfs_mount(g)
            g.mkfs("ext4", "/dev/sdb")
            install(g)
            g.mkdir("/boot")
            g.mount("/dev/sdb", "/boot")
            g.mknod_c(0o600, 1, 1, "/mem")          # /dev/mem
            g.mknod_c(0o600, 1, 11, "/boot/kmsg")   # /dev/kmsg, on the other mount
            st = os.stat(loop)
            g.mknod_b(0o600, os.major(st.st_rdev), os.minor(st.st_rdev), "/disk")
            assert tool(g, "open", "/mem", "r") == "EACCES\n"
            assert tool(g, "open", "/boot/kmsg", "r") == "EACCES\n"
            assert tool(g, "open", "/disk", "r") == "EACCES\n"
            # Read-only guest root: the sandbox is built all the same.
            g.umount_all()
            g.mount_ro("/dev/sda1", "/")
            g.mount("/dev/sdb", "/boot")
            assert tool(g, "open", "/mem", "r") == "EACCES\n"
            assert tool(g, "write", "/tmp/x", "x") == "EROFS\n"
            assert tool(g, "write", "/boot/x", "x") == "ok\n"
            assert "null" in tool_lines(g, "ls", "/dev")
        finally:
            g.shutdown()
            g.close()


@test
def test_network_on():
    with gdtest.tmpdir() as d:
        img = os.path.join(d, "disk.img")
        gdtest.make_image(img, 64, lambda g: (gdtest.mkfs_mount(g), install(g)))
        name = f"gdtest-sandbox-{os.getpid()}"
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind("\0" + name)
        listener.listen(1)
        try:
            # Without the network: another network namespace, where the
            # host's abstract socket does not exist.
            with gdtest.handle(images=[img]) as g:
                g.mount("/dev/sda1", "/")
                assert tool(g, "abstract", name) == "ECONNREFUSED\n"
            with gdtest.handle(images=[img], network=True) as g:
                g.mount("/dev/sda1", "/")
                # The host's network, but not its abstract Unix sockets
                # (where Landlock can tell), nor the capabilities to change
                # it or listen to it.
                assert tool_lines(g, "ls", "/sys/class/net") == sorted(os.listdir("/sys/class/net"))
                if landlock_abi() >= 6:
                    assert tool(g, "abstract", name) == "EPERM\n"
                c = caps(g)
                for cap in ("NET_ADMIN", "NET_RAW", "NET_BIND_SERVICE"):
                    assert not c["CapBnd"] & (1 << CAP[cap]), cap
                assert tool(g, "loopback") == "ok\n"
        finally:
            listener.close()


DPKG_STATUS = """\
Package: guest-base
Status: install ok installed
Maintainer: nobody <nobody@example.com>
Version: 1.0
Architecture: all
Description: the guest's base

Package: hello
Status: install ok installed
Maintainer: nobody <nobody@example.com>
Version: 2.10-3
Architecture: amd64
Description: a greeting
"""


def dynamic_guest(t, programs):
    """Adds this system's programs (found on PATH) and the libraries they
    load to the tree t (whose directories exist), in a merged-/usr
    layout: a guest of real, dynamically linked programs.  Returns False
    when a program is missing."""
    libs = set()
    for prog in programs:
        path = shutil.which(prog)
        if path is None:
            return False
        real = os.path.realpath(path)
        with open(real, "rb") as f:
            t.file("usr/bin/" + prog, f.read(), mode=0o755)
        out = subprocess.run(["ldd", real], capture_output=True, text=True).stdout
        for line in out.splitlines():
            words = line.split()
            lib = words[2] if "=>" in words and len(words) > 2 else words[0]
            if lib.startswith("/"):
                libs.add(lib)
    for lib in sorted(libs):
        # Where ldd found it, below usr/ (the loader through /lib64).
        target = "usr" + (lib[len("/usr"):] if lib.startswith("/usr/") else lib)
        with open(os.path.realpath(lib), "rb") as f:
            t.file(target, f.read(), mode=0o755)
    return True


@test
def test_real_programs():
    """What guest commands are for: a shell script reading and writing the
    guest's tree, listing, the package database (dpkg-query), background
    jobs: real dynamically linked programs (this system's)."""
    if not os.path.exists("/lib64/ld-linux-x86-64.so.2"):
        gdtest.skip("needs an x86-64 system with /lib64/ld-linux-x86-64.so.2")
    t = Tree()
    for d in ("usr", "usr/bin", "usr/lib", "usr/lib64", "usr/lib/x86_64-linux-gnu", "dev", "proc",
              "sys", "tmp", "etc", "var", "var/lib", "var/lib/dpkg", "var/lib/dpkg/info",
              "var/lib/dpkg/updates"):
        t.dir(d)
    t.symlink("bin", "usr/bin").symlink("lib", "usr/lib").symlink("lib64", "usr/lib64")
    if not dynamic_guest(t, ["dash", "ls", "sleep", "id", "cat", "dpkg-query"]):
        gdtest.skip("needs dash, ls, sleep, id, cat and dpkg-query")
    t.symlink("usr/bin/sh", "dash")
    t.file("var/lib/dpkg/status", DPKG_STATUS)
    with gdtest.handle(disks=[128]) as g:
        gdtest.mkfs_mount(g)
        t.put(g)
        assert g.sh("echo hello > /tmp/greeting; cat /tmp/greeting") == "hello\n"
        assert read_file(g, "/tmp/greeting") == b"hello\n"
        assert g.sh_lines("ls /") == sorted(
            ["bin", "dev", "etc", "lib", "lib64", "lost+found", "proc", "sys", "tmp", "usr",
             "var"])
        assert g.command_lines(["dpkg-query", "-W", "-f", "${Package} ${Version}\n"]) == [
            "guest-base 1.0", "hello 2.10-3"]
        assert g.sh("id -u") == "0\n"
        assert g.sh("sleep 0.1 & wait $! && echo waited") == "waited\n"
        assert g.sh("ls /proc/self/fd >/dev/null 2>&1 && echo fds") == "fds\n"
        assert "urandom" in g.sh_lines("ls /dev")
        assert g.sh("cat /proc/$$/comm") == "sh\n"
        # A script that fails says why on stderr: that is the error.
        gdtest.expect_error(g, g.sh, "cat /nonexistent", match="nonexistent")


@test
def test_debug_daemon_side_refused():
    assert "GUESTFSD_ALLOW_DEBUG_SH" not in os.environ
    with gdtest.tmpdir() as d, gdtest.handle(disks=[64]) as g:
        gdtest.mkfs_mount(g)
        # env and fds show the host's environment and paths.
        for sub, args in (("sh", ["id"]), ("ldd", ["/bin/true"]), ("setenv", ["LD_PRELOAD", "x"]),
                          ("SH", ["id"]), ("env", []), ("fds", [])):
            msg = gdtest.expect_error(g, g.debug, sub, args, errno=errno.EPERM)
            assert "GUESTFSD_ALLOW_DEBUG_SH=1" in msg and "host mode" in msg, msg
        src = os.path.join(d, "src")
        with open(src, "wb") as f:
            f.write(b"x")
        dst = os.path.join(d, "dst")
        gdtest.expect_error(g, g.debug_upload, src, dst, 0o644, errno=errno.EPERM)
        assert not os.path.exists(dst)
        # The rest of debug stays: it acts on the guest or says what it is.
        assert "sh" in g.debug("help", [])
        g.mkdir("/etc")
        assert g.debug("ls", ["/"]).split("\n")[:4] == [".", "..", "etc", "lost+found"]
        g.ping_daemon()


@test
def test_cost_per_command():
    """The sandbox's price per command call, printed (and bounded)."""
    n = 100
    with gdtest.handle(disks=[64]) as g:
        gdtest.mkfs_mount(g)
        install(g)
        tool(g, "true")
        t0 = time.monotonic()
        for _ in range(n):
            tool(g, "true")
        each = (time.monotonic() - t0) / n
        t0 = time.monotonic()
        for _ in range(n):
            g.ping_daemon()
        ping = (time.monotonic() - t0) / n
    print(f"  command(true): {each * 1000:.2f} ms a call, ping_daemon {ping * 1000:.2f} ms")
    assert each < 0.1, each


gdtest.main()
