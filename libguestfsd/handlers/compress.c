/* libguestfsd handlers: compressed downloads of files and devices.
 *
 * The compressor is the host program (it reads the file or device on
 * stdin, so its output holds no file name), streamed to the client as it
 * comes.  "compress" falls back to libarchive's .Z encoder in process when
 * the compress(1) program is not installed, as on Debian.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "confine.h"
#include "devdata.h"
#include "gd-actions.h"
#include "gd-private.h"

typedef struct
{
  const char *ctype;
  const char *prog;
  int min_level, max_level; /* min > max: no levels */
} Compressor;

static const Compressor compressors[] = {
  { "compress", "compress", 1, 0 }, { "gzip", "gzip", 1, 9 },
  { "bzip2", "bzip2", 1, 9 },       { "xz", "xz", 0, 9 },
  { "lzop", "lzop", 1, 9 },         { "zstd", "zstd", 1, 19 },
};

typedef struct
{
  GdRequest *req;
  GError *error;
} ArchiveSink;

static la_ssize_t
sink_write (struct archive *a, void *data, const void *buf, size_t len)
{
  (void) a;
  ArchiveSink *s = data;
  if (s->error == NULL && !gd_fileout_write (s->req, buf, len, &s->error))
    return -1;
  return len;
}

/* .Z with libarchive: the "raw" format is the data of one entry alone. */
static gboolean
compress_in_process (GdRequest *req, int fd, const char *name, GError **error)
{
  ArchiveSink sink = { .req = req };
  g_autofree guint8 *buf = g_malloc (65536);
  struct archive_entry *e = NULL;
  int r;
  struct archive *a = archive_write_new ();
  archive_write_add_filter_compress (a);
  archive_write_set_format_raw (a);
  archive_write_set_bytes_per_block (a, 0);
  gboolean ok = FALSE;
  if (archive_write_open (a, &sink, NULL, sink_write, NULL) != ARCHIVE_OK)
    goto failed;
  e = archive_entry_new ();
  archive_entry_set_pathname (e, "data");
  archive_entry_set_filetype (e, AE_IFREG);
  r = archive_write_header (a, e);
  archive_entry_free (e);
  if (r != ARCHIVE_OK)
    goto failed;
  for (;;)
    {
      ssize_t n = read (fd, buf, 65536);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          gd_perror (error, "%s", name);
          goto out;
        }
      if (n == 0)
        break;
      if (archive_write_data (a, buf, n) != n)
        goto failed;
    }
  if (archive_write_close (a) != ARCHIVE_OK)
    goto failed;
  ok = TRUE;
  goto out;

failed:
  if (sink.error)
    g_propagate_error (error, g_steal_pointer (&sink.error));
  else
    gd_error (error, "%s: %s", name, archive_error_string (a));
out:
  g_clear_error (&sink.error);
  archive_write_free (a);
  return ok;
}

static gboolean
compress_fd (GdRequest *req, const char *ctype, int fd, const char *name, int level, GError **error)
{
  const Compressor *c = NULL;
  for (guint i = 0; i < G_N_ELEMENTS (compressors); i++)
    if (strcmp (ctype, compressors[i].ctype) == 0)
      c = &compressors[i];
  if (c == NULL)
    {
      gd_error_errno (error, ENOTSUP, "%s: compression type not supported", ctype);
      return FALSE;
    }
  gboolean has_level = gd_request_has_optarg (req, GD_COMPRESS_OUT_LEVEL_BITMASK);
  g_autofree char *level_flag = NULL;
  if (has_level)
    {
      if (c->min_level > c->max_level)
        {
          gd_error_errno (error, EINVAL, "%s: this compression type takes no level", ctype);
          return FALSE;
        }
      if (level < c->min_level || level > c->max_level)
        {
          gd_error_errno (error, EINVAL, "%s: level %d is out of range %d..%d", ctype, level,
                          c->min_level, c->max_level);
          return FALSE;
        }
      level_flag = g_strdup_printf ("-%d", level);
    }
  if (!gd_prog_exists (c->prog))
    {
      if (strcmp (ctype, "compress") == 0)
        return compress_in_process (req, fd, name, error);
      gd_error_errno (error, ENOTSUP, "%s: compression type not supported (no %s program)", ctype,
                      c->prog);
      return FALSE;
    }

  const char *argv[] = { c->prog, "-c", level_flag, NULL };
  return devdata_program_to_fileout (req, argv, fd, error);
}

gboolean
gd_do_compress_out (GdRequest *req, const char *ctype, const char *file, int level, GError **error)
{
  int fd = gdc_open_file (req, file, NULL, error);
  if (fd < 0)
    return FALSE;
  gboolean ok = compress_fd (req, ctype, fd, file, level, error);
  close (fd);
  return ok;
}

gboolean
gd_do_compress_device_out (GdRequest *req, const char *ctype, const GdDevice *device, int level,
                           GError **error)
{
  int fd = open (device->node, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      gd_perror (error, "%s", device->guest);
      return FALSE;
    }
  gboolean ok = compress_fd (req, ctype, fd, device->guest, level, error);
  close (fd);
  return ok;
}
