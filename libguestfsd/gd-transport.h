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

/* Takes no ownership of fd. */
GdTransport *gd_transport_new (int fd);
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
