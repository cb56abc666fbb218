/* libguestfsd handlers: partition tables.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "gd-actions.h"
#include "gd-private.h"

/* parted's name for a partition table type the client gives. */
static const char *
parted_label (const char *parttype, GError **error)
{
  static const char *const known[] = { "msdos", "gpt",  "aix", "amiga", "bsd", "dasd",
                                       "dvh",   "loop", "mac", "pc98",  "sun", NULL };
  if (strcmp (parttype, "mbr") == 0)
    return "msdos";
  if (strcmp (parttype, "efi") == 0)
    return "gpt";
  for (const char *const *k = known; *k; k++)
    if (strcmp (parttype, *k) == 0)
      return *k;
  gd_error_errno (error, EINVAL, "%s: unknown partition table type", parttype);
  return NULL;
}

gboolean
gd_do_part_disk (GdRequest *req, const GdDevice *device, const char *parttype, GError **error)
{
  const char *label = parted_label (parttype, error);
  if (label == NULL)
    return FALSE;
  /* One partition from 1 MiB (aligned for any disk) to the end, leaving
   * room for GPT's backup table. */
  const char *end = strcmp (label, "gpt") == 0 ? "-34s" : "-1s";
  const char *argv[] = { "parted", "-s",      "--",    device->node, "mklabel", label,
                         "mkpart", "primary", "2048s", end,          NULL };
  if (!gd_runv (req, argv, GD_RUN_DEFAULT, NULL, error))
    return FALSE;
  return gd_partitions_sync (device->node, error);
}
