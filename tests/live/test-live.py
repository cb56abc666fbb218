#!/usr/bin/python3
"""Live mode as a guest agent, on this host: guestfsd -r serving client
after client on a unix socket, over TLS (PSK and X.509) on TCP, vsock when
the kernel can, socket activation, and the policy options (--read-only
walked over every procedure against proto/guestfsd.api, --allow-rpcs,
--block-rpcs).  The real libguestfs 1.48 (guestfish) reaches the daemon
through tools/guestfsd-hv's connector mode.  Prints TAP.

Each daemon runs in its own mount namespace with -r --sysroot over a
scratch tree, never the host's /.

Environment: GDTEST_BUILDDIR, GDTEST_SRCDIR.
"""

import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback

BUILD = os.environ.get("GDTEST_BUILDDIR") or os.path.join(os.path.dirname(__file__), "..", "..",
                                                          "build")
SRC = os.environ.get("GDTEST_SRCDIR") or os.path.join(os.path.dirname(__file__), "..", "..")
GUESTFSD = os.path.join(BUILD, "guestfsd", "guestfsd")
HV = os.path.join(BUILD, "tools", "guestfsd-hv")
APPLIANCE = os.path.join(BUILD, "tools", "appliance")
API = os.path.join(SRC, "proto", "guestfsd.api")

PROGRAM = 0x2000F5F5
LAUNCH_FLAG = 0xF5F55FF5
CANCEL_FLAG = 0xFFFFEEEE
VMADDR_CID_LOCAL = 1
EPERM_NAME = b"EPERM"
TIMEOUT = 30

_tests = []


def test(fn):
    _tests.append(fn)
    return fn


class Skip(Exception):
    pass


# ---- the procedure description --------------------------------------------

def procedures():
    """{name: (nr, read_only)} from proto/guestfsd.api; FILEIN gets the
    procedures that take an upload."""
    out = {}
    with open(API) as f:
        for line in f:
            m = re.match(r"^([A-Za-z0-9_]+) ([0-9]+) \(.*\) -> \S+(?:\s*\[([^\]]*)\])?\s*$", line)
            if m:
                flags = (m.group(3) or "").split()
                out[m.group(1)] = (int(m.group(2)), "ro" in flags)
                if "(FileIn " in line:
                    FILEIN.add(m.group(1))
    return out


FILEIN = set()


PROCS = procedures()


# ---- a raw protocol client ------------------------------------------------

def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        part = sock.recv(n - len(buf))
        if not part:
            raise EOFError(f"channel closed after {len(buf)} of {n} bytes")
        buf += part
    return buf


def xdr_string(s):
    b = s.encode()
    return struct.pack(">I", len(b)) + b + b"\0" * (-len(b) % 4)


def call(sock, name, args=b"", serial=1, optargs=0):
    """(ok, errno name, message or return body)"""
    nr = PROCS[name][0]
    hdr = struct.pack(">IIIIIQQI", PROGRAM, 4, nr, 0, serial, 0, optargs, 0) + args
    msg = struct.pack(">I", len(hdr)) + hdr
    if name in FILEIN:
        # The upload's end chunk: the daemon drains it even when it refuses.
        msg += struct.pack(">III", 8, 0, 0)
    sock.sendall(msg)
    n = struct.unpack(">I", recv_exact(sock, 4))[0]
    while n == CANCEL_FLAG:
        n = struct.unpack(">I", recv_exact(sock, 4))[0]
    body = recv_exact(sock, n)
    status = struct.unpack(">I", body[36:40])[0]
    if status == 0:
        return True, None, body[40:]
    rest = body[40:]
    ln = struct.unpack(">I", rest[:4])[0]
    errname = rest[4:4 + ln]
    rest = rest[4 + ln + (-ln % 4):]
    ln = struct.unpack(">I", rest[:4])[0]
    return False, errname, rest[4:4 + ln].decode()


def connect_unix(path, proc):
    deadline = time.monotonic() + TIMEOUT
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(TIMEOUT)
        try:
            s.connect(path)
            break
        except (FileNotFoundError, ConnectionRefusedError):
            s.close()
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"daemon never listened: {proc.communicate()}")
            time.sleep(0.05)
    assert struct.unpack(">I", recv_exact(s, 4))[0] == LAUNCH_FLAG
    return s


class Daemon:
    """guestfsd -r over a scratch tree in its own mount namespace."""

    def __init__(self, channel_args, extra=(), root=None):
        self.tmp = tempfile.mkdtemp(prefix="gdt-live-")
        self.root = root or os.path.join(self.tmp, "root")
        os.makedirs(self.root, exist_ok=True)
        with open(os.path.join(self.root, "hello.txt"), "w") as f:
            f.write("hello from the guest\n")
        self.sock = os.path.join(self.tmp, "sock")
        args = [a.replace("@SOCK@", self.sock) for a in channel_args]
        self.errpath = os.path.join(self.tmp, "stderr")
        self.err = open(self.errpath, "w")
        self.p = subprocess.Popen(
            ["unshare", "-m", "--propagation", "private", GUESTFSD, "-r", "--sysroot", self.root]
            + args + list(extra), stdout=subprocess.DEVNULL, stderr=self.err)

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        rc = self.p.wait(timeout=TIMEOUT)
        self.err.close()
        with open(self.errpath) as f:
            self.stderr = f.read()
        return rc

    def cleanup(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()


def guestfish(address, script, env_extra=None):
    env = dict(os.environ, LIBGUESTFS_BACKEND="direct", LIBGUESTFS_HV=HV,
               LIBGUESTFS_PATH=APPLIANCE, GUESTFSD_HV_CONNECT=address)
    env.update(env_extra or {})
    return subprocess.run(["guestfish", "--format=raw", "-a", "/dev/null", "--"] + script,
                          capture_output=True, text=True, timeout=120, env=env)


def three_guestfish_clients(d, address, env_extra=None):
    for i in range(1, 4):
        r = guestfish(address, ["run", ":", "cat", "/hello.txt", ":", "write", f"/client{i}",
                                f"client {i}", ":", "ls", "/"], env_extra)
        assert r.returncode == 0, (i, r.stderr)
        assert "hello from the guest" in r.stdout, r.stdout
        names = r.stdout.split()
        for j in range(1, i + 1):
            assert f"client{j}" in names, (i, names)
    for i in range(1, 4):
        with open(os.path.join(d.root, f"client{i}")) as f:
            assert f.read() == f"client {i}"


# ---- multi-client ---------------------------------------------------------

@test
def unix_three_guestfish_clients():
    """One daemon, three guestfish sessions in a row, socket gone at exit."""
    with Daemon(["-l", "-c", "unix:@SOCK@"]) as d:
        connect_unix(d.sock, d.p).close()
        mode = os.stat(d.sock).st_mode & 0o777
        assert mode == 0o700, f"socket mode {mode:o}: other users could connect"
        three_guestfish_clients(d, "unix:" + d.sock)
        assert d.p.poll() is None, "daemon exited after its clients"
        assert d.stop() == 0, d.stderr
        assert not os.path.exists(d.sock), "listening socket left behind"
        assert d.stderr.count("client connected") == 4, d.stderr
        assert d.stderr.count("client disconnected") == 4, d.stderr


@test
def per_client_state_dropped():
    """umask and an inotify handle of one client are not the next one's."""
    with Daemon(["-l", "-c", "@SOCK@"]) as d:
        s = connect_unix(d.sock, d.p)
        ok, _, _ = call(s, "umask", struct.pack(">I", 0o077))
        assert ok
        ok, _, body = call(s, "get_umask")
        assert ok and struct.unpack(">I", body)[0] == 0o077, body
        ok, _, _ = call(s, "inotify_init", struct.pack(">I", 0))
        assert ok
        ok, _, _ = call(s, "inotify_add_watch", xdr_string("/") + struct.pack(">I", 0xfff))
        assert ok
        s.close()
        s = connect_unix(d.sock, d.p)
        ok, _, body = call(s, "get_umask")
        assert ok and struct.unpack(">I", body)[0] == 0o022, body
        ok, err, msg = call(s, "inotify_files")
        assert not ok, "inotify handle survived its client"
        s.close()
        assert d.stop() == 0, d.stderr


@test
def internal_exit_ends_only_the_client():
    with Daemon(["-l", "-c", "@SOCK@"]) as d:
        s = connect_unix(d.sock, d.p)
        ok, _, _ = call(s, "internal_exit")
        s.close()
        time.sleep(0.2)
        assert d.p.poll() is None, "a client stopped the agent"
        s = connect_unix(d.sock, d.p)
        assert call(s, "ping_daemon")[0]
        s.close()
        assert d.stop() == 0, d.stderr


@test
def without_r_one_client():
    """Without -r, --listen still serves one client (the appliance's way)."""
    tmp = tempfile.mkdtemp(prefix="gdt-live-")
    path = os.path.join(tmp, "sock")
    p = subprocess.Popen(["unshare", "-m", "--propagation", "private", GUESTFSD, "--sysroot",
                          tmp, "-l", "-c", path], stderr=subprocess.PIPE, text=True)
    s = connect_unix(path, p)
    assert call(s, "ping_daemon")[0]
    s.close()
    assert p.wait(timeout=TIMEOUT) == 0, p.stderr.read()
    shutil.rmtree(tmp)


@test
def socket_activation():
    """The listening socket inherited from systemd (LISTEN_FDS, LISTEN_PID),
    passed here by systemd's own systemd-socket-activate."""
    if shutil.which("systemd-socket-activate") is None:
        raise Skip("systemd-socket-activate not installed")
    tmp = tempfile.mkdtemp(prefix="gdt-live-")
    path = os.path.join(tmp, "sock")
    p = subprocess.Popen(["unshare", "-m", "--propagation", "private",
                          "systemd-socket-activate", "-l", path, GUESTFSD, "-r", "--sysroot", tmp],
                         stderr=subprocess.PIPE, text=True)
    for i in range(2):
        s = connect_unix(path, p)
        assert call(s, "ping_daemon")[0]
        s.close()
    p.send_signal(signal.SIGTERM)
    err = p.communicate(timeout=TIMEOUT)[1]
    assert p.returncode == 0, err
    assert err.count("client connected") == 2, err
    shutil.rmtree(tmp)


# ---- policy ---------------------------------------------------------------

def refused(r, policy):
    ok, err, msg = r
    return not ok and err == EPERM_NAME and policy in msg


@test
def read_only_walks_every_procedure():
    """Each of the procedures is refused under --read-only exactly when the
    description lacks "ro".  Requests carry an impossible optargs bitmask, so
    a procedure that passes the policy fails validation and never runs."""
    assert len(PROCS) == 496, len(PROCS)
    with Daemon(["-l", "-c", "@SOCK@"], ["--read-only"]) as d:
        s = connect_unix(d.sock, d.p)
        wrong = []
        n_refused = 0
        for name, (nr, ro) in sorted(PROCS.items(), key=lambda kv: kv[1][0]):
            r = call(s, name, optargs=1 << 63)
            got = refused(r, "--read-only")
            n_refused += got
            if got == ro:
                wrong.append((name, ro, r))
        s.close()
        assert not wrong, f"{len(wrong)} mismatches: {wrong[:5]}"
        n_ro = sum(ro for _, ro in PROCS.values())
        assert n_refused == 496 - n_ro, n_refused
        print(f"# --read-only: {n_ro} procedures served, {n_refused} refused")
        assert d.stop() == 0
        assert "refused write_file" in d.stderr or "refused touch" in d.stderr, d.stderr
        assert "(--read-only)" in d.stderr


@test
def read_only_through_guestfish():
    with Daemon(["-l", "-c", "@SOCK@"], ["--read-only"]) as d:
        r = guestfish("unix:" + d.sock, ["run", ":", "cat", "/hello.txt", ":", "-write",
                                         "/x", "y", ":", "-rm", "/hello.txt"])
        assert r.returncode == 0, r.stderr
        assert "hello from the guest" in r.stdout
        assert "refused by the daemon's policy --read-only" in r.stderr, r.stderr
        assert os.path.exists(os.path.join(d.root, "hello.txt"))
        assert not os.path.exists(os.path.join(d.root, "x"))
        d.stop()
        assert "refused internal_write from" in d.stderr, d.stderr


@test
def allow_list():
    with Daemon(["-l", "-c", "@SOCK@"], ["--allow-rpcs=download,@inotify",
                                         "--allow-rpcs", "is_file"]) as d:
        s = connect_unix(d.sock, d.p)
        ok, _, body = call(s, "is_file", xdr_string("/hello.txt") + b"\0" * 4)
        assert ok and body == struct.pack(">I", 1), body
        assert call(s, "ping_daemon")[0], "session procedures are always allowed"
        assert not refused(call(s, "inotify_init", optargs=1 << 63), "--allow-rpcs")
        assert refused(call(s, "touch", xdr_string("/t")), "--allow-rpcs")
        assert refused(call(s, "is_dir", xdr_string("/")), "--allow-rpcs")
        s.close()
        d.stop()
        assert "refused touch" in d.stderr and "(--allow-rpcs)" in d.stderr, d.stderr


@test
def block_list():
    with Daemon(["-l", "-c", "@SOCK@"], ["--block-rpcs=touch,sh", "--allow-rpcs=touch,is_file",
                                         "--block-rpcs=@inotify"]) as d:
        s = connect_unix(d.sock, d.p)
        assert refused(call(s, "touch", xdr_string("/t")), "--block-rpcs"), "block wins"
        assert refused(call(s, "inotify_close"), "--block-rpcs")
        assert refused(call(s, "sh", xdr_string("true")), "--block-rpcs")
        assert call(s, "is_file", xdr_string("/hello.txt") + b"\0" * 4)[0]
        s.close()
        d.stop()
    assert not os.path.exists(os.path.join(d.root, "t"))


@test
def unknown_policy_name():
    r = subprocess.run([GUESTFSD, "-r", "--sysroot", "/nonexistent", "--block-rpcs=frobnicate",
                        "-c", "fd:0"], capture_output=True, text=True, timeout=TIMEOUT)
    assert r.returncode != 0
    assert "frobnicate" in r.stderr and "--block-rpcs" in r.stderr, r.stderr


# ---- TCP and TLS ----------------------------------------------------------

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_tcp(port, proc):
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("daemon never listened")
            time.sleep(0.05)


@test
def tcp_plaintext_refused():
    for args, why in ((["-c", "tcp:127.0.0.1:1"], "needs TLS"),
                      (["-c", "tcp:0.0.0.0:1", "--tcp-plaintext-loopback"], "loopback")):
        r = subprocess.run([GUESTFSD, "-r", "--sysroot", "/nonexistent"] + args,
                           capture_output=True, text=True, timeout=TIMEOUT)
        assert r.returncode != 0 and why in r.stderr, (args, r.stderr)


@test
def tcp_plaintext_loopback():
    port = free_port()
    with Daemon(["-c", f"tcp:127.0.0.1:{port}", "--tcp-plaintext-loopback"]) as d:
        wait_tcp(port, d.p)
        r = guestfish(f"tcp:127.0.0.1:{port}", ["run", ":", "cat", "/hello.txt"])
        assert r.returncode == 0 and "hello from the guest" in r.stdout, r.stderr
        assert d.stop() == 0


def need_certtool():
    for prog in ("certtool", "psktool"):
        if shutil.which(prog) is None:
            raise Skip(f"{prog} not installed (gnutls-bin)")


@test
def tls_psk_three_clients():
    need_certtool()
    tmp = tempfile.mkdtemp(prefix="gdt-live-psk-")
    psk = os.path.join(tmp, "keys.psk")
    subprocess.run(["psktool", "-u", "agent", "-p", psk], check=True, capture_output=True)
    wrong = os.path.join(tmp, "wrong.psk")
    subprocess.run(["psktool", "-u", "agent", "-p", wrong], check=True, capture_output=True)
    port = free_port()
    with Daemon(["-c", f"tcp:localhost:{port}"], ["--tls-psk", psk]) as d:
        wait_tcp(port, d.p)
        t0 = time.monotonic()
        three_guestfish_clients(d, f"tls:localhost:{port}", {"GUESTFSD_HV_TLS_PSK": psk})
        print(f"# three guestfish sessions over TLS-PSK: {time.monotonic() - t0:.2f} s")
        r = guestfish(f"tls:localhost:{port}", ["run"], {"GUESTFSD_HV_TLS_PSK": wrong})
        assert r.returncode != 0, "a wrong key was accepted"
        # A plaintext client gets no launch flag, just a closed connection.
        s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        s.sendall(b"\0\0\0\x28" + b"\0" * 40)
        try:
            assert s.recv(100) == b"", "plaintext was accepted on a TLS port"
        except ConnectionResetError:
            pass
        s.close()
        # Still serving after the failed handshakes.
        r = guestfish(f"tls:localhost:{port}", ["run", ":", "cat", "/hello.txt"],
                      {"GUESTFSD_HV_TLS_PSK": psk})
        assert r.returncode == 0, r.stderr
        assert d.stop() == 0
        assert "PSK identity agent" in d.stderr, d.stderr
        assert "TLS: handshake" in d.stderr, d.stderr
    shutil.rmtree(tmp)


def make_certs(tmp):
    def certtool(*args):
        subprocess.run(["certtool"] + list(args), check=True, capture_output=True)

    def template(name, text):
        path = os.path.join(tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    server, client, rogue = (os.path.join(tmp, d) for d in ("server", "client", "rogue"))
    for d in (server, client, rogue):
        os.mkdir(d)
    ca_key = os.path.join(tmp, "ca-key.pem")
    ca_cert = os.path.join(server, "ca-cert.pem")
    certtool("--generate-privkey", "--outfile", ca_key)
    certtool("--generate-self-signed", "--load-privkey", ca_key, "--outfile", ca_cert,
             "--template", template("ca.info", "cn = test CA\nca\ncert_signing_key\n"
                                    "expiration_days = 2\n"))
    shutil.copy(ca_cert, os.path.join(client, "ca-cert.pem"))
    shutil.copy(ca_cert, os.path.join(rogue, "ca-cert.pem"))
    certtool("--generate-privkey", "--outfile", os.path.join(server, "server-key.pem"))
    certtool("--generate-certificate", "--load-privkey", os.path.join(server, "server-key.pem"),
             "--load-ca-certificate", ca_cert, "--load-ca-privkey", ca_key,
             "--outfile", os.path.join(server, "server-cert.pem"),
             "--template", template("server.info", "cn = localhost\ndns_name = localhost\n"
                                    "ip_address = 127.0.0.1\ntls_www_server\nencryption_key\n"
                                    "signing_key\nexpiration_days = 2\n"))
    certtool("--generate-privkey", "--outfile", os.path.join(client, "client-key.pem"))
    certtool("--generate-certificate", "--load-privkey", os.path.join(client, "client-key.pem"),
             "--load-ca-certificate", ca_cert, "--load-ca-privkey", ca_key,
             "--outfile", os.path.join(client, "client-cert.pem"),
             "--template", template("client.info", "cn = test client\ntls_www_client\n"
                                    "encryption_key\nsigning_key\nexpiration_days = 2\n"))
    # A client with a self-signed certificate: not from our CA.
    certtool("--generate-privkey", "--outfile", os.path.join(rogue, "client-key.pem"))
    certtool("--generate-self-signed", "--load-privkey", os.path.join(rogue, "client-key.pem"),
             "--outfile", os.path.join(rogue, "client-cert.pem"),
             "--template", template("rogue.info", "cn = rogue\ntls_www_client\nsigning_key\n"
                                    "expiration_days = 2\n"))
    return server, client, rogue


@test
def tls_x509_client_certificates():
    need_certtool()
    tmp = tempfile.mkdtemp(prefix="gdt-live-x509-")
    server, client, rogue = make_certs(tmp)
    port = free_port()
    with Daemon(["-c", f"tcp:127.0.0.1:{port}"], ["--tls-certs", server]) as d:
        wait_tcp(port, d.p)
        for i in range(2):
            r = guestfish(f"tls:127.0.0.1:{port}", ["run", ":", "cat", "/hello.txt"],
                          {"GUESTFSD_HV_TLS_CERTS": client})
            assert r.returncode == 0 and "hello from the guest" in r.stdout, r.stderr
        r = guestfish(f"tls:127.0.0.1:{port}", ["run"], {"GUESTFSD_HV_TLS_CERTS": rogue})
        assert r.returncode != 0, "a certificate from another CA was accepted"
        os.unlink(os.path.join(rogue, "client-cert.pem"))
        r = guestfish(f"tls:127.0.0.1:{port}", ["run"], {"GUESTFSD_HV_TLS_CERTS": rogue})
        assert r.returncode != 0, "a client without a certificate was accepted"
        assert d.stop() == 0
        assert "certificate CN=test client" in d.stderr, d.stderr
    shutil.rmtree(tmp)


# ---- vsock ----------------------------------------------------------------

@test
def vsock():
    port = 20000 + os.getpid() % 10000
    with Daemon(["-c", f"vsock:{port}"]) as d:
        time.sleep(0.5)
        if d.p.poll() is not None:
            d.stop()
            raise Skip(f"cannot listen on vsock here: {d.stderr.strip()}")
        s = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
        s.settimeout(3)
        try:
            s.connect((VMADDR_CID_LOCAL, port))
        except OSError as e:
            d.stop()
            raise Skip("the daemon listens on vsock, but this kernel cannot connect to itself "
                       f"(no vsock_loopback and no /dev/vhost-vsock for a VM): {e}")
        assert struct.unpack(">I", recv_exact(s, 4))[0] == LAUNCH_FLAG
        assert call(s, "ping_daemon")[0]
        s.close()
        assert d.stop() == 0


def main():
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        print("1..0 # SKIP needs root and unshare (mount namespaces)")
        return 0
    if not os.access(GUESTFSD, os.X_OK):
        print(f"1..0 # SKIP {GUESTFSD} not built")
        return 0
    only = sys.argv[1:]
    tests = [t for t in _tests if not only or t.__name__ in only]
    print(f"1..{len(tests)}")
    failed = 0
    for i, fn in enumerate(tests, 1):
        t0 = time.monotonic()
        try:
            fn()
            print(f"ok {i} - {fn.__name__} ({time.monotonic() - t0:.1f} s)")
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
