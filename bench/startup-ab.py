#!/usr/bin/python3
"""Host-mode start-up of two guestfsd builds, paired and alternating.

    bench/startup-ab.py OLD_GUESTFSD NEW_GUESTFSD [--builddir build] [--runs N]

Two figures per build, each run alternating which build goes first:
- exec -> launch flag: guestfsd --sysroot DIR --drive IMG (a 64 MiB raw
  image) on a socketpair, inside unshare --mount as guestfsd-hv starts it;
  also without a drive, which isolates the jail's own cost;
- launch until the first reply: the real library (add_drive, launch,
  ping_daemon) through BUILDDIR's guestfsd-hv with GUESTFSD_BIN set.
Prints min/median/max and the median of the per-pair ratios new/old
(the machine is shared: paired ratios are what to compare)."""

import argparse
import os
import resource
import socket
import statistics
import struct
import subprocess
import tempfile
import time

LAUNCH_FLAG = 0xf5f55ff5


def startup(binary, img):
    work = tempfile.mkdtemp(dir=os.path.dirname(img))
    sysroot = os.path.join(work, "sysroot")
    os.mkdir(sysroot)
    a, c = socket.socketpair()
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    args = ["unshare", "--mount", "--propagation", "private", "--", binary,
            "--channel", f"fd:{c.fileno()}", "--sysroot", sysroot]
    if img.endswith(".img"):
        args += ["--drive", img]
    p = subprocess.Popen(args, pass_fds=[c.fileno()], stdin=subprocess.DEVNULL)
    c.close()
    flag = a.recv(4)
    t1 = time.perf_counter()
    assert flag == struct.pack(">I", LAUNCH_FLAG), flag
    a.close()
    p.wait()
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    os.rmdir(sysroot)
    os.rmdir(work)
    return (t1 - t0) * 1000, (r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) * 1000


def launch(binary, img, builddir):
    import guestfs
    os.environ.update(LIBGUESTFS_BACKEND="direct", GUESTFSD_BIN=binary,
                      LIBGUESTFS_HV=os.path.join(builddir, "tools", "guestfsd-hv"),
                      LIBGUESTFS_PATH=os.path.join(builddir, "tools", "appliance"))
    g = guestfs.GuestFS(python_return_dict=True)
    g.add_drive_opts(img, format="raw")
    t0 = time.perf_counter()
    g.launch()
    g.ping_daemon()
    t = (time.perf_counter() - t0) * 1000
    g.shutdown()
    g.close()
    return t, 0.0


def report(label, res, old, new):
    for name, b in (("old", old), ("new", new)):
        v = sorted(x for x, _ in res[b])
        cpu = statistics.median(c for _, c in res[b])
        print(f"{label:40} {name}: {v[0]:8.2f} / {statistics.median(v):8.2f} / {v[-1]:8.2f} ms"
              + (f"  (CPU of the run {cpu:.2f} ms)" if cpu else ""))
    ratio = statistics.median(n[0] / o[0] for n, o in zip(res[new], res[old]))
    print(f"{label:40} paired ratio new/old: {ratio:.3f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--builddir", default="build")
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    builddir = os.path.abspath(args.builddir)
    d = tempfile.mkdtemp(prefix="startup-ab.", dir="/var/tmp")
    img = os.path.join(d, "disk.img")
    with open(img, "wb") as f:
        f.truncate(64 << 20)
    print(f"load average: {os.getloadavg()[0]:.2f}")
    try:
        for label, fn, arg in (
                ("exec -> launch flag, one drive", startup, img),
                ("exec -> launch flag, no drive", startup, d + "/none"),
                ("launch until the first reply (library)", lambda b, i: launch(b, i, builddir),
                 img)):
            res = {args.old: [], args.new: []}
            for i in range(args.runs):
                for b in ((args.old, args.new) if i % 2 == 0 else (args.new, args.old)):
                    res[b].append(fn(b, arg))
            report(label, res, args.old, args.new)
    finally:
        os.unlink(img)
        os.rmdir(d)
    print(f"load average: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
