#!/usr/bin/python3
"""Synthetic guests for inspection, built from nothing but host tools.

    guests.py OUTDIR [NAME...]

writes OUTDIR/NAME.img for each guest (all by default) and prints their
names.  Every UUID, label, disk id and time is fixed, so two builds give
images whose inspection output is the same (the images themselves may
differ in a few bytes mke2fs leaves random).  No upstream test data is
used, except the empty registry hive tests/data/files/minimal that the
Windows guest's hives are merged into.

Guests:
  debian   MBR, /boot by PARTUUID=, / by UUID=, swap by LABEL=, an
           unresolvable UUID=, a swap-only /dev/mapper entry, nfs, tmpfs
           and cdrom lines; dpkg status
  ubuntu   one partition, lsb-release + os-release, a cryptswap swap line
  fedora   GPT with an EFI partition, /boot and /; a real rpm database made
           by rpm (two packages built by rpmbuild, one imported key)
  arch     one partition, a comment-only fstab; a pacman local database
  alpine   a filesystem on the whole disk; the apk installed database
  coreos   GPT, no fstab, os-release on a USR-A partition
  windows  MBR, registry hives merged with hivexregedit
  fedora-btrfs  / and /home on subvolumes of one btrfs (subvol= options),
           /boot on ext4; an rpm database
"""

import os
import shutil
import subprocess
import sys
import tempfile

MiB = 1024 * 1024
SRCDIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MINIMAL_HIVE = os.path.join(SRCDIR, "tests", "data", "files", "minimal")
sys.path.insert(0, os.path.join(SRCDIR, "tests", "client"))
import fsimages  # noqa: E402  (tests/client: the shared image builders)

KEY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "gdtest-key.asc")

TIME = 1700000000  # 2023-11-14 22:13:20 UTC, every file's time
ENV = dict(os.environ, E2FSPROGS_FAKE_TIME=str(TIME), SOURCE_DATE_EPOCH=str(TIME), TZ="UTC",
           LC_ALL="C")


def run(*args, **kw):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, env=ENV, **kw)


# ---- files ------------------------------------------------------------------------

def put(root, rel, data="", mode=0o644):
    path = os.path.join(root, rel.lstrip("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
    os.chmod(path, mode)


def link(root, rel, target):
    path = os.path.join(root, rel.lstrip("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    os.symlink(target, path)


def mkdirs(root, *rels):
    for rel in rels:
        os.makedirs(os.path.join(root, rel.lstrip("/")), exist_ok=True)


def elf(root, rel):
    """A small x86_64 ELF binary (the host's true, so its architecture is
    known); inspection reads only its header."""
    path = os.path.join(root, rel.lstrip("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    shutil.copy("/bin/true", path)
    os.chmod(path, 0o755)


def fix_times(tree):
    for dirpath, dirnames, filenames in os.walk(tree, topdown=False):
        for n in filenames + dirnames:
            os.utime(os.path.join(dirpath, n), (TIME, TIME), follow_symlinks=False)
    os.utime(tree, (TIME, TIME))


# ---- filesystems ------------------------------------------------------------------

def tree_image(path, size_mib, populate, mkfs):
    with open(path, "wb") as f:
        f.truncate(size_mib * MiB)
    tree = tempfile.mkdtemp(prefix="gdinspect-tree.")
    try:
        if populate:
            populate(tree)
        fix_times(tree)
        mkfs(tree, path)
    finally:
        shutil.rmtree(tree, ignore_errors=True)
    return path


def ext4(path, size_mib, populate=None, uuid=None, label=None):
    def mkfs(tree, img):
        cmd = ["mke2fs", "-q", "-F", "-t", "ext4", "-d", tree, "-E",
               f"hash_seed={uuid or '11111111-2222-3333-4444-555555555555'}"]
        cmd += ["-U", uuid] if uuid else []
        cmd += ["-L", label] if label else []
        run(*cmd, img)
    return tree_image(path, size_mib, populate, mkfs)


def vfat(path, size_mib, volid, label):
    with open(path, "wb") as f:
        f.truncate(size_mib * MiB)
    run("mkfs.vfat", "-i", volid, "-n", label, path)
    return path


def swap(path, size_mib, uuid, label):
    with open(path, "wb") as f:
        f.truncate(size_mib * MiB)
    os.chmod(path, 0o600)
    run("mkswap", "-U", uuid, "-L", label, path, stderr=subprocess.DEVNULL)
    return path


def disk(path, parts, label="dos", label_id=None):
    """parts: (image or None, size MiB, sfdisk type[, extra sfdisk fields]),
    the first at 1 MiB, each next one after the previous one; the part
    images are removed once copied in."""
    fsimages.partitioned_disk(path, parts, label, label_id)
    for p in parts:
        if p[0] is not None:
            os.unlink(p[0])
    return path


# ---- guests -------------------------------------------------------------------------

def os_release(root, text, path="etc/os-release"):
    put(root, path, text)


DPKG = """\
Package: base-files
Status: install ok installed
Priority: required
Essential: yes
Architecture: amd64
Version: 12.4+deb12u5
Description: Debian base system miscellaneous files

Package: hello
Status: install ok installed
Architecture: amd64
Source: hello (2.10-3)
Version: 2.10-3
Maintainer: Nobody <nobody@example.org>
Description: example package based on GNU hello
 A long description.

Package: gone
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0-1
Description: removed, configuration kept

Package: libexample1
Status: install ok installed
Architecture: amd64
Multi-Arch: same
Version: 1:0.5-1
Description: a library

"""


def debian(d):
    root_uuid = "0a1b2c3d-4e5f-4061-8293-a4b5c6d7e8f9"

    def tree(r):
        os_release(r, 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\n'
                      'VERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\n'
                      'ID=debian\nHOME_URL="https://www.debian.org/"\n')
        put(r, "etc/debian_version", "12.5\n")
        put(r, "etc/hostname", "debian-guest\n")
        put(r, "etc/fstab",
            "# /etc/fstab: static file system information.\n"
            "#\n# <file system> <mount point>   <type>  <options>       <dump>  <pass>\n"
            f"UUID={root_uuid} /               ext4    errors=remount-ro 0       1\n"
            "PARTUUID=5eed0001-01  /boot  ext4  defaults  0  2\n"
            "LABEL=DEBSWAP none swap sw 0 0\n"
            "/dev/mapper/cryptswap1 none swap sw 0 0\n"
            "proc /proc proc defaults 0 0\n"
            "tmpfs /tmp tmpfs defaults 0 0\n"
            "/dev/sr0 /media/cdrom0 udf,iso9660 user,noauto 0 0\n"
            "UUID=00000000-dead-beef-0000-000000000000 /gone ext4 defaults 0 2\n"
            "server:/export /net nfs defaults 0 0\n")
        elf(r, "bin/ls")
        elf(r, "bin/bash")
        put(r, "var/lib/dpkg/status", DPKG)
        put(r, "var/log/syslog", "Nov 14 22:13:20 debian-guest kernel: hello\n")
        mkdirs(r, "boot", "tmp", "proc", "home", "media/cdrom0")

    boot = ext4(os.path.join(d, "boot.fs"), 16,
                lambda r: put(r, "grub/grub.cfg", "# grub\n"),
                uuid="b0075eed-0000-4000-8000-000000000001", label="BOOT")
    root = ext4(os.path.join(d, "root.fs"), 24, tree, uuid=root_uuid)
    sw = swap(os.path.join(d, "swap.fs"), 8, "5a5a5a5a-0000-4000-8000-000000000002", "DEBSWAP")
    return disk(os.path.join(d, "debian.img"),
                [(boot, 16, "83"), (root, 24, "83"), (sw, 8, "82")], label_id="0x5eed0001")


def ubuntu(d):
    def tree(r):
        os_release(r, 'PRETTY_NAME="Ubuntu 22.04.3 LTS"\nNAME="Ubuntu"\nVERSION_ID="22.04"\n'
                      'VERSION="22.04.3 LTS (Jammy Jellyfish)"\nID=ubuntu\nID_LIKE=debian\n')
        put(r, "etc/lsb-release", "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\n"
                                  "DISTRIB_CODENAME=jammy\n"
                                  'DISTRIB_DESCRIPTION="Ubuntu 22.04.3 LTS"\n')
        put(r, "etc/debian_version", "bookworm/sid\n")
        put(r, "etc/hostname", "ubuntu-guest\n")
        put(r, "etc/fstab",
            "/dev/sda1 / ext4 errors=remount-ro 0 1\n"
            "/dev/mapper/cryptswap1 none swap sw 0 0\n"
            "/dev/vdb1 /srv ext4 defaults 0 2\n")
        put(r, "etc/crypttab", "cryptswap1 /dev/sda2 /dev/urandom swap,cipher=aes-xts-plain64\n")
        elf(r, "usr/bin/bash")
        link(r, "bin", "usr/bin")
        put(r, "var/lib/dpkg/status", DPKG.split("\n\n")[1] + "\n\n")

    root = ext4(os.path.join(d, "root.fs"), 24, tree, uuid="0b0b0b0b-1111-4222-8333-444455556666")
    return disk(os.path.join(d, "ubuntu.img"), [(root, 24, "83"), (None, 4, "82")],
                label_id="0x0b0b0b0b")


RPM_SPEC = """\
Name: {name}
Version: {version}
Release: {release}
{epoch}Summary: {summary}
License: MIT
URL: https://example.org/{name}
Vendor: libguestfsd tests
Packager: Nobody <nobody@example.org>
BuildArch: {arch}
%description
{summary}, in a test database only.
%files
"""

RPMS = [
    dict(name="gdtest-hello", version="1.2.3", release="4.fc38", epoch="Epoch: 2\n",
         summary="A test package", arch="noarch"),
    dict(name="bash", version="5.2.15", release="3.fc38", epoch="",
         summary="The GNU Bourne Again shell", arch="x86_64"),
]


def rpm_database(root, d):
    top = os.path.join(d, "rpmtop")
    pkgs = []
    for p in RPMS:
        spec = os.path.join(d, p["name"] + ".spec")
        with open(spec, "w") as f:
            f.write(RPM_SPEC.format(**p))
        run("rpmbuild", "-bb", "--quiet", "--define", f"_topdir {top}",
            "--define", f"_buildhost build.example.org", "--define",
            "use_source_date_epoch_as_buildtime 1", "--define", "_binary_payload w9.gzdio",
            "--target", p["arch"], spec, stderr=subprocess.DEVNULL)
        pkgs.append(os.path.join(top, "RPMS", p["arch"],
                                 f"{p['name']}-{p['version']}-{p['release']}.{p['arch']}.rpm"))
    db = ["--root", root, "--dbpath", "/var/lib/rpm", "--define", "_db_backend sqlite"]
    run("rpm", *db, "--initdb")
    run("rpm", *db, "-i", "--justdb", "--nodeps", "--noscripts", "--nosignature",
        "--ignorearch", "--ignoreos", *pkgs, stderr=subprocess.DEVNULL)
    run("rpm", *db, "--import", KEY)
    # rpm leaves rpmdb.sqlite-shm and -wal in place, as in real Fedora
    # images; without them SQLite cannot read the (WAL-mode) database from
    # a read-only filesystem, and the original daemon fails.
    os.unlink(os.path.join(root, "var", "lib", "rpm", ".rpm.lock"))


def fedora(d):
    root_uuid = "f3d0f3d0-0000-4000-8000-0000000000f3"

    def tree(r):
        os_release(r, 'NAME="Fedora Linux"\nVERSION="38 (Server Edition)"\nID=fedora\n'
                      'VERSION_ID=38\nPRETTY_NAME="Fedora Linux 38 (Server Edition)"\n'
                      'VARIANT="Server Edition"\nVARIANT_ID=server\n', "usr/lib/os-release")
        link(r, "etc/os-release", "../usr/lib/os-release")
        put(r, "etc/redhat-release", "Fedora release 38 (Thirty Eight)\n")
        link(r, "etc/system-release", "redhat-release")
        put(r, "etc/fstab",
            f"UUID={root_uuid} / ext4 defaults 1 1\n"
            "UUID=b00df3d0-0000-4000-8000-0000000000b0 /boot ext4 defaults 1 2\n"
            "UUID=F3D0-0EF1 /boot/efi vfat umask=0077,shortname=winnt 0 2\n")
        put(r, "etc/hostname", "fedora.example.org\n")
        elf(r, "usr/bin/bash")
        elf(r, "usr/bin/ls")
        link(r, "bin", "usr/bin")
        mkdirs(r, "boot", "var/log/journal")
        rpm_database(r, d)

    efi = vfat(os.path.join(d, "efi.fs"), 8, "F3D00EF1", "EFI")
    boot = ext4(os.path.join(d, "boot.fs"), 16, lambda r: mkdirs(r, "efi", "loader"),
                uuid="b00df3d0-0000-4000-8000-0000000000b0")
    root = ext4(os.path.join(d, "root.fs"), 32, tree, uuid=root_uuid)
    return disk(os.path.join(d, "fedora.img"),
                [(efi, 8, "C12A7328-F81F-11D2-BA4B-00A0C93EC93B",
                  "uuid=f3d00000-0000-4000-8000-000000000001, name=\"EFI System Partition\""),
                 (boot, 16, "0FC63DAF-8483-4772-8E79-3D69D8477DE4",
                  "uuid=f3d00000-0000-4000-8000-000000000002"),
                 (root, 32, "0FC63DAF-8483-4772-8E79-3D69D8477DE4",
                  "uuid=f3d00000-0000-4000-8000-000000000003")],
                label="gpt", label_id="F3D00000-0000-4000-8000-000000000000")


def pacman_pkg(r, name, version, desc, arch="x86_64", url=""):
    put(r, f"var/lib/pacman/local/{name}-{version}/desc",
        f"%NAME%\n{name}\n\n%VERSION%\n{version}\n\n%BASE%\n{name}\n\n%DESC%\n{desc}\n\n"
        f"%URL%\n{url}\n\n%ARCH%\n{arch}\n\n%BUILDDATE%\n{TIME}\n\n%INSTALLDATE%\n{TIME}\n\n"
        "%PACKAGER%\nNobody <nobody@example.org>\n\n%SIZE%\n1024\n\n%LICENSE%\nGPL\n\n"
        "%VALIDATION%\npgp\n\n")
    put(r, f"var/lib/pacman/local/{name}-{version}/files", "%FILES%\n\n")


def arch(d):
    def tree(r):
        os_release(r, 'NAME="Arch Linux"\nPRETTY_NAME="Arch Linux"\nID=arch\nBUILD_ID=rolling\n'
                      'ANSI_COLOR="38;2;23;147;209"\nHOME_URL="https://archlinux.org/"\n',
                   "usr/lib/os-release")
        link(r, "etc/os-release", "../usr/lib/os-release")
        put(r, "etc/arch-release", "")
        put(r, "etc/fstab", "# Static information about the filesystems.\n"
                            "# See fstab(5) for details.\n\n"
                            "# <file system> <dir> <type> <options> <dump> <pass>\n")
        put(r, "etc/hostname", "archguest\n")
        elf(r, "usr/bin/bash")
        link(r, "bin", "usr/bin")
        put(r, "var/lib/pacman/local/ALPM_DB_VERSION", "9\n")
        pacman_pkg(r, "bash", "5.2.021-1", "The GNU Bourne Again shell",
                   url="https://www.gnu.org/software/bash/bash.html")
        pacman_pkg(r, "filesystem", "2023.09.18-1", "Base Arch Linux files", arch="any")
        pacman_pkg(r, "linux", "1:6.6.1.arch1-1", "The Linux kernel and modules")

    root = ext4(os.path.join(d, "root.fs"), 24, tree, uuid="a7c4a7c4-0000-4000-8000-0000000000a7")
    return disk(os.path.join(d, "arch.img"), [(root, 24, "83")], label_id="0x0a7c4a7c")


APK = """\
C:Q1abcdefghijklmnopqrstuvwxyz0=
P:musl
V:1.2.4-r2
A:x86_64
S:383152
I:622592
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Nobody <nobody@example.org>
t:1700000000
c:1234567890abcdef

C:Q1bbcdefghijklmnopqrstuvwxyz0=
P:busybox
V:1.36.1-r15
A:x86_64
S:500000
I:900000
T:Size optimized toolbox of many common UNIX utilities
U:https://busybox.net/
L:GPL-2.0-only
o:busybox
m:Nobody <nobody@example.org>
t:1700000000
c:abcdef1234567890

"""


def alpine(d):
    def tree(r):
        os_release(r, 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.18.4\n'
                      'PRETTY_NAME="Alpine Linux v3.18"\nHOME_URL="https://alpinelinux.org/"\n')
        put(r, "etc/alpine-release", "3.18.4\n")
        put(r, "etc/hostname", "alpine\n")
        put(r, "etc/fstab", "/dev/sda / ext4 rw,relatime 0 1\n"
                            "UUID=00000000-0000-4000-8000-00000000dead /data ext4 rw 0 2\n"
                            "/dev/cdrom /media/cdrom iso9660 noauto,ro 0 0\n")
        elf(r, "bin/busybox")
        link(r, "bin/sh", "busybox")
        put(r, "lib/apk/db/installed", APK)

    return ext4(os.path.join(d, "alpine.img"), 24, tree,
                uuid="a1914e00-0000-4000-8000-0000000000a1")


def coreos(d):
    def usr(r):
        os_release(r, 'NAME=CoreOS\nID=coreos\nVERSION=899.13.0\nVERSION_ID=899.13.0\n'
                      'BUILD_ID=2016-03-23-0120\nPRETTY_NAME="CoreOS 899.13.0"\n'
                      'ANSI_COLOR="1;32"\nHOME_URL="https://coreos.com/"\n', "lib/os-release")
        put(r, "share/coreos/lsb-release",
            "DISTRIB_ID=CoreOS\nDISTRIB_RELEASE=899.13.0\nDISTRIB_CODENAME=\"Coeur Rouge\"\n"
            "DISTRIB_DESCRIPTION=\"CoreOS 899.13.0 (Coeur Rouge)\"\n")
        elf(r, "bin/bash")
        elf(r, "bin/ls")
        mkdirs(r, "lib64")

    def root(r):
        mkdirs(r, "usr", "home", "root", "var/log")
        link(r, "etc/os-release", "../usr/lib/os-release")
        link(r, "etc/lsb-release", "../usr/share/coreos/lsb-release")
        put(r, "etc/coreos/update.conf", "GROUP=stable\n")
        put(r, "etc/hostname", "coreos\n")
        put(r, "etc/machine-id", "0123456789abcdef0123456789abcdef\n")

    efi = vfat(os.path.join(d, "efi.fs"), 8, "C0DE0EF1", "EFI-SYSTEM")
    usr_fs = ext4(os.path.join(d, "usr.fs"), 16, usr, uuid="c0de0000-0000-4000-8000-000000000003",
                  label="USR-A")
    root_fs = ext4(os.path.join(d, "root.fs"), 16, root,
                   uuid="c0de0000-0000-4000-8000-000000000009", label="ROOT")
    linux = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"
    return disk(os.path.join(d, "coreos.img"),
                [(efi, 8, "C12A7328-F81F-11D2-BA4B-00A0C93EC93B",
                  'uuid=c0de0000-0000-4000-8000-000000000001, name="EFI-SYSTEM"'),
                 (None, 2, "21686148-6449-6E6F-744E-656564454649",
                  'uuid=c0de0000-0000-4000-8000-000000000002, name="BIOS-BOOT"'),
                 (usr_fs, 16, "5DFBF5F4-2848-4BAC-AA5E-0D9A20B745A6",
                  'uuid=c0de0000-0000-4000-8000-000000000003, name="USR-A"'),
                 (None, 4, "5DFBF5F4-2848-4BAC-AA5E-0D9A20B745A6",
                  'uuid=c0de0000-0000-4000-8000-000000000004, name="USR-B"'),
                 (root_fs, 16, linux, 'uuid=c0de0000-0000-4000-8000-000000000009, name="ROOT"')],
                label="gpt", label_id="C0DE0000-0000-4000-8000-000000000000")


def reg_hive(path, prefix, text):
    shutil.copy(MINIMAL_HIVE, path)
    os.chmod(path, 0o644)
    reg = path + ".reg"
    with open(reg, "w") as f:
        f.write("Windows Registry Editor Version 5.00\n\n" + text)
    run("hivexregedit", "--merge", path, "--prefix", prefix, reg)
    os.unlink(reg)


def fake_pe(machine):
    """The headers of a PE32+ console program, enough for file(1) (which
    the original's file_architecture asks) to say "PE32+ ... x86-64"."""
    h = bytearray(1024)
    h[0:2] = b"MZ"
    h[0x3c:0x40] = (0x80).to_bytes(4, "little")
    h[0x80:0x84] = b"PE\0\0"
    h[0x84:0x86] = machine.to_bytes(2, "little")   # COFF: Machine
    h[0x86:0x88] = (1).to_bytes(2, "little")       # NumberOfSections
    h[0x94:0x96] = (0xF0).to_bytes(2, "little")    # SizeOfOptionalHeader
    h[0x96:0x98] = (0x22).to_bytes(2, "little")    # executable, large address aware
    h[0x98:0x9a] = (0x20B).to_bytes(2, "little")   # PE32+
    h[0x98 + 68:0x98 + 70] = (3).to_bytes(2, "little")  # console subsystem
    return bytes(h)


def windows(d):
    sig = 0x57A57A00
    def mbr(offset):
        b = sig.to_bytes(4, "little") + offset.to_bytes(8, "little")
        return ",".join(f"{x:02x}" for x in b)
    sw = os.path.join(d, "software")
    cv = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion"
    un = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall"
    reg_hive(sw, "HKEY_LOCAL_MACHINE\\SOFTWARE",
             "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft]\n\n"
             "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT]\n\n"
             f"[{cv}]\n"
             '"ProductName"="Windows Server 2019 Standard"\n"CurrentVersion"="6.3"\n'
             '"CurrentMajorVersionNumber"=dword:0000000a\n'
             '"CurrentMinorVersionNumber"=dword:00000000\n"InstallationType"="Server"\n'
             '"CurrentBuildNumber"="17763"\n\n'
             "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows]\n\n"
             "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion]\n\n"
             f"[{un}]\n\n"
             f"[{un}\\Notepad++]\n"
             '"DisplayName"="Notepad++ (64-bit x64)"\n"DisplayVersion"="8.5.8"\n'
             '"Publisher"="Notepad++ Team"\n"InstallLocation"="C:\\\\Program Files\\\\Notepad++"\n'
             '"URLInfoAbout"="https://notepad-plus-plus.org/"\n\n')
    sy = os.path.join(d, "system")
    keys = ["ControlSet001", "ControlSet001\\Control", "ControlSet001\\Control\\ComputerName",
            "ControlSet001\\Control\\ComputerName\\ComputerName"]
    text = "[HKEY_LOCAL_MACHINE\\SYSTEM\\Select]\n\"Current\"=dword:00000001\n\n"
    text += "".join(f"[HKEY_LOCAL_MACHINE\\SYSTEM\\{k}]\n\n" for k in keys[:-1])
    text += f"[HKEY_LOCAL_MACHINE\\SYSTEM\\{keys[-1]}]\n\"ComputerName\"=\"WIN-SYNTH\"\n\n"
    text += "[HKEY_LOCAL_MACHINE\\SYSTEM\\MountedDevices]\n"
    text += f'"\\\\DosDevices\\\\C:"=hex:{mbr(1 * MiB)}\n'
    text += f'"\\\\DosDevices\\\\D:"=hex:{mbr(41 * MiB)}\n\n'
    reg_hive(sy, "HKEY_LOCAL_MACHINE\\SYSTEM", text)

    def tree(r):
        cfg = os.path.join(r, "Windows", "System32", "config")
        os.makedirs(cfg)
        shutil.copy(sw, os.path.join(cfg, "SOFTWARE"))
        shutil.copy(sy, os.path.join(cfg, "SYSTEM"))
        put(r, "Windows/System32/cmd.exe", fake_pe(0x8664))
        put(r, "Program Files/Notepad++/readme.txt", "x\n")
        put(r, "ProgramData/x", "")

    c = ext4(os.path.join(d, "c.fs"), 40, tree, uuid="57a57a00-0000-4000-8000-00000000000c")
    data = ext4(os.path.join(d, "d.fs"), 8, lambda r: put(r, "data.txt", "d\n"),
                uuid="57a57a00-0000-4000-8000-00000000000d")
    os.unlink(sw)
    os.unlink(sy)
    return disk(os.path.join(d, "windows.img"), [(c, 40, "7"), (data, 8, "7")],
                label_id=hex(sig))


def btrfs(path, size_mib, uuid, subvols, populate):
    """A btrfs filesystem whose subvolumes (by name) hold the trees
    populate(name, tree) makes; built in a private mount namespace."""
    with open(path, "wb") as f:
        f.truncate(size_mib * MiB)
    run("mkfs.btrfs", "-q", "-f", "-U", uuid, path)
    trees = tempfile.mkdtemp(prefix="gdinspect-btrfs.")
    try:
        script = ["set -e", f"mount -o loop {path} {trees}/mnt"]
        os.mkdir(os.path.join(trees, "mnt"))
        for name in subvols:
            tree = os.path.join(trees, name)
            os.mkdir(tree)
            populate(name, tree)
            fix_times(tree)
            script += [f"btrfs -q subvolume create {trees}/mnt/{name}",
                       f"cp -a {tree}/. {trees}/mnt/{name}/",
                       f"touch -h -d @{TIME} {trees}/mnt/{name}"]
        script += [f"umount {trees}/mnt"]
        run("unshare", "-m", "sh", "-c", "\n".join(script))
    finally:
        shutil.rmtree(trees, ignore_errors=True)
    return path


def fedora_btrfs(d):
    fs_uuid = "b7f5b7f5-0000-4000-8000-0000000000b7"

    def populate(name, r):
        if name == "home":
            put(r, "user/.bashrc", "# bashrc\n")
            return
        os_release(r, 'NAME="Fedora Linux"\nVERSION="39 (Workstation Edition)"\nID=fedora\n'
                      'VERSION_ID=39\nPRETTY_NAME="Fedora Linux 39 (Workstation Edition)"\n'
                      'VARIANT_ID=workstation\n', "usr/lib/os-release")
        link(r, "etc/os-release", "../usr/lib/os-release")
        put(r, "etc/fstab",
            f"UUID={fs_uuid} / btrfs subvol=root,compress=zstd:1 0 0\n"
            "UUID=b00db7f5-0000-4000-8000-0000000000b0 /boot ext4 defaults 1 2\n"
            f"UUID={fs_uuid} /home btrfs subvol=home,compress=zstd:1 0 0\n")
        put(r, "etc/hostname", "fedora-btrfs\n")
        elf(r, "usr/bin/bash")
        link(r, "bin", "usr/bin")
        mkdirs(r, "boot", "home")
        rpm_database(r, d)

    boot = ext4(os.path.join(d, "boot.fs"), 16, lambda r: mkdirs(r, "loader"),
                uuid="b00db7f5-0000-4000-8000-0000000000b0")
    fs = btrfs(os.path.join(d, "btrfs.fs"), 128, fs_uuid, ["root", "home"], populate)
    return disk(os.path.join(d, "fedora-btrfs.img"), [(boot, 16, "83"), (fs, 128, "83")],
                label_id="0x0b7f5b7f")


GUESTS = {"debian": debian, "ubuntu": ubuntu, "fedora": fedora, "arch": arch, "alpine": alpine,
          "coreos": coreos, "windows": windows, "fedora-btrfs": fedora_btrfs}


def need(name):
    """Why a guest cannot be built here, or None."""
    progs = {"fedora": ["rpm", "rpmbuild"], "windows": ["hivexregedit"],
             "fedora-btrfs": ["rpm", "rpmbuild", "mkfs.btrfs", "btrfs", "unshare"],
             "coreos": ["mkfs.vfat"], "fedora_": ["mkfs.vfat"]}
    for p in progs.get(name, []) + ["mke2fs", "sfdisk", "mkswap"]:
        if shutil.which(p) is None:
            return f"{p} is not installed"
    return None


def build(outdir, name):
    work = tempfile.mkdtemp(prefix=f"gdinspect-{name}.", dir=outdir)
    try:
        img = GUESTS[name](work)
        final = os.path.join(outdir, name + ".img")
        os.replace(img, final)
        return final
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    for name in sys.argv[2:] or list(GUESTS):
        why = need(name)
        if why:
            print(f"{name}: skipped: {why}", file=sys.stderr)
            continue
        build(outdir, name)
        print(name)


if __name__ == "__main__":
    main()
