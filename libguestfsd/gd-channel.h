/* libguestfsd: channels: the virtio-serial port, an inherited fd, and the
 * sockets a guest agent listens on (unix, vsock, tcp).
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  GD_CHANNEL_DEVICE, /* a path opened read-write: virtio-serial port, serial line */
  GD_CHANNEL_FD,     /* fd:N: connected, or listening (socket activation) */
  GD_CHANNEL_UNIX,   /* unix:PATH, or a path with --listen */
  GD_CHANNEL_VSOCK,  /* vsock:PORT (any CID of ours) */
  GD_CHANNEL_TCP,    /* tcp:HOST:PORT */
} GdChannelKind;

typedef struct
{
  GdChannelKind kind;
  char *path; /* DEVICE, UNIX */
  char *host; /* TCP */
  guint port; /* VSOCK, TCP */
  int fd;     /* FD */
} GdChannel;

gboolean gd_channel_parse (const char *spec, gboolean listen, GdChannel *ch, GError **error);
void gd_channel_clear (GdChannel *ch);

/* A listening socket for a UNIX, VSOCK or TCP channel.  Plain TCP is
 * refused unless tls, or plaintext_loopback and every address of the host
 * is a loopback address. */
int gd_channel_listen (const GdChannel *ch, gboolean tls, gboolean plaintext_loopback,
                       GError **error);
/* TRUE if fd is a listening socket (an inherited one: socket activation). */
gboolean gd_channel_fd_is_listening (int fd);
/* Waits for and accepts the next client; *peer describes it.  -1 with
 * *error unset when the daemon was told to stop. */
int gd_channel_accept (int lfd, char **peer, GError **error);
/* Opens a DEVICE channel. */
int gd_channel_open_device (const char *path, GError **error);
/* virtio-serial: waits until a host program has the other end open.
 * FALSE when the daemon was told to stop. */
gboolean gd_channel_wait_for_host (int fd);
/* Discards what is waiting to be read on fd, without blocking. */
void gd_channel_drain (int fd);

G_END_DECLS
