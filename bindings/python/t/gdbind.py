"""Shared helpers for the Python (PyGObject) binding tests: loading the
typelib from the build directory and a few raw protocol messages."""

import os
import struct
import sys

import gi

gi.require_version("Guestfsd", "0")
from gi.repository import GLib, Guestfsd  # noqa: E402

PROGRAM = 0x2000F5F5
LAUNCH_FLAG = 0xF5F55FF5
PROC_PING_DAEMON = 92
PROC_ECHO_DAEMON = 195
HEADER = ">IIIiIQQi"

__all__ = ["GLib", "Guestfsd", "request", "recv_exact", "recv_reply", "xdr_string",
           "xdr_strlist", "ok", "PROGRAM", "LAUNCH_FLAG", "PROC_PING_DAEMON",
           "PROC_ECHO_DAEMON"]


def xdr_string(s):
    b = s.encode()
    return struct.pack(">I", len(b)) + b + b"\0" * (-len(b) % 4)


def xdr_strlist(items):
    return struct.pack(">I", len(items)) + b"".join(xdr_string(s) for s in items)


def request(proc, serial, args=b""):
    body = struct.pack(HEADER, PROGRAM, 4, proc, 0, serial, 0, 0, 0) + args
    return struct.pack(">I", len(body)) + body


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        part = sock.recv(n - len(buf))
        if not part:
            raise EOFError(f"channel closed after {len(buf)} of {n} bytes")
        buf += part
    return buf


def recv_reply(sock):
    """Returns (proc, serial, status, rest of the body)."""
    (length,) = struct.unpack(">I", recv_exact(sock, 4))
    body = recv_exact(sock, length)
    prog, vers, proc, direction, serial, hint, optargs, status = struct.unpack(HEADER, body[:40])
    assert (prog, vers, direction, hint, optargs) == (PROGRAM, 4, 1, 0, 0), body[:40]
    return proc, serial, status, body[40:]


_n = [0]


def ok(name):
    _n[0] += 1
    print(f"ok {_n[0]} - {name}")
    sys.stdout.flush()
