/* libguestfsd: FileIn and FileOut chunk streams, with cancellation from
 * either end.
 *
 * Uploads: chunks are parsed in place in the transport buffer.  Downloads:
 * data is staged GD_CHUNKS_PER_BATCH chunks at a time and sent with one
 * writev(2), chunk headers pointing into the staging buffer, and the OK
 * reply travels with the first batch so that a failure before any data
 * can still be reported as a proper error reply.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>
#include <unistd.h>

#include <libguestfsd/guestfsd.h>

#include "gd-engine.h"

#define CHUNK_HEADER_SIZE 12 /* length word, cancel, data length */
#define STAGING_SIZE (GD_CHUNKS_PER_BATCH * GD_MAX_CHUNK_SIZE)
#define FILEIN_WRITE_SIZE (1024 * 1024)

static void
mark_broken (GdRequest *req)
{
  req->conn->broken = TRUE;
}

/* ---- FileIn -------------------------------------------------------- */

typedef enum
{
  CHUNK_DATA,
  CHUNK_END,
  CHUNK_CANCEL,
  CHUNK_INVALID,
} ChunkKind;

/* Reads the next chunk, skipping stray cancel flags.  Returns a ChunkKind,
 * or -1 when the stream is broken (error set). */
static int
read_chunk (GdRequest *req, const guint8 **data, size_t *len, GError **error)
{
  GdTransport *t = req->conn->t;
  guint32 msg_len;
  const guint8 *p;
  do
    {
      p = gd_transport_read (t, 4, FALSE, error);
      if (p == NULL)
        return -1;
      msg_len = gd_get_be32 (p);
    }
  while (msg_len == GD_CANCEL_FLAG);

  if (msg_len > GD_MESSAGE_MAX)
    {
      g_set_error (error, GUESTFSD_ERROR, GUESTFSD_ERROR_PROTOCOL,
                   "file transfer chunk of %u bytes exceeds the message limit", msg_len);
      return -1;
    }
  p = gd_transport_read (t, msg_len, FALSE, error);
  if (p == NULL)
    return -1;
  if (msg_len < 8)
    return CHUNK_INVALID;
  guint32 cancel = gd_get_be32 (p);
  guint32 dlen = gd_get_be32 (p + 4);
  if (cancel > 1 || dlen > GD_MAX_CHUNK_SIZE || 8 + ((dlen + 3) & ~3u) != msg_len)
    return CHUNK_INVALID;
  if (cancel)
    return CHUNK_CANCEL;
  if (dlen == 0)
    return CHUNK_END;
  *data = p + 8;
  *len = dlen;
  return CHUNK_DATA;
}

/* Reads chunks until the client's end or cancel chunk. */
static gboolean
drain (GdRequest *req, GError **error)
{
  for (;;)
    {
      const guint8 *data;
      size_t len;
      int kind = read_chunk (req, &data, &len, error);
      if (kind < 0)
        {
          mark_broken (req);
          return FALSE;
        }
      if (kind == CHUNK_END || kind == CHUNK_CANCEL)
        {
          req->filein = kind == CHUNK_END ? GD_FILEIN_DONE : GD_FILEIN_CANCELLED;
          return TRUE;
        }
    }
}

gboolean
gd_filein_receive (GdRequest *req, GdReceiveFunc func, gpointer user_data, GError **error)
{
  if (req->filein != GD_FILEIN_PENDING)
    {
      gd_error_errno (error, EINVAL, "no file transfer is waiting to be received");
      return FALSE;
    }
  guint64 received = 0;
  for (;;)
    {
      const guint8 *data = NULL;
      size_t len = 0;
      int kind = read_chunk (req, &data, &len, error);
      switch (kind)
        {
        case CHUNK_DATA:
          if (!func (data, len, user_data, error))
            return FALSE; /* still pending: the engine cancels it */
          received += len;
          if (req->progress_hint > 0)
            gd_progress (req, received, req->progress_hint);
          break;
        case CHUNK_END:
          req->filein = GD_FILEIN_DONE;
          return TRUE;
        case CHUNK_CANCEL:
          req->filein = GD_FILEIN_CANCELLED;
          gd_error_errno (error, EINTR, "file upload cancelled by the client");
          return FALSE;
        case CHUNK_INVALID:
          {
            g_autoptr (GError) ignored = NULL;
            if (!drain (req, &ignored))
              {
                g_propagate_error (error, g_steal_pointer (&ignored));
                return FALSE;
              }
            gd_error_errno (error, EPROTO, "malformed file transfer chunk");
            return FALSE;
          }
        default:
          mark_broken (req);
          return FALSE;
        }
    }
}

gboolean
gd_filein_cancel (GdRequest *req, GError **error)
{
  guint8 flag[4];
  gd_put_be32 (flag, GD_CANCEL_FLAG);
  if (!gd_transport_write (req->conn->t, flag, sizeof flag, error))
    {
      mark_broken (req);
      return FALSE;
    }
  return drain (req, error);
}

gboolean
gd_filein_discard (GdRequest *req, GError **error)
{
  return drain (req, error);
}

typedef struct
{
  int fd;
  guint8 *buf;
  size_t used;
} FdSink;

gboolean
gd_write_all (int fd, const void *buf, size_t len, const char *name, GError **error)
{
  const char *p = buf;
  while (len > 0)
    {
      ssize_t n = write (fd, p, len);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          if (error != NULL)
            {
              int e = errno;
              gd_perror (error, "%s", name);
              errno = e;
            }
          return FALSE;
        }
      p += n;
      len -= n;
    }
  return TRUE;
}

static gboolean
fd_sink_write (const void *data, size_t len, gpointer user_data, GError **error)
{
  FdSink *sink = user_data;
  if (sink->used + len > FILEIN_WRITE_SIZE)
    {
      if (!gd_write_all (sink->fd, sink->buf, sink->used, "write", error))
        return FALSE;
      sink->used = 0;
    }
  memcpy (sink->buf + sink->used, data, len);
  sink->used += len;
  return TRUE;
}

gboolean
gd_filein_to_fd (GdRequest *req, int fd, GError **error)
{
  g_autofree guint8 *buf = g_malloc (FILEIN_WRITE_SIZE);
  FdSink sink = { .fd = fd, .buf = buf, .used = 0 };
  if (!gd_filein_receive (req, fd_sink_write, &sink, error))
    return FALSE;
  return gd_write_all (fd, sink.buf, sink.used, "write", error);
}

/* ---- FileOut ------------------------------------------------------- */

gboolean
gd_fileout_cancelled (GdRequest *req)
{
  return req->fileout == GD_FILEOUT_CANCELLED;
}

gboolean
gd_fileout_begin (GdRequest *req, GError **error)
{
  switch (req->fileout)
    {
    case GD_FILEOUT_READY:
      req->fileout = GD_FILEOUT_STARTED;
      req->reply_queued = TRUE;
      if (req->staging == NULL)
        req->staging = g_malloc (STAGING_SIZE);
      return TRUE;
    case GD_FILEOUT_STARTED:
      return TRUE;
    case GD_FILEOUT_CANCELLED:
      gd_error_errno (error, EINTR, "file download cancelled");
      return FALSE;
    case GD_FILEOUT_NONE:
    default:
      gd_error_errno (error, EINVAL, "this procedure does not send a file");
      return FALSE;
    }
}

static void
set_chunk_header (guint8 *h, guint32 cancel, guint32 len)
{
  gd_put_be32 (h, 8 + ((len + 3) & ~3u));
  gd_put_be32 (h + 4, cancel);
  gd_put_be32 (h + 8, len);
}

/* Sends the queued reply (if any) and a cancel chunk. */
static gboolean
send_cancel_chunk (GdRequest *req, GError **error)
{
  guint8 buf[4 + GD_HEADER_SIZE + CHUNK_HEADER_SIZE];
  size_t pos = 0;
  if (req->reply_queued)
    {
      gd_put_be32 (buf, GD_HEADER_SIZE);
      gd_fill_reply_header (req, buf + 4, FALSE);
      pos = 4 + GD_HEADER_SIZE;
      req->reply_queued = FALSE;
    }
  set_chunk_header (buf + pos, 1, 0);
  req->fileout = GD_FILEOUT_CANCELLED;
  if (!gd_transport_write (req->conn->t, buf, pos + CHUNK_HEADER_SIZE, error))
    {
      mark_broken (req);
      return FALSE;
    }
  return TRUE;
}

/* Sends len bytes of data as chunks (and the end chunk when final), with
 * the queued OK reply in front; at most GD_CHUNKS_PER_BATCH chunks. */
static gboolean
send_chunks (GdRequest *req, const guint8 *data, size_t len, gboolean final, GError **error)
{
  GdTransport *t = req->conn->t;

  if (!req->reply_queued && gd_transport_poll_word (t, GD_CANCEL_FLAG))
    {
      if (!send_cancel_chunk (req, error))
        return FALSE;
      /* The client keeps reading until our cancel chunk; the request is
       * over once it is sent. */
      gd_error_errno (error, EINTR, "file download cancelled by the client");
      return FALSE;
    }

  static const guint8 zero_pad[4];
  guint8 reply[4 + GD_HEADER_SIZE];
  guint8 headers[GD_CHUNKS_PER_BATCH + 1][CHUNK_HEADER_SIZE];
  struct iovec iov[1 + 3 * GD_CHUNKS_PER_BATCH + 1];
  int n = 0;

  if (req->reply_queued)
    {
      gd_put_be32 (reply, GD_HEADER_SIZE);
      gd_fill_reply_header (req, reply + 4, FALSE);
      iov[n++] = (struct iovec){ reply, sizeof reply };
      req->reply_queued = FALSE;
    }
  size_t off = 0;
  int c = 0;
  while (off < len)
    {
      size_t clen = MIN ((size_t) GD_MAX_CHUNK_SIZE, len - off);
      set_chunk_header (headers[c], 0, clen);
      iov[n++] = (struct iovec){ headers[c], CHUNK_HEADER_SIZE };
      iov[n++] = (struct iovec){ (void *) (data + off), clen };
      if (clen % 4)
        iov[n++] = (struct iovec){ (void *) zero_pad, 4 - clen % 4 };
      off += clen;
      c++;
    }
  if (final)
    {
      set_chunk_header (headers[c], 0, 0);
      iov[n++] = (struct iovec){ headers[c], CHUNK_HEADER_SIZE };
    }
  if (n > 0 && !gd_transport_writev (t, iov, n, error))
    {
      mark_broken (req);
      return FALSE;
    }
  return TRUE;
}

/* Sends the staged data as chunks (and the end chunk when final). */
static gboolean
flush (GdRequest *req, gboolean final, GError **error)
{
  size_t staged = req->staged;
  req->staged = 0;
  return send_chunks (req, req->staging, staged, final, error);
}

gboolean
gd_fileout_write (GdRequest *req, const void *data, size_t len, GError **error)
{
  if (!gd_fileout_begin (req, error))
    return FALSE;
  const guint8 *p = data;
  /* Top up what is staged; a flush empties it. */
  if (req->staged > 0)
    {
      size_t take = MIN (len, STAGING_SIZE - req->staged);
      memcpy (req->staging + req->staged, p, take);
      req->staged += take;
      p += take;
      len -= take;
      if (req->staged == STAGING_SIZE && !flush (req, FALSE, error))
        return FALSE;
    }
  /* Whole batches go out straight from the caller's buffer: a handler that
   * reads a file in large blocks costs no copy into the staging buffer. */
  while (len >= STAGING_SIZE)
    {
      if (!send_chunks (req, p, STAGING_SIZE, FALSE, error))
        return FALSE;
      p += STAGING_SIZE;
      len -= STAGING_SIZE;
    }
  if (len > 0)
    {
      memcpy (req->staging + req->staged, p, len);
      req->staged += len;
    }
  return TRUE;
}

gboolean
gd_fileout_from_fd (GdRequest *req, int fd, guint64 total, GError **error)
{
  if (!gd_fileout_begin (req, error))
    return FALSE;
  guint64 sent = 0;
  for (;;)
    {
      ssize_t n = read (fd, req->staging + req->staged, STAGING_SIZE - req->staged);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          gd_perror (error, "read");
          return FALSE;
        }
      if (n == 0)
        return TRUE;
      req->staged += n;
      sent += n;
      if (req->staged == STAGING_SIZE)
        {
          if (!flush (req, FALSE, error))
            return FALSE;
          if (total > 0)
            gd_progress (req, MIN (sent, total), total);
        }
    }
}

gboolean
gd_fileout_finish (GdRequest *req, gboolean success, GError **error)
{
  switch (req->fileout)
    {
    case GD_FILEOUT_CANCELLED:
      return TRUE;
    case GD_FILEOUT_READY:
      if (!success)
        return FALSE;
      if (!gd_fileout_begin (req, error))
        return FALSE;
      /* fall through */
    case GD_FILEOUT_STARTED:
      if (!success)
        {
          if (req->reply_queued)
            {
              /* Nothing went out yet: a real error reply is better. */
              req->reply_queued = FALSE;
              req->staged = 0;
              return FALSE;
            }
          return send_cancel_chunk (req, error);
        }
      {
        g_autoptr (GError) cancelled = NULL;
        if (flush (req, TRUE, &cancelled))
          return TRUE;
        if (req->fileout == GD_FILEOUT_CANCELLED && !req->conn->broken)
          return TRUE;
        g_propagate_error (error, g_steal_pointer (&cancelled));
        return FALSE;
      }
    case GD_FILEOUT_NONE:
    default:
      return FALSE;
    }
}
