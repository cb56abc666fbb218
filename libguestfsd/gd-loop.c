/* libguestfsd: attaching image files to loop devices.
 *
 * Done with the loop ioctls rather than losetup(8): one process less at
 * start-up, and the fd we keep open pins the device.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <libguestfsd/guestfsd.h>

#include "gd-devnodes.h"
#include "gd-loop.h"

/* The node of a freshly created loop device can take a moment to appear
 * (udev, devtmpfs); in the jail's /dev we make it ourselves. */
int
gd_loop_open_node (const char *node, int flags)
{
  if (g_str_has_prefix (node, "/dev/"))
    {
      gd_devnodes_prune_loops ();
      gd_devnodes_make (node + 5);
    }
  for (int tries = 0; tries < 200; tries++)
    {
      int fd = open (node, flags | O_CLOEXEC);
      if (fd >= 0 || errno != ENOENT)
        return fd;
      g_usleep (5000);
    }
  return -1;
}

int
gd_loop_attach (const char *path, gboolean readonly, char **node, GError **error)
{
  int flags = readonly ? O_RDONLY : O_RDWR;
  int backing = open (path, flags | O_CLOEXEC);
  if (backing < 0)
    {
      int saved = errno;
      g_set_error (error, GUESTFSD_ERROR, GUESTFSD_ERROR_DRIVE, "%s: %s", path, g_strerror (saved));
      return -1;
    }
  int ctl = open ("/dev/loop-control", O_RDWR | O_CLOEXEC);
  if (ctl < 0)
    {
      int saved = errno;
      close (backing);
      g_set_error (error, GUESTFSD_ERROR, GUESTFSD_ERROR_DRIVE, "/dev/loop-control: %s",
                   g_strerror (saved));
      return -1;
    }

  int loop_fd = -1;
  int last_errno = 0;
  /* Another process may take the device between GET_FREE and CONFIGURE. */
  for (int attempt = 0; attempt < 64 && loop_fd < 0; attempt++)
    {
      int n = ioctl (ctl, LOOP_CTL_GET_FREE);
      if (n < 0)
        {
          last_errno = errno;
          break;
        }
      g_autofree char *name = g_strdup_printf ("/dev/loop%d", n);
      int fd = gd_loop_open_node (name, flags);
      if (fd < 0)
        {
          last_errno = errno;
          continue;
        }
      struct loop_config cfg;
      memset (&cfg, 0, sizeof cfg);
      cfg.fd = backing;
      cfg.info.lo_flags = LO_FLAGS_PARTSCAN | LO_FLAGS_AUTOCLEAR;
      if (readonly)
        cfg.info.lo_flags |= LO_FLAGS_READ_ONLY;
      g_strlcpy ((char *) cfg.info.lo_file_name, path, sizeof cfg.info.lo_file_name);
      if (ioctl (fd, LOOP_CONFIGURE, &cfg) < 0)
        {
          last_errno = errno;
          close (fd);
          if (last_errno == EBUSY)
            continue;
          break;
        }
      loop_fd = fd;
      *node = g_steal_pointer (&name);
    }
  close (ctl);
  close (backing);
  if (loop_fd < 0)
    g_set_error (error, GUESTFSD_ERROR, GUESTFSD_ERROR_DRIVE,
                 "%s: cannot attach to a loop device: %s", path, g_strerror (last_errno));
  return loop_fd;
}

void
gd_loop_detach (int loop_fd)
{
  /* With auto-clear the device goes when its last user closes it; this
   * also frees it now if nothing else holds it. */
  ioctl (loop_fd, LOOP_CLR_FD, 0);
  close (loop_fd);
}
