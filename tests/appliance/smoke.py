#!/usr/bin/python3
"""Smoke test of our guestfsd inside the real libguestfs appliance.

Builds <builddir>/appliance if needed (tools/build-appliance.sh), boots it
with the real library and runs a few calls of each family that only
works there (LVM, LUKS, MD, LDM) plus the appliance-mode paths of the
engine: disk order, the appliance's own disk refused, mounts under
/sysroot, results naming device-mapper devices as the original does.
Needs GDTEST_APPLIANCE=1 (see appltest.py).
"""

import errno
import os

import appltest
import gdtest
from gdtest import expect_error, handle, test

appltest.setup()

MiB = gdtest.MiB


def read(g, path):
    """The contents of a guest file (download works in every build)."""
    with gdtest.tmpdir() as d:
        local = os.path.join(d, "f")
        g.download(path, local)
        with open(local, "rb") as f:
            return f.read()


@test
def test_boot_and_disks():
    # Sizes differ so the order of the disks can be checked: in the VM
    # the kernel's names need not follow the order they were added in,
    # and SCSI target 10 must come after target 9.
    sizes = [40 - i for i in range(12)]
    with handle(disks=sizes) as g:
        names = ["/dev/sd" + chr(ord("a") + i) for i in range(12)]
        assert g.list_devices() == names
        got = [g.blockdev_getsize64(d) // MiB for d in names]
        assert got == sizes, got
        # /dev/sdm is the appliance's own root disk: never served.
        expect_error(g, g.blockdev_getsize64, "/dev/sdm", errno=errno.ENOENT)
        for group in ("lvm2", "luks", "mdadm"):
            assert g.feature_available([group]), group
        # What helper programs print names the kernel's nodes: they must be
        # mapped to the guest's names, never read as guest names.
        g.pvcreate("/dev/sdk")
        g.pvcreate("/dev/sdl")
        g.vgcreate("V", ["/dev/sdk", "/dev/sdl"])
        g.lvcreate("L", "V", 40)
        # (lvm sorts by the kernel's names, which need not follow ours.)
        assert sorted(g.pvs()) == ["/dev/sdk", "/dev/sdl"]
        assert sorted(p["pv_name"] for p in g.pvs_full()) == ["/dev/sdk", "/dev/sdl"]
        g.lvm_remove_all()
        assert g.pvs() == [] and g.vgs() == []
        # A filesystem, mounted under the appliance's /sysroot.
        g.part_disk("/dev/sda", "mbr")
        g.mkfs("ext4", "/dev/sda1")
        g.mount("/dev/sda1", "/")
        g.write("/hello", b"hello from the appliance\n")
        assert read(g, "/hello") == b"hello from the appliance\n"
        assert g.mounts() == ["/dev/sda1"]
        assert g.mountpoints() == {"/dev/sda1": "/"}
        g.umount_all()
        assert g.mounts() == []


@test
def test_lvm_luks_md_ldm():
    with handle(disks=[120, 60, 60, 60]) as g:
        # LVM on sda1, with a filesystem.
        g.part_disk("/dev/sda", "mbr")
        g.pvcreate("/dev/sda1")
        g.vgcreate("VG", ["/dev/sda1"])
        g.lvcreate("LV", "VG", 32)
        g.lvcreate_free("Rest", "VG", 50)
        assert g.pvs() == ["/dev/sda1"]
        assert g.vgs() == ["VG"]
        assert g.lvs() == ["/dev/VG/LV", "/dev/VG/Rest"]
        pv = g.pvs_full()[0]
        assert pv["pv_name"] == "/dev/sda1" and len(pv["pv_uuid"]) == 32, pv
        assert [lv["lv_size"] for lv in g.lvs_full()][0] == 32 * MiB
        assert g.is_lv("/dev/VG/LV") and not g.is_lv("/dev/sda1")
        assert g.lvm_canonical_lv_name("/dev/mapper/VG-LV") == "/dev/VG/LV"
        g.mkfs("ext4", "/dev/VG/LV")
        g.mount("/dev/VG/LV", "/")
        g.write("/f", b"on lvm")
        # /proc/mounts says /dev/mapper/VG-LV; the original reports this.
        assert g.mounts() == ["/dev/VG/LV"]
        g.umount_all()
        g.lvresize("/dev/VG/LV", 40)
        assert g.lvs_full()[0]["lv_size"] == 40 * MiB
        assert g.list_dm_devices() == []

        # LUKS on sdb; the key never reaches a command line.
        g.luks_format("/dev/sdb", "secret key", 0)
        expect_error(g, g.cryptsetup_open, "/dev/sdb", "wrong", "c", errno=errno.EPERM)
        g.cryptsetup_open("/dev/sdb", "secret key", "c")
        assert g.list_dm_devices() == ["/dev/mapper/c"]
        g.mkfs("ext4", "/dev/mapper/c")
        g.mount("/dev/mapper/c", "/")
        g.write("/f", b"encrypted")
        assert g.mounts() == ["/dev/mapper/c"]
        g.umount_all()
        g.luks_add_key("/dev/sdb", "secret key", "second key", 1)
        g.cryptsetup_close("/dev/mapper/c")
        expect_error(g, g.cryptsetup_close, "/dev/sdb", errno=errno.EINVAL)
        g.cryptsetup_open("/dev/sdb", "second key", "c2", readonly=True)
        g.mount_ro("/dev/mapper/c2", "/")
        assert read(g, "/f") == b"encrypted"
        g.umount_all()
        g.cryptsetup_close("/dev/mapper/c2")
        assert len(g.luks_uuid("/dev/sdb")) == 36

        # RAID 1 on sdc + sdd, reported by the guest's names.
        g.md_create("r1", ["/dev/sdc", "/dev/sdd"], level="raid1")
        assert g.list_md_devices() == ["/dev/md127"]
        stat = sorted((s["mdstat_device"], s["mdstat_index"]) for s in g.md_stat("/dev/md/r1"))
        assert stat == [("/dev/sdc", 0), ("/dev/sdd", 1)], stat
        detail = g.md_detail("/dev/md127")
        assert detail["level"] == "raid1" and detail["devname"] == "r1", detail
        assert detail["device_dev_sdc_dev"] == "/dev/sdc", detail
        g.md_stop("/dev/md127")
        assert g.list_md_devices() == []

        # No Windows dynamic disks here.
        if g.feature_available(["ldm"]):
            assert g.ldmtool_scan() == []
            assert g.list_ldm_volumes() == []
            assert g.list_ldm_partitions() == []

        g.lvm_remove_all()
        assert g.lvs() == [] and g.pvs() == []


@test
def test_spares_and_filter():
    with handle(disks=[40, 40, 40, 40, 40]) as g:
        # RAID 1 of two devices and a spare (nrdevices defaults to 2).
        g.md_create("r", ["/dev/sda", "/dev/sdb", "/dev/sdc"], spare=1)
        flags = {s["mdstat_device"]: s["mdstat_flags"] for s in g.md_stat("/dev/md/r")}
        assert flags == {"/dev/sda": "", "/dev/sdb": "", "/dev/sdc": "S"}, flags
        assert g.md_detail("/dev/md/r")["devices"] == "2"
        g.md_stop("/dev/md/r")
        expect_error(g, g.md_create, "x", ["/dev/sda"], missingbitmap=4, nrdevices=2,
                     errno=errno.EINVAL)

        # The filter hides a physical volume; clearing it shows it again.
        for d in ("/dev/sdd", "/dev/sde"):
            g.pvcreate(d)
        g.vgcreate("VGA", ["/dev/sdd"])
        g.vgcreate("VGB", ["/dev/sde"])
        g.lvcreate("L", "VGA", 8)
        g.lvm_set_filter(["/dev/sde"])
        assert g.pvs() == ["/dev/sde"]
        assert g.vgs() == ["VGB"]
        g.lvm_clear_filter()
        assert g.pvs() == ["/dev/sdd", "/dev/sde"]
        assert g.lvs() == ["/dev/VGA/L"]
        g.vg_activate_all(True)
        g.mkfs("ext4", "/dev/VGA/L")


LVM_FSTAB = (b"/dev/mapper/VG-Root / ext4 errors=remount-ro 0 1\n"
             b"LABEL=BOOT /boot ext4 defaults 0 2\n"
             b"/dev/VG/Home /home ext4 defaults 0 2\n"
             b"/dev/mapper/VG-Swap none swap sw 0 0\n"
             b"/dev/mapper/cryptswap1 none swap sw 0 0\n")


def make_lvm_guest(g):
    """A Debian guest whose root is a logical volume, as the installer's
    LVM layout makes it, on /dev/sda of the launched handle g."""
    g.part_init("/dev/sda", "mbr")
    g.part_add("/dev/sda", "p", 2048, 32 * 2048 - 1)
    g.part_add("/dev/sda", "p", 32 * 2048, -2048)
    g.mkfs("ext4", "/dev/sda1", label="BOOT")
    g.pvcreate("/dev/sda2")
    g.vgcreate("VG", ["/dev/sda2"])
    # Created out of name order: the original lists them sorted.
    g.lvcreate("Swap", "VG", 8)
    g.lvcreate("Root", "VG", 32)
    g.lvcreate_free("Home", "VG", 100)
    g.mkswap("/dev/VG/Swap")
    for lv in ("Root", "Home"):
        g.mkfs("ext4", f"/dev/VG/{lv}")
    g.mount("/dev/VG/Root", "/")
    for d in ("/etc", "/boot", "/home", "/bin", "/var/lib/dpkg"):
        g.mkdir_p(d)
    g.write("/etc/os-release", b'NAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n'
                               b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n')
    g.write("/etc/debian_version", b"12.5\n")
    g.write("/etc/hostname", b"lvmguest\n")
    g.write("/etc/fstab", LVM_FSTAB)
    g.write("/var/lib/dpkg/status", b"Package: hello\nStatus: install ok installed\n"
                                    b"Architecture: amd64\nVersion: 2.10-3\n"
                                    b"Description: hello\n\n")
    g.upload("/bin/ls", "/bin/ls")
    g.umount_all()


@test
def test_lvm_rooted_guest():
    """inspect_os returns /dev/VG/Root; every spelling of it names the same
    root, and the unchanged tools inspect the guest (issue 11)."""
    import subprocess
    with gdtest.tmpdir() as d:
        img = os.path.join(d, "lvm.img")
        with open(img, "wb") as f:
            f.truncate(140 * MiB)
        with handle(images=[img]) as g:
            make_lvm_guest(g)
            roots = g.inspect_os()
            assert roots == ["/dev/VG/Root"], roots
            dm = g.lvm_canonical_lv_name("/dev/mapper/VG-Root")
            for r in ("/dev/VG/Root", "/dev/mapper/VG-Root", dm):
                assert g.inspect_get_distro(r) == "debian", r
                assert g.inspect_get_product_name(r) == "12.5", r
            assert (g.inspect_get_major_version(dm), g.inspect_get_minor_version(dm)) == (12, 5)
            assert g.inspect_get_mountpoints("/dev/mapper/VG-Root") == {
                "/": "/dev/VG/Root", "/boot": "/dev/sda1", "/home": "/dev/VG/Home"}
            fs = g.inspect_get_filesystems("/dev/VG/Root")
            assert sorted(fs) == sorted(["/dev/VG/Root", "/dev/sda1", "/dev/VG/Home",
                                         "/dev/VG/Swap", "/dev/mapper/cryptswap1"]), fs
            assert g.lvs() == ["/dev/VG/Home", "/dev/VG/Root", "/dev/VG/Swap"]
            expect_error(g, g.inspect_get_distro, "/dev/VG/Home", errno=errno.EINVAL)
        # The unchanged virt-inspector (one more boot; virt-cat, virt-ls and
        # guestfish -i were checked by hand: tests/inspection/README.md).
        env = dict(os.environ, LANG="C.UTF-8")
        r = subprocess.run(["virt-inspector", "--format=raw", "-a", img], env=env,
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        for want in ("<root>/dev/VG/Root</root>", "<hostname>lvmguest</hostname>",
                     '<mountpoint dev="/dev/VG/Home">/home</mountpoint>',
                     '<filesystem dev="/dev/mapper/cryptswap1"/>', "<name>hello</name>"):
            assert want in r.stdout, (want, r.stdout)


gdtest.main()
