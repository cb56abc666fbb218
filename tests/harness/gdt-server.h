/* gdt-server: a daemon served in-process through the public API, and the
 * environment tests need around it (private mount namespace, scratch
 * directories, disk images).
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>
#include <libguestfsd/guestfsd.h>

#include "gdt-client.h"

G_BEGIN_DECLS

typedef struct
{
  GuestfsdDaemon *daemon; /* a reference */
  GdtClient *client;      /* connected, launch flag read */
  GThread *thread;
  int server_fd;
  gboolean serve_ok;
  GError *serve_error;
} GdtServer;

/* Serves one end of a socketpair with guestfsd_daemon_serve_fd() in a
 * thread; the client has read the launch flag. */
GdtServer *gdt_server_start (GuestfsdDaemon *daemon, GError **error);
/* Closes the client's end, waits for the daemon to return and frees.
 * Returns what guestfsd_daemon_serve_fd() returned. */
gboolean gdt_server_finish (GdtServer *s, GError **serve_error);

/* unshare(CLONE_NEWNS) with private propagation: mounts made by the tests
 * (and by the daemon they run) stay in this process.  Call before any
 * thread is started.  FALSE with error when not permitted. */
gboolean gdt_private_mount_namespace (GError **error);
/* A new directory under $TMPDIR (or /tmp); rm -rf it with gdt_rm_rf. */
char *gdt_make_temp_dir (const char *prefix);
void gdt_rm_rf (const char *path);
/* A sparse image file of size bytes; with mkfs non-NULL (e.g. "ext4")
 * also runs mkfs.<type> on it. */
gboolean gdt_make_image (const char *path, guint64 size, const char *mkfs, GError **error);

G_END_DECLS
