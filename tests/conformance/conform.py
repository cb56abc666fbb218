#!/usr/bin/python3
"""conform.py: run libguestfs's per-action tests against our guestfsd.

The cases (cases.json, a copy of the per-action tests of libguestfs
1.40.2 as data) are executed through the real libguestfs library (the
Python bindings of Debian's 1.48.6) with one handle and one appliance for
the whole run, the same four disks, init sequences, skip rules and pass
conditions as libguestfs's own C harness.  See README.md here.

Host mode (default): LIBGUESTFS_BACKEND=direct,
LIBGUESTFS_HV=<builddir>/tools/guestfsd-hv and
LIBGUESTFS_PATH=<builddir>/tools/appliance: our daemon runs on this host.
Appliance mode (--appliance): the caller's LIBGUESTFS_PATH names a real
appliance booted by qemu; no hypervisor override.

Output: one line per test (PASS / FAIL / SKIP), a few summary lines, and
last "N passed, N failed, N skipped".
"""

import argparse
import base64
import ctypes
import errno as errno_mod
import hashlib
import inspect
import json
import os
import posixpath
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import xml.sax.saxutils

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.dirname(os.path.dirname(HERE))

# Message of our dispatcher for a procedure without a handler.
NOT_IMPLEMENTED = "not implemented by this daemon"

# Errors that come from this host's kernel, not from the daemon (host mode
# runs on the host kernel, which lacks iso9660, vfat, dm, md ...).
HOST_LIMITS = re.compile(r"unknown filesystem type|/dev/mapper/control|device-mapper|"
                         r"/proc/mdstat")


# Our daemon's answer for a procedure of an unavailable optional group.
GROUP_UNAVAILABLE = re.compile(r"feature '[^']+' is not available")


def failure_category(msg, default):
    if NOT_IMPLEMENTED in msg:
        return "not-implemented"
    if GROUP_UNAVAILABLE.search(msg):
        return "unavailable"
    if HOST_LIMITS.search(msg):
        return "host-limit"
    return default

# Host-file arguments: FileIn/FileOut arguments of daemon procedures, and
# the library actions that read a host file by name.
HOST_FILE_ARGS = {
    "upload": ["filename"], "download": ["filename"], "tar_in": ["tarfile"],
    "tar_out": ["tarfile"], "tgz_in": ["tarball"], "tgz_out": ["tarball"],
    "find0": ["files"], "txz_in": ["tarball"], "txz_out": ["tarball"],
    "debug_upload": ["filename"], "base64_in": ["base64file"],
    "base64_out": ["base64file"], "checksums_out": ["sumsfile"],
    "upload_offset": ["filename"], "download_offset": ["filename"],
    "compress_out": ["zfile"], "compress_device_out": ["zdevice"],
    "ntfsclone_out": ["backupfile"], "ntfsclone_in": ["backupfile"],
    "ls0": ["filenames"], "cpio_out": ["cpiofile"], "ntfscat_i": ["filename"],
    "download_inode": ["filename"], "download_blocks": ["filename"],
    "mksquashfs": ["filename"], "yara_load": ["filename"],
    "disk_format": ["filename"], "disk_has_backing_file": ["filename"],
    "disk_virtual_size": ["filename"],
}

# The harness working directory of the original tests (tests/c-api in the
# libguestfs tree).  Relative and $srcdir paths are resolved against this
# virtual directory, then mapped onto our copies (see HostFiles).
VROOT = "/@libguestfs"
VCWD = VROOT + "/tests/c-api"

INITS = {
    "InitNone": [],
    "InitEmpty": [],
    "InitPartition": [["part_disk", "/dev/sda", "mbr"]],
    "InitGPT": [["part_disk", "/dev/sda", "gpt"]],
    "InitBasicFS": [["part_disk", "/dev/sda", "mbr"], ["mkfs", "ext2", "/dev/sda1"],
                    ["mount", "/dev/sda1", "/"]],
    "InitBasicFSonLVM": [["part_disk", "/dev/sda", "mbr"], ["pvcreate", "/dev/sda1"],
                         ["vgcreate", "VG", "/dev/sda1"], ["lvcreate", "LV", "VG", "8"],
                         ["mkfs", "ext2", "/dev/VG/LV"], ["mount", "/dev/VG/LV", "/"]],
    "InitISOFS": [["mount_ro", "/dev/sdd", "/"]],
    "InitScratchFS": [["mount", "/dev/sdb1", "/"]],
}
INIT_EMPTY = [["blockdev_setrw", "/dev/sda"], ["umount_all"], ["lvm_remove_all"]]

MiB = 1024 * 1024
GiB = 1024 * MiB

import warnings  # noqa: E402

import guestfs  # noqa: E402

# The tests call deprecated actions on purpose.
warnings.filterwarnings("ignore", category=DeprecationWarning, module=__name__)

# ---- errors -----------------------------------------------------------------


class TestFailure(Exception):
    """The test failed; the message is the short reason."""

    def __init__(self, reason, category="error"):
        super().__init__(reason)
        self.category = category


class TestSkipped(Exception):
    """The test was not run; category says why (for the summary)."""

    def __init__(self, reason, category="skip"):
        super().__init__(reason)
        self.category = category


class RunnerError(Exception):
    """A bug or limit of this runner (bad case data, unknown type ...)."""


# ---- libguestfs bits the Python binding does not expose --------------------

_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.restype = ctypes.c_void_p
_capsule_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
_lib = ctypes.CDLL("libguestfs.so.0")
_lib.guestfs_last_errno.argtypes = [ctypes.c_void_p]
_lib.guestfs_last_errno.restype = ctypes.c_int
_lib.guestfs_last_error.argtypes = [ctypes.c_void_p]
_lib.guestfs_last_error.restype = ctypes.c_char_p
for _name in ("guestfs_internal_write", "guestfs_internal_write_append"):
    getattr(_lib, _name).argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p,
                                     ctypes.c_size_t]
    getattr(_lib, _name).restype = ctypes.c_int


def handle_ptr(g):
    return _capsule_pointer(g._o, b"guestfs_h")


def last_errno(g):
    return _lib.guestfs_last_errno(handle_ptr(g))


def _ctypes_write(cname):
    def call(g, path, content):
        h = handle_ptr(g)
        r = getattr(_lib, cname)(h, path.encode(), content, len(content))
        if r == -1:
            msg = _lib.guestfs_last_error(h)
            raise RuntimeError(msg.decode(errors="replace") if msg else cname + ": failed")
        return None
    return call


# Internal actions absent from the Python binding: name -> (call, params).
CTYPES_ACTIONS = {
    "internal_write": (_ctypes_write("guestfs_internal_write"),
                       [("path", "str", False), ("content", "bytes", False)]),
    "internal_write_append": (_ctypes_write("guestfs_internal_write_append"),
                              [("path", "str", False), ("content", "bytes", False)]),
}

# ---- argument conversion -----------------------------------------------------


def ocaml_int(s):
    """An integer written in OCaml syntax: 0o/0x/0b prefixes, '_' allowed,
    and a leading zero is still decimal."""
    t = s.strip().replace("_", "")
    neg = t.startswith("-")
    if neg or t.startswith("+"):
        t = t[1:]
    base = 10
    if t[:2].lower() == "0x":
        base, t = 16, t[2:]
    elif t[:2].lower() == "0o":
        base, t = 8, t[2:]
    elif t[:2].lower() == "0b":
        base, t = 2, t[2:]
    if not t:
        raise RunnerError(f"bad integer {s!r}")
    v = int(t, base)
    return -v if neg else v


def ocaml_bool(s):
    if s == "true":
        return True
    if s == "false":
        return False
    raise RunnerError(f"bad boolean {s!r}")


def to_bytes(s):
    """A BufferIn string: every character is one byte (the JSON keeps the
    bytes of the original C string literal)."""
    try:
        return s.encode("latin-1")
    except UnicodeEncodeError:
        return s.encode("utf-8")


def annotation_kind(ann):
    if ann is inspect.Parameter.empty:
        raise RunnerError("parameter without a type annotation")
    text = ann if isinstance(ann, str) else inspect.formatannotation(ann)
    text = text.replace("typing.", "").replace(" ", "")
    m = re.fullmatch(r"Optional\[(.*)\]", text)
    optional = m is not None
    if m:
        text = m.group(1)
    kinds = {"str": "str", "int": "int", "bool": "bool", "bytes": "bytes",
             "List[str]": "strlist", "list[str]": "strlist"}
    if text not in kinds:
        raise RunnerError(f"unsupported parameter type {text}")
    return kinds[text], optional


_sig_cache = {}


def action_params(name):
    """[(param name, kind, is_optarg)] of a library call, from the Python
    binding's signature."""
    if name in _sig_cache:
        return _sig_cache[name]
    if name in CTYPES_ACTIONS:
        params = CTYPES_ACTIONS[name][1]
    else:
        fn = getattr(guestfs.GuestFS, name, None)
        if fn is None:
            raise RunnerError(f"the Python binding has no action {name}")
        params = []
        for p in list(inspect.signature(fn).parameters.values())[1:]:
            kind, optional = annotation_kind(p.annotation)
            is_optarg = p.default is not inspect.Parameter.empty
            if optional and not is_optarg and kind != "str":
                raise RunnerError(f"{name}: unexpected optional {kind} parameter {p.name}")
            params.append((p.name, kind if not (optional and not is_optarg) else "optstr",
                           is_optarg))
    _sig_cache[name] = params
    return params


def convert_call(call, host_files):
    """Turn one seq entry [name, "arg", ...] into (name, args, kwargs)."""
    name, raw = call[0], call[1:]
    params = action_params(name)
    if len(raw) > len(params):
        raise RunnerError(f"{name}: {len(raw)} arguments given, the binding takes {len(params)}")
    nreq = sum(1 for p in params if not p[2])
    if len(raw) < nreq:
        raise RunnerError(f"{name}: {len(raw)} arguments given, {nreq} required")
    args, kwargs = [], {}
    for (pname, kind, is_optarg), s in zip(params, raw):
        if is_optarg:
            if kind in ("int", "bool"):
                if s == "":
                    continue
            elif s == "NOARG":
                continue
        if pname in HOST_FILE_ARGS.get(name, ()) or s.startswith("$srcdir"):
            value = host_files.map(s)
        elif kind == "str":
            value = s
        elif kind == "optstr":
            value = None if s == "NULL" else s
        elif kind == "int":
            value = ocaml_int(s)
        elif kind == "bool":
            value = ocaml_bool(s)
        elif kind == "bytes":
            value = to_bytes(s)
        elif kind == "strlist":
            value = [] if s == "" else s.split(" ")
        else:
            raise RunnerError(f"{name}: unknown kind {kind}")
        if is_optarg:
            kwargs[pname] = value
        else:
            args.append(value)
    return name, args, kwargs


# ---- host files --------------------------------------------------------------


class HostFiles:
    """Maps the host paths written in the tests (relative to tests/c-api of
    the libguestfs tree, or $srcdir/...) onto our copies:

      ../../COPYING.LIB           -> <srcdir>/tests/data/COPYING.LIB
      ../../test-data/X           -> <datadir>/X   (files/, blank-disks/, test.iso)
      test-command, test-pwd      -> <datadir>/test-command, test-pwd
      anything else in tests/c-api -> a scratch directory of this run
    """

    def __init__(self, datadir, scratch):
        self.datadir = datadir
        self.scratch = scratch

    def map(self, path):
        if path.startswith("$srcdir"):
            path = VCWD + path[len("$srcdir"):]
        v = posixpath.normpath(posixpath.join(VCWD, path))
        if v == VROOT + "/COPYING.LIB":
            return os.path.join(SRCDIR, "tests", "data", "COPYING.LIB")
        if v.startswith(VROOT + "/test-data/"):
            return os.path.join(self.datadir, v[len(VROOT + "/test-data/"):])
        if v.startswith(VCWD + "/"):
            rel = v[len(VCWD) + 1:]
            if rel in ("test-command", "test-pwd"):
                return os.path.join(self.datadir, rel)
            return os.path.join(self.scratch, rel)
        raise RunnerError(f"host path {path!r} is outside the test tree")


# ---- our daemon's handler coverage -------------------------------------------


class Coverage:
    """Which procedures of our daemon have handlers (guestfsd
    --list-procedures) and which optional group each belongs to
    (proto/guestfsd.api).  Used only to explain skips: libguestfsd reports
    a group unavailable until every procedure in it has a handler."""

    def __init__(self, guestfsd):
        self.missing = None
        self.groups = {}
        api = os.path.join(SRCDIR, "proto", "guestfsd.api")
        try:
            with open(api) as f:
                for line in f:
                    m = re.match(r"(\w+) \d+ \(.*\[(.*)\]\s*$", line)
                    if m:
                        for flag in m.group(2).split():
                            if flag.startswith("group="):
                                self.groups.setdefault(flag[6:], []).append(m.group(1))
        except OSError:
            return
        if guestfsd is None or not os.access(guestfsd, os.X_OK):
            return
        try:
            out = subprocess.run([guestfsd, "--list-procedures"], capture_output=True,
                                 text=True, timeout=60, check=True).stdout
        except (OSError, subprocess.SubprocessError):
            return
        self.missing = {w[0] for w in (line.split() for line in out.splitlines())
                        if len(w) == 2 and w[1] == "missing"}

    def missing_in_group(self, group):
        if self.missing is None:
            return None
        return [p for p in self.groups.get(group, []) if p in self.missing]


# ---- checks ------------------------------------------------------------------


def strip_device(d):
    """The device_list rule: drop /dev/ and everything up to the first 'd'."""
    if d.startswith("/dev/"):
        d = d[5:]
    i = d.find("d")
    return d[i + 1:] if i >= 0 else d


def compare(op, a, b):
    if op == "==":
        return a == b
    if op == ">":
        return a > b
    if op == ">=":
        return a >= b
    raise RunnerError(f"unknown comparison {op!r}")


def short(v, limit=160):
    s = repr(v)
    return s if len(s) <= limit else s[:limit] + "..."


def as_text(v):
    if isinstance(v, bytes):
        return v.decode("utf-8", errors="surrogateescape")
    return v


def check_result(check, r, host_files):
    """Raises TestFailure when check does not hold for result r."""
    kind = check["check"]
    if kind == "all":
        for c in check["checks"]:
            check_result(c, r, host_files)
        return
    if kind in ("string_list", "device_list"):
        if not isinstance(r, list):
            raise TestFailure(f"expected a string list, got {short(r)}", "check")
        want = check["value"]
        got = [as_text(x) for x in r]
        if kind == "device_list":
            ok = len(got) == len(want) and all(
                strip_device(a) == strip_device(b) for a, b in zip(got, want))
        else:
            ok = got == want
        if not ok:
            raise TestFailure(f"{kind}: got {short(got)}, expected {short(want)}", "check")
        return
    if kind == "int":
        if isinstance(r, bool):
            r = int(r)
        if not isinstance(r, int):
            raise TestFailure(f"expected an integer, got {short(r)}", "check")
        if not compare(check["op"], r, check["value"]):
            raise TestFailure(f"got {r}, expected {check['op']} {check['value']}", "check")
        return
    if kind == "field":
        if not isinstance(r, dict):
            raise TestFailure(f"expected a struct, got {short(r)}", "check")
        f = check["field"]
        if f not in r:
            raise TestFailure(f"struct has no member {f!r} (members {sorted(r)})", "check")
        v = r[f]
        want = check["value"]
        if isinstance(want, str):
            if as_text(v) != want:
                raise TestFailure(f"{f} = {short(v)}, expected {want!r}", "check")
            return
        if "mask" in check:
            v = v & check["mask"]
        if not compare(check["op"], v, want):
            what = f"{f} & {check['mask']:#o}" if "mask" in check else f
            raise TestFailure(f"{what} = {v}, expected {check['op']} {want}", "check")
        return
    if kind == "hash_key":
        if isinstance(r, dict):
            pairs = list(r.items())
        elif isinstance(r, list):
            pairs = list(r)
        else:
            raise TestFailure(f"expected a hashtable, got {short(r)}", "check")
        key = check["key"]
        for k, v in pairs:
            if k == key:
                break
        else:
            raise TestFailure(f"no key {key!r} in the result {short(dict(pairs))}", "check")
        if "value" in check:
            if v != check["value"]:
                raise TestFailure(f"{key} = {v!r}, expected {check['value']!r}", "check")
        elif not re.search(check["regex"], v):
            raise TestFailure(f"{key} = {v!r} does not match /{check['regex']}/", "check")
        return
    if kind == "buffer":
        want = base64.b64decode(check["value_b64"])
        if isinstance(r, str):
            r = to_bytes(r)
        if not isinstance(r, bytes):
            raise TestFailure(f"expected a buffer, got {short(r)}", "check")
        if r != want:
            raise TestFailure(f"buffer {short(r)} ({len(r)} bytes), expected {short(want)} "
                              f"({len(want)} bytes)", "check")
        return
    if kind == "local_file_md5":
        path = host_files.map(check["path"])
        h = hashlib.md5()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        if as_text(r) != h.hexdigest():
            raise TestFailure(f"got {short(r)}, expected the MD5 of {check['path']} "
                              f"({h.hexdigest()})", "check")
        return
    raise RunnerError(f"unknown check kind {kind!r}")


# ---- the appliance -----------------------------------------------------------


def descendants(pid, depth=None):
    """pid and its descendants (down to depth levels), from /proc."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces.
        fields = stat[stat.rfind(b")") + 2:].split()
        if fields[0] == b"Z":
            continue
        children.setdefault(int(fields[1]), []).append(int(d))
    out, todo = [], [(pid, 0)]
    while todo:
        p, level = todo.pop()
        out.append(p)
        if depth is None or level < depth:
            todo.extend((c, level + 1) for c in children.get(p, []))
    return out


def _kill(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


def _alive(pid):
    """True while pid runs (a zombie waiting for libguestfs to reap it
    counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2:stat.rfind(b")") + 3] != b"Z"


class Appliance:
    """One libguestfs handle with the four test disks, launched, plus the
    means to kill it from another thread when a test hangs."""

    def __init__(self, opts, iso):
        self.opts = opts
        self.iso = iso
        self.g = None
        self.launches = 0

    def launch(self):
        self.close()
        g = guestfs.GuestFS(python_return_dict=False)
        self.g = g
        if self.opts.trace:
            g.set_trace(True)
        if self.opts.verbose:
            g.set_verbose(True)
        g.add_drive_scratch(2 * GiB)
        g.add_drive_scratch(2 * GiB)
        g.add_drive_scratch(10 * MiB)
        g.add_drive_opts(self.iso, format="raw", readonly=True)
        self.launches += 1
        g.launch()

    def prepare_scratch(self):
        """The scratch filesystem of InitScratchFS, made once per appliance.
        A failure here only dooms the InitScratchFS tests."""
        try:
            self.g.part_disk("/dev/sdb", "mbr")
            self.g.mkfs("ext2", "/dev/sdb1")
        except RuntimeError as e:
            print(f"WARNING: preparing /dev/sdb1 failed: {one_line(e)}", flush=True)

    def kill(self):
        """SIGKILL every process this runner started (through libguestfs:
        the hypervisor or guestfsd-hv, the daemon and its helpers).  Safe
        to call from the watchdog thread, and during launch.

        The processes below libguestfs's own children go first: when the
        daemon dies, guestfsd-hv exits by itself and removes its working
        directory.  What is left after two seconds is killed too."""
        me = os.getpid()
        top = [p for p in descendants(me, depth=1) if p != me]
        for p in descendants(me):
            if p != me and p not in top:
                _kill(p)
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline and any(_alive(p) for p in top):
            time.sleep(0.05)
        for p in descendants(me):
            if p != me:
                _kill(p)

    def close(self):
        g, self.g = self.g, None
        if g is None:
            return
        try:
            g.shutdown()
        except Exception:  # noqa: BLE001 - a dead appliance cannot shut down cleanly
            self.kill()
        try:
            g.close()
        except Exception:  # noqa: BLE001
            pass


class Watchdog:
    """Kills the appliance if the armed deadline passes."""

    def __init__(self, appliance):
        self.appliance = appliance
        self.cond = threading.Condition()
        self.deadline = None
        self.fired = False
        t = threading.Thread(target=self._run, daemon=True)
        t.start()

    def arm(self, seconds):
        with self.cond:
            self.deadline = time.monotonic() + seconds
            self.fired = False
            self.cond.notify()

    def disarm(self):
        with self.cond:
            self.deadline = None
            self.cond.notify()
            return self.fired

    def _run(self):
        with self.cond:
            while True:
                if self.deadline is None:
                    self.cond.wait()
                    continue
                left = self.deadline - time.monotonic()
                if left > 0:
                    self.cond.wait(left)
                    continue
                self.fired = True
                self.deadline = None
                self.appliance.kill()


# ---- running one test --------------------------------------------------------


class Runner:
    def __init__(self, opts, cases, host_files, iso, coverage):
        self.opts = opts
        self.coverage = coverage
        self.cases = cases
        self.host_files = host_files
        self.app = Appliance(opts, iso)
        self.watchdog = Watchdog(self.app)
        self.groups = {}
        self.needs_relaunch = True
        self.launch_failures = 0
        self.launch_error = None

    def call(self, call):
        name, args, kwargs = convert_call(call, self.host_files)
        g = self.app.g
        if name in CTYPES_ACTIONS:
            return CTYPES_ACTIONS[name][0](g, *args, **kwargs)
        return getattr(g, name)(*args, **kwargs)

    def feature(self, group):
        if group not in self.groups:
            try:
                self.groups[group] = (bool(self.app.g.feature_available([group])), None)
            except RuntimeError as e:
                self.groups[group] = (False, str(e))
        return self.groups[group]

    def ensure_launched(self):
        if not self.needs_relaunch:
            return
        self.groups = {}
        self.watchdog.arm(self.opts.launch_timeout)
        try:
            self.app.launch()
        except Exception as e:  # noqa: BLE001
            fired = self.watchdog.disarm()
            self.app.kill()
            self.app.close()
            self.launch_failures += 1
            self.launch_error = ("launch timed out" if fired else f"launch failed: {e}")
            raise TestFailure(self.launch_error, "launch") from e
        self.app.prepare_scratch()
        if self.watchdog.disarm():
            self.app.close()
            self.launch_failures += 1
            self.launch_error = "preparing /dev/sdb1 timed out"
            raise TestFailure(self.launch_error, "launch")
        self.needs_relaunch = False
        self.launch_failures = 0

    def skip_reason(self, case):
        prereq = case["prereq"]
        if prereq["kind"] == "Disabled":
            return "disabled in libguestfs"
        for var in ("SKIP_" + case["id"].upper(), "SKIP_" + case["id"],
                    "SKIP_TEST_" + case["action"].upper()):
            v = os.environ.get(var)
            if v and v != "0":
                return f"{var} is set"
        return None

    def group_skip(self, case):
        groups = []
        if case.get("action_optional_group"):
            groups.append(case["action_optional_group"])
        if case["prereq"]["kind"] == "IfAvailable":
            groups.append(case["prereq"]["group"])
        for grp in groups:
            ok, err = self.feature(grp)
            if not ok:
                reason = f"feature '{grp}' not available" + (f" ({err})" if err else "")
                missing = self.coverage.missing_in_group(grp)
                if missing:
                    n = len(self.coverage.groups.get(grp, []))
                    raise TestSkipped(f"{reason}: this daemon has no handler for "
                                      f"{len(missing)} of its {n} procedures",
                                      "missing-handlers")
                raise TestSkipped(reason, "unavailable")

    def run_seq(self, case):
        """Returns the value of the last call.  Raises TestFailure."""
        seq = case["seq"]
        kind = case["kind"]
        last = len(seq) - 1
        for i, call in enumerate(seq):
            expect_fail = i == last and kind == "TestLastFail"
            try:
                r = self.call(call)
            except RuntimeError as e:
                msg = tidy(e)
                if expect_fail:
                    if NOT_IMPLEMENTED in msg:
                        raise TestFailure(f"last call failed only because it is not "
                                          f"implemented: {msg}", "not-implemented") from e
                    return None
                if i == last and kind == "TestRunOrUnsupported" and \
                        last_errno(self.app.g) == errno_mod.ENOTSUP and \
                        NOT_IMPLEMENTED not in msg:
                    raise TestSkipped(f"unsupported: {msg}", "unsupported") from e
                raise TestFailure(f"[{i + 1}/{len(seq)}] {msg}",
                                  failure_category(msg, "error")) from e
            if expect_fail:
                raise TestFailure(f"last call {call[0]} succeeded (returned {short(r)}), "
                                  f"expected an error", "check")
        return r

    def check(self, case, r):
        kind = case["kind"]
        if kind in ("TestRun", "TestLastFail", "TestRunOrUnsupported"):
            return
        if kind == "TestResult":
            check_result(case["check"], r, self.host_files)
        elif kind == "TestResultString":
            got = as_text(r)
            if got != case["expected"]:
                raise TestFailure(f"got {short(got)}, expected {short(case['expected'])}",
                                  "check")
        elif kind == "TestResultDevice":
            got = as_text(r)
            if not isinstance(got, str) or strip_device(got) != strip_device(case["expected"]):
                raise TestFailure(f"got {short(got)}, expected device {case['expected']}",
                                  "check")
        elif kind in ("TestResultTrue", "TestResultFalse"):
            want = kind == "TestResultTrue"
            if bool(r) != want:
                raise TestFailure(f"got {short(r)}, expected {str(want).lower()}", "check")
        else:
            raise RunnerError(f"unknown test kind {kind}")

    def run_case(self, case):
        """Runs one case on the current appliance.  Raises TestFailure or
        TestSkipped, or returns normally for a pass."""
        self.group_skip(case)
        for call in INIT_EMPTY + INITS[case["init"]]:
            try:
                self.call(call)
            except RuntimeError as e:
                msg = tidy(e)
                raise TestFailure(f"init {case['init']}: {msg}",
                                  failure_category(msg, "init")) from e
        failure = None
        try:
            r = self.run_seq(case)
            self.check(case, r)
        except (TestFailure, TestSkipped) as e:
            failure = e
        # Cleanup calls run whatever happened; their failure fails the test.
        for call in case.get("cleanup", []):
            try:
                self.call(call)
            except RuntimeError as e:
                if failure is None:
                    msg = tidy(e)
                    failure = TestFailure(f"cleanup: {msg}", failure_category(msg, "error"))
        if failure is not None:
            raise failure

    def run_one(self, case):
        """Returns (status, reason, category)."""
        reason = self.skip_reason(case)
        if reason:
            return "SKIP", reason, "disabled" if "disabled" in reason else "environment"
        if self.launch_failures >= 2:
            return "FAIL", f"appliance cannot be launched ({self.launch_error})", "launch"
        try:
            self.ensure_launched()
        except TestFailure as e:
            return "FAIL", str(e), e.category
        self.watchdog.arm(self.opts.timeout)
        status, reason, category = "PASS", None, None
        try:
            self.run_case(case)
        except TestSkipped as e:
            status, reason, category = "SKIP", str(e), e.category
        except TestFailure as e:
            status, reason, category = "FAIL", str(e), e.category
        except RunnerError as e:
            status, reason, category = "FAIL", f"runner: {e}", "runner"
        except Exception as e:  # noqa: BLE001 - never stop the run
            status, reason, category = "FAIL", f"runner: {type(e).__name__}: {e}", "runner"
            if self.opts.verbose:
                traceback.print_exc()
        # Is the daemon still there and in step with us?  (Still under the
        # watchdog: a desynchronised connection can hang here.)
        if not self.watchdog.fired:
            try:
                self.app.g.ping_daemon()
            except Exception as e:  # noqa: BLE001
                reason = f"daemon died or stopped answering (ping_daemon: {tidy(e)})" + \
                    (f"; the test said: {reason}" if reason else "")
                status, category = "FAIL", "daemon-died"
                self.needs_relaunch = True
        if self.watchdog.disarm():
            status, category = "FAIL", "timeout"
            reason = f"timed out after {self.opts.timeout:g}s, appliance killed"
            self.needs_relaunch = True
        if self.needs_relaunch:
            self.app.kill()
            self.app.close()
        return status, reason, category

    def close(self):
        self.watchdog.arm(60)
        self.app.close()
        self.watchdog.disarm()


# ---- expectations, reports ---------------------------------------------------


def read_expect(path):
    ids = []
    if not os.path.exists(path):
        return ids
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                ids.append(line)
    return ids


def write_expect(path, ids, mode):
    with open(path + ".tmp", "w") as f:
        f.write("# Conformance tests expected to pass in %s mode (one id a line).\n" % mode)
        f.write("# Regenerate: conform.py --expect THIS_FILE --update-expect (see README.md).\n")
        for i in sorted(ids):
            f.write(i + "\n")
    os.replace(path + ".tmp", path)


def write_json(path, summary, results):
    data = dict(summary)
    data["results"] = [
        {"id": r["id"], "action": r["action"], "status": r["status"],
         "reason": r["reason"], "category": r["category"], "seconds": round(r["seconds"], 3)}
        for r in results]
    with open(path, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")


def write_junit(path, summary, results):
    esc = xml.sax.saxutils.quoteattr
    with open(path, "w") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        f.write(f'<testsuite name="conformance" tests="{len(results)}" '
                f'failures="{summary["failed"]}" skipped="{summary["skipped"]}" '
                f'time="{summary["wall_seconds"]:.1f}">\n')
        for r in results:
            f.write(f'  <testcase classname={esc("conformance." + r["action"])} '
                    f'name={esc(r["id"])} time="{r["seconds"]:.3f}"')
            if r["status"] == "PASS":
                f.write("/>\n")
            elif r["status"] == "SKIP":
                f.write(f"><skipped message={esc(r['reason'] or '')}/></testcase>\n")
            else:
                f.write(f"><failure type={esc(r['category'] or 'error')} "
                        f"message={esc(r['reason'] or '')}/></testcase>\n")
        f.write("</testsuite>\n")


# ---- main --------------------------------------------------------------------


def tidy(msg):
    """An error message without libguestfs's crash advice boilerplate."""
    return re.split(r"\s+This usually means the libguestfs appliance crashed", str(msg))[0]


def one_line(s, limit=400):
    s = " ".join(str(s).split())
    return s if len(s) <= limit else s[:limit] + "..."


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--builddir", help="meson build directory (default: $GDTEST_BUILDDIR, "
                    "or ./build next to the source)")
    ap.add_argument("--appliance", action="store_true",
                    help="appliance mode: use the caller's LIBGUESTFS_PATH (a real "
                    "appliance booted by qemu) and no LIBGUESTFS_HV override")
    ap.add_argument("--cases", default=os.path.join(HERE, "cases.json"))
    ap.add_argument("--datadir", help="generated test data (default <builddir>/tests/data)")
    ap.add_argument("--only", metavar="REGEX", help="run only tests whose id matches "
                    "(re.search)")
    ap.add_argument("--expect", metavar="FILE", help="exit 0 when every test listed in FILE "
                    "passes; report unexpected passes")
    ap.add_argument("--update-expect", action="store_true",
                    help="rewrite the --expect file from this run's passes")
    ap.add_argument("--report-only", action="store_true",
                    help="exit 0 whatever the results (for collecting figures)")
    ap.add_argument("--json", metavar="FILE", help="write a JSON summary")
    ap.add_argument("--junit", metavar="FILE", help="write a JUnit XML report")
    ap.add_argument("--timeout", type=float, default=120.0,
                    help="per-test time limit in seconds (default 120)")
    ap.add_argument("--launch-timeout", type=float, default=600.0)
    ap.add_argument("--trace", action="store_true", help="libguestfs call trace")
    ap.add_argument("--verbose", action="store_true", help="libguestfs debug output")
    ap.add_argument("--list", action="store_true", help="list the selected test ids and exit")
    opts = ap.parse_args()

    builddir = opts.builddir or os.environ.get("GDTEST_BUILDDIR") or \
        os.path.join(SRCDIR, "build")
    builddir = os.path.abspath(builddir)
    datadir = os.path.abspath(opts.datadir or os.path.join(builddir, "tests", "data"))
    mode = "appliance" if opts.appliance else "host"

    with open(opts.cases) as f:
        cases = json.load(f)["tests"]
    selected = cases
    if opts.only:
        rx = re.compile(opts.only)
        selected = [c for c in selected if rx.search(c["id"])]
    test_only = os.environ.get("TEST_ONLY")
    if test_only:
        words = [w for w in re.split(r"[\s,]+", test_only) if w]
        selected = [c for c in selected if any(w in c["id"] for w in words)]
    if opts.list:
        for c in selected:
            print(c["id"])
        return 0

    if opts.appliance:
        if not os.environ.get("LIBGUESTFS_PATH"):
            print("conform.py: --appliance needs LIBGUESTFS_PATH (the appliance)",
                  file=sys.stderr)
            return 2
        os.environ.setdefault("LIBGUESTFS_BACKEND", "direct")
        os.environ.pop("LIBGUESTFS_HV", None)
    else:
        hv = os.path.join(builddir, "tools", "guestfsd-hv")
        if not os.access(hv, os.X_OK):
            print(f"conform.py: {hv} not found: give --builddir", file=sys.stderr)
            return 2
        os.environ["LIBGUESTFS_BACKEND"] = "direct"
        os.environ["LIBGUESTFS_HV"] = hv
        os.environ["LIBGUESTFS_PATH"] = os.path.join(builddir, "tools", "appliance")
    os.environ.setdefault("TMPDIR", "/tmp")

    iso = os.path.join(datadir, "test.iso")
    for need in (iso, os.path.join(datadir, "test-command"), os.path.join(datadir, "test-pwd")):
        if not os.path.exists(need):
            print(f"conform.py: {need} missing: build the test data first "
                  f"(ninja -C {builddir})", file=sys.stderr)
            return 2

    scratch = tempfile.mkdtemp(prefix="conform.")
    host_files = HostFiles(datadir, scratch)
    guestfsd = None if opts.appliance else os.path.join(builddir, "guestfsd", "guestfsd")
    runner = Runner(opts, cases, host_files, iso, Coverage(guestfsd))
    print(f"conformance: {len(selected)} of {len(cases)} tests, {mode} mode, "
          f"LIBGUESTFS_PATH={os.environ.get('LIBGUESTFS_PATH')}", flush=True)

    results = []
    t_start = time.monotonic()
    try:
        for case in selected:
            t0 = time.monotonic()
            status, reason, category = runner.run_one(case)
            dt = time.monotonic() - t0
            results.append({"id": case["id"], "action": case["action"], "status": status,
                            "reason": reason, "category": category, "seconds": dt})
            if status == "PASS":
                print(f"PASS {case['id']} ({dt:.2f}s)", flush=True)
            else:
                print(f"{status} {case['id']}: {one_line(reason)}", flush=True)
    finally:
        runner.close()
        shutil.rmtree(scratch, ignore_errors=True)
    wall = time.monotonic() - t_start

    passed = [r for r in results if r["status"] == "PASS"]
    failed = [r for r in results if r["status"] == "FAIL"]
    skipped = [r for r in results if r["status"] == "SKIP"]
    cats, skip_cats = {}, {}
    for r in failed:
        cats[r["category"]] = cats.get(r["category"], 0) + 1
    for r in skipped:
        skip_cats[r["category"]] = skip_cats.get(r["category"], 0) + 1
    summary = {"mode": mode, "total_cases": len(cases), "selected": len(selected),
               "passed": len(passed), "failed": len(failed), "skipped": len(skipped),
               "failure_categories": cats, "skip_categories": skip_cats, "wall_seconds": round(wall, 1),
               "launches": runner.app.launches}

    rc = 1 if failed else 0
    if opts.expect:
        expected = set(read_expect(opts.expect))
        ran = {r["id"] for r in results}
        deselected = {c["id"] for c in cases} - ran
        by_id = {r["id"]: r for r in results}
        user_skips = {r["id"] for r in results
                      if r["status"] == "SKIP" and r["category"] == "environment"}
        regressions = sorted(i for i in expected
                             if i in by_id and by_id[i]["status"] != "PASS"
                             and i not in user_skips)
        unknown = sorted(i for i in expected if i not in ran and i not in deselected)
        unexpected = sorted(r["id"] for r in passed if r["id"] not in expected)
        for i in regressions:
            print(f"REGRESSION {i}: expected to pass, got {by_id[i]['status']}: "
                  f"{one_line(by_id[i]['reason'], 200)}")
        for i in unexpected:
            print(f"UNEXPECTED PASS {i} (not in {os.path.basename(opts.expect)}: "
                  f"run with --update-expect)")
        for i in unknown:
            print(f"WARNING {i} is listed in {os.path.basename(opts.expect)} but is no test")
        summary.update(expected=len(expected), regressions=regressions,
                       unexpected_passes=unexpected)
        print(f"expectations: {len(expected)} listed, {len(regressions)} regressions, "
              f"{len(unexpected)} unexpected passes")
        if opts.update_expect:
            keep = {i for i in expected if i in deselected}
            write_expect(opts.expect, keep | {r["id"] for r in passed}, mode)
            print(f"expectations: rewrote {opts.expect}")
            rc = 0
        else:
            rc = 1 if regressions else 0
    elif opts.update_expect:
        print("conform.py: --update-expect needs --expect FILE", file=sys.stderr)
        rc = 2

    for path in (opts.json, opts.junit):
        if path and os.path.dirname(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
    if opts.json:
        write_json(opts.json, summary, results)
    if opts.junit:
        write_junit(opts.junit, summary, results)
    print("failures by cause: " + (", ".join(f"{k} {v}" for k, v in sorted(cats.items()))
                                   or "none"))
    print("skips by cause: " + (", ".join(f"{k} {v}" for k, v in sorted(skip_cats.items()))
                                or "none"))
    print(f"wall time {wall:.1f}s, {runner.app.launches} appliance launches")
    if opts.expect and not opts.update_expect and not opts.report_only:
        # The figures, then the verdict against the expectations as the
        # last line, which is what test totals (tests/summarize.py) add up:
        # a known failure of this host counts as a skip with its reason
        # printed above, a regression as a failure.
        print(f"all tests: {len(passed)} passed, {len(failed)} failed, {len(skipped)} skipped")
        known = len(results) - len(passed) - len(regressions)
        print(f"{known} counted as skipped below: not in {os.path.basename(opts.expect)} "
              f"(failures and skips this host is known to have, reasons above)")
        print(f"{len(passed)} passed, {len(regressions)} failed, {known} skipped", flush=True)
    else:
        print(f"{len(passed)} passed, {len(failed)} failed, {len(skipped)} skipped", flush=True)
    if opts.report_only and rc == 1:
        rc = 0
    return rc


if __name__ == "__main__":
    sys.exit(main())
