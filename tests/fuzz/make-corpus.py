#!/usr/bin/python3
# Writes the fuzz target's seed corpus: client byte streams, valid and
# malformed, each starting from a fresh connection.  The files are checked
# in (tests/fuzz/corpus/, next to the fz-* inputs the fuzzer found); rerun
# this after changing it:
#
#   tests/fuzz/make-corpus.py tests/fuzz/corpus
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
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(SEEDS.items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print(f"{len(SEEDS)} seeds written to {out}")


if __name__ == "__main__":
    main()
