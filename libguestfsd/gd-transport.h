/* libguestfsd: buffered I/O on the channel.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <stdint.h>
#include <sys/uio.h>

#include <glib.h>

G_BEGIN_DECLS

typedef struct _GdTransport GdTransport;

/* A layer between the buffered transport and the fd (TLS): what it reads
 * and writes instead of read(2) and writev(2).  recv returns the number of
 * bytes read, 0 at end of stream, -1 with *error set; sendv the number of
 * bytes written or -1.  pending says whether the layer holds bytes that
 * poll(2) on the fd cannot see.  free releases ctx (never the fd). */
typedef struct
{
  gssize (*recv) (gpointer ctx, void *buf, size_t len, GError **error);
  gssize (*sendv) (gpointer ctx, const struct iovec *iov, int iovcnt, GError **error);
  gboolean (*pending) (gpointer ctx);
  void (*free) (gpointer ctx);
} GdTransportOps;

/* Takes no ownership of fd. */
GdTransport *gd_transport_new (int fd);
/* Reads and writes through ops; takes ownership of ctx. */
GdTransport *gd_transport_new_layered (int fd, const GdTransportOps *ops, gpointer ctx);

/* Async-signal-safe: reads and writes interrupted by a signal from now on
 * fail instead of being retried, so a daemon told to stop does not wait
 * for its client. */
void gd_transport_request_stop (void);
gboolean gd_transport_stop_requested (void);
void gd_transport_free (GdTransport *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GdTransport, gd_transport_free)

int gd_transport_fd (GdTransport *t);

/* Reads exactly len bytes and returns a pointer to them, valid until the
 * next read.  At a clean end of stream before the first byte, returns NULL
 * with *error unset (only when eof_ok). */
const guint8 *gd_transport_read (GdTransport *t, size_t len, gboolean eof_ok, GError **error);
/* Discards len bytes. */
gboolean gd_transport_skip (GdTransport *t, guint64 len, GError **error);
/* Without blocking: TRUE if a whole 4-byte word equal to word is waiting;
 * it is then consumed. */
gboolean gd_transport_poll_word (GdTransport *t, guint32 word);

gboolean gd_transport_write (GdTransport *t, const void *buf, size_t len, GError **error);
gboolean gd_transport_writev (GdTransport *t, struct iovec *iov, int iovcnt, GError **error);

/* Big-endian helpers for the fixed parts of the protocol. */
static inline guint32
gd_get_be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static inline guint64
gd_get_be64 (const guint8 *p)
{
  return ((guint64) gd_get_be32 (p) << 32) | gd_get_be32 (p + 4);
}

static inline void
gd_put_be32 (guint8 *p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

static inline void
gd_put_be64 (guint8 *p, guint64 v)
{
  gd_put_be32 (p, v >> 32);
  gd_put_be32 (p + 4, (guint32) v);
}

G_END_DECLS
