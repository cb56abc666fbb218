/* libguestfsd handlers: discard and trim, with the kernel's ioctls.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "devdata.h"
#include "fsutil.h"
#include "gd-actions.h"
#include "gd-private.h"

gboolean
gd_do_blkdiscard (GdRequest *req, const GdDevice *device, GError **error)
{
  int fd = devdata_open_device (device, O_WRONLY, error);
  if (fd < 0)
    return FALSE;
  guint64 size;
  gboolean ok = devdata_fd_size (fd, device->guest, &size, error);
  if (ok)
    {
      guint64 range[2] = { 0, size };
      if (ioctl (fd, BLKDISCARD, range) < 0)
        {
          if (errno == EOPNOTSUPP)
            gd_error_errno (error, ENOTSUP, "%s: the device does not support discard",
                            device->guest);
          else
            gd_perror (error, "%s: BLKDISCARD", device->guest);
          ok = FALSE;
        }
    }
  close (fd);
  devdata_device_written (req, device->node);
  return ok;
}

gboolean
gd_do_blkdiscardzeroes (GdRequest *req, const GdDevice *device, gboolean *ret, GError **error)
{
  (void) req;
  int fd = devdata_open_device (device, O_RDONLY, error);
  if (fd < 0)
    return FALSE;
  unsigned int zeroes = 0;
  gboolean ok = ioctl (fd, BLKDISCARDZEROES, &zeroes) == 0;
  if (!ok)
    gd_perror (error, "%s: BLKDISCARDZEROES", device->guest);
  close (fd);
  *ret = zeroes != 0;
  return ok;
}

gboolean
gd_do_fstrim (GdRequest *req, const char *mountpoint, int64_t offset, int64_t length,
              int64_t minimumfreeextent, GError **error)
{
  struct fstrim_range range = { .start = 0, .len = G_MAXUINT64, .minlen = 0 };
  if (gd_request_has_optarg (req, GD_FSTRIM_OFFSET_BITMASK))
    {
      if (!gd_fs_check_not_negative (NULL, "offset", offset, error))
        return FALSE;
      range.start = offset;
    }
  if (gd_request_has_optarg (req, GD_FSTRIM_LENGTH_BITMASK))
    {
      if (!gd_fs_check_not_negative (NULL, "length", length, error))
        return FALSE;
      range.len = length;
    }
  if (gd_request_has_optarg (req, GD_FSTRIM_MINIMUMFREEEXTENT_BITMASK))
    {
      if (!gd_fs_check_not_negative (NULL, "minimumfreeextent", minimumfreeextent, error))
        return FALSE;
      range.minlen = minimumfreeextent;
    }

  int fd = gd_open (req, mountpoint, O_RDONLY | O_DIRECTORY, 0, error);
  if (fd < 0)
    return FALSE;
  /* Blocks freed by recent deletes are only trimmed once committed. */
  syncfs (fd);
  gboolean ok = ioctl (fd, FITRIM, &range) == 0;
  if (!ok)
    {
      if (errno == EOPNOTSUPP || errno == ENOTTY)
        gd_error_errno (error, ENOTSUP, "%s: the filesystem or its device does not support trim",
                        mountpoint);
      else
        gd_perror (error, "%s: FITRIM", mountpoint);
    }
  close (fd);
  return ok;
}
