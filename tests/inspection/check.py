#!/usr/bin/python3
"""Suite 'inspection': our guestfsd against the original's recorded output.

Builds the synthetic guests of guests.py, runs Debian's unchanged tools on
each through tools.py in host mode (or MODE, first argument: "appliance"
to check ours in Debian's appliance, which takes minutes per guest), and
compares what they print with ref/GUEST/TOOL, recorded from the original
daemon in Debian's appliance by record.sh.

Differences that are expected are listed in differences.txt (see its
header): an output not compared at all, or lines ours may print that the
original does not (documented in docs/differences.md).  Anything else
that differs fails the test, with a diff.

    check.py [MODE] [GUEST...]
"""

import difflib
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import guests  # noqa: E402
import tools  # noqa: E402

REF = os.path.join(HERE, "ref")


def known_differences(mode):
    """{(guest, tool): reason}, {(guest, tool): [extra lines]} and
    {(guest, tool): [(our line, the original's line)]}."""
    skips, extras, alts = {}, {}, {}
    with open(os.path.join(HERE, "differences.txt")) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            m, g, t, kind, rest = line.split(None, 4)
            if m not in (mode, "*"):
                continue
            if kind == "skip":
                skips[(g, t)] = rest
            elif kind == "extra":
                extras.setdefault((g, t), []).append(rest)
            elif kind == "alt":
                ours, orig = (x.strip() for x in rest.split("|||"))
                alts.setdefault((g, t), []).append((ours, orig))
            else:
                raise SystemExit(f"differences.txt: unknown kind {kind}")
    return skips, extras, alts


def only_allowed_extras(want, got, allowed):
    """Whether got is want plus some of the allowed lines (each at most as
    often as listed), compared stripped."""
    left = list(allowed)
    sm = difflib.SequenceMatcher(a=want, b=got, autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            continue
        if op != "insert":
            return False
        for line in got[j1:j2]:
            if line.strip() not in left:
                return False
            left.remove(line.strip())
    return True


def main():
    args = sys.argv[1:]
    mode = "host"
    if args and args[0] in ("host", "appliance"):
        mode = args.pop(0)
    if os.geteuid() != 0 and mode == "host":
        print("SKIP: host mode needs root (loop devices, mounts)")
        return 77
    names = args or list(guests.GUESTS)
    known, extras, alts = known_differences(mode)
    failed = []
    passed = skipped = 0
    work = tempfile.mkdtemp(prefix="gdinspect-check.")
    try:
        for name in names:
            why = guests.need(name)
            if why or not os.path.isdir(os.path.join(REF, name)):
                print(f"SKIP {name}: {why or 'no reference recorded'}")
                skipped += 1
                continue
            img = guests.build(work, name)
            out = os.path.join(work, "out-" + name)
            subprocess.run([sys.executable, os.path.join(HERE, "tools.py"), mode, img, out],
                           check=True)
            for tool in tools.TOOLS:
                ref = os.path.join(REF, name, tool)
                if not os.path.exists(ref):
                    continue
                if (name, tool) in known:
                    print(f"SKIP {name} {tool}: known difference: {known[(name, tool)]}")
                    skipped += 1
                    continue
                with open(ref) as f:
                    want = f.read()
                with open(os.path.join(out, tool)) as f:
                    got = f.read()
                for ours, orig in alts.get((name, tool), []):
                    got = "\n".join(orig if l.strip() == ours else l
                                     for l in got.split("\n"))
                if want == got:
                    print(f"PASS {name} {tool}")
                    passed += 1
                    continue
                if only_allowed_extras(want.splitlines(), got.splitlines(),
                                       extras.get((name, tool), [])):
                    print(f"PASS {name} {tool} (with the documented additions)")
                    passed += 1
                    continue
                print(f"FAIL {name} {tool}")
                sys.stdout.writelines(difflib.unified_diff(
                    want.splitlines(True), got.splitlines(True),
                    f"original/{name}/{tool}", f"ours-{mode}/{name}/{tool}"))
                failed.append(f"{name}/{tool}")
            os.unlink(img)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{passed} passed, {len(failed)} failed, {skipped} skipped")
    if failed:
        print("FAILED: " + " ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
