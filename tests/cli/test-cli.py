#!/usr/bin/python3
"""CLI tests for the guestfsd executable: options, errors, channels and
exit codes.  Prints TAP.

The daemon runs in host mode (--sysroot on an empty temporary directory,
no drives) and, when we are root, in its own mount namespace.

Environment: GUESTFSD, the executable to test.
"""

import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback

GUESTFSD = os.environ.get("GUESTFSD") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "guestfsd", "guestfsd")

PROGRAM = 0x2000F5F5
LAUNCH_FLAG = 0xF5F55FF5
PROC_PING_DAEMON = 92
PROC_INTERNAL_EXIT = 414
TIMEOUT = 20

# Every documented option, long and short.
OPTIONS = [
    ("--channel", "-c"), ("--listen", "-l"), ("--network", "-n"), ("--live", "-r"),
    ("--verbose", "-v"), ("--sysroot", None), ("--drive", None), ("--drive-ro", None),
    ("--list-procedures", None), ("--version", "-V"), ("--help", "-?"),
    ("--read-only", None), ("--allow-rpcs", None), ("--block-rpcs", None),
    ("--tls-psk", None), ("--tls-certs", None), ("--tcp-plaintext-loopback", None),
]

_tests = []


def test(fn):
    _tests.append(fn)
    return fn


class Skip(Exception):
    pass


def wrap(argv):
    """Run the daemon in a private mount namespace when we can."""
    if os.geteuid() == 0:
        return ["unshare", "-m", "--propagation", "private"] + argv
    return argv


def run(args, **kw):
    return subprocess.run(wrap([GUESTFSD] + args), capture_output=True, text=True,
                          timeout=TIMEOUT, **kw)


def one_line(stderr):
    lines = stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {lines!r}"
    return lines[0]


def sysroot():
    return tempfile.mkdtemp(prefix="gdt-cli-")


# ---- a minimal client ---------------------------------------------------

def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        part = sock.recv(n - len(buf))
        if not part:
            raise EOFError(f"channel closed after {len(buf)} of {n} bytes")
        buf += part
    return buf


def request(proc, serial):
    hdr = struct.pack(">IIIiIQQi", PROGRAM, 4, proc, 0, serial, 0, 0, 0)
    return struct.pack(">I", len(hdr)) + hdr


def handshake(sock):
    (flag,) = struct.unpack(">I", recv_exact(sock, 4))
    assert flag == LAUNCH_FLAG, f"expected the launch flag, got {flag:#x}"


def call(sock, proc, serial):
    sock.sendall(request(proc, serial))
    (length,) = struct.unpack(">I", recv_exact(sock, 4))
    body = recv_exact(sock, length)
    prog, vers, rproc, direction, rserial, _, _, status = struct.unpack(">IIIiIQQi", body[:40])
    assert (prog, vers, rproc, direction, rserial) == (PROGRAM, 4, proc, 1, serial), body[:40]
    return status, body[40:]


def ping(sock, serial=0x123400):
    status, rest = call(sock, PROC_PING_DAEMON, serial)
    assert status == 0 and rest == b"", (status, rest)


# ---- options ------------------------------------------------------------

@test
def help_lists_every_option():
    for flag in ("--help", "-?"):
        r = run([flag])
        assert r.returncode == 0, r
        assert r.stderr == "", r.stderr
        for long, short in OPTIONS:
            assert re.search(re.escape(long) + r"\b", r.stdout), f"{long} missing from help"
            if short:
                assert short + "," in r.stdout, f"{short} missing from help"
        # The hidden test option stays hidden.
        assert "--test" not in r.stdout


@test
def version():
    for flag in ("--version", "-V"):
        r = run([flag])
        assert r.returncode == 0, r
        assert re.fullmatch(r"guestfsd \d+\.\d+\.\d+\n", r.stdout), r.stdout


@test
def list_procedures():
    r = run(["--list-procedures"])
    assert r.returncode == 0, r
    lines = r.stdout.splitlines()
    m = re.fullmatch(r"(\d+) of (\d+) procedures implemented", lines[-1])
    assert m, lines[-1]
    implemented, total = int(m.group(1)), int(m.group(2))
    body = lines[:-1]
    assert total == len(body), (total, len(body))
    assert implemented == sum(1 for line in body if line.endswith(" implemented"))
    names = []
    for line in body:
        name, state = line.split()
        assert state in ("implemented", "missing"), line
        names.append(name)
    assert len(set(names)) == len(names)
    for required in ("ping_daemon", "internal_exit", "echo_daemon"):
        assert f"{required} " in r.stdout
        assert re.search(rf"^{required} +implemented$", r.stdout, re.M), required


@test
def unknown_option():
    for arg in ("--bogus", "-Z"):
        r = run([arg])
        assert r.returncode == 1, r
        line = one_line(r.stderr)
        assert line.startswith("guestfsd: "), line
        assert arg in line and "--help" in line, line
        assert r.stdout == ""


@test
def option_missing_value():
    r = run(["--channel"])
    assert r.returncode == 1, r
    line = one_line(r.stderr)
    assert "--channel" in line, line


@test
def stray_argument():
    r = run(["--sysroot", "/tmp", "extra"])
    assert r.returncode == 1, r
    line = one_line(r.stderr)
    assert line == "guestfsd: unexpected argument 'extra' (try --help)", line


# ---- channels -----------------------------------------------------------

@test
def missing_channel_path():
    root = sysroot()
    path = os.path.join(root, "no", "such", "channel")
    r = run(["--sysroot", root, "-c", path])
    assert r.returncode != 0, r
    line = one_line(r.stderr)
    assert path in line and "No such file or directory" in line, line
    os.rmdir(root)


@test
def bad_channel_fd():
    root = sysroot()
    for spec in ("fd:99", "fd:", "fd:abc", "fd:-1", "fd:3x", "fd:99999999999"):
        r = run(["--sysroot", root, "--channel", spec])
        assert r.returncode != 0, (spec, r)
        line = one_line(r.stderr)
        assert f"{spec}: not an open file descriptor" in line, line
    os.rmdir(root)


def serve_socketpair(extra_args=()):
    root = sysroot()
    ours, theirs = socket.socketpair()
    fd = theirs.fileno()
    p = subprocess.Popen(wrap([GUESTFSD, "--sysroot", root, "--channel", f"fd:{fd}",
                               *extra_args]),
                         pass_fds=[fd], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    theirs.close()
    ours.settimeout(TIMEOUT)
    return root, ours, p


@test
def exit_0_when_client_closes():
    root, sock, p = serve_socketpair()
    handshake(sock)
    ping(sock)
    ping(sock, 0x123401)
    sock.close()
    out, err = p.communicate(timeout=TIMEOUT)
    assert p.returncode == 0, (p.returncode, err)
    assert err == "", err
    os.rmdir(root)


@test
def exit_0_after_internal_exit():
    root, sock, p = serve_socketpair()
    handshake(sock)
    status, rest = call(sock, PROC_INTERNAL_EXIT, 7)
    assert status == 0 and rest == b""
    out, err = p.communicate(timeout=TIMEOUT)
    assert p.returncode == 0, (p.returncode, err)
    sock.close()
    os.rmdir(root)


@test
def verbose_logs_requests():
    root, sock, p = serve_socketpair(["-v"])
    handshake(sock)
    ping(sock)
    sock.close()
    out, err = p.communicate(timeout=TIMEOUT)
    assert p.returncode == 0, (p.returncode, err)
    assert "ping_daemon" in err, err
    os.rmdir(root)


@test
def hangup_mid_message():
    """A client that goes away inside a message: non-zero exit, one line."""
    root, sock, p = serve_socketpair()
    handshake(sock)
    sock.sendall(struct.pack(">I", 100) + b"\0" * 10)
    sock.close()
    out, err = p.communicate(timeout=TIMEOUT)
    assert p.returncode != 0, p.returncode
    assert "closed in the middle of a message" in one_line(err), err
    os.rmdir(root)


def serve_one_ping(args, path):
    """guestfsd ARGS listening on PATH: one client, one ping, a clean exit."""
    p = subprocess.Popen(wrap([GUESTFSD] + args), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    sock = connect_when_ready(path, p)
    handshake(sock)
    ping(sock)
    sock.close()
    out, err = p.communicate(timeout=TIMEOUT)
    assert p.returncode == 0, (p.returncode, err)


def connect_when_ready(path, proc):
    deadline = time.monotonic() + TIMEOUT
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(TIMEOUT)
        try:
            s.connect(path)
            return s
        except (FileNotFoundError, ConnectionRefusedError):
            s.close()
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"daemon never listened: {proc.communicate()}")
            time.sleep(0.05)


@test
def listen_replaces_stale_socket():
    root = sysroot()
    path = os.path.join(root, "..", os.path.basename(root) + ".sock")
    path = os.path.normpath(path)
    # A socket file left behind by an earlier run: bound, never unlinked.
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(path)
    stale.close()
    assert os.path.exists(path)
    for listen_flag in ("--listen",):
        p = subprocess.Popen(wrap([GUESTFSD, "--sysroot", root, listen_flag, "-c", path]),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        sock = connect_when_ready(path, p)
        handshake(sock)
        ping(sock)
        # One connection only: the socket file is gone once it is accepted.
        assert not os.path.exists(path), "listening socket left behind"
        sock.close()
        out, err = p.communicate(timeout=TIMEOUT)
        assert p.returncode == 0, (p.returncode, err)
    os.rmdir(root)


@test
def listen_short_option():
    root = sysroot()
    path = root + ".sock"
    serve_one_ping(["--sysroot", root, "-l", "-c", path], path)
    os.rmdir(root)


@test
def listen_refuses_to_replace_a_file():
    """Only a stale socket is replaced, never some other file."""
    root = sysroot()
    path = root + ".notasocket"
    with open(path, "w") as f:
        f.write("keep me\n")
    r = run(["--sysroot", root, "-l", "-c", path])
    assert r.returncode != 0, r
    line = one_line(r.stderr)
    assert path in line, line
    with open(path) as f:
        assert f.read() == "keep me\n"
    os.unlink(path)
    os.rmdir(root)


@test
def listen_path_too_long():
    root = sysroot()
    path = "/tmp/" + "x" * 200
    r = run(["--sysroot", root, "-l", "-c", path])
    assert r.returncode != 0, r
    assert "too long" in one_line(r.stderr), r.stderr
    os.rmdir(root)


@test
def bad_drive():
    root = sysroot()
    missing = os.path.join(root, "missing.img")
    r = run(["--sysroot", root, "--drive", missing, "-c", "fd:0"])
    assert r.returncode != 0, r
    line = one_line(r.stderr)
    assert missing in line, line
    r = run(["--sysroot", root, "--drive-ro", root, "-c", "fd:0"])
    assert r.returncode != 0, r
    assert "not a regular file or block device" in one_line(r.stderr), r.stderr
    os.rmdir(root)


@test
def paths_through_symlinks():
    """Host mode's jail shows the sysroot, the drives and the socket's
    directory at their canonical paths only: the daemon uses those."""
    if os.geteuid() != 0:
        raise Skip("needs root (loop devices, the jail)")
    d = tempfile.mkdtemp(prefix="gdt-cli-links-")
    try:
        os.mkdir(os.path.join(d, "real"))
        os.mkdir(os.path.join(d, "real", "sysroot"))
        img = os.path.join(d, "real", "disk.img")
        with open(img, "wb") as f:
            f.truncate(1 << 20)
        os.symlink("real", os.path.join(d, "link"))
        link = os.path.join(d, "link")
        path = os.path.join(link, "sock")
        serve_one_ping(["--sysroot", os.path.join(link, "sysroot"),
                        "--drive", os.path.join(link, "disk.img"), "-l", "-c", path], path)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def main():
    if not os.access(GUESTFSD, os.X_OK):
        print(f"1..0 # SKIP {GUESTFSD} not built")
        return 0
    print(f"1..{len(_tests)}")
    failed = 0
    for i, fn in enumerate(_tests, 1):
        try:
            fn()
            print(f"ok {i} - {fn.__name__}")
        except Skip as e:
            print(f"ok {i} - {fn.__name__} # SKIP {e}")
        except Exception:
            failed += 1
            print(f"not ok {i} - {fn.__name__}")
            for line in traceback.format_exc().splitlines():
                print("# " + line)
        sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
