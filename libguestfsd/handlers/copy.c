/* libguestfsd handlers: cp, cp_a, cp_r and mv.
 *
 * GNU cp/mv semantics, done by our own code in a child chrooted into the
 * sysroot (confine.h): the child sees only the guest, so absolute symlinks
 * in it resolve as the guest would see them.  Trees are walked with
 * directory fds, so depth is not limited by PATH_MAX.  The parent sends
 * pulse progress while the child works.
 *
 *   cp    one file (source symlinks followed), into a directory if dest
 *         is one;
 *   cp_r  "cp -rP": recursive, symlinks and special files recreated,
 *         nothing preserved (new files get the source mode minus umask);
 *   cp_a  "cp -a": recursive, keeping modes, owners, times, extended
 *         attributes (so ACLs) and hard links within the copy;
 *   mv    rename(2), or across filesystems "cp -a" then removal.
 *
 * Errors inside a tree do not stop the copy (like cp); the first one is
 * reported at the end.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "confine.h"
#include "gd-actions.h"
#include "gd-private.h"

typedef enum
{
  COPY_PLAIN,
  COPY_R,
  COPY_A,
  MOVE,
} CopyMode;

typedef struct
{
  CopyMode mode;
  const char *src;
  const char *dest;
  /* In the child: */
  gboolean preserve;
  GHashTable *links; /* "dev:ino" of a copied source -> O_PATH fd of its copy */
  guint8 *buf;
  GString *path; /* the destination path being written, for messages */
} Copy;

#define BUF_SIZE (1024 * 1024)

/* ---- file data --------------------------------------------------------- */

static gboolean
copy_range_rw (Copy *c, int in, int out, off_t off, off_t end)
{
  while (off < end)
    {
      size_t want = MIN ((off_t) BUF_SIZE, end - off);
      ssize_t n = pread (in, c->buf, want, off);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return FALSE;
      if (n == 0)
        break; /* the file shrank */
      for (ssize_t done = 0; done < n;)
        {
          ssize_t w = pwrite (out, c->buf + done, n - done, off + done);
          if (w < 0 && errno == EINTR)
            continue;
          if (w < 0)
            return FALSE;
          done += w;
        }
      off += n;
    }
  return TRUE;
}

/* Copies the data of in to out, leaving the holes of a sparse file as
 * holes, then sets out's size. */
static gboolean
copy_data (Copy *c, int in, int out, off_t size)
{
  off_t off = 0;
  gboolean seek_ok = TRUE;
  while (off < size)
    {
      off_t data = seek_ok ? lseek (in, off, SEEK_DATA) : off;
      if (data < 0 && errno == ENXIO)
        break; /* only a hole is left */
      if (data < 0)
        {
          seek_ok = FALSE;
          continue;
        }
      off_t hole = seek_ok ? lseek (in, data, SEEK_HOLE) : size;
      if (hole < 0)
        hole = size;
      hole = MIN (hole, size);
      off_t pos = data;
      while (pos < hole)
        {
          loff_t ip = pos, op = pos;
          ssize_t n = copy_file_range (in, &ip, out, &op, hole - pos, 0);
          if (n > 0)
            {
              pos += n;
              continue;
            }
          if (n == 0)
            break;
          if (errno == EINTR)
            continue;
          /* Not possible between these files: plain reads and writes. */
          if (!copy_range_rw (c, in, out, pos, hole))
            return FALSE;
          pos = hole;
        }
      off = hole;
    }
  return ftruncate (out, size) == 0;
}

/* ---- attributes -------------------------------------------------------- */

/* Copies the extended attributes (which carry ACLs and SELinux labels).
 * Filesystems without xattrs are not an error. */
static void
copy_xattrs (int in, int out, const char *what)
{
  ssize_t len = flistxattr (in, NULL, 0);
  if (len <= 0)
    return;
  g_autofree char *names = g_malloc (len);
  len = flistxattr (in, names, len);
  if (len <= 0)
    return;
  for (char *name = names; name < names + len; name += strlen (name) + 1)
    {
      ssize_t vlen = fgetxattr (in, name, NULL, 0);
      if (vlen < 0)
        continue;
      g_autofree char *value = g_malloc (vlen + 1);
      vlen = fgetxattr (in, name, value, vlen);
      if (vlen < 0)
        continue;
      if (fsetxattr (out, name, value, vlen, 0) < 0 && errno != ENOTSUP && errno != EPERM)
        gdc_note (errno, "%s: setting %s: %s", what, name, strerror (errno));
    }
}

/* Owner, mode, xattrs and times of st onto fd (cp -a). */
static void
preserve_fd (int in, int out, const struct stat *st, const char *what)
{
  if (fchown (out, st->st_uid, st->st_gid) < 0 && errno != EPERM)
    gdc_note (errno, "%s: chown: %s", what, strerror (errno));
  if (fchmod (out, st->st_mode & 07777) < 0)
    gdc_note (errno, "%s: chmod: %s", what, strerror (errno));
  if (in >= 0)
    copy_xattrs (in, out, what);
  struct timespec ts[2] = { st->st_atim, st->st_mtim };
  if (futimens (out, ts) < 0)
    gdc_note (errno, "%s: setting times: %s", what, strerror (errno));
}

/* Owner, mode (unless a symlink's) and times of st onto dname in ddir,
 * for entries that cannot be opened (symlinks, devices, fifos). */
static void
preserve_at (int ddir, const char *dname, const struct stat *st, gboolean with_mode,
             const char *what)
{
  if (fchownat (ddir, dname, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EPERM)
    gdc_note (errno, "%s: chown: %s", what, strerror (errno));
  if (with_mode && fchmodat (ddir, dname, st->st_mode & 07777, 0) < 0)
    gdc_note (errno, "%s: chmod: %s", what, strerror (errno));
  struct timespec ts[2] = { st->st_atim, st->st_mtim };
  if (utimensat (ddir, dname, ts, AT_SYMLINK_NOFOLLOW) < 0)
    gdc_note (errno, "%s: setting times: %s", what, strerror (errno));
}

/* ---- one entry ----------------------------------------------------------*/

static gboolean copy_entry (Copy *c, int sdir, const char *sname, const struct stat *st, int ddir,
                            const char *dname);

static char *
link_key (const struct stat *st)
{
  return g_strdup_printf ("%ju:%ju", (uintmax_t) st->st_dev, (uintmax_t) st->st_ino);
}

/* Makes room for a non-directory at dname: cp replaces what is there
 * unless it is a directory. */
static gboolean
remove_existing (Copy *c, int ddir, const char *dname)
{
  struct stat st;
  if (fstatat (ddir, dname, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return TRUE;
  if (S_ISDIR (st.st_mode))
    {
      gdc_note (EISDIR, "%s: cannot overwrite directory with non-directory", c->path->str);
      return FALSE;
    }
  if (unlinkat (ddir, dname, 0) < 0)
    {
      gdc_note (errno, "%s: %s", c->path->str, strerror (errno));
      return FALSE;
    }
  return TRUE;
}

static gboolean
copy_regular (Copy *c, int sdir, const char *sname, const struct stat *st, int ddir,
              const char *dname)
{
  g_autofree char *key = NULL;
  if (c->links && st->st_nlink > 1)
    {
      key = link_key (st);
      int first = GPOINTER_TO_INT (g_hash_table_lookup (c->links, key));
      if (first > 0)
        {
          if (!remove_existing (c, ddir, dname))
            return FALSE;
          if (linkat (first, "", ddir, dname, AT_EMPTY_PATH) == 0)
            return TRUE;
          /* Not allowed or not possible: copy the data again. */
        }
    }
  int in = openat (sdir, sname, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (in < 0)
    {
      gdc_note (errno, "%s: %s", c->src, strerror (errno));
      return FALSE;
    }
  struct stat now;
  if (fstat (in, &now) < 0 || !S_ISREG (now.st_mode))
    {
      gdc_note (EAGAIN, "%s: changed while being copied", c->path->str);
      close (in);
      return FALSE;
    }
  mode_t mode = c->preserve ? (st->st_mode & 0700) : (st->st_mode & 0777);
  int out = openat (ddir, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY | O_CLOEXEC, mode);
  if (out < 0 && errno == EEXIST)
    {
      /* cp writes into an existing file, through a symlink too: in the
       * chroot that stays in the guest. */
      out = openat (ddir, dname, O_WRONLY | O_TRUNC | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
      struct stat dst;
      if (out >= 0 && fstat (out, &dst) == 0 && !S_ISREG (dst.st_mode))
        {
          close (out);
          out = -1;
          errno = EINVAL;
        }
      if (out >= 0 && dst.st_dev == st->st_dev && dst.st_ino == st->st_ino)
        {
          close (out);
          close (in);
          gdc_note (EINVAL, "%s and %s are the same file", c->src, c->path->str);
          return FALSE;
        }
      if (out >= 0)
        fcntl (out, F_SETFL, 0);
    }
  if (out < 0)
    {
      gdc_note (errno, "%s: %s", c->path->str, strerror (errno));
      close (in);
      return FALSE;
    }
  gboolean ok = copy_data (c, in, out, now.st_size);
  if (!ok)
    gdc_note (errno, "%s: %s", c->path->str, strerror (errno));
  if (ok && c->preserve)
    preserve_fd (in, out, st, c->path->str);
  if (close (out) < 0 && ok)
    {
      gdc_note (errno, "%s: %s", c->path->str, strerror (errno));
      ok = FALSE;
    }
  close (in);
  if (ok && key)
    {
      int pfd = openat (ddir, dname, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (pfd >= 0)
        g_hash_table_insert (c->links, g_steal_pointer (&key), GINT_TO_POINTER (pfd));
    }
  return ok;
}

static gboolean
copy_symlink (Copy *c, int sdir, const char *sname, const struct stat *st, int ddir,
              const char *dname)
{
  size_t size = st->st_size > 0 ? st->st_size + 1 : PATH_MAX;
  g_autofree char *target = g_malloc (size);
  ssize_t n = readlinkat (sdir, sname, target, size);
  if (n < 0 || (size_t) n >= size)
    {
      gdc_note (n < 0 ? errno : ENAMETOOLONG, "%s: cannot read the link", c->src);
      return FALSE;
    }
  target[n] = '\0';
  if (!remove_existing (c, ddir, dname))
    return FALSE;
  if (symlinkat (target, ddir, dname) < 0)
    {
      gdc_note (errno, "%s: %s", c->path->str, strerror (errno));
      return FALSE;
    }
  if (c->preserve)
    {
      preserve_at (ddir, dname, st, FALSE, c->path->str);
    }
  return TRUE;
}

static gboolean
copy_special (Copy *c, const struct stat *st, int ddir, const char *dname)
{
  if (!remove_existing (c, ddir, dname))
    return FALSE;
  mode_t mode = st->st_mode & (S_IFMT | (c->preserve ? 0700 : 0777));
  if (mknodat (ddir, dname, mode, st->st_rdev) < 0)
    {
      gdc_note (errno, "%s: %s", c->path->str, strerror (errno));
      return FALSE;
    }
  if (c->preserve)
    {
      preserve_at (ddir, dname, st, TRUE, c->path->str);
    }
  return TRUE;
}

static gboolean
copy_dir (Copy *c, int sdir, const char *sname, const struct stat *st, int ddir, const char *dname)
{
  mode_t mode = c->preserve ? 0700 : (st->st_mode & 0777);
  if (mkdirat (ddir, dname, mode) < 0)
    {
      struct stat dst;
      /* An existing directory (or link to one) gets merged into. */
      if (errno != EEXIST || fstatat (ddir, dname, &dst, 0) < 0 || !S_ISDIR (dst.st_mode))
        {
          gdc_note (errno == EEXIST ? ENOTDIR : errno, "%s: %s", c->path->str,
                    errno == EEXIST ? "cannot overwrite non-directory with directory"
                                    : strerror (errno));
          return FALSE;
        }
    }
  int in = openat (sdir, sname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (in < 0)
    {
      gdc_note (errno, "%s: %s", c->src, strerror (errno));
      return FALSE;
    }
  int out = openat (ddir, dname, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (out < 0)
    {
      gdc_note (errno, "%s: %s", c->path->str, strerror (errno));
      close (in);
      return FALSE;
    }
  struct stat dst;
  if (fstat (out, &dst) == 0 && dst.st_dev == st->st_dev && dst.st_ino == st->st_ino)
    {
      gdc_note (EINVAL, "cannot copy a directory, %s, into itself", c->src);
      close (in);
      close (out);
      return FALSE;
    }

  gboolean ok = TRUE;
  int dupfd = fcntl (in, F_DUPFD_CLOEXEC, 3);
  DIR *d = dupfd >= 0 ? fdopendir (dupfd) : NULL;
  if (d == NULL)
    {
      gdc_note (errno, "%s: %s", c->src, strerror (errno));
      ok = FALSE;
    }
  else
    {
      struct dirent *ent;
      while ((errno = 0, ent = readdir (d)) != NULL)
        {
          const char *n = ent->d_name;
          if (n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0')))
            continue;
          struct stat cst;
          if (fstatat (in, n, &cst, AT_SYMLINK_NOFOLLOW) < 0)
            {
              gdc_note (errno, "%s: %s", n, strerror (errno));
              ok = FALSE;
              continue;
            }
          /* Never descend into the copy being made. */
          if (S_ISDIR (cst.st_mode) && cst.st_dev == dst.st_dev && cst.st_ino == dst.st_ino)
            continue;
          size_t saved = c->path->len;
          g_string_append_printf (c->path, "/%s", n);
          if (!copy_entry (c, in, n, &cst, out, n))
            ok = FALSE;
          g_string_truncate (c->path, saved);
        }
      if (errno != 0)
        {
          gdc_note (errno, "%s: %s", c->src, strerror (errno));
          ok = FALSE;
        }
      closedir (d);
    }
  /* cp -r leaves the mode of a directory it merged into alone. */
  if (c->preserve)
    preserve_fd (in, out, st, c->path->str);
  close (in);
  close (out);
  return ok;
}

static gboolean
copy_entry (Copy *c, int sdir, const char *sname, const struct stat *st, int ddir,
            const char *dname)
{
  switch (st->st_mode & S_IFMT)
    {
    case S_IFREG:
      return copy_regular (c, sdir, sname, st, ddir, dname);
    case S_IFDIR:
      return copy_dir (c, sdir, sname, st, ddir, dname);
    case S_IFLNK:
      return copy_symlink (c, sdir, sname, st, ddir, dname);
    default:
      return copy_special (c, st, ddir, dname);
    }
}

/* ---- removal (mv across filesystems) ---------------------------------- */

static gboolean
remove_tree (int dir, const char *name)
{
  struct stat st;
  if (fstatat (dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return gdc_fail_errno ("%s", name), FALSE;
  if (S_ISDIR (st.st_mode))
    {
      int fd = openat (dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      g_autoptr (GPtrArray) names = fd >= 0 ? gdc_dir_names (fd) : NULL;
      if (names == NULL)
        {
          int e = errno;
          if (fd >= 0)
            close (fd);
          errno = e;
          return gdc_fail_errno ("%s", name), FALSE;
        }
      gboolean ok = TRUE;
      for (guint i = 0; ok && i < names->len; i++)
        ok = remove_tree (fd, g_ptr_array_index (names, i));
      close (fd);
      if (!ok)
        return FALSE;
    }
  if (unlinkat (dir, name, S_ISDIR (st.st_mode) ? AT_REMOVEDIR : 0) < 0)
    return gdc_fail_errno ("%s", name), FALSE;
  return TRUE;
}

/* ---- the child --------------------------------------------------------- */

/* The last component of path ("/a/b/" -> "b"), or NULL for "/". */
static char *
last_component (const char *path)
{
  g_autofree char *copy = g_strdup (path);
  size_t len = strlen (copy);
  while (len > 1 && copy[len - 1] == '/')
    copy[--len] = '\0';
  char *base = strrchr (copy, '/');
  base = base ? base + 1 : copy;
  if (*base == '\0')
    return NULL;
  return g_strdup (base);
}

/* Whether the directory dir is the same as, or below, the directory anc. */
static gboolean
is_below (const char *dir, const struct stat *anc)
{
  int fd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return FALSE;
  for (int depth = 0; depth < 100000; depth++)
    {
      struct stat st;
      if (fstat (fd, &st) < 0)
        break;
      if (st.st_dev == anc->st_dev && st.st_ino == anc->st_ino)
        {
          close (fd);
          return TRUE;
        }
      int up = openat (fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
      struct stat upst;
      if (up < 0 || fstat (up, &upst) < 0 || (upst.st_dev == st.st_dev && upst.st_ino == st.st_ino))
        {
          if (up >= 0)
            close (up);
          break; /* reached the root */
        }
      close (fd);
      fd = up;
    }
  close (fd);
  return FALSE;
}

static int
copy_child (gpointer p)
{
  Copy *c = p;
  struct stat st;
  /* cp follows a symlink given as the source; cp -r/-a and mv do not. */
  int r = c->mode == COPY_PLAIN ? stat (c->src, &st) : lstat (c->src, &st);
  if (r < 0)
    return gdc_fail_errno ("%s", c->src);
  if (c->mode == COPY_PLAIN && S_ISDIR (st.st_mode))
    return gdc_fail (EISDIR, "%s: is a directory (use cp_r or cp_a to copy directories)", c->src);
  if (c->mode == COPY_PLAIN && !S_ISREG (st.st_mode))
    return gdc_fail (EINVAL, "%s: not a regular file", c->src);

  /* Into an existing directory: dest/basename (src). */
  g_autofree char *dest = g_strdup (c->dest);
  struct stat dst;
  gboolean dest_exists = stat (dest, &dst) == 0;
  if (dest_exists && S_ISDIR (dst.st_mode))
    {
      g_autofree char *base = last_component (c->src);
      if (base == NULL)
        return gdc_fail (EINVAL, "%s: cannot copy or move the root directory", c->src);
      g_autofree char *joined = g_build_filename (dest, base, NULL);
      g_free (dest);
      dest = g_steal_pointer (&joined);
      dest_exists = stat (dest, &dst) == 0;
    }
  if (dest_exists && dst.st_dev == st.st_dev && dst.st_ino == st.st_ino && !S_ISDIR (st.st_mode))
    return gdc_fail (EINVAL, "%s and %s are the same file", c->src, dest);

  g_autofree char *dname = last_component (dest);
  g_autofree char *dcopy = g_strdup (dest);
  g_autofree char *dparent = g_strdup (dirname (dcopy));
  if (dname == NULL)
    return gdc_fail (EEXIST, "%s: cannot overwrite the root directory", dest);
  if (S_ISDIR (st.st_mode) && is_below (dparent, &st))
    return gdc_fail (EINVAL, "cannot copy or move a directory, %s, into itself, %s", c->src, dest);

  if (c->mode == MOVE)
    {
      if (rename (c->src, dest) == 0)
        return 0;
      if (errno != EXDEV)
        return gdc_fail_errno ("rename %s to %s", c->src, dest);
      c->preserve = TRUE;
    }

  int sdir = -1;
  g_autofree char *sname = NULL;
  if (c->mode == COPY_PLAIN)
    {
      /* The source with its symlinks resolved (in the chroot: as the
       * guest sees them). */
      sdir = AT_FDCWD;
      sname = realpath (c->src, NULL);
      if (sname == NULL)
        return gdc_fail_errno ("%s", c->src);
    }
  else
    {
      g_autofree char *scopy = g_strdup (c->src);
      sname = last_component (c->src);
      sdir = open (dirname (scopy), O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (sdir < 0)
        return gdc_fail_errno ("%s", c->src);
      if (sname == NULL)
        sname = g_strdup (".");
    }
  int ddir = open (dparent, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (ddir < 0)
    return gdc_fail_errno ("%s", dparent);

  c->buf = g_malloc (BUF_SIZE);
  c->path = g_string_new (dest);
  if (c->preserve)
    c->links = g_hash_table_new (g_str_hash, g_str_equal);
  gboolean ok = copy_entry (c, sdir, sname, &st, ddir, dname);
  if (ok && c->mode == MOVE)
    ok = remove_tree (sdir, sname);
  return ok && !gdc_noted () ? 0 : 1;
}

static gboolean
copy (GdRequest *req, CopyMode mode, const char *src, const char *dest, GError **error)
{
  Copy c = { .mode = mode, .src = src, .dest = dest, .preserve = mode == COPY_A };
  static const char *const names[] = { "cp", "cp -r", "cp -a", "mv" };
  return gdc_run (req, names[mode], copy_child, &c, -1, -1, TRUE, NULL, 0, error);
}

gboolean
gd_do_cp (GdRequest *req, const char *src, const char *dest, GError **error)
{
  return copy (req, COPY_PLAIN, src, dest, error);
}

gboolean
gd_do_cp_r (GdRequest *req, const char *src, const char *dest, GError **error)
{
  return copy (req, COPY_R, src, dest, error);
}

gboolean
gd_do_cp_a (GdRequest *req, const char *src, const char *dest, GError **error)
{
  return copy (req, COPY_A, src, dest, error);
}

gboolean
gd_do_mv (GdRequest *req, const char *src, const char *dest, GError **error)
{
  return copy (req, MOVE, src, dest, error);
}
