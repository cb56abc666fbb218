/* libguestfsd: TLS (GnuTLS) as one more layer of the transport.
 *
 * Only the handshake is here; afterwards the transport's recv/sendv go
 * through gnutls_record_recv/send and the engine does not know.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <string.h>
#include <unistd.h>

#include <libguestfsd/guestfsd.h>

#include "gd-tls.h"

#define HANDSHAKE_TIMEOUT_MS 30000

/* GnuTLS is loaded on first use, not linked: every daemon start would
 * otherwise pay for loading it and its dependencies (about 7 ms, twice
 * the daemon's own start), and only a TLS guest agent needs it. */
#define GNUTLS_FUNCTIONS(X)                                                                        \
  X (bye)                                                                                          \
  X (certificate_allocate_credentials)                                                             \
  X (certificate_free_credentials)                                                                 \
  X (certificate_get_peers)                                                                        \
  X (certificate_server_set_request)                                                               \
  X (certificate_set_x509_crl_file)                                                                \
  X (certificate_set_x509_key_file)                                                                \
  X (certificate_set_x509_trust_file)                                                              \
  X (certificate_verification_status_print)                                                        \
  X (certificate_verify_peers3)                                                                    \
  X (credentials_set)                                                                              \
  X (deinit)                                                                                       \
  X (error_is_fatal)                                                                               \
  X (handshake)                                                                                    \
  X (handshake_set_timeout)                                                                        \
  X (init)                                                                                         \
  X (priority_set_direct)                                                                          \
  X (psk_allocate_server_credentials)                                                              \
  X (psk_free_server_credentials)                                                                  \
  X (psk_server_get_username)                                                                      \
  X (psk_set_server_credentials_file)                                                              \
  X (record_check_pending)                                                                         \
  X (record_cork)                                                                                  \
  X (record_recv)                                                                                  \
  X (record_send)                                                                                  \
  X (record_uncork)                                                                                \
  X (set_default_priority)                                                                         \
  X (strerror)                                                                                     \
  X (x509_crt_deinit)                                                                              \
  X (x509_crt_get_dn3)                                                                             \
  X (x509_crt_import)                                                                              \
  X (x509_crt_init)                                                                                \
  X (transport_set_int2)

static struct
{
#define X(name) __typeof__ (gnutls_##name) *name;
  GNUTLS_FUNCTIONS (X)
#undef X
  gnutls_free_function *free;
} gt;

static void
gt_free (void *p)
{
  (*gt.free) (p);
}

static gboolean
load_gnutls (GError **error)
{
  static void *handle;
  if (handle != NULL)
    return TRUE;
  void *h = dlopen (GNUTLS_SONAME, RTLD_NOW | RTLD_LOCAL);
  if (h == NULL)
    {
      g_set_error (error, GUESTFSD_ERROR, GUESTFSD_ERROR_CHANNEL, "TLS: %s", dlerror ());
      return FALSE;
    }
  const char *missing = NULL;
#define X(name)                                                                                    \
  if ((gt.name = dlsym (h, "gnutls_" #name)) == NULL)                                              \
    missing = "gnutls_" #name;
  GNUTLS_FUNCTIONS (X)
#undef X
  if ((gt.free = dlsym (h, "gnutls_free")) == NULL)
    missing = "gnutls_free";
  if (missing != NULL)
    {
      g_set_error (error, GUESTFSD_ERROR, GUESTFSD_ERROR_CHANNEL, "TLS: %s: %s missing",
                   GNUTLS_SONAME, missing);
      dlclose (h);
      return FALSE;
    }
  handle = h;
  return TRUE;
}

struct _GdTls
{
  gnutls_psk_server_credentials_t psk;
  gnutls_certificate_credentials_t x509;
};

static gboolean
tls_check (int r, GError **error, const char *what)
{
  if (r >= 0)
    return TRUE;
  g_set_error (error, GUESTFSD_ERROR, GUESTFSD_ERROR_CHANNEL, "TLS: %s: %s", what, gt.strerror (r));
  return FALSE;
}

GdTls *
gd_tls_new_psk (const char *file, GError **error)
{
  if (access (file, R_OK) < 0)
    {
      int saved = errno;
      g_set_error (error, GUESTFSD_ERROR, GUESTFSD_ERROR_CHANNEL, "TLS PSK file %s: %s", file,
                   g_strerror (saved));
      return NULL;
    }
  if (!load_gnutls (error))
    return NULL;
  g_autoptr (GdTls) tls = g_new0 (GdTls, 1);
  if (!tls_check (gt.psk_allocate_server_credentials (&tls->psk), error, "PSK credentials") ||
      !tls_check (gt.psk_set_server_credentials_file (tls->psk, file), error, file))
    return NULL;
  return g_steal_pointer (&tls);
}

GdTls *
gd_tls_new_x509 (const char *dir, GError **error)
{
  if (!load_gnutls (error))
    return NULL;
  g_autoptr (GdTls) tls = g_new0 (GdTls, 1);
  g_autofree char *ca = g_build_filename (dir, "ca-cert.pem", NULL);
  g_autofree char *crl = g_build_filename (dir, "ca-crl.pem", NULL);
  g_autofree char *cert = g_build_filename (dir, "server-cert.pem", NULL);
  g_autofree char *key = g_build_filename (dir, "server-key.pem", NULL);
  if (!tls_check (gt.certificate_allocate_credentials (&tls->x509), error, "credentials"))
    return NULL;
  int r = gt.certificate_set_x509_trust_file (tls->x509, ca, GNUTLS_X509_FMT_PEM);
  if (r == 0)
    r = GNUTLS_E_NO_CERTIFICATE_FOUND;
  if (!tls_check (r, error, ca))
    return NULL;
  if (access (crl, R_OK) == 0 &&
      !tls_check (gt.certificate_set_x509_crl_file (tls->x509, crl, GNUTLS_X509_FMT_PEM), error,
                  crl))
    return NULL;
  if (!tls_check (gt.certificate_set_x509_key_file (tls->x509, cert, key, GNUTLS_X509_FMT_PEM),
                  error, cert))
    return NULL;
  return g_steal_pointer (&tls);
}

void
gd_tls_free (GdTls *tls)
{
  if (tls == NULL)
    return;
  if (tls->psk)
    gt.psk_free_server_credentials (tls->psk);
  if (tls->x509)
    gt.certificate_free_credentials (tls->x509);
  g_free (tls);
}

/* ---- the transport layer ---------------------------------------------- */

static gssize
tls_recv (gpointer ctx, void *buf, size_t len, GError **error)
{
  gnutls_session_t s = ctx;
  for (;;)
    {
      gssize n = gt.record_recv (s, buf, len);
      if (n >= 0)
        return n;
      if ((n == GNUTLS_E_INTERRUPTED && !gd_transport_stop_requested ()) || n == GNUTLS_E_AGAIN)
        continue;
      /* A peer that closes without close_notify has still gone away. */
      if (n == GNUTLS_E_PREMATURE_TERMINATION)
        return 0;
      g_set_error (error, GUESTFSD_ERROR, GUESTFSD_ERROR_IO, "read from channel: TLS: %s",
                   gt.strerror ((int) n));
      return -1;
    }
}

static gssize
tls_sendv (gpointer ctx, const struct iovec *iov, int iovcnt, GError **error)
{
  gnutls_session_t s = ctx;
  /* Records are corked so that a reply's header and its chunks go out
   * in as few records as they would have taken syscalls. */
  gt.record_cork (s);
  gssize total = 0;
  for (int i = 0; i < iovcnt; i++)
    {
      gssize n = gt.record_send (s, iov[i].iov_base, iov[i].iov_len);
      if (n < 0)
        {
          g_set_error (error, GUESTFSD_ERROR, GUESTFSD_ERROR_IO, "write to channel: TLS: %s",
                       gt.strerror ((int) n));
          return -1;
        }
      total += n;
    }
  for (;;)
    {
      int r = gt.record_uncork (s, GNUTLS_RECORD_WAIT);
      if (r >= 0)
        break;
      if (r == GNUTLS_E_INTERRUPTED && !gd_transport_stop_requested ())
        continue;
      g_set_error (error, GUESTFSD_ERROR, GUESTFSD_ERROR_IO, "write to channel: TLS: %s",
                   gt.strerror (r));
      return -1;
    }
  return total;
}

static gboolean
tls_pending (gpointer ctx)
{
  return gt.record_check_pending (ctx) > 0;
}

static void
tls_free (gpointer ctx)
{
  gnutls_session_t s = ctx;
  gt.bye (s, GNUTLS_SHUT_WR);
  gt.deinit (s);
}

static const GdTransportOps tls_ops = {
  .recv = tls_recv,
  .sendv = tls_sendv,
  .pending = tls_pending,
  .free = tls_free,
};

static char *
x509_peer_dn (gnutls_session_t s)
{
  unsigned n = 0;
  const gnutls_datum_t *certs = gt.certificate_get_peers (s, &n);
  gnutls_x509_crt_t crt;
  if (certs == NULL || n == 0 || gt.x509_crt_init (&crt) < 0)
    return g_strdup ("certificate");
  char *out = NULL;
  gnutls_datum_t dn = { 0 };
  if (gt.x509_crt_import (crt, &certs[0], GNUTLS_X509_FMT_DER) >= 0 &&
      gt.x509_crt_get_dn3 (crt, &dn, 0) >= 0)
    {
      out = g_strdup_printf ("certificate %s", (const char *) dn.data);
      gt_free (dn.data);
    }
  gt.x509_crt_deinit (crt);
  return out ? out : g_strdup ("certificate");
}

GdTransport *
gd_tls_accept (GdTls *tls, int fd, char **who, GError **error)
{
  gnutls_session_t s;
  if (!tls_check (gt.init (&s, GNUTLS_SERVER), error, "session"))
    return NULL;
  int r;
  if (tls->psk)
    {
      r = gt.priority_set_direct (s, "NORMAL:-VERS-SSL3.0:+ECDHE-PSK:+DHE-PSK:+PSK", NULL);
      if (r >= 0)
        r = gt.credentials_set (s, GNUTLS_CRD_PSK, tls->psk);
    }
  else
    {
      r = gt.set_default_priority (s);
      if (r >= 0)
        r = gt.credentials_set (s, GNUTLS_CRD_CERTIFICATE, tls->x509);
      gt.certificate_server_set_request (s, GNUTLS_CERT_REQUIRE);
    }
  if (!tls_check (r, error, "session"))
    {
      gt.deinit (s);
      return NULL;
    }
  gt.transport_set_int2 (s, fd, fd);
  gt.handshake_set_timeout (s, HANDSHAKE_TIMEOUT_MS);
  do
    r = gt.handshake (s);
  while (r < 0 && !gt.error_is_fatal (r) && !gd_transport_stop_requested ());
  if (!tls_check (r, error, "handshake"))
    {
      gt.deinit (s);
      return NULL;
    }
  if (tls->x509)
    {
      unsigned status = 0;
      r = gt.certificate_verify_peers3 (s, NULL, &status);
      if (r >= 0 && status != 0)
        {
          gnutls_datum_t out = { 0 };
          gt.certificate_verification_status_print (status, GNUTLS_CRT_X509, &out, 0);
          g_set_error (error, GUESTFSD_ERROR, GUESTFSD_ERROR_CHANNEL,
                       "TLS: client certificate refused: %s",
                       out.data ? (const char *) out.data : "not trusted");
          gt_free (out.data);
          gt.deinit (s);
          return NULL;
        }
      if (!tls_check (r, error, "client certificate"))
        {
          gt.deinit (s);
          return NULL;
        }
      *who = x509_peer_dn (s);
    }
  else
    *who = g_strdup_printf ("PSK identity %s", gt.psk_server_get_username (s));
  return gd_transport_new_layered (fd, &tls_ops, s);
}
