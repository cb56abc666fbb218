/* libguestfsd: the block device nodes of a /dev the daemon keeps itself
 * (gd-devnodes.c).
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Made by the host-mode jail in its private /dev: nobody else makes
 * nodes there, the daemon must. */
#define GD_DEVNODES_MARKER "/dev/.guestfsd-jail"

/* Whether /dev is the jail's (GD_DEVNODES_MARKER exists). */
gboolean gd_devnodes_managed (void);

/* Makes /dev/NAME the block node of what the kernel calls NAME (sysfs),
 * replacing a node of another number, removing it if the kernel has no
 * such device.  TRUE if /dev/NAME is right afterwards; FALSE (and
 * nothing done) if /dev is not managed. */
gboolean gd_devnodes_make (const char *name);

/* Makes the nodes of disk_node (/dev/NAME) and its partitions match the
 * kernel's partitions: every handler that changes a table reaches it
 * through gd_partitions_sync.  Nothing if /dev is not managed. */
void gd_devnodes_sync_partitions (const char *disk_node);

/* Removes the nodes of loop devices that are bound to nothing any more
 * (mount_loop's, once unmounted): the host may give the number to
 * another user next.  Nothing if /dev is not managed. */
void gd_devnodes_prune_loops (void);

G_END_DECLS
