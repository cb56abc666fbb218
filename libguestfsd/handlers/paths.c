/* libguestfsd handlers: path names (canonical paths, case-insensitive
 * lookup, wildcards), all resolved inside the guest.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "gd-actions.h"
#include "gd-private.h"

/* ------------------------------------------------------------------------
 * realpath: the components are walked one at a time from the guest's
 * root, symlinks are read and their targets spliced into the rest of the
 * path (an absolute target restarts from the guest's root), ".." drops
 * the last component (and stays at the root).  Each directory is held as
 * an fd opened without following anything, so the kernel never resolves
 * a guest symlink itself.
 */

#define MAX_SYMLINKS 40

static char *
canonical_path (GdRequest *req, const char *path, GError **error)
{
  g_autoptr (GArray) fds = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
  GQueue *todo = g_queue_new ();
  char *result = NULL;
  int links = 0;

  int root = gd_open (req, "/", O_PATH | O_DIRECTORY, 0, error);
  if (root < 0)
    {
      g_queue_free (todo);
      return NULL;
    }
  g_array_append_val (fds, root);

  g_auto (GStrv) parts = g_strsplit (path, "/", -1);
  for (char **p = parts; *p; p++)
    g_queue_push_tail (todo, g_strdup (*p));

  while (!g_queue_is_empty (todo))
    {
      g_autofree char *c = g_queue_pop_head (todo);
      int cur = g_array_index (fds, int, fds->len - 1);
      if (*c == '\0' || strcmp (c, ".") == 0)
        continue;
      if (strcmp (c, "..") == 0)
        {
          if (out->len > 0)
            {
              g_ptr_array_set_size (out, out->len - 1);
              close (cur);
              g_array_set_size (fds, fds->len - 1);
            }
          continue;
        }
      struct stat st;
      if (fstatat (cur, c, &st, AT_SYMLINK_NOFOLLOW) < 0)
        goto failed;
      if (S_ISLNK (st.st_mode))
        {
          if (++links > MAX_SYMLINKS)
            {
              errno = ELOOP;
              goto failed;
            }
          char target[PATH_MAX + 1];
          ssize_t n = readlinkat (cur, c, target, PATH_MAX);
          if (n < 0)
            goto failed;
          target[n] = '\0';
          if (target[0] == '/')
            {
              g_ptr_array_set_size (out, 0);
              for (guint i = 1; i < fds->len; i++)
                close (g_array_index (fds, int, i));
              g_array_set_size (fds, 1);
            }
          g_auto (GStrv) tparts = g_strsplit (target, "/", -1);
          for (guint i = g_strv_length (tparts); i > 0; i--)
            g_queue_push_head (todo, g_strdup (tparts[i - 1]));
          continue;
        }
      g_ptr_array_add (out, g_strdup (c));
      if (!g_queue_is_empty (todo))
        {
          /* More follows (even a trailing "/"): this must be a directory. */
          int next = openat (cur, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (next < 0)
            goto failed;
          g_array_append_val (fds, next);
        }
    }

  if (out->len == 0)
    result = g_strdup ("/");
  else
    {
      GString *s = g_string_new (NULL);
      for (guint i = 0; i < out->len; i++)
        {
          g_string_append_c (s, '/');
          g_string_append (s, g_ptr_array_index (out, i));
        }
      result = g_string_free (s, FALSE);
    }
  goto out;

failed:
  gd_perror (error, "%s", path);
out:
  for (guint i = 0; i < fds->len; i++)
    close (g_array_index (fds, int, i));
  g_queue_free_full (todo, g_free);
  return result;
}

gboolean
gd_do_realpath (GdRequest *req, const char *path, char **ret, GError **error)
{
  char *r = canonical_path (req, path, error);
  if (r == NULL)
    return FALSE;
  *ret = r;
  return TRUE;
}

/* ------------------------------------------------------------------------
 * case_sensitive_path
 */

/* The entry of dir matching name: itself if listed, else the first entry
 * equal ignoring ASCII case (on a case-insensitive filesystem such as
 * vfat, the name as stored: "/readme.txt" finds "README.TXT", as the
 * original answers).  NULL if none (errno 0) or on error. */
static char *
find_entry (int dfd, const char *name)
{
  int fd = openat (dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = fd >= 0 ? fdopendir (fd) : NULL;
  if (d == NULL)
    {
      if (fd >= 0)
        close (fd);
      return NULL;
    }
  char *found = NULL;
  gboolean exact = FALSE;
  struct dirent *ent;
  errno = 0;
  while (!exact && (ent = readdir (d)) != NULL)
    if (strcmp (ent->d_name, name) == 0)
      {
        g_free (found);
        found = g_strdup (ent->d_name);
        exact = TRUE;
      }
    else if (found == NULL && strcasecmp (ent->d_name, name) == 0)
      found = g_strdup (ent->d_name);
  int e = errno;
  closedir (d);
  if (found == NULL && e == 0 && faccessat (dfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    found = g_strdup (name);
  errno = e;
  return found;
}

gboolean
gd_do_case_sensitive_path (GdRequest *req, const char *path, char **ret, GError **error)
{
  g_auto (GStrv) parts = g_strsplit (path, "/", -1);
  guint n = g_strv_length (parts);
  gint last = -1; /* index of the last non-empty component */
  for (guint i = 0; i < n; i++)
    if (*parts[i])
      last = i;
  g_autoptr (GString) result = g_string_new (NULL);

  for (gint i = 0; i <= last; i++)
    {
      const char *c = parts[i];
      if (*c == '\0')
        continue;
      if (gd_fs_is_dot_or_dotdot (c))
        {
          gd_error_errno (error, EINVAL, "%s: path element is '.' or '..'", path);
          return FALSE;
        }
      /* The directory found so far, followed inside the guest. */
      int dfd = gd_open (req, result->len ? result->str : "/", O_PATH | O_DIRECTORY, 0, error);
      if (dfd < 0)
        return FALSE;
      errno = 0;
      g_autofree char *found = find_entry (dfd, c);
      int e = errno;
      close (dfd);
      if (found == NULL && e != 0)
        {
          errno = e;
          gd_perror (error, "%s", result->len ? result->str : "/");
          return FALSE;
        }
      if (found == NULL && i != last)
        {
          /* The original's words: the component, "not found". */
          gd_error_errno (error, ENOENT, "%s: not found", c);
          return FALSE;
        }
      g_string_append_c (result, '/');
      g_string_append (result, found ? found : c);
    }
  if (result->len == 0)
    g_string_assign (result, "/");
  else if (n > 1 && *parts[n - 1] == '\0')
    {
      /* A trailing slash: what was found must be a directory. */
      int fd = gd_open (req, result->str, O_PATH | O_DIRECTORY, 0, error);
      if (fd < 0)
        return FALSE;
      close (fd);
    }
  *ret = g_string_free (g_steal_pointer (&result), FALSE);
  return TRUE;
}

/* ------------------------------------------------------------------------
 * glob_expand: glob(3) with GLOB_ALTDIRFUNC, whose directory and stat
 * callbacks resolve every name inside the guest.  The callbacks have no
 * user data, so the request travels in a thread-local variable.
 */

static __thread GdRequest *glob_req;

static void *
glob_opendir (const char *name)
{
  return gd_fs_opendir (glob_req, *name ? name : "/", NULL);
}

static struct dirent *
glob_readdir (void *d)
{
  return readdir (d);
}

static void
glob_closedir (void *d)
{
  closedir (d);
}

static int
glob_stat_common (const char *name, struct stat *st, gboolean follow)
{
  g_autoptr (GError) local = NULL;
  if (gd_fs_stat (glob_req, *name ? name : "/", follow, st, &local))
    return 0;
  errno = gd_error_get_errno (local);
  return -1;
}

static int
glob_lstat (const char *name, struct stat *st)
{
  return glob_stat_common (name, st, FALSE);
}

static int
glob_stat (const char *name, struct stat *st)
{
  return glob_stat_common (name, st, TRUE);
}

gboolean
gd_do_glob_expand (GdRequest *req, const char *pattern, gboolean directoryslash, char ***ret,
                   GError **error)
{
  if (!gd_request_has_optarg (req, GD_GLOB_EXPAND_DIRECTORYSLASH_BITMASK))
    directoryslash = TRUE;
  glob_t g;
  memset (&g, 0, sizeof g);
  g.gl_opendir = glob_opendir;
  g.gl_readdir = (void *) glob_readdir;
  g.gl_closedir = glob_closedir;
  g.gl_lstat = glob_lstat;
  g.gl_stat = glob_stat;
  int flags = GLOB_BRACE | GLOB_ALTDIRFUNC | (directoryslash ? GLOB_MARK : 0);
  glob_req = req;
  int r = glob (pattern, flags, NULL, &g);
  glob_req = NULL;
  if (r == GLOB_NOMATCH)
    {
      *ret = g_new0 (char *, 1);
      return TRUE;
    }
  if (r != 0)
    {
      if (r == GLOB_NOSPACE)
        gd_error_errno (error, ENOMEM, "%s: glob: out of memory", pattern);
      else
        gd_error_errno (error, EIO, "%s: glob: read error", pattern);
      globfree (&g);
      return FALSE;
    }
  char **list = g_new0 (char *, g.gl_pathc + 1);
  for (size_t i = 0; i < g.gl_pathc; i++)
    list[i] = g_strdup (g.gl_pathv[i]);
  globfree (&g);
  *ret = list;
  return TRUE;
}
