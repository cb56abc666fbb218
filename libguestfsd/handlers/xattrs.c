/* libguestfsd handlers: extended attributes.
 *
 * The xattr syscalls take a path.  A call that follows symlinks gets
 * "/proc/self/fd/N" of an O_PATH fd of the object the guest path resolves
 * to inside the guest; an l* call gets "/proc/self/fd/D/name" of the
 * entry in its confined parent directory (and does not follow it).
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

/* A path the xattr syscalls can use for a guest path; *fd is to be closed
 * by the caller.  follow: the call will follow a final symlink. */
typedef struct
{
  int fd;
  char *path;
} XPath;

static void
xpath_clear (XPath *x)
{
  if (x->fd >= 0)
    close (x->fd);
  g_free (x->path);
}

static gboolean
xpath_open (GdRequest *req, const char *path, gboolean follow, XPath *x, GError **error)
{
  x->fd = -1;
  x->path = NULL;
  if (follow)
    {
      x->fd = gd_fs_open_path (req, path, TRUE, error);
      if (x->fd < 0)
        return FALSE;
      x->path = gd_fd_path (x->fd);
      return TRUE;
    }
  g_autofree char *name = NULL;
  x->fd = gd_open_parent (req, path, &name, error);
  if (x->fd < 0)
    return FALSE;
  x->path = gd_fs_at_path (x->fd, name);
  return TRUE;
}

/* listxattr when name is NULL, else getxattr; the l* calls unless
 * follow. */
static ssize_t
xattr_call (const char *p, const char *name, gboolean follow, char *buf, size_t size)
{
  if (name == NULL)
    return follow ? listxattr (p, buf, size) : llistxattr (p, buf, size);
  return follow ? getxattr (p, name, buf, size) : lgetxattr (p, name, buf, size);
}

/* listxattr (name NULL: the names, NUL-separated) or getxattr (name's
 * value) of p, into a new NUL-terminated buffer; NULL with errno on
 * failure. */
static char *
read_xattr (const char *p, const char *name, gboolean follow, size_t *len)
{
  for (int tries = 0; tries < 10; tries++)
    {
      ssize_t n = xattr_call (p, name, follow, NULL, 0);
      if (n < 0)
        return NULL;
      char *buf = g_malloc (n + 1);
      ssize_t m = xattr_call (p, name, follow, buf, n);
      if (m >= 0)
        {
          buf[m] = '\0';
          *len = m;
          return buf;
        }
      int e = errno;
      g_free (buf);
      if (e != ERANGE)
        {
          errno = e;
          return NULL;
        }
    }
  errno = ERANGE;
  return NULL;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Appends every attribute of p to list; FALSE with errno on failure. */
static gboolean
append_all (GArray *list, const char *p, gboolean follow)
{
  size_t len;
  g_autofree char *names = read_xattr (p, NULL, follow, &len);
  if (names == NULL)
    return FALSE;
  /* In name order, as the original lists them (the filesystem's own order
   * differs between filesystems and between runs). */
  g_autoptr (GPtrArray) sorted = g_ptr_array_new ();
  for (size_t i = 0; i < len; i += strlen (names + i) + 1)
    if (names[i] != '\0')
      g_ptr_array_add (sorted, names + i);
  g_ptr_array_sort (sorted, compare_names);
  for (guint i = 0; i < sorted->len; i++)
    {
      const char *name = g_ptr_array_index (sorted, i);
      size_t vlen;
      char *val = read_xattr (p, name, follow, &vlen);
      if (val == NULL)
        {
          if (errno == ENODATA)
            continue; /* removed in between */
          return FALSE;
        }
      gd_xattr x = { .attrname = g_strdup (name) };
      x.attrval.attrval_len = vlen;
      x.attrval.attrval_val = val;
      g_array_append_val (list, x);
    }
  return TRUE;
}

static void
take_list (GArray *list, gd_xattr_list *ret)
{
  ret->gd_xattr_list_len = list->len;
  ret->gd_xattr_list_val = (gd_xattr *) g_array_free (list, FALSE);
}

static gboolean
get_all (GdRequest *req, const char *path, gboolean follow, gd_xattr_list *ret, GError **error)
{
  XPath x;
  if (!xpath_open (req, path, follow, &x, error))
    return FALSE;
  GArray *list = g_array_new (FALSE, TRUE, sizeof (gd_xattr));
  gboolean ok = append_all (list, x.path, follow);
  if (!ok)
    gd_perror (error, "%s", path);
  take_list (list, ret); /* the stub frees it on error too */
  xpath_clear (&x);
  return ok;
}

gboolean
gd_do_getxattrs (GdRequest *req, const char *path, gd_xattr_list *ret, GError **error)
{
  return get_all (req, path, TRUE, ret, error);
}

gboolean
gd_do_lgetxattrs (GdRequest *req, const char *path, gd_xattr_list *ret, GError **error)
{
  return get_all (req, path, FALSE, ret, error);
}

static gboolean
get_one (GdRequest *req, const char *path, const char *name, gboolean follow, char **ret,
         size_t *ret_size, GError **error)
{
  XPath x;
  if (!xpath_open (req, path, follow, &x, error))
    return FALSE;
  size_t len;
  char *val = read_xattr (x.path, name, follow, &len);
  if (val == NULL)
    gd_perror (error, "%s: %s", path, name);
  xpath_clear (&x);
  if (val == NULL)
    return FALSE;
  *ret = val;
  *ret_size = len;
  return TRUE;
}

gboolean
gd_do_getxattr (GdRequest *req, const char *path, const char *name, char **ret, size_t *ret_size,
                GError **error)
{
  return get_one (req, path, name, TRUE, ret, ret_size, error);
}

gboolean
gd_do_lgetxattr (GdRequest *req, const char *path, const char *name, char **ret, size_t *ret_size,
                 GError **error)
{
  return get_one (req, path, name, FALSE, ret, ret_size, error);
}

static gboolean
set_one (GdRequest *req, const char *xattr, const char *val, int vallen, const char *path,
         gboolean follow, GError **error)
{
  if (!gd_fs_check_not_negative (path, "value length", vallen, error))
    return FALSE;
  if ((size_t) vallen > strlen (val))
    {
      gd_error_errno (error, EINVAL, "%s: value length %d is longer than the value", path, vallen);
      return FALSE;
    }
  XPath x;
  if (!xpath_open (req, path, follow, &x, error))
    return FALSE;
  int r =
      follow ? setxattr (x.path, xattr, val, vallen, 0) : lsetxattr (x.path, xattr, val, vallen, 0);
  if (r < 0)
    gd_perror (error, "%s: %s", path, xattr);
  xpath_clear (&x);
  return r == 0;
}

gboolean
gd_do_setxattr (GdRequest *req, const char *xattr, const char *val, int vallen, const char *path,
                GError **error)
{
  return set_one (req, xattr, val, vallen, path, TRUE, error);
}

gboolean
gd_do_lsetxattr (GdRequest *req, const char *xattr, const char *val, int vallen, const char *path,
                 GError **error)
{
  return set_one (req, xattr, val, vallen, path, FALSE, error);
}

static gboolean
remove_one (GdRequest *req, const char *xattr, const char *path, gboolean follow, GError **error)
{
  XPath x;
  if (!xpath_open (req, path, follow, &x, error))
    return FALSE;
  int r = follow ? removexattr (x.path, xattr) : lremovexattr (x.path, xattr);
  if (r < 0)
    gd_perror (error, "%s: %s", path, xattr);
  xpath_clear (&x);
  return r == 0;
}

gboolean
gd_do_removexattr (GdRequest *req, const char *xattr, const char *path, GError **error)
{
  return remove_one (req, xattr, path, TRUE, error);
}

gboolean
gd_do_lremovexattr (GdRequest *req, const char *xattr, const char *path, GError **error)
{
  return remove_one (req, xattr, path, FALSE, error);
}

/* For each name: a marker entry with an empty attrname whose value is the
 * number of attributes that follow, as a NUL-terminated decimal string,
 * or an empty value when the file's attributes could not be read; then
 * the attributes themselves. */
gboolean
gd_do_internal_lxattrlist (GdRequest *req, const char *path, char *const *names, gd_xattr_list *ret,
                           GError **error)
{
  int dfd = gd_open (req, path, O_PATH | O_DIRECTORY, 0, error);
  if (dfd < 0)
    return FALSE;
  GArray *list = g_array_new (FALSE, TRUE, sizeof (gd_xattr));
  for (char *const *n = names; *n; n++)
    {
      guint marker = list->len;
      gd_xattr m = { .attrname = g_strdup ("") };
      g_array_append_val (list, m);

      XPath x = { .fd = -1 };
      gboolean dots = gd_fs_is_dot_or_dotdot (*n);
      if (dots)
        {
          /* Resolved as a path: ".." of the guest's root is the root. */
          g_autofree char *p = gd_fs_join (path, *n);
          x.fd = gd_fs_open_path (req, p, FALSE, NULL);
          if (x.fd >= 0)
            x.path = gd_fd_path (x.fd);
        }
      else if (**n != '\0')
        x.path = gd_fs_at_path (dfd, *n);
      /* A directory is never a symlink: following the /proc name of its fd
       * reaches the directory itself. */
      gboolean ok = x.path != NULL && append_all (list, x.path, dots);
      if (x.fd >= 0)
        close (x.fd);
      g_free (x.path);

      gd_xattr *mk = &g_array_index (list, gd_xattr, marker);
      if (!ok)
        {
          /* Drop what was read before the failure. */
          for (guint i = marker + 1; i < list->len; i++)
            {
              gd_xattr *e = &g_array_index (list, gd_xattr, i);
              g_free (e->attrname);
              g_free (e->attrval.attrval_val);
            }
          g_array_set_size (list, marker + 1);
          continue;
        }
      char *count = g_strdup_printf ("%u", list->len - marker - 1);
      mk->attrval.attrval_len = strlen (count) + 1;
      mk->attrval.attrval_val = count;
    }
  close (dfd);
  take_list (list, ret);
  return TRUE;
}
