/* Unit tests: guest paths in a temporary sysroot.  gd_open_parent's
 * splitting (trailing slashes, ".", ".."), and the confinement of gd_open
 * and gd_open_parent: symlinks (absolute and relative) and ".." never
 * lead out of the sysroot.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "gd-engine.h"
#include "gdt-server.h"

static char *sysroot;

typedef struct
{
  GdConnection *conn;
  GdRequest req;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  GdConfig cfg = { .sysroot = sysroot };
  f->conn = gd_connection_new (&cfg, -1);
  memset (&f->req, 0, sizeof f->req);
  f->req.conn = f->conn;
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  gd_request_cleanup (&f->req);
  gd_connection_free (f->conn);
}

static char *
host (const char *rel)
{
  return g_build_filename (sysroot, rel, NULL);
}

/* fd and the host path are the same inode. */
static void
assert_same (int fd, const char *host_path)
{
  struct stat a, b;
  g_assert_cmpint (fstat (fd, &a), ==, 0);
  if (lstat (host_path, &b) < 0)
    g_error ("lstat %s: %s", host_path, g_strerror (errno));
  if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
    g_error ("fd is not %s", host_path);
}

static void
write_file (const char *rel, const char *content)
{
  g_autofree char *p = host (rel);
  g_autoptr (GError) error = NULL;
  g_file_set_contents (p, content, -1, &error);
  g_assert_no_error (error);
}

static void
make_link (const char *target, const char *rel)
{
  g_autofree char *p = host (rel);
  g_assert_cmpint (symlink (target, p), ==, 0);
}

static void
make_tree (void)
{
  const char *dirs[] = { "dir", "dir/sub", "etc", "deep/a/b/c" };
  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *p = host (dirs[i]);
      g_assert_cmpint (g_mkdir_with_parents (p, 0755), ==, 0);
    }
  write_file ("dir/file", "file");
  write_file ("etc/passwd", "guest passwd\n");
  make_link ("/etc", "abs-link");
  make_link ("../../../../../../../../etc", "rel-link");
  make_link ("..", "dir/up");
  make_link ("loop", "loop");
  make_link ("/dir/file", "file-link");
  make_link ("/../../../../etc/passwd", "dotdot-link");
  make_link ("../../../../../../../../../..", "deep/a/b/c/climb");
  make_link ("/proc/self/root/etc", "proc-link");
}

/* ---- gd_open ---------------------------------------------------------- */

static int
open_ok (Fixture *f, const char *path, int flags)
{
  g_autoptr (GError) error = NULL;
  int fd = gd_open (&f->req, path, flags, 0666, &error);
  if (fd < 0)
    g_error ("gd_open %s: %s", path, error->message);
  g_assert_no_error (error);
  return fd;
}

static void
open_fails (Fixture *f, const char *path, int flags, int errnum)
{
  g_autoptr (GError) error = NULL;
  int fd = gd_open (&f->req, path, flags, 0666, &error);
  g_assert_cmpint (fd, ==, -1);
  g_assert_error (error, GD_ERRNO_ERROR, errnum);
  /* Errors start with the guest path. */
  g_autofree char *prefix = g_strdup_printf ("%s: ", path);
  g_assert_true (g_str_has_prefix (error->message, prefix));
}

static void
check_opens (Fixture *f, const char *path, const char *host_rel)
{
  int fd = open_ok (f, path, O_RDONLY);
  g_autofree char *h = host (host_rel);
  assert_same (fd, h);
  char buf[64] = "";
  ssize_t n = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (g_str_has_suffix (host_rel, "passwd"))
    {
      g_assert_cmpint (n, >, 0);
      g_assert_cmpstr (buf, ==, "guest passwd\n");
    }
}

static void
test_open_plain (Fixture *f, gconstpointer data)
{
  check_opens (f, "/dir/file", "dir/file");
  check_opens (f, "dir/file", "dir/file");
  check_opens (f, "//dir///file", "dir/file");
  int fd = open_ok (f, "/", O_PATH | O_DIRECTORY);
  assert_same (fd, sysroot);
  close (fd);
  fd = open_ok (f, "", O_PATH | O_DIRECTORY);
  assert_same (fd, sysroot);
  close (fd);
  open_fails (f, "/missing", O_RDONLY, ENOENT);
  open_fails (f, "/dir/file/x", O_RDONLY, ENOTDIR);
  open_fails (f, "/loop", O_RDONLY, ELOOP);
  open_fails (f, "/dir", O_WRONLY, EISDIR);
}

static void
test_open_confined (Fixture *f, gconstpointer data)
{
  /* Each of these would reach the host's /etc/passwd outside a sysroot. */
  check_opens (f, "/abs-link/passwd", "etc/passwd");
  check_opens (f, "/rel-link/passwd", "etc/passwd");
  check_opens (f, "/dotdot-link", "etc/passwd");
  check_opens (f, "/../../../../etc/passwd", "etc/passwd");
  check_opens (f, "../../etc/passwd", "etc/passwd");
  check_opens (f, "/dir/../../etc/passwd", "etc/passwd");
  check_opens (f, "/dir/up/dir/file", "dir/file");
  check_opens (f, "/deep/a/b/c/climb/etc/passwd", "etc/passwd");
  check_opens (f, "/file-link", "dir/file");
  /* /proc is not in the guest. */
  open_fails (f, "/proc-link/passwd", O_RDONLY, ENOENT);
  int fd = open_ok (f, "/deep/a/b/c/climb", O_PATH | O_DIRECTORY);
  assert_same (fd, sysroot);
  close (fd);
}

/* Creating through a dangling absolute symlink creates inside the guest. */
static void
test_open_create_confined (Fixture *f, gconstpointer data)
{
  g_autofree char *name = g_strdup_printf ("gdt-confinement-%d-%u", getpid (), g_random_int ());
  g_autofree char *target = g_strconcat ("/", name, NULL);
  make_link (target, "dangling");
  int fd = open_ok (f, "/dangling", O_WRONLY | O_CREAT);
  close (fd);
  gboolean escaped = g_file_test (target, G_FILE_TEST_EXISTS);
  if (escaped)
    unlink (target);
  g_assert_false (escaped);
  g_autofree char *inside = host (name);
  g_assert_true (g_file_test (inside, G_FILE_TEST_IS_REGULAR));
  /* The connection's umask (022) applies to the mode. */
  struct stat st;
  g_assert_cmpint (stat (inside, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0644);
  gd_conn_set_umask (f->conn, 077);
  g_assert_cmpint (gd_conn_umask (f->conn), ==, 077);
  fd = open_ok (f, "/dir/new", O_WRONLY | O_CREAT | O_EXCL);
  close (fd);
  g_autofree char *newp = host ("dir/new");
  g_assert_cmpint (stat (newp, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  unlink (newp);
  unlink (inside);
  g_autofree char *link = host ("dangling");
  unlink (link);
}

/* ---- gd_open_parent ---------------------------------------------------- */

static void
check_parent (Fixture *f, const char *path, const char *parent_rel, const char *want_name)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *name = NULL;
  int fd = gd_open_parent (&f->req, path, &name, &error);
  if (fd < 0)
    g_error ("gd_open_parent %s: %s", path, error->message);
  g_autofree char *h = *parent_rel ? host (parent_rel) : g_strdup (sysroot);
  assert_same (fd, h);
  g_assert_cmpstr (name, ==, want_name);
  /* The fd is O_PATH and a directory. */
  int fl = fcntl (fd, F_GETFL);
  g_assert_true (fl & O_PATH);
  struct stat st;
  g_assert_cmpint (fstat (fd, &st), ==, 0);
  g_assert_true (S_ISDIR (st.st_mode));
  close (fd);
}

static void
parent_fails (Fixture *f, const char *path, int errnum)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *name = NULL;
  int fd = gd_open_parent (&f->req, path, &name, &error);
  g_assert_cmpint (fd, ==, -1);
  g_assert_null (name);
  g_assert_error (error, GD_ERRNO_ERROR, errnum);
}

static void
test_open_parent (Fixture *f, gconstpointer data)
{
  check_parent (f, "/dir/file", "dir", "file");
  check_parent (f, "/dir/file/", "dir", "file");
  check_parent (f, "/dir/sub//", "dir", "sub");
  check_parent (f, "/dir", "", "dir");
  check_parent (f, "//dir", "", "dir");
  check_parent (f, "/dir//sub", "dir", "sub");
  check_parent (f, "/", "", ".");
  check_parent (f, "//", "", ".");
  check_parent (f, "/.", "", ".");
  check_parent (f, "/..", "", ".");
  check_parent (f, "/dir/.", "dir", ".");
  check_parent (f, "/dir/..", "", ".");
  check_parent (f, "/dir/sub/..", "dir", ".");
  check_parent (f, "/dir/sub/../", "dir", ".");
  /* The last component is not followed; earlier ones are, confined. */
  check_parent (f, "/abs-link", "", "abs-link");
  check_parent (f, "/abs-link/passwd", "etc", "passwd");
  check_parent (f, "/rel-link/passwd", "etc", "passwd");
  check_parent (f, "/abs-link/", "", "abs-link");
  check_parent (f, "/dir/up/..", "", ".");
  check_parent (f, "/dir/up/dir/file", "dir", "file");
  check_parent (f, "/../../../etc/passwd", "etc", "passwd");
  check_parent (f, "/deep/a/b/c/climb/..", "", ".");
  check_parent (f, "/deep/a/b/c/climb/etc/x", "etc", "x");
  /* A name that does not exist yet is fine: its parent must. */
  check_parent (f, "/dir/new-name", "dir", "new-name");
  check_parent (f, "relative", "", "relative");

  parent_fails (f, "/missing/x", ENOENT);
  parent_fails (f, "/dir/file/x", ENOTDIR);
  parent_fails (f, "/loop/x", ELOOP);
  parent_fails (f, "/missing/..", ENOENT);
}

/* The sysroot fd is cached per request and dropped by gd_sysroot_changed. */
static void
test_sysroot_fd (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  int a = gd_sysroot_fd (&f->req, &error);
  g_assert_cmpint (a, >=, 0);
  g_assert_cmpint (gd_sysroot_fd (&f->req, &error), ==, a);
  assert_same (a, sysroot);
  gd_sysroot_changed (&f->req);
  g_assert_cmpint (f->conn->sysroot_fd, ==, -1);
  int b = gd_sysroot_fd (&f->req, &error);
  g_assert_cmpint (b, >=, 0);
  g_assert_no_error (error);
  /* Kept (for the next requests too) while the mount table is unchanged. */
  g_assert_cmpint (gd_sysroot_fd (&f->req, &error), ==, b);

  g_autofree char *p = gd_sysroot_path (&f->req, "/dir/file");
  g_autofree char *want = g_strconcat (sysroot, "/dir/file", NULL);
  g_assert_cmpstr (p, ==, want);
  g_autofree char *r = gd_sysroot_path (&f->req, "/");
  g_assert_cmpstr (r, ==, sysroot);
  g_autofree char *fdp = gd_fd_path (7);
  g_assert_cmpstr (fdp, ==, "/proc/self/fd/7");
}

static void
test_sysroot_missing (void)
{
  GdConfig cfg = { .sysroot = "/nonexistent-gdt-sysroot" };
  g_autoptr (GdConnection) conn = gd_connection_new (&cfg, -1);
  GdRequest req = { .conn = conn };
  g_autoptr (GError) error = NULL;
  g_assert_cmpint (gd_open (&req, "/x", O_RDONLY, 0, &error), ==, -1);
  g_assert_error (error, GD_ERRNO_ERROR, ENOENT);
  g_assert_nonnull (strstr (error->message, "sysroot /nonexistent-gdt-sysroot"));
  gd_request_cleanup (&req);
}

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* As guestfsd does: modes come from the connection's umask alone. */
  umask (0);
  g_autofree char *tmp = gdt_make_temp_dir ("gdt-paths");
  sysroot = g_build_filename (tmp, "sysroot", NULL);
  g_assert_cmpint (g_mkdir (sysroot, 0755), ==, 0);
  make_tree ();

  ADD ("/paths/open/plain", test_open_plain);
  ADD ("/paths/open/confined", test_open_confined);
  ADD ("/paths/open/create-confined", test_open_create_confined);
  ADD ("/paths/open-parent", test_open_parent);
  ADD ("/paths/sysroot-fd", test_sysroot_fd);
  g_test_add_func ("/paths/sysroot-missing", test_sysroot_missing);
  int ret = g_test_run ();
  gdt_rm_rf (tmp);
  g_free (sysroot);
  return ret;
}
