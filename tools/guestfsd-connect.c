/* guestfsd-connect: joins a channel socket of the libguestfs library to a
 * guestfsd that is already running (a guest agent in a running VM, or a
 * daemon listening on a host socket), and relays bytes both ways until
 * either end goes away.  tools/guestfsd-hv runs it in place of qemu when
 * GUESTFSD_HV_CONNECT is set, so an unchanged libguestfs reaches a live
 * daemon.
 *
 *   guestfsd-connect [TLS OPTIONS] LIBRARY-SOCKET ADDRESS
 *
 * ADDRESS: unix:PATH (a daemon's socket, or the chardev socket of a
 * running VM's virtio-serial port), vsock:CID:PORT, tls:HOST:PORT, or
 * tcp:HOST:PORT (plaintext, for a loopback daemon only).
 * TLS OPTIONS: --tls-psk FILE [--tls-username NAME] (psktool's format;
 * the first identity unless named), or --tls-certs DIR (ca-cert.pem,
 * client-cert.pem, client-key.pem; the server's certificate must be for
 * HOST).
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <linux/vm_sockets.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib.h>

#define BUF_SIZE (256 * 1024)

static volatile sig_atomic_t stop;

static void
on_signal (int sig)
{
  (void) sig;
  stop = 1;
}

static G_NORETURN void die (const char *fmt, ...) G_GNUC_PRINTF (1, 2);

static void
die (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  fprintf (stderr, "guestfsd-connect: ");
  vfprintf (stderr, fmt, ap);
  fprintf (stderr, "\n");
  va_end (ap);
  exit (EXIT_FAILURE);
}

static int
connect_unix (const char *path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  if (strlen (path) >= sizeof addr.sun_path)
    die ("%s: socket path too long", path);
  strcpy (addr.sun_path, path);
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    die ("unix:%s: %s", path, g_strerror (errno));
  return fd;
}

static int
connect_vsock (const char *spec)
{
  unsigned cid, port;
  char extra;
  if (sscanf (spec, "%u:%u%c", &cid, &port, &extra) != 2)
    die ("vsock:%s: expected vsock:CID:PORT", spec);
  struct sockaddr_vm addr = { .svm_family = AF_VSOCK, .svm_cid = cid, .svm_port = port };
  int fd = socket (AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    die ("vsock:%s: %s", spec, g_strerror (errno));
  return fd;
}

static int
connect_tcp (const char *spec, char **host_out)
{
  const char *colon = strrchr (spec, ':');
  if (colon == NULL || colon == spec || colon[1] == '\0')
    die ("%s: expected HOST:PORT", spec);
  char *host = (spec[0] == '[' && colon[-1] == ']') ? g_strndup (spec + 1, colon - spec - 2)
                                                    : g_strndup (spec, colon - spec);
  struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
  struct addrinfo *res;
  int r = getaddrinfo (host, colon + 1, &hints, &res);
  if (r != 0)
    die ("%s: %s", spec, gai_strerror (r));
  int fd = -1, saved = 0;
  for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next)
    {
      fd = socket (ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
      if (fd >= 0 && connect (fd, ai->ai_addr, ai->ai_addrlen) < 0)
        {
          saved = errno;
          close (fd);
          fd = -1;
        }
    }
  freeaddrinfo (res);
  if (fd < 0)
    die ("%s: %s", spec, g_strerror (saved));
  *host_out = host;
  return fd;
}

static void
tls_check (int r, const char *what)
{
  if (r < 0)
    die ("TLS: %s: %s", what, gnutls_strerror (r));
}

/* The first identity of a psktool file, or the named one. */
static void
load_psk (const char *file, const char *want, char **user, gnutls_datum_t *key)
{
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  if (!g_file_get_contents (file, &text, NULL, &error))
    die ("%s", error->message);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l; l++)
    {
      char *colon = strchr (*l, ':');
      if (colon == NULL)
        continue;
      *colon = '\0';
      if (want != NULL && strcmp (*l, want) != 0)
        continue;
      *user = g_strdup (*l);
      key->data = (unsigned char *) g_strdup (g_strstrip (colon + 1));
      key->size = strlen ((char *) key->data);
      return;
    }
  die ("%s: no PSK identity%s%s", file, want ? " " : "", want ? want : "");
}

static gnutls_session_t
tls_connect (int fd, const char *host, const char *psk_file, const char *psk_user,
             const char *certs_dir)
{
  gnutls_session_t s;
  tls_check (gnutls_init (&s, GNUTLS_CLIENT), "session");
  if (psk_file)
    {
      gnutls_psk_client_credentials_t cred;
      char *user;
      gnutls_datum_t key;
      load_psk (psk_file, psk_user, &user, &key);
      tls_check (gnutls_psk_allocate_client_credentials (&cred), "credentials");
      tls_check (gnutls_psk_set_client_credentials (cred, user, &key, GNUTLS_PSK_KEY_HEX),
                 psk_file);
      tls_check (
          gnutls_priority_set_direct (s, "NORMAL:-VERS-SSL3.0:+ECDHE-PSK:+DHE-PSK:+PSK", NULL),
          "priority");
      tls_check (gnutls_credentials_set (s, GNUTLS_CRD_PSK, cred), "credentials");
    }
  else
    {
      gnutls_certificate_credentials_t cred;
      g_autofree char *ca = g_build_filename (certs_dir, "ca-cert.pem", NULL);
      g_autofree char *cert = g_build_filename (certs_dir, "client-cert.pem", NULL);
      g_autofree char *key = g_build_filename (certs_dir, "client-key.pem", NULL);
      tls_check (gnutls_certificate_allocate_credentials (&cred), "credentials");
      int r = gnutls_certificate_set_x509_trust_file (cred, ca, GNUTLS_X509_FMT_PEM);
      tls_check (r == 0 ? GNUTLS_E_NO_CERTIFICATE_FOUND : r, ca);
      if (access (cert, R_OK) == 0)
        tls_check (gnutls_certificate_set_x509_key_file (cred, cert, key, GNUTLS_X509_FMT_PEM),
                   cert);
      tls_check (gnutls_set_default_priority (s), "priority");
      tls_check (gnutls_credentials_set (s, GNUTLS_CRD_CERTIFICATE, cred), "credentials");
      gnutls_session_set_verify_cert (s, host, 0);
      if (g_hostname_is_ip_address (host) == FALSE)
        gnutls_server_name_set (s, GNUTLS_NAME_DNS, host, strlen (host));
    }
  gnutls_transport_set_int (s, fd);
  gnutls_handshake_set_timeout (s, 30000);
  int r;
  do
    r = gnutls_handshake (s);
  while (r < 0 && !gnutls_error_is_fatal (r));
  tls_check (r, "handshake");
  return s;
}

/* One direction's pending bytes. */
typedef struct
{
  guint8 *buf;
  size_t len, off;
} Pending;

int
main (int argc, char *argv[])
{
  const char *psk_file = NULL, *psk_user = NULL, *certs_dir = NULL;
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++)
    {
      if (strcmp (argv[i], "--tls-psk") == 0 && i + 1 < argc)
        psk_file = argv[++i];
      else if (strcmp (argv[i], "--tls-username") == 0 && i + 1 < argc)
        psk_user = argv[++i];
      else if (strcmp (argv[i], "--tls-certs") == 0 && i + 1 < argc)
        certs_dir = argv[++i];
      else
        die ("unknown option %s (usage: guestfsd-connect [--tls-psk FILE [--tls-username NAME] | "
             "--tls-certs DIR] LIBRARY-SOCKET ADDRESS)",
             argv[i]);
    }
  if (argc - i != 2)
    die ("usage: guestfsd-connect [TLS OPTIONS] LIBRARY-SOCKET ADDRESS");
  const char *lib_path = argv[i], *addr = argv[i + 1];

  signal (SIGPIPE, SIG_IGN);
  struct sigaction sa = { .sa_handler = on_signal };
  sigaction (SIGTERM, &sa, NULL);
  sigaction (SIGINT, &sa, NULL);

  g_autofree char *host = NULL;
  gnutls_session_t tls = NULL;
  int dfd;
  if (g_str_has_prefix (addr, "unix:"))
    dfd = connect_unix (addr + 5);
  else if (g_str_has_prefix (addr, "vsock:"))
    dfd = connect_vsock (addr + 6);
  else if (g_str_has_prefix (addr, "tcp:"))
    dfd = connect_tcp (addr + 4, &host);
  else if (g_str_has_prefix (addr, "tls:"))
    {
      if ((psk_file == NULL) == (certs_dir == NULL))
        die ("%s: give --tls-psk FILE or --tls-certs DIR", addr);
      dfd = connect_tcp (addr + 4, &host);
      tls = tls_connect (dfd, host, psk_file, psk_user, certs_dir);
    }
  else
    die ("%s: expected unix:PATH, vsock:CID:PORT, tls:HOST:PORT or tcp:HOST:PORT", addr);
  int lfd = connect_unix (lib_path);
  /* Neither direction may wait for the other: a write that would block
   * waits for poll instead. */
  fcntl (lfd, F_SETFL, fcntl (lfd, F_GETFL) | O_NONBLOCK);
  fcntl (dfd, F_SETFL, fcntl (dfd, F_GETFL) | O_NONBLOCK);

  Pending to_daemon = { g_malloc (BUF_SIZE), 0, 0 }, to_lib = { g_malloc (BUF_SIZE), 0, 0 };
  gboolean lib_eof = FALSE;
  while (!stop)
    {
      /* TLS may hold a decrypted record that poll cannot see. */
      gboolean tls_ready = tls && to_lib.len == 0 && gnutls_record_check_pending (tls) > 0;
      struct pollfd p[2] = {
        { .fd = lfd,
          .events = (to_daemon.len == 0 && !lib_eof ? POLLIN : 0) |
                    (to_lib.len > to_lib.off ? POLLOUT : 0) },
        { .fd = dfd,
          .events =
              (to_lib.len == 0 ? POLLIN : 0) | (to_daemon.len > to_daemon.off ? POLLOUT : 0) },
      };
      if (!tls_ready && poll (p, 2, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          die ("poll: %s", g_strerror (errno));
        }
      if (p[0].revents & (POLLIN | POLLHUP | POLLERR) && to_daemon.len == 0 && !lib_eof)
        {
          gssize n = read (lfd, to_daemon.buf, BUF_SIZE);
          if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            break; /* the library is done */
          if (n < 0)
            n = 0;
          to_daemon.len = n;
          to_daemon.off = 0;
        }
      if (tls_ready || (p[1].revents & (POLLIN | POLLHUP | POLLERR) && to_lib.len == 0))
        {
          gssize n = tls ? gnutls_record_recv (tls, to_lib.buf, BUF_SIZE)
                         : read (dfd, to_lib.buf, BUF_SIZE);
          if (tls && (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED))
            n = -2;
          if (!tls && n < 0 && (errno == EAGAIN || errno == EINTR))
            n = -2;
          if (n == 0 || n == -1 || (tls && n < 0 && n != -2))
            break; /* the daemon went away */
          if (n > 0)
            {
              to_lib.len = n;
              to_lib.off = 0;
            }
        }
      if (to_daemon.len > to_daemon.off)
        {
          gssize n =
              tls ? gnutls_record_send (tls, to_daemon.buf + to_daemon.off,
                                        to_daemon.len - to_daemon.off)
                  : write (dfd, to_daemon.buf + to_daemon.off, to_daemon.len - to_daemon.off);
          if (n < 0 && !(tls ? n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED
                             : errno == EAGAIN || errno == EINTR))
            break;
          if (n > 0 && (to_daemon.off += n) == to_daemon.len)
            to_daemon.len = to_daemon.off = 0;
        }
      if (to_lib.len > to_lib.off)
        {
          gssize n = write (lfd, to_lib.buf + to_lib.off, to_lib.len - to_lib.off);
          if (n < 0 && errno != EAGAIN && errno != EINTR)
            break;
          if (n > 0 && (to_lib.off += n) == to_lib.len)
            to_lib.len = to_lib.off = 0;
        }
    }
  /* The daemon sees its client go and waits for the next. */
  if (tls)
    gnutls_bye (tls, GNUTLS_SHUT_WR);
  close (dfd);
  close (lfd);
  return EXIT_SUCCESS;
}
