/* libguestfsd handlers: permissions, ownership, times, the umask.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fsutil.h"
#include "gd-actions.h"
#include "gd-private.h"

/* chmod(2) of an O_PATH fd, through its /proc name (fchmod refuses
 * O_PATH fds). */
static int
chmod_fd (int fd, mode_t mode)
{
  g_autofree char *p = gd_fd_path (fd);
  return fchmodat (AT_FDCWD, p, mode, 0);
}

gboolean
gd_do_chmod (GdRequest *req, int mode, const char *path, GError **error)
{
  /* Like chmod(2): follows symlinks; the umask does not apply. */
  if (!gd_fs_check_not_negative (path, "mode", mode, error))
    return FALSE;
  /* Messages name the mode too, as the original's: "/x: 0644: No such
   * file or directory". */
  g_autoptr (GError) local = NULL;
  int fd = gd_fs_open_path (req, path, TRUE, &local);
  if (fd < 0)
    {
      int e = gd_error_get_errno (local);
      gd_error_errno (error, e, "%s: 0%o: %s", path, (unsigned) mode,
                      e ? g_strerror (e) : local->message);
      return FALSE;
    }
  int r = chmod_fd (fd, mode);
  if (r < 0)
    gd_perror (error, "%s: 0%o", path, (unsigned) mode);
  close (fd);
  return r == 0;
}

static gboolean
chown_path (GdRequest *req, int owner, int group, const char *path, gboolean follow, GError **error)
{
  int fd = gd_fs_open_path (req, path, follow, error);
  if (fd < 0)
    return FALSE;
  /* AT_EMPTY_PATH: the fd's own object (the link itself when !follow). */
  int r = fchownat (fd, "", owner, group, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
  if (r < 0)
    gd_perror (error, "%s", path);
  close (fd);
  return r == 0;
}

gboolean
gd_do_chown (GdRequest *req, int owner, int group, const char *path, GError **error)
{
  return chown_path (req, owner, group, path, TRUE, error);
}

gboolean
gd_do_lchown (GdRequest *req, int owner, int group, const char *path, GError **error)
{
  return chown_path (req, owner, group, path, FALSE, error);
}

static gboolean
make_timespec (int64_t secs, int64_t nsecs, struct timespec *ts, const char *path, GError **error)
{
  if (nsecs == -1)
    ts->tv_nsec = UTIME_NOW;
  else if (nsecs == -2)
    ts->tv_nsec = UTIME_OMIT;
  else if (nsecs < 0 || nsecs > 999999999)
    {
      gd_error_errno (error, EINVAL, "%s: nanoseconds out of range: %" G_GINT64_FORMAT, path,
                      nsecs);
      return FALSE;
    }
  else
    ts->tv_nsec = nsecs;
  ts->tv_sec = secs;
  return TRUE;
}

gboolean
gd_do_utimens (GdRequest *req, const char *path, int64_t atsecs, int64_t atnsecs, int64_t mtsecs,
               int64_t mtnsecs, GError **error)
{
  struct timespec ts[2];
  if (!make_timespec (atsecs, atnsecs, &ts[0], path, error) ||
      !make_timespec (mtsecs, mtnsecs, &ts[1], path, error))
    return FALSE;
  /* Sets the times of a symlink itself, as the original daemon does. */
  g_autofree char *name = NULL;
  int dfd = gd_open_parent (req, path, &name, error);
  if (dfd < 0)
    return FALSE;
  int r = utimensat (dfd, name, ts, AT_SYMLINK_NOFOLLOW);
  if (r < 0)
    gd_perror (error, "%s", path);
  close (dfd);
  return r == 0;
}

/* ------------------------------------------------------------------------
 * copy_attributes
 */

static gboolean
copy_xattrs (const char *from, const char *to, const char *src, const char *dest, GError **error)
{
  ssize_t len = listxattr (from, NULL, 0);
  if (len < 0)
    {
      if (errno == ENOTSUP)
        return TRUE; /* nothing to copy */
      gd_perror (error, "%s: listing extended attributes", src);
      return FALSE;
    }
  g_autofree char *names = g_malloc (len + 1);
  len = listxattr (from, names, len);
  if (len < 0)
    {
      gd_perror (error, "%s: listing extended attributes", src);
      return FALSE;
    }
  for (ssize_t i = 0; i < len; i += strlen (names + i) + 1)
    {
      const char *n = names + i;
      ssize_t vlen = getxattr (from, n, NULL, 0);
      if (vlen < 0)
        {
          if (errno == ENODATA)
            continue;
          gd_perror (error, "%s: %s", src, n);
          return FALSE;
        }
      g_autofree char *val = g_malloc (vlen > 0 ? vlen : 1);
      vlen = getxattr (from, n, val, vlen);
      if (vlen < 0)
        {
          gd_perror (error, "%s: %s", src, n);
          return FALSE;
        }
      if (setxattr (to, n, val, vlen, 0) < 0)
        {
          gd_perror (error, "%s: %s", dest, n);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
gd_do_copy_attributes (GdRequest *req, const char *src, const char *dest, gboolean all,
                       gboolean mode, gboolean xattributes, gboolean ownership, GError **error)
{
  /* "all" turns on every flag the caller did not set explicitly. */
  if (gd_request_has_optarg (req, GD_COPY_ATTRIBUTES_ALL_BITMASK) && all)
    {
      if (!gd_request_has_optarg (req, GD_COPY_ATTRIBUTES_MODE_BITMASK))
        mode = TRUE;
      if (!gd_request_has_optarg (req, GD_COPY_ATTRIBUTES_XATTRIBUTES_BITMASK))
        xattributes = TRUE;
      if (!gd_request_has_optarg (req, GD_COPY_ATTRIBUTES_OWNERSHIP_BITMASK))
        ownership = TRUE;
    }
  int sfd = gd_fs_open_path (req, src, TRUE, error);
  if (sfd < 0)
    return FALSE;
  int dfd = gd_fs_open_path (req, dest, TRUE, error);
  if (dfd < 0)
    {
      close (sfd);
      return FALSE;
    }
  gboolean ok = FALSE;
  struct stat st;
  if (fstatat (sfd, "", &st, AT_EMPTY_PATH) < 0)
    {
      gd_perror (error, "%s", src);
      goto out;
    }
  /* Ownership first: a chown can clear the set-id bits that the mode
   * copy then restores. */
  if (ownership && fchownat (dfd, "", st.st_uid, st.st_gid, AT_EMPTY_PATH) < 0)
    {
      gd_perror (error, "%s", dest);
      goto out;
    }
  if (mode && chmod_fd (dfd, st.st_mode & 07777) < 0)
    {
      gd_perror (error, "%s", dest);
      goto out;
    }
  if (xattributes && gd_group_available (GD_GROUP_LINUXXATTRS))
    {
      g_autofree char *from = gd_fd_path (sfd);
      g_autofree char *to = gd_fd_path (dfd);
      if (!copy_xattrs (from, to, src, dest, error))
        goto out;
    }
  ok = TRUE;
out:
  close (sfd);
  close (dfd);
  return ok;
}

/* ------------------------------------------------------------------------
 * The umask, per connection.
 */

gboolean
gd_do_umask (GdRequest *req, int mask, int *ret, GError **error)
{
  if (mask < 0 || mask > 0777)
    {
      gd_error_errno (error, EINVAL, "0%o: umask is negative or out of range", mask);
      return FALSE;
    }
  GdConnection *conn = gd_request_connection (req);
  *ret = gd_conn_umask (conn);
  gd_conn_set_umask (conn, mask);
  return TRUE;
}

gboolean
gd_do_get_umask (GdRequest *req, int *ret, GError **error)
{
  (void) error;
  *ret = gd_conn_umask (gd_request_connection (req));
  return TRUE;
}
