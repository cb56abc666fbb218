/* libguestfsd handlers: the daemon itself (ping, echo, sync, exit, groups).
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "gd-actions.h"
#include "gd-private.h"

gboolean
gd_do_ping_daemon (GdRequest *req, GError **error)
{
  (void) req;
  (void) error;
  return TRUE;
}

gboolean
gd_do_echo_daemon (GdRequest *req, char *const *words, char **ret, GError **error)
{
  (void) req;
  (void) error;
  *ret = g_strjoinv (" ", (char **) words);
  return TRUE;
}

/* sync(2), then flush each disk's buffers so the data reaches the image
 * even if the VM is killed right after. */
static void
sync_disks (GdConnection *conn)
{
  sync ();
  g_autoptr (GPtrArray) disks = gd_list_disks (conn);
  for (guint i = 0; i < disks->len; i++)
    {
      GdDevice *d = g_ptr_array_index (disks, i);
      int fd = open (d->node, O_RDONLY | O_CLOEXEC);
      if (fd >= 0)
        {
          fsync (fd);
          close (fd);
        }
    }
}

gboolean
gd_do_sync (GdRequest *req, GError **error)
{
  (void) error;
  sync_disks (gd_request_connection (req));
  return TRUE;
}

gboolean
gd_do_internal_autosync (GdRequest *req, GError **error)
{
  GdConnection *conn = gd_request_connection (req);
  gboolean ok = gd_umount_all (conn, error);
  gd_sysroot_changed (req);
  sync_disks (conn);
  return ok;
}

gboolean
gd_do_internal_exit (GdRequest *req, GError **error)
{
  (void) error;
  gd_conn_request_exit (gd_request_connection (req));
  return TRUE;
}

gboolean
gd_do_internal_feature_available (GdRequest *req, const char *group, int *ret, GError **error)
{
  (void) req;
  (void) error;
  GdGroup g = gd_group_lookup (group);
  if (g == GD_GROUP_NONE)
    *ret = 2;
  else
    *ret = gd_group_available (g) ? 0 : 1;
  return TRUE;
}

gboolean
gd_do_available_all_groups (GdRequest *req, char ***ret, GError **error)
{
  (void) req;
  (void) error;
  GPtrArray *names = g_ptr_array_new ();
  for (int g = GD_GROUP_NONE + 1; g < GD_GROUP__COUNT; g++)
    g_ptr_array_add (names, g_strdup (gd_group_names[g]));
  g_ptr_array_add (names, NULL);
  *ret = (char **) g_ptr_array_free (names, FALSE);
  return TRUE;
}
