/* libguestfsd handlers: hard and symbolic links.
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

/* Creates an entry called name in dfd with make(), replacing an existing
 * non-directory atomically when replace is set: the new entry is made
 * under a temporary name and renamed over the old one, so linkname never
 * goes missing and a directory is never replaced (EISDIR). */
typedef int (*MakeFunc) (int dfd, const char *name, gpointer data);

static gboolean
make_entry (int dfd, const char *name, gboolean replace, MakeFunc make, gpointer data,
            const char *path, GError **error)
{
  if (!replace)
    {
      if (make (dfd, name, data) < 0)
        {
          gd_perror (error, "%s", path);
          return FALSE;
        }
      return TRUE;
    }
  if (make (dfd, name, data) == 0)
    return TRUE;
  if (errno != EEXIST)
    {
      gd_perror (error, "%s", path);
      return FALSE;
    }
  char tmp[32];
  for (int tries = 0;; tries++)
    {
      g_snprintf (tmp, sizeof tmp, ".gd-ln-%08x", g_random_int ());
      if (make (dfd, tmp, data) == 0)
        break;
      if (errno != EEXIST || tries > 100)
        {
          gd_perror (error, "%s", path);
          return FALSE;
        }
    }
  if (renameat (dfd, tmp, dfd, name) < 0)
    {
      gd_perror (error, "%s", path);
      unlinkat (dfd, tmp, 0);
      return FALSE;
    }
  /* rename() does nothing when both names are links to one inode. */
  unlinkat (dfd, tmp, 0);
  return TRUE;
}

/* ------------------------------------------------------------------------
 * Hard links: link(2), which does not follow a symlink named as target.
 * A relative target is taken from the guest's root.
 */

typedef struct
{
  int tdfd;
  const char *tname;
} HardLink;

static int
make_hard (int dfd, const char *name, gpointer data)
{
  HardLink *h = data;
  return linkat (h->tdfd, h->tname, dfd, name, 0);
}

static gboolean
hard_link (GdRequest *req, const char *target, const char *linkname, gboolean replace,
           GError **error)
{
  g_autofree char *tname = NULL;
  g_autofree char *lname = NULL;
  int tdfd = gd_open_parent (req, target, &tname, error);
  if (tdfd < 0)
    return FALSE;
  int ldfd = gd_open_parent (req, linkname, &lname, error);
  if (ldfd < 0)
    {
      close (tdfd);
      return FALSE;
    }
  HardLink h = { tdfd, tname };
  gboolean ok = make_entry (ldfd, lname, replace, make_hard, &h, linkname, error);
  close (tdfd);
  close (ldfd);
  return ok;
}

gboolean
gd_do_ln (GdRequest *req, const char *target, const char *linkname, GError **error)
{
  return hard_link (req, target, linkname, FALSE, error);
}

gboolean
gd_do_ln_f (GdRequest *req, const char *target, const char *linkname, GError **error)
{
  return hard_link (req, target, linkname, TRUE, error);
}

/* ------------------------------------------------------------------------
 * Symbolic links.  The target is data, stored as given.  As with
 * ln -s TARGET LINKNAME, a linkname that is (or leads to) a directory gets
 * the link inside it, named after the target's last component.
 */

static int
make_sym (int dfd, const char *name, gpointer data)
{
  return symlinkat (data, dfd, name);
}

/* The last component of target, without trailing slashes. */
static char *
target_basename (const char *target)
{
  const char *end = target + strlen (target);
  while (end > target && end[-1] == '/')
    end--;
  const char *start = end;
  while (start > target && start[-1] != '/')
    start--;
  return g_strndup (start, end - start);
}

static gboolean
sym_link (GdRequest *req, const char *target, const char *linkname, gboolean replace,
          GError **error)
{
  int dfd = gd_open (req, linkname, O_PATH | O_DIRECTORY, 0, NULL);
  g_autofree char *name = NULL;
  g_autofree char *where = NULL;
  if (dfd >= 0)
    {
      name = target_basename (target);
      if (*name == '\0' || gd_fs_is_dot_or_dotdot (name))
        {
          close (dfd);
          gd_error_errno (error, EEXIST, "%s: is a directory", linkname);
          return FALSE;
        }
      where = gd_fs_join (linkname, name);
    }
  else
    {
      dfd = gd_open_parent (req, linkname, &name, error);
      if (dfd < 0)
        return FALSE;
      where = g_strdup (linkname);
    }
  gboolean ok = make_entry (dfd, name, replace, make_sym, (gpointer) target, where, error);
  close (dfd);
  return ok;
}

gboolean
gd_do_ln_s (GdRequest *req, const char *target, const char *linkname, GError **error)
{
  return sym_link (req, target, linkname, FALSE, error);
}

gboolean
gd_do_ln_sf (GdRequest *req, const char *target, const char *linkname, GError **error)
{
  return sym_link (req, target, linkname, TRUE, error);
}

/* ------------------------------------------------------------------------
 * Reading links.
 */

/* readlinkat of name in dfd; NULL with errno set on failure. */
static char *
read_link_at (int dfd, const char *name)
{
  size_t size = 256;
  for (;;)
    {
      char *buf = g_malloc (size);
      ssize_t n = readlinkat (dfd, name, buf, size);
      if (n < 0)
        {
          int e = errno;
          g_free (buf);
          errno = e;
          return NULL;
        }
      if ((size_t) n < size)
        {
          buf[n] = '\0';
          return buf;
        }
      g_free (buf);
      size *= 2;
    }
}

gboolean
gd_do_readlink (GdRequest *req, const char *path, char **ret, GError **error)
{
  /* O_PATH|O_NOFOLLOW on the link itself, read with the empty name. */
  int fd = gd_fs_open_path (req, path, FALSE, error);
  if (fd < 0)
    return FALSE;
  char *target = read_link_at (fd, "");
  if (target == NULL)
    {
      if (errno == ENOENT)
        errno = EINVAL; /* readlinkat(fd, "") on a non-link */
      /* "readlink: /x: Invalid argument" after the client's prefix, as the
       * original words it. */
      gd_perror (error, "readlink: %s", path);
    }
  close (fd);
  if (target == NULL)
    return FALSE;
  *ret = target;
  return TRUE;
}

gboolean
gd_do_internal_readlinklist (GdRequest *req, const char *path, char *const *names, char ***ret,
                             GError **error)
{
  int dfd = gd_open (req, path, O_PATH | O_DIRECTORY, 0, error);
  if (dfd < 0)
    return FALSE;
  GPtrArray *out = g_ptr_array_new ();
  for (char *const *n = names; *n; n++)
    {
      /* "." and ".." are directories, never links: and ".." of the guest's
       * root must not be looked up from an fd. */
      char *t = gd_fs_is_dot_or_dotdot (*n) ? NULL : read_link_at (dfd, *n);
      g_ptr_array_add (out, t ? t : g_strdup (""));
    }
  close (dfd);
  g_ptr_array_add (out, NULL);
  *ret = (char **) g_ptr_array_free (out, FALSE);
  return TRUE;
}
