#!/usr/bin/python3
"""The systemd journal, Yara, SELinux, rsync, grub_install and modprobe
through the real library, with their error paths and confinement."""

import errno
import os
import shutil
import socket
import subprocess
import time

import guestfs

import gdtest
from gdtest import skip, test

JOURNAL_REMOTE = "/lib/systemd/systemd-journal-remote"
BOOT_ID = "0123456789abcdef0123456789abcdef"
MACHINE_ID = "fedcba9876543210fedcba9876543210"


def make_journal(path, messages):
    """A journal file with one entry per message (export format in)."""
    if not os.path.exists(JOURNAL_REMOTE):
        skip("systemd-journal-remote (Debian systemd-journal-remote) is not installed")
    lines = []
    for i, msg in enumerate(messages):
        lines += [f"__REALTIME_TIMESTAMP={1700000000000000 + i * 1000000}",
                  f"__MONOTONIC_TIMESTAMP={1000 + i}", f"_BOOT_ID={BOOT_ID}",
                  f"MESSAGE={msg}", f"PRIORITY={i % 8}", ""]
    subprocess.run([JOURNAL_REMOTE, "-o", path, "-"], check=True,
                   input=("\n".join(lines) + "\n").encode(), capture_output=True)


# ---- journal -----------------------------------------------------------------

@test
def test_journal_read():
    with gdtest.tmpdir() as d, gdtest.handle(disks=[100]) as g:
        make_journal(os.path.join(d, "system.journal"), ["one", "two", "three"])
        gdtest.mkfs_mount(g)
        jdir = "/var/log/journal/" + MACHINE_ID
        g.mkdir_p(jdir)
        g.upload(os.path.join(d, "system.journal"), jdir + "/system.journal")
        g.journal_open("/var/log/journal")
        assert g.journal_get_data_threshold() == 65536
        seen = []
        while g.journal_next():
            fields = {f["attrname"]: f["attrval"] for f in g.journal_get()}
            seen.append((g.journal_get_realtime_usec(), fields[b"MESSAGE"]
                         if b"MESSAGE" in fields else fields["MESSAGE"]))
        assert seen == [(1700000000000000, b"one"), (1700000001000000, b"two"),
                        (1700000002000000, b"three")], seen
        # At the end: back two entries, then forward past the end.
        assert g.journal_skip(-2) == 2
        fields = {f["attrname"]: f["attrval"] for f in g.journal_get()}
        assert fields["MESSAGE"] == b"one"
        assert g.journal_skip(10) == 2
        assert not g.journal_next()
        g.journal_set_data_threshold(0)
        assert g.journal_get_data_threshold() == 0
        g.journal_close()
        # The library's own wrapper on the file itself.
        g.journal_open(jdir)
        assert g.journal_next()
        g.journal_close()


@test
def test_journal_compressed_field():
    # journal-remote compresses large fields (zstd): the chrooted worker
    # decompresses them with libraries loaded before the chroot.
    with gdtest.tmpdir() as d, gdtest.handle(disks=[100]) as g:
        big = "x" * 3000 + "END"
        make_journal(os.path.join(d, "system.journal"), [big])
        gdtest.mkfs_mount(g)
        g.mkdir("/j")
        g.upload(os.path.join(d, "system.journal"), "/j/system.journal")
        g.journal_open("/j")
        assert g.journal_next()
        g.journal_set_data_threshold(0)
        fields = {f["attrname"]: f["attrval"] for f in g.journal_get()}
        assert fields["MESSAGE"] == big.encode()
        g.journal_close()


@test
def test_journal_errors():
    with gdtest.handle(disks=[100]) as g:
        gdtest.mkfs_mount(g)
        for fn, args in [(g.journal_next, ()), (g.journal_close, ()),
                         (g.journal_get, ()), (g.journal_skip, (1,)),
                         (g.journal_get_data_threshold, ())]:
            gdtest.expect_error(g, fn, *args, match="journal_open first")
        gdtest.expect_error(g, g.journal_open, "/nonexistent", errno=errno.ENOENT)
        g.write("/file", b"x")
        gdtest.expect_error(g, g.journal_open, "/file", errno=errno.ENOTDIR)
        g.mkdir("/empty")
        g.journal_open("/empty")
        assert not g.journal_next()
        gdtest.expect_error(g, g.journal_set_data_threshold, -1, errno=errno.EINVAL)
        # No current entry.
        gdtest.expect_error(g, g.journal_get_realtime_usec, match=".")
        g.journal_close()


@test
def test_journal_confined_and_umount_all():
    # A journal file that is a symlink to a host path: the guest has no
    # such file, so the journal is empty (the host's file is never read).
    with gdtest.tmpdir() as d, gdtest.handle(disks=[100]) as g:
        make_journal(os.path.join(d, "system.journal"), ["host secret"])
        gdtest.mkfs_mount(g)
        g.mkdir("/j")
        g.ln_s(os.path.join(d, "system.journal"), "/j/system.journal")
        g.journal_open("/j")
        assert not g.journal_next()
        g.umount_all()
        assert g.mounts() == []
        gdtest.expect_error(g, g.journal_next, match="journal_open first")


# ---- yara --------------------------------------------------------------------

RULES = b"""
rule Evil { strings: $a = "evil" condition: $a }
rule Bytes { strings: $b = { 00 ff 00 ff } condition: $b }
rule Never { condition: false }
"""


@test
def test_yara_scan():
    with gdtest.tmpdir() as d, gdtest.handle(disks=[100]) as g:
        assert g.feature_available(["libyara"])
        rules = os.path.join(d, "rules.yar")
        with open(rules, "wb") as f:
            f.write(RULES)
        gdtest.mkfs_mount(g)
        g.write("/evil", b"an evil string")
        g.write("/both", b"evil \x00\xff\x00\xff")
        g.write("/clean", b"nothing here")
        g.yara_load(rules)
        assert [(x["yara_name"], x["yara_rule"]) for x in g.yara_scan("/evil")] == [
            ("/evil", "Evil")]
        assert sorted(x["yara_rule"] for x in g.yara_scan("/both")) == ["Bytes", "Evil"]
        # No match: the daemon streams nothing, which the 1.48 library's
        # reader takes for a truncated stream (it wants at least one
        # record); either answer means "no detection".
        try:
            assert g.yara_scan("/clean") == []
        except RuntimeError as e:
            assert "deserialise_yara_detection_list" in str(e), e
        g.ping_daemon()
        g.yara_destroy()
        gdtest.expect_error(g, g.yara_scan, "/evil", match="yara_load first")
        yarac = shutil.which("yarac")
        if yarac:
            compiled = os.path.join(d, "rules.yarc")
            subprocess.run([yarac, rules, compiled], check=True)
            g.yara_load(compiled)
            assert [x["yara_rule"] for x in g.yara_scan("/evil")] == ["Evil"]


@test
def test_yara_errors():
    with gdtest.tmpdir() as d, gdtest.handle(disks=[100]) as g:
        gdtest.mkfs_mount(g)
        g.write("/f", b"evil")
        gdtest.expect_error(g, g.yara_scan, "/f", match="yara_load first")

        def load(text):
            p = os.path.join(d, "r.yar")
            with open(p, "wb") as f:
                f.write(text)
            g.yara_load(p)

        gdtest.expect_error(g, load, b"rule X { condition: $nothing }", errno=errno.EINVAL,
                            match="line 1")
        # Includes would be read on the host: refused.
        gdtest.expect_error(g, load, b'include "/etc/passwd"\nrule X { condition: true }',
                            errno=errno.EINVAL, match="include")
        gdtest.expect_error(g, load, b"YARA\x00garbage", errno=errno.EINVAL)
        gdtest.expect_error(g, load, b"rule A { condition: true }\x00\x01", errno=errno.EINVAL)
        load(RULES)
        gdtest.expect_error(g, g.yara_scan, "/nonexistent", errno=errno.ENOENT)
        g.mkdir("/dir")
        gdtest.expect_error(g, g.yara_scan, "/dir", errno=errno.EISDIR)
        # A symlink to a host file names the guest's file of that path.
        host_file = os.path.join(d, "secret")
        with open(host_file, "wb") as f:
            f.write(b"evil on the host")
        g.ln_s(host_file, "/link")
        gdtest.expect_error(g, g.yara_scan, "/link", errno=errno.ENOENT)
        assert [x["yara_rule"] for x in g.yara_scan("/f")] == ["Evil"]


# ---- selinux -----------------------------------------------------------------

FILE_CONTEXTS = b"""/.*            system_u:object_r:default_t:s0
/etc(/.*)?      system_u:object_r:etc_t:s0
/etc/shadow --  system_u:object_r:shadow_t:s0
"""
SPEC = "/etc/selinux/targeted/contexts/files/file_contexts"


def label(g, path):
    for x in g.lgetxattrs(path):
        if x["attrname"] == "security.selinux":
            return x["attrval"].rstrip(b"\0").decode()
    return None


@test
def test_selinux_relabel():
    with gdtest.handle(disks=[100]) as g:
        if not g.feature_available(["selinuxrelabel"]):
            skip("selinuxrelabel is not available (setfiles, Debian policycoreutils)")
        gdtest.mkfs_mount(g)
        g.mkdir_p(os.path.dirname(SPEC))
        g.write(SPEC, FILE_CONTEXTS)
        g.write("/etc/shadow", b"x")
        g.mkdir("/data")
        g.write("/data/f", b"y")
        g.mkdir("/other")
        g.write("/other/g", b"z")
        g.ln_s("/data", "/link")
        g.selinux_relabel(SPEC, "/data")
        assert label(g, "/data/f") == "system_u:object_r:default_t:s0"
        assert label(g, "/other/g") is None
        assert label(g, "/etc/shadow") is None
        g.selinux_relabel(SPEC, "/", force=True)
        assert label(g, "/") == "system_u:object_r:default_t:s0"
        assert label(g, "/etc") == "system_u:object_r:etc_t:s0"
        assert label(g, "/etc/shadow") == "system_u:object_r:shadow_t:s0"
        assert label(g, "/other/g") == "system_u:object_r:default_t:s0"
        assert label(g, "/link") == "system_u:object_r:default_t:s0"


@test
def test_selinux_errors():
    with gdtest.tmpdir() as d, gdtest.handle(disks=[100]) as g:
        gdtest.mkfs_mount(g)
        g.mkdir("/data")
        gdtest.expect_error(g, g.selinux_relabel, "/no/spec", "/data", errno=errno.ENOENT)
        gdtest.expect_error(g, g.selinux_relabel, "relative", "/data", errno=errno.EINVAL)
        g.mkdir_p(os.path.dirname(SPEC))
        g.write(SPEC, FILE_CONTEXTS)
        gdtest.expect_error(g, g.selinux_relabel, SPEC, "/nonexistent", errno=errno.ENOENT)
        # The spec file is the guest's: a symlink to a host spec is the
        # guest's file of that path.
        host_spec = os.path.join(d, "file_contexts")
        with open(host_spec, "wb") as f:
            f.write(b"/.*  system_u:object_r:host_t:s0\n")
        g.ln_s(host_spec, "/spec-link")
        gdtest.expect_error(g, g.selinux_relabel, "/spec-link", "/data", errno=errno.ENOENT)
        # getcon/setcon act on the daemon itself: on a host without
        # SELinux they fail cleanly, and the daemon goes on.
        try:
            assert isinstance(g.getcon(), str)
        except RuntimeError:
            assert gdtest.last_errno(g) != 0
        gdtest.expect_error(g, g.setcon, "not a context")
        g.ping_daemon()


# ---- rsync -------------------------------------------------------------------

class RsyncDaemon:
    """An rsync daemon on loopback, serving module 'src' (read-only) and
    'dst' (writable), stopped when the test ends."""

    def __init__(self, d):
        self.src = os.path.join(d, "src")
        self.dst = os.path.join(d, "dst")
        os.makedirs(os.path.join(self.src, "sub"))
        os.makedirs(self.dst)
        with open(os.path.join(self.src, "a"), "w") as f:
            f.write("hi\n")
        with open(os.path.join(self.src, "sub", "b"), "w") as f:
            f.write("there\n")
        conf = os.path.join(d, "rsyncd.conf")
        with open(conf, "w") as f:
            f.write(f"use chroot = no\nuid = root\ngid = root\n"
                    f"[src]\npath = {self.src}\nread only = yes\n"
                    f"[dst]\npath = {self.dst}\nread only = no\n")
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self.proc = subprocess.Popen(
            ["rsync", "--daemon", "--no-detach", f"--config={conf}",
             f"--port={self.port}", "--address=127.0.0.1",
             f"--log-file={os.path.join(d, 'rsyncd.log')}"])
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)

    def url(self, module):
        return f"rsync://127.0.0.1:{self.port}/{module}/"

    def stop(self):
        self.proc.kill()
        self.proc.wait()


@test
def test_rsync():
    if not gdtest.have_program("rsync"):
        skip("rsync is not installed")
    with gdtest.tmpdir() as d:
        daemon = RsyncDaemon(d)
        try:
            g = guestfs.GuestFS(python_return_dict=True)
            with open(os.path.join(d, "disk.img"), "wb") as f:
                f.truncate(100 * gdtest.MiB)
            g.add_drive_opts(os.path.join(d, "disk.img"), format="raw")
            g.set_network(True)
            g.launch()
            try:
                gdtest.mkfs_mount(g)
                g.mkdir("/in")
                g.rsync_in(daemon.url("src"), "/in", archive=True)
                assert sorted(g.ls("/in")) == ["a", "sub"]
                assert g.cat("/in/sub/b") == "there\n"
                # Within the guest: without a trailing slash the directory
                # itself is copied; deletedest removes what src lacks.
                g.rsync("/in", "/copy", archive=True)
                assert g.ls("/copy") == ["in"]
                g.write("/copy/in/extra", b"x")
                g.rsync("/in/", "/copy/in", archive=True, deletedest=True)
                assert sorted(g.ls("/copy/in")) == ["a", "sub"]
                g.rsync_out("/in/", daemon.url("dst"), archive=True)
                assert sorted(os.listdir(daemon.dst)) == ["a", "sub"]
                # Guest symlinks resolve inside the guest.
                g.mkdir("/t")
                g.ln_s("/", "/t/up")
                g.rsync("/in/sub/", "/t/up", archive=True)
                assert g.cat("/b") == "there\n"
                g.ln_s(d, "/hostdir")
                gdtest.expect_error(g, g.rsync, "/hostdir/", "/x", errno=errno.ENOENT)
                # Only rsync servers in host mode.
                for bad in [daemon.src, "localhost:" + daemon.src]:
                    gdtest.expect_error(g, g.rsync_in, bad, "/in", errno=errno.EINVAL,
                                        match="rsync server")
                gdtest.expect_error(g, g.rsync_out, "/in", "--rsh=x", errno=errno.EINVAL)
                gdtest.expect_error(g, g.rsync_in, daemon.url("nothing"), "/in")
                g.ping_daemon()
            finally:
                g.shutdown()
                g.close()
        finally:
            daemon.stop()


@test
def test_rsync_needs_network():
    if not gdtest.have_program("rsync"):
        skip("rsync is not installed")
    with gdtest.handle(disks=[100]) as g:
        gdtest.mkfs_mount(g)
        gdtest.expect_error(g, g.rsync_in, "rsync://127.0.0.1:1/m/", "/",
                            errno=errno.ENETUNREACH)
        gdtest.expect_error(g, g.rsync_out, "/", "rsync://127.0.0.1:1/m/",
                            errno=errno.ENETUNREACH)


# ---- grub_install, modprobe -----------------------------------------------------

@test
def test_modprobe_refused():
    with gdtest.handle(disks=[10]) as g:
        # Unavailable (no /proc/modules), or refused in host mode: never
        # the host kernel.
        gdtest.expect_error(g, g.modprobe, "fat", match="not available|host")
        g.ping_daemon()


@test
def test_grub_install():
    with gdtest.handle(disks=[100]) as g:
        if not g.feature_available(["grub"]):
            skip("grub is not available (grub-install with the i386-pc modules, "
                 "Debian grub-pc-bin)")
        gdtest.mkfs_mount(g)
        g.mkdir_p("/boot/grub")
        g.ln_s("/etc/passwd", "/boot/grub/grubenv")
        gdtest.expect_error(g, g.grub_install, "/", "/dev/sda", errno=errno.ELOOP)
        g.rm("/boot/grub/grubenv")
        g.grub_install("/", "/dev/sda")
        assert g.is_file("/boot/grub/i386-pc/core.img")


gdtest.main()
