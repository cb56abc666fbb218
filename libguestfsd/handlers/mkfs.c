/* libguestfsd handlers: making filesystems.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "gd-actions.h"
#include "gd-private.h"

static gboolean
is_ext (const char *fstype)
{
  return strcmp (fstype, "ext2") == 0 || strcmp (fstype, "ext3") == 0 ||
         strcmp (fstype, "ext4") == 0;
}

gboolean
gd_do_mkfs (GdRequest *req, const char *fstype, const GdDevice *device, int blocksize,
            const char *features, int inode, int sectorsize, const char *label, GError **error)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  gboolean has_bs = gd_request_has_optarg (req, GD_MKFS_BLOCKSIZE_BITMASK);
  gboolean has_features = gd_request_has_optarg (req, GD_MKFS_FEATURES_BITMASK);
  gboolean has_inode = gd_request_has_optarg (req, GD_MKFS_INODE_BITMASK);
  gboolean has_label = gd_request_has_optarg (req, GD_MKFS_LABEL_BITMASK);
  (void) sectorsize;

  if (is_ext (fstype))
    {
      g_ptr_array_add (argv, g_strdup ("mke2fs"));
      g_ptr_array_add (argv, g_strdup ("-F"));
      g_ptr_array_add (argv, g_strdup ("-q"));
      g_ptr_array_add (argv, g_strdup ("-t"));
      g_ptr_array_add (argv, g_strdup (fstype));
      if (has_bs)
        g_ptr_array_add (argv, g_strdup_printf ("-b%d", blocksize));
      if (has_features)
        g_ptr_array_add (argv, g_strdup_printf ("-O%s", features));
      if (has_inode)
        g_ptr_array_add (argv, g_strdup_printf ("-I%d", inode));
      if (has_label)
        g_ptr_array_add (argv, g_strdup_printf ("-L%s", label));
    }
  else
    {
      g_ptr_array_add (argv, g_strdup ("mkfs"));
      g_ptr_array_add (argv, g_strdup ("-t"));
      g_ptr_array_add (argv, g_strdup (fstype));
      if (has_label)
        {
          g_ptr_array_add (argv, g_strdup ("-L"));
          g_ptr_array_add (argv, g_strdup (label));
        }
    }
  g_ptr_array_add (argv, g_strdup (device->node));
  g_ptr_array_add (argv, NULL);
  return gd_runv (req, (const char *const *) argv->pdata, GD_RUN_DEFAULT, NULL, error);
}
