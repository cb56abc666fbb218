/* Unit tests: big-endian helpers and the buffered channel (gd-transport.c)
 * over a socketpair: short reads, messages split across reads, skipping,
 * polling for a flag word, end of stream.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libguestfsd/guestfsd.h>

#include "gd-transport.h"

typedef struct
{
  int peer; /* the test's end */
  int fd;   /* the transport's end */
  GdTransport *t;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  int sv[2];
  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
  f->peer = sv[0];
  f->fd = sv[1];
  f->t = gd_transport_new (f->fd);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  gd_transport_free (f->t);
  if (f->peer >= 0)
    close (f->peer);
  close (f->fd);
}

static void
write_all (int fd, const void *buf, size_t len)
{
  const guint8 *p = buf;
  while (len > 0)
    {
      ssize_t n = write (fd, p, len);
      if (n < 0 && errno == EINTR)
        continue;
      g_assert_cmpint (n, >, 0);
      p += n;
      len -= n;
    }
}

/* Writes a buffer in pieces of a few bytes, pausing between them, so that
 * the reader sees many short reads. */
typedef struct
{
  int fd;
  guint8 *data;
  size_t len;
  size_t piece;
  guint pause_us;
} Trickle;

static gpointer
trickle_thread (gpointer p)
{
  Trickle *tr = p;
  for (size_t off = 0; off < tr->len; off += tr->piece)
    {
      write_all (tr->fd, tr->data + off, MIN (tr->piece, tr->len - off));
      if (tr->pause_us)
        g_usleep (tr->pause_us);
    }
  return NULL;
}

static void
test_be_helpers (void)
{
  guint8 b[8];
  gd_put_be32 (b, 0x01020304);
  g_assert_cmpmem (b, 4, "\x01\x02\x03\x04", 4);
  g_assert_cmpuint (gd_get_be32 (b), ==, 0x01020304);
  gd_put_be32 (b, 0xffffeeee);
  g_assert_cmpuint (gd_get_be32 (b), ==, 0xffffeeee);
  g_assert_cmpuint (b[0], ==, 0xff);
  g_assert_cmpuint (b[3], ==, 0xee);

  const guint64 v = G_GUINT64_CONSTANT (0x0102030405060708);
  gd_put_be64 (b, v);
  g_assert_cmpmem (b, 8, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
  g_assert_cmpuint (gd_get_be64 (b), ==, v);
  /* Values above 2^53 (no double can hold them exactly) and the top bit. */
  const guint64 vals[] = { 0,
                           1,
                           G_GUINT64_CONSTANT (9007199254740993),
                           G_MAXUINT64,
                           G_GUINT64_CONSTANT (1) << 63,
                           G_MAXUINT32,
                           (guint64) G_MAXUINT32 + 1 };
  for (guint i = 0; i < G_N_ELEMENTS (vals); i++)
    {
      gd_put_be64 (b, vals[i]);
      g_assert_cmpuint (gd_get_be64 (b), ==, vals[i]);
    }
}

static void
test_read_whole (Fixture *f, gconstpointer data)
{
  write_all (f->peer, "abcdefgh", 8);
  g_autoptr (GError) error = NULL;
  const guint8 *p = gd_transport_read (f->t, 3, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (p, 3, "abc", 3);
  p = gd_transport_read (f->t, 5, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (p, 5, "defgh", 5);
  g_assert_cmpint (gd_transport_fd (f->t), ==, f->fd);
}

/* A stream of length-prefixed messages arriving a few bytes at a time. */
static void
test_short_reads (Fixture *f, gconstpointer data)
{
  GByteArray *stream = g_byte_array_new ();
  for (guint i = 0; i < 20; i++)
    {
      guint8 len[4];
      guint32 n = 40 + i * 37;
      gd_put_be32 (len, n);
      g_byte_array_append (stream, len, 4);
      for (guint j = 0; j < n; j++)
        {
          guint8 c = (guint8) (i * 7 + j);
          g_byte_array_append (stream, &c, 1);
        }
    }
  Trickle tr = { f->peer, stream->data, stream->len, 3, 200 };
  GThread *th = g_thread_new ("trickle", trickle_thread, &tr);
  for (guint i = 0; i < 20; i++)
    {
      g_autoptr (GError) error = NULL;
      const guint8 *p = gd_transport_read (f->t, 4, TRUE, &error);
      g_assert_no_error (error);
      g_assert_nonnull (p);
      guint32 n = gd_get_be32 (p);
      g_assert_cmpuint (n, ==, 40 + i * 37);
      p = gd_transport_read (f->t, n, FALSE, &error);
      g_assert_no_error (error);
      for (guint j = 0; j < n; j++)
        g_assert_cmpuint (p[j], ==, (guint8) (i * 7 + j));
    }
  g_thread_join (th);
  g_byte_array_unref (stream);
}

/* A message larger than the initial buffer, split over many writes. */
static void
test_large_message (Fixture *f, gconstpointer data)
{
  const size_t len = 3 * 1024 * 1024 + 5;
  g_autofree guint8 *buf = g_malloc (len);
  for (size_t i = 0; i < len; i++)
    buf[i] = (guint8) (i * 131 + (i >> 16));
  Trickle tr = { f->peer, buf, len, 100000, 0 };
  GThread *th = g_thread_new ("trickle", trickle_thread, &tr);
  g_autoptr (GError) error = NULL;
  const guint8 *p = gd_transport_read (f->t, 10, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (p, 10, buf, 10);
  p = gd_transport_read (f->t, len - 10, FALSE, &error);
  g_assert_no_error (error);
  g_assert_true (memcmp (p, buf + 10, len - 10) == 0);
  g_thread_join (th);
}

static void
test_skip (Fixture *f, gconstpointer data)
{
  /* More than the buffer holds, so the skip spans several reads. */
  const size_t len = 1024 * 1024;
  g_autofree guint8 *buf = g_malloc0 (len + 8);
  memcpy (buf + len, "AFTERSKP", 8);
  Trickle tr = { f->peer, buf, len + 8, 70001, 0 };
  GThread *th = g_thread_new ("trickle", trickle_thread, &tr);
  g_autoptr (GError) error = NULL;
  /* Some bytes already buffered, then skip across the boundary. */
  const guint8 *p = gd_transport_read (f->t, 4, FALSE, &error);
  g_assert_no_error (error);
  g_assert_true (gd_transport_skip (f->t, len - 4, &error));
  g_assert_no_error (error);
  p = gd_transport_read (f->t, 8, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (p, 8, "AFTERSKP", 8);
  g_assert_true (gd_transport_skip (f->t, 0, &error));
  g_thread_join (th);
}

static void
test_skip_eof (Fixture *f, gconstpointer data)
{
  write_all (f->peer, "12345", 5);
  close (f->peer);
  f->peer = -1;
  g_autoptr (GError) error = NULL;
  g_assert_false (gd_transport_skip (f->t, 10, &error));
  g_assert_error (error, GUESTFSD_ERROR, GUESTFSD_ERROR_IO);
}

static void
test_eof_between_messages (Fixture *f, gconstpointer data)
{
  write_all (f->peer, "ABCD", 4);
  close (f->peer);
  f->peer = -1;
  g_autoptr (GError) error = NULL;
  const guint8 *p = gd_transport_read (f->t, 4, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (p, 4, "ABCD", 4);
  /* Clean end of stream before a message: NULL, no error. */
  p = gd_transport_read (f->t, 4, TRUE, &error);
  g_assert_null (p);
  g_assert_no_error (error);
}

static void
test_eof_mid_message (Fixture *f, gconstpointer data)
{
  write_all (f->peer, "AB", 2);
  close (f->peer);
  f->peer = -1;
  g_autoptr (GError) error = NULL;
  /* eof_ok covers only an end before the first byte. */
  const guint8 *p = gd_transport_read (f->t, 4, TRUE, &error);
  g_assert_null (p);
  g_assert_error (error, GUESTFSD_ERROR, GUESTFSD_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "closed in the middle of a message"));
}

static void
test_eof_not_ok (Fixture *f, gconstpointer data)
{
  close (f->peer);
  f->peer = -1;
  g_autoptr (GError) error = NULL;
  g_assert_null (gd_transport_read (f->t, 4, FALSE, &error));
  g_assert_error (error, GUESTFSD_ERROR, GUESTFSD_ERROR_IO);
}

static void
test_read_error (void)
{
  /* A write-only fd cannot be read. */
  int fds[2];
  g_assert_cmpint (pipe (fds), ==, 0);
  g_autoptr (GdTransport) t = gd_transport_new (fds[1]);
  g_autoptr (GError) error = NULL;
  g_assert_null (gd_transport_read (t, 4, TRUE, &error));
  g_assert_error (error, GUESTFSD_ERROR, GUESTFSD_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "read from channel"));
  close (fds[0]);
  close (fds[1]);
}

static void
test_poll_word (Fixture *f, gconstpointer data)
{
  const guint32 flag = 0xffffeeee;
  guint8 w[4];

  /* Nothing waiting. */
  g_assert_false (gd_transport_poll_word (f->t, flag));

  /* Half a word: not yet, and nothing is lost. */
  gd_put_be32 (w, flag);
  write_all (f->peer, w, 2);
  g_usleep (10000);
  g_assert_false (gd_transport_poll_word (f->t, flag));
  write_all (f->peer, w + 2, 2);
  g_usleep (10000);
  g_assert_true (gd_transport_poll_word (f->t, flag));
  /* Consumed. */
  g_assert_false (gd_transport_poll_word (f->t, flag));

  /* A different word stays for the next read. */
  gd_put_be32 (w, 0x00000028);
  write_all (f->peer, w, 4);
  g_usleep (10000);
  g_assert_false (gd_transport_poll_word (f->t, flag));
  g_autoptr (GError) error = NULL;
  const guint8 *p = gd_transport_read (f->t, 4, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gd_get_be32 (p), ==, 0x28);

  /* A flag already in the buffer behind other data. */
  guint8 two[8];
  gd_put_be32 (two, 7);
  gd_put_be32 (two + 4, flag);
  write_all (f->peer, two, 8);
  p = gd_transport_read (f->t, 4, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gd_get_be32 (p), ==, 7);
  g_assert_true (gd_transport_poll_word (f->t, flag));

  /* After the peer has gone. */
  close (f->peer);
  f->peer = -1;
  g_assert_false (gd_transport_poll_word (f->t, flag));
}

static void
test_write (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_assert_true (gd_transport_write (f->t, "hello", 5, &error));
  g_assert_no_error (error);
  struct iovec iov[3] = { { "a", 1 }, { "", 0 }, { "bc", 2 } };
  g_assert_true (gd_transport_writev (f->t, iov, 3, &error));
  char buf[8];
  size_t got = 0;
  while (got < 8)
    {
      ssize_t n = read (f->peer, buf + got, sizeof buf - got);
      g_assert_cmpint (n, >, 0);
      got += n;
    }
  g_assert_cmpmem (buf, 8, "helloabc", 8);
}

/* A write larger than the socket buffer completes across partial writes,
 * with iovec entries split in the middle. */
static gpointer
drain_thread (gpointer p)
{
  int fd = GPOINTER_TO_INT (p);
  GChecksum *sum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 buf[65536];
  ssize_t n;
  while ((n = read (fd, buf, sizeof buf)) > 0)
    g_checksum_update (sum, buf, n);
  char *hex = g_strdup (g_checksum_get_string (sum));
  g_checksum_free (sum);
  return hex;
}

static void
test_writev_partial (Fixture *f, gconstpointer data)
{
  const size_t n = 5;
  const size_t sizes[] = { 3, 1000001, 7, 2000003, 1 };
  guint8 *bufs[5];
  struct iovec iov[5];
  GChecksum *sum = g_checksum_new (G_CHECKSUM_SHA256);
  for (size_t i = 0; i < n; i++)
    {
      bufs[i] = g_malloc (sizes[i]);
      for (size_t j = 0; j < sizes[i]; j++)
        bufs[i][j] = (guint8) (i + j * 13);
      iov[i] = (struct iovec){ bufs[i], sizes[i] };
      g_checksum_update (sum, bufs[i], sizes[i]);
    }
  GThread *th = g_thread_new ("drain", drain_thread, GINT_TO_POINTER (f->peer));
  g_autoptr (GError) error = NULL;
  g_assert_true (gd_transport_writev (f->t, iov, n, &error));
  g_assert_no_error (error);
  shutdown (f->fd, SHUT_WR);
  g_autofree char *got = g_thread_join (th);
  g_assert_cmpstr (got, ==, g_checksum_get_string (sum));
  g_checksum_free (sum);
  for (size_t i = 0; i < n; i++)
    g_free (bufs[i]);
}

/* Writing to a peer that has gone: an error, and no SIGPIPE. */
static void
test_write_epipe (Fixture *f, gconstpointer data)
{
  close (f->peer);
  f->peer = -1;
  g_autoptr (GError) error = NULL;
  g_assert_false (gd_transport_write (f->t, "x", 1, &error));
  g_assert_error (error, GUESTFSD_ERROR, GUESTFSD_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "write to channel"));
}

/* A layer (as TLS is one) that XORs every byte with 0x5a and holds back
 * what it decoded beyond the caller's request, so "pending" matters. */
typedef struct
{
  int fd;
  guint8 held[64];
  size_t nheld;
  gboolean freed;
} XorLayer;

static gssize
xor_recv (gpointer ctx, void *buf, size_t len, GError **error)
{
  XorLayer *x = ctx;
  if (x->nheld == 0)
    {
      gssize n = read (x->fd, x->held, sizeof x->held);
      if (n < 0)
        {
          g_set_error (error, GUESTFSD_ERROR, GUESTFSD_ERROR_IO, "xor: %s", g_strerror (errno));
          return -1;
        }
      for (gssize i = 0; i < n; i++)
        x->held[i] ^= 0x5a;
      x->nheld = n;
    }
  /* At most 3 bytes a call: the rest stays pending in the layer. */
  size_t take = MIN (MIN (len, x->nheld), 3);
  memcpy (buf, x->held, take);
  memmove (x->held, x->held + take, x->nheld - take);
  x->nheld -= take;
  return take;
}

static gssize
xor_sendv (gpointer ctx, const struct iovec *iov, int iovcnt, GError **error)
{
  XorLayer *x = ctx;
  gssize total = 0;
  for (int i = 0; i < iovcnt; i++)
    {
      g_autofree guint8 *enc = g_memdup2 (iov[i].iov_base, iov[i].iov_len);
      for (size_t j = 0; j < iov[i].iov_len; j++)
        enc[j] ^= 0x5a;
      write_all (x->fd, enc, iov[i].iov_len);
      total += iov[i].iov_len;
    }
  return total;
}

static gboolean
xor_pending (gpointer ctx)
{
  return ((XorLayer *) ctx)->nheld > 0;
}

static void
xor_free (gpointer ctx)
{
  ((XorLayer *) ctx)->freed = TRUE;
}

static const GdTransportOps xor_ops = { xor_recv, xor_sendv, xor_pending, xor_free };

static void
test_layered (Fixture *f, gconstpointer data)
{
  XorLayer x = { .fd = f->fd };
  GdTransport *t = gd_transport_new_layered (f->fd, &xor_ops, &x);
  g_assert_cmpint (gd_transport_fd (t), ==, f->fd);
  /* Two messages in one write: the second word is decoded by the layer
   * but not yet returned when the first is read, so only "pending" tells
   * poll_word it is there (poll(2) on the fd sees nothing more). */
  guint8 wire[8];
  gd_put_be32 (wire, 0x01020304);
  gd_put_be32 (wire + 4, 0xffffeeee);
  for (int i = 0; i < 8; i++)
    wire[i] ^= 0x5a;
  write_all (f->peer, wire, sizeof wire);
  g_autoptr (GError) error = NULL;
  const guint8 *p = gd_transport_read (t, 4, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gd_get_be32 (p), ==, 0x01020304);
  g_assert_true (gd_transport_poll_word (t, 0xffffeeee));
  g_assert_false (gd_transport_poll_word (t, 0xffffeeee));
  /* Writes go through the layer. */
  g_assert_true (gd_transport_write (t, "abc", 3, &error));
  guint8 got[3];
  g_assert_cmpint (read (f->peer, got, 3), ==, 3);
  g_assert_cmpint (got[0], ==, 'a' ^ 0x5a);
  g_assert_cmpint (got[2], ==, 'c' ^ 0x5a);
  /* The layer's end of stream is the transport's. */
  close (f->peer);
  f->peer = -1;
  g_assert_null (gd_transport_read (t, 4, TRUE, &error));
  g_assert_no_error (error);
  gd_transport_free (t);
  g_assert_true (x.freed);
}

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/transport/be-helpers", test_be_helpers);
  g_test_add_func ("/transport/read-error", test_read_error);
  ADD ("/transport/read-whole", test_read_whole);
  ADD ("/transport/short-reads", test_short_reads);
  ADD ("/transport/large-message", test_large_message);
  ADD ("/transport/skip", test_skip);
  ADD ("/transport/skip-eof", test_skip_eof);
  ADD ("/transport/eof-between-messages", test_eof_between_messages);
  ADD ("/transport/eof-mid-message", test_eof_mid_message);
  ADD ("/transport/eof-not-ok", test_eof_not_ok);
  ADD ("/transport/poll-word", test_poll_word);
  ADD ("/transport/write", test_write);
  ADD ("/transport/writev-partial", test_writev_partial);
  ADD ("/transport/write-epipe", test_write_epipe);
  ADD ("/transport/layered", test_layered);
  return g_test_run ();
}
