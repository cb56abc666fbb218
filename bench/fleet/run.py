#!/usr/bin/python3
"""Many images at once: virt-inspector over N images by P workers
(bench/fleet/README.md).

    bench/fleet/run.py --builddir build [--n 10,100] [--p 1,2,4,8]
                       [--orig-n 4] [--orig-p 1,2] [--markdown F] [--json F]
                       [--plots DIR] [--quick]

Images: two raw bases (Debian 12 minbase, slimmed: no docs, man pages,
locales or apt lists; one differs by hostname), and N qcow2 overlays
alternating between them (--format qcow2, the default: guestfsd-hv serves
them through qemu-storage-daemon) or N raw sparse copies (--format raw).
Every image is inspected once per configuration.

Per session, a sampler reads VmHWM (peak RSS) of the client
(virt-inspector), of what it started as its hypervisor (guestfsd-hv or
qemu) and of the daemon (host mode) every 50 ms.  After each
configuration the host is checked for what a session could leak: loop
devices attached, mounts, guestfsd-hv work directories.
"""

import argparse
import concurrent.futures as cf
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tools"))
import images  # noqa: E402

SLIM = ["usr/share/doc", "usr/share/man", "usr/share/locale", "usr/share/info",
        "usr/share/i18n", "usr/share/zoneinfo", "var/lib/apt/lists", "var/cache/apt",
        "usr/share/perl", "usr/lib/x86_64-linux-gnu/perl"]


def slim_tree(src, dst):
    if os.path.isdir(dst):
        shutil.rmtree(dst)
    ignore = set(os.path.join(src, p) for p in SLIM)
    subprocess.run(["cp", "-a", src, dst], check=True)
    for p in SLIM:
        shutil.rmtree(os.path.join(dst, p), ignore_errors=True)
    return dst


def mode_env(mode, builddir, work):
    env = dict(os.environ)
    env["TMPDIR"] = os.path.join(work, "tmp")  # guestfsd-hv's work directories
    for k in ("LIBGUESTFS_PATH", "LIBGUESTFS_HV", "LIBGUESTFS_DEBUG", "LIBGUESTFS_TRACE"):
        env.pop(k, None)
    env["LIBGUESTFS_BACKEND"] = "direct"
    env["LIBGUESTFS_BACKEND_SETTINGS"] = "force_tcg"
    if mode == "ours-host":
        env["LIBGUESTFS_HV"] = os.path.join(builddir, "tools/guestfsd-hv")
        env["LIBGUESTFS_PATH"] = os.path.join(builddir, "tools/appliance")
    return env


def hwm(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def children(pid):
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"


def role(name):
    if name.startswith("qemu-storage"):
        return "qsd"
    if name.startswith("guestfsd-hv") or name.startswith("python"):
        return "hv"
    if name.startswith("qemu"):
        return "hv"
    if name == "guestfsd":
        return "daemon"
    return None


def inspect_one(img, env):
    t0 = time.monotonic()
    p = subprocess.Popen(["virt-inspector", "-a", img], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env)
    peaks = {"client": 0, "hv": 0, "daemon": 0, "qsd": 0}
    done = threading.Event()

    def sample():
        while not done.is_set():
            v = hwm(p.pid)
            if v:
                peaks["client"] = max(peaks["client"], v)
            stack = children(p.pid)
            while stack:
                c = stack.pop()
                r = role(comm(c))
                v = hwm(c)
                if r and v:
                    peaks[r] = max(peaks[r], v)
                stack += children(c)
            done.wait(0.05)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out, err = p.communicate()
    done.set()
    th.join()
    wall = time.monotonic() - t0
    ok = p.returncode == 0 and b"<operatingsystem>" in out
    return {"start": t0, "wall": wall, "rc": p.returncode, "ok": ok,
            "peaks_kib": peaks, "err": err.decode(errors="replace")[-1500:] if not ok else ""}


def host_state(work):
    loops = [x for x in subprocess.run(["losetup", "-n", "-l", "-O", "NAME,BACK-FILE"],
                                       capture_output=True, text=True).stdout.splitlines()
             if work in x]
    with open("/proc/self/mountinfo") as f:
        mounts = len(f.readlines())
    tmp = os.path.join(work, "tmp")
    hvdirs = len([d for d in os.listdir(tmp) if d.startswith("guestfsd-hv.")])
    procs = 0  # qemu-storage-daemon or guestfsd processes still running over our files
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        if os.fsencode(tmp) in cmd and (b"qemu-storage-daemon" in cmd or b"guestfsd" in cmd):
            procs += 1
    return {"procs": procs, "loops_attached": len(loops), "loop_nodes": len([d for d in os.listdir("/dev")
                                                            if d.startswith("loop") and d[4:].isdigit()]),
            "mounts": mounts, "hv_workdirs": hvdirs, "fds": len(os.listdir("/proc/self/fd"))}


def run_config(mode, imgs, p, env, log, work):
    before = host_state(work)
    load0 = os.getloadavg()[0]
    cpu0 = os.times()
    t0 = time.monotonic()
    with cf.ThreadPoolExecutor(max_workers=p) as ex:
        res = list(ex.map(lambda i: inspect_one(i, env), imgs))
    wall = time.monotonic() - t0
    cpu1 = os.times()
    after = host_state(work)
    ok = sum(1 for r in res if r["ok"])
    cpu = (cpu1.children_user - cpu0.children_user) + (cpu1.children_system - cpu0.children_system)
    out = {"mode": mode, "n": len(imgs), "p": p, "wall": wall, "ok": ok,
           "per_min": 60 * ok / wall, "cpu": cpu, "sessions": res,
           "before": before, "after": after, "load": [load0, os.getloadavg()[0]]}
    log(f"{mode:9} N={len(imgs):4} P={p}: {wall:7.1f} s, {ok}/{len(imgs)} ok, "
        f"{out['per_min']:.1f} images/min, cpu {cpu:.1f} s, load {os.getloadavg()[0]:.1f}; "
        f"host before {before} after {after}")
    for r in res:
        if not r["ok"]:
            log(f"  failed: rc={r['rc']} {r['err']}")
            break
    return out


def med(xs):
    return statistics.median(xs) if xs else 0


def trend(sessions):
    """Median seconds per image of the first and the last tenth started."""
    ss = sorted(sessions, key=lambda s: s["start"])
    k = max(1, len(ss) // 10)
    return med([s["wall"] for s in ss[:k]]), med([s["wall"] for s in ss[-k:]])

def table(results):
    """The legend and the table of results (markdown lines)."""
    lines = [
        "- orig = Debian's daemon in Debian's appliance under TCG; ours-host = host mode",
        "- peak RSS: medians over the sessions of the sampled VmHWM (MiB); "
        "hv = guestfsd-hv (python) or qemu, qsd = qemu-storage-daemon (host mode, qcow2); "
        "session = their sum",
        "- first / last 10%: median seconds per image of the first and the last tenth "
        "of the images started (a per-image cost growing with the images done shows there)",
        "",
        "| mode | N | P | wall s | images/min | CPU s per image | s per image (median / max) "
        "| first / last 10% | client RSS | hv RSS | qsd RSS | daemon RSS | session RSS "
        "| loops / procs / mounts / hv dirs after (before) | load start / end |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        ss = r["sessions"]
        pk = lambda k: med([s["peaks_kib"].get(k, 0) for s in ss if s["peaks_kib"].get(k)]) / 1024  # noqa
        tot = med([sum(s["peaks_kib"].values()) for s in ss]) / 1024
        b, af = r["before"], r["after"]
        first, last = trend(ss)
        lines.append(
            f"| {r['mode']} | {r['n']} | {r['p']} | {r['wall']:.1f} | {r['per_min']:.1f} | "
            f"{r['cpu'] / r['n']:.2f} | {med([s['wall'] for s in ss]):.2f} / "
            f"{max(s['wall'] for s in ss):.2f} | {first:.2f} / {last:.2f} | "
            f"{pk('client'):.1f} | {pk('hv'):.1f} | {pk('qsd'):.1f} | "
            f"{pk('daemon'):.1f} | {tot:.1f} | {af['loops_attached']} / {af.get('procs', 0)} / "
            f"{af['mounts']} / {af['hv_workdirs']} "
            f"({b['loops_attached']} / {b.get('procs', 0)} / {b['mounts']} / {b['hv_workdirs']}) | "
            f"{r['load'][0]:.1f} / {r['load'][1]:.1f} |"
            + ("" if r["ok"] == r["n"] else f" {r['n'] - r['ok']} FAILED"))
    trends = []
    for r in results:
        if r["n"] >= 100:
            ss = sorted(r["sessions"], key=lambda s: s["start"])
            fit = statistics.linear_regression(range(len(ss)), [s["wall"] for s in ss])
            trends.append(f"{r['mode']} N={r['n']} P={r['p']}: "
                          f"{fit.slope * 1000 * 100:+.1f} ms per 100 images done "
                          f"(fit {fit.intercept:.2f} s at the first image)")
    if trends:
        lines += ["", "Seconds per image against the number of images already started "
                  "(least-squares slope): " + "; ".join(trends) + "."]
    return lines


def plots(results, outdir):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    os.makedirs(outdir, exist_ok=True)
    fig, ax = plt.subplots(figsize=(6, 4))
    for (mode, n) in sorted({(r["mode"], r["n"]) for r in results}):
        rs = sorted([r for r in results if r["mode"] == mode and r["n"] == n],
                    key=lambda r: r["p"])
        ax.plot([r["p"] for r in rs], [r["per_min"] for r in rs], marker="o",
                label=f"{mode}, N={n}")
    ax.set_xlabel("parallel workers P")
    ax.set_ylabel("images inspected per minute")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("virt-inspector over N images (2 CPUs)")
    fig.tight_layout()
    fig.savefig(os.path.join(outdir, "fleet-throughput.png"), dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4))
    for r in results:
        if r["p"] != 1 and not (r["mode"] == "ours-host" and r["p"] == 2):
            continue
        ss = sorted(r["sessions"], key=lambda s: s["start"])
        ax.plot(range(1, len(ss) + 1), [s["wall"] for s in ss], marker=".", linestyle="-",
                linewidth=0.6, label=f"{r['mode']}, N={r['n']}, P={r['p']}")
    ax.set_xlabel("image number (order started)")
    ax.set_ylabel("seconds per image")
    ax.set_yscale("log")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("per-image time vs images already done")
    fig.tight_layout()
    fig.savefig(os.path.join(outdir, "fleet-per-image.png"), dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4))
    for (mode, p) in sorted({(r["mode"], r["p"]) for r in results}):
        rs = sorted([r for r in results if r["mode"] == mode and r["p"] == p],
                    key=lambda r: r["n"])
        ax.plot([r["n"] for r in rs],
                [med([sum(s["peaks_kib"].values()) for s in r["sessions"]]) / 1024 for r in rs],
                marker="o", label=f"{mode}, P={p}")
    ax.set_xlabel("images N")
    ax.set_ylabel("peak RSS per session, MiB (median)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("memory per session (client + hv/qemu + qsd + daemon)")
    fig.tight_layout()
    fig.savefig(os.path.join(outdir, "fleet-memory.png"), dpi=110)
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--builddir", default="build")
    ap.add_argument("--n", default="10,100")
    ap.add_argument("--p", default="1,2,4,8")
    ap.add_argument("--orig-n", type=int, default=4)
    ap.add_argument("--orig-p", default="1,2")
    ap.add_argument("--workdir")
    ap.add_argument("--markdown")
    ap.add_argument("--json")
    ap.add_argument("--plots")
    ap.add_argument("--quick", action="store_true", help="tiny images (CI smoke)")
    ap.add_argument("--format", choices=("qcow2", "raw"), default="qcow2",
                    help="qcow2 overlays over the bases, or raw copies of them")
    ap.add_argument("--from-json", help="F1,F2,...: no run, the table and plots of these "
                    "--json outputs together")
    a = ap.parse_args()
    if a.from_json:
        lines, results = [], []
        for path in a.from_json.split(","):
            with open(path) as f:
                data = json.load(f)
            if isinstance(data, list):
                data = {"meta": [], "results": data}
            lines += [f"- {os.path.basename(path)}:"] + ["  " + x for x in data["meta"]]
            results += data["results"]
        text = "\n".join(lines + table(results)) + "\n"
        print(text)
        if a.markdown:
            with open(a.markdown, "w") as f:
                f.write(text)
        if a.plots:
            plots(results, a.plots)
        return
    builddir = os.path.abspath(a.builddir)
    if os.geteuid() != 0:
        print("bench/fleet: needs root (loop devices in host mode)")
        sys.exit(77)
    if not os.path.exists(os.path.join(builddir, "tools/guestfsd-hv")):
        print(f"bench/fleet: needs {builddir}/tools/guestfsd-hv")
        sys.exit(77)
    ns = [int(x) for x in a.n.split(",") if x]
    ps = [int(x) for x in a.p.split(",") if x]
    ops = [int(x) for x in a.orig_p.split(",") if x]

    def log(s):
        print(s, flush=True)

    work = a.workdir or tempfile.mkdtemp(prefix="gd-bench-fleet.", dir="/var/tmp")
    os.makedirs(os.path.join(work, "tmp"), exist_ok=True)
    t = time.monotonic()
    if a.quick:
        tree = images.tiny_tree(work)
    else:
        tree = slim_tree(images.debootstrap_tree(log), os.path.join(work, "slim-tree"))
    bases = [images.make_debian_image(os.path.join(work, "base-a.img"), tree)]
    with open(os.path.join(tree, "etc/hostname"), "w") as f:
        f.write("bench-debian12-b\n")
    b = os.path.join(work, "base-b.img")
    images.make_debian_image(b, tree)
    bases.append(b)
    nmax = max(ns + [a.orig_n if ops else 0])
    imgs = []
    fmt = a.format
    if fmt == "qcow2" and not (os.access("/usr/bin/qemu-storage-daemon", os.X_OK)
                               and os.path.exists("/dev/fuse")):
        log("bench/fleet: no qemu-storage-daemon or /dev/fuse: raw copies instead of qcow2")
        fmt = "raw"
    for i in range(nmax):
        if fmt == "qcow2":
            img = os.path.join(work, f"img-{i:04}.qcow2")
            subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b",
                            os.path.basename(bases[i % 2]), "-F", "raw", img], check=True)
            imgs.append(img)
        else:
            imgs.append(images.copy_image(bases[i % 2], os.path.join(work, f"img-{i:04}.raw")))
    used = images.used_bytes(bases[0]) // images.MiB
    log(f"{nmax} images ({used} MiB used each) ready in {time.monotonic() - t:.1f} s")


    load0 = os.getloadavg()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    results = []
    env = mode_env("ours-host", builddir, work)
    inspect_one(imgs[0], env)  # warm the page cache of the tools themselves

    def save():
        # after every configuration: a long run stopped early keeps its results
        if a.json:
            with open(a.json + ".part", "w") as f:
                json.dump({"meta": [f"- date: {started} (partial)"], "results": results}, f)

    for n in ns:
        for p in ps:
            results.append(run_config("ours-host", imgs[:n], p, env, log, work))
            save()
    if ops and a.orig_n:
        env = mode_env("orig", builddir, work)
        for p in ops:
            results.append(run_config("orig", imgs[:a.orig_n], p, env, log, work))
            save()
    load1 = os.getloadavg()

    lines = [
        f"- date: {started}; {platform.machine()}, {os.cpu_count()} CPUs; load average "
        f"(1/5/15) before {load0[0]:.1f}/{load0[1]:.1f}/{load0[2]:.1f}, after "
        f"{load1[0]:.1f}/{load1[1]:.1f}/{load1[2]:.1f}",
        f"- images: {'qcow2 overlays (qemu-img create -f qcow2 -b BASE -F raw) over' if fmt == 'qcow2' else 'raw sparse copies of'} "
        f"2 raw bases (Debian 12 minbase, slimmed, "
        f"{used} MiB used each){' (--quick: tiny tree)' if a.quick else ''}",
    ]
    text = "\n".join(lines + table(results)) + "\n"
    print(text)
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(text)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"meta": lines, "results": results}, f, indent=1)
        if os.path.exists(a.json + ".part"):
            os.unlink(a.json + ".part")
    if a.plots:
        plots(results, a.plots)
    if not a.workdir:
        shutil.rmtree(work, ignore_errors=True)
    leaked = any(r["after"]["loops_attached"] > r["before"]["loops_attached"] or
                 r["after"]["procs"] > r["before"]["procs"] or
                 r["after"]["hv_workdirs"] > r["before"]["hv_workdirs"] for r in results)
    failed = any(r["ok"] != r["n"] for r in results)
    if leaked:
        print("bench/fleet: a session left a loop device, a process or a work directory behind")
    sys.exit(1 if failed or leaked else 0)


if __name__ == "__main__":
    main()
