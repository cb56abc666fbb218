/* libguestfsd handlers: Windows registry hives, through libhivex.
 *
 * A hive is untrusted data parsed by a C library, and hivex opens files
 * by name: the handle lives in a worker process (worker.h), so a
 * malformed hive that crashes hivex kills only the worker, and the worker
 * opens and commits chrooted into the sysroot, so names (the hive, the
 * file hivex_commit writes) resolve inside the guest.  Only regular files are opened: a guest's device
 * node would be one of the host's devices.  One handle per connection,
 * dropped by hivex_close, a new hivex_open and umount_all.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <hivex.h>
#include <iconv.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gd-actions.h"
#include "gd-private.h"
#include "worker.h"

#define HIVEX_KEY "gd-hivex"

enum
{
  OP_ROOT = 1,
  OP_NODE_NAME,
  OP_NODE_CHILDREN,
  OP_NODE_GET_CHILD,
  OP_NODE_PARENT,
  OP_NODE_VALUES,
  OP_NODE_GET_VALUE,
  OP_VALUE_KEY,
  OP_VALUE_TYPE,
  OP_VALUE_VALUE,
  OP_VALUE_STRING,
  OP_COMMIT,
  OP_ADD_CHILD,
  OP_DELETE_CHILD,
  OP_SET_VALUE,
};

/* ---- the worker ------------------------------------------------------- */

typedef struct
{
  const char *filename;
  int flags;
} OpenArgs;

/* After a hivex call failed: hivex sets errno. */
static GdWmsg *hivex_failure (const char *fmt, ...) G_GNUC_PRINTF (1, 2);

static GdWmsg *
hivex_failure (const char *fmt, ...)
{
  int e = errno ? errno : EINVAL;
  va_list ap;
  va_start (ap, fmt);
  char *what = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  GdWmsg *m = gd_wmsg_error (e, "%s: %s", what, g_strerror (e));
  g_free (what);
  return m;
}

/* A regular file, or (may_create) a name that does not exist yet. */
static GdWmsg *
check_regular (const char *path, gboolean may_create)
{
  int fd = open (path, O_PATH | O_CLOEXEC);
  if (fd < 0)
    {
      if (errno == ENOENT && may_create)
        return NULL;
      return gd_wmsg_errno (path);
    }
  struct stat st;
  int r = fstat (fd, &st);
  int e = errno;
  close (fd);
  if (r < 0)
    return gd_wmsg_error (e, "%s: %s", path, g_strerror (e));
  if (!S_ISREG (st.st_mode))
    return gd_wmsg_error (S_ISDIR (st.st_mode) ? EISDIR : EINVAL, "%s: not a regular file", path);
  return NULL;
}

static GdWmsg *
ok_int (gint64 v)
{
  GdWmsg *m = gd_wmsg_ok ();
  gd_wmsg_int (m, v);
  return m;
}

static GdWmsg *
ok_str (char *s, size_t len)
{
  GdWmsg *m = gd_wmsg_ok ();
  gd_wmsg_bytes (m, s, len);
  free (s);
  return m;
}

static GdWmsg *
ok_handles (size_t *list)
{
  GdWmsg *m = gd_wmsg_ok ();
  size_t n = 0;
  while (list[n] != 0)
    n++;
  gd_wmsg_int (m, (gint64) n);
  for (size_t i = 0; i < n; i++)
    gd_wmsg_int (m, (gint64) list[i]);
  free (list);
  return m;
}

typedef struct
{
  hive_h *h;
  const char *filename;
} Hive;

static GdWmsg *
serve (GdWorkerChild *wc, GdWmsg *req, gpointer hive)
{
  hive_h *h = ((Hive *) hive)->h;
  const char *filename = ((Hive *) hive)->filename;
  gint64 op, a, b;
  const char *s;
  const char *data;
  size_t len;
  if (!gd_wmsg_get_int (req, &op) || !gd_wmsg_get_int (req, &a) || !gd_wmsg_get_int (req, &b) ||
      !gd_wmsg_get_str (req, &s, NULL) || !gd_wmsg_get_str (req, &data, &len))
    return gd_wmsg_error (EINVAL, "bad request");
  size_t node = (size_t) a;
  char *str;
  size_t *list, r;
  hive_type t;
  errno = 0;
  switch (op)
    {
    case OP_ROOT:
      r = hivex_root (h);
      return r ? ok_int ((gint64) r) : hivex_failure ("root");
    case OP_NODE_NAME:
      str = hivex_node_name (h, node);
      return str ? ok_str (str, strlen (str)) : hivex_failure ("node %" PRId64, a);
    case OP_NODE_CHILDREN:
      list = hivex_node_children (h, node);
      return list ? ok_handles (list) : hivex_failure ("node %" PRId64, a);
    case OP_NODE_GET_CHILD:
      r = hivex_node_get_child (h, node, s);
      /* 0 without errno: no child of that name. */
      return r || errno == 0 ? ok_int ((gint64) r) : hivex_failure ("node %" PRId64, a);
    case OP_NODE_PARENT:
      r = hivex_node_parent (h, node);
      return r ? ok_int ((gint64) r) : hivex_failure ("node %" PRId64, a);
    case OP_NODE_VALUES:
      list = hivex_node_values (h, node);
      return list ? ok_handles (list) : hivex_failure ("node %" PRId64, a);
    case OP_NODE_GET_VALUE:
      r = hivex_node_get_value (h, node, s);
      return r || errno == 0 ? ok_int ((gint64) r) : hivex_failure ("node %" PRId64, a);
    case OP_VALUE_KEY:
      str = hivex_value_key (h, node);
      return str ? ok_str (str, strlen (str)) : hivex_failure ("value %" PRId64, a);
    case OP_VALUE_TYPE:
      return hivex_value_type (h, node, &t, &len) == 0 ? ok_int (t)
                                                       : hivex_failure ("value %" PRId64, a);
    case OP_VALUE_VALUE:
      str = hivex_value_value (h, node, &t, &len);
      return str ? ok_str (str, len) : hivex_failure ("value %" PRId64, a);
    case OP_VALUE_STRING:
      str = hivex_value_string (h, node);
      return str ? ok_str (str, strlen (str)) : hivex_failure ("value %" PRId64, a);
    case OP_COMMIT:
      {
        /* Names resolve in the guest, for this request only. */
        if (!gd_worker_child_chroot (wc))
          return gd_wmsg_errno ("chroot");
        GdWmsg *reply = s ? check_regular (s, TRUE) : NULL;
        if (reply == NULL)
          {
            umask ((mode_t) b & 0777);
            errno = 0;
            reply = hivex_commit (h, s, 0) == 0 ? gd_wmsg_ok ()
                                                : hivex_failure ("%s", s ? s : filename);
          }
        if (!gd_worker_child_leave (wc))
          {
            gd_wmsg_free (reply);
            return gd_wmsg_errno ("leaving the chroot");
          }
        return reply;
      }
    case OP_ADD_CHILD:
      r = hivex_node_add_child (h, node, s);
      return r ? ok_int ((gint64) r) : hivex_failure ("node %" PRId64 ": %s", a, s);
    case OP_DELETE_CHILD:
      return hivex_node_delete_child (h, node) == 0 ? gd_wmsg_ok ()
                                                    : hivex_failure ("node %" PRId64, a);
    case OP_SET_VALUE:
      {
        hive_set_value v = {
          .key = (char *) s,
          .t = (hive_type) b,
          .len = len,
          .value = (char *) data,
        };
        return hivex_node_set_value (h, node, &v, 0) == 0
                   ? gd_wmsg_ok ()
                   : hivex_failure ("node %" PRId64 ": %s", a, s);
      }
    default:
      return gd_wmsg_error (EINVAL, "bad request");
    }
}

/* hivex converts names and strings with iconv, whose modules and
 * configuration are the host's: load them before the chroot, and keep
 * them loaded (the descriptors stay open) for hivex's own iconv_open. */
static void
preload_iconv (void)
{
  static const char *const pairs[][2] = {
    { "UTF-8", "LATIN1" },
    { "LATIN1", "UTF-8" },
    { "UTF-8", "UTF-16LE" },
    { "UTF-16LE", "UTF-8" },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (pairs); i++)
    (void) iconv_open (pairs[i][0], pairs[i][1]);
}

static int
hivex_main (GdWorkerChild *wc, gpointer data)
{
  OpenArgs *args = data;
  preload_iconv ();
  if (!gd_worker_child_chroot (wc))
    return gd_worker_child_fail (wc, gd_wmsg_errno ("chroot"));
  GdWmsg *bad = check_regular (args->filename, FALSE);
  if (bad)
    return gd_worker_child_fail (wc, bad);
  errno = 0;
  hive_h *h = hivex_open (args->filename, args->flags);
  if (h == NULL)
    return gd_worker_child_fail (wc, hivex_failure ("%s", args->filename));
  /* A hive opened for writing is read into memory and its file closed:
   * out of the guest, the worker then keeps nothing busy (a read-only
   * hive stays mapped, as with the original). */
  if (!gd_worker_child_leave (wc))
    return gd_worker_child_fail (wc, gd_wmsg_errno ("chroot"));
  Hive hive = { h, args->filename };
  int status = gd_worker_child_serve (wc, serve, &hive);
  hivex_close (h);
  return status;
}

/* ---- the handlers ------------------------------------------------------ */

static GdWmsg *
call_full (GdRequest *req, int op, gint64 a, gint64 b, const char *s, const void *data, size_t len,
           GError **error)
{
  GdConnection *conn = gd_request_connection (req);
  GdWorker *w = gd_conn_get_data (conn, HIVEX_KEY);
  if (w == NULL)
    {
      gd_error (error, "no hive is open: call hivex_open first");
      return NULL;
    }
  g_autoptr (GdWmsg) m = gd_wmsg_new ();
  gd_wmsg_int (m, op);
  gd_wmsg_int (m, a);
  gd_wmsg_int (m, b);
  gd_wmsg_str (m, s);
  gd_wmsg_bytes (m, data ? data : "", data ? len : 0);
  GdWmsg *reply = gd_worker_call (w, m, error);
  if (reply == NULL && !gd_worker_alive (w))
    gd_conn_set_data_until_umount (conn, HIVEX_KEY, NULL, NULL);
  return reply;
}

static GdWmsg *
call (GdRequest *req, int op, gint64 a, const char *s, GError **error)
{
  return call_full (req, op, a, 0, s, NULL, 0, error);
}

static gboolean
malformed (GError **error)
{
  gd_error_errno (error, EIO, "malformed reply from the hivex worker");
  return FALSE;
}

static gboolean
call_int (GdRequest *req, int op, gint64 a, const char *s, int64_t *ret, GError **error)
{
  g_autoptr (GdWmsg) reply = call (req, op, a, s, error);
  gint64 v;
  if (reply == NULL)
    return FALSE;
  if (!gd_wmsg_get_int (reply, &v))
    return malformed (error);
  *ret = v;
  return TRUE;
}

static gboolean
call_str (GdRequest *req, int op, gint64 a, char **ret, size_t *ret_size, GError **error)
{
  g_autoptr (GdWmsg) reply = call (req, op, a, NULL, error);
  const char *s;
  size_t len;
  if (reply == NULL)
    return FALSE;
  if (!gd_wmsg_get_str (reply, &s, &len) || s == NULL)
    return malformed (error);
  if (ret_size)
    {
      *ret = g_memdup2 (s, len);
      *ret_size = len;
    }
  else
    *ret = g_strdup (s);
  return TRUE;
}

/* The handles of a list reply, as a NULL-free array (count in *n). */
static gint64 *
call_handles (GdRequest *req, int op, gint64 a, size_t *n, GError **error)
{
  g_autoptr (GdWmsg) reply = call (req, op, a, NULL, error);
  gint64 count;
  if (reply == NULL)
    return NULL;
  if (!gd_wmsg_get_int (reply, &count) || count < 0 || count > G_MAXINT32)
    {
      malformed (error);
      return NULL;
    }
  gint64 *out = g_new0 (gint64, count ? count : 1);
  for (gint64 i = 0; i < count; i++)
    if (!gd_wmsg_get_int (reply, &out[i]))
      {
        g_free (out);
        malformed (error);
        return NULL;
      }
  *n = (size_t) count;
  return out;
}

gboolean
gd_do_hivex_open (GdRequest *req, const char *filename, gboolean verbose, gboolean debug,
                  gboolean write, gboolean unsafe, GError **error)
{
  GdConnection *conn = gd_request_connection (req);
  gd_conn_set_data_until_umount (conn, HIVEX_KEY, NULL, NULL);
  OpenArgs args = {
    .filename = filename,
    .flags = (verbose ? HIVEX_OPEN_VERBOSE : 0) | (debug ? HIVEX_OPEN_DEBUG : 0) |
             (write ? HIVEX_OPEN_WRITE : 0) | (unsafe ? HIVEX_OPEN_UNSAFE : 0),
  };
  GdWorker *w = gd_worker_start (req, "hivex", hivex_main, &args, error);
  if (w == NULL)
    return FALSE;
  gd_conn_set_data_until_umount (conn, HIVEX_KEY, w, (GDestroyNotify) gd_worker_free);
  return TRUE;
}

gboolean
gd_do_hivex_close (GdRequest *req, GError **error)
{
  GdConnection *conn = gd_request_connection (req);
  if (gd_conn_get_data (conn, HIVEX_KEY) == NULL)
    {
      gd_error (error, "no hive is open: call hivex_open first");
      return FALSE;
    }
  gd_conn_set_data_until_umount (conn, HIVEX_KEY, NULL, NULL);
  return TRUE;
}

gboolean
gd_do_hivex_root (GdRequest *req, int64_t *ret, GError **error)
{
  return call_int (req, OP_ROOT, 0, NULL, ret, error);
}

gboolean
gd_do_hivex_node_name (GdRequest *req, int64_t nodeh, char **ret, GError **error)
{
  return call_str (req, OP_NODE_NAME, nodeh, ret, NULL, error);
}

gboolean
gd_do_hivex_node_children (GdRequest *req, int64_t nodeh, gd_hivex_node_list *ret, GError **error)
{
  size_t n;
  g_autofree gint64 *h = call_handles (req, OP_NODE_CHILDREN, nodeh, &n, error);
  if (h == NULL)
    return FALSE;
  ret->gd_hivex_node_list_len = (u_int) n;
  ret->gd_hivex_node_list_val = g_new0 (gd_hivex_node, n ? n : 1);
  for (size_t i = 0; i < n; i++)
    ret->gd_hivex_node_list_val[i].hivex_node_h = h[i];
  return TRUE;
}

gboolean
gd_do_hivex_node_get_child (GdRequest *req, int64_t nodeh, const char *name, int64_t *ret,
                            GError **error)
{
  return call_int (req, OP_NODE_GET_CHILD, nodeh, name, ret, error);
}

gboolean
gd_do_hivex_node_parent (GdRequest *req, int64_t nodeh, int64_t *ret, GError **error)
{
  return call_int (req, OP_NODE_PARENT, nodeh, NULL, ret, error);
}

gboolean
gd_do_hivex_node_values (GdRequest *req, int64_t nodeh, gd_hivex_value_list *ret, GError **error)
{
  size_t n;
  g_autofree gint64 *h = call_handles (req, OP_NODE_VALUES, nodeh, &n, error);
  if (h == NULL)
    return FALSE;
  ret->gd_hivex_value_list_len = (u_int) n;
  ret->gd_hivex_value_list_val = g_new0 (gd_hivex_value, n ? n : 1);
  for (size_t i = 0; i < n; i++)
    ret->gd_hivex_value_list_val[i].hivex_value_h = h[i];
  return TRUE;
}

gboolean
gd_do_hivex_node_get_value (GdRequest *req, int64_t nodeh, const char *key, int64_t *ret,
                            GError **error)
{
  return call_int (req, OP_NODE_GET_VALUE, nodeh, key, ret, error);
}

gboolean
gd_do_hivex_value_key (GdRequest *req, int64_t valueh, char **ret, GError **error)
{
  return call_str (req, OP_VALUE_KEY, valueh, ret, NULL, error);
}

gboolean
gd_do_hivex_value_type (GdRequest *req, int64_t valueh, int64_t *ret, GError **error)
{
  return call_int (req, OP_VALUE_TYPE, valueh, NULL, ret, error);
}

gboolean
gd_do_hivex_value_value (GdRequest *req, int64_t valueh, char **ret, size_t *ret_size,
                         GError **error)
{
  return call_str (req, OP_VALUE_VALUE, valueh, ret, ret_size, error);
}

gboolean
gd_do_hivex_value_string (GdRequest *req, int64_t valueh, char **ret, GError **error)
{
  return call_str (req, OP_VALUE_STRING, valueh, ret, NULL, error);
}

gboolean
gd_do_hivex_value_utf8 (GdRequest *req, int64_t valueh, char **ret, GError **error)
{
  return call_str (req, OP_VALUE_STRING, valueh, ret, NULL, error);
}

gboolean
gd_do_hivex_commit (GdRequest *req, const char *filename, GError **error)
{
  if (filename != NULL ? !gd_check_pathname (req, "filename", filename, error)
                       : !gd_check_root_mounted (req, error))
    return FALSE;
  g_autoptr (GdWmsg) reply = call_full (
      req, OP_COMMIT, 0, gd_conn_umask (gd_request_connection (req)), filename, NULL, 0, error);
  return reply != NULL;
}

gboolean
gd_do_hivex_node_add_child (GdRequest *req, int64_t parent, const char *name, int64_t *ret,
                            GError **error)
{
  return call_int (req, OP_ADD_CHILD, parent, name, ret, error);
}

gboolean
gd_do_hivex_node_delete_child (GdRequest *req, int64_t nodeh, GError **error)
{
  g_autoptr (GdWmsg) reply = call (req, OP_DELETE_CHILD, nodeh, NULL, error);
  return reply != NULL;
}

gboolean
gd_do_hivex_node_set_value (GdRequest *req, int64_t nodeh, const char *key, int64_t t,
                            const char *val, size_t val_size, GError **error)
{
  if (t < 0 || t > UINT32_MAX)
    {
      gd_error_errno (error, EINVAL, "%" PRId64 ": not a registry value type", t);
      return FALSE;
    }
  g_autoptr (GdWmsg) reply = call_full (req, OP_SET_VALUE, nodeh, t, key, val, val_size, error);
  return reply != NULL;
}
