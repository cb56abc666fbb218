/* libguestfsd handlers: helpers shared by the filesystem families
 * (probing, finding devices by label or UUID, mount state, label limits).
 * Implemented in blkid.c, labels.c and fsck.c.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <sys/types.h>

#include <glib.h>

#include "gd-private.h"

G_BEGIN_DECLS

/* What "blkid -p" (low-level probing, no cache) finds on node, as a table
 * of its export keys (TYPE, LABEL, UUID, PART_ENTRY_TYPE ...).  An empty
 * table when nothing was recognised; NULL with *error when blkid failed. */
GHashTable *gd_fs_probe (GdRequest *req, const char *node, GError **error);

/* One probed value ("" when absent), e.g. gd_fs_probe_tag (req, node, "TYPE"). */
char *gd_fs_probe_tag (GdRequest *req, const char *node, const char *tag, GError **error);

/* Every block device of this daemon that may hold a filesystem, as GdDevice:
 * whole disks, their partitions, then md and device-mapper devices built on
 * them. */
GPtrArray *gd_fs_all_devices (GdRequest *req);

/* Appends (as GdDevice) the devices of /sys/block named prefix<digit>...
 * ("md", "dm-") that are built only on our drives, in name order. */
void gd_fs_add_stacked_devices (GdRequest *req, GPtrArray *out, const char *prefix);

/* The node of our device whose probed tag ("LABEL", "UUID") equals value.
 * ENOENT when there is none. */
char *gd_fs_find_by_tag (GdRequest *req, const char *tag, const char *value, GError **error);

/* A device specification as mke2fs and swapon take it: "LABEL=x", "UUID=x"
 * or a device name, resolved to the node of one of our devices. */
char *gd_fs_resolve_spec (GdRequest *req, const char *spec, GError **error);

/* The /dev node of a block device number, or NULL. */
char *gd_fs_devno_node (dev_t devno);

/* A device number as the appliance would have it.  On a host, the number
 * of one of our drives or of its partitions is a loop device's, which
 * changes from launch to launch; this gives the number the kernel's sd
 * numbering has for the guest's name (8:1 for /dev/sda1), which is what
 * the original daemon reports.  Other numbers (dm, md, anonymous ones,
 * partitions past 15) are returned as they are. */
dev_t gd_fs_guest_devno (GdRequest *req, dev_t host);

/* The host mount point of the first mount of node (from mountinfo), or
 * NULL when node is not mounted. */
char *gd_fs_mountpoint_of (const char *node);

/* EROFS when the block device is read-only (a read-only drive, or after
 * blockdev_setro): the tools that would write it fail with less clear
 * messages (EPERM, "Couldn't find valid filesystem superblock"). */
gboolean gd_fs_check_writable (const char *node, const char *name, GError **error);

/* EBUSY when the device is mounted or swapped on: making a filesystem
 * there would destroy what is in use.  EROFS when it is read-only. */
gboolean gd_fs_check_unused (const GdDevice *dev, GError **error);

/* ext2, ext3 or ext4; vfat, msdos or fat. */
gboolean gd_fs_is_ext (const char *fstype);
gboolean gd_fs_is_fat (const char *fstype);

/* Label length rules per filesystem type (set_label, mkfs, mkswap).
 * FALSE with EINVAL when label is too long for fstype. */
gboolean gd_fs_check_label (const char *fstype, const char *label, GError **error);

/* Runs a filesystem checker whose exit status is its answer (fsck, e2fsck,
 * xfs_repair): stdin from stdin_fd (-1: /dev/null), stderr folded into
 * *out, progress pulses while it runs.  *status is -1 when it did not exit
 * normally.  FALSE only when it could not be run. */
gboolean gd_fs_run_checker (GdRequest *req, const char *const *argv, int stdin_fd, char **out,
                            int *status, GError **error);

/* Mount node read-only on a fresh private directory (for tools that need a
 * mounted filesystem); returns the directory.  gd_fs_temp_umount undoes it. */
char *gd_fs_temp_mount (GdRequest *req, const char *node, const char *fstype, const char *options,
                        GError **error);
void gd_fs_temp_umount (char *dir);

/* xfs_info of a device (mounted or not), parsed; numbers it does not show
 * are all ones, strings it does not show are "".  The strings are the
 * caller's (g_free). */
gboolean gd_fs_xfs_info (GdRequest *req, const char *node, gd_xfsinfo *ret, GError **error);

G_END_DECLS
