#!/usr/bin/python3
"""Errors reach Python as GLib.Error in the guestfsd-error-quark domain;
out parameters come back as a tuple."""

import os
import tempfile

from gdbind import GLib, Guestfsd, ok

print("1..6")

tmp = tempfile.mkdtemp(prefix="gdt-py-")
d = Guestfsd.Daemon.new()
d.set_sysroot(tmp)


def expect_error(fn, code, *substrings):
    try:
        fn()
    except GLib.Error as e:
        assert e.domain == "guestfsd-error-quark", e.domain
        assert e.matches(Guestfsd.error_quark(), code), (e.code, e.message)
        for s in substrings:
            assert s in e.message, (s, e.message)
        return e
    raise AssertionError("no GLib.Error raised")


missing = os.path.join(tmp, "no", "such", "channel")
expect_error(lambda: d.serve_channel(missing, False), Guestfsd.Error.CHANNEL, missing,
             "No such file or directory")
ok("serve_channel on a missing path")

expect_error(lambda: d.serve_channel("fd:9999", False), Guestfsd.Error.CHANNEL,
             "fd:9999: not an open file descriptor")
ok("serve_channel on a closed fd")

expect_error(lambda: d.add_drive(os.path.join(tmp, "missing.img"), False),
             Guestfsd.Error.DRIVE, "missing.img")
expect_error(lambda: d.add_drive(tmp, True), Guestfsd.Error.DRIVE,
             "not a regular file or block device")
assert d.get_drives() == []
ok("add_drive errors")

# The read end of a pipe cannot carry the launch flag.
r, w = os.pipe()
expect_error(lambda: d.serve_fd(r), Guestfsd.Error.IO, "write to channel")
os.close(r)
os.close(w)
ok("serve_fd on an fd that cannot be written")

found, verbose, network, channel = Guestfsd.parse_kernel_cmdline(
    "BOOT_IMAGE=/vmlinuz guestfs_verbose=1 guestfs_channel=/dev/vport1p1 quiet\n")
assert (found, verbose, network, channel) == (True, True, False, "/dev/vport1p1")
found, verbose, network, channel = Guestfsd.parse_kernel_cmdline("root=/dev/sda guestfs_network=1")
assert (found, verbose, network, channel) == (True, False, True, None)
ok("parse_kernel_cmdline out parameters")

assert Guestfsd.parse_kernel_cmdline("") == (False, False, False, None)
os.rmdir(tmp)
ok("parse_kernel_cmdline with nothing")
