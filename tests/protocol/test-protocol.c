/* Protocol tests: a raw client against a daemon served in-process.
 *
 * Every error path of the engine gets its own test, which checks the
 * errno name and the message, and then checks with ping_daemon that the
 * connection survived.  The daemon serves a temporary sysroot and two
 * drives: /dev/sda (ext4) and /dev/sdb (raw scratch space).
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "gd-actions.h"
#include "gd-private.h"
#include "gdt-client.h"
#include "gdt-server.h"

#define SDB_SIZE (16 * 1024 * 1024)

static struct
{
  char *tmpdir;
  char *sysroot;
  GuestfsdDaemon *daemon;
  gboolean private_ns;
  char *no_ns_reason;
  gboolean have_drives;
  char *no_drives_reason;
} env;

/* ---- helpers --------------------------------------------------------- */

static GdtServer *
start (void)
{
  g_autoptr (GError) error = NULL;
  GdtServer *s = gdt_server_start (env.daemon, &error);
  g_assert_no_error (error);
  return s;
}

static void
assert_ping (GdtServer *s)
{
  g_autoptr (GError) error = NULL;
  gboolean ok = gdt_ping (s->client, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
}

/* The connection must still work, and end cleanly when the client goes. */
static void
finish (GdtServer *s)
{
  assert_ping (s);
  g_autoptr (GError) error = NULL;
  gboolean ok = gdt_server_finish (s, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
}

static GdtReply *
recv_reply (GdtServer *s)
{
  g_autoptr (GError) error = NULL;
  GdtReply *r = gdt_recv_reply (s->client, &error);
  g_assert_no_error (error);
  g_assert_nonnull (r);
  return r;
}

static void
assert_error (GdtReply *r, const char *errno_name, const char *substring)
{
  g_assert_cmpuint (r->h.status, ==, GD_STATUS_ERROR);
  g_assert_cmpstr (r->errno_string, ==, errno_name);
  if (strstr (r->error_message, substring) == NULL)
    g_error ("error message \"%s\" does not contain \"%s\"", r->error_message, substring);
}

static void
assert_reply_to (GdtReply *r, guint32 proc, guint32 serial)
{
  g_assert_cmpuint (r->h.proc, ==, proc);
  g_assert_cmpuint (r->h.serial, ==, serial);
}

static guint32
send_call (GdtServer *s, guint32 proc, guint64 optargs, guint64 hint, xdrproc_t fn, void *args)
{
  g_autoptr (GError) error = NULL;
  guint32 serial = gdt_send_call (s->client, proc, optargs, hint, fn, args, &error);
  g_assert_no_error (error);
  return serial;
}

static void
send_message (GdtServer *s, const GdtHeader *h, const void *body, size_t len)
{
  g_autoptr (GError) error = NULL;
  gdt_send_message (s->client, h, body, len, &error);
  g_assert_no_error (error);
}

static void
send_raw (GdtServer *s, const void *buf, size_t len)
{
  g_autoptr (GError) error = NULL;
  gdt_send_raw (s->client, buf, len, &error);
  g_assert_no_error (error);
}

static void
send_word (GdtServer *s, guint32 word)
{
  g_autoptr (GError) error = NULL;
  gdt_send_word (s->client, word, &error);
  g_assert_no_error (error);
}

static void
send_chunk (GdtServer *s, int cancel, const void *data, size_t len)
{
  g_autoptr (GError) error = NULL;
  gdt_send_chunk (s->client, cancel, data, len, &error);
  g_assert_no_error (error);
}

static GdtItemKind
read_item_kind (GdtServer *s)
{
  g_autoptr (GError) error = NULL;
  GdtItem item;
  gdt_read_item (s->client, &item, &error);
  g_assert_no_error (error);
  g_free (item.data);
  return item.kind;
}

static GdtReply *
call (GdtServer *s, guint32 proc, xdrproc_t fn, void *args)
{
  g_autoptr (GError) error = NULL;
  GdtReply *r = gdt_call (s->client, proc, fn, args, &error);
  g_assert_no_error (error);
  g_assert_nonnull (r);
  return r;
}

static void
call_ok (GdtServer *s, guint32 proc, xdrproc_t fn, void *args)
{
  g_autoptr (GdtReply) r = call (s, proc, fn, args);
  if (r->h.status != GD_STATUS_OK)
    g_error ("procedure %u failed: %s %s", proc, r->errno_string, r->error_message);
}

static gboolean
need_drives (void)
{
  if (!env.have_drives)
    {
      g_test_skip (env.no_drives_reason);
      return FALSE;
    }
  return TRUE;
}

static gboolean
need_namespace (void)
{
  if (!env.private_ns)
    {
      g_test_skip (env.no_ns_reason);
      return FALSE;
    }
  return TRUE;
}

static void
mount_sda (GdtServer *s)
{
  gd_mount_args args = { .mountable = "/dev/sda", .mountpoint = "/" };
  call_ok (s, GD_PROC_MOUNT, (xdrproc_t) xdr_gd_mount_args, &args);
}

/* A procedure chosen by its properties from the generated table, so that
 * the tests keep working as handlers are written. */
static const GdProcedure *
find_procedure (gboolean (*pred) (const GdProcedure *))
{
  for (size_t i = 0;; i++)
    {
      const GdProcedure *p = gd_procedure_nth (i);
      if (p == NULL)
        return NULL;
      if (pred (p))
        return p;
    }
}

/* ---- basics ------------------------------------------------------------ */

static void
test_ping_echo (void)
{
  GdtServer *s = start ();
  char *words[] = { "hello", "", "world" };
  gd_echo_daemon_args args = { .words = { 3, words } };
  g_autoptr (GdtReply) r =
      call (s, GD_PROC_ECHO_DAEMON, (xdrproc_t) xdr_gd_echo_daemon_args, &args);
  g_assert_cmpuint (r->h.status, ==, GD_STATUS_OK);
  g_assert_cmpuint (r->progress->len, ==, 0);
  gd_echo_daemon_ret ret = { 0 };
  g_assert_true (gdt_reply_decode (r, (xdrproc_t) xdr_gd_echo_daemon_ret, &ret));
  g_assert_cmpstr (ret.ret, ==, "hello  world");
  xdr_free ((xdrproc_t) xdr_gd_echo_daemon_ret, (char *) &ret);
  finish (s);
}

/* Requests sent back to back in one write are answered in order. */
static void
test_pipelined (void)
{
  GdtServer *s = start ();
  GString *buf = g_string_new (NULL);
  guint32 serials[3];
  for (int i = 0; i < 3; i++)
    {
      serials[i] = gdt_client_next_serial (s->client) + i;
      guint8 msg[44];
      GdtHeader h = gdt_header_call (GD_PROC_PING_DAEMON, serials[i]);
      msg[0] = msg[1] = msg[2] = 0;
      msg[3] = 40;
      gdt_header_put (msg + 4, &h);
      g_string_append_len (buf, (char *) msg, sizeof msg);
    }
  send_raw (s, buf->str, buf->len);
  g_string_free (buf, TRUE);
  for (int i = 0; i < 3; i++)
    {
      g_autoptr (GdtReply) r = recv_reply (s);
      g_assert_cmpuint (r->h.status, ==, GD_STATUS_OK);
      assert_reply_to (r, GD_PROC_PING_DAEMON, serials[i]);
    }
  finish (s);
}

/* A request body of exactly GD_MESSAGE_MAX bytes is accepted. */
static void
test_max_size_request (void)
{
  GdtServer *s = start ();
  /* header 40 + list count 4 + string length 4 + string */
  size_t len = GD_MESSAGE_MAX - 48;
  g_autofree char *word = g_malloc (len + 1);
  memset (word, 'w', len);
  word[len] = '\0';
  char *words[] = { word };
  gd_echo_daemon_args args = { .words = { 1, words } };
  g_autoptr (GByteArray) body = gdt_encode ((xdrproc_t) xdr_gd_echo_daemon_args, &args);
  g_assert_cmpuint (40 + body->len, ==, GD_MESSAGE_MAX);
  GdtHeader h = gdt_header_call (GD_PROC_ECHO_DAEMON, 77);
  send_message (s, &h, body->data, body->len);
  g_autoptr (GdtReply) r = recv_reply (s);
  g_assert_cmpuint (r->h.status, ==, GD_STATUS_OK);
  assert_reply_to (r, GD_PROC_ECHO_DAEMON, 77);
  gd_echo_daemon_ret ret = { 0 };
  g_assert_true (gdt_reply_decode (r, (xdrproc_t) xdr_gd_echo_daemon_ret, &ret));
  g_assert_cmpuint (strlen (ret.ret), ==, len);
  g_assert_true (strcmp (ret.ret, word) == 0);
  xdr_free ((xdrproc_t) xdr_gd_echo_daemon_ret, (char *) &ret);
  finish (s);
}

/* internal_exit: an OK reply, then the daemon stops serving cleanly. */
static void
test_internal_exit (void)
{
  GdtServer *s = start ();
  g_autoptr (GdtReply) r = call (s, GD_PROC_INTERNAL_EXIT, NULL, NULL);
  g_assert_cmpuint (r->h.status, ==, GD_STATUS_OK);
  g_assert_true (gdt_expect_eof (s->client, 10000));
  g_autoptr (GError) error = NULL;
  g_assert_true (gdt_server_finish (s, &error));
  g_assert_no_error (error);
}

/* ---- header checks ------------------------------------------------------ */

static void
check_bad_header (GdtHeader h, const char *substring)
{
  GdtServer *s = start ();
  send_message (s, &h, NULL, 0);
  g_autoptr (GdtReply) r = recv_reply (s);
  assert_error (r, "EINVAL", substring);
  /* The procedure number of a bad header cannot be trusted. */
  assert_reply_to (r, 0, h.serial);
  finish (s);
}

static void
test_wrong_program (void)
{
  GdtHeader h = gdt_header_call (GD_PROC_PING_DAEMON, 5);
  h.prog = 0x2000F5F6;
  check_bad_header (h, "wrong program number");
}

static void
test_wrong_version (void)
{
  GdtHeader h = gdt_header_call (GD_PROC_PING_DAEMON, 6);
  h.vers = 3;
  check_bad_header (h, "wrong protocol version");
}

static void
test_wrong_direction (void)
{
  GdtHeader h = gdt_header_call (GD_PROC_PING_DAEMON, 7);
  h.direction = GD_DIRECTION_REPLY;
  check_bad_header (h, "direction is 1");
}

static void
test_wrong_status (void)
{
  GdtHeader h = gdt_header_call (GD_PROC_PING_DAEMON, 8);
  h.status = GD_STATUS_ERROR;
  check_bad_header (h, "status is 1");
}

/* A bad header on a FileIn procedure: nothing is cancelled (the daemon
 * cannot know that chunks follow), the reply comes at once. */
static void
test_bad_header_filein (void)
{
  GdtServer *s = start ();
  GdtHeader h = gdt_header_call (GD_PROC_UPLOAD, 9);
  h.vers = 5;
  gd_upload_args args = { .remotefilename = "/x" };
  g_autoptr (GByteArray) body = gdt_encode ((xdrproc_t) xdr_gd_upload_args, &args);
  send_message (s, &h, body->data, body->len);
  g_autoptr (GdtReply) r = recv_reply (s);
  assert_error (r, "EINVAL", "wrong protocol version");
  g_assert_cmpuint (r->cancel_flags, ==, 0);
  finish (s);
}

static void
test_unknown_procedure (void)
{
  GdtServer *s = start ();
  /* 0 and 4 are holes in the numbering; the others are beyond it. */
  const guint32 numbers[] = { 0, 4, GD_MAX_PROC_NR + 1, 9999, 0x7fffffff, 0xffffffff };
  for (guint i = 0; i < G_N_ELEMENTS (numbers); i++)
    {
      g_assert_null (gd_procedure_lookup (numbers[i]));
      guint32 serial = send_call (s, numbers[i], 0, 0, NULL, NULL);
      g_autoptr (GdtReply) r = recv_reply (s);
      g_autofree char *expect = g_strdup_printf ("unknown procedure number %u", numbers[i]);
      assert_error (r, "EINVAL", expect);
      assert_reply_to (r, numbers[i], serial);
    }
  finish (s);
}

/* ---- optional arguments ------------------------------------------------- */

static void
test_optargs_none_allowed (void)
{
  GdtServer *s = start ();
  guint32 serial = send_call (s, GD_PROC_PING_DAEMON, 1, 0, NULL, NULL);
  g_autoptr (GdtReply) r = recv_reply (s);
  assert_error (r, "EINVAL", "bitmask must be 0");
  assert_reply_to (r, GD_PROC_PING_DAEMON, serial);
  finish (s);
}

static gboolean
has_optargs_and_handler (const GdProcedure *p)
{
  return p->nr_optargs > 0 && p->nr_optargs < 63 && p->handler != NULL &&
         !(p->flags & (GD_PROC_FLAG_FILEIN | GD_PROC_FLAG_FILEOUT)) &&
         (p->group == GD_GROUP_NONE || gd_group_available (p->group));
}

static void
test_optargs_unknown_bit (void)
{
  const GdProcedure *p = find_procedure (has_optargs_and_handler);
  if (p == NULL)
    {
      g_test_skip ("no procedure with optional arguments has a handler yet");
      return;
    }
  g_test_message ("using %s (%u optional arguments)", p->name, p->nr_optargs);
  GdtServer *s = start ();
  const guint64 masks[] = { G_GUINT64_CONSTANT (1) << p->nr_optargs, G_GUINT64_CONSTANT (1) << 63,
                            G_MAXUINT64 };
  for (guint i = 0; i < G_N_ELEMENTS (masks); i++)
    {
      /* The check comes before the arguments are decoded. */
      guint32 serial = send_call (s, p->nr, masks[i], 0, NULL, NULL);
      g_autoptr (GdtReply) r = recv_reply (s);
      assert_error (r, "EINVAL", "unknown option in optional arguments bitmask");
      assert_reply_to (r, p->nr, serial);
    }
  finish (s);
}

/* The check fails on a FileIn procedure: the daemon must cancel the
 * upload and wait for the client's cancel before replying. */
static void
test_optargs_filein_cancels (void)
{
  GdtServer *s = start ();
  gd_upload_args args = { .remotefilename = "/x" };
  guint32 serial = send_call (s, GD_PROC_UPLOAD, 1, 0, (xdrproc_t) xdr_gd_upload_args, &args);
  g_assert_cmpint (read_item_kind (s), ==, GDT_ITEM_CANCEL);
  /* Data the client had in flight is thrown away. */
  send_chunk (s, 0, "abc", 3);
  send_chunk (s, 1, NULL, 0);
  g_autoptr (GdtReply) r = recv_reply (s);
  assert_error (r, "EINVAL", "bitmask must be 0");
  assert_reply_to (r, GD_PROC_UPLOAD, serial);
  finish (s);
}

/* ---- argument decoding -------------------------------------------------- */

static void
test_undecodable_args (void)
{
  GdtServer *s = start ();
  /* A list of 5 strings that is not there; a string longer than the
   * message; a length word cut short. */
  static const guint8 bodies[][8] = {
    { 0, 0, 0, 5 },
    { 0, 0, 0, 1, 0, 0, 0x10, 0 },
    { 0, 0 },
  };
  static const size_t lens[] = { 4, 8, 2 };
  for (guint i = 0; i < G_N_ELEMENTS (lens); i++)
    {
      GdtHeader h = gdt_header_call (GD_PROC_ECHO_DAEMON, 100 + i);
      send_message (s, &h, bodies[i], lens[i]);
      g_autoptr (GdtReply) r = recv_reply (s);
      assert_error (r, "EINVAL", "failed to decode procedure arguments");
      assert_reply_to (r, GD_PROC_ECHO_DAEMON, 100 + i);
    }
  finish (s);
}

static void
test_trailing_bytes (void)
{
  GdtServer *s = start ();
  char *words[] = { "a" };
  gd_echo_daemon_args args = { .words = { 1, words } };
  g_autoptr (GByteArray) body = gdt_encode ((xdrproc_t) xdr_gd_echo_daemon_args, &args);
  static const guint8 extra[4] = { 0 };
  g_byte_array_append (body, extra, sizeof extra);
  GdtHeader h = gdt_header_call (GD_PROC_ECHO_DAEMON, 200);
  send_message (s, &h, body->data, body->len);
  g_autoptr (GdtReply) r = recv_reply (s);
  assert_error (r, "EINVAL", "trailing bytes after the procedure arguments");
  assert_reply_to (r, GD_PROC_ECHO_DAEMON, 200);

  /* A procedure without arguments given some. */
  GdtHeader h2 = gdt_header_call (GD_PROC_PING_DAEMON, 201);
  send_message (s, &h2, extra, sizeof extra);
  g_autoptr (GdtReply) r2 = recv_reply (s);
  assert_error (r2, "EINVAL", "unexpected 4 bytes of arguments");
  assert_reply_to (r2, GD_PROC_PING_DAEMON, 201);
  finish (s);
}

/* ---- framing ------------------------------------------------------------- */

static void
test_truncated_message (void)
{
  GdtServer *s = start ();
  const guint32 lens[] = { 0, 4, 39 };
  for (guint i = 0; i < G_N_ELEMENTS (lens); i++)
    {
      guint8 buf[4 + 40];
      memset (buf, 0xab, sizeof buf);
      buf[0] = buf[1] = buf[2] = 0;
      buf[3] = lens[i];
      send_raw (s, buf, 4 + lens[i]);
      g_autoptr (GdtReply) r = recv_reply (s);
      g_autofree char *expect =
          g_strdup_printf ("message of %u bytes is too short for a request header", lens[i]);
      assert_error (r, "EINVAL", expect);
      assert_reply_to (r, 0, 0);
    }
  finish (s);
}

/* A length word beyond the 4 MiB limit (a stray 0xffffffff, a flag where
 * a length belongs) is lost synchronisation: the daemon closes the
 * connection at once, without waiting for a body, and says why. */
static void
test_oversize_message (void)
{
  static const guint32 words[] = { GD_MESSAGE_MAX + 1, 0xffffffffu, GD_LAUNCH_FLAG };
  for (gsize i = 0; i < G_N_ELEMENTS (words); i++)
    {
      GdtServer *s = start ();
      assert_ping (s);
      gint64 t0 = g_get_monotonic_time ();
      send_word (s, words[i]);
      g_assert_true (gdt_expect_eof (s->client, 10000));
      g_assert_cmpint (g_get_monotonic_time () - t0, <, 5 * G_USEC_PER_SEC);
      g_autoptr (GError) error = NULL;
      g_assert_false (gdt_server_finish (s, &error));
      g_assert_error (error, GUESTFSD_ERROR, GUESTFSD_ERROR_PROTOCOL);
      g_assert_nonnull (strstr (error->message, "lost synchronisation"));
    }
}

/* Cancel flags between requests are ignored without a reply. */
static void
test_stray_cancel_flag (void)
{
  GdtServer *s = start ();
  send_word (s, GD_CANCEL_FLAG);
  assert_ping (s);
  send_word (s, GD_CANCEL_FLAG);
  send_word (s, GD_CANCEL_FLAG);
  assert_ping (s);
  g_assert_false (gdt_readable (s->client, 100));
  finish (s);
}

/* The client goes away in the middle of a message: the daemon returns an
 * I/O error instead of waiting or crashing. */
static void
test_hangup_mid_message (void)
{
  GdtServer *s = start ();
  guint8 buf[4 + 20] = { 0, 0, 0, 100 };
  send_raw (s, buf, sizeof buf);
  g_autoptr (GError) error = NULL;
  g_assert_false (gdt_server_finish (s, &error));
  g_assert_error (error, GUESTFSD_ERROR, GUESTFSD_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "closed in the middle of a message"));
}

/* ---- procedures without a handler -------------------------------------- */

static gboolean
missing_plain (const GdProcedure *p)
{
  return p->handler == NULL && !(p->flags & (GD_PROC_FLAG_FILEIN | GD_PROC_FLAG_FILEOUT));
}

static gboolean
missing_filein (const GdProcedure *p)
{
  return p->handler == NULL && (p->flags & GD_PROC_FLAG_FILEIN);
}

static void
test_not_implemented (void)
{
  const GdProcedure *p = find_procedure (missing_plain);
  if (p == NULL)
    {
      g_test_skip ("every procedure has a handler");
      return;
    }
  GdtServer *s = start ();
  guint32 serial = send_call (s, p->nr, 0, 0, NULL, NULL);
  g_autoptr (GdtReply) r = recv_reply (s);
  g_autofree char *expect = g_strdup_printf ("%s: not implemented by this daemon", p->name);
  /* ENOTSUP and EOPNOTSUPP are one value on Linux; the name sent is the
   * one the 1.48 client maps back. */
  assert_error (r, "ENOTSUP", expect);
  g_assert_cmpstr (r->error_message, ==, expect);
  assert_reply_to (r, p->nr, serial);
  finish (s);
}

static void
test_not_implemented_filein (void)
{
  const GdProcedure *p = find_procedure (missing_filein);
  if (p == NULL)
    {
      g_test_skip ("every FileIn procedure has a handler");
      return;
    }
  GdtServer *s = start ();
  guint32 serial = send_call (s, p->nr, 0, 0, NULL, NULL);
  g_assert_cmpint (read_item_kind (s), ==, GDT_ITEM_CANCEL);
  send_chunk (s, 0, NULL, 0);
  g_autoptr (GdtReply) r = recv_reply (s);
  assert_error (r, "ENOTSUP", "not implemented by this daemon");
  assert_reply_to (r, p->nr, serial);
  finish (s);
}

/* ---- FileIn -------------------------------------------------------------- */

/* No filesystem is mounted: the daemon rejects the upload at once, sends
 * the cancel flag, drains what the client sends and then replies. */
static void
check_daemon_cancels_upload (gboolean client_ends_with_cancel)
{
  GdtServer *s = start ();
  gd_upload_args args = { .remotefilename = "/file" };
  guint32 serial =
      send_call (s, GD_PROC_UPLOAD, 0, 3 * 8192, (xdrproc_t) xdr_gd_upload_args, &args);
  g_assert_cmpint (read_item_kind (s), ==, GDT_ITEM_CANCEL);
  /* Nothing else comes before the client has finished its stream. */
  g_assert_false (gdt_readable (s->client, 100));
  static guint8 block[8192];
  send_chunk (s, 0, block, sizeof block);
  send_chunk (s, 0, block, sizeof block);
  send_chunk (s, client_ends_with_cancel, NULL, 0);
  g_autoptr (GdtReply) r = recv_reply (s);
  assert_error (r, "", "no filesystem is mounted on /");
  assert_reply_to (r, GD_PROC_UPLOAD, serial);
  g_assert_cmpuint (r->cancel_flags, ==, 0);
  finish (s);
}

static void
test_filein_daemon_cancel (void)
{
  check_daemon_cancels_upload (TRUE);
}

static void
test_filein_daemon_cancel_end_chunk (void)
{
  check_daemon_cancels_upload (FALSE);
}

/* The client cancels an upload the daemon was accepting. */
static void
test_filein_client_cancel (void)
{
  if (!need_drives ())
    return;
  GdtServer *s = start ();
  gd_upload_args args = { .remotefilename = "/dev/sdb" };
  guint32 serial = send_call (s, GD_PROC_UPLOAD, 0, 0, (xdrproc_t) xdr_gd_upload_args, &args);
  static guint8 block[8192];
  send_chunk (s, 0, block, sizeof block);
  send_chunk (s, 0, block, 100);
  send_chunk (s, 1, NULL, 0);
  g_autoptr (GdtReply) r = recv_reply (s);
  assert_error (r, "EINTR", "cancelled");
  assert_reply_to (r, GD_PROC_UPLOAD, serial);
  g_assert_cmpuint (r->cancel_flags, ==, 0);
  finish (s);
}

/* Both ends cancel: the client's cancel chunk is already on its way when
 * the daemon sends its cancel flag. */
static void
test_filein_both_cancel (void)
{
  GdtServer *s = start ();
  gd_upload_args args = { .remotefilename = "/file" };
  guint32 serial = send_call (s, GD_PROC_UPLOAD, 0, 0, (xdrproc_t) xdr_gd_upload_args, &args);
  send_chunk (s, 1, NULL, 0);
  g_autoptr (GdtReply) r = recv_reply (s);
  g_assert_cmpuint (r->cancel_flags, ==, 1);
  assert_error (r, "", "no filesystem is mounted on /");
  assert_reply_to (r, GD_PROC_UPLOAD, serial);
  finish (s);
}

/* Chunks that cannot be what the client meant: the daemon drains to the
 * end of the stream and reports EPROTO; the connection goes on. */
static void
check_malformed_chunk (const guint8 *raw, size_t len)
{
  GdtServer *s = start ();
  gd_upload_args args = { .remotefilename = "/dev/sdb" };
  guint32 serial = send_call (s, GD_PROC_UPLOAD, 0, 0, (xdrproc_t) xdr_gd_upload_args, &args);
  send_chunk (s, 0, "good", 4);
  send_raw (s, raw, len);
  send_chunk (s, 0, "more", 4);
  send_chunk (s, 0, NULL, 0);
  g_autoptr (GdtReply) r = recv_reply (s);
  assert_error (r, "EPROTO", "malformed file transfer chunk");
  assert_reply_to (r, GD_PROC_UPLOAD, serial);
  finish (s);
}

static void
test_malformed_chunk_cancel_value (void)
{
  if (!need_drives ())
    return;
  static const guint8 raw[] = { 0, 0, 0, 8, 0, 0, 0, 2, 0, 0, 0, 0 };
  check_malformed_chunk (raw, sizeof raw);
}

static void
test_malformed_chunk_too_much_data (void)
{
  if (!need_drives ())
    return;
  size_t dlen = GD_MAX_CHUNK_SIZE + 4;
  g_autofree guint8 *raw = g_malloc0 (12 + dlen);
  guint32 mlen = 8 + dlen;
  raw[0] = mlen >> 24, raw[1] = mlen >> 16, raw[2] = mlen >> 8, raw[3] = mlen;
  raw[8] = dlen >> 24, raw[9] = dlen >> 16, raw[10] = dlen >> 8, raw[11] = dlen;
  check_malformed_chunk (raw, 12 + dlen);
}

static void
test_malformed_chunk_bad_length (void)
{
  if (!need_drives ())
    return;
  /* 3 data bytes pad to 4, but the message says 8 bytes of data. */
  static const guint8 raw[] = { 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 0, 0, 0, 0, 0 };
  check_malformed_chunk (raw, sizeof raw);
}

static void
test_malformed_chunk_short (void)
{
  if (!need_drives ())
    return;
  static const guint8 raw[] = { 0, 0, 0, 4, 0, 0, 0, 0 };
  check_malformed_chunk (raw, sizeof raw);
}

/* A chunk length beyond the message limit cannot be skipped safely: the
 * daemon gives up on the connection, and says so. */
static void
test_chunk_oversize_breaks_connection (void)
{
  if (!need_drives ())
    return;
  GdtServer *s = start ();
  gd_upload_args args = { .remotefilename = "/dev/sdb" };
  send_call (s, GD_PROC_UPLOAD, 0, 0, (xdrproc_t) xdr_gd_upload_args, &args);
  send_word (s, GD_MESSAGE_MAX + 1);
  g_assert_true (gdt_expect_eof (s->client, 10000));
  g_autoptr (GError) error = NULL;
  g_assert_false (gdt_server_finish (s, &error));
  g_assert_error (error, GUESTFSD_ERROR, GUESTFSD_ERROR_PROTOCOL);
}

/* ---- FileOut ------------------------------------------------------------- */

static void
test_fileout_client_cancel (void)
{
  if (!need_drives ())
    return;
  GdtServer *s = start ();
  gd_download_args args = { .remotefilename = "/dev/sdb" };
  guint32 serial = send_call (s, GD_PROC_DOWNLOAD, 0, 0, (xdrproc_t) xdr_gd_download_args, &args);
  g_autoptr (GdtReply) r = recv_reply (s);
  g_assert_cmpuint (r->h.status, ==, GD_STATUS_OK);
  assert_reply_to (r, GD_PROC_DOWNLOAD, serial);
  g_autoptr (GByteArray) data = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  g_assert_cmpint (gdt_recv_chunk (s->client, data, NULL, &error), ==, GDT_CHUNK_DATA);
  send_word (s, GD_CANCEL_FLAG);
  int kind;
  while ((kind = gdt_recv_chunk (s->client, data, NULL, &error)) == GDT_CHUNK_DATA)
    ;
  g_assert_no_error (error);
  g_assert_cmpint (kind, ==, GDT_CHUNK_CANCEL);
  g_assert_cmpuint (data->len, <, SDB_SIZE);
  /* No reply follows the cancel chunk. */
  g_assert_false (gdt_readable (s->client, 200));
  finish (s);
}

/* The client cancels just as the daemon finishes: the late flag is read
 * as a stray flag between requests. */
static void
test_fileout_late_cancel (void)
{
  if (!need_drives ())
    return;
  GdtServer *s = start ();
  mount_sda (s);
  gd_upload_args up = { .remotefilename = "/small" };
  send_call (s, GD_PROC_UPLOAD, 0, 0, (xdrproc_t) xdr_gd_upload_args, &up);
  send_chunk (s, 0, "tiny", 4);
  send_chunk (s, 0, NULL, 0);
  g_autoptr (GdtReply) r1 = recv_reply (s);
  g_assert_cmpuint (r1->h.status, ==, GD_STATUS_OK);

  gd_download_args args = { .remotefilename = "/small" };
  send_call (s, GD_PROC_DOWNLOAD, 0, 0, (xdrproc_t) xdr_gd_download_args, &args);
  g_autoptr (GdtReply) r = recv_reply (s);
  g_assert_cmpuint (r->h.status, ==, GD_STATUS_OK);
  g_autoptr (GByteArray) data = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  g_assert_cmpint (gdt_recv_chunk (s->client, data, NULL, &error), ==, GDT_CHUNK_DATA);
  g_assert_cmpint (gdt_recv_chunk (s->client, data, NULL, &error), ==, GDT_CHUNK_END);
  g_assert_cmpmem (data->data, data->len, "tiny", 4);
  send_word (s, GD_CANCEL_FLAG);
  finish (s);
}

/* A failure before any data: an error reply and no chunks. */
static void
test_fileout_error_before_data (void)
{
  if (!need_drives ())
    return;
  GdtServer *s = start ();
  mount_sda (s);
  gd_download_args args = { .remotefilename = "/does-not-exist" };
  guint32 serial = send_call (s, GD_PROC_DOWNLOAD, 0, 0, (xdrproc_t) xdr_gd_download_args, &args);
  g_autoptr (GdtReply) r = recv_reply (s);
  assert_error (r, "ENOENT", "/does-not-exist");
  assert_reply_to (r, GD_PROC_DOWNLOAD, serial);
  g_assert_false (gdt_readable (s->client, 100));
  finish (s);
}

/* ---- progress ------------------------------------------------------------ */

typedef struct
{
  GdtClient *client;
  guint n_chunks;
  guint delay_ms;
  GError *error;
} SlowSender;

static gpointer
slow_sender (gpointer data)
{
  SlowSender *ss = data;
  g_autofree guint8 *block = g_malloc (8192);
  for (guint i = 0; i < ss->n_chunks; i++)
    {
      memset (block, 'a' + i % 26, 8192);
      g_usleep (ss->delay_ms * 1000);
      if (!gdt_send_chunk (ss->client, 0, block, 8192, &ss->error))
        return NULL;
    }
  gdt_send_chunk (ss->client, 0, NULL, 0, &ss->error);
  return NULL;
}

static void
test_progress_upload (void)
{
  if (!need_drives ())
    return;
  GdtServer *s = start ();
  mount_sda (s);

  SlowSender ss = { .client = s->client, .n_chunks = 70, .delay_ms = 50 };
  guint64 total = (guint64) ss.n_chunks * 8192;
  gd_upload_args args = { .remotefilename = "/big" };
  gint64 t0 = g_get_monotonic_time ();
  guint32 serial = send_call (s, GD_PROC_UPLOAD, 0, total, (xdrproc_t) xdr_gd_upload_args, &args);
  GThread *th = g_thread_new ("slow-sender", slow_sender, &ss);
  g_autoptr (GdtReply) r = recv_reply (s);
  g_thread_join (th);
  g_assert_no_error (ss.error);
  g_assert_cmpuint (r->h.status, ==, GD_STATUS_OK);
  assert_reply_to (r, GD_PROC_UPLOAD, serial);

  GArray *p = r->progress;
  gint64 elapsed = g_get_monotonic_time () - t0;
  g_test_message ("%u progress messages over %.2f s", p->len, elapsed / 1e6);
  g_assert_cmpuint (p->len, >=, 2);
  /* Rate-limited: one per 1/3 s after the first 2 s, plus the final one. */
  g_assert_cmpint (p->len, <=, (elapsed - 2000000) / 333333 + 2);
  guint64 last_pos = 0;
  for (guint i = 0; i < p->len; i++)
    {
      GdtProgress *m = &g_array_index (p, GdtProgress, i);
      g_assert_cmpuint (m->proc, ==, GD_PROC_UPLOAD);
      g_assert_cmpuint (m->serial, ==, serial);
      g_assert_cmpuint (m->total, ==, total);
      g_assert_cmpuint (m->position, >=, last_pos);
      g_assert_cmpuint (m->position, <=, total);
      last_pos = m->position;
      if (i == 0)
        g_assert_cmpint (m->time_us - t0, >=, 2000000);
      else if (m->position != m->total)
        {
          /* Slack for the reading thread being scheduled late; the count
           * above is the strict check. */
          gint64 gap = m->time_us - g_array_index (p, GdtProgress, i - 1).time_us;
          g_assert_cmpint (gap, >=, 333333 - 100000);
        }
    }
  GdtProgress *lastm = &g_array_index (p, GdtProgress, p->len - 1);
  g_assert_cmpuint (lastm->position, ==, total);

  /* What went up comes back down. */
  gd_download_args dargs = { .remotefilename = "/big" };
  send_call (s, GD_PROC_DOWNLOAD, 0, 0, (xdrproc_t) xdr_gd_download_args, &dargs);
  g_autoptr (GdtReply) dr = recv_reply (s);
  g_assert_cmpuint (dr->h.status, ==, GD_STATUS_OK);
  g_autoptr (GByteArray) data = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  int kind;
  while ((kind = gdt_recv_chunk (s->client, data, NULL, &error)) == GDT_CHUNK_DATA)
    ;
  g_assert_no_error (error);
  g_assert_cmpint (kind, ==, GDT_CHUNK_END);
  g_assert_cmpuint (data->len, ==, total);
  for (guint i = 0; i < ss.n_chunks; i++)
    g_assert_cmpint (data->data[i * 8192 + 17], ==, 'a' + i % 26);
  finish (s);
}

/* A fast request sends no progress at all. */
static void
test_progress_quiet_when_fast (void)
{
  if (!need_drives ())
    return;
  GdtServer *s = start ();
  gd_upload_args args = { .remotefilename = "/dev/sdb" };
  send_call (s, GD_PROC_UPLOAD, 0, 4 * 8192, (xdrproc_t) xdr_gd_upload_args, &args);
  static guint8 block[8192];
  for (int i = 0; i < 4; i++)
    send_chunk (s, 0, block, sizeof block);
  send_chunk (s, 0, NULL, 0);
  g_autoptr (GdtReply) r = recv_reply (s);
  g_assert_cmpuint (r->h.status, ==, GD_STATUS_OK);
  g_assert_cmpuint (r->progress->len, ==, 0);
  finish (s);
}

/* ---- limits -------------------------------------------------------------- */

static void
test_error_truncation (void)
{
  GdtServer *s = start ();
  /* A relative path is refused with a message that quotes it. */
  gd_mkdir_args args = { .path = "x" };
  g_autoptr (GdtReply) probe = call (s, GD_PROC_MKDIR, (xdrproc_t) xdr_gd_mkdir_args, &args);
  assert_error (probe, "EINVAL", "path must be absolute");
  size_t msglen = strlen (probe->error_message);
  g_assert_true (g_str_has_suffix (probe->error_message, ": x"));
  g_autofree char *prefix = g_strndup (probe->error_message, msglen - 1);
  size_t plen = strlen (prefix);

  const size_t sizes[] = { GD_ERROR_LEN - 1, GD_ERROR_LEN, GD_ERROR_LEN + 1, 3 * GD_ERROR_LEN };
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      size_t n = sizes[i] - plen;
      g_autofree char *path = g_malloc (n + 1);
      for (size_t j = 0; j < n; j++)
        path[j] = 'a' + j % 26;
      path[n] = '\0';
      args.path = path;
      g_autoptr (GdtReply) r = call (s, GD_PROC_MKDIR, (xdrproc_t) xdr_gd_mkdir_args, &args);
      g_assert_cmpuint (r->h.status, ==, GD_STATUS_ERROR);
      g_assert_cmpstr (r->errno_string, ==, "EINVAL");
      size_t got = strlen (r->error_message);
      g_assert_cmpuint (got, ==, MIN (sizes[i], (size_t) GD_ERROR_LEN));
      g_assert_true (g_str_has_prefix (r->error_message, prefix));
      g_assert_true (strncmp (r->error_message + plen, path, got - plen) == 0);
    }
  finish (s);
}

/* A result that does not fit in a message becomes an error reply.  The
 * 'mounts' result is made large with tmpfs mounts whose source names are
 * long, stacked on one directory of the sysroot. */
static void
test_reply_too_large (void)
{
  if (!need_namespace ())
    return;
  g_autofree char *dir = g_build_filename (env.sysroot, "stack", NULL);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_autofree char *source = g_malloc (4001);
  memset (source, 's', 4000);
  source[4000] = '\0';
  const int n = GD_MESSAGE_MAX / 4000 + 40;
  for (int i = 0; i < n; i++)
    {
      g_snprintf (source, 9, "%08d", i);
      source[8] = 's';
      if (mount (source, dir, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k") < 0)
        g_error ("mount tmpfs %d on %s: %s", i, dir, g_strerror (errno));
    }

  GdtServer *s = start ();
  guint32 serial = send_call (s, GD_PROC_MOUNTS, 0, 0, NULL, NULL);
  g_autoptr (GdtReply) r = recv_reply (s);
  assert_error (r, "E2BIG", "larger than the protocol's 4194304 byte message limit");
  assert_reply_to (r, GD_PROC_MOUNTS, serial);
  assert_ping (s);
  /* The daemon unmounts everything under the sysroot when the client
   * leaves. */
  finish (s);
  g_assert_cmpint (umount2 (dir, UMOUNT_NOFOLLOW), ==, -1);
  g_assert_cmpint (errno, ==, EINVAL);
}

/* ---- setup --------------------------------------------------------------- */

static void
setup_env (void)
{
  g_autoptr (GError) error = NULL;
  env.private_ns = gdt_private_mount_namespace (&error);
  if (!env.private_ns)
    env.no_ns_reason = g_strdup_printf ("no private mount namespace: %s", error->message);
  g_clear_error (&error);

  env.tmpdir = gdt_make_temp_dir ("gdt-protocol");
  env.sysroot = g_build_filename (env.tmpdir, "sysroot", NULL);
  g_assert_cmpint (g_mkdir (env.sysroot, 0755), ==, 0);
  env.daemon = guestfsd_daemon_new ();
  guestfsd_daemon_set_sysroot (env.daemon, env.sysroot);

  g_autofree char *sda = g_build_filename (env.tmpdir, "sda.img", NULL);
  g_autofree char *sdb = g_build_filename (env.tmpdir, "sdb.img", NULL);
  if (!env.private_ns)
    env.no_drives_reason = g_strdup (env.no_ns_reason);
  else if (!gdt_make_image (sda, 32 * 1024 * 1024, "ext4", &error) ||
           !gdt_make_image (sdb, SDB_SIZE, NULL, &error) ||
           !guestfsd_daemon_add_drive (env.daemon, sda, FALSE, &error) ||
           !guestfsd_daemon_add_drive (env.daemon, sdb, FALSE, &error))
    env.no_drives_reason = g_strdup_printf ("cannot set up the drives: %s", error->message);
  else
    env.have_drives = TRUE;
}

static void
teardown_env (void)
{
  guestfsd_daemon_shutdown (env.daemon);
  g_object_unref (env.daemon);
  gdt_rm_rf (env.tmpdir);
  g_free (env.tmpdir);
  g_free (env.sysroot);
  g_free (env.no_ns_reason);
  g_free (env.no_drives_reason);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  setup_env ();

  g_test_add_func ("/protocol/ping-echo", test_ping_echo);
  g_test_add_func ("/protocol/pipelined", test_pipelined);
  g_test_add_func ("/protocol/max-size-request", test_max_size_request);
  g_test_add_func ("/protocol/internal-exit", test_internal_exit);
  g_test_add_func ("/protocol/header/wrong-program", test_wrong_program);
  g_test_add_func ("/protocol/header/wrong-version", test_wrong_version);
  g_test_add_func ("/protocol/header/wrong-direction", test_wrong_direction);
  g_test_add_func ("/protocol/header/wrong-status", test_wrong_status);
  g_test_add_func ("/protocol/header/bad-filein", test_bad_header_filein);
  g_test_add_func ("/protocol/header/unknown-procedure", test_unknown_procedure);
  g_test_add_func ("/protocol/optargs/none-allowed", test_optargs_none_allowed);
  g_test_add_func ("/protocol/optargs/unknown-bit", test_optargs_unknown_bit);
  g_test_add_func ("/protocol/optargs/filein-cancels", test_optargs_filein_cancels);
  g_test_add_func ("/protocol/args/undecodable", test_undecodable_args);
  g_test_add_func ("/protocol/args/trailing-bytes", test_trailing_bytes);
  g_test_add_func ("/protocol/framing/truncated", test_truncated_message);
  g_test_add_func ("/protocol/framing/oversize", test_oversize_message);
  g_test_add_func ("/protocol/framing/stray-cancel", test_stray_cancel_flag);
  g_test_add_func ("/protocol/framing/hangup-mid-message", test_hangup_mid_message);
  g_test_add_func ("/protocol/not-implemented/plain", test_not_implemented);
  g_test_add_func ("/protocol/not-implemented/filein", test_not_implemented_filein);
  g_test_add_func ("/protocol/filein/daemon-cancel", test_filein_daemon_cancel);
  g_test_add_func ("/protocol/filein/daemon-cancel-end-chunk", test_filein_daemon_cancel_end_chunk);
  g_test_add_func ("/protocol/filein/client-cancel", test_filein_client_cancel);
  g_test_add_func ("/protocol/filein/both-cancel", test_filein_both_cancel);
  g_test_add_func ("/protocol/filein/malformed/cancel-value", test_malformed_chunk_cancel_value);
  g_test_add_func ("/protocol/filein/malformed/too-much-data", test_malformed_chunk_too_much_data);
  g_test_add_func ("/protocol/filein/malformed/bad-length", test_malformed_chunk_bad_length);
  g_test_add_func ("/protocol/filein/malformed/short", test_malformed_chunk_short);
  g_test_add_func ("/protocol/filein/malformed/oversize", test_chunk_oversize_breaks_connection);
  g_test_add_func ("/protocol/fileout/client-cancel", test_fileout_client_cancel);
  g_test_add_func ("/protocol/fileout/late-cancel", test_fileout_late_cancel);
  g_test_add_func ("/protocol/fileout/error-before-data", test_fileout_error_before_data);
  g_test_add_func ("/protocol/progress/upload", test_progress_upload);
  g_test_add_func ("/protocol/progress/quiet-when-fast", test_progress_quiet_when_fast);
  g_test_add_func ("/protocol/limits/error-truncation", test_error_truncation);
  g_test_add_func ("/protocol/limits/reply-too-large", test_reply_too_large);

  int ret = g_test_run ();
  teardown_env ();
  return ret;
}
