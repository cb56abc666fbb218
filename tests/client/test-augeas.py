#!/usr/bin/python3
"""Augeas procedures through the real library: editing, errors, the
handle's life (aug_close, umount, umount_all), and confinement (the
handle lives in a worker that loads and saves chrooted into the guest)."""

import errno
import os

import gdtest
from gdtest import test

HOSTS = b"127.0.0.1 localhost\n192.168.0.1 gw.example.org gw\n"
PASSWD = (b"root:x:0:0:root:/root:/bin/bash\n"
          b"bin:x:1:1:bin:/bin:/sbin/nologin\n"
          b"daemon:x:2:2:daemon:/sbin:/bin/csh\n")


def guest_etc(g):
    gdtest.mkfs_mount(g)
    g.mkdir("/etc")
    g.write("/etc/hosts", HOSTS)
    g.write("/etc/hostname", b"test.example.org\n")
    g.write("/etc/passwd", PASSWD)


@test
def test_read_edit_save():
    with gdtest.handle(disks=[100]) as g:
        guest_etc(g)
        g.aug_init("/", 0)
        assert g.aug_get("/files/etc/hostname/hostname") == "test.example.org"
        assert g.aug_match("/files/etc/hosts/*/ipaddr") == [
            "/files/etc/hosts/1/ipaddr", "/files/etc/hosts/2/ipaddr"]
        assert g.aug_ls("/files/etc/hosts/2") == [
            "/files/etc/hosts/2/alias", "/files/etc/hosts/2/canonical",
            "/files/etc/hosts/2/ipaddr"]
        assert g.aug_label("/files/etc/passwd/*[last()]") == "daemon"
        g.aug_set("/files/etc/hosts/2/ipaddr", "10.0.0.1")
        g.aug_insert("/files/etc/hosts/2/alias", "alias", False)
        g.aug_set("/files/etc/hosts/2/alias[2]", "gateway")
        assert g.aug_setm("/files/etc/passwd/*", "shell", "/bin/sh") == 3
        g.aug_save()
        assert g.cat("/etc/hosts") == (
            "127.0.0.1 localhost\n10.0.0.1 gw.example.org gw gateway\n")
        assert g.cat("/etc/passwd").count(":/bin/sh\n") == 3
        assert g.aug_rm("/files/etc/hosts/*/alias") == 2
        g.aug_mv("/files/etc/hosts/1", "/files/etc/hosts/3")
        assert g.aug_match("/files/etc/hosts/*") == [
            "/files/etc/hosts/2", "/files/etc/hosts/3"]
        g.aug_close()


@test
def test_vars_nodes_clear():
    with gdtest.handle(disks=[100]) as g:
        guest_etc(g)
        g.aug_init("/", 0)
        assert g.aug_defvar("h", "/files/etc/hosts/*") == 2
        assert g.aug_match("$h/canonical") == [
            "/files/etc/hosts/1/canonical", "/files/etc/hosts/2/canonical"]
        assert g.aug_defvar("h", None) == 0
        r = g.aug_defnode("n", "/files/etc/hosts/3/ipaddr", "10.1.1.1")
        assert r == {"i": 1, "b": 1}, r
        r = g.aug_defnode("n", "/files/etc/hosts/3/ipaddr", "10.2.2.2")
        assert r == {"i": 1, "b": 0}, r
        assert g.aug_get("$n") == "10.1.1.1"
        g.aug_clear("/files/etc/hosts/1/canonical")
        gdtest.expect_error(g, g.aug_get, "/files/etc/hosts/1/canonical", match="no value")
        g.aug_close()


@test
def test_transform_and_flags():
    with gdtest.handle(disks=[100]) as g:
        guest_etc(g)
        g.write("/etc/other-hosts", b"10.9.9.9 other\n")
        # AUG_NO_LOAD: nothing read until aug_load.
        g.aug_init("/", 32)
        assert g.aug_match("/files/etc/hosts") == []
        g.aug_transform("Hosts.lns", "/etc/other-hosts")
        g.aug_load()
        assert g.aug_get("/files/etc/other-hosts/1/canonical") == "other"
        g.aug_transform("Hosts.lns", "/etc/other-hosts", remove=True)
        g.aug_load()
        assert g.aug_match("/files/etc/other-hosts") == []
        # AUG_SAVE_NEWFILE: changes go to .augnew, with the umask applied.
        g.aug_init("/", 2)
        g.aug_set("/files/etc/hostname/hostname", "new.example.org")
        g.aug_save()
        assert g.cat("/etc/hostname") == "test.example.org\n"
        assert g.cat("/etc/hostname.augnew") == "new.example.org\n"
        # A file Augeas creates gets the connection's umask.
        g.aug_init("/", 0)
        g.aug_transform("Hostname.lns", "/etc/brandnew")
        g.aug_set("/files/etc/brandnew/hostname", "brand.example.org")
        g.umask(0o077)
        g.aug_save()
        assert g.cat("/etc/brandnew") == "brand.example.org\n"
        assert g.statns("/etc/brandnew")["st_mode"] & 0o777 == 0o600
        g.aug_close()


@test
def test_errors():
    with gdtest.handle(disks=[100]) as g:
        guest_etc(g)
        for fn, args in [(g.aug_get, ("/files",)), (g.aug_close, ()),
                         (g.aug_save, ()), (g.aug_match, ("/*",))]:
            gdtest.expect_error(g, fn, *args, match="aug_init first")
        gdtest.expect_error(g, g.aug_init, "/nonexistent", 0, errno=errno.ENOENT)
        gdtest.expect_error(g, g.aug_init, "/etc/hosts", 0, errno=errno.ENOTDIR)
        gdtest.expect_error(g, g.aug_init, "/", 1 << 20, errno=errno.EINVAL)
        gdtest.expect_error(g, g.aug_init, "/", -1, errno=errno.EINVAL)
        g.aug_init("/", 0)
        gdtest.expect_error(g, g.aug_get, "/files/etc/nothing", match="no matching node")
        gdtest.expect_error(g, g.aug_get, "/files/etc/hosts/*/ipaddr",
                            match="many|multiple")
        gdtest.expect_error(g, g.aug_label, "/files/nothing", match="no matching node")
        gdtest.expect_error(g, g.aug_ls, "/files/etc/", errno=errno.EINVAL)
        gdtest.expect_error(g, g.aug_match, "/files/etc[", match=".")
        gdtest.expect_error(g, g.aug_insert, "/files/etc/hosts/1", "a/b", True, match=".")
        # The handle survives errors.
        assert g.aug_get("/files/etc/hostname/hostname") == "test.example.org"
        # An unparsable file is reported under /augeas, not as an error.
        g.write("/etc/hosts", b"127.0.0.1\n")
        # Augeas reloads only files whose mtime changed: within the same
        # second as the first load it would not.
        g.utimens("/etc/hosts", 1000000000, 0, 1000000000, 0)
        g.aug_load()
        assert g.aug_match("/augeas/files/etc/hosts/error") != []
        g.aug_close()
        gdtest.expect_error(g, g.aug_close, match="aug_init first")


@test
def test_save_failure_names_the_file():
    with gdtest.handle(disks=[100]) as g:
        guest_etc(g)
        g.umount_all()
        g.mount_ro("/dev/sda1", "/")
        g.aug_init("/", 0)
        g.aug_set("/files/etc/hostname/hostname", "other.example.org")
        gdtest.expect_error(g, g.aug_save, match="/etc/hostname: Read-only file system")
        assert g.aug_get("/files/etc/hostname/hostname") == "other.example.org"


@test
def test_umount_all_closes_handle():
    with gdtest.handle(disks=[100]) as g:
        guest_etc(g)
        g.aug_init("/", 0)
        # The worker keeps the filesystem busy: umount_all drops it first.
        g.umount_all()
        assert g.mounts() == []
        gdtest.expect_error(g, g.aug_get, "/files/etc/hostname/hostname",
                            match="aug_init first")
        g.mount("/dev/sda1", "/")
        g.aug_init("/", 0)
        assert g.aug_get("/files/etc/hostname/hostname") == "test.example.org"
        # A new aug_init replaces the handle.
        g.write("/etc/hostname", b"second.example.org\n")
        g.aug_init("/", 0)
        assert g.aug_get("/files/etc/hostname/hostname") == "second.example.org"


@test
def test_umount_with_handle_open():
    # As with the original, an Augeas handle keeps no file open: "/" can
    # be unmounted under it (the worker is in the guest only to load and
    # save), and it saves into what is mounted then.
    with gdtest.handle(disks=[100]) as g:
        guest_etc(g)
        g.aug_init("/", 0)
        g.umount("/")
        assert g.mounts() == []
        assert g.aug_get("/files/etc/hostname/hostname") == "test.example.org"
        g.aug_set("/files/etc/hostname/hostname", "later.example.org")
        gdtest.expect_error(g, g.aug_save, match="mount")
        gdtest.expect_error(g, g.aug_load, match="mount")
        g.mount("/dev/sda1", "/")
        g.aug_save()
        assert g.cat("/etc/hostname") == "later.example.org\n"


def start_time(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[19])


@test
def test_worker_death():
    # The handle lives in a worker process, made by a template
    # process that loaded the lenses.  If the worker dies (a crash in
    # Augeas), the call says so, the daemon goes on, and aug_init works;
    # if the template dies, aug_init makes a new one.
    with gdtest.handle(disks=[100]) as g:
        guest_etc(g)
        before = set(gdtest.daemon_children())
        g.aug_init("/", 0)
        # The template loads the lenses (a second or so), then makes the
        # worker.
        new = sorted(set(gdtest.daemon_children()) - before, key=start_time)
        if len(new) != 2 or start_time(new[0]) == start_time(new[1]):
            gdtest.skip(f"cannot tell the Augeas worker and template among {new}")
        templates, workers = [new[0]], [new[1]]
        os.kill(workers[0], 9)
        gdtest.expect_error(g, g.aug_get, "/files/etc/hostname/hostname",
                            errno=errno.EIO, match="worker process died.*signal 9")
        gdtest.expect_error(g, g.aug_get, "/files/etc/hostname/hostname",
                            match="aug_init first")
        g.aug_init("/", 0)
        assert g.aug_get("/files/etc/hostname/hostname") == "test.example.org"
        os.kill(templates[0], 9)
        g.aug_init("/", 0)
        assert g.aug_get("/files/etc/hostname/hostname") == "test.example.org"
        # The killed processes were reaped: no zombies left.
        for pid in workers + templates:
            assert not os.path.exists(f"/proc/{pid}"), pid


@test
def test_confined_to_guest():
    # Guest symlinks with absolute targets name guest files, never the
    # host's: a host file at the same path is neither read nor written.
    with gdtest.tmpdir() as d, gdtest.handle(disks=[100]) as g:
        host_file = os.path.join(d, "hosts")
        with open(host_file, "wb") as f:
            f.write(b"10.6.6.6 host-secret\n")
        guest_etc(g)
        g.mkdir_p(d)
        g.write(d + "/hosts", b"10.1.2.3 guest-copy\n")
        g.rm("/etc/hosts")
        g.ln_s(host_file, "/etc/hosts")
        g.ln_s("../../../../" + d, "/etc/up")
        g.aug_init("/", 0)
        assert g.aug_get("/files/etc/hosts/1/canonical") == "guest-copy"
        g.aug_set("/files/etc/hosts/1/canonical", "changed")
        g.aug_save()
        with open(host_file, "rb") as f:
            assert f.read() == b"10.6.6.6 host-secret\n"
        assert "changed" in g.cat(d + "/hosts")
        # Rooted below / of the guest: still the guest's files.
        g.aug_init("/etc", 0)
        g.aug_close()


@test
def test_root_below_guest_root():
    with gdtest.handle(disks=[100]) as g:
        gdtest.mkfs_mount(g)
        g.mkdir_p("/chroot/etc")
        g.write("/chroot/etc/hostname", b"inner.example.org\n")
        g.aug_init("/chroot", 0)
        assert g.aug_get("/files/etc/hostname/hostname") == "inner.example.org"
        g.aug_close()


gdtest.main()
