/* libguestfsd handlers: reading a guest's systemd journal (sd-journal).
 *
 * sd-journal opens the journal files (and machine-id subdirectories) by
 * name, so, as for Augeas, the handle lives in a worker process chrooted
 * into the sysroot (worker.h).  One handle per connection, dropped by
 * journal_close, a new journal_open and umount_all.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "fsutil.h"
#include "gd-actions.h"
#include "gd-private.h"
#include "worker.h"

#define JOURNAL_KEY "gd-journal"

enum
{
  OP_NEXT = 1,
  OP_SKIP,
  OP_GET,
  OP_GET_THRESHOLD,
  OP_SET_THRESHOLD,
  OP_REALTIME,
};

/* ---- the worker ------------------------------------------------------- */

static GdWmsg *
sd_failure (int r, const char *what)
{
  return gd_wmsg_error (-r, "%s: %s", what, g_strerror (-r));
}

static GdWmsg *
serve (GdWorkerChild *wc, GdWmsg *req, gpointer journal)
{
  sd_journal *j = journal;
  gint64 op, n;
  if (!gd_wmsg_get_int (req, &op) || !gd_wmsg_get_int (req, &n))
    return gd_wmsg_error (EINVAL, "bad request");
  GdWmsg *ok;
  int r;
  switch (op)
    {
    case OP_NEXT:
      r = sd_journal_next (j);
      if (r < 0)
        return sd_failure (r, "sd_journal_next");
      ok = gd_wmsg_ok ();
      gd_wmsg_int (ok, r > 0);
      return ok;
    case OP_SKIP:
      r = n >= 0 ? sd_journal_next_skip (j, (uint64_t) n)
                 : sd_journal_previous_skip (j, n == G_MININT64 ? G_MAXINT64 : (uint64_t) -n);
      if (r < 0)
        return sd_failure (r, n >= 0 ? "sd_journal_next_skip" : "sd_journal_previous_skip");
      ok = gd_wmsg_ok ();
      gd_wmsg_int (ok, r);
      return ok;
    case OP_GET:
      {
        const void *data;
        size_t len;
        ok = gd_wmsg_ok ();
        sd_journal_restart_data (j);
        while ((r = sd_journal_enumerate_data (j, &data, &len)) > 0)
          gd_wmsg_bytes (ok, data, len);
        if (r < 0)
          {
            gd_wmsg_free (ok);
            return sd_failure (r, "sd_journal_enumerate_data");
          }
        return ok;
      }
    case OP_GET_THRESHOLD:
      {
        size_t t;
        r = sd_journal_get_data_threshold (j, &t);
        if (r < 0)
          return sd_failure (r, "sd_journal_get_data_threshold");
        ok = gd_wmsg_ok ();
        gd_wmsg_int (ok, (gint64) t);
        return ok;
      }
    case OP_SET_THRESHOLD:
      r = sd_journal_set_data_threshold (j, (size_t) n);
      if (r < 0)
        return sd_failure (r, "sd_journal_set_data_threshold");
      return gd_wmsg_ok ();
    case OP_REALTIME:
      {
        uint64_t usec;
        r = sd_journal_get_realtime_usec (j, &usec);
        if (r < 0)
          return sd_failure (r, "sd_journal_get_realtime_usec");
        ok = gd_wmsg_ok ();
        gd_wmsg_int (ok, (gint64) usec);
        return ok;
      }
    default:
      return gd_wmsg_error (EINVAL, "bad request");
    }
}

static int
journal_main (GdWorkerChild *wc, gpointer data)
{
  const char *directory = data;
  if (!gd_worker_child_chroot (wc))
    return gd_worker_child_fail (wc, gd_wmsg_errno ("chroot"));
  sd_journal *j = NULL;
  int r = sd_journal_open_directory (&j, directory, 0);
  if (r < 0)
    return gd_worker_child_fail (wc, gd_wmsg_error (-r, "%s: %s", directory, g_strerror (-r)));
  int status = gd_worker_child_serve (wc, serve, j);
  sd_journal_close (j);
  return status;
}

/* ---- the handlers ------------------------------------------------------ */

static GdWmsg *
call (GdRequest *req, int op, gint64 n, GError **error)
{
  GdConnection *conn = gd_request_connection (req);
  GdWorker *w = gd_conn_get_data (conn, JOURNAL_KEY);
  if (w == NULL)
    {
      gd_error (error, "no journal is open: call journal_open first");
      return NULL;
    }
  g_autoptr (GdWmsg) m = gd_wmsg_new ();
  gd_wmsg_int (m, op);
  gd_wmsg_int (m, n);
  GdWmsg *reply = gd_worker_call (w, m, error);
  if (reply == NULL && !gd_worker_alive (w))
    gd_conn_set_data_until_umount (conn, JOURNAL_KEY, NULL, NULL);
  return reply;
}

static gboolean
call_int (GdRequest *req, int op, gint64 n, int64_t *ret, GError **error)
{
  g_autoptr (GdWmsg) reply = call (req, op, n, error);
  gint64 v;
  if (reply == NULL)
    return FALSE;
  if (!gd_wmsg_get_int (reply, &v))
    {
      gd_error_errno (error, EIO, "malformed reply from the journal worker");
      return FALSE;
    }
  if (ret)
    *ret = v;
  return TRUE;
}

gboolean
gd_do_journal_open (GdRequest *req, const char *directory, GError **error)
{
  GdConnection *conn = gd_request_connection (req);
  gd_conn_set_data_until_umount (conn, JOURNAL_KEY, NULL, NULL);
  int fd = gd_open (req, directory, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, error);
  if (fd < 0)
    return FALSE;
  close (fd);
  GdWorker *w = gd_worker_start (req, "journal", journal_main, (gpointer) directory, error);
  if (w == NULL)
    return FALSE;
  gd_conn_set_data_until_umount (conn, JOURNAL_KEY, w, (GDestroyNotify) gd_worker_free);
  return TRUE;
}

gboolean
gd_do_journal_close (GdRequest *req, GError **error)
{
  GdConnection *conn = gd_request_connection (req);
  if (gd_conn_get_data (conn, JOURNAL_KEY) == NULL)
    {
      gd_error (error, "no journal is open: call journal_open first");
      return FALSE;
    }
  gd_conn_set_data_until_umount (conn, JOURNAL_KEY, NULL, NULL);
  return TRUE;
}

gboolean
gd_do_journal_next (GdRequest *req, gboolean *ret, GError **error)
{
  int64_t v;
  if (!call_int (req, OP_NEXT, 0, &v, error))
    return FALSE;
  *ret = v != 0;
  return TRUE;
}

gboolean
gd_do_journal_skip (GdRequest *req, int64_t skip, int64_t *ret, GError **error)
{
  return call_int (req, OP_SKIP, skip, ret, error);
}

gboolean
gd_do_journal_get_data_threshold (GdRequest *req, int64_t *ret, GError **error)
{
  return call_int (req, OP_GET_THRESHOLD, 0, ret, error);
}

gboolean
gd_do_journal_set_data_threshold (GdRequest *req, int64_t threshold, GError **error)
{
  if (!gd_fs_check_not_negative (NULL, "threshold", threshold, error))
    return FALSE;
  g_autoptr (GdWmsg) reply = call (req, OP_SET_THRESHOLD, threshold, error);
  return reply != NULL;
}

gboolean
gd_do_journal_get_realtime_usec (GdRequest *req, int64_t *ret, GError **error)
{
  return call_int (req, OP_REALTIME, 0, ret, error);
}

gboolean
gd_do_internal_journal_get (GdRequest *req, GError **error)
{
  g_autoptr (GdWmsg) reply = call (req, OP_GET, 0, error);
  if (reply == NULL)
    return FALSE;
  if (!gd_fileout_begin (req, error))
    return FALSE;
  const char *field;
  size_t len;
  /* Each field: its length as 8 bytes big-endian, then FIELD=value. */
  while (gd_wmsg_get_str (reply, &field, &len) && field != NULL)
    {
      guint64 be = GUINT64_TO_BE ((guint64) len);
      if (!gd_fileout_write (req, &be, sizeof be, error) ||
          !gd_fileout_write (req, field, len, error))
        return FALSE;
    }
  return TRUE;
}
