"""Guest images for bench/tools and bench/fleet, built at bench time.

* debian12.img: Debian 12 (debootstrap --variant=minbase from the apt
  mirror), an MBR disk with one ext4 partition made with mkfs.ext4 -d from
  the debootstrap tree (no mount needed).  The tree is cached under
  /var/cache/libguestfsd-bench (BENCH_CACHE), so a second run only
  rebuilds the image (a few seconds).
* multi.img: a GPT disk with four filesystems: ext4 (a copy of the tree's
  /usr/share/doc), xfs (empty), btrfs (the tree's /etc) and vfat (a few
  files).  Each filesystem is made in its own file and copied into place.
* --quick (the CI smoke): no debootstrap; a tiny tree that still looks
  like Debian 12 to inspection (os-release, debian_version, a dpkg status
  with two packages, fstab), so the smoke needs no network.
"""

import os
import shutil
import subprocess

CACHE = os.environ.get("BENCH_CACHE", "/var/cache/libguestfsd-bench")
MIRROR = os.environ.get("BENCH_MIRROR", "http://deb.debian.org/debian")
ROOT_UUID = "5d1c0f3e-3a7c-4a55-9a59-0b0ab0c0d012"
MiB = 1 << 20


def run(*args, **kw):
    subprocess.run(args, check=True, **kw)


def du_bytes(path):
    """Apparent size of a tree."""
    out = subprocess.check_output(["du", "-sb", path], text=True)
    return int(out.split()[0])


def used_bytes(path):
    """Blocks an image really uses (they are sparse)."""
    return os.stat(path).st_blocks * 512


def debootstrap_tree(log=print):
    """The cached Debian 12 minbase tree (debootstrap runs once)."""
    tree = os.path.join(CACHE, "debian12")
    if os.path.isfile(os.path.join(tree, "etc/debian_version")):
        return tree
    os.makedirs(CACHE, exist_ok=True)
    tmp = tree + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    log(f"debootstrap --variant=minbase bookworm {tmp} {MIRROR} (once; cached)")
    run("debootstrap", "--variant=minbase", "bookworm", tmp, MIRROR,
        stdout=subprocess.DEVNULL)
    os.rename(tmp, tree)
    return tree


def tiny_tree(work):
    """A tree that inspects as Debian 12 without debootstrap (CI smoke)."""
    tree = os.path.join(work, "tiny-tree")
    if os.path.isdir(tree):
        return tree
    for d in ("etc", "usr/bin", "usr/lib", "var/lib/dpkg", "usr/share/doc/base-files",
              "root", "tmp", "srv"):
        os.makedirs(os.path.join(tree, d), exist_ok=True)
    with open(os.path.join(tree, "etc/os-release"), "w") as f:
        f.write('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\n'
                'VERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\n'
                'ID=debian\n')
    with open(os.path.join(tree, "etc/debian_version"), "w") as f:
        f.write("12.11\n")
    with open(os.path.join(tree, "var/lib/dpkg/status"), "w") as f:
        for name, ver in (("base-files", "12.4+deb12u11"), ("bash", "5.2.15-2+b8")):
            f.write(f"Package: {name}\nStatus: install ok installed\nPriority: required\n"
                    f"Architecture: amd64\nVersion: {ver}\nDescription: {name}\n\n")
    with open(os.path.join(tree, "etc/passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\n")
    shutil.copy("/bin/sh", os.path.join(tree, "usr/bin/sh"))
    os.symlink("usr/bin", os.path.join(tree, "bin"))
    for i in range(200):
        with open(os.path.join(tree, "usr/share/doc/base-files", f"f{i}"), "w") as f:
            f.write("x" * i)
    return tree


def configure_tree(tree):
    """What a real install has and debootstrap leaves out: an fstab
    naming the root filesystem, a hostname."""
    with open(os.path.join(tree, "etc/fstab"), "w") as f:
        f.write(f"UUID={ROOT_UUID} / ext4 errors=remount-ro 0 1\n")
    with open(os.path.join(tree, "etc/hostname"), "w") as f:
        f.write("bench-debian12\n")


def make_debian_image(path, tree):
    """An MBR disk, one ext4 partition holding the tree."""
    configure_tree(tree)
    size = (du_bytes(tree) * 3 // 2 // MiB + 64) * MiB
    if os.path.exists(path):
        os.unlink(path)
    with open(path, "wb") as f:
        f.truncate(size + MiB)
    run("sfdisk", "-q", path, input=b"label: dos\nstart=2048, type=83\n")
    run("mkfs.ext4", "-q", "-F", "-U", ROOT_UUID, "-L", "root", "-E", f"offset={MiB}",
        "-d", tree, path, f"{size // 1024}k")
    return path


def make_multi_image(path, tree, work):
    """GPT: ext4 (tree's /usr/share/doc), xfs (empty), btrfs (tree's /etc), vfat."""
    parts = []
    doc = os.path.join(tree, "usr/share/doc")
    etc = os.path.join(tree, "etc")
    ext4 = os.path.join(work, "p-ext4")
    sz = (du_bytes(doc) * 2 // MiB + 32) * MiB
    with open(ext4, "wb") as f:
        f.truncate(sz)
    run("mkfs.ext4", "-q", "-F", "-L", "data", "-d", doc, ext4)
    parts.append(ext4)
    xfs = os.path.join(work, "p-xfs")
    with open(xfs, "wb") as f:
        f.truncate(320 * MiB)
    run("mkfs.xfs", "-q", "-f", "-L", "scratch", xfs)
    parts.append(xfs)
    btrfs = os.path.join(work, "p-btrfs")
    with open(btrfs, "wb") as f:
        f.truncate(256 * MiB)
    run("mkfs.btrfs", "-q", "-f", "-L", "etc", "--rootdir", etc, btrfs,
        stdout=subprocess.DEVNULL)
    parts.append(btrfs)
    vfat = os.path.join(work, "p-vfat")
    with open(vfat, "wb") as f:
        f.truncate(64 * MiB)
    run("mkfs.vfat", "-n", "EFI", vfat, stdout=subprocess.DEVNULL)
    run("mcopy", "-i", vfat, os.path.join(etc, "os-release"), "::/os-release")
    parts.append(vfat)

    total = MiB + sum(os.path.getsize(p) for p in parts) + MiB
    if os.path.exists(path):
        os.unlink(path)
    with open(path, "wb") as f:
        f.truncate(total)
    script, start = "label: gpt\n", MiB
    for p in parts:
        script += f"start={start // 512}, size={os.path.getsize(p) // 512}\n"
        start += os.path.getsize(p)
    run("sfdisk", "-q", path, input=script.encode())
    start = MiB
    for p in parts:
        run("dd", f"if={p}", f"of={path}", "bs=1M", f"seek={start // MiB}",
            "conv=notrunc,sparse", "status=none")
        start += os.path.getsize(p)
        os.unlink(p)
    return path


def copy_image(src, dst):
    """A private copy of an image: reflinked where the filesystem can,
    sparse otherwise."""
    run("cp", "--reflink=auto", "--sparse=always", src, dst)
    return dst
