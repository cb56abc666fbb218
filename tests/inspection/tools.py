#!/usr/bin/python3
"""Runs Debian's unchanged libguestfs tools on a guest image with one of
three daemons, and writes what each printed (normalised) to a directory.

    tools.py MODE IMAGE OUTDIR [TOOL...]

MODE:
  original  Debian's appliance with the original guestfsd (no LIBGUESTFS_PATH)
  appliance Debian's appliance with our guestfsd (<builddir>/appliance)
  host      our guestfsd on this host (tools/guestfsd-hv)

TOOL: inspector, guestfish, filesystems, df, cat, ls, log (all by
default).  Each appliance boot takes 20-60 s with TCG, so the appliance
modes are for recording references (record.sh), not for CI.

Environment: GDTEST_BUILDDIR (default <srcdir>/build).
"""

import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

SRCDIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILDDIR = os.environ.get("GDTEST_BUILDDIR", os.path.join(SRCDIR, "build"))

TOOLS = ["inspector", "guestfish", "filesystems", "df", "cat", "ls", "log"]

# The inspect_get_* calls guestfish -i makes on each root, in this order.
GETTERS = ["type", "distro", "product-name", "product-variant", "major-version",
           "minor-version", "arch", "hostname", "package-format", "package-management",
           "osinfo", "format", "mountpoints", "filesystems", "drive-mappings",
           "windows-systemroot", "windows-current-control-set"]


def env_for(mode):
    env = dict(os.environ)
    for k in ("LIBGUESTFS_PATH", "LIBGUESTFS_HV", "LIBGUESTFS_BACKEND_SETTINGS"):
        env.pop(k, None)
    env["LIBGUESTFS_BACKEND"] = "direct"
    env["LANG"] = env["LC_ALL"] = "C.UTF-8"
    env["TZ"] = "UTC"
    if mode == "original":
        env["LIBGUESTFS_BACKEND_SETTINGS"] = "force_tcg"
    elif mode == "appliance":
        env["LIBGUESTFS_BACKEND_SETTINGS"] = "force_tcg"
        env["LIBGUESTFS_PATH"] = os.path.join(BUILDDIR, "appliance")
    elif mode == "host":
        env["LIBGUESTFS_HV"] = os.path.join(BUILDDIR, "tools", "guestfsd-hv")
        env["LIBGUESTFS_PATH"] = os.path.join(BUILDDIR, "tools", "appliance")
    else:
        raise SystemExit(f"tools.py: unknown mode {mode}")
    return env


TIMES = {}


def run(env, argv, stdin=None):
    t0 = time.monotonic()
    r = subprocess.run(argv, env=env, input=stdin, capture_output=True, text=True,
                       errors="replace", timeout=900)
    TIMES[argv[0] + (" -i" if "-i" in argv else "")] = round(time.monotonic() - t0, 2)
    return r.returncode, r.stdout, r.stderr


def normalise(text, image):
    # The image's path and the temporary names libguestfs makes.
    text = text.replace(image, "IMAGE")
    text = re.sub(r"/tmp/libguestfs\w+", "/tmp/libguestfsXXXXXX", text)
    return text


def roots_of(xml_text):
    try:
        tree = ET.fromstring(xml_text)
    except ET.ParseError:
        return []
    return [r.text for r in tree.iter("root")]


def guestfish_script(roots):
    lines = ["inspect-get-roots"]
    for root in roots:
        lines.append(f"echo == {root}")
        for g in GETTERS:
            lines.append(f"-inspect-get-{g} {root}")
        lines.append(f"-inspect-list-applications2 {root}")
    lines += ["echo == mounts", "mountpoints", "echo == list-filesystems",
              "list-filesystems", "echo == lvs", "lvs"]
    return "\n".join(lines) + "\n"


# An application list is long: keep the fields that say what it is.
def shorten_apps(text):
    keep = ("app2_name", "app2_epoch", "app2_version", "app2_release", "app2_arch",
            "app2_display_name", "app2_source_package", "app2_publisher", "app2_url",
            "app2_summary", "[")
    return "\n".join(l for l in text.split("\n")
                     if not l.strip().startswith("app2_") or l.strip().startswith(keep))


# virt-ls -lR --time-t: type, mode, size, atime, mtime, ctime, path.  The
# images' inode change times are those of the build (mke2fs -d sets them
# to now whatever the tree says).
def no_ctimes(text):
    return re.sub(r"^(\S \S+ +\d+ \d+ \d+) \d+ ", r"\1 CTIME ", text, flags=re.M)


def main():
    if len(sys.argv) < 4:
        raise SystemExit(__doc__)
    mode, image, outdir = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3]
    tools = sys.argv[4:] or TOOLS
    env = env_for(mode)
    os.makedirs(outdir, exist_ok=True)
    results = {}
    ro = ["--ro", "--format=raw", "-a", image]

    rc, out, err = run(env, ["virt-inspector", "--format=raw", "-a", image])
    roots = roots_of(out)
    if "inspector" in tools:
        results["inspector"] = (rc, out, err)
    if "guestfish" in tools:
        script = guestfish_script(roots)
        results["guestfish"] = run(env, ["guestfish"] + ro + (["-i"] if roots else []),
                                   script if roots else "run\n" + script)
    if "filesystems" in tools:
        results["filesystems"] = run(env, ["virt-filesystems", "--format=raw", "-a", image,
                                           "--all", "--long", "--uuid", "-h"])
    if "df" in tools:
        results["df"] = run(env, ["virt-df", "--format=raw", "-a", image])
    if "cat" in tools:
        results["cat"] = run(env, ["virt-cat", "--format=raw", "-a", image, "/etc/fstab"])
    if "ls" in tools:
        results["ls"] = run(env, ["virt-ls", "--format=raw", "-a", image, "-lR", "--time-t",
                                  "/etc"])
    if "log" in tools:
        results["log"] = run(env, ["virt-log", "--format=raw", "-a", image])

    for tool, (rc, out, err) in results.items():
        if tool == "guestfish":
            out = shorten_apps(out)
        if tool == "ls":
            out = no_ctimes(out)
        with open(os.path.join(outdir, tool), "w") as f:
            f.write(f"exit {rc}\n--- stdout\n{normalise(out, image)}--- stderr\n"
                    f"{normalise(err, image)}")
    # Wall time of each tool (not compared): tools.py MODE ... then look.
    with open(os.path.join(outdir, "times"), "w") as f:
        f.write("".join(f"{k} {v}\n" for k, v in TIMES.items()))


if __name__ == "__main__":
    main()
