/* libguestfsd handlers: block device ioctls (what blockdev(8) does, without
 * running it).
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "fsutil.h"
#include "gd-actions.h"
#include "gd-private.h"
#include "partitions.h"

static int
open_device (const GdDevice *dev, int flags, GError **error)
{
  int fd = open (dev->node, flags | O_CLOEXEC);
  if (fd < 0)
    gd_perror (error, "%s", dev->guest);
  return fd;
}

/* One ioctl on the device; arg may be a pointer or a value. */
static gboolean
device_ioctl (const GdDevice *dev, unsigned long request, void *arg, const char *what,
              GError **error)
{
  int fd = open_device (dev, O_RDONLY, error);
  if (fd < 0)
    return FALSE;
  int r = ioctl (fd, request, arg);
  if (r < 0)
    gd_perror (error, "%s: %s", dev->guest, what);
  close (fd);
  return r >= 0;
}

gboolean
gd_do_blockdev_setro (GdRequest *req, const GdDevice *device, GError **error)
{
  (void) req;
  int on = 1;
  return device_ioctl (device, BLKROSET, &on, "BLKROSET", error);
}

gboolean
gd_do_blockdev_setrw (GdRequest *req, const GdDevice *device, GError **error)
{
  (void) req;
  int off = 0;
  return device_ioctl (device, BLKROSET, &off, "BLKROSET", error);
}

gboolean
gd_do_blockdev_getro (GdRequest *req, const GdDevice *device, gboolean *ret, GError **error)
{
  (void) req;
  int ro = 0;
  if (!device_ioctl (device, BLKROGET, &ro, "BLKROGET", error))
    return FALSE;
  *ret = ro != 0;
  return TRUE;
}

gboolean
gd_do_blockdev_getss (GdRequest *req, const GdDevice *device, int *ret, GError **error)
{
  (void) req;
  return device_ioctl (device, BLKSSZGET, ret, "BLKSSZGET", error);
}

gboolean
gd_do_blockdev_getbsz (GdRequest *req, const GdDevice *device, int *ret, GError **error)
{
  (void) req;
  return device_ioctl (device, BLKBSZGET, ret, "BLKBSZGET", error);
}

gboolean
gd_do_blockdev_setbsz (GdRequest *req, const GdDevice *device, int blocksize, GError **error)
{
  (void) req;
  if (blocksize < 512 || blocksize > 65536 || (blocksize & (blocksize - 1)) != 0)
    {
      gd_error_errno (error, EINVAL, "%d: block size must be a power of 2 from 512 to 65536",
                      blocksize);
      return FALSE;
    }
  /* Deprecated: the kernel keeps this size only while someone holds the
   * device open (and refuses it while a filesystem is mounted), so it
   * rarely outlives the call.  We still ask, as blockdev --setbsz did. */
  return device_ioctl (device, BLKBSZSET, &blocksize, "BLKBSZSET", error);
}

gboolean
gd_do_blockdev_getsize64 (GdRequest *req, const GdDevice *device, int64_t *ret, GError **error)
{
  (void) req;
  guint64 size = 0;
  if (!device_ioctl (device, BLKGETSIZE64, &size, "BLKGETSIZE64", error))
    return FALSE;
  *ret = (int64_t) size;
  return TRUE;
}

gboolean
gd_do_blockdev_getsz (GdRequest *req, const GdDevice *device, int64_t *ret, GError **error)
{
  if (!gd_do_blockdev_getsize64 (req, device, ret, error))
    return FALSE;
  *ret /= 512;
  return TRUE;
}

gboolean
gd_do_blockdev_flushbufs (GdRequest *req, const GdDevice *device, GError **error)
{
  (void) req;
  return device_ioctl (device, BLKFLSBUF, NULL, "BLKFLSBUF", error);
}

gboolean
gd_do_blockdev_rereadpt (GdRequest *req, const GdDevice *device, GError **error)
{
  (void) req;
  /* A plain BLKRRPART is not enough: it fails while any partition is in
   * use, and a kernel without the table's parser drops every partition.
   * The sync re-reads the table itself and updates only what changed. */
  if (!gd_parts_is_partition_or_dm (device->node))
    return gd_parts_reread (device, error);
  return device_ioctl (device, BLKRRPART, NULL, "BLKRRPART", error);
}

gboolean
gd_do_blockdev_setra (GdRequest *req, const GdDevice *device, int sectors, GError **error)
{
  (void) req;
  if (!gd_fs_check_not_negative (NULL, "sectors", sectors, error))
    return FALSE;
  return device_ioctl (device, BLKRASET, (void *) (uintptr_t) sectors, "BLKRASET", error);
}
