/* libguestfsd handlers: helpers shared by the partition table families
 * (partitions.c, sfdisk.c, blockdev.c, devsparts.c).
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

#include "gd-private.h"

G_BEGIN_DECLS

/* EROFS when the device (or the drive under it) is read-only. */
gboolean gd_parts_check_writable (const GdDevice *dev, GError **error);

/* Whether a block device is held by someone else: mounted, an LVM PV in
 * use, swap, an md member ... (the kernel refuses an exclusive open). */
gboolean gd_parts_node_busy (const char *node);

/* EBUSY unless neither the disk nor any of the kernel's partitions of it
 * is busy: for operations that rewrite the whole table. */
gboolean gd_parts_check_disk_idle (GdRequest *req, const GdDevice *dev, GError **error);

/* Whether node is a partition or a device-mapper device: devices whose
 * partition tables the kernel does not expose. */
gboolean gd_parts_is_partition_or_dm (const char *node);

/* After changing the table on dev: bring the kernel's partitions (and
 * their nodes) in line with the disk, so the change is visible before the
 * call returns. */
gboolean gd_parts_sync (const GdDevice *dev, GError **error);

/* The same for blockdev_rereadpt: the kernel's view from the disk's
 * table, whatever changed it. */
gboolean gd_parts_reread (const GdDevice *dev, GError **error);

G_END_DECLS
