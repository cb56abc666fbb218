/* libguestfsd: argument checks used by the generated stubs, and the
 * mapping of device names in results.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libguestfsd/guestfsd.h>

#include "gd-engine.h"

gboolean
gd_check_pathname (GdRequest *req, const char *argname, const char *path, GError **error)
{
  (void) req;
  if (path[0] != '/')
    {
      gd_error_errno (error, EINVAL, "%s: path must be absolute (start with /): %s", argname, path);
      return FALSE;
    }
  return TRUE;
}

gboolean
gd_check_filenames (GdRequest *req, const char *argname, char *const *names, GError **error)
{
  (void) req;
  for (; *names; names++)
    if (strchr (*names, '/') != NULL)
      {
        gd_error_errno (error, EINVAL, "%s: a file name must not contain '/': %s", argname, *names);
        return FALSE;
      }
  return TRUE;
}

gboolean
gd_check_root_mounted (GdRequest *req, GError **error)
{
  if (gd_is_root_mounted (req->conn))
    return TRUE;
  gd_error (error, "no filesystem is mounted on /: call 'mount' first");
  return FALSE;
}

GdDevice *
gd_resolve_device (GdRequest *req, const char *name, GError **error)
{
  GdDevice *dev = gd_device_table_lookup (req->conn->cfg.devices, name, error);
  /* In host mode a drive or partition has its guest name (/dev/sda1) and
   * host names (/dev/loop3p1, /dev/block/259:1, /dev/disk/by-...): a
   * request uses the guest's, as it would in the appliance, where the
   * host's names do not exist.  dm and md devices keep theirs. */
  guint index, part;
  if (dev && req->conn->cfg.host_mode && !gd_parse_guest_disk_name (name, &index, &part) &&
      gd_parse_guest_disk_name (dev->guest, &index, &part))
    {
      gd_error_errno (error, EPERM,
                      "host device names are not accepted: this is the guest's %s (requests name "
                      "the drives as the guest sees them)",
                      dev->guest);
      gd_device_free (dev);
      return NULL;
    }
  return dev;
}

GdDevice *
gd_device_lookup (GdConnection *conn, const char *name, GError **error)
{
  return gd_device_table_lookup (conn->cfg.devices, name, error);
}

GPtrArray *
gd_resolve_device_list (GdRequest *req, u_int len, char **names, GError **error)
{
  g_autoptr (GPtrArray) out = g_ptr_array_new_full (len + 1, (GDestroyNotify) gd_device_free);
  for (u_int i = 0; i < len; i++)
    {
      GdDevice *dev = gd_resolve_device (req, names[i], error);
      if (dev == NULL)
        return NULL;
      g_ptr_array_add (out, dev);
    }
  g_ptr_array_add (out, NULL);
  return g_steal_pointer (&out);
}

void
gd_mountable_free (GdMountable *m)
{
  if (m == NULL)
    return;
  gd_device_free (m->device);
  g_free (m->volume);
  g_free (m->path);
  g_free (m);
}

void
gd_dev_or_path_free (GdDevOrPath *d)
{
  if (d == NULL)
    return;
  gd_device_free (d->device);
  g_free (d->path);
  g_free (d);
}

/* btrfsvol:/dev/sda1/sub/vol: the device is the first prefix that names
 * one of our devices; the rest is the subvolume. */
static GdMountable *
resolve_btrfsvol (GdRequest *req, const char *spec, GError **error)
{
  const char *rest = spec + strlen ("btrfsvol:");
  for (const char *slash = strchr (rest + 1, '/'); slash; slash = strchr (slash + 1, '/'))
    {
      g_autofree char *dev = g_strndup (rest, slash - rest);
      if (strcmp (dev, "/dev") == 0)
        continue;
      GdDevice *device = gd_resolve_device (req, dev, NULL);
      if (device == NULL)
        continue;
      GdMountable *m = g_new0 (GdMountable, 1);
      m->type = GD_MOUNTABLE_BTRFSVOL;
      m->device = device;
      m->volume = g_strdup (slash + 1);
      return m;
    }
  gd_error_errno (error, EINVAL, "%s: cannot parse as btrfsvol:DEVICE/SUBVOLUME", spec);
  return NULL;
}

static gboolean
looks_like_device (const char *name)
{
  return g_str_has_prefix (name, "/dev/");
}

GdMountable *
gd_resolve_mountable (GdRequest *req, const char *name, gboolean allow_path, GError **error)
{
  if (g_str_has_prefix (name, "btrfsvol:"))
    return resolve_btrfsvol (req, name, error);
  if (allow_path && name[0] == '/' && !looks_like_device (name))
    {
      if (!gd_check_root_mounted (req, error))
        return NULL;
      GdMountable *m = g_new0 (GdMountable, 1);
      m->type = GD_MOUNTABLE_PATH;
      m->path = g_strdup (name);
      return m;
    }
  GdDevice *dev = gd_resolve_device (req, name, error);
  if (dev == NULL)
    return NULL;
  GdMountable *m = g_new0 (GdMountable, 1);
  m->type = GD_MOUNTABLE_DEVICE;
  m->device = dev;
  return m;
}

const GdDevice *
gd_mountable_device (const GdMountable *m, GError **error)
{
  if (m->device == NULL)
    gd_error_errno (error, EINVAL, "%s: not a device", m->path ? m->path : "mountable");
  return m->device;
}

GdDevOrPath *
gd_resolve_dev_or_path (GdRequest *req, const char *name, GError **error)
{
  GdDevOrPath *d = g_new0 (GdDevOrPath, 1);
  if (looks_like_device (name))
    {
      g_autoptr (GError) local = NULL;
      d->device = gd_resolve_device (req, name, &local);
      if (d->device != NULL)
        return d;
      /* /dev/... inside the guest is a path only if it is not a device
       * name we know how to translate. */
      guint index, part;
      if (gd_parse_guest_disk_name (name, &index, &part))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          gd_dev_or_path_free (d);
          return NULL;
        }
    }
  if (name[0] != '/')
    {
      gd_error_errno (error, EINVAL, "%s: expecting a device name or an absolute path", name);
      gd_dev_or_path_free (d);
      return NULL;
    }
  if (!gd_check_root_mounted (req, error))
    {
      gd_dev_or_path_free (d);
      return NULL;
    }
  d->path = g_strdup (name);
  return d;
}

char **
gd_strv_borrow (u_int len, char **val)
{
  char **v = g_new (char *, len + 1);
  if (len > 0)
    memcpy (v, val, len * sizeof (char *));
  v[len] = NULL;
  return v;
}

char *
gd_device_guest_name (GdConnection *conn, const char *node)
{
  return gd_device_table_guest_name (conn->cfg.devices, node);
}

gboolean
gd_device_node_is_ours (GdConnection *conn, const char *node)
{
  return gd_device_table_node_is_ours (conn->cfg.devices, node);
}

GPtrArray *
gd_list_disks (GdConnection *conn)
{
  return gd_device_table_disks (conn->cfg.devices);
}

GPtrArray *
gd_list_partitions (GdConnection *conn)
{
  return gd_device_table_partitions (conn->cfg.devices);
}

void
gd_result_map_device (GdRequest *req, char **s)
{
  if (*s == NULL)
    return;
  char *mapped = gd_device_guest_name (req->conn, *s);
  free (*s);
  *s = mapped;
}

gboolean
gd_result_take_strv (GdRequest *req, char **list, gboolean hashtable, GdMapKind map, u_int *len,
                     char ***val, GError **error)
{
  guint n = list ? g_strv_length (list) : 0;
  if (hashtable && n % 2 != 0)
    {
      g_strfreev (list);
      gd_error (error, "internal error: hash table result with an odd number of strings");
      return FALSE;
    }
  for (guint i = 0; i < n && map != GD_MAP_NONE; i++)
    {
      gboolean is_key = hashtable && i % 2 == 0;
      gboolean want = map == GD_MAP_ALL || (map == GD_MAP_KEYS && is_key) ||
                      (map == GD_MAP_VALUES && hashtable && !is_key);
      if (want)
        gd_result_map_device (req, &list[i]);
    }
  if (list == NULL)
    list = g_new0 (char *, 1);
  *len = n;
  *val = list; /* freed by xdr_free: each string, then the array */
  return TRUE;
}
