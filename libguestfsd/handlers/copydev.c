/* libguestfsd handlers: copying between files and devices.
 *
 * One copier serves copy_{device,file}_to_{device,file}, copy_size and
 * dd: positioned reads and writes through one buffer of a few MiB, so
 * memory stays flat whatever the size, with byte progress and, when
 * asked, zero blocks skipped on the destination to keep it sparse.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <unistd.h>

#include "devdata.h"
#include "fsutil.h"
#include "gd-actions.h"
#include "gd-private.h"

/* Granularity of the sparse test: a filesystem block. */
#define SPARSE_BLOCK 4096

typedef struct
{
  int fd;
  const char *name;
  gboolean is_device;
} Endpoint;

typedef struct
{
  guint64 srcoffset;
  guint64 destoffset;
  gint64 size;       /* -1: to the end of the source */
  gboolean exact;    /* a source shorter than size is an error */
  gboolean sparse;   /* skip writing zero blocks */
  gboolean progress; /* the procedure reports progress */
} CopyParams;

/* Writes buf at off, leaving out the SPARSE_BLOCK-aligned runs of zeroes
 * when sparse.  *wrote_end is set to whether the last byte was written. */
static gboolean
write_block (const Endpoint *dst, const guint8 *buf, size_t len, guint64 off, gboolean sparse,
             gboolean *wrote_end, GError **error)
{
  if (!sparse)
    {
      *wrote_end = TRUE;
      return devdata_pwrite (dst->fd, buf, len, off, dst->name, error);
    }
  size_t run_start = 0;
  gboolean in_run = FALSE;
  for (size_t pos = 0; pos < len; pos += SPARSE_BLOCK)
    {
      size_t n = MIN ((size_t) SPARSE_BLOCK, len - pos);
      gboolean zero = devdata_is_zero (buf + pos, n);
      if (!zero && !in_run)
        {
          run_start = pos;
          in_run = TRUE;
        }
      else if (zero && in_run)
        {
          if (!devdata_pwrite (dst->fd, buf + run_start, pos - run_start, off + run_start,
                               dst->name, error))
            return FALSE;
          in_run = FALSE;
        }
    }
  if (in_run && !devdata_pwrite (dst->fd, buf + run_start, len - run_start, off + run_start,
                                 dst->name, error))
    return FALSE;
  *wrote_end = in_run;
  return TRUE;
}

static gboolean
copy_data (GdRequest *req, const Endpoint *src, const Endpoint *dst, const CopyParams *p,
           GError **error)
{
  guint64 src_size;
  if (!devdata_fd_size (src->fd, src->name, &src_size, error))
    return FALSE;
  guint64 total;
  if (p->size >= 0)
    total = p->size;
  else
    total = src_size > p->srcoffset ? src_size - p->srcoffset : 0;

  posix_fadvise (src->fd, p->srcoffset, total, POSIX_FADV_SEQUENTIAL);
  g_autofree guint8 *buf = g_malloc (DEVDATA_BUFSIZE);
  guint64 done = 0;
  gboolean wrote_end = TRUE;
  /* Without a size, a source that grows while we copy is copied up to
   * where it ended when we started. */
  while (done < total)
    {
      if (p->sparse && !src->is_device)
        {
          /* The holes of a sparse source file read as zeroes, which a
           * sparse copy would not write: skip them without reading. */
          guint64 pos = p->srcoffset + done;
          off_t data = lseek (src->fd, pos, SEEK_DATA);
          guint64 next = data >= 0 ? (guint64) data : errno == ENXIO ? MAX (src_size, pos) : pos;
          if (next > pos)
            {
              done += MIN (next - pos, total - done);
              wrote_end = FALSE;
              if (p->progress)
                gd_progress (req, done, total);
              continue;
            }
        }
      size_t want = MIN ((guint64) DEVDATA_BUFSIZE, total - done);
      gssize n = devdata_pread (src->fd, buf, want, p->srcoffset + done, src->name, error);
      if (n < 0)
        return FALSE;
      if (n > 0 && !write_block (dst, buf, n, p->destoffset + done, p->sparse, &wrote_end, error))
        return FALSE;
      done += n;
      if (p->progress)
        gd_progress (req, done, total);
      if ((size_t) n < want)
        {
          /* The end of the source. */
          if (p->exact)
            {
              gd_error_errno (error, EINVAL,
                              "%s: the source is too short: %" G_GUINT64_FORMAT
                              " of %" G_GUINT64_FORMAT " bytes copied",
                              src->name, done, total);
              return FALSE;
            }
          break;
        }
    }

  /* Skipped zero blocks at the end leave a file short: extend it. */
  if (!wrote_end && !dst->is_device)
    {
      struct stat st;
      guint64 end = p->destoffset + done;
      if (fstat (dst->fd, &st) == 0 && (guint64) st.st_size < end && ftruncate (dst->fd, end) < 0)
        {
          gd_perror (error, "%s: truncate", dst->name);
          return FALSE;
        }
    }
  if (p->progress && done < total)
    gd_progress (req, total, total);
  return TRUE;
}

/* copy_data, then closes both ends (a failed close of the destination is
 * an error: it may be where a write error shows) and, when the
 * destination is a device, lets the kernel see what it now holds. */
static gboolean
copy_and_close (GdRequest *req, Endpoint *src, Endpoint *dst, const CopyParams *params,
                const GdDevice *dst_dev, GError **error)
{
  gboolean ok = copy_data (req, src, dst, params, error);
  close (src->fd);
  if (close (dst->fd) < 0 && ok)
    {
      gd_perror (error, "%s: close", dst->name);
      ok = FALSE;
    }
  if (dst_dev != NULL)
    devdata_device_written (req, dst_dev->node);
  return ok;
}

/* The four copy_*_to_* procedures: options checked, ends opened, copied. */
static gboolean
copy_common (GdRequest *req, const GdDevice *src_dev, const char *src_path, const GdDevice *dst_dev,
             const char *dst_path, int64_t srcoffset, int64_t destoffset, int64_t size,
             gboolean sparse, gboolean append, GError **error)
{
  /* The optarg bitmasks of the four procedures are the same. */
  if (!gd_request_has_optarg (req, GD_COPY_DEVICE_TO_DEVICE_SRCOFFSET_BITMASK))
    srcoffset = 0;
  if (!gd_request_has_optarg (req, GD_COPY_DEVICE_TO_DEVICE_DESTOFFSET_BITMASK))
    destoffset = 0;
  gboolean have_size = gd_request_has_optarg (req, GD_COPY_DEVICE_TO_DEVICE_SIZE_BITMASK);
  if (!gd_request_has_optarg (req, GD_COPY_DEVICE_TO_DEVICE_SPARSE_BITMASK))
    sparse = FALSE;
  if (!gd_request_has_optarg (req, GD_COPY_DEVICE_TO_DEVICE_APPEND_BITMASK))
    append = FALSE;
  if (!gd_fs_check_not_negative (NULL, "srcoffset", srcoffset, error))
    return FALSE;
  if (!gd_fs_check_not_negative (NULL, "destoffset", destoffset, error))
    return FALSE;
  if (have_size && !gd_fs_check_not_negative (NULL, "size", size, error))
    return FALSE;
  if (append && dst_dev != NULL)
    {
      gd_error_errno (error, EINVAL, "%s: the append flag cannot be used with a device",
                      dst_dev->guest);
      return FALSE;
    }

  Endpoint src = { -1, src_dev ? src_dev->guest : src_path, src_dev != NULL };
  Endpoint dst = { -1, dst_dev ? dst_dev->guest : dst_path, dst_dev != NULL };
  src.fd = src_dev ? devdata_open_device (src_dev, O_RDONLY, error)
                   : devdata_open_guest_file (req, src_path, O_RDONLY, error);
  if (src.fd < 0)
    return FALSE;
  dst.fd = dst_dev ? devdata_open_device (dst_dev, O_WRONLY, error)
                   : devdata_open_guest_file (req, dst_path,
                                              O_WRONLY | O_CREAT | (append ? 0 : O_TRUNC), error);
  if (dst.fd < 0)
    {
      close (src.fd);
      return FALSE;
    }
  if (append)
    {
      /* Positioned writes ignore O_APPEND's meaning on Linux: start at
       * the end instead. */
      struct stat st;
      if (fstat (dst.fd, &st) < 0)
        {
          gd_perror (error, "%s", dst.name);
          close (src.fd);
          close (dst.fd);
          return FALSE;
        }
      destoffset = st.st_size;
    }

  CopyParams params = {
    .srcoffset = srcoffset,
    .destoffset = destoffset,
    .size = have_size ? size : -1,
    .exact = have_size,
    .sparse = sparse,
    .progress = TRUE,
  };
  return copy_and_close (req, &src, &dst, &params, dst_dev, error);
}

gboolean
gd_do_copy_device_to_device (GdRequest *req, const GdDevice *src, const GdDevice *dest,
                             int64_t srcoffset, int64_t destoffset, int64_t size, gboolean sparse,
                             gboolean append, GError **error)
{
  return copy_common (req, src, NULL, dest, NULL, srcoffset, destoffset, size, sparse, append,
                      error);
}

gboolean
gd_do_copy_device_to_file (GdRequest *req, const GdDevice *src, const char *dest, int64_t srcoffset,
                           int64_t destoffset, int64_t size, gboolean sparse, gboolean append,
                           GError **error)
{
  return copy_common (req, src, NULL, NULL, dest, srcoffset, destoffset, size, sparse, append,
                      error);
}

gboolean
gd_do_copy_file_to_device (GdRequest *req, const char *src, const GdDevice *dest, int64_t srcoffset,
                           int64_t destoffset, int64_t size, gboolean sparse, gboolean append,
                           GError **error)
{
  return copy_common (req, NULL, src, dest, NULL, srcoffset, destoffset, size, sparse, append,
                      error);
}

gboolean
gd_do_copy_file_to_file (GdRequest *req, const char *src, const char *dest, int64_t srcoffset,
                         int64_t destoffset, int64_t size, gboolean sparse, gboolean append,
                         GError **error)
{
  return copy_common (req, NULL, src, NULL, dest, srcoffset, destoffset, size, sparse, append,
                      error);
}

/* copy_size and dd: whole Dev_or_Path arguments, a file destination is
 * created or truncated, as dd(1) does. */
static gboolean
copy_dev_or_path (GdRequest *req, const GdDevOrPath *src, const GdDevOrPath *dest, int64_t size,
                  gboolean progress, GError **error)
{
  Endpoint s = { -1, devdata_dev_or_path_name (src), src->device != NULL };
  Endpoint d = { -1, devdata_dev_or_path_name (dest), dest->device != NULL };
  s.fd = devdata_open_dev_or_path (req, src, O_RDONLY, error);
  if (s.fd < 0)
    return FALSE;
  d.fd = devdata_open_dev_or_path (req, dest, O_WRONLY | O_CREAT | O_TRUNC, error);
  if (d.fd < 0)
    {
      close (s.fd);
      return FALSE;
    }
  CopyParams params = {
    .size = size,
    .exact = size >= 0,
    .progress = progress,
  };
  return copy_and_close (req, &s, &d, &params, dest->device, error);
}

gboolean
gd_do_copy_size (GdRequest *req, const GdDevOrPath *src, const GdDevOrPath *dest, int64_t size,
                 GError **error)
{
  if (!gd_fs_check_not_negative (NULL, "size", size, error))
    return FALSE;
  return copy_dev_or_path (req, src, dest, size, TRUE, error);
}

gboolean
gd_do_dd (GdRequest *req, const GdDevOrPath *src, const GdDevOrPath *dest, GError **error)
{
  return copy_dev_or_path (req, src, dest, -1, FALSE, error);
}
