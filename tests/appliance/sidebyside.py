#!/usr/bin/python3
"""sidebyside: run the same call sequences in two appliances and compare.

    sidebyside.py [--only NAME,...] [--show] APPLIANCE_A [APPLIANCE_B]

Each scenario adds fresh scratch disks, launches the appliance with the
real library (direct backend), runs its calls and records for each call
the result or the error message and errno.  With two appliances (ours
and the distribution's, from `ninja appliance-original`), the records are
compared after masking what differs from run to run (UUIDs, dates) and
the differences are printed.  Exit status 1 if any scenario differs.

This is a development tool for finding where our daemon's behaviour
departs from the original's; the pass/fail tests are in smoke.py and the
.fish scripts.
"""

import json
import os
import re
import sys
import tempfile
import time

import guestfs

os.environ["LIBGUESTFS_BACKEND"] = "direct"
os.environ.setdefault("LIBGUESTFS_BACKEND_SETTINGS", "force_tcg")

import ctypes

_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.restype = ctypes.c_void_p
_capsule_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
_lib = ctypes.CDLL("libguestfs.so.0")
_lib.guestfs_last_errno.argtypes = [ctypes.c_void_p]
_lib.guestfs_last_errno.restype = ctypes.c_int


def last_errno(g):
    n = _lib.guestfs_last_errno(_capsule_pointer(g._o, b"guestfs_h"))
    import errno
    return errno.errorcode.get(n, str(n)) if n else ""


MiB = 1024 * 1024

# Scenarios: (name, disk sizes in MiB, calls).  A call is [name, args...];
# "!name" means the result is not compared (only success/failure).
LVM = [
    ["part_disk", "/dev/sda", "mbr"],
    ["pvcreate", "/dev/sda1"],
    ["pvcreate", "/dev/sdb"],
    ["pvcreate", "/dev/sdz"],
    ["pvs"],
    ["vgcreate", "VG", ["/dev/sda1", "/dev/sdb"]],
    ["vgcreate", "VG", ["/dev/sda1"]],
    ["vgs"],
    ["lvcreate", "LV1", "VG", 20],
    ["lvcreate", "LV1", "VG", 20],
    ["lvcreate", "LVbig", "VG", 100000],
    ["lvcreate", "LVx", "NOVG", 10],
    ["lvcreate_free", "LV2", "VG", 50],
    ["lvcreate_free", "LV3", "VG", 101],
    ["lvcreate_free", "LV3", "VG", 0],
    ["lvs"],
    ["list_dm_devices"],
    ["pvs_full"],
    ["vgs_full"],
    ["lvs_full"],
    ["!pvuuid", "/dev/sda1"],
    ["!vguuid", "VG"],
    ["!lvuuid", "/dev/VG/LV1"],
    ["pvuuid", "/dev/sdc"],
    ["vguuid", "NOVG"],
    ["!vgpvuuids", "VG"],
    ["!vglvuuids", "VG"],
    ["vgpvuuids", "NOVG"],
    ["lvm_canonical_lv_name", "/dev/mapper/VG-LV1"],
    ["lvm_canonical_lv_name", "/dev/VG/LV1"],
    ["lvm_canonical_lv_name", "/dev/dm-0"],
    ["lvm_canonical_lv_name", "/dev/sda1"],
    ["lvm_canonical_lv_name", "/dev/VG/NOLV"],
    ["lvm_canonical_lv_name", "VG/LV1"],
    ["is_lv", "/dev/VG/LV1"],
    ["is_lv", "/dev/mapper/VG-LV1"],
    ["is_lv", "/dev/sda1"],
    ["is_lv", "/dev/sdb"],
    ["mkfs", "ext4", "/dev/VG/LV1"],
    ["mount", "/dev/VG/LV1", "/"],
    ["touch", "/x"],
    ["mounts"],
    ["mountpoints"],
    ["list_filesystems"],
    ["list_partitions"],
    ["vfs_type", "/dev/VG/LV1"],
    ["umount_all"],
    ["lvresize", "/dev/VG/LV1", 40],
    ["lvresize", "/dev/VG/NOLV", 40],
    ["lvresize_free", "/dev/VG/LV1", 10],
    ["lvresize_free", "/dev/VG/LV1", 200],
    ["lvs_full"],
    ["lvrename", "/dev/VG/LV1", "/dev/VG/LVr"],
    ["lvrename", "/dev/VG/LVr", "/dev/VG/LV2"],
    ["lvrename", "/dev/VG/NOLV", "/dev/VG/LV9"],
    ["vgrename", "VG", "VG2"],
    ["vgrename", "NOVG", "VG3"],
    ["lvs"],
    ["!vgmeta", "VG2"],
    ["vgmeta", "NOVG"],
    ["vg_activate", False, ["VG2"]],
    ["lvs"],
    ["list_dm_devices"],
    ["vg_activate", True, ["NOVG"]],
    ["vg_activate_all", True],
    ["lvs"],
    ["pvchange_uuid", "/dev/sda1"],
    ["vgchange_uuid", "VG2"],
    ["vgchange_uuid", "NOVG"],
    ["pvchange_uuid_all"],
    ["vgchange_uuid_all"],
    ["vgscan"],
    ["lvm_scan", True],
    ["lvm_set_filter", ["/dev/sdb"]],
    ["pvs"],
    ["vgs"],
    ["lvs"],
    ["lvm_clear_filter"],
    ["pvs"],
    ["lvs"],
    ["pvresize", "/dev/sdb"],
    ["pvresize_size", "/dev/sdb", 60 * MiB],
    ["pvresize_size", "/dev/sdb", 4 * MiB],
    ["pvs_full"],
    ["lvremove", "/dev/VG2/LV2"],
    ["lvremove", "/dev/VG2/LV2"],
    ["lvs"],
    ["lvremove", "/dev/VG2"],
    ["lvs"],
    ["vgremove", "VG2"],
    ["vgremove", "VG2"],
    ["pvremove", "/dev/sdb"],
    ["pvremove", "/dev/sdc"],
    ["pvs"],
    ["pvcreate", "/dev/sdb"],
    ["vgcreate", "VGA", ["/dev/sdb"]],
    ["lvcreate", "L", "VGA", 8],
    ["lvm_remove_all"],
    ["pvs"],
    ["vgs"],
    ["lvs"],
]

MD = [
    ["md_create", "r1", ["/dev/sda", "/dev/sdb"], {"level": "raid1"}],
    ["list_md_devices"],
    ["!md_detail", "/dev/md127"],
    ["md_stat", "/dev/md127"],
    ["list_devices"],
    ["list_partitions"],
    ["pvcreate", "/dev/md127"],
    ["vgcreate", "VGM", ["/dev/md127"]],
    ["lvcreate", "LM", "VGM", 16],
    ["pvs"],
    ["lvs"],
    ["mkfs", "ext4", "/dev/VGM/LM"],
    ["list_filesystems"],
    ["vg_activate_all", False],
    ["md_stop", "/dev/md127"],
    ["list_md_devices"],
    ["md_create", "bad", ["/dev/sdc"], {"level": "raid1"}],
    ["md_create", "r5", ["/dev/sdc", "/dev/sdd"], {"level": "raid5", "missingbitmap": 4, "nrdevices": 3}],
    ["list_md_devices"],
    ["!md_detail", "/dev/md/r5"],
    ["md_stat", "/dev/md/r5"],
    ["md_stop", "/dev/md/r5"],
    ["md_create", "r0", ["/dev/sdc", "/dev/sdd"], {"level": "raid0", "chunk": 65536}],
    ["md_stat", "/dev/md/r0"],
    ["md_create", "r9", ["/dev/sdc"], {"level": "nosuchlevel"}],
    ["md_stop", "/dev/sda"],
    ["md_detail", "/dev/sda"],
    ["md_stat", "/dev/sda"],
]

LUKS = [
    ["luks_format", "/dev/sda", "key0", 0],
    ["!luks_uuid", "/dev/sda"],
    ["luks_uuid", "/dev/sdb"],
    ["luks_open", "/dev/sda", "wrong", "lukstest"],
    ["luks_open", "/dev/sda", "key0", "lukstest"],
    ["list_dm_devices"],
    ["mkfs", "ext4", "/dev/mapper/lukstest"],
    ["mount", "/dev/mapper/lukstest", "/"],
    ["touch", "/x"],
    ["mounts"],
    ["list_filesystems"],
    ["vfs_type", "/dev/mapper/lukstest"],
    ["umount_all"],
    ["luks_add_key", "/dev/sda", "key0", "key1", 1],
    ["luks_add_key", "/dev/sda", "wrong", "key2", 2],
    ["luks_add_key", "/dev/sda", "key0", "key3", 1],
    ["luks_close", "/dev/mapper/lukstest"],
    ["luks_close", "/dev/mapper/lukstest"],
    ["luks_open_ro", "/dev/sda", "key1", "ro1"],
    ["mount_ro", "/dev/mapper/ro1", "/"],
    ["is_file", "/x"],
    ["umount_all"],
    ["luks_close", "/dev/mapper/ro1"],
    ["luks_kill_slot", "/dev/sda", "key1", 0],
    ["luks_open", "/dev/sda", "key0", "l2"],
    ["cryptsetup_open", "/dev/sda", "key1", "c1", {"readonly": True}],
    ["list_dm_devices"],
    ["cryptsetup_close", "/dev/mapper/c1"],
    ["cryptsetup_open", "/dev/sda", "key1", "c2", {"crypttype": "luks"}],
    ["cryptsetup_close", "/dev/mapper/c2"],
    ["cryptsetup_open", "/dev/sda", "key1", "c3", {"crypttype": "nosuch"}],
    ["luks_format_cipher", "/dev/sdb", "kk", 3, "aes-xts-plain64"],
    ["luks_open", "/dev/sdb", "kk", "lb"],
    ["luks_close", "/dev/mapper/lb"],
    ["luks_close", "/dev/sdb"],
    ["luks_format", "/dev/sdb", "k", 99],
    ["pvcreate", "/dev/sdc"],
    ["vgcreate", "VGL", ["/dev/sdc"]],
    ["lvcreate", "LL", "VGL", 40],
    ["luks_format", "/dev/VGL/LL", "lvkey", 0],
    ["cryptsetup_open", "/dev/VGL/LL", "lvkey", "onlv"],
    ["list_dm_devices"],
    ["lvs"],
    ["mkfs", "ext4", "/dev/mapper/onlv"],
    ["list_filesystems"],
    ["cryptsetup_close", "/dev/mapper/onlv"],
]

SCENARIOS = {
    "lvm": ([200, 100, 50], LVM),
    "md": ([64, 64, 64, 64], MD),
    "luks": ([64, 64, 80], LUKS),
}

UUID_RE = re.compile(r"\b[0-9A-Za-z]{6}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-"
                     r"[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{6}\b|"
                     r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b|"
                     r"\b[0-9a-f]{8}:[0-9a-f]{8}:[0-9a-f]{8}:[0-9a-f]{8}\b")


def mask(v):
    if isinstance(v, str):
        return UUID_RE.sub("<UUID>", v)
    if isinstance(v, bytes):
        return mask(v.decode("latin-1"))
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            if k.endswith("uuid") or k in ("MD_UUID", "vg_seqno"):
                x = "<UUID>"
            out[mask(k)] = mask(x)
        return out
    if isinstance(v, (list, tuple)):
        return [mask(x) for x in v]
    return v


def run(appliance, disks, calls, verbose=False):
    os.environ["LIBGUESTFS_PATH"] = appliance
    g = guestfs.GuestFS(python_return_dict=True)
    tmp = tempfile.mkdtemp(prefix="sidebyside.")
    for i, size in enumerate(disks):
        path = os.path.join(tmp, f"d{i}.img")
        with open(path, "wb") as f:
            f.truncate(size * MiB)
        g.add_drive_opts(path, format="raw")
    t0 = time.time()
    g.launch()
    boot = time.time() - t0
    out = []
    for call in calls:
        name, args = call[0], call[1:]
        compare = not name.startswith("!")
        name = name.lstrip("!")
        kw = args[-1] if args and isinstance(args[-1], dict) else {}
        if kw:
            args = args[:-1]
        try:
            r = getattr(g, name)(*args, **kw)
            rec = {"ok": mask(r) if compare else "<not compared>"}
            shown = r
        except Exception as e:
            rec = {"error": mask(str(e)), "errno": last_errno(g)}
            shown = rec
        if verbose:
            print(f"  {name}{tuple(args)}{kw or ''} -> {shown!r}"[:2000])
        out.append((call, rec))
    g.shutdown()
    g.close()
    for f in os.listdir(tmp):
        os.unlink(os.path.join(tmp, f))
    os.rmdir(tmp)
    return boot, out


def main():
    args = sys.argv[1:]
    only = None
    show = False
    while args and args[0].startswith("--"):
        if args[0] == "--only":
            only = args[1].split(",")
            args = args[2:]
        elif args[0] == "--show":
            show = True
            args = args[1:]
        else:
            sys.exit(f"unknown option {args[0]}")
    if not 1 <= len(args) <= 2:
        sys.exit(__doc__)
    differ = 0
    for name, (disks, calls) in SCENARIOS.items():
        if only and name not in only:
            continue
        results = []
        for app in args:
            print(f"== {name} in {app}", flush=True)
            boot, out = run(app, disks, calls, verbose=show or len(args) == 1)
            print(f"   launch {boot:.1f} s")
            results.append(out)
        if len(results) == 2:
            for (call, a), (_, b) in zip(*results):
                if a != b:
                    differ += 1
                    print(f"DIFF {json.dumps(call)}\n   A: {json.dumps(a)}\n   B: {json.dumps(b)}")
    if len(args) == 2:
        print(f"{differ} differences")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
