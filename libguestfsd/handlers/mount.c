/* libguestfsd handlers: mounting and unmounting under the sysroot.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gd-actions.h"
#include "gd-private.h"

/* Host path of the guest directory mountpoint, resolved inside the sysroot
 * (so a symlink in the guest cannot redirect the mount elsewhere). */
static char *
resolve_mountpoint (GdRequest *req, const char *mountpoint, GError **error)
{
  if (mountpoint[0] != '/')
    {
      gd_error_errno (error, EINVAL, "%s: mount point must be an absolute path", mountpoint);
      return NULL;
    }
  int fd = gd_open (req, mountpoint, O_PATH | O_DIRECTORY, 0, error);
  if (fd < 0)
    return NULL;
  g_autofree char *link = gd_fd_path (fd);
  char *host = g_file_read_link (link, NULL);
  close (fd);
  if (host == NULL)
    gd_error_errno (error, EIO, "%s: cannot resolve mount point", mountpoint);
  return host;
}

static gboolean
do_mount (GdRequest *req, const GdMountable *mountable, const char *mountpoint, const char *options,
          const char *vfstype, GError **error)
{
  if (mountable->type == GD_MOUNTABLE_PATH)
    {
      gd_error_errno (error, EINVAL, "%s: not a device", mountable->path);
      return FALSE;
    }
  g_autofree char *target = resolve_mountpoint (req, mountpoint, error);
  if (target == NULL)
    return FALSE;

  g_autoptr (GString) opts = g_string_new (options ? options : "");
  if (mountable->type == GD_MOUNTABLE_BTRFSVOL)
    g_string_append_printf (opts, "%ssubvol=%s", opts->len ? "," : "", mountable->volume);

  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, "mount");
  if (opts->len > 0)
    {
      g_ptr_array_add (argv, "-o");
      g_ptr_array_add (argv, opts->str);
    }
  if (vfstype != NULL && *vfstype)
    {
      g_ptr_array_add (argv, "-t");
      g_ptr_array_add (argv, (gpointer) vfstype);
    }
  g_ptr_array_add (argv, "--");
  g_ptr_array_add (argv, mountable->device->node);
  g_ptr_array_add (argv, target);
  g_ptr_array_add (argv, NULL);
  gboolean ok = gd_runv (req, (const char *const *) argv->pdata, GD_RUN_DEFAULT, NULL, error);
  gd_sysroot_changed (req);
  return ok;
}

gboolean
gd_do_mount (GdRequest *req, const GdMountable *mountable, const char *mountpoint, GError **error)
{
  return do_mount (req, mountable, mountpoint, NULL, NULL, error);
}

gboolean
gd_do_mount_ro (GdRequest *req, const GdMountable *mountable, const char *mountpoint,
                GError **error)
{
  return do_mount (req, mountable, mountpoint, "ro", NULL, error);
}

gboolean
gd_do_mount_options (GdRequest *req, const char *options, const GdMountable *mountable,
                     const char *mountpoint, GError **error)
{
  return do_mount (req, mountable, mountpoint, options, NULL, error);
}

gboolean
gd_do_mount_vfs (GdRequest *req, const char *options, const char *vfstype,
                 const GdMountable *mountable, const char *mountpoint, GError **error)
{
  return do_mount (req, mountable, mountpoint, options, vfstype, error);
}

/* The host mount point of what the client named: a guest path, or a
 * device mounted under the sysroot. */
static char *
umount_target (GdRequest *req, const GdDevOrPath *what, GError **error)
{
  if (what->device == NULL)
    return resolve_mountpoint (req, what->path, error);
  g_autoptr (GPtrArray) mounts = gd_mounts_list (gd_request_connection (req), error);
  if (mounts == NULL)
    return NULL;
  for (guint i = mounts->len; i-- > 0;)
    {
      GdMountEntry *e = g_ptr_array_index (mounts, i);
      if (strcmp (e->source, what->device->node) == 0)
        return gd_sysroot_path (req, e->target);
    }
  gd_error_errno (error, EINVAL, "%s: not mounted", what->device->guest);
  return NULL;
}

gboolean
gd_do_umount (GdRequest *req, const GdDevOrPath *pathordevice, gboolean force, gboolean lazyunmount,
              GError **error)
{
  g_autofree char *target = umount_target (req, pathordevice, error);
  if (target == NULL)
    return FALSE;
  int flags = UMOUNT_NOFOLLOW;
  if (gd_request_has_optarg (req, GD_UMOUNT_FORCE_BITMASK) && force)
    flags |= MNT_FORCE;
  if (gd_request_has_optarg (req, GD_UMOUNT_LAZYUNMOUNT_BITMASK) && lazyunmount)
    flags |= MNT_DETACH;
  int r;
  for (int tries = 0;; tries++)
    {
      r = umount2 (target, flags);
      if (r == 0 || errno != EBUSY || tries >= 10)
        break;
      g_usleep (50000);
    }
  gd_sysroot_changed (req);
  if (r < 0)
    {
      gd_perror (error, "%s",
                 pathordevice->device ? pathordevice->device->guest : pathordevice->path);
      return FALSE;
    }
  return TRUE;
}

gboolean
gd_do_umount_all (GdRequest *req, GError **error)
{
  gboolean ok = gd_umount_all (gd_request_connection (req), error);
  gd_sysroot_changed (req);
  return ok;
}

gboolean
gd_do_mounts (GdRequest *req, char ***ret, GError **error)
{
  g_autoptr (GPtrArray) mounts = gd_mounts_list (gd_request_connection (req), error);
  if (mounts == NULL)
    return FALSE;
  GPtrArray *out = g_ptr_array_new ();
  for (guint i = 0; i < mounts->len; i++)
    {
      GdMountEntry *e = g_ptr_array_index (mounts, i);
      g_ptr_array_add (out, g_strdup (e->source));
    }
  g_ptr_array_add (out, NULL);
  *ret = (char **) g_ptr_array_free (out, FALSE);
  return TRUE;
}

gboolean
gd_do_mountpoints (GdRequest *req, char ***ret, GError **error)
{
  g_autoptr (GPtrArray) mounts = gd_mounts_list (gd_request_connection (req), error);
  if (mounts == NULL)
    return FALSE;
  GPtrArray *out = g_ptr_array_new ();
  for (guint i = 0; i < mounts->len; i++)
    {
      GdMountEntry *e = g_ptr_array_index (mounts, i);
      g_ptr_array_add (out, g_strdup (e->source));
      g_ptr_array_add (out, g_strdup (e->target));
    }
  g_ptr_array_add (out, NULL);
  *ret = (char **) g_ptr_array_free (out, FALSE);
  return TRUE;
}
