/* libguestfsd handlers: zeroing and wiping.
 *
 * Zeroing reads first and writes only where the data is not already
 * zero, so that sparse or thin-provisioned disk images do not grow.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "devdata.h"
#include "gd-actions.h"
#include "gd-private.h"

/* zero: this many blocks of ZERO_STEP_SIZE bytes (256 KiB) at the start of the device,
 * enough for partition tables and superblocks; one progress step each. */
#define ZERO_STEPS 32
#define ZERO_STEP_SIZE 8192
/* zero_device: the granularity of the already-zero test. */
#define ZERO_BLOCK 4096

static const guint8 zeroes[ZERO_STEP_SIZE];

/* Zeroes [off, off+len) of a device: BLKZEROOUT lets the device (a loop
 * device: its backing file) do it without moving zeroes around; it is
 * refused while the device is held (mounted), then zeroes are written. */
static gboolean
zero_range (int fd, const char *name, guint64 off, guint64 len, gboolean *try_ioctl, GError **error)
{
  if (*try_ioctl && off % 512 == 0 && len % 512 == 0)
    {
      guint64 range[2] = { off, len };
      if (ioctl (fd, BLKZEROOUT, range) == 0)
        return TRUE;
      *try_ioctl = FALSE; /* held, or not supported: it will not change */
    }
  while (len > 0)
    {
      size_t n = MIN (len, (guint64) sizeof zeroes);
      if (!devdata_pwrite (fd, zeroes, n, off, name, error))
        return FALSE;
      off += n;
      len -= n;
    }
  return TRUE;
}

/* Zeroes the non-zero ZERO_BLOCK-sized blocks of buf, which holds the
 * device's bytes from off. */
static gboolean
zero_nonzero_blocks (int fd, const char *name, const guint8 *buf, size_t len, guint64 off,
                     gboolean *try_ioctl, GError **error)
{
  size_t run = 0;
  gboolean in_run = FALSE;
  for (size_t pos = 0; pos < len; pos += ZERO_BLOCK)
    {
      gboolean zero = devdata_is_zero (buf + pos, MIN ((size_t) ZERO_BLOCK, len - pos));
      if (!zero && !in_run)
        {
          run = pos;
          in_run = TRUE;
        }
      else if (zero && in_run)
        {
          if (!zero_range (fd, name, off + run, pos - run, try_ioctl, error))
            return FALSE;
          in_run = FALSE;
        }
    }
  return !in_run || zero_range (fd, name, off + run, len - run, try_ioctl, error);
}

static gboolean
finish_device_write (GdRequest *req, const GdDevice *device, int fd, gboolean ok, GError **error)
{
  if (ok && fdatasync (fd) < 0)
    {
      gd_perror (error, "%s: fsync", device->guest);
      ok = FALSE;
    }
  if (close (fd) < 0 && ok)
    {
      gd_perror (error, "%s: close", device->guest);
      ok = FALSE;
    }
  devdata_device_written (req, device->node);
  return ok;
}

gboolean
gd_do_zero (GdRequest *req, const GdDevice *device, GError **error)
{
  int fd = devdata_open_device (device, O_RDWR, error);
  if (fd < 0)
    return FALSE;
  guint64 size;
  gboolean ok = devdata_fd_size (fd, device->guest, &size, error);
  gboolean try_ioctl = TRUE;
  guint8 buf[ZERO_STEP_SIZE];
  for (guint i = 0; ok && i < ZERO_STEPS; i++)
    {
      guint64 off = (guint64) i * ZERO_STEP_SIZE;
      if (off >= size)
        break;
      gssize n = devdata_pread (fd, buf, MIN ((guint64) ZERO_STEP_SIZE, size - off), off,
                                device->guest, error);
      if (n < 0)
        ok = FALSE;
      else if (n == 0)
        break;
      else if (!devdata_is_zero (buf, n))
        ok = zero_range (fd, device->guest, off, n, &try_ioctl, error);
      if (ok)
        gd_progress (req, i + 1, ZERO_STEPS);
    }
  if (ok)
    gd_progress (req, ZERO_STEPS, ZERO_STEPS);
  return finish_device_write (req, device, fd, ok, error);
}

gboolean
gd_do_zero_device (GdRequest *req, const GdDevice *device, GError **error)
{
  int fd = devdata_open_device (device, O_RDWR, error);
  if (fd < 0)
    return FALSE;
  guint64 size;
  gboolean ok = devdata_fd_size (fd, device->guest, &size, error);
  g_autofree guint8 *buf = g_malloc (DEVDATA_BUFSIZE);
  gboolean try_ioctl = TRUE;
  posix_fadvise (fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  for (guint64 off = 0; ok && off < size;)
    {
      gssize n = devdata_pread (fd, buf, MIN ((guint64) DEVDATA_BUFSIZE, size - off), off,
                                device->guest, error);
      if (n <= 0)
        {
          ok = n == 0;
          break;
        }
      ok = zero_nonzero_blocks (fd, device->guest, buf, n, off, &try_ioctl, error);
      off += n;
      gd_progress (req, off, size);
    }
  return finish_device_write (req, device, fd, ok, error);
}

gboolean
gd_do_is_zero_device (GdRequest *req, const GdDevice *device, gboolean *ret, GError **error)
{
  (void) req;
  int fd = devdata_open_device (device, O_RDONLY, error);
  if (fd < 0)
    return FALSE;
  g_autofree guint8 *buf = g_malloc (DEVDATA_BUFSIZE);
  posix_fadvise (fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  gboolean ok = TRUE;
  *ret = TRUE;
  for (guint64 off = 0;;)
    {
      gssize n = devdata_pread (fd, buf, DEVDATA_BUFSIZE, off, device->guest, error);
      if (n <= 0)
        {
          ok = n == 0;
          break;
        }
      if (!devdata_is_zero (buf, n))
        {
          *ret = FALSE;
          break;
        }
      off += n;
    }
  close (fd);
  return ok;
}

gboolean
gd_do_wipefs (GdRequest *req, const GdDevice *device, GError **error)
{
  /* --force: also erase a partition table, and a mounted filesystem's
   * signature, as asked. */
  int fd = devdata_open_device (device, O_WRONLY, error);
  if (fd < 0)
    return FALSE;
  close (fd);
  gboolean ok = gd_run (req, NULL, error, "wipefs", "--all", "--force", device->node, NULL);
  devdata_device_written (req, device->node);
  return ok;
}

gboolean
gd_do_zerofree (GdRequest *req, const GdDevice *device, GError **error)
{
  int fd = devdata_open_device (device, O_WRONLY, error);
  if (fd < 0)
    return FALSE;
  close (fd);
  /* zerofree itself refuses a filesystem mounted read-write. */
  return gd_run (req, NULL, error, "zerofree", device->node, NULL);
}

/* zero_free_space: one unnamed file after another in the directory
 * (O_TMPFILE where the filesystem has it, else created and unlinked at
 * once, so nothing is left behind even if we die) filled with zeroes
 * until the filesystem is full, synced to the disk, then freed. */
static int
open_fill_file (int dirfd, const char *dir, GError **error)
{
  int fd = openat (dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  if (fd >= 0)
    return fd;
  if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
    {
      gd_perror (error, "%s", dir);
      return -1;
    }
  for (int tries = 0; tries < 100; tries++)
    {
      g_autofree char *name = g_strdup_printf (".guestfsd-zero-%08x", g_random_int ());
      fd = openat (dirfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd >= 0)
        {
          unlinkat (dirfd, name, 0);
          return fd;
        }
      if (errno != EEXIST)
        break;
    }
  gd_perror (error, "%s", dir);
  return -1;
}

gboolean
gd_do_zero_free_space (GdRequest *req, const char *directory, GError **error)
{
  int dirfd = gd_open (req, directory, O_PATH | O_DIRECTORY, 0, error);
  if (dirfd < 0)
    return FALSE;
  struct statvfs sv;
  if (fstatvfs (dirfd, &sv) < 0)
    {
      gd_perror (error, "%s: statvfs", directory);
      close (dirfd);
      return FALSE;
    }
  guint64 total = (guint64) sv.f_bavail * sv.f_frsize;
  g_autofree guint8 *buf = g_malloc0 (DEVDATA_BUFSIZE);
  g_autoptr (GArray) fds = g_array_new (FALSE, FALSE, sizeof (int));
  gboolean ok = TRUE;
  guint64 written = 0;
  int fd = -1;
  while (ok)
    {
      if (fd < 0)
        {
          fd = open_fill_file (dirfd, directory, error);
          if (fd < 0)
            {
              ok = FALSE;
              break;
            }
          g_array_append_val (fds, fd);
        }
      ssize_t n = write (fd, buf, DEVDATA_BUFSIZE);
      if (n > 0)
        {
          written += n;
          gd_progress (req, MIN (written, total), total);
          continue;
        }
      if (n < 0 && errno == EINTR)
        continue;
      if (n == 0 || errno == ENOSPC || errno == EDQUOT)
        break; /* full: done */
      if (errno == EFBIG)
        {
          fd = -1; /* the file cannot grow: start another */
          continue;
        }
      gd_perror (error, "%s: write", directory);
      ok = FALSE;
    }
  /* The zeroes must reach the disk before the blocks are freed, or a
   * filesystem with delayed allocation would just drop them. */
  for (guint i = 0; i < fds->len; i++)
    {
      int f = g_array_index (fds, int, i);
      if (ok && fdatasync (f) < 0)
        {
          gd_perror (error, "%s: fsync", directory);
          ok = FALSE;
        }
      close (f);
    }
  if (ok)
    gd_progress (req, total, total);
  close (dirfd);
  return ok;
}
