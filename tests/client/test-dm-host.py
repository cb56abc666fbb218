#!/usr/bin/python3
# LVM, MD, LUKS and LDM in host mode, where the kernel has no device-mapper
# or md: the optional groups are unavailable, and the procedures outside
# them answer as on a system without any such device, without touching
# the host.  (The families themselves are tested in the appliance:
# tests/appliance/.)

import errno
import os

import gdtest
from gdtest import expect_error, test


def host_has(path):
    return os.path.exists(path)


def dm_driver():
    """The kernel has device-mapper (not just a /dev/mapper/control node)."""
    with open("/proc/misc") as f:
        return any(line.split()[1:] == ["device-mapper"] for line in f)


@test
def test_groups_unavailable():
    if dm_driver() or host_has("/proc/mdstat"):
        gdtest.skip("this host has device-mapper or md")
    with gdtest.handle(disks=[16]) as g:
        for group in ("lvm2", "luks", "mdadm", "ldm"):
            assert not g.feature_available([group]), group


@test
def test_ungated_calls_without_lvm():
    if dm_driver():
        gdtest.skip("this host has device-mapper")
    with gdtest.handle(disks=[16]) as g:
        g.part_disk("/dev/sda", "mbr")
        assert not g.is_lv("/dev/sda")
        assert not g.is_lv("/dev/sda1")
        expect_error(g, g.lvm_canonical_lv_name, "/dev/sda1", errno=errno.EINVAL,
                     match="not a logical volume")
        expect_error(g, g.lvm_canonical_lv_name, "sda1", errno=errno.EINVAL,
                     match="not a device name")
        expect_error(g, g.lvm_canonical_lv_name, "/dev/no/such/lv", errno=errno.ENOENT)
        assert g.list_dm_devices() == []
        assert g.list_md_devices() == []
        # Nothing to scan, remove or clear: these succeed.
        g.lvm_scan(True)
        g.lvm_remove_all()
        g.lvm_clear_filter()
        # Those that name an LVM object cannot find one.
        expect_error(g, g.vgrename, "VG", "VG2", match="lvm2")
        expect_error(g, g.lvrename, "/dev/VG/LV", "/dev/VG/LV2", match="lvm2")
        expect_error(g, g.pvuuid, "/dev/sda1", match="lvm2")
        expect_error(g, g.vguuid, "VG", match="lvm2")
        expect_error(g, g.vglvuuids, "VG", match="lvm2")


gdtest.main()
