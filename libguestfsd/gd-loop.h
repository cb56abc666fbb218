/* libguestfsd: attaching image files to loop devices.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Attaches path to a free loop device with partition scanning and
 * auto-clear.  Returns an open fd on the loop device (keep it open while
 * the device is in use) and its node in *node. */
int gd_loop_attach (const char *path, gboolean readonly, char **node, GError **error);
/* Detaches and closes. */
void gd_loop_detach (int loop_fd);
/* Opens /dev/loopN (flags | O_CLOEXEC), waiting a moment for its node
 * to appear, or making it in the jail's /dev (gd-devnodes.h). */
int gd_loop_open_node (const char *node, int flags);

G_END_DECLS
