#!/usr/bin/python3
"""guestfsd -r as the guest agent of a running VM, started by its systemd
unit, reached by the unchanged libguestfs 1.48 through guestfsd-hv's
connector mode.

The VM is the libguestfs appliance built by tools/build-appliance.sh (our
guestfsd inside), booted with systemd as PID 1 instead of the appliance's
/init, our units and udev rule installed in a copy of its root, and a
virtio-serial port org.libguestfs.channel.0 whose host side is a qemu
chardev socket.  Three guestfish sessions in a row attach to it, do work
and detach; the daemon is never restarted (its PID stays the same), and
the policy of /etc/default/guestfsd refuses what it blocks.

Needs GDTEST_APPLIANCE=1 (it boots a VM: about a minute with TCG).
Prints TAP.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "appliance"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "client"))
import appltest  # noqa: E402

BUILD = appltest.BUILDDIR
SRC = appltest.SRCDIR
HV = os.path.join(BUILD, "tools", "guestfsd-hv")
BOOT_TIMEOUT = 600
N_TESTS = 8


def log(msg):
    print("# " + msg, flush=True)


def prepare_root(appliance, work):
    """A copy of the appliance's root with systemd as init and our units."""
    root = os.path.join(work, "root.img")
    subprocess.run(["cp", "--sparse=always", os.path.join(appliance, "root"), root], check=True)
    units = os.path.join(work, "units")
    os.mkdir(units)
    for name in ("guestfsd.service", "guestfsd-listen.service"):
        with open(os.path.join(SRC, "systemd", name + ".in")) as f:
            text = f.read().replace("@SBINDIR@", "/usr/sbin")
        with open(os.path.join(units, name), "w") as f:
            f.write(text)
    mnt = os.path.join(work, "mnt")
    os.mkdir(mnt)
    script = f"""
set -e
mount -o loop {root} {mnt}
cp {units}/guestfsd.service {units}/guestfsd-listen.service \
   {SRC}/systemd/guestfsd-listen.socket {mnt}/lib/systemd/system/
mkdir -p {mnt}/lib/udev/rules.d {mnt}/etc/default
cp {SRC}/systemd/70-guestfsd.rules {mnt}/lib/udev/rules.d/
echo 'GUESTFSD_OPTS="--block-rpcs=sh,debug"' > {mnt}/etc/default/guestfsd
echo 'a file of the running guest' > {mnt}/etc/gdt-live-marker
# A second agent, read-only, on a second port (test only: the installed
# units serve org.libguestfs.channel.0).
cat > {mnt}/lib/systemd/system/gdt-readonly.service <<'UNIT'
[Unit]
BindsTo=dev-virtio\\x2dports-org.gdt.readonly.device
After=dev-virtio\\x2dports-org.gdt.readonly.device
[Service]
ExecStart=/usr/sbin/guestfsd -r --read-only -c /dev/virtio-ports/org.gdt.readonly
UNIT
echo 'SUBSYSTEM=="virtio-ports", ATTR{{name}}=="org.gdt.readonly", TAG+="systemd", ENV{{SYSTEMD_WANTS}}+="gdt-readonly.service"' \
  > {mnt}/lib/udev/rules.d/71-gdt-readonly.rules
rm -f {mnt}/init
printf '#!/bin/sh\\nexec /lib/systemd/systemd\\n' > {mnt}/init
chmod 755 {mnt}/init
: > {mnt}/etc/machine-id
umount {mnt}
"""
    subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script], check=True)
    return root


def boot(appliance, root, work):
    chan = os.path.join(work, "channel.sock")
    ro_chan = os.path.join(work, "readonly.sock")
    serial = os.path.join(work, "console.log")
    accel = "tcg" if os.environ.get("LIBGUESTFS_BACKEND_SETTINGS") == "force_tcg" else "kvm:tcg"
    argv = ["qemu-system-x86_64", "-machine", f"q35,accel={accel}", "-cpu", "max", "-m", "1024",
            "-smp", "2", "-nodefaults", "-display", "none", "-no-reboot",
            "-kernel", os.path.join(appliance, "kernel"),
            "-initrd", os.path.join(appliance, "initrd"),
            "-append", "root=/dev/sda console=ttyS0 panic=1 systemd.unit=multi-user.target "
                       "systemd.show_status=0 net.ifnames=0",
            "-device", "virtio-scsi-pci,id=scsi",
            "-drive", f"file={root},format=raw,if=none,id=root,cache=unsafe",
            "-device", "scsi-hd,drive=root",
            "-device", "virtio-serial-pci",
            "-chardev", f"socket,path={chan},server=on,wait=off,id=gfs",
            "-device", "virtserialport,chardev=gfs,name=org.libguestfs.channel.0",
            "-chardev", f"socket,path={ro_chan},server=on,wait=off,id=ro",
            "-device", "virtserialport,chardev=ro,name=org.gdt.readonly",
            "-serial", f"file:{serial}"]
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while not os.path.exists(chan):
        if p.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"qemu did not start: {p.stderr.read().decode()}")
        time.sleep(0.1)
    return p, chan, ro_chan, serial


def tool(chan, argv):
    env = dict(os.environ, LIBGUESTFS_BACKEND="direct", LIBGUESTFS_HV=HV,
               LIBGUESTFS_PATH=os.path.join(BUILD, "tools", "appliance"),
               GUESTFSD_HV_CONNECT="unix:" + chan)
    return subprocess.run(argv[:1] + ["--format=raw", "-a", "/dev/null"] + argv[1:],
                          capture_output=True, text=True, timeout=BOOT_TIMEOUT, env=env)


def guestfish(chan, script):
    return tool(chan, ["guestfish", "--"] + script)


def main():
    # appltest's skips (exit 77 with a line of text) as TAP.
    if os.environ.get("GDTEST_APPLIANCE") != "1":
        print("1..0 # SKIP boots a VM; set GDTEST_APPLIANCE=1 (tests/run.sh does)")
        return 0
    try:
        appliance = appltest.setup()
    except SystemExit as e:
        if e.code == 77:
            print("1..0 # SKIP no appliance (see above)")
            return 0
        raise
    print(f"1..{N_TESTS}", flush=True)
    work = tempfile.mkdtemp(prefix="gdt-live-vm-", dir="/var/tmp")
    qemu = None
    failed = 0
    n = 0

    def result(ok, name, detail=""):
        nonlocal failed, n
        n += 1
        print(f"{'ok' if ok else 'not ok'} {n} - {name}", flush=True)
        if not ok:
            failed += 1
            for line in detail.splitlines():
                print("# " + line)

    try:
        t0 = time.monotonic()
        root = prepare_root(appliance, work)
        log(f"root prepared in {time.monotonic() - t0:.1f} s")
        t0 = time.monotonic()
        qemu, chan, ro_chan, serial = boot(appliance, root, work)
        pids = []
        for i in range(1, 4):
            t1 = time.monotonic()
            r = guestfish(chan, ["run", ":", "cat", "/etc/gdt-live-marker", ":",
                                 "write", f"/tmp/client{i}", f"client {i}", ":",
                                 "glob-expand", "/tmp/client*", ":",
                                 "cat", "/proc/self/stat", ":", "-sh", "true"])
            if i == 1:
                log(f"boot and first session: {time.monotonic() - t0:.1f} s")
            else:
                log(f"session {i}: {time.monotonic() - t1:.1f} s")
            # /proc/self/stat as the daemon reads it: the reader's pid, and
            # its parent's (the daemon's, if a child reads; else systemd's).
            m = re.search(r"^(\d+) \(([^)]*)\) \S (\d+)", r.stdout, re.M)
            pids.append((m.group(1), m.group(2), m.group(3)) if m else None)
            listed = re.findall(r"/tmp/client\d", r.stdout)
            ok = (r.returncode == 0 and "a file of the running guest" in r.stdout
                  and listed == [f"/tmp/client{j}" for j in range(1, i + 1)]
                  and "refused by the daemon's policy --block-rpcs" in r.stderr)
            result(ok, f"guestfish session {i} through the virtio-serial agent",
                   f"rc={r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}")
        log(f"/proc/self/stat as read for each session (pid, comm, ppid): {pids}")
        # The daemon is whichever of the two is guestfsd: the reader itself,
        # or its parent when a confined child reads.
        daemons = {p[0] if p[1] == "guestfsd" and p[2] == "1" else p[2] for p in pids if p}
        same = None not in pids and len(daemons) == 1
        result(same, "one daemon served all three (never restarted)", f"pids: {pids}")
        # The virt tools inspect the running system where it is mounted.
        r = tool(chan, ["virt-cat", "/etc/gdt-live-marker"])
        result(r.returncode == 0 and r.stdout == "a file of the running guest\n",
               "virt-cat reads a file of the running guest", f"{r.stdout}\n{r.stderr}")
        r = tool(chan, ["virt-ls", "/tmp"])
        result(r.returncode == 0 and all(f"client{i}" in r.stdout.split() for i in (1, 2, 3)),
               "virt-ls lists what the guestfish sessions wrote", f"{r.stdout}\n{r.stderr}")
        r = tool(chan, ["virt-df", "--csv"])
        result(r.returncode == 0 and len(r.stdout.splitlines()) >= 2,
               "virt-df reports the running guest's filesystems", f"{r.stdout}\n{r.stderr}")
        r = guestfish(ro_chan, ["run", ":", "cat", "/etc/gdt-live-marker", ":", "-write",
                                "/tmp/ro", "x", ":", "-rm", "/tmp/client1", ":",
                                "glob-expand", "/tmp/*"])
        result(r.returncode == 0 and "a file of the running guest" in r.stdout
               and r.stderr.count("refused by the daemon's policy --read-only") == 2
               and "/tmp/client1" in r.stdout and "/tmp/ro" not in r.stdout,
               "a --read-only agent reads and refuses to write", f"{r.stdout}\n{r.stderr}")
    except Exception as e:
        import traceback
        result(False, "VM test", traceback.format_exc())
        while n < N_TESTS:
            result(False, "not reached")
    finally:
        if qemu is not None:
            qemu.send_signal(signal.SIGTERM)
            try:
                qemu.wait(timeout=30)
            except subprocess.TimeoutExpired:
                qemu.kill()
                qemu.wait()
        console = os.path.join(work, "console.log")
        if failed and os.path.exists(console):
            with open(console, errors="replace") as f:
                for line in f.read().splitlines()[-60:]:
                    print("# console: " + line)
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
