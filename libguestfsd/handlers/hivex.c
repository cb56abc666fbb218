/* libguestfsd handlers: Windows registry hives, through libhivex.
 *
 * hivex opens files by name, so the hive is first opened inside the guest
 * (gd_open) and hivex is given the fd's /proc/self/fd/N name: it reopens
 * that very file, and hivex_commit writes back to it (or to another file
 * opened the same way).  One handle per connection, dropped by
 * hivex_close, a new hivex_open and umount_all.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <hivex.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gd-actions.h"
#include "gd-private.h"

#define HIVEX_KEY "gd-hivex"

typedef struct
{
  hive_h *h;
  int fd; /* the hive file, kept open so its /proc/self/fd name stays valid */
  char *filename;
} Hive;

static void
hive_free (Hive *hv)
{
  if (hv->h)
    hivex_close (hv->h);
  if (hv->fd >= 0)
    close (hv->fd);
  g_free (hv->filename);
  g_free (hv);
}

static hive_h *
get_hive (GdRequest *req, GError **error)
{
  Hive *hv = gd_conn_get_data (gd_request_connection (req), HIVEX_KEY);
  if (hv == NULL)
    {
      gd_error (error, "no hive is open: call hivex_open first");
      return NULL;
    }
  return hv->h;
}

/* After a hivex call failed: hivex always sets errno. */
static gboolean hivex_failed (GError **error, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static gboolean
hivex_failed (GError **error, const char *fmt, ...)
{
  int e = errno ? errno : EINVAL;
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *what = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  gd_error_errno (error, e, "%s: %s", what, g_strerror (e));
  return FALSE;
}

/* A regular file of the guest, opened without blocking on a FIFO. */
static int
open_hive_file (GdRequest *req, const char *path, int flags, GError **error)
{
  int fd = gd_open (req, path, flags | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0666, error);
  if (fd < 0)
    return -1;
  struct stat st;
  if (fstat (fd, &st) < 0)
    {
      gd_perror (error, "%s", path);
      close (fd);
      return -1;
    }
  if (!S_ISREG (st.st_mode))
    {
      gd_error_errno (error, S_ISDIR (st.st_mode) ? EISDIR : EINVAL, "%s: not a regular file",
                      path);
      close (fd);
      return -1;
    }
  return fd;
}

gboolean
gd_do_hivex_open (GdRequest *req, const char *filename, gboolean verbose, gboolean debug,
                  gboolean write, gboolean unsafe, GError **error)
{
  GdConnection *conn = gd_request_connection (req);
  gd_conn_set_data_until_umount (conn, HIVEX_KEY, NULL, NULL);

  int fd = open_hive_file (req, filename, O_RDONLY, error);
  if (fd < 0)
    return FALSE;
  int flags = (verbose ? HIVEX_OPEN_VERBOSE : 0) | (debug ? HIVEX_OPEN_DEBUG : 0) |
              (write ? HIVEX_OPEN_WRITE : 0) | (unsafe ? HIVEX_OPEN_UNSAFE : 0);
  g_autofree char *name = gd_fd_path (fd);
  errno = 0;
  hive_h *h = hivex_open (name, flags);
  if (h == NULL)
    {
      int e = errno;
      close (fd);
      errno = e;
      return hivex_failed (error, "%s", filename);
    }
  Hive *hv = g_new0 (Hive, 1);
  hv->h = h;
  hv->fd = fd;
  hv->filename = g_strdup (filename);
  gd_conn_set_data_until_umount (conn, HIVEX_KEY, hv, (GDestroyNotify) hive_free);
  return TRUE;
}

gboolean
gd_do_hivex_close (GdRequest *req, GError **error)
{
  if (get_hive (req, error) == NULL)
    return FALSE;
  gd_conn_set_data_until_umount (gd_request_connection (req), HIVEX_KEY, NULL, NULL);
  return TRUE;
}

gboolean
gd_do_hivex_root (GdRequest *req, int64_t *ret, GError **error)
{
  hive_h *h = get_hive (req, error);
  if (h == NULL)
    return FALSE;
  errno = 0;
  hive_node_h r = hivex_root (h);
  if (r == 0)
    return hivex_failed (error, "root");
  *ret = (int64_t) r;
  return TRUE;
}

gboolean
gd_do_hivex_node_name (GdRequest *req, int64_t nodeh, char **ret, GError **error)
{
  hive_h *h = get_hive (req, error);
  if (h == NULL)
    return FALSE;
  errno = 0;
  char *r = hivex_node_name (h, (hive_node_h) nodeh);
  if (r == NULL)
    return hivex_failed (error, "node %" PRId64, nodeh);
  *ret = g_strdup (r);
  free (r);
  return TRUE;
}

gboolean
gd_do_hivex_node_children (GdRequest *req, int64_t nodeh, gd_hivex_node_list *ret, GError **error)
{
  hive_h *h = get_hive (req, error);
  if (h == NULL)
    return FALSE;
  errno = 0;
  hive_node_h *r = hivex_node_children (h, (hive_node_h) nodeh);
  if (r == NULL)
    return hivex_failed (error, "node %" PRId64, nodeh);
  size_t n = 0;
  while (r[n] != 0)
    n++;
  ret->gd_hivex_node_list_len = (u_int) n;
  ret->gd_hivex_node_list_val = g_new0 (gd_hivex_node, n ? n : 1);
  for (size_t i = 0; i < n; i++)
    ret->gd_hivex_node_list_val[i].hivex_node_h = (quad_t) r[i];
  free (r);
  return TRUE;
}

gboolean
gd_do_hivex_node_get_child (GdRequest *req, int64_t nodeh, const char *name, int64_t *ret,
                            GError **error)
{
  hive_h *h = get_hive (req, error);
  if (h == NULL)
    return FALSE;
  errno = 0;
  hive_node_h r = hivex_node_get_child (h, (hive_node_h) nodeh, name);
  if (r == 0 && errno != 0)
    return hivex_failed (error, "node %" PRId64, nodeh);
  *ret = (int64_t) r; /* 0: no child of that name */
  return TRUE;
}

gboolean
gd_do_hivex_node_parent (GdRequest *req, int64_t nodeh, int64_t *ret, GError **error)
{
  hive_h *h = get_hive (req, error);
  if (h == NULL)
    return FALSE;
  errno = 0;
  hive_node_h r = hivex_node_parent (h, (hive_node_h) nodeh);
  if (r == 0)
    return hivex_failed (error, "node %" PRId64, nodeh);
  *ret = (int64_t) r;
  return TRUE;
}

gboolean
gd_do_hivex_node_values (GdRequest *req, int64_t nodeh, gd_hivex_value_list *ret, GError **error)
{
  hive_h *h = get_hive (req, error);
  if (h == NULL)
    return FALSE;
  errno = 0;
  hive_value_h *r = hivex_node_values (h, (hive_node_h) nodeh);
  if (r == NULL)
    return hivex_failed (error, "node %" PRId64, nodeh);
  size_t n = 0;
  while (r[n] != 0)
    n++;
  ret->gd_hivex_value_list_len = (u_int) n;
  ret->gd_hivex_value_list_val = g_new0 (gd_hivex_value, n ? n : 1);
  for (size_t i = 0; i < n; i++)
    ret->gd_hivex_value_list_val[i].hivex_value_h = (quad_t) r[i];
  free (r);
  return TRUE;
}

gboolean
gd_do_hivex_node_get_value (GdRequest *req, int64_t nodeh, const char *key, int64_t *ret,
                            GError **error)
{
  hive_h *h = get_hive (req, error);
  if (h == NULL)
    return FALSE;
  errno = 0;
  hive_value_h r = hivex_node_get_value (h, (hive_node_h) nodeh, key);
  if (r == 0 && errno != 0)
    return hivex_failed (error, "node %" PRId64, nodeh);
  *ret = (int64_t) r; /* 0: no value of that key */
  return TRUE;
}

gboolean
gd_do_hivex_value_key (GdRequest *req, int64_t valueh, char **ret, GError **error)
{
  hive_h *h = get_hive (req, error);
  if (h == NULL)
    return FALSE;
  errno = 0;
  char *r = hivex_value_key (h, (hive_value_h) valueh);
  if (r == NULL)
    return hivex_failed (error, "value %" PRId64, valueh);
  *ret = g_strdup (r);
  free (r);
  return TRUE;
}

gboolean
gd_do_hivex_value_type (GdRequest *req, int64_t valueh, int64_t *ret, GError **error)
{
  hive_h *h = get_hive (req, error);
  if (h == NULL)
    return FALSE;
  hive_type t;
  size_t len;
  errno = 0;
  if (hivex_value_type (h, (hive_value_h) valueh, &t, &len) < 0)
    return hivex_failed (error, "value %" PRId64, valueh);
  *ret = (int64_t) t;
  return TRUE;
}

gboolean
gd_do_hivex_value_value (GdRequest *req, int64_t valueh, char **ret, size_t *ret_size,
                         GError **error)
{
  hive_h *h = get_hive (req, error);
  if (h == NULL)
    return FALSE;
  hive_type t;
  size_t len = 0;
  errno = 0;
  char *r = hivex_value_value (h, (hive_value_h) valueh, &t, &len);
  if (r == NULL)
    return hivex_failed (error, "value %" PRId64, valueh);
  *ret = g_memdup2 (r, len);
  *ret_size = len;
  free (r);
  return TRUE;
}

static gboolean
value_string (GdRequest *req, int64_t valueh, char **ret, GError **error)
{
  hive_h *h = get_hive (req, error);
  if (h == NULL)
    return FALSE;
  errno = 0;
  char *r = hivex_value_string (h, (hive_value_h) valueh);
  if (r == NULL)
    return hivex_failed (error, "value %" PRId64, valueh);
  *ret = g_strdup (r);
  free (r);
  return TRUE;
}

gboolean
gd_do_hivex_value_string (GdRequest *req, int64_t valueh, char **ret, GError **error)
{
  return value_string (req, valueh, ret, error);
}

gboolean
gd_do_hivex_value_utf8 (GdRequest *req, int64_t valueh, char **ret, GError **error)
{
  return value_string (req, valueh, ret, error);
}

gboolean
gd_do_hivex_commit (GdRequest *req, const char *filename, GError **error)
{
  Hive *hv = gd_conn_get_data (gd_request_connection (req), HIVEX_KEY);
  if (hv == NULL)
    return get_hive (req, error) != NULL;
  int fd = -1;
  g_autofree char *name = NULL;
  if (filename != NULL)
    {
      if (!gd_check_pathname (req, "filename", filename, error))
        return FALSE;
      /* Created here (with the connection's umask); hivex truncates it. */
      fd = open_hive_file (req, filename, O_WRONLY | O_CREAT, error);
      if (fd < 0)
        return FALSE;
      name = gd_fd_path (fd);
    }
  errno = 0;
  int r = hivex_commit (hv->h, name, 0);
  int e = errno;
  if (fd >= 0)
    close (fd);
  if (r < 0)
    {
      errno = e;
      return hivex_failed (error, "%s", filename ? filename : hv->filename);
    }
  return TRUE;
}

gboolean
gd_do_hivex_node_add_child (GdRequest *req, int64_t parent, const char *name, int64_t *ret,
                            GError **error)
{
  hive_h *h = get_hive (req, error);
  if (h == NULL)
    return FALSE;
  errno = 0;
  hive_node_h r = hivex_node_add_child (h, (hive_node_h) parent, name);
  if (r == 0)
    return hivex_failed (error, "node %" PRId64 ": %s", parent, name);
  *ret = (int64_t) r;
  return TRUE;
}

gboolean
gd_do_hivex_node_delete_child (GdRequest *req, int64_t nodeh, GError **error)
{
  hive_h *h = get_hive (req, error);
  if (h == NULL)
    return FALSE;
  errno = 0;
  if (hivex_node_delete_child (h, (hive_node_h) nodeh) < 0)
    return hivex_failed (error, "node %" PRId64, nodeh);
  return TRUE;
}

gboolean
gd_do_hivex_node_set_value (GdRequest *req, int64_t nodeh, const char *key, int64_t t,
                            const char *val, size_t val_size, GError **error)
{
  hive_h *h = get_hive (req, error);
  if (h == NULL)
    return FALSE;
  if (t < 0 || t > UINT32_MAX)
    {
      gd_error_errno (error, EINVAL, "%" PRId64 ": not a registry value type", t);
      return FALSE;
    }
  hive_set_value v = {
    .key = (char *) key,
    .t = (hive_type) t,
    .len = val_size,
    .value = (char *) val,
  };
  errno = 0;
  if (hivex_node_set_value (h, (hive_node_h) nodeh, &v, 0) < 0)
    return hivex_failed (error, "node %" PRId64 ": %s", nodeh, key);
  return TRUE;
}
