/* libguestfsd handlers: fsck.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "fs-util.h"
#include "gd-actions.h"
#include "gd-private.h"

gboolean
gd_fs_run_checker (GdRequest *req, const char *const *argv, int stdin_fd, char **out, int *status,
                   GError **error)
{
  GdRunOpts opts = { .argv = argv,
                     .flags = GD_RUN_FOLD_STDERR | GD_RUN_ANY_STATUS | GD_RUN_PULSE,
                     .stdin_fd = stdin_fd,
                     .stdout_fd = -1 };
  *status = -1;
  return gd_run_full (req, &opts, out, NULL, status, error);
}

gboolean
gd_do_fsck (GdRequest *req, const char *fstype, const GdDevice *device, int *ret, GError **error)
{
  if (*fstype == '\0' ||
      strspn (fstype, "abcdefghijklmnopqrstuvwxyz0123456789_.-") != strlen (fstype))
    {
      gd_error_errno (error, EINVAL, "%s: invalid filesystem type", fstype);
      return FALSE;
    }
  const char *argv[] = { "fsck", "-a", "-t", fstype, device->node, NULL };
  g_autofree char *out = NULL;
  int status;
  if (!gd_fs_run_checker (req, argv, -1, &out, &status, error))
    return FALSE;
  if (status < 0)
    {
      gd_chomp (out);
      gd_error (error, "%s: fsck did not exit normally: %s", device->guest, out);
      return FALSE;
    }
  /* The status is the result: a sum of fsck(8)'s codes. */
  *ret = status;
  return TRUE;
}
