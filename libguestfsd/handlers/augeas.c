/* libguestfsd handlers: Augeas configuration editing.
 *
 * Augeas reads and writes files by name below its root, following
 * symlinks the way the process sees them.  The handle therefore lives in
 * a worker process (worker.h) that chroots into the sysroot to load and
 * save, and only then: Augeas keeps no file open, so between requests the
 * worker holds nothing of the guest, and "/" can be unmounted under an
 * open handle, as with the original.  The lenses come from the host: a
 * template process loads them once per connection and forks the workers.
 * One handle per connection, dropped by aug_close, a new aug_init, and
 * umount_all (as the original does).
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <augeas.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gd-actions.h"
#include "gd-private.h"
#include "worker.h"

#define AUG_KEY "gd-augeas"
/* The template of the connection (see worker.h), for its last root and
 * flags: an aug_init with the same ones starts in milliseconds. */
#define AUG_TEMPLATE_KEY "gd-augeas-template"

/* The flags Augeas 1.14 defines; other bits are refused. */
#define KNOWN_FLAGS                                                                                \
  (AUG_SAVE_BACKUP | AUG_SAVE_NEWFILE | AUG_TYPE_CHECK | AUG_NO_STDINC | AUG_SAVE_NOOP |           \
   AUG_NO_LOAD | AUG_NO_MODL_AUTOLOAD | AUG_ENABLE_SPAN | AUG_NO_ERR_CLOSE |                       \
   AUG_TRACE_MODULE_LOADING)

enum
{
  OP_DEFVAR = 1,
  OP_DEFNODE,
  OP_GET,
  OP_SET,
  OP_INSERT,
  OP_RM,
  OP_MV,
  OP_MATCH,
  OP_SAVE,
  OP_LOAD,
  OP_SETM,
  OP_LABEL,
  OP_TRANSFORM,
};

/* ---- the worker ------------------------------------------------------- */

typedef struct
{
  const char *root;
  int flags;
} InitArgs;

/* An error reply carrying Augeas's own explanation. */
static GdWmsg *
aug_failure (augeas *aug, const char *what)
{
  GString *s = g_string_new (what);
  if (aug_error (aug) != AUG_NOERROR)
    {
      const char *parts[] = { aug_error_message (aug), aug_error_minor_message (aug),
                              aug_error_details (aug) };
      for (size_t i = 0; i < G_N_ELEMENTS (parts); i++)
        if (parts[i] && *parts[i])
          g_string_append_printf (s, ": %s", parts[i]);
    }
  GdWmsg *m = gd_wmsg_error (0, "%s", s->str);
  g_string_free (s, TRUE);
  return m;
}

/* Saving and loading record their failures per file in the tree
 * (/augeas/files/FILE/error/message), not in aug_error. */
static GdWmsg *
file_failures (augeas *aug, const char *what)
{
  if (aug_error (aug) != AUG_NOERROR)
    return aug_failure (aug, what);
  char **matches = NULL;
  int n = aug_match (aug, "/augeas/files//error", &matches);
  if (n <= 0)
    {
      free (matches);
      return aug_failure (aug, what);
    }
  GString *s = g_string_new (what);
  for (int i = 0; i < n; i++)
    {
      if (i < 8)
        {
          const char *msg = NULL;
          char *node = g_strconcat (matches[i], "/message", NULL);
          if (aug_get (aug, node, &msg) != 1 || msg == NULL)
            aug_get (aug, matches[i], &msg);
          g_free (node);
          const char *file = matches[i] + strlen ("/augeas/files");
          size_t len = strlen (file) - strlen ("/error");
          g_string_append_printf (s, "%s %.*s: %s", i ? ";" : ":", (int) len, file,
                                  msg ? msg : "error");
        }
      else if (i == 8)
        g_string_append_printf (s, "; and %d more", n - 8);
      free (matches[i]);
    }
  free (matches);
  GdWmsg *m = gd_wmsg_error (0, "%s", s->str);
  g_string_free (s, TRUE);
  return m;
}

/* The files Augeas could not load are listed under /augeas//error. */
static GdWmsg *
load_failure (augeas *aug)
{
  return file_failures (aug, "augeas load failed");
}

static GdWmsg *
serve (GdWorkerChild *wc, GdWmsg *req, gpointer data)
{
  augeas *aug = data;
  gint64 op, n;
  const char *a = NULL, *b = NULL, *c = NULL;
  if (!gd_wmsg_get_int (req, &op))
    return gd_wmsg_error (EINVAL, "bad request");
  /* Every request carries three strings and an integer. */
  if (!gd_wmsg_get_str (req, &a, NULL) || !gd_wmsg_get_str (req, &b, NULL) ||
      !gd_wmsg_get_str (req, &c, NULL) || !gd_wmsg_get_int (req, &n))
    return gd_wmsg_error (EINVAL, "bad request");

  GdWmsg *ok = NULL;
  int r;
  switch (op)
    {
    case OP_DEFVAR:
      r = aug_defvar (aug, a, b);
      if (r < 0)
        return aug_failure (aug, a);
      ok = gd_wmsg_ok ();
      gd_wmsg_int (ok, r);
      return ok;
    case OP_DEFNODE:
      {
        int created = 0;
        r = aug_defnode (aug, a, b, c, &created);
        if (r < 0)
          return aug_failure (aug, a);
        ok = gd_wmsg_ok ();
        gd_wmsg_int (ok, r);
        gd_wmsg_int (ok, created);
        return ok;
      }
    case OP_GET:
      {
        const char *value = NULL;
        r = aug_get (aug, a, &value);
        if (r == 0)
          return gd_wmsg_error (0, "%s: no matching node", a);
        if (r != 1)
          return aug_failure (aug, a);
        if (value == NULL)
          return gd_wmsg_error (0, "%s: the node has no value", a);
        ok = gd_wmsg_ok ();
        gd_wmsg_str (ok, value);
        return ok;
      }
    case OP_SET:
      if (aug_set (aug, a, b) < 0)
        return aug_failure (aug, a);
      return gd_wmsg_ok ();
    case OP_INSERT:
      if (aug_insert (aug, a, b, n != 0) < 0)
        return aug_failure (aug, a);
      return gd_wmsg_ok ();
    case OP_RM:
      r = aug_rm (aug, a);
      if (r < 0)
        return aug_failure (aug, a);
      ok = gd_wmsg_ok ();
      gd_wmsg_int (ok, r);
      return ok;
    case OP_MV:
      if (aug_mv (aug, a, b) < 0)
        return aug_failure (aug, a);
      return gd_wmsg_ok ();
    case OP_MATCH:
      {
        char **matches = NULL;
        r = aug_match (aug, a, &matches);
        if (r < 0)
          return aug_failure (aug, a);
        ok = gd_wmsg_ok ();
        gd_wmsg_int (ok, r);
        for (int i = 0; i < r; i++)
          {
            gd_wmsg_str (ok, matches[i]);
            free (matches[i]);
          }
        free (matches);
        return ok;
      }
    case OP_SAVE:
    case OP_LOAD:
      /* The only requests that touch files: in the guest for them only,
       * so that between requests the worker keeps nothing busy (Augeas
       * keeps no file open). */
      if (!gd_worker_child_chroot (wc))
        return gd_wmsg_errno ("chroot");
      umask ((mode_t) n & 0777);
      r = op == OP_SAVE ? aug_save (aug) : aug_load (aug);
      ok = r < 0 ? file_failures (aug, op == OP_SAVE ? "augeas save failed" : "augeas load failed")
                 : gd_wmsg_ok ();
      if (!gd_worker_child_leave (wc))
        {
          gd_wmsg_free (ok);
          return gd_wmsg_errno ("leaving the chroot");
        }
      return ok;
    case OP_SETM:
      r = aug_setm (aug, a, b, c);
      if (r < 0)
        return aug_failure (aug, a);
      ok = gd_wmsg_ok ();
      gd_wmsg_int (ok, r);
      return ok;
    case OP_LABEL:
      {
        const char *label = NULL;
        r = aug_label (aug, a, &label);
        if (r == 0)
          return gd_wmsg_error (0, "%s: no matching node", a);
        if (r != 1)
          return aug_failure (aug, a);
        if (label == NULL)
          return gd_wmsg_error (0, "%s: the node has no label", a);
        ok = gd_wmsg_ok ();
        gd_wmsg_str (ok, label);
        return ok;
      }
    case OP_TRANSFORM:
      if (aug_transform (aug, a, b, n != 0) < 0)
        return aug_failure (aug, a);
      return gd_wmsg_ok ();
    default:
      return gd_wmsg_error (EINVAL, "bad request");
    }
}

typedef struct
{
  augeas *aug;
  int flags; /* as the client gave them */
} Template;

/* A worker made by the template: the lenses are loaded already. */
static int
augeas_worker_main (GdWorkerChild *wc, gpointer data)
{
  Template *t = data;
  augeas *aug = t->aug;
  if (!(t->flags & AUG_NO_LOAD))
    {
      if (!gd_worker_child_chroot (wc))
        return gd_worker_child_fail (wc, gd_wmsg_errno ("chroot"));
      if (aug_load (aug) < 0)
        return gd_worker_child_fail (wc, load_failure (aug));
      if (!gd_worker_child_leave (wc))
        return gd_worker_child_fail (wc, gd_wmsg_errno ("chroot"));
    }
  return gd_worker_child_serve (wc, serve, aug);
}

/* The template: loads the lenses from the host (never chrooted, it
 * holds nothing of the guest), then makes workers. */
static int
augeas_template_main (GdWorkerChild *wc, gpointer data)
{
  InitArgs *args = data;
  /* All modules now, none looked up later (a worker cannot see them),
   * and no guest file yet. */
  int flags = (args->flags & ~AUG_NO_MODL_AUTOLOAD) | AUG_NO_LOAD | AUG_NO_ERR_CLOSE;
  augeas *aug = aug_init (args->root, NULL, flags);
  if (aug == NULL)
    return gd_worker_child_fail (wc, gd_wmsg_error (0, "augeas initialization failed"));
  if (aug_error (aug) != AUG_NOERROR)
    return gd_worker_child_fail (wc, aug_failure (aug, "augeas initialization failed"));
  if (!gd_worker_child_send (wc, gd_wmsg_ok ()))
    return 1;
  Template t = { aug, args->flags };
  return gd_worker_child_serve_template (wc, augeas_worker_main, &t);
}

/* ---- the handlers ------------------------------------------------------ */

typedef struct
{
  GdWorker *worker;
  char *root;
  int flags;
} AugTemplate;

static void
aug_template_free (AugTemplate *t)
{
  gd_worker_free (t->worker);
  g_free (t->root);
  g_free (t);
}

static GdWorker *
get_aug (GdRequest *req, GError **error)
{
  GdWorker *w = gd_conn_get_data (gd_request_connection (req), AUG_KEY);
  if (w == NULL)
    gd_error (error, "no Augeas handle: call aug_init first");
  return w;
}

/* One request to the worker; NULL with *error set on failure.  A worker
 * that died is dropped, so later calls ask for aug_init. */
static GdWmsg *
call (GdRequest *req, int op, const char *a, const char *b, const char *c, gint64 n, GError **error)
{
  GdWorker *w = get_aug (req, error);
  if (w == NULL)
    return NULL;
  g_autoptr (GdWmsg) m = gd_wmsg_new ();
  gd_wmsg_int (m, op);
  gd_wmsg_str (m, a);
  gd_wmsg_str (m, b);
  gd_wmsg_str (m, c);
  gd_wmsg_int (m, n);
  GdWmsg *reply = gd_worker_call (w, m, error);
  if (reply == NULL && !gd_worker_alive (w))
    gd_conn_set_data_until_umount (gd_request_connection (req), AUG_KEY, NULL, NULL);
  return reply;
}

static gboolean
call_int (GdRequest *req, int op, const char *a, const char *b, const char *c, gint64 n, int *ret,
          GError **error)
{
  g_autoptr (GdWmsg) reply = call (req, op, a, b, c, n, error);
  gint64 v;
  if (reply == NULL)
    return FALSE;
  if (!gd_wmsg_get_int (reply, &v))
    {
      gd_error_errno (error, EIO, "malformed reply from the augeas worker");
      return FALSE;
    }
  if (ret)
    *ret = (int) v;
  return TRUE;
}

static gboolean
call_str (GdRequest *req, int op, const char *a, char **ret, GError **error)
{
  g_autoptr (GdWmsg) reply = call (req, op, a, NULL, NULL, 0, error);
  const char *s;
  if (reply == NULL)
    return FALSE;
  if (!gd_wmsg_get_str (reply, &s, NULL) || s == NULL)
    {
      gd_error_errno (error, EIO, "malformed reply from the augeas worker");
      return FALSE;
    }
  *ret = g_strdup (s);
  return TRUE;
}

static char **
call_match (GdRequest *req, const char *path, GError **error)
{
  g_autoptr (GdWmsg) reply = call (req, OP_MATCH, path, NULL, NULL, 0, error);
  gint64 n;
  if (reply == NULL)
    return NULL;
  if (!gd_wmsg_get_int (reply, &n) || n < 0)
    goto bad;
  GPtrArray *out = g_ptr_array_new ();
  for (gint64 i = 0; i < n; i++)
    {
      const char *s;
      if (!gd_wmsg_get_str (reply, &s, NULL) || s == NULL)
        {
          g_ptr_array_free (out, TRUE);
          goto bad;
        }
      g_ptr_array_add (out, g_strdup (s));
    }
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
bad:
  gd_error_errno (error, EIO, "malformed reply from the augeas worker");
  return NULL;
}

gboolean
gd_do_aug_init (GdRequest *req, const char *root, int flags, GError **error)
{
  GdConnection *conn = gd_request_connection (req);
  /* Any previous handle goes, whether or not the new one can be made. */
  gd_conn_set_data_until_umount (conn, AUG_KEY, NULL, NULL);
  if (flags < 0 || (flags & ~KNOWN_FLAGS) != 0)
    {
      gd_error_errno (error, EINVAL, "%d: unknown Augeas flags", flags);
      return FALSE;
    }
  int fd = gd_open (req, root, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, error);
  if (fd < 0)
    return FALSE;
  close (fd);
  GdWorker *w = NULL;
  AugTemplate *t = gd_conn_get_data (conn, AUG_TEMPLATE_KEY);
  if (t && t->flags == flags && strcmp (t->root, root) == 0)
    {
      g_autoptr (GError) e = NULL;
      w = gd_worker_spawn (t->worker, &e);
      if (w == NULL)
        gd_log (conn, "augeas template: %s", e->message);
    }
  if (w == NULL)
    {
      /* A new template (dropping the previous one: its workers are the
       * daemon's children and live on). */
      gd_conn_set_data (conn, AUG_TEMPLATE_KEY, NULL, NULL);
      InitArgs args = { .root = root, .flags = flags };
      GdWorker *tw = gd_worker_start (req, "augeas", augeas_template_main, &args, error);
      if (tw == NULL)
        return FALSE;
      t = g_new0 (AugTemplate, 1);
      t->worker = tw;
      t->root = g_strdup (root);
      t->flags = flags;
      gd_conn_set_data (conn, AUG_TEMPLATE_KEY, t, (GDestroyNotify) aug_template_free);
      w = gd_worker_spawn (tw, error);
      if (w == NULL)
        return FALSE;
    }
  gd_conn_set_data_until_umount (conn, AUG_KEY, w, (GDestroyNotify) gd_worker_free);
  return TRUE;
}

gboolean
gd_do_aug_close (GdRequest *req, GError **error)
{
  if (get_aug (req, error) == NULL)
    return FALSE;
  gd_conn_set_data_until_umount (gd_request_connection (req), AUG_KEY, NULL, NULL);
  return TRUE;
}

gboolean
gd_do_aug_defvar (GdRequest *req, const char *name, const char *expr, int *ret, GError **error)
{
  return call_int (req, OP_DEFVAR, name, expr, NULL, 0, ret, error);
}

gboolean
gd_do_aug_defnode (GdRequest *req, const char *name, const char *expr, const char *val,
                   gd_int_bool *ret, GError **error)
{
  g_autoptr (GdWmsg) reply = call (req, OP_DEFNODE, name, expr, val, 0, error);
  gint64 i, b;
  if (reply == NULL)
    return FALSE;
  if (!gd_wmsg_get_int (reply, &i) || !gd_wmsg_get_int (reply, &b))
    {
      gd_error_errno (error, EIO, "malformed reply from the augeas worker");
      return FALSE;
    }
  ret->i = (int) i;
  ret->b = (int) b;
  return TRUE;
}

gboolean
gd_do_aug_get (GdRequest *req, const char *augpath, char **ret, GError **error)
{
  return call_str (req, OP_GET, augpath, ret, error);
}

gboolean
gd_do_aug_label (GdRequest *req, const char *augpath, char **ret, GError **error)
{
  return call_str (req, OP_LABEL, augpath, ret, error);
}

gboolean
gd_do_aug_set (GdRequest *req, const char *augpath, const char *val, GError **error)
{
  g_autoptr (GdWmsg) reply = call (req, OP_SET, augpath, val, NULL, 0, error);
  return reply != NULL;
}

gboolean
gd_do_aug_clear (GdRequest *req, const char *augpath, GError **error)
{
  /* aug_set with a NULL value. */
  g_autoptr (GdWmsg) reply = call (req, OP_SET, augpath, NULL, NULL, 0, error);
  return reply != NULL;
}

gboolean
gd_do_aug_insert (GdRequest *req, const char *augpath, const char *label, gboolean before,
                  GError **error)
{
  g_autoptr (GdWmsg) reply = call (req, OP_INSERT, augpath, label, NULL, before, error);
  return reply != NULL;
}

gboolean
gd_do_aug_rm (GdRequest *req, const char *augpath, int *ret, GError **error)
{
  return call_int (req, OP_RM, augpath, NULL, NULL, 0, ret, error);
}

gboolean
gd_do_aug_mv (GdRequest *req, const char *src, const char *dest, GError **error)
{
  g_autoptr (GdWmsg) reply = call (req, OP_MV, src, dest, NULL, 0, error);
  return reply != NULL;
}

gboolean
gd_do_aug_match (GdRequest *req, const char *augpath, char ***ret, GError **error)
{
  char **r = call_match (req, augpath, error);
  if (r == NULL)
    return FALSE;
  *ret = r;
  return TRUE;
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

gboolean
gd_do_aug_ls (GdRequest *req, const char *augpath, char ***ret, GError **error)
{
  size_t len = strlen (augpath);
  g_autofree char *pattern = NULL;
  if (strcmp (augpath, "/") == 0)
    pattern = g_strdup ("/*");
  else if (len > 1 && augpath[len - 1] == '/')
    {
      gd_error_errno (error, EINVAL, "%s: the path must not end with /", augpath);
      return FALSE;
    }
  else
    pattern = g_strconcat (augpath, "/*", NULL);
  char **r = call_match (req, pattern, error);
  if (r == NULL)
    return FALSE;
  qsort (r, g_strv_length (r), sizeof (char *), compare_strings);
  *ret = r;
  return TRUE;
}

gboolean
gd_do_aug_save (GdRequest *req, GError **error)
{
  if (!gd_check_root_mounted (req, error))
    return FALSE;
  g_autoptr (GdWmsg) reply =
      call (req, OP_SAVE, NULL, NULL, NULL, gd_conn_umask (gd_request_connection (req)), error);
  return reply != NULL;
}

gboolean
gd_do_aug_load (GdRequest *req, GError **error)
{
  if (!gd_check_root_mounted (req, error))
    return FALSE;
  g_autoptr (GdWmsg) reply = call (req, OP_LOAD, NULL, NULL, NULL, 0, error);
  return reply != NULL;
}

gboolean
gd_do_aug_setm (GdRequest *req, const char *base, const char *sub, const char *val, int *ret,
                GError **error)
{
  return call_int (req, OP_SETM, base, sub, val, 0, ret, error);
}

gboolean
gd_do_aug_transform (GdRequest *req, const char *lens, const char *file, gboolean remove,
                     GError **error)
{
  g_autoptr (GdWmsg) reply = call (req, OP_TRANSFORM, lens, file, NULL, remove, error);
  return reply != NULL;
}
