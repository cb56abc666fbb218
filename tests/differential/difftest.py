#!/usr/bin/python3
"""Differential harness: whole, unchanged tool runs (guestfish scripts and
the virt-* tools) over images built at test time (mkimages.sh), in one of
three modes:

  original   Debian's daemon in Debian's appliance (LIBGUESTFS_BACKEND=direct)
  appliance  our daemon in the same appliance (build/appliance)
  host       our daemon in host mode (build/tools/guestfsd-hv)

Outputs are normalised only for what must vary between runs and image
builds (temporary paths, times of things made during the run, ctimes),
then recorded (--record DIR) or compared byte for byte with a recording
(--compare DIR).  scenarios.txt holds the scenarios; expected.txt lists the
differences we keep, per mode, with the reason (docs/differences.md).

  difftest.py --mode host --compare reference        # what CI runs
  difftest.py --mode original --record reference     # re-record
"""

import argparse
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.abspath(os.path.join(HERE, "..", ".."))

# What must vary, and nothing else.
NORMALIZE = [
    # Times of things made or mounted during the run, and ctimes (image
    # builds cannot fix them).
    (r"(st_ctime_sec|st_ctime_nsec|ctime): -?\d+", r"\1: N"),
    (r"^(Filesystem created|Last mount time|Last write time|Last checked|Lifetime writes|"
     r"Mount count|Checksum|Last mounted on|Next check after|Free blocks|Free inodes|"
     r"Journal sequence)(:\s*).*$", r"\1\2N"),
    # The original's appliance kernel names the disks in the order its
    # SCSI scan finishes (the library maps device names in results, not
    # inside blkid's, xfs_info's or stat's own fields): /dev/sdc1 one boot,
    # /dev/sda1 the next.
    (r"^(DEVNAME: /dev/)sd[a-z]", r"\1sdX"),
    (r"^(xfs_mntpoint: /dev/)sd[a-z]", r"\1sdX"),
    (r"(PART_ENTRY_DISK|st_dev): \d+(:\d+)?", r"\1: N"),
    # Random at mkfs time during the run.
    (r"^(Filesystem UUID|Directory Hash Seed)(:\s*).*$", r"\1\2N"),
    # ls -l times of files made during the run ("Dec  7 14:31"; older
    # ones show the year).
    (r"\b[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d\b", "MON DD HH:MM"),
    # guestfish's script line numbers: a subset of a batch re-recorded
    # moves them.
    (r"^\*stdin\*:\d+: ", "*stdin*:N: "),
    # The temporary directory as tools print it without its leading "/".
    (r"(?<![\w/{])var/tmp/gddiff\.\w+", "{tmp-relative}"),
    # virt-customize's and virt-sysprep's elapsed-time prefix.
    (r"^\[ *\d+\.\d\] ", "[T] "),
    # The guests' cache directory (its name has guests.py's hash).
    (r"/\S*/guests-[0-9a-f]{12}/", "{guests}/"),
]


def parse_scenarios(path):
    """Batches: (kind, opts, [(name, body_lines)])."""
    batches = []
    cur = None
    name = None
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if line.startswith("#") or (not line.strip() and name is None):
                continue
            if line.startswith("%% "):
                words = line[3:].split()
                cur = (words[0], words[1:], [])
                batches.append(cur)
                name = None
                continue
            if line.startswith("== "):
                name = line[3:].strip()
                cur[2].append((name, []))
                continue
            if name is None:
                raise SystemExit(f"{path}: line outside a scenario: {line!r}")
            cur[2][-1][1].append(line)
    for _, _, scen in batches:
        for i, (n, body) in enumerate(scen):
            while body and not body[-1].strip():
                body.pop()
    # Shell scenarios one by one (each recorded as soon as it is done).
    out = []
    for kind, opts, scen in batches:
        if kind == "sh":
            out += [(kind, opts, [s]) for s in scen]
        else:
            out.append((kind, opts, scen))
    return out


def mode_env(mode, builddir):
    env = dict(os.environ)
    for k in ("LIBGUESTFS_HV", "LIBGUESTFS_PATH", "LIBGUESTFS_DEBUG", "LIBGUESTFS_TRACE"):
        env.pop(k, None)
    env["LIBGUESTFS_BACKEND"] = "direct"
    env["LC_ALL"] = "C.UTF-8"
    env["TZ"] = "UTC"
    env["HOME"] = "/root"
    if mode == "host":
        env["LIBGUESTFS_HV"] = os.path.join(builddir, "tools", "guestfsd-hv")
        env["LIBGUESTFS_PATH"] = os.path.join(builddir, "tools", "appliance")
    else:
        env["LIBGUESTFS_BACKEND_SETTINGS"] = "force_tcg"
        if mode == "appliance":
            env["LIBGUESTFS_PATH"] = os.path.join(builddir, "appliance")
    return env


def ensure_images(cache):
    script = os.path.join(HERE, "mkimages.sh")
    with open(script, "rb") as f:
        key = hashlib.sha256(f.read()).hexdigest()[:12]
    d = os.path.join(cache, key)
    if not (os.path.exists(os.path.join(d, "multi.img"))
            and os.path.exists(os.path.join(d, "small.img"))):
        subprocess.run([script, d], check=True, stdout=subprocess.DEVNULL)
    return d


def normalize(text, tmp):
    text = text.replace(tmp, "{tmp}")
    out = []
    for line in text.split("\n"):
        for rx, repl in NORMALIZE:
            line = re.sub(rx, repl, line)
        out.append(line)
    return "\n".join(out)


GUESTS = None


def guest_image(cache, name):
    """tests/inspection/guests.py's guest NAME, built once per version of
    guests.py under CACHE/guests-<hash>/ (not duplicated here)."""
    global GUESTS
    if GUESTS is None:
        sys.path.insert(0, os.path.join(SRCDIR, "tests", "inspection"))
        import guests as GUESTS
    with open(GUESTS.__file__, "rb") as f:
        key = hashlib.sha256(f.read()).hexdigest()[:12]
    d = os.path.join(cache, "guests-" + key)
    img = os.path.join(d, name + ".img")
    if not os.path.exists(img):
        why = GUESTS.need(name)
        if why:
            raise SystemExit(f"guest {name}: cannot build: {why}")
        os.makedirs(d, exist_ok=True)
        GUESTS.build(d, name)
    return img


def subst(s, vals):
    for k, v in vals.items():
        s = s.replace("{" + k + "}", v)
    if "{guest:" in s:
        s = re.sub(r"\{guest:([\w-]+)\}", lambda m: guest_image(vals["cache"], m.group(1)), s)
    return s


def sparse_copy(src, dst):
    subprocess.run(["cp", "--sparse=always", src, dst], check=True)


def run_fish(opts, scen, vals, env, tmp, timeout):
    """One guestfish session for the batch; its output cut at markers."""
    args = ["stdbuf", "-o0", "-e0", "guestfish"]
    ro = "ro" in opts
    for o in opts:
        if o in ("ro", "rw"):
            continue
        if o.startswith("blank:"):
            path = os.path.join(tmp, "blank%d.img" % len(args))
            with open(path, "wb") as f:
                f.truncate(int(o.split(":")[1]) * 1024 * 1024)
            args += ["-a", path]
        else:
            src = vals[o]
            if not ro:
                path = os.path.join(tmp, o + ".img")
                sparse_copy(src, path)
                src = path
            args += ["-a", src]
    if ro:
        args.insert(4, "--ro")
    script = ["run"]
    for name, body in scen:
        script.append(f"echo ==== {name}")
        script.append("-umount-all")
        for line in body:
            line = subst(line, vals)
            if line.startswith(("-", "!", "#")) or not line.strip():
                script.append(line)
            else:
                script.append("-" + line)
    script.append("echo ==== END")
    t0 = time.monotonic()
    p = subprocess.run(args, input="\n".join(script) + "\n", stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, env=env, cwd=tmp, timeout=timeout,
                       encoding="utf-8", errors="surrogateescape")
    elapsed = time.monotonic() - t0
    outs = {}
    cur = None
    head = []
    for line in p.stdout.split("\n"):
        # A marker may follow output that did not end its line.
        m = re.search(r"==== (\S+)$", line)
        if m:
            before = line[:m.start()]
            if before:
                (head if cur is None else outs[cur]).append(before)
            cur = m.group(1)
            outs.setdefault(cur, [])
            continue
        if cur is None:
            head.append(line)
        else:
            outs[cur].append(line)
    tail = outs.pop("END", [])
    results = {}
    for name, _ in scen:
        if name in outs:
            text = "\n".join(outs[name]).rstrip("\n") + "\n"
        else:
            text = "[no output: guestfish ended before; exit %d]\n%s\n" % (
                p.returncode, "\n".join(head + tail))
        results[name] = text
    if head and any(x.strip() for x in head):
        first = scen[0][0]
        results[first] = "[before]\n" + "\n".join(head).rstrip("\n") + "\n" + results[first]
    if p.returncode != 0 or any(x.strip() for x in tail):
        last = scen[-1][0]
        results[last] += "[after, exit %d]\n%s" % (p.returncode, "\n".join(tail).rstrip("\n"))
    return results, elapsed


def run_sh(name, body, vals, env, tmp, timeout):
    script = "\n".join(subst(line, vals) for line in body) + "\n"
    t0 = time.monotonic()
    try:
        p = subprocess.run(["bash", "-c", script], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, env=env, cwd=tmp, timeout=timeout,
                           encoding="utf-8", errors="surrogateescape")
        text = p.stdout.rstrip("\n") + "\n" + f"[exit {p.returncode}]\n"
    except subprocess.TimeoutExpired:
        text = "[timeout]\n"
    return {name: text}, time.monotonic() - t0


def load_expected(path, mode):
    """name -> reason, for differences kept in this mode."""
    exp = {}
    if not os.path.exists(path):
        return exp
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, modes, reason = line.split(None, 2)
            if mode in modes.split(","):
                exp[name] = reason
    return exp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["original", "appliance", "host"], required=True)
    ap.add_argument("--builddir", default=os.path.join(SRCDIR, "build"))
    ap.add_argument("--scenarios", default=os.path.join(HERE, "scenarios.txt"))
    ap.add_argument("--cache", default=os.environ.get("GDDIFF_CACHE", "/var/tmp/gddiff-images"))
    ap.add_argument("--record", metavar="DIR")
    ap.add_argument("--compare", metavar="DIR")
    ap.add_argument("--output", metavar="DIR", help="also write this run's outputs here")
    ap.add_argument("--only", help="regex of scenario names")
    ap.add_argument("--from", dest="from_dir", metavar="DIR",
                    help="do not run: take this mode's outputs from DIR (an earlier --output)")
    ap.add_argument("--timeout", type=int, default=1800)
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("SKIP: needs root (loop devices)")
        sys.exit(77)

    batches = parse_scenarios(a.scenarios)
    images = "/nonexistent" if a.from_dir else ensure_images(a.cache)
    # Scenarios run in scratch directories: relative paths would break.
    env = mode_env(a.mode, os.path.abspath(a.builddir))
    expected = load_expected(os.path.join(HERE, "expected.txt"), a.mode)
    outdir = a.record or a.output
    if outdir:
        os.makedirs(outdir, exist_ok=True)
    only = re.compile(a.only) if a.only else None

    counts = {"match": 0, "expected": 0, "differ": 0, "recorded": 0}
    fixed = []
    total_t = 0.0
    for kind, opts, scen in batches:
        if only:
            scen = [s for s in scen if only.search(s[0])]
        if not scen:
            continue
        if a.from_dir:
            res = {}
            for name, _ in scen:
                try:
                    with open(os.path.join(a.from_dir, name + ".out"), encoding="utf-8",
                              errors="surrogateescape") as f:
                        res[name] = f.read()
                except FileNotFoundError:
                    res[name] = "[not run]\n"
            scen_results = res
        else:
            scen_results = None
        with tempfile.TemporaryDirectory(prefix="gddiff.", dir="/var/tmp") as tmp:
            vals = {"tmp": tmp, "multi": os.path.join(images, "multi.img"),
                    "small": os.path.join(images, "small.img"), "src": HERE}
            if not a.from_dir:
                vals["cache"] = a.cache
            if scen_results is not None:
                res, el = scen_results, 0.0
            elif kind == "fish":
                res, el = run_fish(opts, scen, vals, env, tmp, a.timeout)
            else:
                res, el = {}, 0.0
                for name, body in scen:
                    r, e = run_sh(name, body, vals, env, tmp, a.timeout)
                    res.update(r)
                    el += e
            total_t += el
            for name, _ in scen:
                text = normalize(res[name], tmp)
                if outdir:
                    with open(os.path.join(outdir, name + ".out"), "w", encoding="utf-8",
                              errors="surrogateescape") as f:
                        f.write(text)
                if a.record:
                    counts["recorded"] += 1
                    print(f"REC  {name}", flush=True)
                    continue
                if not a.compare:
                    print(text, end="")
                    continue
                ref_path = os.path.join(a.compare, name + ".out")
                try:
                    with open(ref_path, encoding="utf-8", errors="surrogateescape") as f:
                        ref = f.read()
                except FileNotFoundError:
                    ref = None
                if ref == text:
                    counts["match"] += 1
                    print(f"SAME {name}", flush=True)
                    if name in expected:
                        fixed.append(name)
                elif name in expected:
                    counts["expected"] += 1
                    print(f"KEPT {name}: {expected[name]}", flush=True)
                else:
                    counts["differ"] += 1
                    print(f"DIFF {name}", flush=True)
                    if ref is None:
                        print("  (no reference recorded)")
                    else:
                        import difflib
                        for d in difflib.unified_diff(ref.splitlines(), text.splitlines(),
                                                      "original", a.mode, lineterm="", n=1):
                            print("  " + d)
    n = sum(counts[k] for k in ("match", "expected", "differ"))
    if a.compare:
        print(f"{a.mode}: {n} scenarios: {counts['match']} same as the original, "
              f"{counts['expected']} kept differences (expected.txt), "
              f"{counts['differ']} unexpected differences; {total_t:.0f} s in tools")
        for name in fixed:
            print(f"note: {name} is listed in expected.txt but now matches")
        sys.exit(1 if counts["differ"] else 0)
    print(f"{a.mode}: {counts['recorded']} scenarios recorded; {total_t:.0f} s in tools")


if __name__ == "__main__":
    main()
