/* libguestfsd handlers: helpers shared by the path-level families.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"

char *
gd_fs_at_path (int dfd, const char *name)
{
  return g_strdup_printf ("/proc/self/fd/%d/%s", dfd, name);
}

gboolean
gd_fs_is_dot_or_dotdot (const char *name)
{
  return name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

char *
gd_fs_join (const char *dir, const char *name)
{
  size_t n = strlen (dir);
  if (n > 0 && dir[n - 1] == '/')
    return g_strconcat (dir, name, NULL);
  return g_strconcat (dir, "/", name, NULL);
}

mode_t
gd_fs_umask (GdRequest *req)
{
  return gd_conn_umask (gd_request_connection (req));
}

gboolean
gd_fs_check_not_negative (const char *path, const char *name, int64_t v, GError **error)
{
  if (v >= 0)
    return TRUE;
  if (path != NULL)
    gd_error_errno (error, EINVAL, "%s: %s is negative", path, name);
  else
    gd_error_errno (error, EINVAL, "%s is negative", name);
  return FALSE;
}

int
gd_fs_open_path (GdRequest *req, const char *path, gboolean follow, GError **error)
{
  return gd_open (req, path, O_PATH | (follow ? 0 : O_NOFOLLOW), 0, error);
}

DIR *
gd_fs_opendir (GdRequest *req, const char *path, GError **error)
{
  int fd = gd_open (req, path, O_RDONLY | O_DIRECTORY, 0, error);
  if (fd < 0)
    return NULL;
  DIR *d = fdopendir (fd);
  if (d == NULL)
    {
      gd_perror (error, "%s", path);
      close (fd);
    }
  return d;
}

gboolean
gd_fs_stat (GdRequest *req, const char *path, gboolean follow, struct stat *st, GError **error)
{
  int fd = gd_fs_open_path (req, path, follow, error);
  if (fd < 0)
    return FALSE;
  int r = fstatat (fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
  if (r < 0)
    gd_perror (error, "%s", path);
  close (fd);
  return r == 0;
}

static int
reopen (int pfd, int flags)
{
  g_autofree char *p = gd_fd_path (pfd);
  return open (p, flags | O_CLOEXEC | O_NOCTTY);
}

/* Refuses what must not be opened for data; FALSE with *error set. */
static gboolean
check_data_object (const char *path, const struct stat *st, int flags, GError **error)
{
  if (S_ISBLK (st->st_mode) || S_ISCHR (st->st_mode))
    {
      gd_error_errno (error, EACCES,
                      "%s: is a device node (it would name a device of the daemon's machine, "
                      "not of the guest)",
                      path);
      return FALSE;
    }
  if (S_ISLNK (st->st_mode))
    {
      /* Only reached with O_NOFOLLOW: what open(2) says for it. */
      gd_error_errno (error, ELOOP, "%s: is a symbolic link", path);
      return FALSE;
    }
  if (S_ISDIR (st->st_mode) && (flags & O_ACCMODE) != O_RDONLY)
    {
      gd_error_errno (error, EISDIR, "%s: is a directory", path);
      return FALSE;
    }
  return TRUE;
}

int
gd_fs_open_data (GdRequest *req, const char *path, int flags, mode_t mode, GError **error)
{
  g_autoptr (GError) local = NULL;
  gboolean nofollow = (flags & O_NOFOLLOW) != 0;
  int pfd = gd_fs_open_path (req, path, !nofollow, &local);
  if (pfd < 0)
    {
      if (!(flags & O_CREAT) || gd_error_get_errno (local) != ENOENT)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return -1;
        }
      /* Nothing there: create it.  (An object that appears in between is
       * checked after the open like any other.) */
      int fd = gd_open (req, path, flags | O_NOCTTY | O_NONBLOCK, mode, error);
      if (fd < 0)
        return -1;
      struct stat st;
      if (fstat (fd, &st) < 0)
        {
          gd_perror (error, "%s", path);
          close (fd);
          return -1;
        }
      if (!check_data_object (path, &st, flags, error))
        {
          close (fd);
          return -1;
        }
      if (!S_ISFIFO (st.st_mode))
        fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK);
      return fd;
    }

  struct stat st;
  if (fstatat (pfd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
    {
      gd_perror (error, "%s", path);
      close (pfd);
      return -1;
    }
  if ((flags & O_CREAT) && (flags & O_EXCL))
    {
      close (pfd);
      gd_error_errno (error, EEXIST, "%s: %s", path, g_strerror (EEXIST));
      return -1;
    }
  if (!check_data_object (path, &st, flags, error))
    {
      close (pfd);
      return -1;
    }
  int rflags = flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW);
  if (S_ISFIFO (st.st_mode))
    rflags |= O_NONBLOCK;
  /* Reopening the O_PATH fd opens exactly the inode that was checked: a
   * swap of the name in between changes nothing. */
  int fd = reopen (pfd, rflags);
  if (fd < 0)
    gd_perror (error, "%s", path);
  close (pfd);
  return fd;
}
