#!/usr/bin/python3
"""Whole tool runs, three ways, alternating (bench/tools/README.md).

    bench/tools/run.py --builddir build [--runs 3] [--only a,b] [--modes m1,m2]
                       [--markdown FILE] [--json FILE] [--phases] [--quick]

Modes:
  orig       Debian's daemon in Debian's appliance (no LIBGUESTFS_PATH), TCG
  ours-app   our daemon in the same appliance (build/appliance), TCG
  ours-host  our daemon in host mode (build/tools/guestfsd-hv)

Each scenario is one unchanged client tool run (one launch).  For every
run the order of the modes rotates.  Wall time is the tool's, CPU is that
of the tool and everything it started (qemu or guestfsd-hv and the daemon;
this process is a child subreaper so guestmount's background process is
counted too).  --phases adds one run per mode with LIBGUESTFS_DEBUG=1,
timestamping the library's log to split launch / work / shutdown.
"""

import argparse
import ctypes
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import images  # noqa: E402

MODES = ["orig", "ours-app", "ours-host"]


def mode_env(mode, builddir):
    env = dict(os.environ)
    for k in ("LIBGUESTFS_PATH", "LIBGUESTFS_HV", "LIBGUESTFS_DEBUG", "LIBGUESTFS_TRACE",
              "LIBGUESTFS_BACKEND_SETTINGS"):
        env.pop(k, None)
    env["LIBGUESTFS_BACKEND"] = "direct"
    if mode in ("orig", "ours-app"):
        env["LIBGUESTFS_BACKEND_SETTINGS"] = "force_tcg"
    if mode == "ours-app":
        env["LIBGUESTFS_PATH"] = os.path.join(builddir, "appliance")
    if mode == "ours-host":
        env["LIBGUESTFS_HV"] = os.path.join(builddir, "tools/guestfsd-hv")
        env["LIBGUESTFS_PATH"] = os.path.join(builddir, "tools/appliance")
    return env


GUESTFISH_SCRIPT = """\
cat /etc/debian_version
ll /etc
du /usr/share
statvfs /
checksum sha256 /etc/passwd
find /etc
"""


def scenarios(img, multi, rw, src, work):
    """name -> (description, argv, stdin or None, per-run setup)"""
    out = os.path.join(work, "copy-out")
    mnt = os.path.join(work, "mnt")
    pidf = os.path.join(work, "guestmount.pid")

    def fresh_out():
        shutil.rmtree(out, ignore_errors=True)
        os.mkdir(out)

    guestmount = (f"guestmount --ro -a {img} -i --pid-file {pidf} {mnt} && "
                  f"find {mnt} | wc -l >/dev/null && fusermount -u {mnt}")
    guestmount_rw = (f"guestmount -a {rw} -i --pid-file {pidf} {mnt} && "
                     f"cp -r {src} {mnt}/srv/gm && rm -rf {mnt}/srv/gm && fusermount -u {mnt}")
    blank = os.path.join(work, "blank.img")
    made = os.path.join(work, "made.img")

    def fresh_blank():
        with open(blank, "wb") as f:
            f.truncate(256 * 1024 * 1024)

    def no_made():
        if os.path.exists(made):
            os.unlink(made)
    # guestmount's background process is then reaped by run_one (this
    # process is a subreaper), which waits for it: its shutdown is counted.
    return {
        "virt-inspector": ("virt-inspector -a debian12.img",
                           ["virt-inspector", "-a", img], None, None),
        "guestfish-i": ("guestfish --ro -i: cat, ll, du, statvfs, checksum, find",
                        ["guestfish", "--ro", "-a", img, "-i"], GUESTFISH_SCRIPT, None),
        "virt-ls-lR": ("virt-ls -lR /", ["virt-ls", "-lR", "-a", img, "/"], None, None),
        "virt-tar-out": ("virt-tar-out /usr -", ["virt-tar-out", "-a", img, "/usr", "-"],
                         None, None),
        "virt-copy-out": ("virt-copy-out /etc /usr/share/doc",
                          ["virt-copy-out", "-a", img, "/etc", "/usr/share/doc", out],
                          None, fresh_out),
        "virt-copy-in": ("virt-copy-in (the tree's /usr/share/doc) into /srv, writable copy",
                         ["virt-copy-in", "-a", rw, src, "/srv"], None, None),
        "virt-df": ("virt-df of both disks", ["virt-df", "-a", img, "-a", multi], None, None),
        "virt-filesystems": ("virt-filesystems --all --long of the 4-fs disk",
                             ["virt-filesystems", "-a", multi, "--all", "--long"], None, None),
        "guestmount-ro": ("guestmount --ro -i, find over FUSE, fusermount -u",
                          ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                           f"mkdir -p {mnt} && {guestmount}"], None, None),
        # The write side, which the issue found slower than the original.
        "guestmount-rw": ("guestmount -i (writable copy): cp -r, rm -rf over FUSE, fusermount -u",
                          ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                           f"mkdir -p {mnt} && {guestmount_rw}"], None, None),
        "virt-format": ("virt-format --filesystem=ext4 of a blank 256 MiB disk",
                        ["virt-format", "--format=raw", "-a", blank, "--filesystem=ext4"],
                        None, fresh_blank),
        "virt-make-fs": ("virt-make-fs ext4 of the tree's /usr/share/doc",
                         ["virt-make-fs", "--format=raw", "--type=ext4", "--size=+32M", src, made],
                         None, no_made),
    }


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def reap_orphans():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.05)


def qemu_cpu(root):
    """CPU seconds used so far by the qemu processes descended from root."""
    hz = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                st = f.read()
            if "(qemu-system-" not in st:
                continue
            fields = st.rsplit(")", 1)[1].split()
            ppid = int(fields[1])
            for _ in range(6):
                if ppid in (root, 0, 1):
                    break
                with open(f"/proc/{ppid}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            if ppid == root:
                total += (int(fields[11]) + int(fields[12])) / hz
        except (OSError, ValueError, IndexError):
            pass
    return total


def run_one(argv, stdin, env, log_phases=False, split=False):
    """One tool run.  log_phases: LIBGUESTFS_DEBUG=1, marks from the debug log.
    split: LIBGUESTFS_TRACE=1 (the appliance is not made verbose): marks "up"
    when launch returns, with qemu's CPU until then, and "close"."""
    cpu0 = children_cpu()
    t0 = time.monotonic()
    marks = {}
    if log_phases or split:
        env = dict(env, **({"LIBGUESTFS_DEBUG": "1"} if log_phases else {"LIBGUESTFS_TRACE": "1"}))
        p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, env=env, text=True, errors="replace")
        if stdin:
            p.stdin.write(stdin)
        p.stdin.close()
        tail = []
        for line in p.stderr:
            now = time.monotonic() - t0
            if "launch: program=" in line and "launch" not in marks:
                marks["launch"] = now
            if ("appliance is up" in line or "guestfsd: main_loop" in line
                    or "trace: launch = " in line) and "up" not in marks:
                marks["up"] = now
                marks["qemu_cpu_up"] = qemu_cpu(p.pid)
            if ("closing guestfs handle" in line or "trace: shutdown" in line
                    or "trace: internal_autosync" in line):
                marks.setdefault("close", now)
            tail.append(line)
            tail = tail[-20:]
        rc = p.wait()
        err = "".join(tail)
    else:
        p = subprocess.run(argv, input=stdin, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, env=env, text=True, errors="replace")
        rc, err = p.returncode, p.stderr
    wall = time.monotonic() - t0
    reap_orphans()
    cpu = children_cpu() - cpu0
    return {"rc": rc, "wall": wall, "cpu": cpu, "marks": marks,
            "err": err[-2000:] if rc else ""}


def parse_log(path):
    """res/phases from the "run N tool mode W s wall C s cpu ok  load L" and
    "phases tool mode W s {marks}" lines this program prints."""
    import ast
    import re
    res, phases, loads, runs = {}, {}, [], 0
    for line in open(path):
        m = re.match(r"run (\d+) (\S+)\s+(\S+)\s+([\d.]+) s wall\s+([\d.]+) s cpu (ok|FAILED rc=(-?\d+))"
                     r"\s+load ([\d.]+)", line)
        if m:
            runs = max(runs, int(m.group(1)))
            rc = 0 if m.group(6) == "ok" else int(m.group(7))
            marks = {}
            sp = re.search(r"launch ([\d.]+) s \(qemu cpu ([\d.]+) s\) work ([\d.]+) s", line)
            if sp:
                marks = {"up": float(sp.group(1)), "qemu_cpu_up": float(sp.group(2)),
                         "close": float(sp.group(1)) + float(sp.group(3))}
            res.setdefault(m.group(2), {}).setdefault(m.group(3), []).append(
                {"rc": rc, "wall": float(m.group(4)), "cpu": float(m.group(5)), "marks": marks})
            loads.append(float(m.group(8)))
            continue
        m = re.match(r"phases (\S+)\s+(\S+)\s+([\d.]+) s (\{.*\})", line)
        if m:
            phases.setdefault(m.group(1), {})[m.group(2)] = {
                "rc": 0, "wall": float(m.group(3)), "marks": ast.literal_eval(m.group(4))}
    t = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(os.path.getmtime(path)))
    lo = (min(loads), max(loads), statistics.median(loads)) if loads else (0, 0, 0)
    return res, phases, {"runs": runs, "started": f"log of {t}",
                         "load0": (lo[0], lo[2], lo[1]), "load1": (lo[0], lo[2], lo[1])}


def fmt(x):
    return f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--builddir", default="build")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only")
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--workdir")
    ap.add_argument("--markdown")
    ap.add_argument("--json")
    ap.add_argument("--phases", nargs="?", const="all", default=None,
                    help="one more run per mode with LIBGUESTFS_DEBUG=1: launch/work/shutdown "
                    "(of the tools listed, comma-separated, or all)")
    ap.add_argument("--from-log", help="render the tables from the progress lines of an "
                    "earlier run's output (e.g. one stopped early)")
    ap.add_argument("--no-split", dest="split", action="store_false",
                    help="do not set LIBGUESTFS_TRACE=1 in the appliance modes (it splits "
                    "each run into launch / work / shutdown and samples qemu's CPU at launch)")
    ap.add_argument("--quick", action="store_true",
                    help="tiny image, no debootstrap (CI smoke)")
    a = ap.parse_args()
    builddir = os.path.abspath(a.builddir)
    modes = a.modes.split(",")
    if os.geteuid() != 0:
        print("bench/tools: needs root (loop devices in host mode)")
        sys.exit(77)
    for m in modes:
        need = {"ours-app": "appliance/kernel", "ours-host": "tools/guestfsd-hv"}.get(m)
        if need and not os.path.exists(os.path.join(builddir, need)):
            print(f"bench/tools: {m} needs {builddir}/{need}")
            sys.exit(77)

    # Orphans (guestmount's daemonised process) are reparented here.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER

    if a.from_log:
        res, phases, info = parse_log(a.from_log)
        names = None if not a.only else a.only.split(",")
        scen0 = scenarios("IMG", "MULTI", None, "SRC", "/nonexistent")
        order = [n for n in scen0 if names is None or n in names and n in res]
        order = [n for n in order if n in res]
        a.runs = info["runs"]
        load0, load1, started = info["load0"], info["load1"], info["started"]
        img = None
        work = None
    else:
        work = a.workdir or tempfile.mkdtemp(prefix="gd-bench-tools.", dir="/var/tmp")
        os.makedirs(work, exist_ok=True)
        t = time.monotonic()
        tree = images.tiny_tree(work) if a.quick else images.debootstrap_tree()
        img = images.make_debian_image(os.path.join(work, "debian12.img"), tree)
        multi = images.make_multi_image(os.path.join(work, "multi.img"), tree, work)
        rws = {m: images.copy_image(img, os.path.join(work, f"rw-{m}.img")) for m in modes}
        src = os.path.join(tree, "usr/share/doc")
        print(f"images ready in {time.monotonic() - t:.1f} s: {img} "
              f"({images.used_bytes(img) // images.MiB} MiB used), {multi}", flush=True)

        names = None if not a.only else a.only.split(",")
        load0 = os.getloadavg()
        started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        res = {}
        scen0 = scenarios(img, multi, None, src, work)
        order = [n for n in scen0 if names is None or n in names]
        for r in range(a.runs):
            for name in order:
                rot = modes[r % len(modes):] + modes[:r % len(modes)]
                for m in rot:
                    desc, argv, stdin, setup = scenarios(img, multi, rws[m], src, work)[name]
                    if setup:
                        setup()
                    x = run_one(argv, stdin, mode_env(m, builddir),
                                split=a.split and m != "ours-host")
                    res.setdefault(name, {}).setdefault(m, []).append(x)
                    st = "ok" if x["rc"] == 0 else f"FAILED rc={x['rc']}"
                    mk = x["marks"]
                    sp = (f"  launch {mk['up']:.2f} s (qemu cpu {mk['qemu_cpu_up']:.2f} s) work "
                          f"{mk['close'] - mk['up']:.2f} s" if "up" in mk and "close" in mk else "")
                    print(f"run {r + 1} {name:17} {m:9} {x['wall']:7.2f} s wall "
                          f"{x['cpu']:7.2f} s cpu {st}  load {os.getloadavg()[0]:.1f}{sp}",
                          flush=True)
                    if x["rc"]:
                        print(x["err"], flush=True)
        phases = {}
        if a.phases:
            for name in order:
                if a.phases != "all" and name not in a.phases.split(","):
                    continue
                for m in modes:
                    desc, argv, stdin, setup = scenarios(img, multi, rws[m], src, work)[name]
                    if setup:
                        setup()
                    x = run_one(argv, stdin, mode_env(m, builddir), log_phases=True)
                    phases.setdefault(name, {})[m] = x
                    print(f"phases {name:17} {m:9} {x['wall']:.2f} s {x['marks']}", flush=True)
        load1 = os.getloadavg()

    lines = [
        f"- date: {started}; machine: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs; " + (
            f"load average (1 min) after each tool run: min {load0[0]:.1f}, median "
            f"{load0[1]:.1f}, max {load0[2]:.1f}" if a.from_log else
            f"load average (1/5/15 min) before {load0[0]:.1f}/{load0[1]:.1f}/{load0[2]:.1f}, "
            f"after {load1[0]:.1f}/{load1[1]:.1f}/{load1[2]:.1f}"),
        f"- {a.runs} runs per tool and mode, order of the modes rotated each run; "
        "appliances under TCG (force_tcg: no KVM here)",
        (f"- images: Debian 12 minbase (debootstrap), {os.path.getsize(img) // images.MiB} MiB "
         f"disk, {images.used_bytes(img) // images.MiB} MiB used; a 4-filesystem GPT disk "
         "(ext4, xfs, btrfs, vfat)" + (" (--quick: tiny tree)" if a.quick else "")
         if img else f"- images: see {a.from_log}; rendered from that log"),
        "- figures: median wall s (median CPU s: the tool and all it started); "
        "ratio = median of the per-run ratios",
        "",
        "| tool | orig (Debian appliance) | ours, same appliance | ours-app/orig "
        "| ours, host mode | ours-host/orig |",
        "|---|---|---|---|---|---|",
    ]

    def med(xs, k):
        good = [x[k] for x in xs if x["rc"] == 0]
        return statistics.median(good) if good else None

    def cell(m, name):
        xs = res[name].get(m)
        if not xs:
            return "-"
        w, c = med(xs, "wall"), med(xs, "cpu")
        fails = sum(1 for x in xs if x["rc"])
        s = "failed" if w is None else f"{fmt(w)} ({fmt(c)})"
        return s + (f" [{fails} failed]" if fails and w is not None else "")

    def ratio(m, name):
        if "orig" not in res[name] or m not in res[name]:
            return "-"
        rs = [x["wall"] / y["wall"] for x, y in zip(res[name][m], res[name]["orig"])
              if x["rc"] == 0 and y["rc"] == 0]
        return f"{statistics.median(rs):.2f}" if rs else "-"

    for name in order:
        lines.append(f"| {scen0[name][0]} | {cell('orig', name)} | {cell('ours-app', name)} | "
                     f"{ratio('ours-app', name)} | {cell('ours-host', name)} | "
                     f"{ratio('ours-host', name)} |")
    split_rows = []
    for name in order:
        for m in ("orig", "ours-app"):
            xs = [x for x in res[name].get(m, []) if x["rc"] == 0 and "up" in x["marks"]
                  and "close" in x["marks"]]
            if not xs:
                continue
            md = statistics.median
            split_rows.append(
                f"| {name} | {m} | {len(xs)} | {fmt(md(x['marks']['up'] for x in xs))} | "
                f"{fmt(md(x['marks']['qemu_cpu_up'] for x in xs))} | "
                f"{fmt(md(x['marks']['close'] - x['marks']['up'] for x in xs))} | "
                f"{fmt(md(x['wall'] - x['marks']['close'] for x in xs))} | "
                f"{fmt(md(x['wall'] for x in xs))} |")
    if split_rows:
        lines += ["", "Where the time goes in the appliance, every run above (LIBGUESTFS_TRACE=1: "
                  "launch = start until launch returns, with qemu's CPU until then; work = "
                  "until the shutdown's first call; shutdown = to exit; medians, seconds):", "",
                  "| tool | mode | runs | launch | qemu CPU at launch | work | shutdown | total |",
                  "|---|---|---|---|---|---|---|---|"] + split_rows
    if phases:
        lines += ["", "Where the time goes (one run with LIBGUESTFS_DEBUG=1, from the "
                  "library's log: launch = start to \"appliance is up\", work = to "
                  "\"closing guestfs handle\", shutdown = to exit; seconds):", "",
                  "| tool | mode | launch | work | shutdown | total |", "|---|---|---|---|---|---|"]
        for name in order:
            for m in modes:
                x = phases.get(name, {}).get(m)
                if not x:
                    continue
                mk = x["marks"]
                up, close = mk.get("up"), mk.get("close")
                if up is None or close is None:
                    lines.append(f"| {name} | {m} | ? | ? | ? | {fmt(x['wall'])} |")
                    continue
                lines.append(f"| {name} | {m} | {fmt(up)} | {fmt(close - up)} | "
                             f"{fmt(x['wall'] - close)} | {fmt(x['wall'])} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(text)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"results": res, "phases": phases, "load": [load0, load1]}, f, indent=1)
    failed = sum(1 for n in res for m in res[n] for x in res[n][m] if x["rc"])
    if work and not a.workdir:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
