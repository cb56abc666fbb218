/* libguestfsd: TLS (GnuTLS) as one more layer of the transport.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "gd-transport.h"

G_BEGIN_DECLS

typedef struct _GdTls GdTls;

/* Server credentials: a PSK file in psktool's format (one "identity:hexkey"
 * a line), or a directory with ca-cert.pem, server-cert.pem and
 * server-key.pem (and optionally ca-crl.pem), as qemu and nbdkit take
 * them; clients must then present a certificate signed by that CA. */
GdTls *gd_tls_new_psk (const char *file, GError **error);
GdTls *gd_tls_new_x509 (const char *dir, GError **error);
void gd_tls_free (GdTls *tls);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GdTls, gd_tls_free)

/* Runs the server handshake on fd (not taken) and returns a transport
 * reading and writing through it; *who says which identity the client
 * proved (PSK username or certificate DN). */
GdTransport *gd_tls_accept (GdTls *tls, int fd, char **who, GError **error);

G_END_DECLS
