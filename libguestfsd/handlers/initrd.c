/* libguestfsd handlers: initrd contents.
 *
 * The initrd (cpio archives, compressed or not, one after another) is
 * read in a child chrooted into the sysroot, from an fd the daemon opened:
 * a hostile image can at worst crash that child.  Nothing is unpacked to
 * disk.  Names are listed as the archives store them.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "confine.h"
#include "gd-actions.h"
#include "gd-private.h"

/* What a reply can carry, about. */
#define MAX_RESULT (4 * 1024 * 1024)

typedef struct
{
  const char *path;
  const char *filename; /* initrd_cat: the member wanted */
} Initrd;

/* "./a//b" and "/a/b" -> "a/b". */
static const char *
skip_dot_slash (const char *name)
{
  for (;;)
    {
      if (name[0] == '/')
        name++;
      else if (name[0] == '.' && name[1] == '/')
        name += 2;
      else
        return name;
    }
}

/* What to do with each member: list its name, or find one and copy it. */
typedef struct
{
  Initrd *t;
  const char *wanted; /* cat: the member, without "./" */
  gboolean found;
} Walk;

/* One member: FALSE to stop (found, or failed: reported). */
static gboolean
member (Walk *w, const char *name, gboolean regular, int (*copy) (gpointer), gpointer data,
        int *status)
{
  if (w->wanted == NULL)
    {
      if (!gdc_write_all (1, name, strlen (name) + 1))
        {
          *status = gdc_fail_errno ("write");
          return FALSE;
        }
      return TRUE;
    }
  if (strcmp (skip_dot_slash (name), w->wanted) != 0)
    return TRUE;
  w->found = TRUE;
  if (!regular)
    *status = gdc_fail (EINVAL, "%s: not a regular file in %s", w->t->filename, w->t->path);
  else
    *status = copy (data);
  return FALSE;
}

typedef struct
{
  struct archive *a;
  const char *path;
} ArchiveData;

static int
copy_archive_data (gpointer p)
{
  ArchiveData *d = p;
  const void *buf;
  size_t size;
  la_int64_t offset;
  la_int64_t done = 0;
  int r;
  while ((r = archive_read_data_block (d->a, &buf, &size, &offset)) == ARCHIVE_OK)
    {
      /* Holes (never in cpio, but cheap to honour) are zeros. */
      static const char zeros[4096];
      while (done < offset)
        {
          size_t n = MIN ((la_int64_t) sizeof zeros, offset - done);
          if (!gdc_write_all (1, zeros, n))
            return gdc_fail_errno ("write");
          done += n;
        }
      if (!gdc_write_all (1, buf, size))
        return gdc_fail_errno ("write");
      done += size;
    }
  if (r != ARCHIVE_EOF)
    return gdc_fail (archive_errno (d->a), "%s: %s", d->path, archive_error_string (d->a));
  return 0;
}

/* The rest of the image from the current offset of stdin, with libarchive:
 * compressed (or odd) cpio. */
static int
walk_archive (Walk *w)
{
  struct archive *a = archive_read_new ();
  archive_read_support_format_cpio (a);
  gdc_read_support_native_filters (a);
  if (archive_read_open_fd (a, 0, 65536) != ARCHIVE_OK)
    return gdc_fail (archive_errno (a), "%s: %s", w->t->path, archive_error_string (a));
  struct archive_entry *e;
  int r, status = 0;
  ArchiveData d = { a, w->t->path };
  while ((r = archive_read_next_header (a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN)
    {
      const char *name = archive_entry_pathname (e);
      if (name &&
          !member (w, name, archive_entry_filetype (e) == AE_IFREG, copy_archive_data, &d, &status))
        return status;
    }
  if (r != ARCHIVE_EOF)
    return gdc_fail (archive_errno (a), "%s: %s", w->t->path, archive_error_string (a));
  return 0;
}

static guint32
hex8 (const guint8 *p, gboolean *ok)
{
  guint32 v = 0;
  for (int i = 0; i < 8; i++)
    {
      int c = g_ascii_xdigit_value (p[i]);
      if (c < 0)
        *ok = FALSE;
      v = v << 4 | (c < 0 ? 0 : c);
    }
  return v;
}

typedef struct
{
  off_t off;
  guint32 size;
} Span;

static int
copy_span (gpointer p)
{
  Span *s = p;
  static guint8 buf[65536];
  for (guint32 done = 0; done < s->size;)
    {
      ssize_t n = pread (0, buf, MIN (sizeof buf, s->size - done), s->off + done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return gdc_fail (EIO, "short read in the initrd");
      if (!gdc_write_all (1, buf, n))
        return gdc_fail_errno ("write");
      done += n;
    }
  return 0;
}

/* An initrd is one or more cpio archives one after another, zero-padded,
 * the last usually compressed (early microcode comes first, uncompressed):
 * the uncompressed ones are read here, the rest by libarchive. */
static int
walk_initrd (Walk *w)
{
  struct stat st;
  if (fstat (0, &st) < 0)
    return gdc_fail_errno ("%s", w->t->path);
  off_t off = 0;
  for (;;)
    {
      guint8 h[110];
      ssize_t n = pread (0, h, sizeof h, off);
      if (n <= 0)
        return 0;
      /* Padding between archives. */
      ssize_t z = 0;
      while (z < n && h[z] == 0)
        z++;
      if (z == n)
        {
          off += n;
          continue;
        }
      if (z > 0)
        {
          off += z;
          continue;
        }
      gboolean ok = n == sizeof h && (memcmp (h, "070701", 6) == 0 || memcmp (h, "070702", 6) == 0);
      guint32 mode = 0, size = 0, namesize = 0;
      if (ok)
        {
          mode = hex8 (h + 14, &ok);
          size = hex8 (h + 54, &ok);
          namesize = hex8 (h + 94, &ok);
          ok = ok && namesize > 0 && namesize <= 65536 &&
               off + 110 + (off_t) namesize + (off_t) size <= st.st_size;
        }
      if (!ok)
        {
          /* Compressed, or a format libarchive knows better. */
          if (lseek (0, off, SEEK_SET) < 0)
            return gdc_fail_errno ("%s", w->t->path);
          return walk_archive (w);
        }
      g_autofree char *name = g_malloc (namesize);
      if (pread (0, name, namesize, off + 110) != (ssize_t) namesize)
        return gdc_fail (EIO, "%s: short read", w->t->path);
      name[namesize - 1] = '\0';
      Span data = { (off + 110 + namesize + 3) & ~(off_t) 3, size };
      off = (data.off + size + 3) & ~(off_t) 3;
      if (strcmp (name, "TRAILER!!!") == 0)
        continue;
      int status = 0;
      if (!member (w, name, S_ISREG (mode), copy_span, &data, &status))
        return status;
    }
}

static int
list_child (gpointer p)
{
  Walk w = { .t = p };
  return walk_initrd (&w);
}

static int
cat_child (gpointer p)
{
  Initrd *t = p;
  Walk w = { .t = t, .wanted = skip_dot_slash (t->filename) };
  int status = walk_initrd (&w);
  if (status == 0 && !w.found)
    return gdc_fail (ENOENT, "%s: no such file in %s", t->filename, t->path);
  return status;
}

static gboolean
run_on_initrd (GdRequest *req, const char *path, GdcFunc func, Initrd *t, GByteArray **out,
               GError **error)
{
  int fd = gdc_open_file (req, path, NULL, error);
  if (fd < 0)
    return FALSE;
  gboolean ok = gdc_run (req, "initrd", func, t, -1, fd, FALSE, out, MAX_RESULT, error);
  close (fd);
  return ok;
}

gboolean
gd_do_initrd_list (GdRequest *req, const char *path, char ***ret, GError **error)
{
  Initrd t = { .path = path };
  GByteArray *out;
  if (!run_on_initrd (req, path, list_child, &t, &out, error))
    return FALSE;
  GPtrArray *names = g_ptr_array_new ();
  for (gsize off = 0; off < out->len;)
    {
      const char *name = (const char *) out->data + off;
      size_t len = strnlen (name, out->len - off);
      g_ptr_array_add (names, g_strndup (name, len));
      off += len + 1;
    }
  g_ptr_array_add (names, NULL);
  g_byte_array_unref (out);
  *ret = (char **) g_ptr_array_free (names, FALSE);
  return TRUE;
}

gboolean
gd_do_initrd_cat (GdRequest *req, const char *initrdpath, const char *filename, char **ret,
                  size_t *ret_size, GError **error)
{
  Initrd t = { .path = initrdpath, .filename = filename };
  GByteArray *out;
  if (!run_on_initrd (req, initrdpath, cat_child, &t, &out, error))
    return FALSE;
  *ret_size = out->len;
  /* A zero-length buffer still needs a pointer. */
  g_byte_array_append (out, (const guint8 *) "", 1);
  *ret = (char *) g_byte_array_free (out, FALSE);
  return TRUE;
}
