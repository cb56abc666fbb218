/* libguestfsd handlers: listing disks and partitions.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "gd-actions.h"
#include "gd-private.h"

/* Device-kind results carry host nodes; the stub maps them to guest names. */
static char **
nodes_of (GPtrArray *devices)
{
  char **out = g_new0 (char *, devices->len + 1);
  for (guint i = 0; i < devices->len; i++)
    out[i] = g_strdup (((GdDevice *) g_ptr_array_index (devices, i))->node);
  return out;
}

gboolean
gd_do_list_devices (GdRequest *req, char ***ret, GError **error)
{
  (void) error;
  g_autoptr (GPtrArray) disks = gd_list_disks (gd_request_connection (req));
  *ret = nodes_of (disks);
  return TRUE;
}

gboolean
gd_do_list_partitions (GdRequest *req, char ***ret, GError **error)
{
  (void) error;
  g_autoptr (GPtrArray) parts = gd_list_partitions (gd_request_connection (req));
  *ret = nodes_of (parts);
  return TRUE;
}
