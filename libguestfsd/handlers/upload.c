/* libguestfsd handlers: upload and download of files and devices, whole
 * or at an offset.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "devdata.h"
#include "fsutil.h"
#include "gd-actions.h"
#include "gd-private.h"

/* Uploads and downloads go through a buffer of this size: small enough to
 * stay in the CPU cache between the socket and the file, and written while
 * the client can still queue data (a 2 MiB buffer made the writes stall
 * the stream: bench/NOTES.md). */
#define STREAM_BUFSIZE (256 * 1024)

/* Received data is gathered and written with positioned writes of
 * STREAM_BUFSIZE, so that errors name the file and the offset advances
 * only by what was written. */
typedef struct
{
  int fd;
  const char *name;
  guint64 offset;
  guint8 *buf;
  size_t used;
} Sink;

static gboolean
sink_flush (Sink *sink, GError **error)
{
  if (sink->used == 0)
    return TRUE;
  if (!devdata_pwrite (sink->fd, sink->buf, sink->used, sink->offset, sink->name, error))
    return FALSE;
  sink->offset += sink->used;
  sink->used = 0;
  return TRUE;
}

static gboolean
sink_write (const void *data, size_t len, gpointer user_data, GError **error)
{
  Sink *sink = user_data;
  if (sink->used + len > STREAM_BUFSIZE && !sink_flush (sink, error))
    return FALSE;
  memcpy (sink->buf + sink->used, data, len);
  sink->used += len;
  return TRUE;
}

static gboolean
receive_at (GdRequest *req, const GdDevOrPath *dest, int flags, int64_t offset, GError **error)
{
  const char *name = devdata_dev_or_path_name (dest);
  int fd = devdata_open_dev_or_path (req, dest, flags, error);
  if (fd < 0)
    return FALSE;
  g_autofree guint8 *buf = g_malloc (STREAM_BUFSIZE);
  Sink sink = { .fd = fd, .name = name, .offset = offset, .buf = buf };
  gboolean ok = gd_filein_receive (req, sink_write, &sink, error) && sink_flush (&sink, error);
  if (close (fd) < 0 && ok)
    {
      gd_perror (error, "%s: close", name);
      ok = FALSE;
    }
  if (dest->device != NULL)
    devdata_device_written (req, dest->device->node);
  return ok;
}

gboolean
gd_do_upload (GdRequest *req, const GdDevOrPath *remotefilename, GError **error)
{
  return receive_at (req, remotefilename, O_WRONLY | O_CREAT | O_TRUNC, 0, error);
}

gboolean
gd_do_upload_offset (GdRequest *req, const GdDevOrPath *remotefilename, int64_t offset,
                     GError **error)
{
  if (!gd_fs_check_not_negative (NULL, "offset", offset, error))
    return FALSE;
  return receive_at (req, remotefilename, O_WRONLY | O_CREAT, offset, error);
}

/* Sends size bytes from offset, with byte progress; to_eof: the whole
 * file as it is while we read it, size only serving for progress. */
static gboolean
send_range (GdRequest *req, int fd, const char *name, guint64 offset, guint64 size, gboolean to_eof,
            GError **error)
{
  g_autofree guint8 *buf = g_malloc (STREAM_BUFSIZE);
  posix_fadvise (fd, offset, to_eof ? 0 : size, POSIX_FADV_SEQUENTIAL);
  guint64 done = 0;
  while (to_eof || done < size)
    {
      size_t want = to_eof ? STREAM_BUFSIZE : MIN ((guint64) STREAM_BUFSIZE, size - done);
      gssize n = devdata_pread (fd, buf, want, offset + done, name, error);
      if (n < 0)
        return FALSE;
      if (n == 0)
        {
          if (to_eof)
            break;
          gd_error_errno (error, EIO, "%s: the file ended at %" G_GUINT64_FORMAT " bytes", name,
                          offset + done);
          return FALSE;
        }
      if (!gd_fileout_write (req, buf, n, error))
        return FALSE;
      done += n;
      if (size > 0)
        gd_progress (req, MIN (done, size), size);
    }
  if (size > 0 && done < size)
    gd_progress (req, size, size);
  return TRUE;
}

static gboolean
download_range (GdRequest *req, const GdDevOrPath *src, gboolean whole, int64_t offset,
                int64_t size, GError **error)
{
  const char *name = devdata_dev_or_path_name (src);
  int fd = devdata_open_dev_or_path (req, src, O_RDONLY, error);
  if (fd < 0)
    return FALSE;
  guint64 file_size;
  struct stat st;
  gboolean ok = devdata_fd_size (fd, name, &file_size, error);
  /* A character device (live mode: /dev/zero) has no size: read what it gives. */
  gboolean sized = ok && fstat (fd, &st) == 0 && (S_ISREG (st.st_mode) || S_ISBLK (st.st_mode));
  if (ok && whole)
    {
      offset = 0;
      size = sized ? file_size : 0;
    }
  /* Past the end: the bytes that exist, none from beyond it, as the
   * original (which reads until size or the end of the file). */
  else if (sized && (guint64) offset >= file_size)
    size = 0;
  else if (sized && (guint64) size > file_size - offset)
    size = file_size - offset;
  if (ok)
    ok = send_range (req, fd, name, offset, size, whole, error);
  close (fd);
  return ok;
}

gboolean
gd_do_download (GdRequest *req, const GdDevOrPath *remotefilename, GError **error)
{
  return download_range (req, remotefilename, TRUE, 0, 0, error);
}

gboolean
gd_do_download_offset (GdRequest *req, const GdDevOrPath *remotefilename, int64_t offset,
                       int64_t size, GError **error)
{
  if (!gd_fs_check_not_negative (NULL, "offset", offset, error))
    return FALSE;
  if (!gd_fs_check_not_negative (NULL, "size", size, error))
    return FALSE;
  return download_range (req, remotefilename, FALSE, offset, size, error);
}
