#!/usr/bin/python3
# Writes the fuzz targets' seed corpora: client byte streams, valid and
# malformed, each starting from a fresh connection.  SEEDS go to corpus/
# (the request target: framing, engine, the drive /dev/sda with sda1 an
# ext4 holding the tree), FILE_SEEDS to corpus-files/ (the files target:
# the tree of fuzz-request.c's make_tree as the sysroot).  The files are
# checked in, next to the fz-* inputs the fuzzers found; rerun this after
# changing it:
#
#   tests/fuzz/make-corpus.py
#
# Procedure numbers come from proto/guestfsd.api.

import os
import re
import struct
import sys

PROGRAM = 0x2000F5F5
VERSION = 4
CANCEL = 0xFFFFEEEE
PROGRESS = 0xFFFF5555
LAUNCH = 0xF5F55FF5
MESSAGE_MAX = 4 * 1024 * 1024

HERE = os.path.dirname(os.path.abspath(__file__))
API = os.path.join(HERE, "..", "..", "proto", "guestfsd.api")


def proc_numbers():
    nums = {}
    with open(API) as f:
        for line in f:
            m = re.match(r"^([a-z0-9_]+) (\d+) \(", line)
            if m:
                nums[m.group(1)] = int(m.group(2))
    return nums


P = proc_numbers()
serial = [0x123400]


def u32(v):
    return struct.pack(">I", v & 0xFFFFFFFF)


def i32(v):
    return struct.pack(">i", v)


def u64(v):
    return struct.pack(">Q", v)


def string(s):
    if isinstance(s, str):
        s = s.encode()
    return u32(len(s)) + s + b"\0" * (-len(s) % 4)


def strlist(items):
    return u32(len(items)) + b"".join(string(s) for s in items)


def header(proc, prog=PROGRAM, vers=VERSION, direction=0, status=0, hint=0, optargs=0, ser=None):
    if ser is None:
        ser = serial[0]
        serial[0] += 1
    return (u32(prog) + u32(vers) + u32(proc) + u32(direction) + u32(ser) + u64(hint) +
            u64(optargs) + u32(status))


def message(body):
    return u32(len(body)) + body


def call(name, args=b"", **kw):
    return message(header(P[name], **kw) + args)


def chunk(data=b"", cancel=0):
    return message(i32(cancel) + string(data))


def ping():
    return call("ping_daemon")


def i64(v):
    return struct.pack(">q", v)


def b(v):
    return u32(1 if v else 0)


def P1(name, path, extra=b"", **kw):
    return call(name, string(path) + extra, **kw)


def tar_member(name, data):
    """A ustar member, built here so that the seed needs no tarfile quirks."""
    h = bytearray(512)
    h[0:len(name)] = name.encode()
    h[100:108] = b"0000644\0"
    h[108:116] = b"0000000\0"
    h[116:124] = b"0000000\0"
    h[124:136] = b"%011o\0" % len(data)
    h[136:148] = b"00000000000\0"
    h[148:156] = b" " * 8
    h[156] = ord("0")
    h[257:263] = b"ustar\0"
    h[263:265] = b"00"
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h) + data + b"\0" * (-len(data) % 512)


TAR = tar_member("x.txt", b"from tar\n") + tar_member("../up.txt", b"escape\n") + b"\0" * 1024


SEEDS = {
    # Well-formed conversations.
    "ping": ping(),
    "ping-pipelined": ping() * 3,
    "echo": call("echo_daemon", strlist(["hello", "", "world"])),
    "echo-empty-list": call("echo_daemon", strlist([])),
    "internal-exit": call("internal_exit") + ping(),
    "is-file-optarg": call("is_file", string("/etc") + u32(1), optargs=1) + ping(),
    "feature-available": call("internal_feature_available", string("xfs")) + ping(),
    "list-devices": call("list_devices") + call("list_partitions") + call("mounts"),
    "mkdir-no-root": call("mkdir", string("/a")) + ping(),
    "mkdir-relative": call("mkdir", string("a/b")) + ping(),
    "internal-write": call("internal_write", string("/f") + string(b"\0\1\2")) + ping(),
    "mount-bad-device": call("mount", string("/dev/sdz") + string("/")) + ping(),
    "mount-btrfsvol": call("mount", string("btrfsvol:/dev/sda/sub") + string("/")) + ping(),
    "upload-no-root": (call("upload", string("/file"), hint=16) + chunk(b"0123456789abcdef") +
                       chunk() + ping()),
    "upload-cancel": call("upload", string("/file")) + chunk(b"x" * 100) + chunk(cancel=1) + ping(),
    "upload-device": call("upload", string("/dev/sda")) + chunk(b"data") + chunk() + ping(),
    "download-no-root": call("download", string("/file")) + ping(),
    "download-cancel": call("download", string("/dev/sda")) + u32(CANCEL) + ping(),
    "ls0": call("ls0", string("/")) + ping(),
    # With the fuzzer's tmpfs sysroot, these run their handlers.
    "files-session": (call("mkdir", string("/d")) + call("touch", string("/d/f")) +
                      call("is_dir", string("/d") + u32(0)) +
                      call("is_file", string("/d/f") + u32(1), optargs=1) +
                      call("exists", string("/d/../d/f")) + call("ls0", string("/d")) +
                      call("rm", string("/d/f")) + ping()),
    "upload-download": (call("upload", string("/up"), hint=20) + chunk(b"x" * 20) + chunk() +
                        call("download", string("/up")) + ping()),
    "upload-dir": call("upload", string("/")) + chunk(b"abc") + chunk() + ping(),
    "internal-write-read": (call("internal_write", string("/w") + string(b"hello")) +
                            call("download", string("/w")) + call("umount_all") + ping()),
    # Header errors.
    "wrong-program": message(header(P["ping_daemon"], prog=0x2000F5F6)) + ping(),
    "wrong-version": message(header(P["ping_daemon"], vers=3)) + ping(),
    "wrong-direction": message(header(P["ping_daemon"], direction=1)) + ping(),
    "wrong-status": message(header(P["ping_daemon"], status=1)) + ping(),
    "unknown-proc": message(header(9999)) + message(header(0)) + ping(),
    "optargs-nonzero": call("ping_daemon", optargs=1) + ping(),
    "optargs-upload": call("upload", string("/x"), optargs=1 << 40) + chunk(cancel=1) + ping(),
    # Argument errors.
    "args-undecodable": call("echo_daemon", u32(5)) + ping(),
    "args-trailing": call("echo_daemon", strlist(["a"]) + u32(0)) + ping(),
    "args-unexpected": call("ping_daemon", u32(0)) + ping(),
    "args-huge-length": call("echo_daemon", u32(1) + u32(0xFFFFFFF0)) + ping(),
    # Framing errors.
    "short-0": u32(0) + ping(),
    "short-39": message(b"\xab" * 39) + ping(),
    "stray-cancel": u32(CANCEL) + ping() + u32(CANCEL) * 2 + ping(),
    "stray-progress": u32(PROGRESS) + b"\0" * 24,
    "stray-launch": u32(LAUNCH) + ping(),
    "oversize-header-only": u32(MESSAGE_MAX + 1) + header(P["ping_daemon"]),
    "truncated-message": u32(100) + header(P["ping_daemon"])[:20],
    "truncated-length": b"\0\0",
    # Malformed upload chunks.
    "chunk-cancel-2": (call("upload", string("/dev/sda")) + message(i32(2) + string(b"")) +
                       chunk() + ping()),
    "chunk-too-big": (call("upload", string("/dev/sda")) +
                      message(i32(0) + u32(8196) + b"\0" * 8196) + chunk() + ping()),
    "chunk-bad-length": (call("upload", string("/dev/sda")) +
                         message(i32(0) + u32(3) + b"abc\0" + b"\0" * 4) + chunk() + ping()),
    "chunk-short": call("upload", string("/dev/sda")) + message(b"\0\0\0\0") + chunk() + ping(),
    "chunk-oversize": call("upload", string("/dev/sda")) + u32(MESSAGE_MAX + 1),
    "chunk-eof": call("upload", string("/file")) + chunk(b"abc"),
    "empty": b"",
    # The drive (sda1: ext4 with the tree, sda2: nothing).
    "drive-listing": (call("list_devices") + call("list_partitions") + call("list_filesystems") +
                      P1("vfs_type", "/dev/sda1") + P1("vfs_label", "/dev/sda1") +
                      P1("blkid", "/dev/sda1") + P1("part_list", "/dev/sda") +
                      P1("part_get_parttype", "/dev/sda") + P1("part_to_dev", "/dev/sda2") +
                      call("part_get_mbr_id", string("/dev/sda") + i32(1)) + ping()),
    "drive-blockdev": (P1("blockdev_getsize64", "/dev/sda") + P1("blockdev_getss", "/dev/sda1") +
                       P1("blockdev_getsz", "/dev/sda2") + P1("blockdev_getro", "/dev/sda") +
                       P1("blockdev_getbsz", "/dev/sda1") + P1("is_whole_device", "/dev/sda") +
                       P1("is_zero_device", "/dev/sda2") +
                       call("checksum_device", string("md5") + string("/dev/sda2")) + ping()),
    "drive-mount-read": (call("mount", string("/dev/sda1") + string("/")) + call("mounts") +
                         call("mountpoints") + P1("ls0", "/") + P1("ll", "/dir") +
                         call("statvfs", string("/")) + call("df") +
                         P1("download", "/hello.txt") + P1("get_e2attrs", "/hello.txt") +
                         call("umount", string("/") + b(0) + b(0)) + ping()),
    "drive-mount-write": (call("mount", string("/dev/sda1") + string("/")) +
                          call("mkdir_p", string("/new/dir")) +
                          call("internal_write", string("/new/dir/f") + string(b"data")) +
                          call("mkmountpoint", string("/mp")) + call("rm_rf", string("/dir")) +
                          call("umount_all") + ping()),
    "drive-mount-ro": (call("mount_ro", string("/dev/sda1") + string("/")) +
                       call("touch", string("/x")) + call("umount_all") +
                       call("mount_options", string("ro,noatime") + string("/dev/sda1") +
                            string("/")) +
                       call("mount_vfs", string("ro") + string("ext4") + string("/dev/sda1") +
                            string("/")) + ping()),
    "drive-mkfs": (call("mkfs", string("ext2") + string("/dev/sda2") + i32(1024) + string("") +
                        i32(0) + i32(0) + string("two"), optargs=0b10001) +
                   call("mount", string("/dev/sda2") + string("/")) +
                   call("touch", string("/f")) + call("umount_all") +
                   P1("vfs_label", "/dev/sda2") + ping()),
    "drive-mkfs-xfs": (call("mkfs", string("xfs") + string("/dev/sda2") + i32(0) + string("") +
                            i32(0) + i32(0) + string("")) + P1("vfs_type", "/dev/sda2") + ping()),
    "drive-parts": (call("part_set_name", string("/dev/sda") + i32(1) + string("x")) +
                    call("part_set_bootable", string("/dev/sda") + i32(1) + b(1)) +
                    call("part_del", string("/dev/sda") + i32(2)) +
                    call("part_add", string("/dev/sda") + string("p") + i64(18432) + i64(-1)) +
                    P1("part_list", "/dev/sda") + ping()),
    "drive-part-init": (call("part_init", string("/dev/sda") + string("gpt")) +
                        call("part_add", string("/dev/sda") + string("p") + i64(64) + i64(4095)) +
                        call("part_disk", string("/dev/sda") + string("msdos")) +
                        P1("part_list", "/dev/sda") + call("list_partitions") + ping()),
    "drive-e2": (P1("tune2fs_l", "/dev/sda1") + call("e2fsck", string("/dev/sda1") + b(0) + b(1), optargs=2) +
                 call("set_label", string("/dev/sda1") + string("relabel")) +
                 P1("vfs_minimum_size", "/dev/sda1") + ping()),
}

# The files target: the sysroot holds fuzz-request.c's tree.
T = "/hello.txt"
FILE_SEEDS = {
    "ping": ping(),
    "tests": (P1("exists", T) + P1("is_file", "/link-in", b(1), optargs=1) +
              P1("is_dir", "/link-dir", b(0)) + P1("is_symlink", "/link-out") +
              P1("is_fifo", "/fifo", b(0)) + P1("is_chardev", "/fifo", b(0)) +
              P1("is_blockdev", "/dir", b(0)) + P1("is_socket", "/dir", b(0)) +
              P1("is_zero", "/sparse") + P1("filesize", "/sparse") + ping()),
    "listings": (P1("ls0", "/") + P1("ll", "/dir") + P1("llz", "/") + P1("readdir", "/") +
                 call("find0", string("/")) + P1("du", "/dir") +
                 call("internal_lstatnslist", string("/") + strlist(["hello.txt", "fifo", "x"])) +
                 call("internal_readlinklist", string("/") + strlist(["link-in", "link-out"])) +
                 call("internal_lxattrlist", string("/") + strlist(["hello.txt", "dir"])) +
                 ping()),
    "stat": (P1("statns", T) + P1("lstatns", "/link-out") + P1("statns", "/link-loop") +
             P1("statvfs", "/") + P1("readlink", "/link-abs") + P1("realpath", "/link-dir/../dir") +
             P1("case_sensitive_path", "/DIR/SUB/B") + P1("glob_expand", "/*/*", b(1), optargs=1) +
             ping()),
    "read": (P1("download", T) + call("download_offset", string(T) + i64(3) + i64(5)) +
             call("pread", string("/bin") + i32(100) + i64(500)) + P1("head", T) +
             call("head_n", i32(-2) + string(T)) + P1("tail", T) +
             call("tail_n", i32(1) + string(T)) + P1("wc_l", T) + P1("wc_w", T) + P1("wc_c", "/bin") +
             P1("hexdump", "/bin") + P1("strings", "/bin") +
             call("strings_e", string("b") + string("/bin")) + P1("base64_out", T) + ping()),
    "content": (call("checksum", string("sha256") + string(T)) +
                call("checksums_out", string("md5") + string("/dir")) + P1("file", "/bin") +
                P1("file", "/fifo") + P1("file_architecture", "/bin") +
                call("zfile", string("gzip") + string(T)) +
                call("equal", string(T) + string("/dir/hardlink")) +
                call("grep", string("line") + string(T) + b(0) + b(0) + b(1) + b(0), optargs=4) +
                call("grep", string("l+") + string(T) + b(1) + b(0) + b(0) + b(0), optargs=1) +
                ping()),
    "write": (call("internal_write", string("/new") + string(b"abc\n")) +
              call("internal_write_append", string("/new") + string(b"def\n")) +
              call("write_file", string("/wf") + string("0123456789") + i32(4)) +
              call("pwrite", string(T) + string(b"XYZ") + i64(2)) +
              call("truncate_size", string("/bin") + i64(10)) + P1("truncate", "/new") +
              call("fallocate64", string("/fa") + i64(4096)) +
              call("fill", i32(0x41) + i32(100) + string("/fill")) +
              call("fill_pattern", string("ab") + i32(7) + string("/fp")) +
              call("fill_dir", string("/emptydir") + i32(5)) + P1("touch", "/t") + ping()),
    "dirs": (P1("mkdir", "/m") + call("mkdir_mode", string("/mm") + i32(0o700)) +
             P1("mkdir_p", "/a/b/c") + P1("mkdtemp", "/tmpXXXXXX") +
             call("mktemp", string("/dir/fXXXXXX") + string(".x"), optargs=1) + P1("rmdir", "/m") +
             P1("rm_rf", "/a") + P1("rm", "/empty") + P1("rm_f", "/nothing") +
             P1("rmdir", "/dir") + ping()),
    "move": (call("cp", string(T) + string("/c")) + call("cp_a", string("/dir") + string("/d2")) +
             call("cp_r", string("/dir") + string("/emptydir")) +
             call("mv", string("/c") + string("/dir/sub/c")) +
             call("rename", string("/d2") + string("/d3")) +
             call("ln", string(T) + string("/hl")) + call("ln_s", string("x/y") + string("/sl")) +
             call("ln_f", string("/bin") + string("/hl")) +
             call("ln_sf", string("../etc") + string("/sl")) + ping()),
    "attrs": (call("chmod", i32(0o600) + string(T)) + call("chown", i32(10) + i32(20) + string(T)) +
              call("lchown", i32(1) + i32(1) + string("/link-out")) +
              call("utimens", string(T) + i64(1) + i64(2) + i64(3) + i64(-1)) +
              call("umask", i32(0o77)) + call("get_umask") + P1("touch", "/after-umask") +
              call("copy_attributes", string(T) + string("/bin") + b(1) + b(0) + b(0) + b(0),
                   optargs=1) + ping()),
    "xattrs": (P1("getxattrs", T) + P1("lgetxattrs", "/link-in") +
               call("getxattr", string(T) + string("user.note")) +
               call("lgetxattr", string("/dir") + string("user.empty")) +
               call("setxattr", string("user.x") + string("val") + i32(3) + string("/bin")) +
               call("lsetxattr", string("user.y") + string("v") + i32(1) + string("/link-in")) +
               call("removexattr", string("user.note") + string(T)) +
               call("lremovexattr", string("user.nope") + string("/dir")) +
               call("acl_get_file", string("/dir") + string("access")) +
               call("acl_set_file", string("/dir") + string("default") +
                    string("u::rwx,g::r-x,o::---")) + P1("acl_delete_def_file", "/dir") + ping()),
    "nodes": (call("mkfifo", i32(0o644) + string("/ff")) +
              call("mknod", i32(0o10644) + i32(0) + i32(0) + string("/nf")) +
              call("mknod_c", i32(0o644) + i32(1) + i32(3) + string("/null")) +
              call("mknod_b", i32(0o644) + i32(8) + i32(0) + string("/blk")) +
              call("pread", string("/null") + i32(10) + i64(0)) + P1("download", "/blk") +
              P1("is_chardev", "/null", b(0)) + ping()),
    "archives-out": (call("tar_out", string("/dir") + string("") + b(0) + strlist([]) + b(0) +
                          b(0) + b(0)) + P1("tgz_out", "/") + P1("txz_out", "/etc") +
                     call("cpio_out", string("/dir") + string("newc"), optargs=1) +
                     call("tar_out", string("/") + string("gzip") + b(1) +
                          strlist(["./bin", "*.txt"]) + b(1) + b(0) + b(0), optargs=0b1111) +
                     ping()),
    "tar-in": (call("tar_in", string("/emptydir") + string("") + b(0) + b(0) + b(0)) +
               chunk(TAR) + chunk() + P1("ls0", "/emptydir") + ping()),
    "upload-base64": (call("upload", string("/up"), hint=3) + chunk(b"abc") + chunk() +
                      call("upload_offset", string("/up") + i64(10)) + chunk(b"zz") + chunk() +
                      call("base64_in", string("/b64")) + chunk(b"aGVsbG8K") + chunk() +
                      P1("download", "/up") + P1("download", "/b64") + ping()),
    "upload-symlink": (call("upload", string("/link-out")) + chunk(b"no") + chunk() +
                       call("upload", string("/link-dir/new")) + chunk(b"ok") + chunk() +
                       call("upload", string("/fifo")) + chunk(b"x") + chunk() + ping()),
    "escape": (P1("download", "/link-out") + P1("ls0", "/link-dir/../..") +
               call("cp", string("/link-abs") + string("/c")) +
               call("internal_write", string("/link-out") + string(b"x")) +
               P1("realpath", "/link-out") + P1("download", "/link-canary") +
               P1("download", "/link-canary-abs") + call("checksum", string("md5") + string("/link-canary")) +
               call("cp", string("/link-canary-abs") + string("/c2")) +
               call("internal_write", string("/link-canary") + string(b"x")) +
               call("upload", string("/link-canary-abs")) + chunk(b"overwrite") + chunk() +
               call("truncate_size", string("/link-canary") + i64(0)) + P1("ls0", "/") + ping()),
}


def write(out, seeds):
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(seeds.items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print(f"{len(seeds)} seeds written to {out}")


def main():
    base = sys.argv[1] if len(sys.argv) > 1 else HERE
    write(os.path.join(base, "corpus"), SEEDS)
    write(os.path.join(base, "corpus-files"), FILE_SEEDS)


if __name__ == "__main__":
    main()
