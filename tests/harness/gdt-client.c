/* gdt-client: a raw client of the guestfsd protocol, for tests.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gd-actions.h"
#include "gdt-client.h"

struct _GdtClient
{
  int fd;
  guint32 serial;
  GByteArray *in; /* received, not yet consumed */
};

GQuark
gdt_error_quark (void)
{
  return g_quark_from_static_string ("gdt-error-quark");
}

static guint32
get_be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static guint64
get_be64 (const guint8 *p)
{
  return ((guint64) get_be32 (p) << 32) | get_be32 (p + 4);
}

static void
put_be32 (guint8 *p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

static void
put_be64 (guint8 *p, guint64 v)
{
  put_be32 (p, v >> 32);
  put_be32 (p + 4, (guint32) v);
}

GdtClient *
gdt_client_new (int fd)
{
  GdtClient *c = g_new0 (GdtClient, 1);
  c->fd = fd;
  c->serial = GDT_FIRST_SERIAL;
  c->in = g_byte_array_new ();
  return c;
}

void
gdt_client_free (GdtClient *c)
{
  if (c == NULL)
    return;
  if (c->fd >= 0)
    close (c->fd);
  g_byte_array_unref (c->in);
  g_free (c);
}

int
gdt_client_fd (GdtClient *c)
{
  return c->fd;
}

void
gdt_client_shutdown (GdtClient *c)
{
  shutdown (c->fd, SHUT_WR);
}

guint32
gdt_client_next_serial (GdtClient *c)
{
  return c->serial;
}

/* ---- building and sending ---------------------------------------------- */

GdtHeader
gdt_header_call (guint32 proc, guint32 serial)
{
  GdtHeader h = {
    .prog = GD_PROGRAM,
    .vers = GD_PROTOCOL_VERSION,
    .proc = proc,
    .direction = GD_DIRECTION_CALL,
    .serial = serial,
    .progress_hint = 0,
    .optargs = 0,
    .status = GD_STATUS_OK,
  };
  return h;
}

void
gdt_header_put (guint8 *p, const GdtHeader *h)
{
  put_be32 (p, h->prog);
  put_be32 (p + 4, h->vers);
  put_be32 (p + 8, h->proc);
  put_be32 (p + 12, h->direction);
  put_be32 (p + 16, h->serial);
  put_be64 (p + 20, h->progress_hint);
  put_be64 (p + 28, h->optargs);
  put_be32 (p + 36, h->status);
}

void
gdt_header_get (const guint8 *p, GdtHeader *h)
{
  h->prog = get_be32 (p);
  h->vers = get_be32 (p + 4);
  h->proc = get_be32 (p + 8);
  h->direction = get_be32 (p + 12);
  h->serial = get_be32 (p + 16);
  h->progress_hint = get_be64 (p + 20);
  h->optargs = get_be64 (p + 28);
  h->status = get_be32 (p + 36);
}

GByteArray *
gdt_encode (xdrproc_t fn, void *args)
{
  GByteArray *out = g_byte_array_new ();
  if (fn == NULL)
    return out;
  /* Arguments may exceed a message on purpose: size generously. */
  size_t cap = 64 * 1024;
  for (;;)
    {
      g_byte_array_set_size (out, cap);
      XDR xdr;
      xdrmem_create (&xdr, (char *) out->data, cap, XDR_ENCODE);
      gboolean ok = fn (&xdr, args, 0);
      size_t len = xdr_getpos (&xdr);
      xdr_destroy (&xdr);
      if (ok)
        {
          g_byte_array_set_size (out, len);
          return out;
        }
      g_assert_cmpuint (cap, <, 1024 * 1024 * 1024);
      cap *= 4;
    }
}

gboolean
gdt_send_raw (GdtClient *c, const void *buf, size_t len, GError **error)
{
  const guint8 *p = buf;
  while (len > 0)
    {
      ssize_t n = send (c->fd, p, len, MSG_NOSIGNAL);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          int saved = errno;
          g_set_error (error, GDT_ERROR, GDT_ERROR_IO, "send: %s", g_strerror (saved));
          return FALSE;
        }
      p += n;
      len -= n;
    }
  return TRUE;
}

gboolean
gdt_send_word (GdtClient *c, guint32 word, GError **error)
{
  guint8 buf[4];
  put_be32 (buf, word);
  return gdt_send_raw (c, buf, 4, error);
}

gboolean
gdt_send_message (GdtClient *c, const GdtHeader *h, const void *body, size_t body_len,
                  GError **error)
{
  g_autofree guint8 *buf = g_malloc (4 + 40 + body_len);
  put_be32 (buf, 40 + body_len);
  gdt_header_put (buf + 4, h);
  if (body_len > 0)
    memcpy (buf + 44, body, body_len);
  return gdt_send_raw (c, buf, 44 + body_len, error);
}

guint32
gdt_send_call (GdtClient *c, guint32 proc, guint64 optargs, guint64 progress_hint, xdrproc_t fn,
               void *args, GError **error)
{
  GdtHeader h = gdt_header_call (proc, c->serial);
  h.optargs = optargs;
  h.progress_hint = progress_hint;
  g_autoptr (GByteArray) body = gdt_encode (fn, args);
  if (!gdt_send_message (c, &h, body->data, body->len, error))
    return 0;
  return c->serial++;
}

gboolean
gdt_send_chunk (GdtClient *c, int cancel, const void *data, size_t len, GError **error)
{
  gd_chunk chunk = { .cancel = cancel };
  chunk.data.data_len = len;
  chunk.data.data_val = (char *) data;
  g_autoptr (GByteArray) body = gdt_encode ((xdrproc_t) xdr_gd_chunk, &chunk);
  guint8 lenbuf[4];
  put_be32 (lenbuf, body->len);
  return gdt_send_raw (c, lenbuf, 4, error) && gdt_send_raw (c, body->data, body->len, error);
}

/* ---- receiving --------------------------------------------------------- */

gboolean
gdt_readable (GdtClient *c, int timeout_ms)
{
  if (c->in->len > 0)
    return TRUE;
  struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
  int r;
  do
    r = poll (&pfd, 1, timeout_ms);
  while (r < 0 && errno == EINTR);
  return r > 0;
}

/* Makes at least n bytes available in c->in. */
static gboolean
fill (GdtClient *c, size_t n, GError **error)
{
  while (c->in->len < n)
    {
      if (!gdt_readable (c, GDT_TIMEOUT_MS))
        {
          g_set_error (error, GDT_ERROR, GDT_ERROR_TIMEOUT,
                       "no data from the daemon in %d ms (have %u of %zu bytes)", GDT_TIMEOUT_MS,
                       c->in->len, n);
          return FALSE;
        }
      size_t old = c->in->len;
      size_t want = MAX (n - old, (size_t) 65536);
      g_byte_array_set_size (c->in, old + want);
      ssize_t r = read (c->fd, c->in->data + old, want);
      int saved = errno;
      g_byte_array_set_size (c->in, old + MAX (r, 0));
      if (r < 0)
        {
          if (saved == EINTR)
            continue;
          g_set_error (error, GDT_ERROR, GDT_ERROR_IO, "read: %s", g_strerror (saved));
          return FALSE;
        }
      if (r == 0)
        {
          g_set_error (error, GDT_ERROR, GDT_ERROR_EOF,
                       "the daemon closed the channel (have %zu of %zu bytes)", old, n);
          return FALSE;
        }
    }
  return TRUE;
}

static void
consume (GdtClient *c, size_t n)
{
  g_byte_array_remove_range (c->in, 0, n);
}

gboolean
gdt_client_handshake (GdtClient *c, GError **error)
{
  GdtItem item;
  if (!gdt_read_item (c, &item, error))
    return FALSE;
  if (item.kind != GDT_ITEM_LAUNCH)
    {
      g_free (item.data);
      g_set_error (error, GDT_ERROR, GDT_ERROR_PROTOCOL, "expected the launch flag, got item %d",
                   item.kind);
      return FALSE;
    }
  return TRUE;
}

gboolean
gdt_read_item (GdtClient *c, GdtItem *item, GError **error)
{
  memset (item, 0, sizeof *item);
  if (!fill (c, 4, error))
    return FALSE;
  guint32 word = get_be32 (c->in->data);
  switch (word)
    {
    case GD_CANCEL_FLAG:
      consume (c, 4);
      item->kind = GDT_ITEM_CANCEL;
      return TRUE;
    case GD_LAUNCH_FLAG:
      consume (c, 4);
      item->kind = GDT_ITEM_LAUNCH;
      return TRUE;
    case GD_PROGRESS_FLAG:
      if (!fill (c, 28, error))
        return FALSE;
      item->kind = GDT_ITEM_PROGRESS;
      item->progress.proc = get_be32 (c->in->data + 4);
      item->progress.serial = get_be32 (c->in->data + 8);
      item->progress.position = get_be64 (c->in->data + 12);
      item->progress.total = get_be64 (c->in->data + 20);
      item->progress.time_us = g_get_monotonic_time ();
      consume (c, 28);
      return TRUE;
    default:
      break;
    }
  if (word > GD_MESSAGE_MAX)
    {
      g_set_error (error, GDT_ERROR, GDT_ERROR_PROTOCOL,
                   "message length %u exceeds the protocol limit", word);
      return FALSE;
    }
  if (!fill (c, 4 + (size_t) word, error))
    return FALSE;
  item->kind = GDT_ITEM_MESSAGE;
  item->len = word;
  item->data = g_memdup2 (c->in->data + 4, word);
  consume (c, 4 + (size_t) word);
  return TRUE;
}

gboolean
gdt_expect_eof (GdtClient *c, int timeout_ms)
{
  if (c->in->len > 0 || !gdt_readable (c, timeout_ms))
    return FALSE;
  guint8 b;
  return read (c->fd, &b, 1) == 0;
}

void
gdt_reply_free (GdtReply *r)
{
  if (r == NULL)
    return;
  g_free (r->errno_string);
  g_free (r->error_message);
  g_free (r->ret);
  g_array_unref (r->progress);
  g_free (r);
}

GdtReply *
gdt_recv_reply (GdtClient *c, GError **error)
{
  g_autoptr (GdtReply) r = g_new0 (GdtReply, 1);
  r->progress = g_array_new (FALSE, FALSE, sizeof (GdtProgress));
  for (;;)
    {
      GdtItem item;
      if (!gdt_read_item (c, &item, error))
        return NULL;
      if (item.kind == GDT_ITEM_PROGRESS)
        {
          g_array_append_val (r->progress, item.progress);
          continue;
        }
      if (item.kind == GDT_ITEM_CANCEL)
        {
          r->cancel_flags++;
          continue;
        }
      if (item.kind == GDT_ITEM_LAUNCH)
        {
          g_set_error (error, GDT_ERROR, GDT_ERROR_PROTOCOL, "launch flag instead of a reply");
          return NULL;
        }
      g_autofree guint8 *body = item.data;
      if (item.len < 40)
        {
          g_set_error (error, GDT_ERROR, GDT_ERROR_PROTOCOL,
                       "reply of %zu bytes is shorter than a header", item.len);
          return NULL;
        }
      gdt_header_get (body, &r->h);
      if (r->h.prog != GD_PROGRAM || r->h.vers != GD_PROTOCOL_VERSION ||
          r->h.direction != GD_DIRECTION_REPLY || r->h.progress_hint != 0 || r->h.optargs != 0 ||
          r->h.status > GD_STATUS_ERROR)
        {
          g_set_error (error, GDT_ERROR, GDT_ERROR_PROTOCOL,
                       "bad reply header: prog 0x%x vers %u dir %u status %u", r->h.prog, r->h.vers,
                       r->h.direction, r->h.status);
          return NULL;
        }
      if (r->h.status == GD_STATUS_ERROR)
        {
          gd_message_error err = { 0 };
          XDR xdr;
          xdrmem_create (&xdr, (char *) body + 40, item.len - 40, XDR_DECODE);
          gboolean ok = xdr_gd_message_error (&xdr, &err);
          gboolean all = xdr_getpos (&xdr) == item.len - 40;
          xdr_destroy (&xdr);
          if (!ok || !all)
            {
              xdr_free ((xdrproc_t) xdr_gd_message_error, (char *) &err);
              g_set_error (error, GDT_ERROR, GDT_ERROR_PROTOCOL,
                           "error reply body does not decode as message_error");
              return NULL;
            }
          r->errno_string = g_strdup (err.errno_string);
          r->error_message = g_strdup (err.error_message);
          xdr_free ((xdrproc_t) xdr_gd_message_error, (char *) &err);
        }
      else
        {
          r->ret_len = item.len - 40;
          r->ret = g_memdup2 (body + 40, r->ret_len);
        }
      return g_steal_pointer (&r);
    }
}

gboolean
gdt_reply_decode (GdtReply *r, xdrproc_t fn, void *ret)
{
  if (r->h.status != GD_STATUS_OK)
    return FALSE;
  XDR xdr;
  xdrmem_create (&xdr, (char *) r->ret, r->ret_len, XDR_DECODE);
  gboolean ok = fn (&xdr, ret, 0);
  gboolean all = xdr_getpos (&xdr) == r->ret_len;
  xdr_destroy (&xdr);
  return ok && all;
}

int
gdt_recv_chunk (GdtClient *c, GByteArray *data, GArray *progress, GError **error)
{
  for (;;)
    {
      GdtItem item;
      if (!gdt_read_item (c, &item, error))
        return -1;
      if (item.kind == GDT_ITEM_PROGRESS)
        {
          if (progress)
            g_array_append_val (progress, item.progress);
          continue;
        }
      if (item.kind != GDT_ITEM_MESSAGE)
        {
          g_set_error (error, GDT_ERROR, GDT_ERROR_PROTOCOL, "flag %d instead of a chunk",
                       item.kind);
          return -1;
        }
      g_autofree guint8 *body = item.data;
      gd_chunk chunk = { 0 };
      XDR xdr;
      xdrmem_create (&xdr, (char *) body, item.len, XDR_DECODE);
      gboolean ok = xdr_gd_chunk (&xdr, &chunk);
      gboolean all = xdr_getpos (&xdr) == item.len;
      xdr_destroy (&xdr);
      if (!ok || !all || chunk.cancel < 0 || chunk.cancel > 1 ||
          (chunk.cancel && chunk.data.data_len))
        {
          xdr_free ((xdrproc_t) xdr_gd_chunk, (char *) &chunk);
          g_set_error (error, GDT_ERROR, GDT_ERROR_PROTOCOL, "malformed chunk of %zu bytes",
                       item.len);
          return -1;
        }
      int kind = chunk.cancel               ? GDT_CHUNK_CANCEL
                 : chunk.data.data_len == 0 ? GDT_CHUNK_END
                                            : GDT_CHUNK_DATA;
      if (data && chunk.data.data_len)
        g_byte_array_append (data, (guint8 *) chunk.data.data_val, chunk.data.data_len);
      xdr_free ((xdrproc_t) xdr_gd_chunk, (char *) &chunk);
      return kind;
    }
}

GdtReply *
gdt_call (GdtClient *c, guint32 proc, xdrproc_t fn, void *args, GError **error)
{
  guint32 serial = gdt_send_call (c, proc, 0, 0, fn, args, error);
  if (serial == 0)
    return NULL;
  GdtReply *r = gdt_recv_reply (c, error);
  if (r != NULL && (r->h.proc != proc || r->h.serial != serial))
    {
      g_set_error (error, GDT_ERROR, GDT_ERROR_PROTOCOL,
                   "reply for proc %u serial 0x%x, expected proc %u serial 0x%x", r->h.proc,
                   r->h.serial, proc, serial);
      gdt_reply_free (r);
      return NULL;
    }
  return r;
}

gboolean
gdt_ping (GdtClient *c, GError **error)
{
  g_autoptr (GdtReply) r = gdt_call (c, GD_PROC_PING_DAEMON, NULL, NULL, error);
  if (r == NULL)
    return FALSE;
  if (r->h.status != GD_STATUS_OK || r->ret_len != 0 || r->cancel_flags != 0)
    {
      g_set_error (error, GDT_ERROR, GDT_ERROR_PROTOCOL,
                   "ping_daemon: status %u, %zu bytes of result, %u cancel flags: %s", r->h.status,
                   r->ret_len, r->cancel_flags, r->error_message ? r->error_message : "");
      return FALSE;
    }
  return TRUE;
}
