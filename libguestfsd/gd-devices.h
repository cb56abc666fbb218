/* libguestfsd: the disks a daemon serves, and guest <-> host device names.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

#include "gd-types.h"

G_BEGIN_DECLS

typedef struct _GdDeviceTable GdDeviceTable;

GdDeviceTable *gd_device_table_new (void);
void gd_device_table_free (GdDeviceTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GdDeviceTable, gd_device_table_free)

/* Host mode: adds the next drive (/dev/sda, /dev/sdb, ...).  A regular
 * file is attached to a free loop device with partition scanning; a block
 * device is used as it is. */
gboolean gd_device_table_add_drive (GdDeviceTable *table, const char *path, gboolean readonly,
                                    GError **error);
/* Appliance mode: the disks are those of /sys/block, minus the device
 * holding the appliance's own root filesystem, in bus order (controller,
 * then SCSI address), which is the order the library added them in.  In
 * live mode (with_root) the root filesystem's disk is the guest's own and
 * is served too. */
void gd_device_table_discover (GdDeviceTable *table, gboolean with_root);
guint gd_device_table_n_drives (GdDeviceTable *table);
/* Host node of drive i ("/dev/loop3"). */
const char *gd_device_table_node (GdDeviceTable *table, guint i);
/* "/dev/sda" for 0, "/dev/sdaa" for 26, ... */
char *gd_device_table_guest_disk_name (guint index);

/* Parses /dev/{sd,vd,hd,xvd,ubd}<letters>[<partnum>]: the disk index and the
 * partition number (0 for the whole disk). */
gboolean gd_parse_guest_disk_name (const char *name, guint *index, guint *partnum);

/* Node <-> guest name for nodes of the table's drives and their partitions,
 * and dm/md devices stacked on them. */
char *gd_device_table_guest_name (GdDeviceTable *table, const char *node);
/* Whether a host node (what a helper program printed: /dev/sdc1 in the
 * appliance may be the guest's /dev/sda1) is one of our devices. */
gboolean gd_device_table_node_is_ours (GdDeviceTable *table, const char *node);
GdDevice *gd_device_table_lookup (GdDeviceTable *table, const char *name, GError **error);
GPtrArray *gd_device_table_disks (GdDeviceTable *table);
GPtrArray *gd_device_table_partitions (GdDeviceTable *table);

G_END_DECLS
