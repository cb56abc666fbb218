"""gdtest: helpers for tests that drive our guestfsd through the real
libguestfs library (Debian's python3-guestfs) in host mode.

A test file defines functions decorated with @test and ends with
gdtest.main().  Each test prints one line (PASS/FAIL/SKIP); the file ends
with "N passed, N failed, N skipped" and exits 0, 1, or 77 (all skipped).

    import gdtest
    from gdtest import test, skip

    @test
    def test_write_read():
        with gdtest.handle(disks=[100]) as g:      # one 100 MiB scratch disk
            gdtest.mkfs_mount(g)                 # part_disk + mkfs ext4 + mount /
            g.write("/a", b"hi")
            assert g.cat("/a") == "hi"

    gdtest.main()

Environment (meson sets it): GDTEST_BUILDDIR, the build directory.
"""

import contextlib
import ctypes
import errno as errno_mod
import os
import re
import shutil
import sys
import tempfile
import time
import traceback

import guestfs

BUILDDIR = os.environ.get("GDTEST_BUILDDIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", "..", "build"))
SRCDIR = os.environ.get("GDTEST_SRCDIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))

os.environ["LIBGUESTFS_BACKEND"] = "direct"
os.environ["LIBGUESTFS_HV"] = os.path.join(BUILDDIR, "tools", "guestfsd-hv")
os.environ["LIBGUESTFS_PATH"] = os.path.join(BUILDDIR, "tools", "appliance")
os.environ.setdefault("TMPDIR", "/tmp")

MiB = 1024 * 1024
GiB = 1024 * MiB

_tests = []


class Skip(Exception):
    pass


def skip(reason):
    raise Skip(reason)


def test(fn):
    _tests.append(fn)
    return fn


# ---- errno of the last failed call (the Python binding drops it) ----------

_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.restype = ctypes.c_void_p
_capsule_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
_libguestfs = ctypes.CDLL("libguestfs.so.0")
_libguestfs.guestfs_last_errno.argtypes = [ctypes.c_void_p]
_libguestfs.guestfs_last_errno.restype = ctypes.c_int


def last_errno(g):
    return _libguestfs.guestfs_last_errno(_capsule_pointer(g._o, b"guestfs_h"))


def expect_error(g, fn, *args, errno=None, match=None, **kw):
    """Call fn(*args); it must fail (with errno and/or a message matching
    the regex match).  Returns the error message."""
    try:
        fn(*args, **kw)
    except RuntimeError as e:
        msg = str(e)
        if errno is not None:
            got = last_errno(g)
            if got != errno:
                raise AssertionError(
                    f"{fn.__name__}: errno {errno_mod.errorcode.get(got, got)}, "
                    f"expected {errno_mod.errorcode.get(errno, errno)} ({msg})")
        if match is not None and not re.search(match, msg):
            raise AssertionError(f"{fn.__name__}: error {msg!r} does not match {match!r}")
        return msg
    raise AssertionError(f"{fn.__name__}{args} succeeded, expected an error")


# ---- handles ---------------------------------------------------------------

@contextlib.contextmanager
def tmpdir():
    d = tempfile.mkdtemp(prefix="gdtest.")
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


@contextlib.contextmanager
def handle(disks=(), images=(), readonly_images=(), trace=False, launch=True, network=False):
    """A launched handle.  disks: sizes in MiB of fresh sparse scratch
    images (/dev/sda, /dev/sdb, ... in order); images / readonly_images:
    existing raw image paths added after them; network: set_network."""
    with tmpdir() as d:
        g = guestfs.GuestFS(python_return_dict=True)
        if trace:
            g.set_trace(True)
        if network:
            g.set_network(True)
        for i, size in enumerate(disks):
            path = os.path.join(d, f"disk{i}.img")
            with open(path, "wb") as f:
                f.truncate(int(size * MiB))
            g.add_drive_opts(path, format="raw")
        for path in images:
            g.add_drive_opts(path, format="raw")
        for path in readonly_images:
            g.add_drive_opts(path, format="raw", readonly=True)
        if launch:
            g.launch()
        try:
            yield g
        finally:
            try:
                g.shutdown()
            finally:
                g.close()


def mkfs_mount(g, device="/dev/sda", fstype="ext4", parttype="mbr"):
    """Partition device as one partition, make fstype on it, mount on /."""
    g.part_disk(device, parttype)
    g.mkfs(fstype, device + "1")
    g.mount(device + "1", "/")
    return device + "1"


def make_image(path, size_mib, setup=None):
    """Create a raw image; setup(g) runs with it as /dev/sda, launched."""
    with open(path, "wb") as f:
        f.truncate(int(size_mib * MiB))
    if setup is not None:
        g = guestfs.GuestFS(python_return_dict=True)
        g.add_drive_opts(path, format="raw")
        g.launch()
        try:
            setup(g)
        finally:
            g.shutdown()
            g.close()
    return path


def have_program(name):
    return shutil.which(name, path="/usr/sbin:/usr/bin:/sbin:/bin") is not None


def daemon_children():
    """PIDs of the daemon's worker processes (handlers/worker.h):
    processes below this test (the library runs guestfsd-hv, which runs the
    daemon) whose parent runs the same program (guestfsd) as themselves."""
    def exe(pid):
        try:
            return os.readlink(f"/proc/{pid}/exe")
        except OSError:
            return None

    parent = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                parent[int(pid)] = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            pass

    def below_us(pid):
        while pid > 1:
            if pid == os.getpid():
                return True
            pid = parent.get(pid, 0)
        return False

    def comm(pid):
        try:
            with open(f"/proc/{pid}/comm") as f:
                return f.read().strip()
        except OSError:
            return None

    # In host mode the daemon's parent is the init of its jail
    # ("guestfsd-init", the same program): not a worker's parent.
    found = []
    for pid, ppid in parent.items():
        me = exe(pid)
        if me and os.path.basename(me) == "guestfsd" and exe(ppid) == me and below_us(pid) \
                and comm(ppid) == "guestfsd":
            found.append(pid)
    return found


# ---- running ---------------------------------------------------------------

def main():
    only = os.environ.get("GDTEST_ONLY")
    passed = failed = skipped = 0
    for fn in _tests:
        name = fn.__name__
        if only and only not in name:
            continue
        t0 = time.monotonic()
        try:
            fn()
        except Skip as e:
            skipped += 1
            print(f"SKIP {name}: {e}", flush=True)
            continue
        except Exception as e:  # noqa: BLE001 - report every failure
            failed += 1
            print(f"FAIL {name}: {type(e).__name__}: {e}", flush=True)
            traceback.print_exc(file=sys.stdout)
            continue
        passed += 1
        print(f"PASS {name} ({time.monotonic() - t0:.2f}s)", flush=True)
    print(f"{passed} passed, {failed} failed, {skipped} skipped", flush=True)
    if failed:
        sys.exit(1)
    if passed == 0 and skipped > 0:
        sys.exit(77)
    sys.exit(0)
