"""Helpers shared by the content, archive and command tests (test-content.py,
test-archives.py, test-command.py): putting trees into a guest with tar_in,
reading files back, the static guest-tool program, and the daemon's
memory high-water mark."""

import ctypes
import io
import os
import shutil
import subprocess
import tarfile
import tempfile

import gdtest

HERE = os.path.dirname(os.path.abspath(__file__))

_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.restype = ctypes.c_void_p
_capsule_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
libguestfs = ctypes.CDLL("libguestfs.so.0")


def handle_ptr(g):
    return _capsule_pointer(g._o, b"guestfs_h")


def c_call(g, name, *args):
    """Calls a C API function missing from the Python binding (internal
    ones); args are str (char *) or int.  Raises RuntimeError like the
    binding."""
    fn = getattr(libguestfs, "guestfs_" + name)
    fn.restype = ctypes.c_int
    conv = [handle_ptr(g)]
    argtypes = [ctypes.c_void_p]
    for a in args:
        if isinstance(a, str):
            conv.append(a.encode())
            argtypes.append(ctypes.c_char_p)
        else:
            conv.append(a)
            argtypes.append(ctypes.c_int)
    fn.argtypes = argtypes
    if fn(*conv) == -1:
        libguestfs.guestfs_last_error.restype = ctypes.c_char_p
        libguestfs.guestfs_last_error.argtypes = [ctypes.c_void_p]
        raise RuntimeError(libguestfs.guestfs_last_error(handle_ptr(g)).decode(errors="replace"))
    return 0


def read_file(g, path):
    """The bytes of a guest file (through download)."""
    with tempfile.TemporaryDirectory(prefix="gdtest.") as d:
        local = os.path.join(d, "f")
        g.download(path, local)
        with open(local, "rb") as f:
            return f.read()


class Tree:
    """Builds a tar archive in memory: add files, dirs, links, devices."""

    def __init__(self):
        self.buf = io.BytesIO()
        self.tar = tarfile.open(fileobj=self.buf, mode="w", format=tarfile.PAX_FORMAT)

    def _info(self, name, kind, mode, **kw):
        ti = tarfile.TarInfo(name)
        ti.type = kind
        ti.mode = mode
        ti.mtime = kw.pop("mtime", 1_600_000_000)
        for k, v in kw.items():
            setattr(ti, k, v)
        return ti

    def file(self, name, data=b"", mode=0o644, **kw):
        if isinstance(data, str):
            data = data.encode()
        ti = self._info(name, tarfile.REGTYPE, mode, size=len(data), **kw)
        self.tar.addfile(ti, io.BytesIO(data))
        return self

    def dir(self, name, mode=0o755, **kw):
        self.tar.addfile(self._info(name, tarfile.DIRTYPE, mode, **kw))
        return self

    def symlink(self, name, target, **kw):
        self.tar.addfile(self._info(name, tarfile.SYMTYPE, 0o777, linkname=target, **kw))
        return self

    def hardlink(self, name, target, **kw):
        self.tar.addfile(self._info(name, tarfile.LNKTYPE, 0o644, linkname=target, **kw))
        return self

    def device(self, name, kind, major, minor, mode=0o600):
        t = tarfile.CHRTYPE if kind == "c" else tarfile.BLKTYPE
        self.tar.addfile(self._info(name, t, mode, devmajor=major, devminor=minor))
        return self

    def fifo(self, name, mode=0o644):
        self.tar.addfile(self._info(name, tarfile.FIFOTYPE, mode))
        return self

    def bytes(self):
        self.tar.close()
        return self.buf.getvalue()

    def put(self, g, directory="/"):
        """tar_in the tree into directory."""
        with tempfile.TemporaryDirectory(prefix="gdtest.") as d:
            path = os.path.join(d, "t.tar")
            with open(path, "wb") as f:
                f.write(self.bytes())
            g.tar_in(path, directory)


def tar_out_members(g, directory, **opts):
    """tar_out, opened with tarfile: {name: TarInfo} plus the raw bytes."""
    with tempfile.TemporaryDirectory(prefix="gdtest.") as d:
        path = os.path.join(d, "out.tar")
        g.tar_out(directory, path, **opts)
        with open(path, "rb") as f:
            raw = f.read()
    with tarfile.open(fileobj=io.BytesIO(raw)) as t:
        members = {m.name: m for m in t.getmembers()}
        contents = {m.name: t.extractfile(m).read() for m in t.getmembers()
                    if m.isreg() or m.islnk()}
    return members, contents, raw


def build_guest_tool(outdir):
    """Compiles tests/client/data/guest-tool.c statically; returns its path
    or skips the test when there is no compiler or static C library."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        gdtest.skip("no C compiler to build the static guest-tool")
    out = os.path.join(outdir, "guest-tool")
    r = subprocess.run([cc, "-static", "-O2", "-o", out, os.path.join(HERE, "data", "guest-tool.c")],
                       capture_output=True, text=True)
    if r.returncode != 0:
        gdtest.skip(f"cannot build a static guest-tool (libc6-dev needed): {r.stderr.strip()}")
    return out


def daemon_pids():
    """guestfsd processes started below this test process (through
    guestfsd-hv)."""
    me = os.getpid()
    children = {}
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/stat") as f:
                stat = f.read()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            comm = stat[stat.index("(") + 1:stat.rindex(")")]
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append((int(p), comm))
    found, todo = [], [me]
    while todo:
        pid = todo.pop()
        for child, comm in children.get(pid, []):
            if comm == "guestfsd":
                found.append(child)
            todo.append(child)
    return found


def peak_rss_kib(pid):
    """VmHWM of a process, in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0
