/* libguestfsd handlers: pread and pwrite on devices.
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

/* The largest RBufferOut that fits in a reply: the message limit less the
 * 40-byte reply header and the buffer's 4-byte length. */
#define MAX_BUFFER_OUT (GD_MESSAGE_MAX - 40 - 4)

gboolean
gd_do_pread_device (GdRequest *req, const GdDevice *device, int count, int64_t offset, char **ret,
                    size_t *ret_size, GError **error)
{
  (void) req;
  if (!gd_fs_check_not_negative (NULL, "count", count, error))
    return FALSE;
  if (!gd_fs_check_not_negative (NULL, "offset", offset, error))
    return FALSE;
  if (count > MAX_BUFFER_OUT)
    {
      gd_error_errno (error, E2BIG,
                      "count %d is larger than the protocol's limit of %d bytes for one reply: "
                      "read in smaller pieces, or use download_offset",
                      count, MAX_BUFFER_OUT);
      return FALSE;
    }
  int fd = devdata_open_device (device, O_RDONLY, error);
  if (fd < 0)
    return FALSE;
  g_autofree char *buf = g_malloc (count > 0 ? count : 1);
  ssize_t n;
  do
    n = pread (fd, buf, count, offset);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    {
      gd_perror (error, "%s: pread", device->guest);
      close (fd);
      return FALSE;
    }
  close (fd);
  *ret_size = n;
  *ret = g_steal_pointer (&buf);
  return TRUE;
}

gboolean
gd_do_pwrite_device (GdRequest *req, const GdDevice *device, const char *content,
                     size_t content_size, int64_t offset, int *ret, GError **error)
{
  if (!gd_fs_check_not_negative (NULL, "offset", offset, error))
    return FALSE;
  int fd = devdata_open_device (device, O_WRONLY, error);
  if (fd < 0)
    return FALSE;
  ssize_t n;
  do
    n = pwrite (fd, content, content_size, offset);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    {
      gd_perror (error, "%s: pwrite", device->guest);
      close (fd);
      return FALSE;
    }
  if (close (fd) < 0)
    {
      gd_perror (error, "%s: close", device->guest);
      return FALSE;
    }
  devdata_device_written (req, device->node);
  *ret = n;
  return TRUE;
}
