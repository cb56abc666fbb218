/* libguestfsd handlers: device nodes and FIFOs.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fsutil.h"
#include "gd-actions.h"
#include "gd-private.h"

gboolean
gd_do_mknod (GdRequest *req, int mode, int devmajor, int devminor, const char *path, GError **error)
{
  if (!gd_fs_check_not_negative (path, "mode", mode, error))
    return FALSE;
  g_autofree char *name = NULL;
  int dfd = gd_open_parent (req, path, &name, error);
  if (dfd < 0)
    return FALSE;
  /* The umask applies to the permission bits only. */
  mode_t m = (mode_t) mode & ~gd_fs_umask (req);
  int r = mknodat (dfd, name, m, makedev ((unsigned) devmajor, (unsigned) devminor));
  if (r < 0)
    gd_perror (error, "%s", path);
  close (dfd);
  return r == 0;
}

static gboolean
mknod_type (GdRequest *req, int mode, mode_t type, int devmajor, int devminor, const char *path,
            GError **error)
{
  if (mode & ~07777)
    {
      gd_error_errno (error, EINVAL, "0%o: mode must specify only file permission bits", mode);
      return FALSE;
    }
  return gd_do_mknod (req, mode | type, devmajor, devminor, path, error);
}

gboolean
gd_do_mkfifo (GdRequest *req, int mode, const char *path, GError **error)
{
  return mknod_type (req, mode, S_IFIFO, 0, 0, path, error);
}

gboolean
gd_do_mknod_b (GdRequest *req, int mode, int devmajor, int devminor, const char *path,
               GError **error)
{
  return mknod_type (req, mode, S_IFBLK, devmajor, devminor, path, error);
}

gboolean
gd_do_mknod_c (GdRequest *req, int mode, int devmajor, int devminor, const char *path,
               GError **error)
{
  return mknod_type (req, mode, S_IFCHR, devmajor, devminor, path, error);
}
