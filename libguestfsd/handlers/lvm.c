/* libguestfsd handlers: LVM.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "gd-actions.h"
#include "gd-private.h"

gboolean
gd_do_lvm_remove_all (GdRequest *req, GError **error)
{
  /* Without LVM (no lvm program or no device-mapper) no volume group can
   * be active, so there is nothing to remove. */
  if (!gd_group_available (GD_GROUP_LVM2))
    return TRUE;
  g_autofree char *vgs = NULL;
  if (!gd_run (req, &vgs, error, "lvm", "vgs", "--noheadings", "-o", "vg_name", NULL))
    return FALSE;
  g_auto (GStrv) names = g_strsplit (vgs, "\n", -1);
  for (char **n = names; *n; n++)
    {
      g_strstrip (*n);
      if (**n == '\0')
        continue;
      if (!gd_run (req, NULL, error, "lvm", "vgremove", "-f", "-y", *n, NULL))
        return FALSE;
    }
  return TRUE;
}
