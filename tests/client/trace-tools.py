#!/usr/bin/python3
# Which daemon procedures each user tool calls: runs guestfish, the virt-*
# tools and guestmount with LIBGUESTFS_TRACE=1 through our guestfsd and
# prints a Markdown table, tool -> procedures in call order, with those
# that --list-procedures says are missing in bold.
#
#   GDTEST_BUILDDIR=<builddir> PYTHONPATH=tests/client \
#       /usr/bin/python3 tests/client/trace-tools.py [--missing-from <builddir>]
#
# --missing-from marks against another build's list (e.g. run with an
# integration build that has every family, mark what main still lacks).

import argparse
import os
import re
import shutil
import subprocess
import tarfile

import gdtest

MiB = gdtest.MiB


def procedures(builddir):
    out = subprocess.run([os.path.join(builddir, "guestfsd", "guestfsd"), "--list-procedures"],
                         capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in out.splitlines()]
    return ({r[0] for r in rows if len(r) == 2},
            {r[0] for r in rows if len(r) == 2 and r[1] == "implemented"})


def sh(cmd, env=None):
    return subprocess.run(cmd, shell=True, capture_output=True, text=True, errors="replace",
                          env=env, timeout=600)


def fish(script, *args):
    subprocess.run(["guestfish", *args], input=script, text=True, check=True,
                   capture_output=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--missing-from", default=gdtest.BUILDDIR)
    opts = ap.parse_args()
    daemon, _ = procedures(gdtest.BUILDDIR)
    _, impl = procedures(opts.missing_from)

    with gdtest.tmpdir() as d:
        tree = os.path.join(d, "tree")
        os.makedirs(os.path.join(tree, "sub dir"))
        for n in ("a", "sub dir/b", "sp ace"):
            with open(os.path.join(tree, n), "w") as f:
                f.write(n)
        os.symlink("a", os.path.join(tree, "link"))
        with tarfile.open(os.path.join(d, "t.tar"), "w") as t:
            t.add(tree, arcname=".")
        n = os.path.join(d, "n.img")
        fish('write /a "x"\n', "-N", f"{n}=fs:ext4:64M", "-m", "/dev/sda1")
        guest = os.path.join(d, "os.img")
        fish("""
mkdir-p /etc
mkdir-p /bin
mkdir-p /var/log
mkdir-p /var/lib/dpkg
mkdir-p /home
write /etc/os-release "ID=debian\\nVERSION_ID=\\"12\\"\\n"
write /etc/hostname "qa-guest\\n"
write /etc/fstab "/dev/sda1 / ext4 defaults 0 1\\n"
upload /bin/ls /bin/ls
write /var/log/syslog "a log line\\n"
write /var/lib/dpkg/status "Package: hello\\nStatus: install ok installed\\nVersion: 1\\n\\n"
""", "-N", f"{guest}=fs:ext4:64M", "-m", "/dev/sda1")
        blank = os.path.join(d, "blank.img")
        with open(blank, "wb") as f:
            f.truncate(200 * MiB)
        big = os.path.join(d, "big.img")
        with open(big, "wb") as f:
            f.truncate(160 * MiB)
        m = os.path.join(d, "m")
        os.mkdir(m)
        D = d
        tools = [
            ("guestfish session (write, cat, ll, stat, glob)",
             f"guestfish -a {n} -m /dev/sda1 write /a x : cat /a : ll / : stat /a : glob echo '/*'"),
            ("guestfish copy-in / copy-out",
             f"guestfish -a {n} -m /dev/sda1 copy-in {tree} / : copy-out /tree {D}/"),
            ("guestfish edit", f"EDITOR='sed -i s/x/yy/' guestfish -a {n} -m /dev/sda1 edit /a"),
            ("virt-ls -lR", f"virt-ls -a {n} -m /dev/sda1 -lR /"),
            ("virt-ls -R", f"virt-ls -a {n} -m /dev/sda1 -R /"),
            ("virt-ls --checksum -lR", f"virt-ls -a {n} -m /dev/sda1 --checksum -lR /"),
            ("virt-cat", f"virt-cat -a {n} -m /dev/sda1 /a"),
            ("virt-edit -e", f"virt-edit -a {n} -m /dev/sda1 /a -e s/y/z/"),
            ("virt-copy-in", f"virt-copy-in -a {guest} {tree} /home"),
            ("virt-copy-out", f"mkdir -p {D}/o; virt-copy-out -a {guest} /home {D}/o"),
            ("virt-tar-in", f"virt-tar-in -a {guest} {D}/t.tar /var"),
            ("virt-tar-out", f"virt-tar-out -a {guest} /etc - >/dev/null"),
            ("virt-make-fs", f"virt-make-fs --type=ext4 --size=+10M {tree} {D}/mf.img"),
            ("virt-make-fs --partition",
             f"virt-make-fs --partition --type=ext4 --size=+10M {tree} {D}/mf2.img"),
            ("virt-format", f"virt-format -a {blank} --filesystem=ext4"),
            ("virt-format --lvm", f"virt-format -a {blank} --lvm --filesystem=ext4"),
            ("virt-df", f"virt-df -a {guest}"),
            ("virt-filesystems --all --long", f"virt-filesystems -a {guest} --all --long"),
            ("virt-diff", f"virt-diff -a {guest} -A {guest}"),
            ("virt-inspector", f"virt-inspector -a {guest}"),
            ("virt-log", f"virt-log -a {guest}"),
            ("virt-alignment-scan", f"virt-alignment-scan -a {guest}"),
            ("virt-tail (stopped after 3 s)",
             f"timeout -s INT 3 virt-tail -a {guest} /var/log/syslog"),
            ("virt-resize --expand", f"virt-resize --expand /dev/sda1 {n} {big}"),
            ("virt-sparsify --in-place", f"virt-sparsify --in-place {big}"),
            ("guestmount (ls -lR, cat, write, mkdir, rm, getfattr, ln -s, chmod, mv)",
             f"(guestmount --no-fork -a {n} -m /dev/sda1 {m} &); "
             f"while ! mountpoint -q {m}; do sleep 0.1; done; ls -lR {m} >/dev/null; "
             f"cat {m}/a; echo w > {m}/w; mkdir {m}/dd; rm {m}/w; getfattr -d {m}/a; "
             f"ln -s a {m}/sl; chmod 600 {m}/a; mv {m}/sl {m}/sl2; guestunmount {m}; sleep 1"),
        ]
        env = dict(os.environ, LIBGUESTFS_TRACE="1")
        rows = []
        for name, cmd in tools:
            p = sh(cmd, env)
            calls = []
            for mm in re.finditer(r"libguestfs: trace: (?:g\d+: )?([a-z0-9_]+)(?: |$)",
                                  p.stderr, re.M):
                if mm.group(1) in daemon and mm.group(1) not in calls:
                    calls.append(mm.group(1))
            err = [line for line in p.stderr.splitlines()
                   if "error" in line and "trace:" not in line][:1]
            rows.append((name, p.returncode, calls, err))

    print("| tool | exit | daemon procedures, in call order (**missing**) |")
    print("|---|---|---|")
    for name, rc, calls, err in rows:
        c = ", ".join(x if x in impl else f"**{x}**" for x in calls)
        print(f"| {name} | {rc} | {c} |")
    failed = [(name, err) for name, rc, _, err in rows if rc not in (0, 124)]
    if failed:
        print()
        for name, err in failed:
            print(f"- {name}: {err[0] if err else '(no message)'}")
    shutil.rmtree(m, ignore_errors=True)


if __name__ == "__main__":
    main()
