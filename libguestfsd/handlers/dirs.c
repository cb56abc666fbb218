/* libguestfsd handlers: directories (create, remove, list).
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "gd-actions.h"
#include "gd-private.h"

/* ------------------------------------------------------------------------
 * Creating.
 */

static gboolean
mkdir_path (GdRequest *req, const char *path, int mode, GError **error)
{
  g_autofree char *name = NULL;
  int dfd = gd_open_parent (req, path, &name, error);
  if (dfd < 0)
    return FALSE;
  int r = mkdirat (dfd, name, mode & ~gd_fs_umask (req));
  if (r < 0)
    gd_perror (error, "%s", path);
  close (dfd);
  return r == 0;
}

gboolean
gd_do_mkdir (GdRequest *req, const char *path, GError **error)
{
  return mkdir_path (req, path, 0777, error);
}

gboolean
gd_do_mkdir_mode (GdRequest *req, const char *path, int mode, GError **error)
{
  if (!gd_fs_check_not_negative (path, "mode", mode, error))
    return FALSE;
  return mkdir_path (req, path, mode, error);
}

/* The components of path, in order, as offsets of their ends: path[0,
 * ends[i]) is the i-th prefix.  Empty components (from "//") and "." are
 * kept: the prefixes are the literal strings the kernel would resolve. */
static GArray *
component_ends (const char *path)
{
  GArray *ends = g_array_new (FALSE, FALSE, sizeof (size_t));
  size_t i = 0, n = strlen (path);
  while (i < n)
    {
      while (i < n && path[i] == '/')
        i++;
      if (i == n)
        break;
      while (i < n && path[i] != '/')
        i++;
      g_array_append_val (ends, i);
    }
  return ends;
}

gboolean
gd_do_mkdir_p (GdRequest *req, const char *path, GError **error)
{
  /* Find the longest prefix that already exists (normally all but the
   * last few components), resolving each prefix as a whole inside the
   * guest, then create the rest one component at a time with *at calls
   * on the directory just made: so symlinks in the existing part are
   * followed as the guest sees them, and a path longer than PATH_MAX can
   * still be created level by level. */
  mode_t mode = 0777 & ~gd_fs_umask (req);
  g_autoptr (GArray) ends = component_ends (path);
  guint n = ends->len;
  int fd = -1;
  guint done = n; /* components [0, done) exist and fd is their directory */
  for (;;)
    {
      size_t len = done > 0 ? g_array_index (ends, size_t, done - 1) : 1;
      g_autoptr (GError) local = NULL;
      if (len < PATH_MAX)
        {
          g_autofree char *prefix = g_strndup (path, len);
          fd = gd_open (req, prefix, O_PATH | O_DIRECTORY, 0, &local);
          if (fd >= 0)
            break;
          int e = gd_error_get_errno (local);
          struct stat st;
          if (e == ENOTDIR && done == n && gd_fs_stat (req, path, TRUE, &st, NULL))
            {
              /* The whole path exists but is not a directory. */
              gd_error_errno (error, EEXIST, "%s: exists and is not a directory", path);
              return FALSE;
            }
          if (e != ENOENT || done == 0)
            {
              g_propagate_error (error, g_steal_pointer (&local));
              return FALSE;
            }
        }
      done--;
    }

  for (guint i = done; i < n; i++)
    {
      size_t end = g_array_index (ends, size_t, i);
      size_t start = end;
      while (start > 0 && path[start - 1] != '/')
        start--;
      g_autofree char *comp = g_strndup (path + start, end - start);
      int next;
      if (gd_fs_is_dot_or_dotdot (comp))
        {
          /* Never step up from an fd: resolve the literal prefix. */
          g_autofree char *prefix = g_strndup (path, end);
          next = gd_open (req, prefix, O_PATH | O_DIRECTORY, 0, error);
          if (next < 0)
            {
              close (fd);
              return FALSE;
            }
        }
      else
        {
          if (mkdirat (fd, comp, mode) < 0 && errno != EEXIST)
            {
              g_autofree char *prefix = g_strndup (path, end);
              gd_perror (error, "%s", prefix);
              close (fd);
              return FALSE;
            }
          next = openat (fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (next < 0)
            {
              /* Not a directory, or a symlink (followed inside the guest,
               * as mkdir -p would). */
              g_autofree char *prefix = g_strndup (path, end);
              g_autoptr (GError) local = NULL;
              next = gd_open (req, prefix, O_PATH | O_DIRECTORY, 0, &local);
              if (next < 0)
                {
                  if (i == n - 1 && gd_error_get_errno (local) == ENOTDIR)
                    gd_error_errno (error, EEXIST, "%s: exists and is not a directory", path);
                  else
                    g_propagate_error (error, g_steal_pointer (&local));
                  close (fd);
                  return FALSE;
                }
            }
        }
      close (fd);
      fd = next;
      gd_pulse_tick (req);
    }
  close (fd);
  gd_pulse_end (req);
  return TRUE;
}

gboolean
gd_do_mkdtemp (GdRequest *req, const char *tmpl, char **ret, GError **error)
{
  static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  size_t len = strlen (tmpl);
  const char *slash = strrchr (tmpl, '/');
  if (len < 6 || strcmp (tmpl + len - 6, "XXXXXX") != 0 || (size_t) (slash - tmpl) + 6 >= len)
    {
      gd_error_errno (error, EINVAL, "%s: template must end in XXXXXX", tmpl);
      return FALSE;
    }
  g_autofree char *name = NULL;
  int dfd = gd_open_parent (req, tmpl, &name, error);
  if (dfd < 0)
    return FALSE;
  size_t nlen = strlen (name);
  for (int tries = 0; tries < 1000; tries++)
    {
      for (int i = 0; i < 6; i++)
        name[nlen - 6 + i] = chars[g_random_int_range (0, sizeof chars - 1)];
      if (mkdirat (dfd, name, 0700 & ~gd_fs_umask (req)) == 0)
        {
          close (dfd);
          char *out = g_strdup (tmpl);
          memcpy (out + len - 6, name + nlen - 6, 6);
          *ret = out;
          return TRUE;
        }
      if (errno != EEXIST)
        {
          gd_perror (error, "%s", tmpl);
          close (dfd);
          return FALSE;
        }
    }
  close (dfd);
  gd_error_errno (error, EEXIST, "%s: could not find an unused name", tmpl);
  return FALSE;
}

/* ------------------------------------------------------------------------
 * Removing.
 */

gboolean
gd_do_rmdir (GdRequest *req, const char *path, GError **error)
{
  g_autofree char *name = NULL;
  int dfd = gd_open_parent (req, path, &name, error);
  if (dfd < 0)
    return FALSE;
  int r = unlinkat (dfd, name, AT_REMOVEDIR);
  if (r < 0)
    gd_perror (error, "%s", path);
  close (dfd);
  return r == 0;
}

/* Removing a tree of any depth.  Each level being emptied is a frame; the
 * directory streams of the deepest MAX_OPEN levels stay open, and a level
 * whose stream was closed is reopened through ".." of its child when the
 * walk comes back to it, after checking that ".." is the very directory
 * that was left (device and inode).  So the number of open fds is
 * bounded, a walk never reaches above where it started, and nothing is
 * followed: entries are removed with unlinkat in the directory that holds
 * them. */
#define MAX_OPEN 64

typedef struct
{
  char *name; /* entry name in the parent frame */
  dev_t dev;
  ino_t ino;
  DIR *dir; /* NULL when closed to save fds */
} Frame;

static void
frame_clear (Frame *f)
{
  g_free (f->name);
  if (f->dir != NULL)
    closedir (f->dir);
}

static DIR *
open_dir_at (int dfd, const char *name, dev_t *dev, ino_t *ino)
{
  int fd = openat (dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  struct stat st;
  if (fstat (fd, &st) < 0)
    {
      close (fd);
      return NULL;
    }
  *dev = st.st_dev;
  *ino = st.st_ino;
  DIR *d = fdopendir (fd);
  if (d == NULL)
    close (fd);
  return d;
}

/* Empties the directory 'name' of dfd and, unless keep_top, removes it. */
static gboolean
remove_tree (GdRequest *req, int dfd, const char *name, const char *path, gboolean keep_top,
             GError **error)
{
  g_autoptr (GArray) frames = g_array_new (FALSE, TRUE, sizeof (Frame));
  g_array_set_clear_func (frames, (GDestroyNotify) frame_clear);
  Frame top = { .name = g_strdup (name) };
  top.dir = open_dir_at (dfd, name, &top.dev, &top.ino);
  if (top.dir == NULL)
    {
      gd_perror (error, "%s", path);
      g_free (top.name);
      return FALSE;
    }
  g_array_append_val (frames, top);
  guint64 removed = 0;

  while (frames->len > 0)
    {
      Frame *f = &g_array_index (frames, Frame, frames->len - 1);
      int fd = dirfd (f->dir);
      errno = 0;
      struct dirent *ent = readdir (f->dir);
      if (ent == NULL)
        {
          if (errno != 0)
            {
              gd_perror (error, "%s: reading a directory", path);
              return FALSE;
            }
          /* f is empty now: remove it from its parent. */
          int pfd;
          if (frames->len == 1)
            pfd = dfd;
          else
            {
              Frame *parent = &g_array_index (frames, Frame, frames->len - 2);
              if (parent->dir == NULL)
                {
                  dev_t dev;
                  ino_t ino;
                  parent->dir = open_dir_at (fd, "..", &dev, &ino);
                  if (parent->dir == NULL)
                    {
                      gd_perror (error, "%s: reopening a directory", path);
                      return FALSE;
                    }
                  if (dev != parent->dev || ino != parent->ino)
                    {
                      gd_error_errno (error, EAGAIN,
                                      "%s: the tree was moved while it was being removed", path);
                      return FALSE;
                    }
                }
              pfd = dirfd (parent->dir);
            }
          if (frames->len == 1 && keep_top)
            return TRUE;
          if (unlinkat (pfd, f->name, AT_REMOVEDIR) < 0 && errno != ENOENT)
            {
              gd_perror (error, "%s: removing a directory", path);
              return FALSE;
            }
          g_array_set_size (frames, frames->len - 1);
          continue;
        }
      const char *n = ent->d_name;
      if (gd_fs_is_dot_or_dotdot (n))
        continue;
      if ((++removed & 255) == 0)
        gd_pulse_tick (req);
      gboolean is_dir = ent->d_type == DT_DIR;
      if (ent->d_type == DT_UNKNOWN)
        {
          struct stat st;
          if (fstatat (fd, n, &st, AT_SYMLINK_NOFOLLOW) < 0)
            {
              if (errno == ENOENT)
                continue;
              gd_perror (error, "%s: %s", path, n);
              return FALSE;
            }
          is_dir = S_ISDIR (st.st_mode);
        }
      if (!is_dir)
        {
          if (unlinkat (fd, n, 0) == 0 || errno == ENOENT)
            continue;
          if (errno != EISDIR)
            {
              gd_perror (error, "%s: %s", path, n);
              return FALSE;
            }
        }
      /* A directory: an empty one goes at once, others get a frame. */
      if (unlinkat (fd, n, AT_REMOVEDIR) == 0 || errno == ENOENT)
        continue;
      if (errno != ENOTEMPTY && errno != EEXIST)
        {
          gd_perror (error, "%s: %s", path, n);
          return FALSE;
        }
      Frame child = { .name = g_strdup (n) };
      child.dir = open_dir_at (fd, n, &child.dev, &child.ino);
      if (child.dir == NULL)
        {
          gd_perror (error, "%s: %s", path, n);
          g_free (child.name);
          return FALSE;
        }
      g_array_append_val (frames, child);
      if (frames->len > MAX_OPEN + 1)
        {
          Frame *old = &g_array_index (frames, Frame, frames->len - MAX_OPEN - 2);
          if (old->dir != NULL)
            {
              closedir (old->dir);
              old->dir = NULL;
            }
        }
    }
  return TRUE;
}

gboolean
gd_do_rm_rf (GdRequest *req, const char *path, GError **error)
{
  /* Like rm -rf: a missing path is not an error, "." and ".." are refused,
   * symlinks are removed, not followed.  The root directory is emptied. */
  const char *last = path + strlen (path);
  while (last > path && last[-1] == '/')
    last--;
  gboolean is_root = last == path;
  const char *base = last;
  while (base > path && base[-1] != '/')
    base--;
  if (!is_root)
    {
      g_autofree char *b = g_strndup (base, last - base);
      if (gd_fs_is_dot_or_dotdot (b))
        {
          gd_error_errno (error, EINVAL, "%s: refusing to remove '.' or '..'", path);
          return FALSE;
        }
    }

  g_autoptr (GError) local = NULL;
  g_autofree char *name = NULL;
  int dfd = gd_open_parent (req, path, &name, &local);
  if (dfd < 0)
    {
      if (gd_error_get_errno (local) == ENOENT)
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  gboolean ok = TRUE;
  struct stat st;
  if (fstatat (dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    {
      if (errno != ENOENT)
        {
          gd_perror (error, "%s", path);
          ok = FALSE;
        }
    }
  else if (!S_ISDIR (st.st_mode))
    {
      if (unlinkat (dfd, name, 0) < 0 && errno != ENOENT)
        {
          gd_perror (error, "%s", path);
          ok = FALSE;
        }
    }
  else
    {
      ok = remove_tree (req, dfd, name, path, is_root, error);
      if (ok)
        gd_pulse_end (req);
    }
  close (dfd);
  return ok;
}

/* ------------------------------------------------------------------------
 * Listing.
 */

gboolean
gd_do_ls0 (GdRequest *req, const char *dir, GError **error)
{
  DIR *d = gd_fs_opendir (req, dir, error);
  if (d == NULL)
    return FALSE;
  gboolean ok = TRUE;
  struct dirent *ent;
  errno = 0;
  while (ok && (ent = readdir (d)) != NULL)
    {
      const char *n = ent->d_name;
      if (gd_fs_is_dot_or_dotdot (n))
        continue;
      ok = gd_fileout_write (req, n, strlen (n) + 1, error);
      errno = 0;
    }
  if (ok && errno != 0)
    {
      gd_perror (error, "%s", dir);
      ok = FALSE;
    }
  closedir (d);
  return ok;
}

static char
dirent_type_char (unsigned char t)
{
  switch (t)
    {
    case DT_BLK:
      return 'b';
    case DT_CHR:
      return 'c';
    case DT_DIR:
      return 'd';
    case DT_FIFO:
      return 'f';
    case DT_LNK:
      return 'l';
    case DT_REG:
      return 'r';
    case DT_SOCK:
      return 's';
    case DT_UNKNOWN:
      return 'u';
    default:
      return '?';
    }
}

gboolean
gd_do_readdir (GdRequest *req, const char *dir, gd_dirent_list *ret, GError **error)
{
  DIR *d = gd_fs_opendir (req, dir, error);
  if (d == NULL)
    return FALSE;
  GArray *list = g_array_new (FALSE, TRUE, sizeof (gd_dirent));
  struct dirent *ent;
  errno = 0;
  while ((ent = readdir (d)) != NULL)
    {
      gd_dirent e = {
        .ino = ent->d_ino,
        .ftyp = dirent_type_char (ent->d_type),
        .name = g_strdup (ent->d_name),
      };
      g_array_append_val (list, e);
      errno = 0;
    }
  int saved = errno;
  closedir (d);
  /* Hand the entries to the stub even on error: it frees them. */
  ret->gd_dirent_list_len = list->len;
  ret->gd_dirent_list_val = (gd_dirent *) g_array_free (list, FALSE);
  if (saved != 0)
    {
      errno = saved;
      gd_perror (error, "%s", dir);
      return FALSE;
    }
  return TRUE;
}

/* ls -la (or -laZ) of a guest path, run on the host with its working
 * directory inside the guest, so ls sees only relative names. */
static gboolean
run_ls (GdRequest *req, const char *path, const char *flags, char **ret, GError **error)
{
  /* No colours or indicators: they make ls stat symlink targets, which
   * the kernel would resolve from the host's root. */
  /* -n: owners as numbers, as the original's ls prints them in the
   * appliance (which has no user database); a host's names for guest ids
   * would be wrong. */
  const char *argv[8] = { "ls", flags, "-n", "--color=never", "--indicator-style=none",
                          NULL, NULL,  NULL };
  int cwd = -1;
  int dfd = -1;
  gboolean is_link = FALSE;
  size_t len = strlen (path);
  if (len > 1 && path[len - 1] == '/')
    {
      /* A trailing slash: the directory, through a symlink if need be. */
      cwd = gd_open (req, path, O_PATH | O_DIRECTORY, 0, error);
      if (cwd < 0)
        return FALSE;
    }
  else
    {
      g_autofree char *name = NULL;
      dfd = gd_open_parent (req, path, &name, error);
      if (dfd < 0)
        return FALSE;
      struct stat st;
      if (fstatat (dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        {
          gd_perror (error, "%s", path);
          close (dfd);
          return FALSE;
        }
      /* A symlink to a directory is listed as the directory, as the
       * original's ls does. */
      if (S_ISLNK (st.st_mode) && (cwd = gd_open (req, path, O_PATH | O_DIRECTORY, 0, NULL)) >= 0)
        {
          close (dfd);
          dfd = -1;
        }
      else if (S_ISDIR (st.st_mode))
        {
          cwd = openat (dfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (cwd < 0)
            {
              gd_perror (error, "%s", path);
              close (dfd);
              return FALSE;
            }
          close (dfd);
          dfd = -1;
        }
      else
        {
          /* Like ls -la on a file (or on a symlink, which -l does not
           * follow on the command line): one line for it. */
          argv[5] = "--";
          argv[6] = g_steal_pointer (&name);
          cwd = dfd;
          is_link = S_ISLNK (st.st_mode);
        }
    }
  GdRunOpts opts = {
    .argv = argv,
    .stdin_fd = -1,
    .stdout_fd = -1,
    .cwd_fd = cwd,
  };
  g_autofree char *out = NULL;
  gboolean ok = gd_run_full (req, &opts, &out, NULL, NULL, error);
  close (cwd);
  if (ok && argv[6] != NULL)
    {
      /* One file: name it by its guest path ("/srv/a"), as the original
       * does but without its internal sysroot prefix. */
      g_autofree char *pat = g_strconcat (" ", argv[6], is_link ? " -> " : "\n", NULL);
      char *at = strstr (out, pat);
      if (at != NULL)
        {
          *at = '\0';
          char *fixed = g_strconcat (out, " ", path, at + 1 + strlen (argv[6]), NULL);
          g_free (out);
          out = fixed;
        }
    }
  g_free ((char *) argv[6]);
  if (!ok)
    return FALSE;
  *ret = g_steal_pointer (&out);
  return TRUE;
}

gboolean
gd_do_ll (GdRequest *req, const char *directory, char **ret, GError **error)
{
  return run_ls (req, directory, "-la", ret, error);
}

gboolean
gd_do_llz (GdRequest *req, const char *directory, char **ret, GError **error)
{
  return run_ls (req, directory, "-laZ", ret, error);
}
