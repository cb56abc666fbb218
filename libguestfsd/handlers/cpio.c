/* libguestfsd handlers: cpio archives out.
 *
 * "find | cpio -o -H newc|crc" run from the directory, written by our own
 * code in a child chrooted into the sysroot: names as GNU cpio stores
 * them ("." then "a", "a/b" ...), the ASCII SVR4 headers, hard links
 * grouped with the data on the last link, the archive padded to 512
 * bytes.  The "crc" format carries the 32-bit sum of each file's bytes.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "confine.h"
#include "gd-actions.h"
#include "gd-private.h"

typedef struct
{
  int dirfd;
  const char *directory;
  gboolean crc;
  /* In the child: */
  guint8 out[65536];
  size_t used;
  guint64 written;
  guint8 *buf;
  GHashTable *inodes;  /* "dev:ino" -> renumbered inode */
  GHashTable *pending; /* "dev:ino" -> Links of a multi-link file */
  guint32 next_ino;
} Cpio;

typedef struct
{
  struct stat st;
  GPtrArray *names; /* names seen so far */
  int dirfd;        /* O_PATH fd of the last link's directory */
  char *base;       /* and its name in it */
} Links;

#define BUF_SIZE (1024 * 1024)

static gboolean
emit (Cpio *c, const void *data, size_t len)
{
  const guint8 *p = data;
  c->written += len;
  while (len > 0)
    {
      size_t take = MIN (len, sizeof c->out - c->used);
      memcpy (c->out + c->used, p, take);
      c->used += take;
      p += take;
      len -= take;
      if (c->used == sizeof c->out)
        {
          if (!gdc_write_all (1, c->out, c->used))
            return FALSE;
          c->used = 0;
        }
    }
  return TRUE;
}

static gboolean
pad4 (Cpio *c)
{
  static const guint8 zeros[4];
  return emit (c, zeros, (4 - c->written % 4) % 4);
}

static char *
key_of (const struct stat *st)
{
  return g_strdup_printf ("%ju:%ju", (uintmax_t) st->st_dev, (uintmax_t) st->st_ino);
}

static guint32
inode_number (Cpio *c, const struct stat *st)
{
  g_autofree char *key = key_of (st);
  gpointer v = g_hash_table_lookup (c->inodes, key);
  if (v)
    return GPOINTER_TO_UINT (v);
  guint32 n = ++c->next_ino;
  g_hash_table_insert (c->inodes, g_steal_pointer (&key), GUINT_TO_POINTER (n));
  return n;
}

static gboolean
header (Cpio *c, const struct stat *st, guint32 ino, guint32 size, const char *name, guint32 sum)
{
  char h[111];
  gboolean dev = S_ISCHR (st->st_mode) || S_ISBLK (st->st_mode);
  snprintf (h, sizeof h, "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
            c->crc ? "070702" : "070701", ino, (guint32) st->st_mode, (guint32) st->st_uid,
            (guint32) st->st_gid, (guint32) st->st_nlink, (guint32) MAX (st->st_mtime, 0), size,
            major (st->st_dev), minor (st->st_dev), dev ? major (st->st_rdev) : 0,
            dev ? minor (st->st_rdev) : 0, (guint32) strlen (name) + 1, sum);
  return emit (c, h, 110) && emit (c, name, strlen (name) + 1) && pad4 (c);
}

/* Sum of the bytes of fd, for the crc format. */
static gboolean
byte_sum (Cpio *c, int fd, guint32 *sum)
{
  *sum = 0;
  for (off_t off = 0;;)
    {
      ssize_t n = pread (fd, c->buf, BUF_SIZE, off);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return FALSE;
      if (n == 0)
        return TRUE;
      for (ssize_t i = 0; i < n; i++)
        *sum += c->buf[i];
      off += n;
    }
}

/* Writes exactly size bytes of fd (zeros if it shrank meanwhile). */
static gboolean
copy_data (Cpio *c, int fd, guint64 size, const char *name)
{
  guint64 done = 0;
  while (done < size)
    {
      ssize_t n = read (fd, c->buf, MIN ((guint64) BUF_SIZE, size - done));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return gdc_fail_errno ("%s", name), FALSE;
      if (n == 0)
        {
          memset (c->buf, 0, BUF_SIZE);
          n = MIN ((guint64) BUF_SIZE, size - done);
        }
      if (!emit (c, c->buf, n))
        return FALSE;
      done += n;
    }
  return pad4 (c);
}

/* One regular file with its data (name in dirfd). */
static gboolean
regular (Cpio *c, int dirfd, const char *base, const char *name, const struct stat *st, guint32 ino)
{
  if ((guint64) st->st_size > G_MAXUINT32)
    {
      gdc_note (EFBIG, "%s: too large for the cpio format", name);
      return TRUE;
    }
  int fd = openat (dirfd, base, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  struct stat now;
  if (fd < 0 || fstat (fd, &now) < 0 || !S_ISREG (now.st_mode))
    {
      gdc_note (fd < 0 ? errno : EAGAIN, "%s: cannot read it", name);
      if (fd >= 0)
        close (fd);
      return TRUE;
    }
  guint32 sum = 0;
  if (c->crc && !byte_sum (c, fd, &sum))
    {
      close (fd);
      return gdc_fail_errno ("%s", name), FALSE;
    }
  gboolean ok = header (c, st, ino, st->st_size, name, sum) && copy_data (c, fd, st->st_size, name);
  close (fd);
  return ok;
}

/* Writes a group of hard links: all but the last without data. */
static gboolean
flush_links (Cpio *c, Links *l)
{
  guint32 ino = inode_number (c, &l->st);
  for (guint i = 0; i + 1 < l->names->len; i++)
    if (!header (c, &l->st, ino, 0, g_ptr_array_index (l->names, i), 0))
      return FALSE;
  const char *last = g_ptr_array_index (l->names, l->names->len - 1);
  return regular (c, l->dirfd, l->base, last, &l->st, ino);
}

static void
links_free (gpointer p)
{
  Links *l = p;
  g_ptr_array_unref (l->names);
  if (l->dirfd >= 0)
    close (l->dirfd);
  g_free (l->base);
  g_free (l);
}

static gboolean
entry (Cpio *c, int dirfd, const char *base, const char *name, const struct stat *st)
{
  switch (st->st_mode & S_IFMT)
    {
    case S_IFREG:
      if (st->st_nlink > 1)
        {
          g_autofree char *key = key_of (st);
          Links *l = g_hash_table_lookup (c->pending, key);
          if (l == NULL)
            {
              l = g_new0 (Links, 1);
              l->st = *st;
              l->names = g_ptr_array_new_with_free_func (g_free);
              l->dirfd = -1;
              g_hash_table_insert (c->pending, g_strdup (key), l);
            }
          g_ptr_array_add (l->names, g_strdup (name));
          if (l->dirfd >= 0)
            close (l->dirfd);
          l->dirfd = fcntl (dirfd, F_DUPFD_CLOEXEC, 3);
          g_free (l->base);
          l->base = g_strdup (base);
          if (l->names->len < st->st_nlink)
            return TRUE;
          gboolean ok = flush_links (c, l);
          g_hash_table_remove (c->pending, key);
          return ok;
        }
      return regular (c, dirfd, base, name, st, inode_number (c, st));
    case S_IFLNK:
      {
        char target[PATH_MAX + 1];
        ssize_t n = readlinkat (dirfd, base, target, sizeof target);
        if (n < 0 || n > PATH_MAX)
          {
            gdc_note (n < 0 ? errno : ENAMETOOLONG, "%s: cannot read the link", name);
            return TRUE;
          }
        return header (c, st, inode_number (c, st), n, name, 0) && emit (c, target, n) && pad4 (c);
      }
    default:
      return header (c, st, inode_number (c, st), 0, name, 0);
    }
}

static gboolean
walk (Cpio *c, int dirfd, GString *path)
{
  g_autoptr (GPtrArray) names = gdc_dir_names (dirfd);
  if (names == NULL)
    {
      gdc_note (errno, "%s: %s", path->len ? path->str : ".", strerror (errno));
      return TRUE;
    }
  for (guint i = 0; i < names->len; i++)
    {
      const char *n = g_ptr_array_index (names, i);
      size_t saved = path->len;
      if (path->len)
        g_string_append_c (path, '/');
      g_string_append (path, n);
      struct stat st;
      gboolean ok = TRUE;
      if (fstatat (dirfd, n, &st, AT_SYMLINK_NOFOLLOW) < 0)
        gdc_note (errno, "%s: %s", path->str, strerror (errno));
      else if (!entry (c, dirfd, n, path->str, &st))
        ok = FALSE;
      else if (S_ISDIR (st.st_mode))
        {
          int sub = openat (dirfd, n, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (sub < 0)
            gdc_note (errno, "%s: %s", path->str, strerror (errno));
          else
            {
              ok = walk (c, sub, path);
              close (sub);
            }
        }
      g_string_truncate (path, saved);
      if (!ok)
        return FALSE;
    }
  return TRUE;
}

static int
cpio_child (gpointer p)
{
  Cpio *c = p;
  if (fchdir (c->dirfd) < 0)
    return gdc_fail_errno ("%s", c->directory);
  c->buf = g_malloc (BUF_SIZE);
  c->inodes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  c->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, links_free);
  struct stat st;
  if (fstat (c->dirfd, &st) < 0)
    return gdc_fail_errno ("%s", c->directory);
  g_autoptr (GString) path = g_string_new (NULL);
  if (!entry (c, c->dirfd, ".", ".", &st) || !walk (c, c->dirfd, path))
    return 1;
  /* Links whose other names are outside the directory. */
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init (&it, c->pending);
  while (g_hash_table_iter_next (&it, NULL, &v))
    if (!flush_links (c, v))
      return 1;
  struct stat trailer = { .st_nlink = 1 };
  if (!header (c, &trailer, 0, 0, "TRAILER!!!", 0))
    return 1;
  static const guint8 zeros[512];
  if (!emit (c, zeros, (512 - c->written % 512) % 512))
    return 1;
  if (!gdc_write_all (1, c->out, c->used))
    return gdc_fail_errno ("write");
  return gdc_noted () ? 1 : 0;
}

gboolean
gd_do_cpio_out (GdRequest *req, const char *directory, const char *format, GError **error)
{
  gboolean crc = FALSE;
  if (gd_request_has_optarg (req, GD_CPIO_OUT_FORMAT_BITMASK) && strcmp (format, "newc") != 0)
    {
      if (strcmp (format, "crc") != 0)
        {
          gd_error_errno (error, EINVAL, "%s: format must be 'newc' or 'crc'", format);
          return FALSE;
        }
      crc = TRUE;
    }
  int dirfd = gd_open (req, directory, O_PATH | O_DIRECTORY, 0, error);
  if (dirfd < 0)
    return FALSE;
  Cpio *c = g_new0 (Cpio, 1);
  c->dirfd = dirfd;
  c->directory = directory;
  c->crc = crc;
  GdcChild child;
  gboolean ok = FALSE;
  if (gdc_spawn (req, "cpio", cpio_child, c, GDC_STDOUT_PIPE, dirfd, -1, -1, &child, error))
    {
      int rfd = child.out;
      child.out = -1;
      if (gd_fileout_from_fd (req, rfd, 0, error))
        {
          close (rfd);
          ok = gdc_wait (&child, error);
        }
      else
        {
          close (rfd);
          gdc_abort (&child);
        }
    }
  close (dirfd);
  g_free (c);
  return ok;
}
