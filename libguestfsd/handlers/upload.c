/* libguestfsd handlers: upload and download of files and devices.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gd-actions.h"
#include "gd-private.h"

static const char *
dev_or_path_name (const GdDevOrPath *d)
{
  return d->device ? d->device->guest : d->path;
}

/* Opens a Dev_or_Path argument: the device node, or the guest path
 * resolved in the sysroot. */
static int
open_dev_or_path (GdRequest *req, const GdDevOrPath *d, int flags, GError **error)
{
  if (d->device == NULL)
    return gd_open (req, d->path, flags, 0666, error);
  int fd = open (d->device->node, (flags & ~(O_CREAT | O_TRUNC)) | O_CLOEXEC);
  if (fd < 0)
    gd_perror (error, "%s", d->device->guest);
  return fd;
}

gboolean
gd_do_upload (GdRequest *req, const GdDevOrPath *remotefilename, GError **error)
{
  int fd = open_dev_or_path (req, remotefilename, O_WRONLY | O_CREAT | O_TRUNC | O_NOCTTY, error);
  if (fd < 0)
    return FALSE;
  gboolean ok = gd_filein_to_fd (req, fd, error);
  if (close (fd) < 0 && ok)
    {
      gd_perror (error, "%s", dev_or_path_name (remotefilename));
      ok = FALSE;
    }
  return ok;
}

/* Size to report progress against: the file's, or the device's. */
static guint64
size_of (int fd)
{
  struct stat st;
  if (fstat (fd, &st) < 0)
    return 0;
  if (S_ISBLK (st.st_mode))
    {
      guint64 size = 0;
      return ioctl (fd, BLKGETSIZE64, &size) == 0 ? size : 0;
    }
  return S_ISREG (st.st_mode) ? (guint64) st.st_size : 0;
}

gboolean
gd_do_download (GdRequest *req, const GdDevOrPath *remotefilename, GError **error)
{
  int fd = open_dev_or_path (req, remotefilename, O_RDONLY | O_NOCTTY, error);
  if (fd < 0)
    return FALSE;
  gboolean ok = gd_fileout_from_fd (req, fd, size_of (fd), error);
  close (fd);
  return ok;
}
