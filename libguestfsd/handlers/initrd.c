/* libguestfsd handlers: initrd contents.
 *
 * The initrd (a cpio archive, compressed or not) is read by libarchive in
 * a child chrooted into the sysroot, from an fd the daemon opened: a
 * hostile image can at worst crash that child.  Nothing is unpacked to
 * disk.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>
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

static struct archive *
open_initrd (const char *path)
{
  struct archive *a = archive_read_new ();
  archive_read_support_format_cpio (a);
  gdc_read_support_native_filters (a);
  if (archive_read_open_fd (a, 0, 65536) != ARCHIVE_OK)
    {
      gdc_fail (archive_errno (a), "%s: %s", path, archive_error_string (a));
      archive_read_free (a);
      return NULL;
    }
  return a;
}

static int
list_child (gpointer p)
{
  Initrd *t = p;
  struct archive *a = open_initrd (t->path);
  if (a == NULL)
    return 1;
  struct archive_entry *e;
  int r;
  while ((r = archive_read_next_header (a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN)
    {
      const char *name = archive_entry_pathname (e);
      if (name && !gdc_write_all (1, name, strlen (name) + 1))
        return gdc_fail_errno ("write");
    }
  if (r != ARCHIVE_EOF)
    return gdc_fail (archive_errno (a), "%s: %s", t->path, archive_error_string (a));
  return 0;
}

static int
cat_child (gpointer p)
{
  Initrd *t = p;
  struct archive *a = open_initrd (t->path);
  if (a == NULL)
    return 1;
  const char *wanted = skip_dot_slash (t->filename);
  struct archive_entry *e;
  int r;
  while ((r = archive_read_next_header (a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN)
    {
      const char *name = archive_entry_pathname (e);
      if (name == NULL || strcmp (skip_dot_slash (name), wanted) != 0)
        continue;
      if (archive_entry_filetype (e) != AE_IFREG)
        return gdc_fail (EINVAL, "%s: not a regular file in %s", t->filename, t->path);
      const void *buf;
      size_t size;
      la_int64_t offset;
      la_int64_t done = 0;
      while ((r = archive_read_data_block (a, &buf, &size, &offset)) == ARCHIVE_OK)
        {
          /* Holes (never in cpio, but cheap to honour) are zeros. */
          static const char zeros[4096];
          for (; done < offset; done += MIN ((la_int64_t) sizeof zeros, offset - done))
            if (!gdc_write_all (1, zeros, MIN ((la_int64_t) sizeof zeros, offset - done)))
              return gdc_fail_errno ("write");
          if (!gdc_write_all (1, buf, size))
            return gdc_fail_errno ("write");
          done += size;
        }
      if (r != ARCHIVE_EOF)
        return gdc_fail (archive_errno (a), "%s: %s", t->path, archive_error_string (a));
      return 0;
    }
  if (r != ARCHIVE_EOF)
    return gdc_fail (archive_errno (a), "%s: %s", t->path, archive_error_string (a));
  return gdc_fail (ENOENT, "%s: no such file in %s", t->filename, t->path);
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
