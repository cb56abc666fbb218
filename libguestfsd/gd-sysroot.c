/* libguestfsd: guest paths, resolved inside the sysroot.
 *
 * Every path a client sends is resolved with openat2(RESOLVE_IN_ROOT)
 * against an fd of the sysroot, so symlinks (absolute or relative) and
 * ".." are interpreted as the guest would and can never lead outside it,
 * even when a link is swapped in between two calls.  The daemon process
 * itself never chroots, which keeps the library embeddable.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <libguestfsd/guestfsd.h>

#include "gd-devnodes.h"
#include "gd-engine.h"

int
gd_sysroot_fd (GdRequest *req, GError **error)
{
  GdConnection *conn = req->conn;
  gd_conn_mounts_check (conn);
  if (conn->sysroot_fd < 0)
    {
      conn->sysroot_fd = open (conn->cfg.sysroot, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (conn->sysroot_fd < 0)
        gd_perror (error, "sysroot %s", conn->cfg.sysroot);
    }
  return conn->sysroot_fd;
}

void
gd_sysroot_changed (GdRequest *req)
{
  /* An fd opened before a mount on the sysroot still shows what is under
   * the mount. */
  gd_conn_mounts_invalidate (req->conn);
  /* A loop device unmounted (mount_loop's) is gone: its node in the
   * jail's /dev too, before the host gives the number to someone else. */
  gd_devnodes_prune_loops ();
}

static int
openat2_in_root (int root, const char *path, int flags, mode_t mode)
{
  struct open_how how;
  memset (&how, 0, sizeof how);
  how.flags = (guint64) flags | O_CLOEXEC;
  /* O_TMPFILE includes O_DIRECTORY: test all of its bits, or every
   * O_DIRECTORY open would pass a mode and fail with EINVAL. */
  if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
    how.mode = mode;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  for (int tries = 0;; tries++)
    {
      int fd = syscall (SYS_openat2, root, path, &how, sizeof how);
      /* EAGAIN: a rename raced with the lookup; the kernel asks to retry. */
      if (fd >= 0 || errno != EAGAIN || tries >= 16)
        return fd;
    }
}

static gboolean
is_device_node (int fd)
{
  struct stat st;
  return fstat (fd, &st) == 0 && (S_ISBLK (st.st_mode) || S_ISCHR (st.st_mode));
}

int
gd_open (GdRequest *req, const char *path, int flags, mode_t mode, GError **error)
{
  int root = gd_sysroot_fd (req, error);
  if (root < 0)
    return -1;
  if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
    mode &= ~req->conn->umask;
  int fd = openat2_in_root (root, *path ? path : ".", flags, mode);
  if (fd < 0)
    {
      gd_perror (error, "%s", path);
      return -1;
    }
  if (req->conn->cfg.host_mode && !(flags & O_PATH) && is_device_node (fd))
    {
      close (fd);
      gd_error_errno (error, EPERM, "%s: refusing to open a device node of the guest on the host",
                      path);
      return -1;
    }
  return fd;
}

int
gd_open_parent (GdRequest *req, const char *path, char **name, GError **error)
{
  g_autofree char *copy = g_strdup (path);
  /* "/a/b/" names b. */
  size_t len = strlen (copy);
  while (len > 1 && copy[len - 1] == '/')
    copy[--len] = '\0';

  char *slash = strrchr (copy, '/');
  const char *dir;
  const char *base;
  if (slash == NULL)
    {
      dir = ".";
      base = copy;
    }
  else if (slash == copy)
    {
      dir = "/";
      base = slash[1] ? slash + 1 : ".";
    }
  else
    {
      *slash = '\0';
      dir = copy;
      base = slash + 1;
    }
  if (strcmp (base, ".") == 0 || strcmp (base, "..") == 0)
    {
      /* Resolving "x/.." relative to x's parent could climb out of the
       * sysroot; resolve the whole path here instead, and hand back the
       * directory itself as ".". */
      int fd = gd_open (req, path, O_PATH | O_DIRECTORY, 0, error);
      if (fd >= 0)
        *name = g_strdup (".");
      return fd;
    }
  g_autoptr (GError) local = NULL;
  int fd = gd_open (req, dir, O_PATH | O_DIRECTORY, 0, &local);
  if (fd < 0)
    {
      /* Name what the client asked for, not its parent. */
      int err = gd_error_get_errno (local);
      gd_error_errno (error, err, "%s: %s", path, g_strerror (err));
      return -1;
    }
  *name = g_strdup (base);
  return fd;
}

char *
gd_sysroot_path (GdRequest *req, const char *path)
{
  const char *root = req->conn->cfg.sysroot;
  if (strcmp (root, "/") == 0)
    return g_strdup (path);
  if (strcmp (path, "/") == 0)
    return g_strdup (root);
  return g_strconcat (root, path[0] == '/' ? "" : "/", path, NULL);
}

char *
gd_fd_path (int fd)
{
  return g_strdup_printf ("/proc/self/fd/%d", fd);
}
