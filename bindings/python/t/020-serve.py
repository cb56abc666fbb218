#!/usr/bin/python3
"""A daemon served from Python: serve_fd on one end of a socketpair in a
thread, raw requests on the other."""

import os
import shutil
import socket
import struct
import tempfile
import threading

from gdbind import (Guestfsd, LAUNCH_FLAG, PROC_ECHO_DAEMON, PROC_PING_DAEMON, ok,
                    recv_exact, recv_reply, request, xdr_strlist)

print("1..5")

tmp = tempfile.mkdtemp(prefix="gdt-py-")
d = Guestfsd.Daemon.new()
d.set_sysroot(tmp)
ours, theirs = socket.socketpair()
ours.settimeout(20)
result = {}


def serve():
    try:
        result["ret"] = d.serve_fd(theirs.fileno())
    except Exception as e:  # a GLib.Error
        result["error"] = e


t = threading.Thread(target=serve)
t.start()

(flag,) = struct.unpack(">I", recv_exact(ours, 4))
assert flag == LAUNCH_FLAG, hex(flag)
ok("launch flag")

ours.sendall(request(PROC_PING_DAEMON, 0x123400))
proc, serial, status, rest = recv_reply(ours)
assert (proc, serial, status, rest) == (PROC_PING_DAEMON, 0x123400, 0, b""), (proc, status)
ok("ping_daemon")

ours.sendall(request(PROC_ECHO_DAEMON, 0x123401, xdr_strlist(["hello", "from", "python"])))
proc, serial, status, rest = recv_reply(ours)
assert (proc, serial, status) == (PROC_ECHO_DAEMON, 0x123401, 0)
(n,) = struct.unpack(">I", rest[:4])
assert rest[4:4 + n] == b"hello from python", rest
ok("echo_daemon")

# An error reply: an unknown procedure.
ours.sendall(request(9999, 0x123402))
proc, serial, status, rest = recv_reply(ours)
assert (proc, serial, status) == (9999, 0x123402, 1)
(n,) = struct.unpack(">I", rest[:4])
assert rest[4:4 + n] == b"EINVAL", rest
ok("error reply")

ours.shutdown(socket.SHUT_WR)
t.join(20)
assert not t.is_alive(), "serve_fd did not return after the client closed"
assert result == {"ret": True}, result
ours.close()
theirs.close()
shutil.rmtree(tmp)
ok("serve_fd returns TRUE when the client closes")
