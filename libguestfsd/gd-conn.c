/* libguestfsd: one connection: framing, request validation, dispatch and
 * replies.
 *
 * Each request goes validate_header -> validate_request -> handle_request
 * -> finish_request.  Whatever a request does wrong, it gets exactly one
 * error reply and the connection goes on; only a broken stream (the peer
 * hung up, or chunk framing that cannot be trusted) ends it.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libguestfsd/guestfsd.h>

#include "gd-engine.h"

#define OUT_CAPACITY (GD_MESSAGE_MAX + 4)

static guint64
sysroot_mount_id (const char *sysroot, gboolean *ok)
{
  struct statx stx;
  *ok = statx (AT_FDCWD, sysroot, 0, STATX_MNT_ID, &stx) == 0 && (stx.stx_mask & STATX_MNT_ID);
  return *ok ? stx.stx_mnt_id : 0;
}

GdConnection *
gd_connection_new (const GdConfig *cfg, int fd)
{
  return gd_connection_new_transport (cfg, gd_transport_new (fd));
}

GdConnection *
gd_connection_new_transport (const GdConfig *cfg, GdTransport *t)
{
  GdConnection *conn = g_new0 (GdConnection, 1);
  conn->cfg = *cfg;
  conn->cfg.sysroot = g_strdup (cfg->sysroot);
  conn->cfg.peer = g_strdup (cfg->peer);
  conn->t = t;
  conn->umask = 022;
  g_datalist_init (&conn->data);
  conn->sysroot_mnt_id = sysroot_mount_id (conn->cfg.sysroot, &conn->sysroot_mnt_id_valid);
  conn->sysroot_fd = -1;
  conn->root_mounted = -1;
  conn->mountinfo_fd = open ("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
  return conn;
}

void
gd_connection_free (GdConnection *conn)
{
  if (conn == NULL)
    return;
  g_datalist_clear (&conn->data);
  gd_conn_mounts_invalidate (conn);
  if (conn->mountinfo_fd >= 0)
    close (conn->mountinfo_fd);
  if (conn->umount_keys)
    g_array_unref (conn->umount_keys);
  gd_transport_free (conn->t);
  g_free (conn->out);
  g_free (conn->cfg.sysroot);
  g_free (conn->cfg.peer);
  g_free (conn);
}

/* ---- accessors for handlers ---------------------------------------- */

GdConnection *
gd_request_connection (GdRequest *req)
{
  return req->conn;
}

const char *
gd_request_name (GdRequest *req)
{
  return req->proc ? req->proc->name : "unknown";
}

guint64
gd_request_optargs (GdRequest *req)
{
  return req->optargs;
}

guint64
gd_request_progress_hint (GdRequest *req)
{
  return req->progress_hint;
}

const char *
gd_conn_sysroot (GdConnection *conn)
{
  return conn->cfg.sysroot;
}

gboolean
gd_conn_live (GdConnection *conn)
{
  return conn->cfg.live;
}

gboolean
gd_conn_network (GdConnection *conn)
{
  return conn->cfg.network;
}

gboolean
gd_conn_verbose (GdConnection *conn)
{
  return conn->cfg.verbose;
}

gboolean
gd_conn_host_mode (GdConnection *conn)
{
  return conn->cfg.host_mode;
}

mode_t
gd_conn_umask (GdConnection *conn)
{
  return conn->umask;
}

void
gd_conn_set_umask (GdConnection *conn, mode_t mask)
{
  conn->umask = mask & 0777;
}

gpointer
gd_conn_get_data (GdConnection *conn, const char *key)
{
  return g_datalist_get_data (&conn->data, key);
}

void
gd_conn_set_data (GdConnection *conn, const char *key, gpointer data, GDestroyNotify destroy)
{
  g_datalist_set_data_full (&conn->data, key, data, destroy);
}

void
gd_conn_set_data_until_umount (GdConnection *conn, const char *key, gpointer data,
                               GDestroyNotify destroy)
{
  GQuark q = g_quark_from_string (key);
  if (conn->umount_keys == NULL)
    conn->umount_keys = g_array_new (FALSE, FALSE, sizeof (GQuark));
  gboolean known = FALSE;
  for (guint i = 0; i < conn->umount_keys->len; i++)
    known |= g_array_index (conn->umount_keys, GQuark, i) == q;
  if (!known)
    g_array_append_val (conn->umount_keys, q);
  g_datalist_id_set_data_full (&conn->data, q, data, destroy);
}

void
gd_conn_drop_umount_data (GdConnection *conn)
{
  for (guint i = 0; conn->umount_keys && i < conn->umount_keys->len; i++)
    g_datalist_id_remove_data (&conn->data, g_array_index (conn->umount_keys, GQuark, i));
}

void
gd_conn_request_exit (GdConnection *conn)
{
  conn->exit_requested = TRUE;
}

void
gd_log (GdConnection *conn, const char *fmt, ...)
{
  if (!conn->cfg.verbose)
    return;
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_printerr ("guestfsd: %s\n", msg);
}

void
gd_conn_mounts_invalidate (GdConnection *conn)
{
  if (conn->sysroot_fd >= 0)
    close (conn->sysroot_fd);
  conn->sysroot_fd = -1;
  conn->root_mounted = -1;
}

void
gd_conn_mounts_check (GdConnection *conn)
{
  /* One poll(2) instead of reopening the sysroot (open + close) and
   * re-deciding whether something is mounted on it for every request.
   * Mount-table changes by helper programs count too: they share our
   * namespace.  Without /proc nothing is kept. */
  struct pollfd pfd = { .fd = conn->mountinfo_fd, .events = POLLPRI };
  if (conn->mountinfo_fd < 0 || poll (&pfd, 1, 0) != 0)
    gd_conn_mounts_invalidate (conn);
}

static gboolean
root_mounted_now (GdConnection *conn)
{
  gboolean ok;
  guint64 id = sysroot_mount_id (conn->cfg.sysroot, &ok);
  if (ok && conn->sysroot_mnt_id_valid && id != conn->sysroot_mnt_id)
    return TRUE;
  /* Nothing on the sysroot itself; a mount below it also counts. */
  g_autoptr (GPtrArray) mounts = gd_mounts_list (conn, NULL);
  return mounts != NULL && mounts->len > 0;
}

gboolean
gd_is_root_mounted (GdConnection *conn)
{
  if (conn->cfg.live)
    return TRUE;
  gd_conn_mounts_check (conn);
  if (conn->root_mounted < 0)
    conn->root_mounted = root_mounted_now (conn);
  return conn->root_mounted;
}

/* ---- replies ------------------------------------------------------- */

static guint8 *
out_buffer (GdConnection *conn)
{
  /* Untouched pages of this buffer cost no memory. */
  if (conn->out == NULL)
    conn->out = g_malloc (OUT_CAPACITY);
  return conn->out;
}

void
gd_fill_reply_header (GdRequest *req, guint8 *p, gboolean error_status)
{
  gd_put_be32 (p, GD_PROGRAM);
  gd_put_be32 (p + 4, GD_PROTOCOL_VERSION);
  gd_put_be32 (p + 8, req->proc_nr);
  gd_put_be32 (p + 12, GD_DIRECTION_REPLY);
  gd_put_be32 (p + 16, req->serial);
  gd_put_be64 (p + 20, 0);
  gd_put_be64 (p + 28, 0);
  gd_put_be32 (p + 36, error_status ? GD_STATUS_ERROR : GD_STATUS_OK);
}

static gboolean
send_message (GdConnection *conn, guint8 *buf, size_t body_len, GError **error)
{
  gd_put_be32 (buf, body_len);
  if (!gd_transport_write (conn->t, buf, body_len + 4, error))
    {
      conn->broken = TRUE;
      return FALSE;
    }
  return TRUE;
}

static size_t
put_xdr_string (guint8 *p, const char *s, size_t len)
{
  gd_put_be32 (p, len);
  memcpy (p + 4, s, len);
  size_t padded = (len + 3) & ~(size_t) 3;
  memset (p + 4 + len, 0, padded - len);
  return 4 + padded;
}

static gboolean
send_error_reply (GdRequest *req, const GError *err, GError **error)
{
  GdConnection *conn = req->conn;
  int errnum = gd_error_get_errno (err);
  const char *name = gd_errno_name (errnum);
  const char *msg = err->message;
  size_t msg_len = strlen (msg);

  if (conn->cfg.verbose)
    g_printerr ("guestfsd: error: %s%s%s\n", msg, *name ? " " : "", name);
  if (msg_len > GD_ERROR_LEN)
    msg_len = GD_ERROR_LEN;

  guint8 *buf = out_buffer (conn);
  gd_fill_reply_header (req, buf + 4, TRUE);
  size_t pos = 4 + GD_HEADER_SIZE;
  pos += put_xdr_string (buf + pos, name, strlen (name));
  pos += put_xdr_string (buf + pos, msg, msg_len);
  return send_message (conn, buf, pos - 4, error);
}

gboolean
gd_send_ok_reply (GdRequest *req, GError **error)
{
  guint8 *buf = out_buffer (req->conn);
  gd_fill_reply_header (req, buf + 4, FALSE);
  return send_message (req->conn, buf, GD_HEADER_SIZE, error);
}

/* OK reply with the encoded return value; falls back to an error reply
 * when the value does not fit in a message. */
static gboolean
send_ret_reply (GdRequest *req, void *ret, GError **error)
{
  const GdProcedure *proc = req->proc;
  if (proc->xdr_ret == NULL)
    return gd_send_ok_reply (req, error);

  guint8 *buf = out_buffer (req->conn);
  XDR xdr;
  xdrmem_create (&xdr, (char *) buf + 4 + GD_HEADER_SIZE, GD_MESSAGE_MAX - GD_HEADER_SIZE,
                 XDR_ENCODE);
  gboolean encoded = proc->xdr_ret (&xdr, ret, 0);
  size_t len = xdr_getpos (&xdr);
  xdr_destroy (&xdr);
  if (!encoded)
    {
      g_autoptr (GError) too_big = NULL;
      gd_error_errno (&too_big, E2BIG,
                      "the result is larger than the protocol's %d byte message limit",
                      GD_MESSAGE_MAX);
      return send_error_reply (req, too_big, error);
    }
  gd_fill_reply_header (req, buf + 4, FALSE);
  return send_message (req->conn, buf, GD_HEADER_SIZE + len, error);
}

/* ---- the request path ---------------------------------------------- */

typedef struct
{
  guint32 prog, vers, proc, direction, serial, status;
  guint64 progress_hint, optargs;
} Header;

static void
decode_header (const guint8 *p, Header *h)
{
  h->prog = gd_get_be32 (p);
  h->vers = gd_get_be32 (p + 4);
  h->proc = gd_get_be32 (p + 8);
  h->direction = gd_get_be32 (p + 12);
  h->serial = gd_get_be32 (p + 16);
  h->progress_hint = gd_get_be64 (p + 20);
  h->optargs = gd_get_be64 (p + 28);
  h->status = gd_get_be32 (p + 36);
}

static gboolean
validate_header (const Header *h, GError **error)
{
  if (h->prog != GD_PROGRAM)
    {
      gd_error_errno (error, EINVAL, "wrong program number in request header (0x%x, expected 0x%x)",
                      h->prog, GD_PROGRAM);
      return FALSE;
    }
  if (h->vers != GD_PROTOCOL_VERSION)
    {
      gd_error_errno (error, EINVAL,
                      "wrong protocol version in request header (%u, this daemon speaks %d)",
                      h->vers, GD_PROTOCOL_VERSION);
      return FALSE;
    }
  if (h->direction != GD_DIRECTION_CALL)
    {
      gd_error_errno (error, EINVAL, "request header direction is %u, expected CALL (0)",
                      h->direction);
      return FALSE;
    }
  if (h->status != GD_STATUS_OK)
    {
      gd_error_errno (error, EINVAL, "request header status is %u, expected OK (0)", h->status);
      return FALSE;
    }
  return TRUE;
}

static gboolean
validate_request (GdRequest *req, const guint8 *body, size_t len, void **args_out, GError **error)
{
  const GdProcedure *proc = req->proc;

  /* Before anything else: a refused call learns nothing else about the
   * daemon, and the log says who tried. */
  const char *refused = gd_policy_refuses (req->conn->cfg.policy, proc);
  if (refused != NULL)
    {
      const char *why = strcmp (refused, "--read-only") == 0 ? "it can change the guest"
                        : strcmp (refused, "--block-rpcs") == 0
                            ? "it is blocked"
                            : "it is not in the list of allowed procedures";
      g_printerr ("guestfsd: refused %s from %s (%s)\n", proc->name,
                  req->conn->cfg.peer ? req->conn->cfg.peer : "the client", refused);
      gd_error_errno (error, EPERM, "refused by the daemon's policy %s: %s", refused, why);
      return FALSE;
    }
  if (proc->handler == NULL)
    {
      gd_error_errno (error, ENOTSUP, "%s: not implemented by this daemon", proc->name);
      return FALSE;
    }
  if (proc->group != GD_GROUP_NONE && !(proc->flags & GD_PROC_FLAG_UNGATED) &&
      !gd_group_available (proc->group))
    {
      gd_error_unavailable (error, gd_group_names[proc->group]);
      return FALSE;
    }
  if (proc->nr_optargs == 0 && req->optargs != 0)
    {
      gd_error_errno (error, EINVAL,
                      "optional arguments bitmask must be 0, this procedure has none");
      return FALSE;
    }
  if (proc->nr_optargs < 64 && (req->optargs >> proc->nr_optargs) != 0)
    {
      gd_error_errno (error, EINVAL,
                      "unknown option in optional arguments bitmask (0x%" G_GINT64_MODIFIER
                      "x; this procedure has %u)",
                      req->optargs, proc->nr_optargs);
      return FALSE;
    }
  if (proc->xdr_args == NULL)
    {
      if (len != 0)
        {
          gd_error_errno (error, EINVAL, "unexpected %zu bytes of arguments", len);
          return FALSE;
        }
      return TRUE;
    }

  void *args = g_malloc0 (proc->args_size);
  XDR xdr;
  xdrmem_create (&xdr, (char *) body, len, XDR_DECODE);
  gboolean decoded = proc->xdr_args (&xdr, args, 0);
  size_t used = xdr_getpos (&xdr);
  xdr_destroy (&xdr);
  if (!decoded || used != len)
    {
      xdr_free (proc->xdr_args, args);
      g_free (args);
      gd_error_errno (error, EINVAL,
                      decoded ? "trailing bytes after the procedure arguments"
                              : "daemon failed to decode procedure arguments");
      return FALSE;
    }
  *args_out = args;
  return TRUE;
}

char *
gd_map_device_names (GdConnection *conn, const char *text)
{
  GString *out = g_string_new (NULL);
  const char *p = text;
  const char *dev;
  while ((dev = strstr (p, "/dev/")) != NULL)
    {
      g_string_append_len (out, p, dev - p);
      size_t n = 5 + strspn (dev + 5, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                      "0123456789_-+/");
      g_autofree char *node = g_strndup (dev, n);
      g_autofree char *guest = gd_device_table_guest_name (conn->cfg.devices, node);
      g_string_append (out, guest);
      p = dev + n;
    }
  g_string_append (out, p);
  return g_string_free (out, FALSE);
}

/* On a host no guest name is also a node of ours, so mapping a message
 * that already says /dev/sda1 changes nothing; a stray host node left in a
 * handler's own message is translated.  (Not in the appliance, where the
 * kernel's /dev/sdb may be the guest's /dev/sda: there only helper output
 * is mapped, in gd-command.c.) */
static void
map_host_nodes (GdConnection *conn, GError *err)
{
  if (!conn->cfg.host_mode || strstr (err->message, "/dev/") == NULL)
    return;
  char *mapped = gd_map_device_names (conn, err->message);
  g_free (err->message);
  err->message = mapped;
}

static gboolean
handle_request (GdRequest *req, void *args, void **ret_out, GError **error)
{
  const GdProcedure *proc = req->proc;
  if (proc->ret_size > 0)
    *ret_out = g_malloc0 (proc->ret_size);
  /* Its group's library, if deferred, before the handler can fork. */
  gd_lazy_prepare (req);
  gboolean ok = proc->stub (req, args, *ret_out, error);
  /* A handler bug must not take the daemon down: make the outcome
   * consistent with the error instead. */
  if (!ok && *error == NULL)
    gd_error (error, "internal error: %s failed without giving a reason", proc->name);
  else if (!ok)
    map_host_nodes (req->conn, *error);
  else if (ok && *error != NULL)
    {
      g_warning ("%s succeeded but set an error: %s", proc->name, (*error)->message);
      g_clear_error (error);
    }
  return ok;
}

/* Settles the file transfer and sends the one reply of the request. */
static void
finish_request (GdRequest *req, gboolean ok, void *ret, GError *err)
{
  GdConnection *conn = req->conn;
  g_autoptr (GError) io_error = NULL;

  if (conn->broken)
    return;

  if (req->filein == GD_FILEIN_PENDING)
    {
      /* The handler did not take the upload: drain it, cancelling it first
       * when the request failed so the client stops sending. */
      gboolean drained =
          ok ? gd_filein_discard (req, &io_error) : gd_filein_cancel (req, &io_error);
      if (!drained)
        goto broken;
    }

  if (req->fileout != GD_FILEOUT_NONE)
    {
      if (gd_fileout_finish (req, ok, &io_error))
        return;
      if (io_error != NULL)
        goto broken;
    }

  if (ok ? send_ret_reply (req, ret, &io_error) : send_error_reply (req, err, &io_error))
    return;

broken:
  conn->broken = TRUE;
  g_printerr ("guestfsd: %s\n", io_error->message);
}

static void
log_request (GdRequest *req, size_t len)
{
  gd_log (req->conn, "<= %s (0x%x) request length %zu bytes", gd_request_name (req), req->proc_nr,
          len + 4);
}

static void
run_request (GdRequest *req, const guint8 *body, size_t len)
{
  const GdProcedure *proc = req->proc;
  void *args = NULL, *ret = NULL;
  g_autoptr (GError) error = NULL;

  req->filein = (proc->flags & GD_PROC_FLAG_FILEIN) ? GD_FILEIN_PENDING : GD_FILEIN_NONE;
  req->fileout = (proc->flags & GD_PROC_FLAG_FILEOUT) ? GD_FILEOUT_READY : GD_FILEOUT_NONE;

  gboolean ok =
      validate_request (req, body, len, &args, &error) && handle_request (req, args, &ret, &error);
  finish_request (req, ok, ret, error);

  if (args != NULL)
    {
      xdr_free (proc->xdr_args, args);
      g_free (args);
    }
  if (ret != NULL)
    {
      xdr_free (proc->xdr_ret, ret);
      g_free (ret);
    }
}

void
gd_request_cleanup (GdRequest *req)
{
  g_clear_pointer (&req->staging, g_free);
}

static void
init_request (GdRequest *req, GdConnection *conn, const Header *h)
{
  memset (req, 0, sizeof *req);
  req->conn = conn;
  req->proc_nr = h->proc;
  req->serial = h->serial;
  req->progress_hint = h->progress_hint;
  req->optargs = h->optargs;
  req->start_us = g_get_monotonic_time ();
}

/* Replies with an error that concerns the message as a whole. */
static void
reject_message (GdConnection *conn, const Header *h, GError *err)
{
  GdRequest req;
  init_request (&req, conn, h);
  req.proc = gd_procedure_lookup (h->proc);
  finish_request (&req, FALSE, NULL, err);
  gd_request_cleanup (&req);
}

static void
handle_message (GdConnection *conn, const guint8 *msg, size_t len)
{
  Header h;
  decode_header (msg, &h);
  g_autoptr (GError) error = NULL;

  if (!validate_header (&h, &error))
    {
      /* The procedure number cannot be trusted: no transfer is settled. */
      h.proc = 0;
      reject_message (conn, &h, error);
      return;
    }

  GdRequest req;
  init_request (&req, conn, &h);
  req.proc = gd_procedure_lookup (h.proc);
  if (req.proc == NULL)
    {
      gd_error_errno (&error, EINVAL, "unknown procedure number %u", h.proc);
      finish_request (&req, FALSE, NULL, error);
      return;
    }

  log_request (&req, len);
  run_request (&req, msg + GD_HEADER_SIZE, len - GD_HEADER_SIZE);
  gd_log (conn, "%s: %.3f ms", req.proc->name, (g_get_monotonic_time () - req.start_us) / 1000.0);
  gd_request_cleanup (&req);
}

static gboolean
reject_short (GdConnection *conn, guint32 len, GError **error)
{
  if (!gd_transport_skip (conn->t, len, error))
    return FALSE;
  Header h = { 0 };
  g_autoptr (GError) err = NULL;
  gd_error_errno (&err, EINVAL, "message of %u bytes is too short for a request header", len);
  reject_message (conn, &h, err);
  return TRUE;
}

gboolean
gd_connection_serve (GdConnection *conn, GError **error)
{
  guint8 flag[4];
  gd_put_be32 (flag, GD_LAUNCH_FLAG);
  if (!gd_transport_write (conn->t, flag, sizeof flag, error))
    return FALSE;

  while (!conn->exit_requested && !conn->broken)
    {
      g_autoptr (GError) local = NULL;
      const guint8 *p = gd_transport_read (conn->t, 4, TRUE, &local);
      if (p == NULL)
        {
          if (local == NULL)
            return TRUE; /* the client hung up between requests */
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      guint32 len = gd_get_be32 (p);
      gboolean ok = TRUE;
      if (len == GD_CANCEL_FLAG)
        continue; /* a cancel that arrived after its transfer ended */
      /* A length beyond the limit is no request (a stray 0xffffffff, a
       * flag word where a length belongs): the stream is out of step, and
       * waiting for up to 4 GiB of body would only hang the client. */
      if (len > GD_MESSAGE_MAX)
        {
          g_set_error (error, GUESTFSD_ERROR, GUESTFSD_ERROR_PROTOCOL,
                       "message length %u exceeds the protocol's %d byte limit: the connection "
                       "lost synchronisation and was closed",
                       len, GD_MESSAGE_MAX);
          return FALSE;
        }
      else if (len < GD_HEADER_SIZE)
        ok = reject_short (conn, len, &local);
      else
        {
          const guint8 *msg = gd_transport_read (conn->t, len, FALSE, &local);
          if (msg == NULL)
            ok = FALSE;
          else
            handle_message (conn, msg, len);
        }
      if (!ok)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
    }
  if (conn->broken)
    {
      g_set_error (error, GUESTFSD_ERROR, GUESTFSD_ERROR_PROTOCOL,
                   "the connection lost synchronisation and was closed");
      return FALSE;
    }
  return TRUE;
}
