#!/usr/bin/python3
"""Benchmark our guestfsd against the original one (libguestfs 1.48.6).

Both daemons are driven by the same real libguestfs library (gd-bench, a C
program linked with Debian's libguestfs) through the same stand-in for
qemu (tools/guestfsd-hv), in the same kind of sandbox (gd-sandbox --live: a
new root where "/" is a tmpfs and /usr, /etc are read-only), both in live
mode (-r), alternating run by run.  Ours also runs in its normal host mode
(a disk image, mounted on its sysroot) as a separate column.

    bench/run.sh                 # full run: table on stdout + bench/results.md
    bench/run.sh --quick         # a few small runs: proves it still works

Every figure is min/median/max over the runs; "ours/real" is the median of
the per-pair ratios (run i of ours against run i of the original).
"n/a": our daemon has no handler for that call yet.
"""

import argparse
import datetime
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import uuid

REAL_TARBALL = "/usr/lib/x86_64-linux-gnu/guestfs/supermin.d/daemon.tar.gz"
MiB = 1 << 20
GiB = 1 << 30


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ---- workloads --------------------------------------------------------------
# (workload, metric, unit, better, label); better is "low" or "high".
WORKLOADS = [
    ("launch", "launch_ms", "ms", "low", "launch until the first reply"),
    ("launch", "startup_ms", "ms", "low", "start-up: exec to launch flag"),
    ("launch", "startup_cpu_ms", "ms", "low", "start-up, daemon CPU"),
    ("ping", "ping_us", "us", "low", "ping_daemon, per call"),
    ("statns", "statns_us", "us", "low", "statns, per call"),
    ("exists", "exists_us", "us", "low", "exists, per call"),
    ("upload-prealloc", "upload_prealloc_MBps", "MB/s", "high",
     "upload, protocol only: upload_offset into a preallocated tmpfs file"),
    ("download-sparse", "download_sparse_MBps", "MB/s", "high",
     "download, protocol only: download_offset of a sparse tmpfs file"),
    ("upload-null", "upload_null_MBps", "MB/s", "high", "upload to /dev/null"),
    ("download-zero", "download_zero_MBps", "MB/s", "high",
     "download_offset from /dev/zero"),
    ("upload-file", "upload_file_MBps", "MB/s", "high", "upload to a tmpfs file"),
    ("download-file", "download_file_MBps", "MB/s", "high", "download a tmpfs file"),
    ("ls", "ls_ms", "ms", "low", "ls (ls0)"),
    ("find", "find_ms", "ms", "low", "find (find0)"),
    ("lstatnslist", "lstatnslist_ms", "ms", "low",
     "lstatnslist (internal_lstatnslist)"),
    ("tar-out", "tar_out_ms", "ms", "low", "tar_out"),
]
SMALL = {"ping", "statns", "exists"}
NULL_WORKLOADS = {"ping": ("ping_us", "us"),
                  "upload-prealloc": ("upload_prealloc_MBps", "MB/s"),
                  "download-sparse": ("download_sparse_MBps", "MB/s")}
# Host mode mounts guest filesystems nodev: no /dev/null or /dev/zero on
# the guest side, so the protocol-only transfers are live mode only.
HOST_SKIP = {"upload-null", "download-zero"}
# Tree walks also run (host mode only) in three more ways, so that host
# mode is compared with live mode on the same filesystem: a freshly
# loop-mounted ext4 has cold caches (every fstatat reads inodes through the
# loop device), a tmpfs never does.
#   ours-host-warm      host mode, the walk done once untimed first
#   ours-live-img       live mode (-r) over the host-mode image, loop-mounted
#                       read-only afresh for the run (cold, like host mode)
#   ours-live-img-warm  the same, warm
WALKS = {"ls", "find", "lstatnslist", "tar-out"}
EXTRA = ["ours-host-warm", "ours-live-img", "ours-live-img-warm"]
TRANSFER = {"upload-prealloc", "download-sparse", "upload-null", "download-zero",
            "upload-file", "download-file"}
RSS_AFTER = ["launch", "upload-prealloc", "download-sparse", "upload-file",
             "download-file", "ls", "lstatnslist", "tar-out"]


class Setup:
    """Test data, daemons and the environment for each kind of run."""

    def __init__(self, args):
        self.args = args
        self.builddir = os.path.abspath(args.builddir)
        self.work = tempfile.mkdtemp(prefix="gd-bench.", dir="/dev/shm")
        self.gd_bench = os.path.join(self.builddir, "bench", "gd-bench")
        self.sandbox = os.path.join(self.builddir, "bench", "gd-sandbox")
        self.hv = os.path.join(self.builddir, "tools", "guestfsd-hv")
        self.ours = os.path.join(self.builddir, "guestfsd", "guestfsd")
        self.null = os.path.join(self.builddir, "bench", "gd-null-daemon")
        for p in (self.gd_bench, self.sandbox, self.hv, self.ours, self.null):
            if not os.path.exists(p):
                sys.exit(f"run.py: {p} is missing: build first (ninja -C {args.builddir})")

    def cleanup(self):
        shutil.rmtree(self.work, ignore_errors=True)

    def prepare(self):
        a = self.args
        w = self.work
        # The original daemon, extracted at run time.
        self.real = None
        if os.path.exists(REAL_TARBALL):
            with tarfile.open(REAL_TARBALL) as t:
                t.extract("usr/sbin/guestfsd", os.path.join(w, "real"))
            self.real = os.path.join(w, "real", "usr", "sbin", "guestfsd")
        else:
            log(f"run.py: {REAL_TARBALL} not found: only our daemon is measured")

        self.dummy = os.path.join(w, "dummy.img")
        with open(self.dummy, "wb") as f:
            f.truncate(MiB)

        log(f"preparing data in {w} ...")
        # Client-side upload source (also the file downloaded).
        self.src = os.path.join(w, "src.bin")
        write_random(self.src, a.size)
        data = os.path.join(w, "data")
        os.mkdir(data)
        self.data = data
        os.link(self.src, os.path.join(data, "file"))
        with open(os.path.join(data, "sparse"), "wb") as f:
            f.truncate(a.size)
        make_flat(os.path.join(data, "dir"), a.files)
        make_tree(os.path.join(data, "tree"), a.tree_files)
        if a.scaling:
            make_flat(os.path.join(data, "dir-small"), a.files // 10)
            make_tree(os.path.join(data, "tree-small"), a.tree_files // 10)

        # Host mode: the same data on an ext4 image, plus device nodes.
        self.image = None
        if not a.no_host:
            stage = os.path.join(w, "stage")
            os.mkdir(stage)
            os.link(self.src, os.path.join(stage, "file"))
            with open(os.path.join(stage, "sparse"), "wb") as f:
                f.truncate(a.size)
            make_flat(os.path.join(stage, "dir"), a.files)
            make_tree(os.path.join(stage, "tree"), a.tree_files)
            self.image = os.path.join(w, "host.img")
            with open(self.image, "wb") as f:
                f.truncate(2 * a.size + 256 * MiB + a.files * 4096)
            subprocess.run(["mkfs.ext4", "-q", "-F", "-N",
                            str(a.files + a.tree_files + 10000), self.image], check=True)
            # Filled through the kernel (mke2fs -d takes minutes for a flat
            # directory of 100,000 files), in a private mount namespace, on
            # a loop device that umount releases.
            mnt = os.path.join(w, "mnt")
            os.mkdir(mnt)
            subprocess.run(["unshare", "--mount", "--propagation", "private", "--", "sh", "-ec",
                            'mount -o loop "$1" "$2"; cp -a "$3/." "$2/"; umount "$2"',
                            "fill", self.image, mnt, stage], check=True)
            os.rmdir(mnt)
            shutil.rmtree(stage)
            self.imgmnt = os.path.join(w, "imgmnt")
            os.mkdir(self.imgmnt)

    def env(self, daemon):
        e = dict(os.environ)
        e.update({
            "LIBGUESTFS_BACKEND": "direct",
            "LIBGUESTFS_HV": self.hv,
            "LIBGUESTFS_PATH": os.path.join(self.builddir, "tools", "appliance"),
            "GUESTFSD_HV_SANDBOX": self.sandbox,
        })
        for k in ("LIBGUESTFS_DEBUG", "LIBGUESTFS_TRACE", "GUESTFSD_EXTRA_ARGS"):
            e.pop(k, None)
        if daemon in ("ours-host", "ours-host-warm"):
            e["GUESTFSD_BIN"] = self.ours
            e.pop("GUESTFSD_HV_LIVE", None)
        elif daemon.startswith("ours-live-img"):
            e["GUESTFSD_BIN"] = self.ours
            e["GUESTFSD_HV_LIVE"] = "1"
            e["GUESTFSD_HV_BIND"] = ":".join([self.builddir, self.imgmnt])
        else:
            e["GUESTFSD_BIN"] = {"ours": self.ours, "real": self.real, "null": self.null}[daemon]
            e["GUESTFSD_HV_LIVE"] = "1"
            e["GUESTFSD_HV_BIND"] = ":".join([self.builddir, self.data])
            e["GUESTFSD_HV_SYMLINKS"] = "/dev/null:/tmp/null /dev/zero:/tmp/zero"
            # Room for the 4x scaling upload.
            e["GUESTFSD_HV_TMP_SIZE"] = str(5 * self.args.size + 256 * MiB)
        return e

    def bench_args(self, daemon, workload, small=False, size=None, src=None, sparse=None):
        a = self.args
        if daemon in ("ours-host", "ours-host-warm"):
            args = ["--drive", self.image, "--mount", "/dev/sda", "--prefix", "",
                    "--upload-to", "/upload.bin"]
        elif daemon.startswith("ours-live-img"):
            args = ["--drive", self.dummy, "--prefix", self.imgmnt]
        else:
            args = ["--drive", self.dummy, "--prefix", self.data,
                    "--null", "/tmp/null", "--zero", "/tmp/zero",
                    "--upload-to", "/tmp/upload.bin"]
        args += ["--src", src or self.src, "--size", str(size or a.size),
                 "--calls", str(a.calls)]
        if sparse:
            args += ["--sparse", sparse]
        if small:
            args += ["--dir", "dir-small", "--tree", "tree-small",
                     "--expect", str(a.files // 10)]
        else:
            args += ["--expect", str(a.files)]
        if daemon.endswith("-warm"):
            args.append("--warm")
        cmd = [self.gd_bench] + args + [workload]
        if daemon.startswith("ours-live-img"):
            # The image mounted afresh, in a mount namespace of its own that
            # gd-sandbox's inherits; the loop device goes with the namespace.
            cmd = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-ec",
                   'mount -o loop,ro "$1" "$2"; shift 2; exec "$@"', "mount-img",
                   self.image, self.imgmnt] + cmd
        return cmd

    def run(self, daemon, workload, **kw):
        cmd = self.bench_args(daemon, workload, **kw)
        p = subprocess.run(cmd, env=self.env(daemon), capture_output=True, text=True,
                           timeout=1200)
        out = {}
        for line in p.stdout.splitlines():
            m = re.match(r"RESULT (\S+) (\S+)$", line)
            if m:
                v = m.group(2)
                out[m.group(1)] = None if v == "n/a" else (v if v in ("ok", "refused") else float(v))
        if p.returncode != 0:
            raise RuntimeError(f"{daemon} {workload} failed (exit {p.returncode}):\n"
                               f"{p.stderr.strip()}\n  command: {' '.join(cmd)}")
        return out


def write_random(path, size):
    # Incompressible data, written once.
    with open(path, "wb") as f:
        block = os.urandom(4 * MiB)
        left = size
        i = 0
        while left > 0:
            n = min(left, len(block))
            # Vary blocks cheaply so no two are the same.
            f.write(bytes([i & 0xff]) + block[1:n])
            left -= n
            i += 1


def make_flat(path, n):
    os.mkdir(path)
    for i in range(n):
        with open(os.path.join(path, f"file-{i:06d}"), "wb"):
            pass


def make_tree(path, n):
    """n small files, 100 per directory, two levels."""
    os.mkdir(path)
    per = 100
    for i in range(n):
        d = os.path.join(path, f"d{i // (per * per):02d}", f"s{(i // per) % per:02d}")
        if i % per == 0:
            os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"f{i % per:02d}.txt"), "wb") as f:
            f.write(b"x" * (64 + i % 1000))


# ---- safety ------------------------------------------------------------------

def canary(setup, daemons):
    """Each daemon writes to its "/" (and tries /usr, /etc); none of it may
    reach this machine's root filesystem."""
    token = uuid.uuid4().hex[:12]
    for d in daemons:
        if d == "ours-host" or d in EXTRA:
            continue
        cmd = [setup.gd_bench, "--drive", setup.dummy, "--token", f"{d}-{token}", "canary"]
        p = subprocess.run(cmd, env=setup.env(d), capture_output=True, text=True, timeout=300)
        if p.returncode != 0 or "RESULT canary ok" not in p.stdout:
            sys.exit(f"run.py: canary run of {d} failed:\n{p.stderr}")
    leaked = []
    for top in ("/", "/usr", "/etc", "/tmp"):
        for name in os.listdir(top):
            if token in name:
                leaked.append(os.path.join(top, name))
    if leaked:
        sys.exit(f"run.py: SANDBOX LEAK: {leaked} written on the host: stopping")
    log(f"canary {token}: writes stayed in the sandboxes")


# ---- statistics and the table -------------------------------------------------

def mmm(vals):
    if vals and all(v == "refused" for v in vals):
        return "refused"
    vals = [v for v in vals if isinstance(v, (int, float))]
    if not vals:
        return None
    return (min(vals), statistics.median(vals), max(vals))


def fmt_num(v):
    if v >= 1000:
        return f"{v:.0f}"
    if v >= 100:
        return f"{v:.1f}"
    if v >= 10:
        return f"{v:.2f}"
    return f"{v:.3f}"


def fmt_mmm(t):
    if t is None:
        return "n/a"
    if t == "refused":
        return "refused (not a regular file)"
    return f"{fmt_num(t[0])} / {fmt_num(t[1])} / {fmt_num(t[2])}"


def ratio(a_vals, b_vals):
    pairs = [(a, b) for a, b in zip(a_vals, b_vals)
             if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b]
    if not pairs:
        return None
    return statistics.median(a / b for a, b in pairs)


def machine_info():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
            mem = f"{kb / (1 << 20):.0f} GiB RAM"
    except (OSError, ValueError):
        pass
    return f"{cpu}, {os.cpu_count()} CPUs, {mem}, Linux {platform.release()}"


def versions(setup):
    ours = subprocess.run([setup.ours, "--version"], capture_output=True, text=True).stdout.strip()
    ours = ours.removeprefix("guestfsd ")
    try:
        rev = subprocess.run(["git", "-C", os.path.dirname(os.path.abspath(__file__)),
                              "describe", "--always", "--dirty"],
                             capture_output=True, text=True).stdout.strip()
        ours += f" (git {rev})" if rev else ""
    except OSError:
        pass
    lib = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "libguestfs0"],
                         capture_output=True, text=True).stdout.strip() or "unknown"
    return ours, lib


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--builddir", default=os.environ.get("GDTEST_BUILDDIR", "build"))
    ap.add_argument("--quick", action="store_true", help="few runs, small sizes (CI)")
    ap.add_argument("--runs", type=int)
    ap.add_argument("--markdown", help="also write the table here")
    ap.add_argument("--only", help="comma-separated workloads")
    ap.add_argument("--no-host", action="store_true", help="skip ours in host mode")
    ap.add_argument("--no-scaling", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.runs = args.runs or 2
        args.size, args.calls, args.files, args.tree_files = 16 * MiB, 200, 1000, 200
        args.scaling = False
    else:
        args.runs = args.runs or 5
        args.size, args.calls, args.files, args.tree_files = GiB, 10000, 100000, 20000
        args.scaling = not args.no_scaling
    only = set(args.only.split(",")) if args.only else None

    setup = Setup(args)
    try:
        setup.prepare()
        return bench(setup, args, only)
    finally:
        setup.cleanup()


def bench(setup, args, only):
    daemons = ["ours"] + (["real"] if setup.real else []) + \
        ([] if args.no_host else ["ours-host"] + EXTRA)
    canary(setup, daemons)
    load_before = os.getloadavg()
    start = datetime.datetime.now()

    # results[daemon][workload] = list of dicts, one per run
    results = {d: {} for d in daemons}
    workloads = []
    for w, *_ in WORKLOADS:
        if w not in workloads and (only is None or w in only):
            workloads.append(w)
    for w in workloads:
        for i in range(args.runs):
            # Alternate which daemon goes first, run by run.
            order = daemons if i % 2 == 0 else daemons[::-1]
            if w in NULL_WORKLOADS:
                # What the client allows: the same calls answered by a
                # daemon that does nothing (bench/gd-null-daemon.c).
                order = order + ["null"]
            for d in order:
                if d == "ours-host" and w in HOST_SKIP:
                    continue
                if d in EXTRA and w not in WALKS:
                    continue
                r = setup.run(d, w)
                results.setdefault(d, {}).setdefault(w, []).append(r)
        log(f"{w}: done")

    ceil = {}
    for w in ("ceiling", "ceiling-batched"):
        vals = []
        for i in range(args.runs):
            p = subprocess.run([setup.gd_bench, "--size", str(args.size), w],
                               capture_output=True, text=True, check=True)
            vals.append(float(p.stdout.split()[-1]))
        ceil[w] = mmm(vals)

    scaling = run_scaling(setup, args, daemons) if args.scaling and only is None else None

    load_after = os.getloadavg()
    text = render(setup, args, daemons, workloads, results, ceil, scaling,
                  start, load_before, load_after)
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text)
    return 0


def run_scaling(setup, args, daemons):
    """Throughput at 1/4, 1 and 4 times the size (sparse client files), and
    listing at a tenth of the entries: one run each."""
    live = [d for d in daemons if d != "ours-host" and d not in EXTRA]
    rows = []
    for factor in (0.25, 1, 4):
        size = int(args.size * factor)
        src = os.path.join(setup.work, f"sparse-{size}")
        name = f"sparse-{size}"
        for path in (src, os.path.join(setup.data, name)):
            with open(path, "wb") as f:
                f.truncate(size)
        for w, metric in (("upload-prealloc", "upload_prealloc_MBps"),
                          ("download-sparse", "download_sparse_MBps")):
            row = [f"{w} {size // MiB} MiB"]
            for d in live:
                r = setup.run(d, w, size=size, src=src, sparse=name)
                v = r.get(metric)
                row.append("n/a" if v is None else f"{fmt_num(v)} MB/s, RSS {r['rss_kb'] / 1024:.1f} MiB")
            rows.append(row)
        os.unlink(src)
        os.unlink(os.path.join(setup.data, name))
    for w, metric in (("ls", "ls_ms"), ("find", "find_ms"),
                      ("lstatnslist", "lstatnslist_ms"), ("tar-out", "tar_out_ms")):
        for small in (True, False):
            n = (args.files if w != "tar-out" else args.tree_files) // (10 if small else 1)
            row = [f"{w} {n} entries"]
            for d in live:
                r = setup.run(d, w, small=small)
                v = r.get(metric)
                row.append("n/a" if v is None else f"{fmt_num(v)} ms ({v * 1000 / n:.2f} us/entry)")
            rows.append(row)
    log("scaling: done")
    return (live, rows)


def render(setup, args, daemons, workloads, results, ceil, scaling, start, lb, la):
    ours_v, lib_v = versions(setup)
    L = []
    L.append("# libguestfsd benchmark: ours vs the original guestfsd")
    L.append("")
    L.append(f"- date: {start:%Y-%m-%d %H:%M}")
    L.append(f"- machine: {machine_info()}")
    L.append(f"- load average before/after: {lb[0]:.2f} / {la[0]:.2f} "
             "(other jobs share the machine: medians and paired ratios)")
    L.append(f"- client: libguestfs {lib_v} (Debian), direct backend, "
             "tools/guestfsd-hv as the hypervisor")
    L.append(f"- ours: guestfsd {ours_v}")
    L.append("- real: guestfsd from libguestfs 1.48.6 (Debian's appliance daemon.tar.gz)")
    L.append("- both live (-r) in the same sandbox (bench/gd-sandbox.c --live: "
             "tmpfs root, read-only /usr and /etc, tmpfs /tmp)")
    L.append(f"- {args.runs} runs each, alternating; transfers {args.size // MiB} MiB, "
             f"{args.calls} small calls, {args.files} files listed, "
             f"tar_out of {args.tree_files} files" + (" (--quick)" if args.quick else ""))
    L.append("- figures min / median / max; ratio = median of per-run ours/real "
             "(< 1 is better for times, > 1 for throughput)")
    L.append("")
    cols = ["workload", "ours (-r)", "real (-r)", "ours/real"]
    if "ours-host" in daemons:
        cols.append("ours (host mode)")
    extra = [d for d in EXTRA if d in daemons]
    names = {"ours-host-warm": "ours (host mode, warm)",
             "ours-live-img": "ours (-r) on the host-mode image",
             "ours-live-img-warm": "ours (-r) on the image, warm"}
    cols += [names[d] for d in extra]
    if extra:
        cols.append("host/-r same image, warm")
    L.append("| " + " | ".join(cols) + " |")
    L.append("|" + "---|" * len(cols))

    def row(label, w, metric, unit, scale=1.0, main=None):
        cells = [f"{label} ({unit})"]

        def get(d):
            # A secondary figure (CPU) is n/a when the main one is.
            runs = results.get(d, {}).get(w, [])
            out = []
            for r in runs:
                v, m = r.get(metric), r.get(main) if main else 0
                if v == "refused" or m == "refused":
                    out.append("refused" if not main else None)
                elif v is None or m is None:
                    out.append(None)
                else:
                    out.append(v * scale)
            return out
        o = get("ours")
        rl = get("real")
        cells.append(fmt_mmm(mmm(o)))
        cells.append(fmt_mmm(mmm(rl)) if "real" in daemons else "-")
        rt = ratio(o, rl) if "real" in daemons else None
        cells.append("n/a" if rt is None else f"{rt:.2f}")
        if "ours-host" in daemons:
            h = get("ours-host")
            cells.append("- (nodev)" if w in HOST_SKIP else fmt_mmm(mmm(h)))
        for d in extra:
            cells.append(fmt_mmm(mmm(get(d))) if w in WALKS else "")
        if extra:
            rt = ratio(get("ours-host-warm"), get("ours-live-img-warm")) if w in WALKS else None
            cells.append("" if rt is None else f"{rt:.2f}")
        L.append("| " + " | ".join(cells) + " |")

    for w, metric, unit, better, label in WORKLOADS:
        if w not in workloads:
            continue
        row(label, w, metric, unit)
        if w in SMALL:
            row(f"{label}, daemon CPU", w, "work_cpu_ms", "us", 1000.0 / args.calls, metric)
        if w in TRANSFER or w in WALKS:
            row(f"{label}, daemon CPU", w, "work_cpu_ms", "ms", main=metric)
    for w in RSS_AFTER:
        if w in workloads:
            row(f"daemon peak RSS after {w}", w, "rss_kb", "MiB", 1 / 1024)
    for w, (metric, unit) in NULL_WORKLOADS.items():
        runs = results.get("null", {}).get(w, [])
        if not runs:
            continue
        cells = [f"what the client allows: {w} against a daemon that does nothing "
                 f"(bench/gd-null-daemon.c) ({unit})", fmt_mmm(mmm([r.get(metric) for r in runs])),
                 "", ""]
        if "ours-host" in daemons:
            cells.append("")
        cells += [""] * (len(cols) - len(cells))
        L.append("| " + " | ".join(cells) + " |")
    for w, label in (("ceiling", "one write per chunk"),
                     ("ceiling-batched", "32 chunks per write")):
        cells = [f"ceiling: framed 8 KiB chunks over a socketpair, {label} (MB/s)",
                 fmt_mmm(ceil[w]), "", ""]
        if "ours-host" in daemons:
            cells.append("")
        cells += [""] * (len(cols) - len(cells))
        L.append("| " + " | ".join(cells) + " |")
    L.append("")
    L.append("Protocol-only transfers: /dev/null and /dev/zero for both daemons in "
             "live mode; in host mode ours refuses guest paths that are not regular "
             "files (a device node in an image must not reach the host's devices), "
             "hence also a preallocated file (the write is one copy into existing "
             "page-cache pages) and a sparse file (reading a hole costs what reading "
             "/dev/zero does), valid in every mode.")
    L.append("")
    L.append("Daemon CPU is the daemon process's own time (/proc/PID/schedstat) during "
             "the workload: it excludes helper processes (the original runs find and tar "
             "as children) and is steadier than wall time on a shared machine.")
    if scaling:
        live, rows = scaling
        L.append("")
        L.append("## Scaling (one run each)")
        L.append("")
        L.append("| workload | " + " | ".join(live) + " |")
        L.append("|" + "---|" * (len(live) + 1))
        for r in rows:
            L.append("| " + " | ".join(r) + " |")
    L.append("")
    return "\n".join(L)


if __name__ == "__main__":
    sys.exit(main())
