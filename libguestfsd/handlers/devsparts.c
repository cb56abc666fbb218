/* libguestfsd handlers: listing disks and partitions, and partition
 * names <-> disks and numbers.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "gd-actions.h"
#include "gd-private.h"
#include "partitions.h"

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

gboolean
gd_do_nr_devices (GdRequest *req, int *ret, GError **error)
{
  (void) error;
  g_autoptr (GPtrArray) disks = gd_list_disks (gd_request_connection (req));
  *ret = (int) disks->len;
  return TRUE;
}

/* Index of dev among the whole disks, or -1. */
static int
disk_index (GdRequest *req, const GdDevice *dev)
{
  g_autoptr (GPtrArray) disks = gd_list_disks (gd_request_connection (req));
  for (guint i = 0; i < disks->len; i++)
    if (strcmp (((GdDevice *) g_ptr_array_index (disks, i))->node, dev->node) == 0)
      return (int) i;
  return -1;
}

gboolean
gd_do_device_index (GdRequest *req, const GdDevice *device, int *ret, GError **error)
{
  int i = disk_index (req, device);
  if (i < 0)
    {
      gd_error_errno (error, EINVAL, "%s: not a whole disk (see list_devices)", device->guest);
      return FALSE;
    }
  *ret = i;
  return TRUE;
}

gboolean
gd_do_is_whole_device (GdRequest *req, const GdDevice *device, gboolean *ret, GError **error)
{
  (void) error;
  /* Our drives only: partitions, logical volumes and md arrays are not. */
  *ret = disk_index (req, device) >= 0;
  return TRUE;
}

/* The kernel knows which disk a partition belongs to and its number:
 * that works for every naming scheme (sda1, loop3p1, md0p1, nvme0n1p1),
 * which parsing the name cannot do reliably. */
static gboolean
split_partition (const GdDevice *partition, char **disk_node, int *partnum, GError **error)
{
  g_autofree char *dir = gd_device_sysfs_dir (partition->node);
  g_autofree char *pfile = dir ? g_build_filename (dir, "partition", NULL) : NULL;
  g_autofree char *content = NULL;
  if (pfile == NULL || !g_file_get_contents (pfile, &content, NULL, NULL))
    {
      gd_error_errno (error, EINVAL, "%s: not a partition", partition->guest);
      return FALSE;
    }
  guint64 n = g_ascii_strtoull (content, NULL, 10);
  if (n == 0 || n > G_MAXINT)
    {
      gd_error_errno (error, EINVAL, "%s: not a partition", partition->guest);
      return FALSE;
    }
  if (partnum)
    *partnum = (int) n;
  if (disk_node)
    {
      g_autofree char *parent = g_path_get_dirname (dir);
      g_autofree char *name = g_path_get_basename (parent);
      *disk_node = g_strconcat ("/dev/", name, NULL);
    }
  return TRUE;
}

gboolean
gd_do_part_to_dev (GdRequest *req, const GdDevice *partition, char **ret, GError **error)
{
  (void) req;
  return split_partition (partition, ret, NULL, error);
}

gboolean
gd_do_part_to_partnum (GdRequest *req, const GdDevice *partition, int *ret, GError **error)
{
  (void) req;
  return split_partition (partition, NULL, ret, error);
}

/* The appliance's udev rule names drives with a label (add_drive's label
 * optarg, passed as the disk's serial) /dev/disk/guestfs/LABEL, and their
 * partitions LABEL<N>.  On a host there is no such directory: no labels. */
#define DISK_LABELS_DIR "/dev/disk/guestfs"

gboolean
gd_do_list_disk_labels (GdRequest *req, char ***ret, GError **error)
{
  (void) error;
  GPtrArray *out = g_ptr_array_new ();
  g_autoptr (GDir) dir = g_dir_open (DISK_LABELS_DIR, 0, NULL);
  const char *name;
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *link = g_build_filename (DISK_LABELS_DIR, name, NULL);
      g_autofree char *node = realpath (link, NULL);
      if (node == NULL)
        continue;
      /* Only labels of our own devices. */
      g_autoptr (GdDevice) dev = gd_device_lookup (gd_request_connection (req), node, NULL);
      if (dev == NULL)
        continue;
      g_ptr_array_add (out, g_strdup (name));
      g_ptr_array_add (out, g_strdup (dev->node));
    }
  g_ptr_array_add (out, NULL);
  *ret = (char **) g_ptr_array_free (out, FALSE);
  return TRUE;
}
