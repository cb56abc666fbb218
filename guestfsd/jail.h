/* guestfsd: the jail of the daemon itself in host mode (jail.c).
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#pragma once

#include <glib.h>

typedef struct
{
  gboolean network;             /* keep the host's network (-n) */
  const char *sysroot;          /* NULL: /sysroot, in the jail only */
  const char *const *drives;    /* image files or block devices */
  const char *const *drives_ro; /* the same, read-only */
  const char *const *writable;  /* files whose directory the daemon writes in (its socket) */
  const char *const *readable;  /* files and directories it reads (TLS keys) */
} GuestfsdJail;

/* Moves the daemon into namespaces of its own (mount, PID with its own
 * /proc, network unless jail->network) whose root is a minimal tree of
 * its own (jail.c says what it holds).  Returns in the daemon, PID 2 of
 * the new namespace; the calling process stays outside and exits with
 * the daemon's status.  FALSE with error if the jail could not be made
 * (the daemon must not run without it). */
gboolean guestfsd_enter_host_jail (const GuestfsdJail *jail, GError **error);
