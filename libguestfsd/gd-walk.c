/* libguestfsd: walking a directory tree in the guest.
 *
 * The walk is relative to an already-confined directory fd and never
 * follows a symlink (every open uses O_NOFOLLOW, every stat
 * AT_SYMLINK_NOFOLLOW), so it cannot leave the tree it started in.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gd-private.h"

typedef struct
{
  GdWalkFunc func;
  gpointer data;
  GdWalkFlags flags;
  GString *path;
} Walk;

/* Each name is stored after one byte holding its d_type. */
static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a + 1, *(const char *const *) b + 1);
}

/* The names in a directory (without . and ..), sorted when asked, each
 * preceded by its d_type. */
static GPtrArray *
read_names (int dfd, gboolean sorted, GError **error)
{
  int fd = openat (dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = fd >= 0 ? fdopendir (fd) : NULL;
  if (d == NULL)
    {
      gd_perror (error, "opendir");
      if (fd >= 0)
        close (fd);
      return NULL;
    }
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  struct dirent *ent;
  errno = 0;
  while ((ent = readdir (d)) != NULL)
    {
      const char *n = ent->d_name;
      if (!(n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0'))))
        {
          size_t len = strlen (n);
          char *e = g_malloc (len + 2);
          e[0] = (char) ent->d_type;
          memcpy (e + 1, n, len + 1);
          g_ptr_array_add (names, e);
        }
      errno = 0;
    }
  int saved = errno;
  closedir (d);
  if (saved != 0)
    {
      errno = saved;
      gd_perror (error, "readdir");
      g_ptr_array_unref (names);
      return NULL;
    }
  if (sorted)
    g_ptr_array_sort (names, compare_names);
  return names;
}

static gboolean walk_dir (Walk *w, int dfd, GError **error);

static gboolean
visit (Walk *w, int dfd, const char *name, unsigned char type, GError **error)
{
  size_t saved_len = w->path->len;
  if (w->path->len > 0 && w->path->str[w->path->len - 1] != '/')
    g_string_append_c (w->path, '/');
  g_string_append (w->path, name);

  gboolean ok = FALSE;
  struct stat st;
  int sub = -1;
  if ((w->flags & GD_WALK_TYPE_ONLY) && type != DT_UNKNOWN)
    {
      memset (&st, 0, sizeof st);
      st.st_mode = DTTOIF (type);
      if (S_ISDIR (st.st_mode))
        {
          /* Opened before the callback, so that an entry the directory
           * listing calls a directory and which is not (a filesystem
           * changed under us, or a corrupt one) is stat'ed instead. */
          sub = openat (dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (sub < 0)
            type = DT_UNKNOWN;
        }
    }
  else
    type = DT_UNKNOWN;
  if (type == DT_UNKNOWN && fstatat (dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    {
      gd_perror (error, "%s", w->path->str);
      goto out;
    }
  if (!S_ISDIR (st.st_mode))
    {
      ok = w->func (dfd, name, w->path->str, &st, GD_WALK_FILE, w->data, error);
      goto out;
    }
  if (!w->func (dfd, name, w->path->str, &st, GD_WALK_PRE, w->data, error))
    goto out;
  if (sub < 0)
    sub = openat (dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (sub < 0)
    {
      gd_perror (error, "%s", w->path->str);
      goto out;
    }
  int opened = sub;
  sub = -1;
  ok = walk_dir (w, opened, error);
  close (opened);
  if (ok && (w->flags & GD_WALK_WANT_POST))
    ok = w->func (dfd, name, w->path->str, &st, GD_WALK_POST, w->data, error);
out:
  if (sub >= 0)
    close (sub);
  g_string_truncate (w->path, saved_len);
  return ok;
}

static gboolean
walk_dir (Walk *w, int dfd, GError **error)
{
  g_autoptr (GPtrArray) names = read_names (dfd, (w->flags & GD_WALK_SORTED) != 0, error);
  if (names == NULL)
    return FALSE;
  for (guint i = 0; i < names->len; i++)
    {
      const char *e = g_ptr_array_index (names, i);
      if (!visit (w, dfd, e + 1, (unsigned char) e[0], error))
        return FALSE;
    }
  return TRUE;
}

gboolean
gd_walk (int dirfd, const char *prefix, GdWalkFlags flags, GdWalkFunc func, gpointer data,
         GError **error)
{
  Walk w = { .func = func, .data = data, .flags = flags, .path = g_string_new (prefix) };
  gboolean ok = walk_dir (&w, dirfd, error);
  g_string_free (w.path, TRUE);
  return ok;
}
