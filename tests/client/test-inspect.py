#!/usr/bin/python3
# Operating system inspection through the real libguestfs library:
# inspect_os and every inspect_get_* call on small fake guests built here
# (Debian on partitions with /boot and swap found through fstab UUID= and
# LABEL= entries, Fedora on a whole disk with an rpm database, Ubuntu, a
# separate /usr, Windows with registry hives made by hivexregedit, DOS),
# hostile symlinks that point out of the guest, errors, and the
# user-facing tools (guestfish -i, virt-inspector).

import os
import platform
import shutil
import subprocess
import tempfile
import warnings
import xml.etree.ElementTree as ET

import fsimages
import gdtest
from gdtest import MiB, test

# An empty registry hive (libguestfs's test data) to merge keys into.
MINIMAL_HIVE = os.path.join(gdtest.SRCDIR, "tests", "data", "files", "minimal")

HOST_ARCH = {"x86_64": "x86_64", "aarch64": "aarch64", "i686": "i386"}.get(
    platform.machine(), platform.machine())

# inspect_get_format and inspect_is_*: deprecated, tested on purpose.
warnings.simplefilter("ignore", DeprecationWarning)

ROOT_UUID = "4a3c2b1d-0e5f-4a6b-9c8d-7e6f5a4b3c2d"


def run(*args, **kw):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, **kw)


# ---- building guests ---------------------------------------------------------

def put(root, rel, data=b"", mode=None):
    path = os.path.join(root, rel.lstrip("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
    if mode is not None:
        os.chmod(path, mode)


def link(root, rel, target):
    path = os.path.join(root, rel.lstrip("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    os.symlink(target, path)


def host_binary(root, rel):
    path = os.path.join(root, rel.lstrip("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    shutil.copy("/bin/ls", path)


def ext4(path, size_mib, populate=None, uuid=None, label=None):
    """An ext4 filesystem image made by mke2fs -d from a tree."""
    with open(path, "wb") as f:
        f.truncate(size_mib * MiB)
    tree = tempfile.mkdtemp(prefix="gdtest-guest.")
    try:
        if populate:
            populate(tree)
        cmd = ["mke2fs", "-q", "-F", "-t", "ext4", "-d", tree]
        if uuid:
            cmd += ["-U", uuid]
        if label:
            cmd += ["-L", label]
        run(*cmd, path)
    finally:
        shutil.rmtree(tree, ignore_errors=True)
    return path


def swap(path, size_mib, label):
    with open(path, "wb") as f:
        f.truncate(size_mib * MiB)
    os.chmod(path, 0o600)
    run("mkswap", "-L", label, path, stderr=subprocess.DEVNULL)
    return path


def disk(path, parts, label="dos", label_id=None):
    return fsimages.partitioned_disk(path, parts, label, label_id)


DPKG_STATUS = """\
Package: hello
Status: install ok installed
Priority: optional
Section: devel
Installed-Size: 100
Maintainer: Nobody <nobody@example.org>
Architecture: amd64
Version: 2.10-3
Description: example package based on GNU hello
 A long description.

Package: gdtest-tool
Status: install ok installed
Architecture: all
Version: 1:0.5-1
Description: another package

"""


def debian_tree(root):
    put(root, "etc/os-release",
        'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\n'
        'VERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n')
    put(root, "etc/debian_version", "12.5\n")
    put(root, "etc/hostname", "debian-test\n")
    put(root, "etc/fstab",
        "# /etc/fstab: static file system information.\n"
        f"UUID={ROOT_UUID} /               ext4    errors=remount-ro 0       1\n"
        "LABEL=BOOT  /boot  ext4  defaults  0  2\n"
        "LABEL=SWAP none swap sw 0 0\n"
        "proc /proc proc defaults 0 0\n"
        "tmpfs /tmp tmpfs defaults 0 0\n"
        "/dev/sr0 /media/cdrom0 udf,iso9660 user,noauto 0 0\n"
        "UUID=00000000-dead-beef-0000-000000000000 /gone ext4 defaults 0 2\n"
        "server:/export /net nfs defaults 0 0\n")
    host_binary(root, "bin/ls")
    put(root, "var/lib/dpkg/status", DPKG_STATUS)
    os.makedirs(os.path.join(root, "boot"))
    os.makedirs(os.path.join(root, "tmp"))


def make_debian(d, name="debian.img"):
    boot = ext4(os.path.join(d, "boot.fs"), 16,
                lambda r: put(r, "grub/grub.cfg", "# grub\n"), label="BOOT")
    root = ext4(os.path.join(d, "root.fs"), 24, debian_tree, uuid=ROOT_UUID)
    sw = swap(os.path.join(d, "swap.fs"), 8, "SWAP")
    path = os.path.join(d, name)
    disk(path, [(boot, 16, "83"), (root, 24, "83"), (sw, 8, "82")])
    return path


RPM_SPEC = """\
Name: gdtest-hello
Version: 1.2.3
Release: 4.fc38
Epoch: 2
Summary: A test package
License: LGPLv2+
URL: https://example.org/hello
Vendor: libguestfsd tests
BuildArch: noarch
%description
A package that exists only in a test database.
%files
"""


def rpm_database(root, d):
    """Installs (database only) a tiny package into root/var/lib/rpm."""
    top = os.path.join(d, "rpmtop")
    spec = os.path.join(d, "hello.spec")
    with open(spec, "w") as f:
        f.write(RPM_SPEC)
    run("rpmbuild", "-bb", "--quiet", "--define", f"_topdir {top}", spec,
        stderr=subprocess.DEVNULL)
    pkg = os.path.join(top, "RPMS", "noarch", "gdtest-hello-1.2.3-4.fc38.noarch.rpm")
    run("rpm", "--root", root, "--dbpath", "/var/lib/rpm", "--initdb")
    run("rpm", "--root", root, "--dbpath", "/var/lib/rpm", "-i", "--justdb", "--nodeps",
        "--noscripts", "--nosignature", pkg, stderr=subprocess.DEVNULL)
    # A cleanly shut down guest has no write-ahead log left.
    for f in ("rpmdb.sqlite-shm", "rpmdb.sqlite-wal", ".rpm.lock"):
        p = os.path.join(root, "var", "lib", "rpm", f)
        if os.path.exists(p):
            os.unlink(p)


def make_fedora(d, name="fedora.img", with_rpm=True):
    def populate(r):
        put(r, "usr/lib/os-release",
            'NAME="Fedora Linux"\nVERSION="38 (Server Edition)"\nID=fedora\nVERSION_ID=38\n'
            'PRETTY_NAME="Fedora Linux 38 (Server Edition)"\nVARIANT_ID=server\n')
        link(r, "etc/os-release", "../usr/lib/os-release")
        put(r, "etc/fstab", "/dev/sda / ext4 defaults 1 1\n")
        put(r, "etc/hostname", "fedora.example.org\n")
        host_binary(r, "usr/bin/ls")
        link(r, "bin", "usr/bin")
        if with_rpm:
            rpm_database(r, d)
    return ext4(os.path.join(d, name), 32, populate)


def have_rpm_tools():
    return gdtest.have_program("rpmbuild") and gdtest.have_program("rpm")


# ---- Linux -------------------------------------------------------------------

@test
def test_debian_on_partitions():
    with gdtest.tmpdir() as d:
        img = make_debian(d)
        with gdtest.handle(readonly_images=[img]) as g:
            assert g.inspect_get_roots() == []
            roots = g.inspect_os()
            assert roots == ["/dev/sda2"], roots
            assert g.inspect_get_roots() == roots
            r = roots[0]
            assert g.inspect_get_type(r) == "linux"
            assert g.inspect_get_distro(r) == "debian"
            assert g.inspect_get_major_version(r) == 12
            assert g.inspect_get_minor_version(r) == 5
            # os-release's VERSION_ID="12" is too vague: the original then
            # reports /etc/debian_version (checked in its appliance).
            assert g.inspect_get_product_name(r) == "12.5"
            assert g.inspect_get_product_variant(r) == "unknown"
            assert g.inspect_get_arch(r) == HOST_ARCH
            assert g.inspect_get_hostname(r) == "debian-test"
            assert g.inspect_get_package_format(r) == "deb"
            assert g.inspect_get_package_management(r) == "apt"
            assert g.inspect_get_format(r) == "installed"
            assert g.inspect_is_live(r) == 0
            assert g.inspect_is_netinst(r) == 0
            assert g.inspect_is_multipart(r) == 0
            assert g.inspect_get_drive_mappings(r) == {}
            # Unresolvable UUIDs, pseudo filesystems, the CD-ROM and NFS
            # are left out; swap is a filesystem of the guest, not a mount.
            mps = g.inspect_get_mountpoints(r)
            assert mps == {"/": "/dev/sda2", "/boot": "/dev/sda1"}, mps
            assert sorted(g.inspect_get_filesystems(r)) == ["/dev/sda1", "/dev/sda2",
                                                             "/dev/sda3"]
            assert g.inspect_get_osinfo(r) == "debian12"
            # Inspection leaves nothing mounted.
            assert g.mounts() == []
            gdtest.expect_error(g, g.inspect_get_windows_systemroot, r, match="not a Windows")
            gdtest.expect_error(g, g.inspect_get_windows_current_control_set, r)

            # The library lists Debian packages itself from dpkg's status.
            for mp in sorted(mps, key=len):
                g.mount_ro(mps[mp], mp)
            apps = {a["app2_name"]: a for a in g.inspect_list_applications2(r)}
            assert apps["hello"]["app2_version"] == "2.10"
            assert apps["gdtest-tool"]["app2_epoch"] == 1


@test
def test_workdir_under_var_tmp():
    # guestfsd-hv keeps the sysroot in $TMPDIR: under /var/tmp it must be
    # at the same path in the daemon's jail, or the daemon does not know
    # its own sysroot's mounts (inspection's mount stays, mount_ro fails).
    with gdtest.tmpdir() as d:
        img = make_debian(d)
        work = tempfile.mkdtemp(prefix="gdtest-tmpdir.", dir="/var/tmp")
        old = os.environ.get("TMPDIR")
        os.environ["TMPDIR"] = work
        try:
            with gdtest.handle(readonly_images=[img]) as g:
                assert g.inspect_os() == ["/dev/sda2"]
                assert g.mounts() == []
                g.mount_ro("/dev/sda2", "/")
                assert g.mounts() == ["/dev/sda2"]
                assert g.is_file("/etc/debian_version")
                g.umount_all()
                assert g.mounts() == []
        finally:
            if old is None:
                del os.environ["TMPDIR"]
            else:
                os.environ["TMPDIR"] = old
            shutil.rmtree(work, ignore_errors=True)


@test
def test_fedora_whole_disk_rpm():
    if not have_rpm_tools():
        gdtest.skip("rpmbuild and rpm are needed to make an rpm database (package rpm)")
    with gdtest.tmpdir() as d:
        img = make_fedora(d)
        with gdtest.handle(readonly_images=[img]) as g:
            roots = g.inspect_os()
            assert roots == ["/dev/sda"], roots
            r = roots[0]
            assert g.inspect_get_distro(r) == "fedora"
            assert (g.inspect_get_major_version(r), g.inspect_get_minor_version(r)) == (38, 0)
            assert g.inspect_get_product_name(r) == "Fedora Linux 38 (Server Edition)"
            assert g.inspect_get_package_format(r) == "rpm"
            assert g.inspect_get_package_management(r) == "dnf"
            assert g.inspect_get_hostname(r) == "fedora.example.org"
            # /bin is a symlink to usr/bin, resolved inside the guest.
            assert g.inspect_get_arch(r) == HOST_ARCH
            assert g.inspect_get_mountpoints(r) == {"/": "/dev/sda"}
            g.mount_ro("/dev/sda", "/")
            apps = g.inspect_list_applications2(r)
            assert [a["app2_name"] for a in apps] == ["gdtest-hello"], apps
            a = apps[0]
            assert a["app2_epoch"] == 2
            assert a["app2_version"] == "1.2.3"
            assert a["app2_release"] == "4.fc38"
            assert a["app2_arch"] == "noarch"
            assert a["app2_url"] == "https://example.org/hello"
            assert a["app2_summary"] == "A test package"
            assert a["app2_description"].startswith("A package that exists only")
            assert a["app2_source_package"] == "gdtest-hello"


@test
def test_rpm_applications_without_database():
    # internal_list_rpm_applications on a guest with no rpm database: an
    # empty list, not an error (the library may ask for any rpm guest).
    with gdtest.tmpdir() as d:
        img = make_fedora(d, with_rpm=False)
        with gdtest.handle(readonly_images=[img]) as g:
            r = g.inspect_os()[0]
            g.mount_ro(r, "/")
            assert g.inspect_list_applications2(r) == []


@test
def test_ubuntu_and_dual_boot():
    with gdtest.tmpdir() as d:
        def ubuntu(r):
            put(r, "etc/os-release",
                'PRETTY_NAME="Ubuntu 22.04.3 LTS"\nNAME="Ubuntu"\nVERSION_ID="22.04"\n'
                'ID=ubuntu\nID_LIKE=debian\n')
            put(r, "etc/debian_version", "bookworm/sid\n")
            put(r, "etc/fstab", "LABEL=ubuntu-root / ext4 defaults 0 1\n")
            host_binary(r, "bin/ls")
        ubuntu_img = ext4(os.path.join(d, "ubuntu.img"), 16, ubuntu, label="ubuntu-root")
        debian_img = make_debian(d)
        with gdtest.handle(readonly_images=[debian_img, ubuntu_img]) as g:
            roots = g.inspect_os()
            assert roots == ["/dev/sda2", "/dev/sdb"], roots
            assert g.inspect_get_distro("/dev/sdb") == "ubuntu"
            assert g.inspect_get_major_version("/dev/sdb") == 22
            assert g.inspect_get_minor_version("/dev/sdb") == 4
            assert g.inspect_get_product_name("/dev/sdb") == "Ubuntu 22.04.3 LTS"
            assert g.inspect_get_package_management("/dev/sdb") == "apt"
            assert g.inspect_get_hostname("/dev/sdb") == "unknown"
            assert g.inspect_get_distro("/dev/sda2") == "debian"


@test
def test_separate_usr():
    # /usr on its own partition (named /dev/vda2 in fstab): os-release,
    # the binaries and the architecture are found there.
    with gdtest.tmpdir() as d:
        def root(r):
            put(r, "etc/fstab", "/dev/vda1 / ext4 defaults 0 1\n/dev/vda2 /usr ext4 ro 0 2\n")
            link(r, "etc/os-release", "../usr/lib/os-release")
            link(r, "bin", "usr/bin")
            os.makedirs(os.path.join(r, "usr"))

        def usr(r):
            put(r, "lib/os-release", "ID=rhel\nVERSION_ID=9.3\nNAME=RHEL\n"
                'PRETTY_NAME="Red Hat Enterprise Linux 9.3 (Plow)"\n')
            host_binary(r, "bin/ls")
        rootfs = ext4(os.path.join(d, "root.fs"), 16, root)
        usrfs = ext4(os.path.join(d, "usr.fs"), 16, usr)
        img = os.path.join(d, "split.img")
        disk(img, [(rootfs, 16, "83"), (usrfs, 16, "83")])
        with gdtest.handle(readonly_images=[img]) as g:
            assert g.inspect_os() == ["/dev/sda1"]
            r = "/dev/sda1"
            assert g.inspect_get_distro(r) == "rhel"
            assert (g.inspect_get_major_version(r), g.inspect_get_minor_version(r)) == (9, 3)
            assert g.inspect_get_package_management(r) == "dnf"
            assert g.inspect_get_arch(r) == HOST_ARCH
            assert g.inspect_get_mountpoints(r) == {"/": "/dev/sda1", "/usr": "/dev/sda2"}
            assert g.mounts() == []


@test
def test_old_release_files():
    # Systems from before os-release: the release files say it.
    cases = [
        ({"etc/redhat-release": "CentOS release 5.11 (Final)\n"}, "centos", 5, 11, "yum"),
        ({"etc/redhat-release": "Red Hat Enterprise Linux AS release 4 (Nahant Update 9)\n"},
         "rhel", 4, 0, "up2date"),
        ({"etc/fedora-release": "Fedora release 12 (Constantine)\n",
          "etc/redhat-release": "Fedora release 12 (Constantine)\n"}, "fedora", 12, 0, "yum"),
        ({"etc/lsb-release": 'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=10.04\n'
                             'DISTRIB_DESCRIPTION="Ubuntu 10.04 LTS"\n',
          "etc/debian_version": "squeeze/sid\n"}, "ubuntu", 10, 4, "apt"),
        ({"etc/SuSE-release": "SUSE Linux Enterprise Server 11 (x86_64)\nVERSION = 11\n"
                              "PATCHLEVEL = 2\n"}, "sles", 11, 2, "zypper"),
        ({"etc/arch-release": ""}, "archlinux", 0, 0, "pacman"),
        ({"etc/alpine-release": "3.9.2\n"}, "alpinelinux", 3, 9, "apk"),
    ]
    with gdtest.tmpdir() as d:
        imgs = []
        for i, (files, *_rest) in enumerate(cases):
            def populate(r, files=files):
                for k, v in files.items():
                    put(r, k, v)
                put(r, "etc/fstab", "")
                os.makedirs(os.path.join(r, "bin"))
            imgs.append(ext4(os.path.join(d, f"old{i}.img"), 8, populate))
        with gdtest.handle(readonly_images=imgs) as g:
            roots = g.inspect_os()
            assert len(roots) == len(cases), roots
            for root, (files, distro, major, minor, mgmt) in zip(roots, cases):
                got = (g.inspect_get_distro(root), g.inspect_get_major_version(root),
                       g.inspect_get_minor_version(root),
                       g.inspect_get_package_management(root))
                assert got == (distro, major, minor, mgmt), (files, got)


@test
def test_bsd_hurd_minix():
    # Each with a /bin, as real systems have: /etc and an fstab alone make
    # no root (a data disk with a copy of /etc is none for the original).
    cases = [
        ({"etc/fstab": "/dev/vtbd0p2 / ufs rw 1 1\n/dev/vtbd0p3 none swap sw 0 0\n",
          "bin/freebsd-version": '#!/bin/sh\nUSERLAND_VERSION="13.2-RELEASE-p4"\n',
          "etc/rc.conf": 'hostname="bsd.example.org"\nsshd_enable="YES"\n'},
         ("freebsd", "freebsd", 13, 2, "FreeBSD 13.2-RELEASE-p4", "bsd.example.org")),
        ({"etc/fstab": "/dev/wd0a / ffs rw 1 1\n", "netbsd": "kernel", "bin/sh": "",
          "etc/release": "NetBSD 9.3 (GENERIC) #0: Thu Aug  4 15:30:37 UTC 2022\n",
          "etc/myname": "nb\n"},
         ("netbsd", "netbsd", 9, 3, "NetBSD 9.3", "nb")),
        ({"etc/fstab": "/dev/sd0a / ffs rw 1 1\n", "bsd": "kernel", "bin/sh": "",
          "etc/motd": "OpenBSD 7.3 (GENERIC) #1072: Sat Mar 25 10:33:04 MDT 2023\n",
          "etc/myname": "ob.example.org\n"},
         ("openbsd", "openbsd", 7, 3, "OpenBSD 7.3", "ob.example.org")),
        ({"etc/os-release": 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Hurd 12"\n',
          "hurd/init": "", "etc/hostname": "hurd\n"},
         ("hurd", "debian", 12, 0, "Debian GNU/Hurd 12", "hurd")),
        ({"etc/fstab": "/dev/c0d0p0s0 / mfs rw 0 1\n", "etc/version": "3.3.0\n", "bin/sh": "",
          "boot/minix/3.3.0/kernel": ""},
         ("minix", "unknown", 3, 3, "MINIX 3.3.0", "unknown")),
    ]
    with gdtest.tmpdir() as d:
        imgs = []
        for i, (files, _) in enumerate(cases):
            def populate(r, files=files):
                for k, v in files.items():
                    put(r, k, v)
            imgs.append(ext4(os.path.join(d, f"bsd{i}.img"), 8, populate))
        with gdtest.handle(readonly_images=imgs) as g:
            roots = g.inspect_os()
            assert len(roots) == len(cases), roots
            for root, (_, want) in zip(roots, cases):
                got = (g.inspect_get_type(root), g.inspect_get_distro(root),
                       g.inspect_get_major_version(root), g.inspect_get_minor_version(root),
                       g.inspect_get_product_name(root), g.inspect_get_hostname(root))
                assert got == want, got
            assert g.inspect_get_package_format(roots[1]) == "pkgsrc"


@test
def test_btrfs_subvolumes():
    # A Fedora-style btrfs: the system in subvolume "root", /home in
    # subvolume "home", and a snapshot of root that is not a second system.
    if not gdtest.have_program("mkfs.btrfs") or not gdtest.have_program("unshare"):
        gdtest.skip("mkfs.btrfs and unshare are needed to build the image")
    with gdtest.tmpdir() as d:
        tree = os.path.join(d, "tree")
        os.makedirs(tree)
        put(tree, "etc/os-release", "ID=fedora\nVERSION_ID=39\n")
        put(tree, "etc/fstab", "UUID=%s / btrfs subvol=root 0 0\n"
            "UUID=%s /home btrfs subvol=/home 0 0\n" % (ROOT_UUID, ROOT_UUID))
        host_binary(tree, "usr/bin/ls")
        link(tree, "bin", "usr/bin")
        os.makedirs(os.path.join(tree, "home"))
        img = os.path.join(d, "btrfs.img")
        with open(img, "wb") as f:
            f.truncate(256 * MiB)
        run("mkfs.btrfs", "-q", "-U", ROOT_UUID, img)
        mnt = os.path.join(d, "mnt")
        os.makedirs(mnt)
        # Built in a private mount namespace, on a loop device over our
        # own image that goes away with the mount.
        script = (f"mount -o loop {img} {mnt} && btrfs -q subvolume create {mnt}/root && "
                  f"cp -a {tree}/. {mnt}/root/ && btrfs -q subvolume create {mnt}/home && "
                  f"mkdir {mnt}/.snapshots && "
                  f"btrfs -q subvolume snapshot -r {mnt}/root {mnt}/.snapshots/1; "
                  f"r=$?; umount {mnt}; exit $r")
        run("unshare", "-m", "sh", "-c", script)
        with gdtest.handle(readonly_images=[img]) as g:
            roots = g.inspect_os()
            assert roots == ["btrfsvol:/dev/sda/root"], roots
            r = roots[0]
            assert g.inspect_get_distro(r) == "fedora"
            assert g.inspect_get_major_version(r) == 39
            assert g.inspect_get_arch(r) == HOST_ARCH
            assert g.inspect_get_mountpoints(r) == {"/": r, "/home": "btrfsvol:/dev/sda/home"}
            assert g.mounts() == []


# ---- a hostile guest -----------------------------------------------------------

@test
def test_symlinks_stay_in_the_guest():
    # Absolute and climbing symlinks are resolved inside the guest: the
    # host's own os-release (Debian), hostname and binaries are never read.
    with gdtest.tmpdir() as d:
        def populate(r):
            put(r, "usr/lib/os-release", "ID=alpine\nVERSION_ID=3.18.4\n"
                'PRETTY_NAME="Alpine Linux v3.18"\n')
            link(r, "etc/os-release", "/../../../../usr/lib/os-release")
            link(r, "etc/hostname", "../../../../../etc/hostname")
            link(r, "etc/HOSTNAME", "/proc/sys/kernel/hostname")
            link(r, "etc/fstab", "/../../../etc/fstab")
            link(r, "bin/ls", "/../../../../bin/ls")
            link(r, "bin/bash", "/../../usr/bin/bash")
            link(r, "bin/sh", "/proc/self/exe")
        img = ext4(os.path.join(d, "hostile.img"), 8, populate)
        with gdtest.handle(readonly_images=[img]) as g:
            roots = g.inspect_os()
            assert roots == ["/dev/sda"], roots
            r = roots[0]
            assert g.inspect_get_distro(r) == "alpinelinux"
            assert g.inspect_get_major_version(r) == 3
            assert g.inspect_get_minor_version(r) == 18
            assert g.inspect_get_hostname(r) == "unknown"
            assert g.inspect_get_arch(r) == "unknown"
            assert g.inspect_get_mountpoints(r) == {"/": "/dev/sda"}


@test
def test_garbage_filesystems():
    # Odd contents must not disturb inspection: binary junk in release
    # files, a huge fstab line, a directory where a file should be.
    with gdtest.tmpdir() as d:
        def populate(r):
            put(r, "etc/os-release", os.urandom(4096))
            put(r, "etc/fstab", "/dev/sda1 /" + "x" * 100000 + " ext4 defaults 0 0\n"
                "\\777\\000 /bad ext4 defaults\n" + "LABEL= /y ext4\n" * 1000)
            os.makedirs(os.path.join(r, "etc", "hostname"))
            put(r, "bin/ls", b"\x7fELF\x02\x01")
        img = ext4(os.path.join(d, "junk.img"), 8, populate)
        with gdtest.handle(disks=[8], readonly_images=[img]) as g:
            roots = g.inspect_os()
            assert roots == ["/dev/sdb"], roots
            assert g.inspect_get_type("/dev/sdb") == "linux"
            assert g.inspect_get_distro("/dev/sdb") == "unknown"
            assert g.inspect_get_hostname("/dev/sdb") == "unknown"
            assert g.inspect_get_arch("/dev/sdb") == "unknown"


@test
def test_hostile_databases():
    # A garbage rpm database is an error, not a crash; a database that is
    # a symlink to a host file is resolved inside the guest (no database);
    # garbage registry hives leave a Windows guest with unknown details.
    with gdtest.tmpdir() as d:
        def rpm_garbage(r):
            put(r, "etc/os-release", "ID=fedora\nVERSION_ID=38\n")
            put(r, "etc/fstab", "")
            put(r, "var/lib/rpm/rpmdb.sqlite", b"SQLite format 3\0" + os.urandom(8192))

        def rpm_symlink(r):
            put(r, "etc/os-release", "ID=rocky\nVERSION_ID=9.2\n")
            put(r, "etc/fstab", "")
            link(r, "var/lib/rpm/rpmdb.sqlite", "/../../../etc/shadow")
            link(r, "usr/lib/sysimage/rpm", "/var/lib/rpm")

        def windows_garbage(r):
            put(r, "Windows/System32/config/SOFTWARE", b"regf" + os.urandom(8192))
            put(r, "Windows/System32/config/SYSTEM", b"")
        imgs = [ext4(os.path.join(d, f"h{i}.img"), 8, f)
                for i, f in enumerate((rpm_garbage, rpm_symlink, windows_garbage))]
        with gdtest.handle(readonly_images=imgs) as g:
            assert g.inspect_os() == ["/dev/sda", "/dev/sdb", "/dev/sdc"]
            g.mount_ro("/dev/sda", "/")
            gdtest.expect_error(g, g.inspect_list_applications2, "/dev/sda",
                                match="rpm database")
            g.umount_all()
            g.mount_ro("/dev/sdb", "/")
            assert g.inspect_get_package_format("/dev/sdb") == "rpm"
            assert g.inspect_list_applications2("/dev/sdb") == []
            g.umount_all()
            w = "/dev/sdc"
            assert g.inspect_get_type(w) == "windows"
            assert g.inspect_get_product_name(w) == "unknown"
            assert g.inspect_get_hostname(w) == "unknown"
            assert g.inspect_get_windows_systemroot(w) == "/Windows"
            assert g.inspect_get_windows_system_hive(w) == "/Windows/System32/config/SYSTEM"
            gdtest.expect_error(g, g.inspect_get_windows_current_control_set, w, errno=22)
            assert g.inspect_get_drive_mappings(w) == {}


# ---- Windows and DOS -----------------------------------------------------------

def reg_hive(path, prefix, text):
    shutil.copy(MINIMAL_HIVE, path)
    os.chmod(path, 0o644)
    reg = path + ".reg"
    with open(reg, "w") as f:
        f.write("Windows Registry Editor Version 5.00\n\n" + text)
    run("hivexregedit", "--merge", path, "--prefix", prefix, reg)
    os.unlink(reg)


def fake_pe(machine):
    h = bytearray(512)
    h[0:2] = b"MZ"
    h[0x3c:0x40] = (0x80).to_bytes(4, "little")
    h[0x80:0x84] = b"PE\0\0"
    h[0x84:0x86] = machine.to_bytes(2, "little")
    return bytes(h)


def mbr_value(signature, offset):
    b = signature.to_bytes(4, "little") + offset.to_bytes(8, "little")
    return ",".join(f"{x:02x}" for x in b)


def windows_tree(d, mounted):
    """mounted: list of (letter, hex value) for MountedDevices."""
    sw = os.path.join(d, "software")
    reg_hive(sw, "HKEY_LOCAL_MACHINE\\SOFTWARE",
             "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft]\n\n"
             "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT]\n\n"
             "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion]\n"
             '"ProductName"="Windows 10 Pro"\n"CurrentVersion"="6.3"\n'
             '"CurrentMajorVersionNumber"=dword:0000000a\n'
             '"CurrentMinorVersionNumber"=dword:00000000\n"InstallationType"="Client"\n')
    sy = os.path.join(d, "system")
    keys = ["ControlSet002", "ControlSet002\\Control", "ControlSet002\\Control\\ComputerName",
            "ControlSet002\\Control\\ComputerName\\ComputerName"]
    text = "[HKEY_LOCAL_MACHINE\\SYSTEM\\Select]\n\"Current\"=dword:00000002\n\n"
    text += "".join(f"[HKEY_LOCAL_MACHINE\\SYSTEM\\{k}]\n\n" for k in keys[:-1])
    text += f"[HKEY_LOCAL_MACHINE\\SYSTEM\\{keys[-1]}]\n\"ComputerName\"=\"WIN-GDTEST\"\n\n"
    text += "[HKEY_LOCAL_MACHINE\\SYSTEM\\MountedDevices]\n"
    for letter, value in mounted:
        text += f'"\\\\DosDevices\\\\{letter}:"=hex:{value}\n'
    reg_hive(sy, "HKEY_LOCAL_MACHINE\\SYSTEM", text)

    def populate(r):
        os.makedirs(os.path.join(r, "WINDOWS", "system32", "config"))
        shutil.copy(sw, os.path.join(r, "WINDOWS", "system32", "config", "software"))
        shutil.copy(sy, os.path.join(r, "WINDOWS", "system32", "config", "SYSTEM"))
        put(r, "WINDOWS/system32/cmd.exe", fake_pe(0x8664))
        put(r, "Program Files/README.txt", "x\n")
    return populate


@test
def test_windows_mbr():
    if not gdtest.have_program("hivexregedit"):
        gdtest.skip("hivexregedit (package libhivex-bin) is needed to build registry hives")
    with gdtest.tmpdir() as d:
        sig = 0x1234ABCD
        cdrom = ",".join(f"{b:02x}" for b in "\\??\\IDE#CdRomQEMU".encode("utf-16-le"))
        populate = windows_tree(d, [("C", mbr_value(sig, 1 * MiB)),
                                    ("D", mbr_value(sig, 33 * MiB)),
                                    ("E", cdrom),
                                    ("F", mbr_value(0x0BADF00D, 1 * MiB))])
        c = ext4(os.path.join(d, "c.fs"), 32, populate)
        data = ext4(os.path.join(d, "d.fs"), 8)
        img = os.path.join(d, "windows.img")
        disk(img, [(c, 32, "7"), (data, 8, "7")], label_id="0x1234abcd")
        with gdtest.handle(readonly_images=[img]) as g:
            roots = g.inspect_os()
            assert roots == ["/dev/sda1"], roots
            r = roots[0]
            assert g.inspect_get_type(r) == "windows"
            assert g.inspect_get_distro(r) == "windows"
            assert g.inspect_get_product_name(r) == "Windows 10 Pro"
            assert g.inspect_get_product_variant(r) == "Client"
            assert (g.inspect_get_major_version(r), g.inspect_get_minor_version(r)) == (10, 0)
            assert g.inspect_get_arch(r) == "x86_64"
            assert g.inspect_get_hostname(r) == "WIN-GDTEST"
            assert g.inspect_get_windows_systemroot(r) == "/WINDOWS"
            assert g.inspect_get_windows_software_hive(r) == "/WINDOWS/system32/config/software"
            assert g.inspect_get_windows_system_hive(r) == "/WINDOWS/system32/config/SYSTEM"
            assert g.inspect_get_windows_current_control_set(r) == "ControlSet002"
            assert g.inspect_get_drive_mappings(r) == {"C": "/dev/sda1", "D": "/dev/sda2"}
            assert g.inspect_get_mountpoints(r) == {"/": "/dev/sda1"}
            assert g.inspect_get_filesystems(r) == ["/dev/sda1"]
            assert g.inspect_get_package_format(r) == "unknown"
            assert g.inspect_get_osinfo(r) == "win10"


@test
def test_windows_gpt():
    if not gdtest.have_program("hivexregedit"):
        gdtest.skip("hivexregedit (package libhivex-bin) is needed to build registry hives")
    with gdtest.tmpdir() as d:
        guid = "6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7"
        import uuid as uuid_mod
        value = ",".join(f"{b:02x}" for b in b"DMIO:ID:" + uuid_mod.UUID(guid).bytes_le)
        populate = windows_tree(d, [("C", value)])
        c = ext4(os.path.join(d, "c.fs"), 32, populate)
        img = os.path.join(d, "windows-gpt.img")
        disk(img, [(None, 4, "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"),
                   (c, 32, "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", f"uuid={guid}")],
             label="gpt")
        with gdtest.handle(readonly_images=[img]) as g:
            assert g.inspect_os() == ["/dev/sda2"]
            assert g.inspect_get_drive_mappings("/dev/sda2") == {"C": "/dev/sda2"}


@test
def test_dos():
    with gdtest.tmpdir() as d:
        def populate(r):
            put(r, "KERNEL.SYS", b"\0" * 64)
            put(r, "COMMAND.COM", b"\0" * 64)
            put(r, "fdconfig.sys", "\n")
            put(r, "AUTOEXEC.BAT", "@echo off\r\n")
        img = ext4(os.path.join(d, "dos.img"), 8, populate)
        with gdtest.handle(readonly_images=[img]) as g:
            assert g.inspect_os() == ["/dev/sda"]
            assert g.inspect_get_type("/dev/sda") == "dos"
            assert g.inspect_get_distro("/dev/sda") == "freedos"


# ---- errors ------------------------------------------------------------------------

@test
def test_errors_and_nothing_found():
    with gdtest.handle(disks=[16]) as g:
        # Not inspected yet.
        gdtest.expect_error(g, g.inspect_get_type, "/dev/sda", errno=22,
                            match="no operating system root")
        # A blank disk and an ext4 filesystem without a system: no roots.
        assert g.inspect_os() == []
        g.mkfs("ext4", "/dev/sda")
        g.mount("/dev/sda", "/")
        g.mkdir("/data")
        assert g.inspect_os() == []
        # inspect_os unmounted what was mounted.
        assert g.mounts() == []
        gdtest.expect_error(g, g.inspect_get_distro, "/dev/sda", errno=22)
        gdtest.expect_error(g, g.inspect_get_mountpoints, "/dev/sdz")
        gdtest.expect_error(g, g.inspect_get_type, "btrfsvol:/dev/sda/root", errno=22)


@test
def test_results_replaced_by_next_inspection():
    with gdtest.tmpdir() as d:
        img = make_debian(d)
        with gdtest.handle(images=[img]) as g:
            assert g.inspect_os() == ["/dev/sda2"]
            g.mount("/dev/sda2", "/")
            g.rm("/etc/fstab")
            g.rm_rf("/bin")
            g.rm("/etc/os-release")
            g.umount_all()
            assert g.inspect_os() == []
            assert g.inspect_get_roots() == []
            gdtest.expect_error(g, g.inspect_get_distro, "/dev/sda2", errno=22)


# ---- the user-facing tools -----------------------------------------------------

@test
def test_guestfish_inspector():
    with gdtest.tmpdir() as d:
        img = make_debian(d)
        out = subprocess.run(["guestfish", "--ro", "-a", img, "-i"],
                             input="cat /etc/hostname\nmountpoints\n", text=True,
                             capture_output=True, timeout=300)
        assert out.returncode == 0, out.stderr
        lines = out.stdout.splitlines()
        assert lines[0] == "debian-test", out.stdout
        assert "/dev/sda1: /boot" in lines and "/dev/sda2: /" in lines, out.stdout


@test
def test_virt_inspector():
    if not shutil.which("virt-inspector"):
        gdtest.skip("virt-inspector (package libguestfs-tools) is not installed")
    # virt-inspector lists LVs (for encrypted volumes) before inspecting,
    # and describes each filesystem.
    with gdtest.handle(disks=[8]) as g:
        for call, args in ((g.lvs, ()), (g.vfs_type, ("/dev/sda",)), (g.vfs_uuid, ("/dev/sda",))):
            try:
                call(*args)
            except RuntimeError as e:
                if "not implemented" in str(e) or "not available" in str(e):
                    gdtest.skip(f"virt-inspector needs {call.__name__}, which this daemon "
                                f"cannot run here: {e}")
    with gdtest.tmpdir() as d:
        imgs = [make_debian(d)]
        if have_rpm_tools():
            imgs.append(make_fedora(d))
        args = ["virt-inspector"]
        for img in imgs:
            args += ["-a", img]
        out = subprocess.run(args, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        doc = ET.fromstring(out.stdout)
        oses = {o.findtext("root"): o for o in doc.findall("operatingsystem")}
        deb = oses["/dev/sda2"]
        assert deb.findtext("name") == "linux"
        assert deb.findtext("distro") == "debian"
        assert deb.findtext("major_version") == "12"
        assert deb.findtext("hostname") == "debian-test"
        assert deb.findtext("osinfo") == "debian12"
        mps = {m.text: m.get("dev") for m in deb.find("mountpoints")}
        assert mps == {"/": "/dev/sda2", "/boot": "/dev/sda1"}, mps
        fss = {f.get("dev"): f.findtext("type") for f in deb.find("filesystems")}
        assert fss.get("/dev/sda3") == "swap", fss
        apps = [a.findtext("name") for a in deb.find("applications")]
        assert "hello" in apps, apps
        if len(imgs) > 1:
            fed = oses["/dev/sdb"]
            assert fed.findtext("distro") == "fedora"
            assert fed.findtext("package_format") == "rpm"
            apps = {a.findtext("name"): a for a in fed.find("applications")}
            assert apps["gdtest-hello"].findtext("epoch") == "2", out.stdout


gdtest.main()
