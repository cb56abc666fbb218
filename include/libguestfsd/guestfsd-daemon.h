/* libguestfsd: the daemon object.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__LIBGUESTFSD_H_INSIDE__) && !defined(LIBGUESTFSD_COMPILATION)
#error "Only <libguestfsd/guestfsd.h> can be included directly."
#endif

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * GUESTFSD_DEFAULT_CHANNEL:
 *
 * The virtio-serial port that the libguestfs appliance gives the daemon.
 */
#define GUESTFSD_DEFAULT_CHANNEL "/dev/virtio-ports/org.libguestfs.channel.0"

/**
 * GUESTFSD_DEFAULT_SYSROOT:
 *
 * Where guest filesystems are mounted in appliance mode.
 */
#define GUESTFSD_DEFAULT_SYSROOT "/sysroot"

#define GUESTFSD_TYPE_DAEMON (guestfsd_daemon_get_type ())
G_DECLARE_FINAL_TYPE (GuestfsdDaemon, guestfsd_daemon, GUESTFSD, DAEMON, GObject)

GuestfsdDaemon *guestfsd_daemon_new (void);

void guestfsd_daemon_set_sysroot (GuestfsdDaemon *self, const gchar *sysroot);
const gchar *guestfsd_daemon_get_sysroot (GuestfsdDaemon *self);
void guestfsd_daemon_set_live (GuestfsdDaemon *self, gboolean live);
gboolean guestfsd_daemon_get_live (GuestfsdDaemon *self);
void guestfsd_daemon_set_verbose (GuestfsdDaemon *self, gboolean verbose);
gboolean guestfsd_daemon_get_verbose (GuestfsdDaemon *self);
void guestfsd_daemon_set_network (GuestfsdDaemon *self, gboolean network);
gboolean guestfsd_daemon_get_network (GuestfsdDaemon *self);

gboolean guestfsd_daemon_add_drive (GuestfsdDaemon *self, const gchar *path, gboolean readonly,
                                    GError **error);
gchar **guestfsd_daemon_get_drives (GuestfsdDaemon *self);

gboolean guestfsd_daemon_serve_fd (GuestfsdDaemon *self, gint fd, GError **error);
gboolean guestfsd_daemon_serve_channel (GuestfsdDaemon *self, const gchar *channel, gboolean listen,
                                        GError **error);
void guestfsd_daemon_shutdown (GuestfsdDaemon *self);

void guestfsd_daemon_set_read_only (GuestfsdDaemon *self, gboolean read_only);
gboolean guestfsd_daemon_set_rpc_policy (GuestfsdDaemon *self, const gchar *const *allow,
                                         const gchar *const *block, GError **error);
gboolean guestfsd_daemon_set_tls (GuestfsdDaemon *self, const gchar *psk_file,
                                  const gchar *certs_dir, GError **error);
void guestfsd_daemon_set_tcp_plaintext_loopback (GuestfsdDaemon *self, gboolean allow);
void guestfsd_request_stop (void);

gboolean guestfsd_parse_kernel_cmdline (const gchar *cmdline, gboolean *verbose, gboolean *network,
                                        gchar **channel);

gchar **guestfsd_list_procedures (gboolean implemented_only);

G_END_DECLS
