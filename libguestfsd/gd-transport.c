/* libguestfsd: buffered I/O on the channel.
 *
 * Reads go through one buffer so that a request (length word, header and
 * arguments) or a run of upload chunks costs one read(2), and callers get
 * pointers into the buffer instead of copies.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gd-transport.h"
#include <libguestfsd/guestfsd.h>

#define INITIAL_CAPACITY (256 * 1024)

static volatile sig_atomic_t stop_requested;

void
gd_transport_request_stop (void)
{
  stop_requested = 1;
}

gboolean
gd_transport_stop_requested (void)
{
  return stop_requested != 0;
}

struct _GdTransport
{
  int fd;
  const GdTransportOps *ops; /* NULL: read(2)/writev(2) on fd */
  gpointer ctx;
  gboolean is_socket; /* use MSG_NOSIGNAL: never raise SIGPIPE in the embedder */
  guint8 *buf;
  size_t cap;
  size_t pos; /* first unread byte */
  size_t end; /* one past the last buffered byte */
};

GdTransport *
gd_transport_new (int fd)
{
  GdTransport *t = g_new0 (GdTransport, 1);
  t->fd = fd;
  struct stat st;
  t->is_socket = fstat (fd, &st) == 0 && S_ISSOCK (st.st_mode);
  t->cap = INITIAL_CAPACITY;
  t->buf = g_malloc (t->cap);
  return t;
}

GdTransport *
gd_transport_new_layered (int fd, const GdTransportOps *ops, gpointer ctx)
{
  GdTransport *t = gd_transport_new (fd);
  t->ops = ops;
  t->ctx = ctx;
  return t;
}

void
gd_transport_free (GdTransport *t)
{
  if (t == NULL)
    return;
  if (t->ops != NULL && t->ops->free != NULL)
    t->ops->free (t->ctx);
  g_free (t->buf);
  g_free (t);
}

int
gd_transport_fd (GdTransport *t)
{
  return t->fd;
}

static void
compact (GdTransport *t)
{
  if (t->pos == 0)
    return;
  memmove (t->buf, t->buf + t->pos, t->end - t->pos);
  t->end -= t->pos;
  t->pos = 0;
}

/* One read(2) into the free space; 0 at end of stream. */
static gssize
fill (GdTransport *t, GError **error)
{
  if (t->ops != NULL)
    {
      gssize n = t->ops->recv (t->ctx, t->buf + t->end, t->cap - t->end, error);
      if (n > 0)
        t->end += n;
      return n;
    }
  for (;;)
    {
      gssize n = read (t->fd, t->buf + t->end, t->cap - t->end);
      if (n >= 0)
        {
          t->end += n;
          return n;
        }
      if (errno == EINTR && !stop_requested)
        continue;
      int saved = errno;
      g_set_error (error, GUESTFSD_ERROR, GUESTFSD_ERROR_IO, "read from channel: %s",
                   g_strerror (saved));
      return -1;
    }
}

const guint8 *
gd_transport_read (GdTransport *t, size_t len, gboolean eof_ok, GError **error)
{
  if (t->end - t->pos < len)
    {
      compact (t);
      if (len > t->cap)
        {
          t->cap = len;
          t->buf = g_realloc (t->buf, t->cap);
        }
      while (t->end < len)
        {
          gboolean at_start = t->end == 0;
          gssize n = fill (t, error);
          if (n < 0)
            return NULL;
          if (n == 0)
            {
              if (!(eof_ok && at_start))
                g_set_error (error, GUESTFSD_ERROR, GUESTFSD_ERROR_IO,
                             "channel closed in the middle of a message");
              return NULL;
            }
        }
    }
  const guint8 *p = t->buf + t->pos;
  t->pos += len;
  return p;
}

gboolean
gd_transport_skip (GdTransport *t, guint64 len, GError **error)
{
  while (len > 0)
    {
      size_t avail = t->end - t->pos;
      if (avail == 0)
        {
          t->pos = t->end = 0;
          gssize n = fill (t, error);
          if (n < 0)
            return FALSE;
          if (n == 0)
            {
              g_set_error (error, GUESTFSD_ERROR, GUESTFSD_ERROR_IO,
                           "channel closed in the middle of a message");
              return FALSE;
            }
          continue;
        }
      size_t take = MIN ((guint64) avail, len);
      t->pos += take;
      len -= take;
    }
  return TRUE;
}

gboolean
gd_transport_poll_word (GdTransport *t, guint32 word)
{
  if (t->end - t->pos < 4 && t->ops != NULL && t->ops->pending (t->ctx))
    {
      compact (t);
      if (fill (t, NULL) <= 0 || t->end - t->pos < 4)
        return FALSE;
    }
  if (t->end - t->pos < 4)
    {
      struct pollfd pfd = { .fd = t->fd, .events = POLLIN };
      if (poll (&pfd, 1, 0) <= 0 || !(pfd.revents & POLLIN))
        return FALSE;
      compact (t);
      /* Readable means read(2) will not block; a short read is fine. */
      if (fill (t, NULL) <= 0 || t->end - t->pos < 4)
        return FALSE;
    }
  if (gd_get_be32 (t->buf + t->pos) != word)
    return FALSE;
  t->pos += 4;
  return TRUE;
}

gboolean
gd_transport_write (GdTransport *t, const void *buf, size_t len, GError **error)
{
  struct iovec iov = { .iov_base = (void *) buf, .iov_len = len };
  return gd_transport_writev (t, &iov, 1, error);
}

gboolean
gd_transport_writev (GdTransport *t, struct iovec *iov, int iovcnt, GError **error)
{
  while (iovcnt > 0)
    {
      gssize n;
      if (t->ops != NULL)
        {
          n = t->ops->sendv (t->ctx, iov, MIN (iovcnt, IOV_MAX), error);
          if (n < 0)
            return FALSE;
        }
      else if (t->is_socket)
        {
          struct msghdr msg = { .msg_iov = iov, .msg_iovlen = MIN (iovcnt, IOV_MAX) };
          n = sendmsg (t->fd, &msg, MSG_NOSIGNAL);
        }
      else
        n = writev (t->fd, iov, MIN (iovcnt, IOV_MAX));
      if (n < 0)
        {
          if (errno == EINTR && !stop_requested)
            continue;
          int saved = errno;
          g_set_error (error, GUESTFSD_ERROR, GUESTFSD_ERROR_IO, "write to channel: %s",
                       g_strerror (saved));
          return FALSE;
        }
      /* Skip what was written; adjust a partly written entry. */
      while (iovcnt > 0 && (size_t) n >= iov->iov_len)
        {
          n -= iov->iov_len;
          iov++;
          iovcnt--;
        }
      if (iovcnt > 0)
        {
          iov->iov_base = (guint8 *) iov->iov_base + n;
          iov->iov_len -= n;
        }
    }
  return TRUE;
}
