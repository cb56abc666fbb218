/* libguestfsd handlers: base64 upload and download.
 *
 * Decoding ignores anything outside the base64 alphabet, like "base64 -d
 * -i"; encoding wraps lines at 76 columns, like base64(1).  Both stream
 * with a fixed buffer whatever the size.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "confine.h"
#include "gd-actions.h"
#include "gd-private.h"

#define LINE_BYTES 57 /* input bytes per 76-column output line */
#define LINES_PER_READ 2048

typedef struct
{
  int fd;
  const char *path;
  int state;
  guint save;
  guint8 out[8192];
} Decoder;

static gboolean
decode_chunk (const void *data, size_t len, gpointer user_data, GError **error)
{
  Decoder *d = user_data;
  const guint8 *p = data;
  while (len > 0)
    {
      /* 4 characters give at most 3 bytes. */
      size_t take = MIN (len, sizeof d->out / 4 * 4);
      size_t n = g_base64_decode_step ((const char *) p, take, d->out, &d->state, &d->save);
      if (!gd_write_all (d->fd, d->out, n, d->path, error))
        return FALSE;
      p += take;
      len -= take;
    }
  return TRUE;
}

gboolean
gd_do_base64_in (GdRequest *req, const char *filename, GError **error)
{
  int fd = gdc_create_file (req, filename, 0666, error);
  if (fd < 0)
    return FALSE;
  Decoder d = { .fd = fd, .path = filename };
  gboolean ok = gd_filein_receive (req, decode_chunk, &d, error);
  if (close (fd) < 0 && ok)
    {
      gd_perror (error, "%s", filename);
      ok = FALSE;
    }
  return ok;
}

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Encodes len (<= LINE_BYTES) bytes as one line; returns its length. */
static size_t
encode_line (const guint8 *in, size_t len, char *out)
{
  char *o = out;
  size_t i = 0;
  for (; i + 3 <= len; i += 3)
    {
      guint32 v = (guint32) in[i] << 16 | (guint32) in[i + 1] << 8 | in[i + 2];
      *o++ = alphabet[v >> 18];
      *o++ = alphabet[(v >> 12) & 63];
      *o++ = alphabet[(v >> 6) & 63];
      *o++ = alphabet[v & 63];
    }
  if (i < len)
    {
      guint32 v = (guint32) in[i] << 16 | (i + 1 < len ? (guint32) in[i + 1] << 8 : 0);
      *o++ = alphabet[v >> 18];
      *o++ = alphabet[(v >> 12) & 63];
      *o++ = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
      *o++ = '=';
    }
  *o++ = '\n';
  return o - out;
}

gboolean
gd_do_base64_out (GdRequest *req, const char *filename, GError **error)
{
  int fd = gdc_open_file (req, filename, NULL, error);
  if (fd < 0)
    return FALSE;
  enum
  {
    IN_SIZE = LINE_BYTES * LINES_PER_READ,
    OUT_SIZE = 77 * LINES_PER_READ
  };
  g_autofree guint8 *in = g_malloc (IN_SIZE);
  g_autofree char *out = g_malloc (OUT_SIZE);
  gboolean ok = TRUE;
  size_t have = 0;
  gboolean eof = FALSE;
  while (ok && !eof)
    {
      /* Fill the buffer, so that only the very last line is short. */
      while (have < IN_SIZE)
        {
          ssize_t n = read (fd, in + have, IN_SIZE - have);
          if (n < 0 && errno == EINTR)
            continue;
          if (n < 0)
            {
              gd_perror (error, "%s", filename);
              ok = FALSE;
              break;
            }
          if (n == 0)
            {
              eof = TRUE;
              break;
            }
          have += n;
        }
      if (!ok)
        break;
      size_t olen = 0;
      for (size_t off = 0; off < have; off += LINE_BYTES)
        olen += encode_line (in + off, MIN (LINE_BYTES, have - off), out + olen);
      have = 0;
      if (olen > 0)
        ok = gd_fileout_write (req, out, olen, error);
    }
  close (fd);
  return ok;
}
