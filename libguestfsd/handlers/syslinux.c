/* libguestfsd handlers: syslinux and extlinux.
 *
 * syslinux works on the FAT device itself (through mtools, no mount);
 * extlinux works on a mounted directory, which it is given as its working
 * directory so that no guest path reaches it.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <unistd.h>

#include "gd-actions.h"
#include "gd-private.h"

gboolean
gd_do_syslinux (GdRequest *req, const GdDevice *device, const char *directory, GError **error)
{
  const char *argv[6];
  int n = 0;
  argv[n++] = "syslinux";
  argv[n++] = "--install";
  if (gd_request_has_optarg (req, GD_SYSLINUX_DIRECTORY_BITMASK))
    {
      argv[n++] = "--directory";
      argv[n++] = directory;
    }
  argv[n++] = device->node;
  argv[n] = NULL;
  return gd_runv (req, argv, GD_RUN_FOLD_STDERR, NULL, error);
}

gboolean
gd_do_extlinux (GdRequest *req, const char *directory, GError **error)
{
  int dirfd = gd_open (req, directory, O_PATH | O_DIRECTORY, 0, error);
  if (dirfd < 0)
    return FALSE;
  const char *argv[] = { "extlinux", "--install", ".", NULL };
  GdRunOpts opts = {
    .argv = argv, .flags = GD_RUN_FOLD_STDERR, .stdin_fd = -1, .stdout_fd = -1, .cwd_fd = dirfd
  };
  gboolean ok = gd_run_full (req, &opts, NULL, NULL, NULL, error);
  close (dirfd);
  return ok;
}
