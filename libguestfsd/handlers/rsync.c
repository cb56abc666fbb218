/* libguestfsd handlers: rsync within the guest, and to or from an rsync
 * server.
 *
 * The host's rsync(1) follows the names it is given, so a guest path
 * becomes the daemon's sysroot fd (/proc/PID/fd/N) followed by the path
 * made canonical inside the guest: nothing is left that the host would
 * resolve, except a final symlink rsync itself does not follow (it copies
 * links as links, or skips them).  Within the trees rsync never follows
 * symlinks unless asked to, and it is not.
 *
 * In host mode the remote must be an rsync server (rsync://HOST/... or
 * HOST::MODULE): a local path there would be the host's own filesystem,
 * and HOST:PATH would run ssh with the host's credentials.  rsync_in and
 * rsync_out need the network enabled (set_network), as in the appliance.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>
#include <unistd.h>

#include "gd-actions.h"
#include "gd-private.h"

typedef enum
{
  ROLE_SRC,
  ROLE_DEST,
} Role;

static char *
host_name (GdRequest *req, const char *canonical, const char *last, gboolean slash, GError **error)
{
  int rootfd = gd_sysroot_fd (req, error);
  if (rootfd < 0)
    return NULL;
  GString *s = g_string_new (NULL);
  g_string_printf (s, "/proc/%d/fd/%d%s", (int) getpid (), rootfd, canonical);
  if (last)
    g_string_append_printf (s, "%s%s", strcmp (canonical, "/") == 0 ? "" : "/", last);
  if (slash && s->str[s->len - 1] != '/')
    g_string_append_c (s, '/');
  return g_string_free (s, FALSE);
}

/* The name the host's rsync is given for a guest path. */
static char *
rsync_path (GdRequest *req, const char *path, Role role, GError **error)
{
  size_t len = strlen (path);
  gboolean slash = len > 0 && path[len - 1] == '/';
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *canon = NULL;

  /* "dir/" means its contents (rsync follows it); "." and ".." are
   * resolved here, never by the host. */
  gboolean whole =
      slash || strcmp (base, "/") == 0 || strcmp (base, ".") == 0 || strcmp (base, "..") == 0;
  if (!whole && role == ROLE_DEST)
    {
      /* An existing destination is followed by rsync: resolve it here.
       * A missing one is created by rsync below its parent. */
      g_autoptr (GError) e = NULL;
      if (gd_do_realpath (req, path, &canon, &e))
        return host_name (req, canon, NULL, FALSE, error);
      if (gd_error_get_errno (e) != ENOENT)
        {
          g_propagate_error (error, g_steal_pointer (&e));
          return NULL;
        }
    }
  if (whole)
    {
      if (!gd_do_realpath (req, path, &canon, error))
        return NULL;
      return host_name (req, canon, NULL, slash, error);
    }
  g_autofree char *parent = g_path_get_dirname (path);
  if (!gd_do_realpath (req, parent, &canon, error))
    return NULL;
  return host_name (req, canon, base, FALSE, error);
}

/* Whether rsync would talk to an rsync server for this location. */
static gboolean
is_rsync_server (const char *remote)
{
  if (g_str_has_prefix (remote, "rsync://"))
    return TRUE;
  const char *colons = strstr (remote, "::");
  const char *slash = strchr (remote, '/');
  return colons != NULL && colons != remote && (slash == NULL || colons < slash);
}

static gboolean
check_remote (GdRequest *req, const char *remote, GError **error)
{
  GdConnection *conn = gd_request_connection (req);
  if (*remote == '\0' || *remote == '-')
    {
      gd_error_errno (error, EINVAL, "%s: not an rsync location", remote);
      return FALSE;
    }
  if (gd_conn_host_mode (conn) && !is_rsync_server (remote))
    {
      gd_error_errno (error, EINVAL,
                      "%s: not an rsync server (rsync://HOST/MODULE or HOST::MODULE); "
                      "local paths and remote shells are refused in host mode",
                      remote);
      return FALSE;
    }
  if (!gd_conn_network (conn))
    {
      gd_error_errno (error, ENETUNREACH, "%s: the network is not enabled (see set_network)",
                      remote);
      return FALSE;
    }
  return TRUE;
}

static gboolean
run_rsync (GdRequest *req, const char *from, const char *to, gboolean archive, gboolean deletedest,
           GError **error)
{
  const char *argv[8];
  size_t n = 0;
  argv[n++] = "rsync";
  if (archive)
    argv[n++] = "--archive";
  if (deletedest)
    argv[n++] = "--delete";
  argv[n++] = "--";
  argv[n++] = from;
  argv[n++] = to;
  argv[n] = NULL;
  return gd_runv (req, argv, GD_RUN_PULSE, NULL, error);
}

gboolean
gd_do_rsync (GdRequest *req, const char *src, const char *dest, gboolean archive,
             gboolean deletedest, GError **error)
{
  g_autofree char *from = rsync_path (req, src, ROLE_SRC, error);
  if (from == NULL)
    return FALSE;
  g_autofree char *to = rsync_path (req, dest, ROLE_DEST, error);
  if (to == NULL)
    return FALSE;
  return run_rsync (req, from, to, archive, deletedest, error);
}

gboolean
gd_do_rsync_in (GdRequest *req, const char *remote, const char *dest, gboolean archive,
                gboolean deletedest, GError **error)
{
  if (!check_remote (req, remote, error))
    return FALSE;
  g_autofree char *to = rsync_path (req, dest, ROLE_DEST, error);
  if (to == NULL)
    return FALSE;
  return run_rsync (req, remote, to, archive, deletedest, error);
}

gboolean
gd_do_rsync_out (GdRequest *req, const char *src, const char *remote, gboolean archive,
                 gboolean deletedest, GError **error)
{
  if (!check_remote (req, remote, error))
    return FALSE;
  g_autofree char *from = rsync_path (req, src, ROLE_SRC, error);
  if (from == NULL)
    return FALSE;
  return run_rsync (req, from, remote, archive, deletedest, error);
}
