#!/usr/bin/python3
# Drives in formats other than raw in host mode: guestfsd-hv serves them
# through qemu-storage-daemon (FUSE exports in a private mount namespace,
# attached to loop devices like raw drives).  Overlays read their base,
# writable qcow2 images are written, read-only ones are not, backing files
# a hostile image names outside its directory (or without a format, or
# through json:/protocols, or an external data file) are refused, and
# nothing is left behind, also when the client or guestfsd-hv is killed.

import hashlib
import os
import signal
import stat
import subprocess
import tempfile
import time

import guestfs

import gdtest
from gdtest import MiB, skip, test

QSD = "/usr/bin/qemu-storage-daemon"


def need_qsd():
    if not os.access(QSD, os.X_OK):
        skip(f"needs {QSD} (qemu-system-common)")
    if not os.path.exists("/dev/fuse"):
        skip("needs /dev/fuse")


def run(argv, check=True, env=None, input=None, timeout=300):
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run(argv, capture_output=True, env=e, input=input, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError("%s exited with %d: %s" % (
            " ".join(argv), p.returncode, p.stderr.decode(errors="replace").strip()))
    return p


def qemu_img(*args):
    return run(["qemu-img", *args]).stdout.decode()


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Dir:
    """A directory for images and a private TMPDIR for the library and
    guestfsd-hv, checked for leftovers at the end."""

    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="gdtest-formats.", dir="/var/tmp")
        self.tmp = os.path.join(self.path, "tmp")
        os.mkdir(self.tmp)
        self.env = {"TMPDIR": self.tmp}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        subprocess.run(["rm", "-rf", self.path])

    def p(self, name):
        return os.path.join(self.path, name)

    def fish(self, *args, check=True, env=None, input=None):
        e = dict(self.env)
        e.update(env or {})
        return run(["guestfish", *args], check=check, env=e, input=input)

    def base(self, name="base.raw", files=None):
        """A raw image holding an ext4 filesystem (no partition table)."""
        path = self.p(name)
        with open(path, "wb") as f:
            f.truncate(64 * MiB)
        script = "run\nmkfs ext4 /dev/sda\nmount /dev/sda /\n" + "".join(
            f"write {k} {v}\n" for k, v in (files or {"/inbase": "hello-base"}).items())
        self.fish("--format=raw", "-a", path, input=script.encode())
        return path

    def overlay(self, name, backing, backing_fmt="raw"):
        path = self.p(name)
        qemu_img("create", "-q", "-f", "qcow2", "-b", backing, "-F", backing_fmt, path)
        return path

    def leftovers(self):
        """What a session could leave behind: loop devices over our files,
        qemu-storage-daemon / guestfsd processes naming our directory, FUSE
        mounts on it, guestfsd-hv work directories."""
        left = []
        loops = subprocess.run(["losetup", "-n", "-l", "-O", "NAME,BACK-FILE"],
                               capture_output=True, text=True).stdout
        left += [x for x in loops.splitlines() if self.path in x]
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if self.tmp in cmd and ("qemu-storage-daemon" in cmd or "guestfsd" in cmd):
                left.append(f"process {pid}: {cmd[:120]}")
        with open("/proc/self/mountinfo") as f:
            left += [m.strip() for m in f if self.path in m]
        left += [d for d in os.listdir(self.tmp) if d.startswith("guestfsd-hv.")]
        return left

    def assert_clean(self, wait=10):
        deadline = time.monotonic() + wait
        while True:
            left = self.leftovers()
            if not left or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert not left, f"left behind: {left}"


def launch_error(d, *args, env=None):
    """guestfish -v ... run must fail; returns guestfsd-hv's message."""
    p = d.fish("-v", *args, "run", check=False, env=env)
    assert p.returncode != 0, "launch succeeded, expected a refusal"
    msgs = [x for x in p.stderr.decode(errors="replace").splitlines()
            if x.startswith("guestfsd-hv:")]
    assert msgs, p.stderr.decode(errors="replace")[-2000:]
    return msgs[0]


@test
def test_qcow2_overlay_read_only():
    need_qsd()
    with Dir() as d:
        base = d.base()
        ov = d.overlay("overlay.qcow2", base)
        before = sha(ov), sha(base)
        out = d.fish("--ro", "-a", ov, "-m", "/dev/sda", "cat", "/inbase").stdout
        assert out == b"hello-base\n", out
        # the format given explicitly, through the Python bindings
        g = guestfs.GuestFS(python_return_dict=True)
        os.environ["TMPDIR"], saved = d.tmp, os.environ.get("TMPDIR")
        try:
            g.add_drive_opts(ov, format="qcow2", readonly=True)
            g.launch()
            g.mount_ro("/dev/sda", "/")
            assert g.cat("/inbase") == "hello-base"
            assert g.blockdev_getsize64("/dev/sda") == 64 * MiB
            gdtest.expect_error(g, g.write, "/x", b"no")
            g.shutdown()
        finally:
            g.close()
            os.environ["TMPDIR"] = saved or "/tmp"
        # virt-inspector-like access of a read-only drive writes nothing
        assert (sha(ov), sha(base)) == before
        d.assert_clean()


@test
def test_qcow2_writable():
    need_qsd()
    with Dir() as d:
        base = d.base()
        ov = d.overlay("overlay.qcow2", base)
        base_sum = sha(base)
        d.fish("--format=qcow2", "-a", ov, "-m", "/dev/sda",
               "write", "/inov", "hello-overlay")
        d.assert_clean()
        assert sha(base) == base_sum, "the base was written"
        assert "No errors were found" in qemu_img("check", ov)
        # another session, through the library's read-only overlay
        out = d.fish("--ro", "-a", ov, "-m", "/dev/sda", "cat", "/inov", ":",
                     "cat", "/inbase").stdout
        assert out == b"hello-overlay\nhello-base\n", out
        # and qemu's own reading of the chain, as a raw copy
        flat = d.p("flat.raw")
        qemu_img("convert", "-O", "raw", ov, flat)
        out = d.fish("--ro", "--format=raw", "-a", flat, "-m", "/dev/sda", "cat", "/inov").stdout
        assert out == b"hello-overlay\n", out
        d.assert_clean()


@test
def test_format_probed_when_not_given():
    """A writable drive added without a format: the library passes none
    and qemu would probe it; so does guestfsd-hv."""
    need_qsd()
    with Dir() as d:
        ov = d.overlay("overlay.qcow2", d.base())
        out = d.fish("-a", ov, "-m", "/dev/sda", "write", "/w", "probed", ":", "cat", "/w").stdout
        assert out == b"probed\n", out
        assert "No errors were found" in qemu_img("check", ov)
        d.assert_clean()


@test
def test_backing_chain_and_other_formats():
    need_qsd()
    with Dir() as d:
        base = d.base()
        mid = d.overlay("mid.qcow2", base)
        d.fish("--format=qcow2", "-a", mid, "-m", "/dev/sda", "write", "/inmid", "m")
        top = d.overlay("top.qcow2", mid, "qcow2")
        out = d.fish("--ro", "-a", top, "-m", "/dev/sda", "cat", "/inbase", ":",
                     "cat", "/inmid").stdout
        assert out == b"hello-base\nm\n", out
        for fmt in ("vdi", "vmdk", "vhdx"):
            img = d.p("img." + fmt)
            qemu_img("convert", "-O", fmt, top, img)
            out = d.fish("--ro", "--format=" + fmt, "-a", img, "-m", "/dev/sda",
                         "cat", "/inmid").stdout
            assert out == b"m\n", (fmt, out)
        os.mkdir(d.p("bases"))  # a subdirectory of the image's directory is fine
        os.rename(base, d.p("bases/b.raw"))
        sub = d.overlay("sub.qcow2", d.p("bases/b.raw"))
        out = d.fish("--ro", "-a", sub, "-m", "/dev/sda", "cat", "/inbase").stdout
        assert out == b"hello-base\n", out
        d.assert_clean()


@test
def test_hostile_backing_files_refused():
    need_qsd()
    with Dir() as d, tempfile.TemporaryDirectory(dir="/var/tmp") as outside:
        secret = os.path.join(outside, "secret.raw")
        d.base()
        os.rename(d.p("base.raw"), secret)
        evil = d.overlay("evil.qcow2", secret)
        for args in (["--ro", "-a", evil], ["--format=qcow2", "-a", evil], ["-a", evil]):
            m = launch_error(d, *args)
            assert "is outside" in m, m
        # ... unless the user allows that directory
        out = d.fish("--ro", "-a", evil, "-m", "/dev/sda", "cat", "/inbase",
                     env={"GUESTFSD_HV_BACKING_DIRS": outside}).stdout
        assert out == b"hello-base\n"
        # a relative name climbing out is the same
        rel = d.overlay("rel.qcow2", os.path.relpath(secret, d.path))
        assert "is outside" in launch_error(d, "--ro", "-a", rel)
        # a symlink in the directory to a file outside is outside
        os.symlink(secret, d.p("link.raw"))
        lnk = d.overlay("lnk.qcow2", d.p("link.raw"))
        assert "is outside" in launch_error(d, "--ro", "-a", lnk)
        # a device node in the directory is not a regular file
        os.mknod(d.p("null.raw"), stat.S_IFCHR | 0o600, os.makedev(1, 3))
        dev = d.p("dev.qcow2")
        qemu_img("create", "-q", "-f", "qcow2", "-u", "-b", d.p("null.raw"), "-F", "raw",
                 dev, "64M")
        assert "not a regular file" in launch_error(d, "-a", dev)
        # json: and protocol names
        for name in ('json:{"file":{"driver":"file","filename":"%s"}}' % secret,
                     "nbd:localhost:10809"):
            j = d.p("j.qcow2")
            qemu_img("create", "-q", "-f", "qcow2", "-u", "-b", name, "-F", "raw", j, "64M")
            assert "not a plain file name" in launch_error(d, "-a", j)
        # no backing format in the image: qemu would probe the base
        shutil_base = d.p("b2.raw")
        with open(shutil_base, "wb") as f:
            f.truncate(MiB)
        nofmt = d.overlay("nofmt.qcow2", shutil_base)
        with open(nofmt, "r+b") as f:
            head = bytearray(f.read(65536))
            i = head.find(bytes.fromhex("e2792aca"))
            assert i > 0
            head[i:i + 4] = bytes.fromhex("12345678")  # an unknown extension now
            f.seek(0)
            f.write(head)
        assert "without a format" in launch_error(d, "--format=qcow2", "-a", nofmt)
        # an external data file (qemu would read or write it as the disk)
        df = d.p("df.qcow2")
        qemu_img("create", "-q", "-f", "qcow2", "-o", f"data_file={d.p('data.raw')}", df, "8M")
        assert "external data file" in launch_error(d, "--format=qcow2", "-a", df)
        # a backing chain that loops
        a, b = d.p("la.qcow2"), d.p("lb.qcow2")
        qemu_img("create", "-q", "-f", "qcow2", a, "8M")
        qemu_img("create", "-q", "-f", "qcow2", "-b", a, "-F", "qcow2", b)
        qemu_img("rebase", "-u", "-b", b, "-F", "qcow2", a)
        assert "loops" in launch_error(d, "--format=qcow2", "-a", b)
        # formats not served, and raw given to a qcow2 stays raw (no probing)
        assert "not served" in launch_error(d, "--format=cloop", "-a", evil)
        out = d.fish("--ro", "--format=raw", "-a", evil, "run", ":", "blockdev-getsize64",
                     "/dev/sda").stdout
        assert int(out) == os.path.getsize(evil) // 512 * 512, (out, os.path.getsize(evil))
        d.assert_clean()


def session(d, image, script_head):
    """A guestfish process writing to a writable qcow2, stopped in the
    middle (waiting on its stdin); returns it and guestfsd-hv's PID."""
    e = dict(os.environ)
    e.update(d.env)
    p = subprocess.Popen(["guestfish", "--format=qcow2", "-a", image], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e)
    p.stdin.write(script_head.encode() + b"echo ready\n")
    p.stdin.flush()
    assert p.stdout.readline() == b"ready\n"
    hv = None
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read()
        except (OSError, ValueError):
            continue
        if ppid == p.pid and b"guestfsd-hv" in cmd:
            hv = int(pid)
    assert hv, "no guestfsd-hv below guestfish"
    qsd = [x for x in d.leftovers() if "qemu-storage-daemon" in x]
    assert qsd, "no qemu-storage-daemon running for the session"
    return p, hv


@test
def test_teardown_when_killed():
    need_qsd()
    with Dir() as d:
        ov = d.overlay("overlay.qcow2", d.base())
        # the client dies: the daemon sees the channel close, exits, and
        # guestfsd-hv stops qemu-storage-daemon and cleans up
        p, hv = session(d, ov, "run\nmount /dev/sda /\nwrite /k1 one\n")
        p.kill()
        p.wait()
        d.assert_clean()
        assert "No errors were found" in qemu_img("check", ov)
        # guestfsd-hv itself is killed: qemu-storage-daemon gets its
        # parent-death signal, the daemon its end of channel; only the
        # work directory stays (nobody is left to remove it)
        p, hv = session(d, ov, "run\nmount /dev/sda /\nwrite /k2 two\n")
        os.kill(hv, signal.SIGKILL)
        p.stdin.close()
        p.wait(timeout=60)
        left = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            left = [x for x in d.leftovers() if not x.startswith("guestfsd-hv.")]
            if not left:
                break
            time.sleep(0.1)
        assert not left, f"left behind: {left}"
        for w in os.listdir(d.tmp):
            if w.startswith("guestfsd-hv."):
                subprocess.run(["rm", "-rf", os.path.join(d.tmp, w)])
        assert "No errors were found" in qemu_img("check", ov)
        out = d.fish("--ro", "-a", ov, "-m", "/dev/sda", "cat", "/k1").stdout
        assert out == b"one\n", out
        d.assert_clean()


gdtest.main()
