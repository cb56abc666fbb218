/* libguestfsd: channels.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <libguestfsd/guestfsd.h>

#include "gd-channel.h"
#include "gd-transport.h"

#define HOST_POLL_MS 200

static gboolean channel_error (GError **error, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static gboolean
channel_error (GError **error, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error_literal (error, GUESTFSD_ERROR, GUESTFSD_ERROR_CHANNEL, msg);
  return FALSE;
}

static gboolean
parse_port (const char *s, guint *port, guint max)
{
  char *end;
  guint64 n = g_ascii_strtoull (s, &end, 10);
  if (*s == '\0' || *end != '\0' || n == 0 || n > max)
    return FALSE;
  *port = (guint) n;
  return TRUE;
}

gboolean
gd_channel_parse (const char *spec, gboolean listen, GdChannel *ch, GError **error)
{
  memset (ch, 0, sizeof *ch);
  ch->fd = -1;
  if (g_str_has_prefix (spec, "fd:"))
    {
      char *end;
      guint64 n = g_ascii_strtoull (spec + 3, &end, 10);
      if (*end != '\0' || end == spec + 3 || n > G_MAXINT || fcntl ((int) n, F_GETFD) < 0)
        return channel_error (error, "%s: not an open file descriptor", spec);
      ch->kind = GD_CHANNEL_FD;
      ch->fd = (int) n;
      return TRUE;
    }
  if (g_str_has_prefix (spec, "unix:"))
    {
      if (spec[5] == '\0')
        return channel_error (error, "%s: no socket path", spec);
      ch->kind = GD_CHANNEL_UNIX;
      ch->path = g_strdup (spec + 5);
      return TRUE;
    }
  if (g_str_has_prefix (spec, "vsock:"))
    {
      if (!parse_port (spec + 6, &ch->port, G_MAXUINT32 - 1))
        return channel_error (error, "%s: expected vsock:PORT", spec);
      ch->kind = GD_CHANNEL_VSOCK;
      return TRUE;
    }
  if (g_str_has_prefix (spec, "tcp:"))
    {
      const char *hp = spec + 4;
      const char *colon = strrchr (hp, ':');
      if (colon == NULL || colon == hp || !parse_port (colon + 1, &ch->port, 65535))
        return channel_error (error, "%s: expected tcp:HOST:PORT", spec);
      ch->kind = GD_CHANNEL_TCP;
      /* [::1]:PORT */
      if (hp[0] == '[' && colon[-1] == ']')
        ch->host = g_strndup (hp + 1, colon - hp - 2);
      else
        ch->host = g_strndup (hp, colon - hp);
      return TRUE;
    }
  ch->kind = listen ? GD_CHANNEL_UNIX : GD_CHANNEL_DEVICE;
  ch->path = g_strdup (spec);
  return TRUE;
}

void
gd_channel_clear (GdChannel *ch)
{
  g_clear_pointer (&ch->path, g_free);
  g_clear_pointer (&ch->host, g_free);
}

static int
listen_unix (const char *path, GError **error)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  if (strlen (path) >= sizeof addr.sun_path)
    {
      channel_error (error, "%s: socket path too long", path);
      return -1;
    }
  strcpy (addr.sun_path, path);
  struct stat st;
  if (lstat (path, &st) == 0 && S_ISSOCK (st.st_mode))
    unlink (path); /* a stale socket from an earlier run */
  int lfd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  /* Whoever can connect has the daemon's powers: only our user may (the
   * daemon runs with umask 0 for its clients' file modes). */
  mode_t old_umask = umask (0077);
  int bound = lfd >= 0 ? bind (lfd, (struct sockaddr *) &addr, sizeof addr) : -1;
  umask (old_umask);
  if (bound < 0 || listen (lfd, 4) < 0)
    {
      int saved = errno;
      if (lfd >= 0)
        close (lfd);
      channel_error (error, "%s: cannot listen: %s", path, g_strerror (saved));
      return -1;
    }
  return lfd;
}

static int
listen_vsock (guint port, GError **error)
{
  struct sockaddr_vm addr = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY, .svm_port = port };
  int lfd = socket (AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (lfd < 0 || bind (lfd, (struct sockaddr *) &addr, sizeof addr) < 0 || listen (lfd, 4) < 0)
    {
      int saved = errno;
      if (lfd >= 0)
        close (lfd);
      channel_error (
          error, "vsock:%u: cannot listen: %s%s", port, g_strerror (saved),
          saved == EAFNOSUPPORT ? " (no vsock transport: load vmw_vsock_virtio_transport)" : "");
      return -1;
    }
  return lfd;
}

static gboolean
is_loopback (const struct sockaddr *sa)
{
  if (sa->sa_family == AF_INET)
    return (ntohl (((const struct sockaddr_in *) sa)->sin_addr.s_addr) >> 24) == 127;
  if (sa->sa_family == AF_INET6)
    {
      const struct in6_addr *a = &((const struct sockaddr_in6 *) sa)->sin6_addr;
      return IN6_IS_ADDR_LOOPBACK (a) || (IN6_IS_ADDR_V4MAPPED (a) && a->s6_addr[12] == 127);
    }
  return FALSE;
}

static int
listen_tcp (const GdChannel *ch, gboolean tls, gboolean plaintext_loopback, GError **error)
{
  struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
  struct addrinfo *res = NULL;
  char port[16];
  g_snprintf (port, sizeof port, "%u", ch->port);
  int r = getaddrinfo (ch->host, port, &hints, &res);
  if (r != 0)
    {
      channel_error (error, "tcp:%s:%u: %s", ch->host, ch->port, gai_strerror (r));
      return -1;
    }
  if (!tls)
    {
      gboolean all_loopback = TRUE;
      for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
        all_loopback &= is_loopback (ai->ai_addr);
      if (!plaintext_loopback || !all_loopback)
        {
          freeaddrinfo (res);
          channel_error (error,
                         "tcp:%s:%u: TCP needs TLS (--tls-psk or --tls-certs); plaintext is "
                         "only allowed on a loopback address with --tcp-plaintext-loopback",
                         ch->host, ch->port);
          return -1;
        }
    }
  int lfd = -1, saved = 0;
  for (struct addrinfo *ai = res; ai && lfd < 0; ai = ai->ai_next)
    {
      lfd = socket (ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
      if (lfd < 0)
        {
          saved = errno;
          continue;
        }
      int one = 1;
      setsockopt (lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      if (bind (lfd, ai->ai_addr, ai->ai_addrlen) < 0 || listen (lfd, 4) < 0)
        {
          saved = errno;
          close (lfd);
          lfd = -1;
        }
    }
  freeaddrinfo (res);
  if (lfd < 0)
    channel_error (error, "tcp:%s:%u: cannot listen: %s", ch->host, ch->port, g_strerror (saved));
  return lfd;
}

int
gd_channel_listen (const GdChannel *ch, gboolean tls, gboolean plaintext_loopback, GError **error)
{
  switch (ch->kind)
    {
    case GD_CHANNEL_UNIX:
      return listen_unix (ch->path, error);
    case GD_CHANNEL_VSOCK:
      return listen_vsock (ch->port, error);
    case GD_CHANNEL_TCP:
      return listen_tcp (ch, tls, plaintext_loopback, error);
    default:
      channel_error (error, "not a socket channel");
      return -1;
    }
}

gboolean
gd_channel_fd_is_listening (int fd)
{
  int v = 0;
  socklen_t len = sizeof v;
  return getsockopt (fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == 0 && v;
}

static char *
describe_peer (int fd)
{
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getpeername (fd, (struct sockaddr *) &ss, &len) < 0)
    return g_strdup ("unknown peer");
  switch (ss.ss_family)
    {
    case AF_UNIX:
      {
        struct ucred cred;
        socklen_t clen = sizeof cred;
        if (getsockopt (fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0)
          return g_strdup_printf ("unix socket, pid %d uid %u", (int) cred.pid, cred.uid);
        return g_strdup ("unix socket");
      }
    case AF_VSOCK:
      {
        const struct sockaddr_vm *vm = (const struct sockaddr_vm *) &ss;
        return g_strdup_printf ("vsock cid %u port %u", vm->svm_cid, vm->svm_port);
      }
    case AF_INET:
    case AF_INET6:
      {
        char host[NI_MAXHOST], serv[NI_MAXSERV];
        if (getnameinfo ((struct sockaddr *) &ss, len, host, sizeof host, serv, sizeof serv,
                         NI_NUMERICHOST | NI_NUMERICSERV) == 0)
          return g_strdup_printf ("tcp %s port %s", host, serv);
        return g_strdup ("tcp");
      }
    default:
      return g_strdup ("unknown peer");
    }
}

int
gd_channel_accept (int lfd, char **peer, GError **error)
{
  for (;;)
    {
      if (gd_transport_stop_requested ())
        return -1;
      int fd = accept4 (lfd, NULL, NULL, SOCK_CLOEXEC);
      if (fd >= 0)
        {
          *peer = describe_peer (fd);
          return fd;
        }
      /* The client may have gone before we took it. */
      if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
        continue;
      int saved = errno;
      channel_error (error, "accept: %s", g_strerror (saved));
      return -1;
    }
}

int
gd_channel_open_device (const char *path, GError **error)
{
  int fd = open (path, O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    {
      int saved = errno;
      channel_error (error, "cannot open channel %s: %s", path, g_strerror (saved));
      return -1;
    }
  if (g_str_has_prefix (path, "/dev/ttyS"))
    {
      /* A serial port would otherwise mangle the binary protocol. */
      struct termios tio;
      if (tcgetattr (fd, &tio) == 0)
        {
          cfmakeraw (&tio);
          tcsetattr (fd, TCSANOW, &tio);
        }
    }
  return fd;
}

gboolean
gd_channel_wait_for_host (int fd)
{
  /* A virtio-serial port polls POLLHUP while no host program has its
   * other end open, and the kernel has no event for the moment one
   * opens it, short of SIGIO: look again every HOST_POLL_MS. */
  for (;;)
    {
      if (gd_transport_stop_requested ())
        return FALSE;
      struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLOUT };
      int r = poll (&pfd, 1, HOST_POLL_MS);
      if (r > 0 && !(pfd.revents & POLLHUP))
        return TRUE;
      if (r > 0 || (r < 0 && errno != EINTR))
        g_usleep (HOST_POLL_MS * 1000);
    }
}

void
gd_channel_drain (int fd)
{
  char buf[4096];
  struct pollfd pfd = { .fd = fd, .events = POLLIN };
  while (poll (&pfd, 1, 0) > 0 && (pfd.revents & POLLIN))
    if (read (fd, buf, sizeof buf) <= 0)
      break;
}
