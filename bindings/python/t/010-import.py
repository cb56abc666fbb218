#!/usr/bin/python3
"""The typelib loads, and the plain API answers from Python."""

import os

from gdbind import GLib, Guestfsd, ok

print("1..6")

version = Guestfsd.version_string()
assert version == os.environ.get("GDTEST_VERSION", version), version
assert version == f"{Guestfsd.MAJOR_VERSION}.{Guestfsd.MINOR_VERSION}.{Guestfsd.MICRO_VERSION}"
assert Guestfsd.PROTOCOL_VERSION == 4
assert Guestfsd.DEFAULT_SYSROOT == "/sysroot"
assert Guestfsd.DEFAULT_CHANNEL == "/dev/virtio-ports/org.libguestfs.channel.0"
ok("version and constants")

d = Guestfsd.Daemon.new()
assert isinstance(d, Guestfsd.Daemon)
assert d.get_sysroot() == "/sysroot" == d.props.sysroot
assert not d.get_live() and not d.get_verbose() and not d.get_network()
assert d.get_drives() == []
ok("defaults")

d.set_live(True)
assert d.get_sysroot() == "/"
d.props.verbose = True
d.props.network = True
assert d.get_verbose() and d.get_network() and d.props.live
d.set_sysroot("/tmp")
assert d.props.sysroot == "/tmp"
d.set_sysroot(None)
assert d.get_sysroot() == "/"
ok("properties")

notified = []
d.connect("notify::sysroot", lambda obj, pspec: notified.append(pspec.name))
d.props.sysroot = "/srv"
assert notified == ["sysroot"], notified
ok("notify")

all_procs = Guestfsd.list_procedures(False)
implemented = Guestfsd.list_procedures(True)
assert len(all_procs) > 400, len(all_procs)
assert set(implemented) <= set(all_procs)
assert "ping_daemon" in implemented and "echo_daemon" in implemented
assert all_procs[0] == "mount"
ok("list_procedures")

assert Guestfsd.error_quark() == GLib.quark_from_string("guestfsd-error-quark")
assert int(Guestfsd.Error.CHANNEL) == 2 and int(Guestfsd.Error.DRIVE) == 5
ok("error enum")
