/* guestfsd: the jail of the daemon itself in host mode (jail.c).
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#pragma once

#include <glib.h>

/* Moves the daemon into namespaces of its own (mount, PID with its own
 * /proc, network unless network) with the kernel's interfaces masked.
 * Returns in the daemon, PID 2 of the new namespace; the calling process
 * stays outside and exits with the daemon's status.  FALSE with error if
 * the jail could not be made (the daemon must not run without it). */
gboolean guestfsd_enter_host_jail (gboolean network, const char *const *keep_paths, GError **error);
