/* libguestfsd handlers: minimum filesystem sizes (vfs_minimum_size).
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "gd-actions.h"
#include "gd-private.h"
#include "fs-util.h"

/* The number after prefix on the first line that has it. */
static gboolean
find_number (const char *text, const char *prefix, gint64 *value)
{
  const char *p = strstr (text, prefix);
  if (p == NULL)
    return FALSE;
  p += strlen (prefix);
  while (*p == ' ' || *p == '\t')
    p++;
  char *end;
  gint64 v = g_ascii_strtoll (p, &end, 10);
  if (end == p || v < 0)
    return FALSE;
  *value = v;
  return TRUE;
}

static gboolean
ext_min_size (GdRequest *req, const char *node, int64_t *ret, GError **error)
{
  g_autofree char *out = NULL, *info = NULL;
  gint64 blocks, bsize;
  if (!gd_run (req, &out, error, "resize2fs", "-P", node, NULL))
    return FALSE;
  if (!gd_run (req, &info, error, "tune2fs", "-l", node, NULL))
    return FALSE;
  if (!find_number (out, "minimum size of the filesystem:", &blocks) ||
      !find_number (info, "\nBlock size:", &bsize))
    {
      gd_error (error, "%s: cannot parse the output of resize2fs -P and tune2fs -l", node);
      return FALSE;
    }
  *ret = blocks * bsize;
  return TRUE;
}

static gboolean
ntfs_min_size (GdRequest *req, const char *node, int64_t *ret, GError **error)
{
  const char *argv[] = { "ntfsresize", "--info", "--force", "--no-progress-bar", node, NULL };
  g_autofree char *out = NULL;
  if (!gd_runv (req, argv, GD_RUN_FOLD_STDERR, &out, error))
    return FALSE;
  gint64 bytes;
  if (!find_number (out, "You might resize at", &bytes))
    {
      gd_chomp (out);
      gd_error (error, "%s: ntfsresize does not say how far it can shrink: %s", node, out);
      return FALSE;
    }
  *ret = bytes;
  return TRUE;
}

static gboolean
btrfs_min_size (GdRequest *req, const char *node, int64_t *ret, GError **error)
{
  /* The tool asks the mounted filesystem. */
  g_autofree char *mp = gd_fs_mountpoint_of (node);
  char *tmp = NULL;
  if (mp == NULL)
    {
      tmp = gd_fs_temp_mount (req, node, "btrfs", NULL, error);
      if (tmp == NULL)
        return FALSE;
    }
  g_autofree char *out = NULL;
  gboolean ok =
      gd_run (req, &out, error, "btrfs", "inspect-internal", "min-dev-size", mp ? mp : tmp, NULL);
  gd_fs_temp_umount (tmp);
  if (!ok)
    return FALSE;
  gint64 bytes;
  if (!find_number (out, "", &bytes))
    {
      gd_error (error, "%s: cannot parse the output of btrfs inspect-internal min-dev-size", node);
      return FALSE;
    }
  *ret = bytes;
  return TRUE;
}

static gboolean
xfs_min_size (GdRequest *req, const char *node, int64_t *ret, GError **error)
{
  /* XFS cannot shrink: its minimum size is its size. */
  gd_xfsinfo x = { 0 };
  if (!gd_fs_xfs_info (req, node, &x, error))
    return FALSE;
  gboolean ok = x.xfs_blocksize != (u_int) -1 && x.xfs_datablocks != (u_quad_t) -1;
  if (ok)
    *ret = (int64_t) x.xfs_blocksize * (int64_t) x.xfs_datablocks;
  else
    gd_error (error, "%s: xfs_info does not show the data size", node);
  g_free (x.xfs_mntpoint);
  g_free (x.xfs_logname);
  g_free (x.xfs_rtname);
  return ok;
}

gboolean
gd_do_vfs_minimum_size (GdRequest *req, const GdMountable *mountable, int64_t *ret, GError **error)
{
  const GdDevice *dev = gd_mountable_device (mountable, error);
  if (dev == NULL)
    return FALSE;
  const char *node = dev->node;
  g_autofree char *type = gd_fs_probe_tag (req, node, "TYPE", error);
  if (type == NULL)
    return FALSE;
  if (gd_fs_is_ext (type))
    return ext_min_size (req, node, ret, error);
  if (strcmp (type, "ntfs") == 0)
    return ntfs_min_size (req, node, ret, error);
  if (strcmp (type, "btrfs") == 0)
    return btrfs_min_size (req, node, ret, error);
  if (strcmp (type, "xfs") == 0)
    return xfs_min_size (req, node, ret, error);
  gd_error_errno (error, ENOTSUP, "don't know how to get the minimum size of '%s' filesystems",
                  type);
  return FALSE;
}
