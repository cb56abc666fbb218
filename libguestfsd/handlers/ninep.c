/* libguestfsd handlers: 9p filesystems (virtio-9p shares of the host).
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "gd-actions.h"
#include "gd-private.h"

/* Each virtio device bound to the 9p transport driver has a mount_tag. */
#define VIRTIO_9P_DRIVER "/sys/bus/virtio/drivers/9pnet_virtio"

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

gboolean
gd_do_list_9p (GdRequest *req, char ***ret, GError **error)
{
  (void) error;
  GPtrArray *tags = g_ptr_array_new ();
  /* In host mode there is no virtual machine and so no share of ours: the
   * tags there would be the host's own (a host that is itself a VM). */
  g_autoptr (GDir) dir = gd_conn_host_mode (gd_request_connection (req))
                             ? NULL
                             : g_dir_open (VIRTIO_9P_DRIVER, 0, NULL);
  /* No driver (no virtio, or 9p not loaded): no shares. */
  const char *name;
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      if (!g_str_has_prefix (name, "virtio"))
        continue;
      g_autofree char *path = g_build_filename (VIRTIO_9P_DRIVER, name, "mount_tag", NULL);
      g_autofree char *tag = NULL;
      gsize len = 0;
      if (!g_file_get_contents (path, &tag, &len, NULL))
        continue;
      /* The attribute is the tag's bytes, possibly NUL-padded. */
      g_ptr_array_add (tags, g_strndup (tag, strnlen (tag, len)));
    }
  g_ptr_array_sort (tags, compare_strings);
  g_ptr_array_add (tags, NULL);
  *ret = (char **) g_ptr_array_free (tags, FALSE);
  return TRUE;
}

gboolean
gd_do_mount_9p (GdRequest *req, const char *mounttag, const char *mountpoint, const char *options,
                GError **error)
{
  /* A host's 9p shares are the host's files, and the options (trans=fd,
   * trans=tcp ...) would reach the daemon's fds or the network. */
  if (gd_conn_host_mode (gd_request_connection (req)))
    {
      gd_error_errno (error, EPERM,
                      "%s: 9p refused in host mode: there is no virtual machine, so no 9p share "
                      "of the guest's (the host's shares are the host's files)",
                      mounttag);
      return FALSE;
    }
  if (*mounttag == '\0' || mounttag[0] == '-')
    {
      gd_error_errno (error, EINVAL, "%s: not a 9p mount tag", mounttag);
      return FALSE;
    }
  g_autofree char *target = gd_mountpoint_resolve (req, mountpoint, error);
  if (target == NULL)
    return FALSE;
  gboolean has_options =
      gd_request_has_optarg (req, GD_MOUNT_9P_OPTIONS_BITMASK) && options && *options;
  g_autofree char *opts = g_strconcat ("trans=virtio,version=9p2000.L", has_options ? "," : "",
                                       has_options ? options : "", NULL);
  const char *argv[] = { "mount", "-n", "-t", "9p", "-o", opts, "--", mounttag, target, NULL };
  gboolean ok = gd_runv (req, argv, GD_RUN_DEFAULT, NULL, error);
  gd_sysroot_changed (req);
  return ok;
}
