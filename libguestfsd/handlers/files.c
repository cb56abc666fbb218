/* libguestfsd handlers: regular files (create, write, read parts, size,
 * remove, rename, file-type tests).
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "gd-actions.h"
#include "gd-private.h"

/* ------------------------------------------------------------------------
 * Creating and writing.
 */

gboolean
gd_do_touch (GdRequest *req, const char *path, GError **error)
{
  /* Like touch(1), but for regular files only: the object itself (not
   * what a symlink points to) must be a regular file or be missing. */
  for (int tries = 0; tries < 3; tries++)
    {
      g_autoptr (GError) local = NULL;
      int pfd = gd_fs_open_path (req, path, FALSE, &local);
      if (pfd < 0)
        {
          if (gd_error_get_errno (local) != ENOENT)
            {
              g_propagate_error (error, g_steal_pointer (&local));
              return FALSE;
            }
          g_clear_error (&local);
          int fd = gd_open (req, path, O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY | O_NOFOLLOW, 0666,
                            &local);
          if (fd >= 0)
            {
              close (fd);
              return TRUE;
            }
          if (gd_error_get_errno (local) == EEXIST)
            continue; /* created in between: look again */
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      struct stat st;
      gboolean ok = FALSE;
      if (fstatat (pfd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
        gd_perror (error, "%s", path);
      else if (!S_ISREG (st.st_mode))
        gd_error_errno (error, EINVAL, "%s: touch can only be used on a regular files",
                        path); /* sic, as the original */
      else
        {
          g_autofree char *p = gd_fd_path (pfd);
          if (utimensat (AT_FDCWD, p, NULL, 0) < 0)
            gd_perror (error, "%s", path);
          else
            ok = TRUE;
        }
      close (pfd);
      return ok;
    }
  gd_error_errno (error, EAGAIN, "%s: keeps changing", path);
  return FALSE;
}

static gboolean
write_file (GdRequest *req, const char *path, int flags, const char *content, size_t len,
            GError **error)
{
  int fd = gd_fs_open_data (req, path, O_WRONLY | O_CREAT | flags, 0666, error);
  if (fd < 0)
    return FALSE;
  gboolean ok = gd_write_all (fd, content, len, path, error);
  if (close (fd) < 0 && ok)
    {
      gd_perror (error, "%s", path);
      ok = FALSE;
    }
  return ok;
}

gboolean
gd_do_internal_write (GdRequest *req, const char *path, const char *content, size_t content_size,
                      GError **error)
{
  return write_file (req, path, O_TRUNC, content, content_size, error);
}

gboolean
gd_do_internal_write_append (GdRequest *req, const char *path, const char *content,
                             size_t content_size, GError **error)
{
  return write_file (req, path, O_APPEND, content, content_size, error);
}

gboolean
gd_do_write_file (GdRequest *req, const char *path, const char *content, int size, GError **error)
{
  /* The old interface: size 0 means "up to the first NUL". */
  size_t len = strlen (content);
  if (!gd_fs_check_not_negative (path, "size", size, error))
    return FALSE;
  if ((size_t) size > len)
    {
      gd_error_errno (error, EINVAL, "%s: size %d is larger than the content (%zu bytes)", path,
                      size, len);
      return FALSE;
    }
  if (size > 0)
    len = size;
  return write_file (req, path, O_TRUNC, content, len, error);
}

gboolean
gd_do_pwrite (GdRequest *req, const char *path, const char *content, size_t content_size,
              int64_t offset, int *ret, GError **error)
{
  if (!gd_fs_check_not_negative (path, "offset", offset, error))
    return FALSE;
  int fd = gd_fs_open_data (req, path, O_WRONLY, 0, error);
  if (fd < 0)
    return FALSE;
  ssize_t n;
  do
    n = pwrite (fd, content, content_size, offset);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    gd_perror (error, "%s", path);
  if (close (fd) < 0 && n >= 0)
    {
      gd_perror (error, "%s", path);
      n = -1;
    }
  if (n < 0)
    return FALSE;
  *ret = (int) n;
  return TRUE;
}

/* ------------------------------------------------------------------------
 * Reading.
 */

gboolean
gd_do_pread (GdRequest *req, const char *path, int count, int64_t offset, char **ret,
             size_t *ret_size, GError **error)
{
  if (!gd_fs_check_not_negative (path, "count", count, error))
    return FALSE;
  if (!gd_fs_check_not_negative (path, "offset", offset, error))
    return FALSE;
  /* The reply must fit in one message, with room for its header. */
  if (count > GD_MESSAGE_MAX - 1024)
    {
      gd_error_errno (error, EINVAL, "%s: count is too large for the protocol, use smaller reads",
                      path);
      return FALSE;
    }
  int fd = gd_fs_open_data (req, path, O_RDONLY, 0, error);
  if (fd < 0)
    return FALSE;
  char *buf = g_malloc (count > 0 ? count : 1);
  ssize_t n;
  do
    n = pread (fd, buf, count, offset);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    {
      gd_perror (error, "%s", path);
      g_free (buf);
      close (fd);
      return FALSE;
    }
  close (fd);
  *ret = buf;
  *ret_size = n;
  return TRUE;
}

gboolean
gd_do_is_zero (GdRequest *req, const char *path, gboolean *ret, GError **error)
{
  int fd = gd_fs_open_data (req, path, O_RDONLY, 0, error);
  if (fd < 0)
    return FALSE;
  struct stat st;
  if (fstat (fd, &st) < 0 || S_ISDIR (st.st_mode))
    {
      if (S_ISDIR (st.st_mode))
        errno = EISDIR;
      gd_perror (error, "%s", path);
      close (fd);
      return FALSE;
    }
  enum
  {
    BUFSZ = 1 << 20
  };
  g_autofree guint64 *buf = g_malloc (BUFSZ);
  gboolean zero = TRUE;
  gboolean ok = TRUE;
  off_t pos = 0;
  /* Holes read as zeroes: only the data regions need reading. */
  gboolean sparse = S_ISREG (st.st_mode);
  while (zero)
    {
      if (sparse)
        {
          off_t data = lseek (fd, pos, SEEK_DATA);
          if (data < 0)
            {
              if (errno == ENXIO)
                break; /* only a hole left */
              sparse = FALSE;
              lseek (fd, pos, SEEK_SET);
            }
          else
            pos = data;
        }
      /* FIFOs cannot seek: read them in order. */
      ssize_t n = S_ISREG (st.st_mode) ? pread (fd, buf, BUFSZ, pos) : read (fd, buf, BUFSZ);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          if (errno == EAGAIN)
            break; /* an empty FIFO */
          gd_perror (error, "%s", path);
          ok = FALSE;
          break;
        }
      if (n == 0)
        break;
      size_t words = n / sizeof (guint64);
      for (size_t i = 0; i < words && zero; i++)
        zero = buf[i] == 0;
      for (size_t i = words * sizeof (guint64); i < (size_t) n && zero; i++)
        zero = ((const char *) buf)[i] == 0;
      pos += n;
      gd_pulse_tick (req);
    }
  close (fd);
  if (ok)
    {
      *ret = zero;
      gd_pulse_end (req);
    }
  return ok;
}

gboolean
gd_do_filesize (GdRequest *req, const char *file, int64_t *ret, GError **error)
{
  struct stat st;
  if (!gd_fs_stat (req, file, TRUE, &st, error))
    return FALSE;
  *ret = st.st_size;
  return TRUE;
}

/* ------------------------------------------------------------------------
 * Size and allocation.
 */

gboolean
gd_do_truncate_size (GdRequest *req, const char *path, int64_t size, GError **error)
{
  if (!gd_fs_check_not_negative (path, "size", size, error))
    return FALSE;
  int fd = gd_fs_open_data (req, path, O_WRONLY, 0, error);
  if (fd < 0)
    return FALSE;
  int r = ftruncate (fd, size);
  if (r < 0)
    gd_perror (error, "%s", path);
  if (close (fd) < 0 && r == 0)
    {
      gd_perror (error, "%s", path);
      r = -1;
    }
  return r == 0;
}

gboolean
gd_do_truncate (GdRequest *req, const char *path, GError **error)
{
  return gd_do_truncate_size (req, path, 0, error);
}

gboolean
gd_do_fallocate64 (GdRequest *req, const char *path, int64_t len, GError **error)
{
  if (!gd_fs_check_not_negative (path, "length", len, error))
    return FALSE;
  int fd = gd_fs_open_data (req, path, O_WRONLY | O_CREAT | O_TRUNC, 0666, error);
  if (fd < 0)
    return FALSE;
  int r = 0;
  if (len > 0)
    {
      /* posix_fallocate writes zeroes itself where the filesystem cannot
       * allocate (ext2, ...). */
      r = posix_fallocate (fd, 0, len);
      if (r != 0)
        {
          errno = r;
          gd_perror (error, "%s", path);
        }
    }
  if (close (fd) < 0 && r == 0)
    {
      gd_perror (error, "%s", path);
      r = -1;
    }
  return r == 0;
}

gboolean
gd_do_fallocate (GdRequest *req, const char *path, int len, GError **error)
{
  return gd_do_fallocate64 (req, path, len, error);
}

/* ------------------------------------------------------------------------
 * Removing and renaming.
 */

static gboolean
unlink_path (GdRequest *req, const char *path, gboolean missing_ok, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autofree char *name = NULL;
  int dfd = gd_open_parent (req, path, &name, &local);
  if (dfd < 0)
    {
      if (missing_ok && gd_error_get_errno (local) == ENOENT)
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  int r = unlinkat (dfd, name, 0);
  if (r < 0 && missing_ok)
    {
      /* On a read-only filesystem unlink says EROFS even for a missing
       * name: ask again whether it exists. */
      struct stat st;
      int e = errno;
      if (e == ENOENT || (fstatat (dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT))
        r = 0;
      errno = e;
    }
  if (r < 0)
    gd_perror (error, "%s", path);
  close (dfd);
  return r == 0;
}

gboolean
gd_do_rm (GdRequest *req, const char *path, GError **error)
{
  return unlink_path (req, path, FALSE, error);
}

gboolean
gd_do_rm_f (GdRequest *req, const char *path, GError **error)
{
  return unlink_path (req, path, TRUE, error);
}

gboolean
gd_do_rename (GdRequest *req, const char *oldpath, const char *newpath, GError **error)
{
  g_autofree char *oldname = NULL;
  g_autofree char *newname = NULL;
  int odfd = gd_open_parent (req, oldpath, &oldname, error);
  if (odfd < 0)
    return FALSE;
  int ndfd = gd_open_parent (req, newpath, &newname, error);
  if (ndfd < 0)
    {
      close (odfd);
      return FALSE;
    }
  int r = renameat (odfd, oldname, ndfd, newname);
  if (r < 0)
    gd_perror (error, "rename %s to %s", oldpath, newpath);
  close (odfd);
  close (ndfd);
  return r == 0;
}

/* ------------------------------------------------------------------------
 * Temporary files.
 */

/* Fills the last six bytes of name (which are "XXXXXX") with random
 * letters and digits. */
static void
randomize_template (char *xs)
{
  static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  for (int i = 0; i < 6; i++)
    xs[i] = chars[g_random_int_range (0, sizeof chars - 1)];
}

/* Checks that the template's last component ends in XXXXXX and returns
 * the offset of the X's in the path. */
static gboolean
check_template (const char *tmpl, size_t *xpos, GError **error)
{
  size_t len = strlen (tmpl);
  const char *slash = strrchr (tmpl, '/');
  if (len < 6 || strcmp (tmpl + len - 6, "XXXXXX") != 0 || (size_t) (slash - tmpl) + 6 >= len)
    {
      gd_error_errno (error, EINVAL, "%s: template must end in XXXXXX", tmpl);
      return FALSE;
    }
  *xpos = len - 6;
  return TRUE;
}

gboolean
gd_do_mktemp (GdRequest *req, const char *tmpl, const char *suffix, char **ret, GError **error)
{
  size_t xpos;
  if (!check_template (tmpl, &xpos, error))
    return FALSE;
  if (!gd_request_has_optarg (req, GD_MKTEMP_SUFFIX_BITMASK) || suffix == NULL)
    suffix = "";
  if (strchr (suffix, '/') != NULL)
    {
      gd_error_errno (error, EINVAL, "%s: suffix must not contain '/'", suffix);
      return FALSE;
    }
  g_autofree char *name = g_strconcat (tmpl, suffix, NULL);
  for (int tries = 0; tries < 1000; tries++)
    {
      randomize_template (name + xpos);
      g_autoptr (GError) local = NULL;
      int fd =
          gd_open (req, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY, 0600, &local);
      if (fd >= 0)
        {
          close (fd);
          *ret = g_steal_pointer (&name);
          return TRUE;
        }
      if (gd_error_get_errno (local) != EEXIST)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
    }
  gd_error_errno (error, EEXIST, "%s: could not find an unused name", tmpl);
  return FALSE;
}

/* ------------------------------------------------------------------------
 * Existence and file types.
 */

gboolean
gd_do_exists (GdRequest *req, const char *path, gboolean *ret, GError **error)
{
  (void) error;
  /* The final symlink is not followed: a dangling link exists, as in the
   * original. */
  struct stat st;
  *ret = gd_fs_stat (req, path, FALSE, &st, NULL);
  return TRUE;
}

/* The type of what path names; FALSE with *missing when it does not
 * exist (so the is_* tests answer false instead of failing). */
static gboolean
stat_path (GdRequest *req, const char *path, gboolean follow, struct stat *st, gboolean *missing,
           GError **error)
{
  g_autoptr (GError) local = NULL;
  if (gd_fs_stat (req, path, follow, st, &local))
    return TRUE;
  int e = gd_error_get_errno (local);
  *missing = e == ENOENT || e == ENOTDIR;
  if (!*missing)
    g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
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

gboolean
gd_do_is_blockdev (GdRequest *req, const char *path, gboolean followsymlinks, gboolean *ret,
                   GError **error)
{
  return is_type (req, path, followsymlinks, S_IFBLK, ret, error);
}

gboolean
gd_do_is_chardev (GdRequest *req, const char *path, gboolean followsymlinks, gboolean *ret,
                  GError **error)
{
  return is_type (req, path, followsymlinks, S_IFCHR, ret, error);
}

gboolean
gd_do_is_fifo (GdRequest *req, const char *path, gboolean followsymlinks, gboolean *ret,
               GError **error)
{
  return is_type (req, path, followsymlinks, S_IFIFO, ret, error);
}

gboolean
gd_do_is_socket (GdRequest *req, const char *path, gboolean followsymlinks, gboolean *ret,
                 GError **error)
{
  return is_type (req, path, followsymlinks, S_IFSOCK, ret, error);
}

gboolean
gd_do_is_symlink (GdRequest *req, const char *path, gboolean *ret, GError **error)
{
  return is_type (req, path, FALSE, S_IFLNK, ret, error);
}
