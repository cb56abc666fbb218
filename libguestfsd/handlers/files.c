/* libguestfsd handlers: regular files.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gd-actions.h"
#include "gd-private.h"

static gboolean
write_all_fd (int fd, const char *buf, size_t len, const char *path, GError **error)
{
  while (len > 0)
    {
      ssize_t n = write (fd, buf, len);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          gd_perror (error, "%s", path);
          return FALSE;
        }
      buf += n;
      len -= n;
    }
  return TRUE;
}

gboolean
gd_do_touch (GdRequest *req, const char *path, GError **error)
{
  /* Like touch(1) on regular files only: O_NOFOLLOW refuses a symlink,
   * O_WRONLY a directory, O_NONBLOCK keeps a FIFO from blocking. */
  int fd =
      gd_open (req, path, O_WRONLY | O_CREAT | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW, 0666, error);
  if (fd < 0)
    return FALSE;
  gboolean ok = TRUE;
  if (futimens (fd, NULL) < 0)
    {
      gd_perror (error, "%s", path);
      ok = FALSE;
    }
  close (fd);
  return ok;
}

gboolean
gd_do_internal_write (GdRequest *req, const char *path, const char *content, size_t content_size,
                      GError **error)
{
  int fd = gd_open (req, path, O_WRONLY | O_CREAT | O_TRUNC | O_NOCTTY, 0666, error);
  if (fd < 0)
    return FALSE;
  gboolean ok = write_all_fd (fd, content, content_size, path, error);
  if (close (fd) < 0 && ok)
    {
      gd_perror (error, "%s", path);
      ok = FALSE;
    }
  return ok;
}

gboolean
gd_do_rm (GdRequest *req, const char *path, GError **error)
{
  g_autofree char *name = NULL;
  int dfd = gd_open_parent (req, path, &name, error);
  if (dfd < 0)
    return FALSE;
  int r = unlinkat (dfd, name, 0);
  if (r < 0)
    gd_perror (error, "%s", path);
  close (dfd);
  return r == 0;
}

gboolean
gd_do_exists (GdRequest *req, const char *path, gboolean *ret, GError **error)
{
  (void) error;
  int fd = gd_open (req, path, O_PATH, 0, NULL);
  *ret = fd >= 0;
  if (fd >= 0)
    close (fd);
  return TRUE;
}

/* stat or lstat of a guest path; FALSE with *missing when it does not
 * exist (so is_* can answer false instead of failing). */
static gboolean
stat_path (GdRequest *req, const char *path, gboolean follow, struct stat *st, gboolean *missing,
           GError **error)
{
  g_autoptr (GError) local = NULL;
  int r;
  if (follow)
    {
      int fd = gd_open (req, path, O_PATH, 0, &local);
      if (fd < 0)
        goto failed;
      r = fstat (fd, st);
      close (fd);
    }
  else
    {
      g_autofree char *name = NULL;
      int dfd = gd_open_parent (req, path, &name, &local);
      if (dfd < 0)
        goto failed;
      r = fstatat (dfd, name, st, AT_SYMLINK_NOFOLLOW);
      close (dfd);
    }
  if (r == 0)
    return TRUE;
  gd_perror (&local, "%s", path);
failed:
  {
    int e = gd_error_get_errno (local);
    *missing = e == ENOENT || e == ENOTDIR;
    if (!*missing)
      g_propagate_error (error, g_steal_pointer (&local));
    return FALSE;
  }
}

static gboolean
is_type (GdRequest *req, const char *path, gboolean follow, mode_t type, gboolean *ret,
         GError **error)
{
  struct stat st;
  gboolean missing = FALSE;
  if (!stat_path (req, path, follow, &st, &missing, error))
    {
      *ret = FALSE;
      return missing;
    }
  *ret = (st.st_mode & S_IFMT) == type;
  return TRUE;
}

gboolean
gd_do_is_file (GdRequest *req, const char *path, gboolean followsymlinks, gboolean *ret,
               GError **error)
{
  return is_type (req, path, followsymlinks, S_IFREG, ret, error);
}

gboolean
gd_do_is_dir (GdRequest *req, const char *path, gboolean followsymlinks, gboolean *ret,
              GError **error)
{
  return is_type (req, path, followsymlinks, S_IFDIR, ret, error);
}
