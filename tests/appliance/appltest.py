"""appltest: gdtest (tests/client/gdtest.py) for the real appliance.

Importing it makes the handles of gdtest boot <builddir>/appliance (our
guestfsd inside the libguestfs appliance, see tools/README-appliance.md)
with qemu instead of running the daemon on the host:

    import appltest
    from gdtest import test, handle
    appltest.setup()          # builds the appliance if needed, or skips

Environment:
  GDTEST_BUILDDIR       the build directory (set by meson)
  GDTEST_APPLIANCE=1    required: these tests boot VMs (about 20-60 s per
                        launch with TCG), so meson runs them only when asked
  GDTEST_APPLIANCE_PATH use this appliance instead of <builddir>/appliance
                        (e.g. appliance-original, for comparisons)
  LIBGUESTFS_BACKEND_SETTINGS  default force_tcg unless KVM works here
"""

import os
import subprocess
import sys

import gdtest

SRCDIR = gdtest.SRCDIR
BUILDDIR = gdtest.BUILDDIR

os.environ.pop("LIBGUESTFS_HV", None)
os.environ["LIBGUESTFS_BACKEND"] = "direct"


def kvm_usable():
    """Whether qemu can run a guest with KVM here.  /dev/kvm may exist
    and still fail (nested virtualisation without the CPU features qemu's
    -cpu max asks for): try it once."""
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False
    try:
        r = subprocess.run(
            ["qemu-system-x86_64", "-machine", "accel=kvm", "-cpu", "max", "-m", "64",
             "-nodefaults", "-display", "none", "-no-reboot", "-S", "-qmp", "stdio"],
            input=b'{"execute":"qmp_capabilities"}\n{"execute":"cont"}\n'
                  b'{"execute":"query-status"}\n{"execute":"quit"}\n',
            capture_output=True, timeout=20)
        return r.returncode == 0 and b'"running": true' in r.stdout
    except (OSError, subprocess.TimeoutExpired):
        return False


def setup(build=True):
    """Points libguestfs at the appliance (building it when needed) or
    skips the whole file (exit 77) when appliance tests were not asked
    for or cannot run here."""
    if os.environ.get("GDTEST_APPLIANCE") != "1":
        print("SKIP all: appliance tests boot VMs; set GDTEST_APPLIANCE=1 to run them")
        sys.exit(77)
    path = os.environ.get("GDTEST_APPLIANCE_PATH")
    if path is None:
        path = os.path.join(BUILDDIR, "appliance")
        if build:
            r = subprocess.run([os.path.join(SRCDIR, "tools", "build-appliance.sh"), path,
                                os.path.join(BUILDDIR, "guestfsd", "guestfsd"),
                                os.path.join(BUILDDIR, "libguestfsd", "libguestfsd.so.0")])
            if r.returncode != 0:
                print("FAIL setup: tools/build-appliance.sh failed")
                sys.exit(1)
    if not os.path.exists(os.path.join(path, "README.fixed")):
        print(f"SKIP all: no appliance in {path} (ninja appliance)")
        sys.exit(77)
    os.environ["LIBGUESTFS_PATH"] = path
    if "LIBGUESTFS_BACKEND_SETTINGS" not in os.environ and not kvm_usable():
        os.environ["LIBGUESTFS_BACKEND_SETTINGS"] = "force_tcg"
    return path
