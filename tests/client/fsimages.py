"""fsimages: filesystem images built on the host without the daemon under
test, for tests that need exact contents (symlinks stored verbatim,
device nodes, odd names).

    fsimages.ext4_from_tree(path, size_mib, populate)

populate(root) fills a host directory that mke2fs -d then copies into a
fresh ext4 filesystem on the whole image (no partition table: the guest
mounts the whole disk, e.g. mount("/dev/sdb", "/")).  Nothing is
mounted on the host and the tree never leaves the temp directory.
"""

import os
import shutil
import subprocess
import tempfile

MiB = 1024 * 1024


def ext4_from_tree(path, size_mib, populate):
    with open(path, "wb") as f:
        f.truncate(int(size_mib * MiB))
    tree = tempfile.mkdtemp(prefix="gdtest-tree.")
    try:
        populate(tree)
        subprocess.run(["mke2fs", "-q", "-F", "-t", "ext4", "-d", tree, path],
                       check=True, stdout=subprocess.DEVNULL)
    finally:
        shutil.rmtree(tree, ignore_errors=True)
    return path


def _ten_k_lines():
    return "".join(f"{i}abcdefghijklmnopqrstuvwxyz\n" for i in range(10000)).encode()


def isofs_standin(path):
    """An ext4 image with the files of the libguestfs test ISO that the
    per-action tests of the file family use (the kernel here has no
    iso9660): empty, known-1..5, 100kall*, 10klines, directory/,
    abssymlink -> /10klines."""
    known = {
        "known-1": b"abc\n",
        "known-2": b"abcdef\n",
        "known-3": b"".join(b"  line %d of some verse\n" % i for i in range(27)),
        "known-4": b"abc\ndef\nghi",
        "known-5": b"abcdefghi\njklmnopqr",
    }

    def populate(root):
        def put(name, data):
            with open(os.path.join(root, name), "wb") as f:
                f.write(data)
        put("empty", b"")
        for k, v in known.items():
            put(k, v)
        put("100kallzeroes", b"\0" * 102400)
        put("100kallnewlines", b"\n" * 102400)
        put("100kallspaces", b" " * 102400)
        put("10klines", _ten_k_lines())
        os.mkdir(os.path.join(root, "directory"))
        os.symlink("/10klines", os.path.join(root, "abssymlink"))

    return ext4_from_tree(path, 16, populate)


def partitioned_disk(path, parts, label="dos", label_id=None):
    """A partitioned disk: parts is a list of (image or None, size MiB,
    sfdisk type[, extra sfdisk fields]); the first partition starts at
    1 MiB, each next one where the previous one ends.  Returns the start
    offsets in bytes."""
    total = 2 + sum(p[1] for p in parts)
    with open(path, "wb") as f:
        f.truncate(total * MiB)
    script = [f"label: {label}"]
    if label_id:
        script.append(f"label-id: {label_id}")
    starts = []
    start = 1
    for p in parts:
        extra = (", " + p[3]) if len(p) > 3 else ""
        script.append(f"start={start * 2048}, size={p[1] * 2048}, type={p[2]}{extra}")
        starts.append(start * MiB)
        start += p[1]
    subprocess.run(["sfdisk", "--no-reread", "--no-tell-kernel", "-q", path],
                   input="\n".join(script) + "\n", text=True, check=True,
                   stdout=subprocess.DEVNULL)
    with open(path, "r+b") as out:
        for p, off in zip(parts, starts):
            if p[0] is None:
                continue
            with open(p[0], "rb") as src:
                pos = off
                while True:
                    chunk = src.read(MiB)
                    if not chunk:
                        break
                    if chunk.count(0) != len(chunk):
                        out.seek(pos)
                        out.write(chunk)
                    pos += len(chunk)
    return starts
