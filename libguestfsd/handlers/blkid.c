/* libguestfsd handlers: filesystem probing: type, label, UUID, findfs.
 *
 * Everything is low-level probing ("blkid -p", or libblkid's same probe
 * in process) with the cache disabled, of one device at a time: the cache and the high-level
 * mode could report what a device held before the last mkfs, and searching
 * by label or UUID must only ever look at this daemon's own devices, never
 * at every block device of the machine as findfs(8) would.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <blkid.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "gd-actions.h"
#include "gd-private.h"
#include "fs-util.h"

static GHashTable *
parse_export (const char *text, GPtrArray *order)
{
  GHashTable *h = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_auto (GStrv) lines = gd_split_lines (text);
  for (char **l = lines; *l; l++)
    {
      const char *eq = strchr (*l, '=');
      if (eq == NULL || eq == *l)
        continue;
      char *key = g_strndup (*l, eq - *l);
      if (order && !g_hash_table_contains (h, key))
        g_ptr_array_add (order, g_strdup (key));
      g_hash_table_replace (h, key, g_strdup (eq + 1));
    }
  return h;
}

/* What blkid(8) itself prints for the blkid procedure, in its order, with
 * the device's I/O limits (-i: MINIMUM_IO_SIZE, PHYSICAL_SECTOR_SIZE,
 * LOGICAL_SECTOR_SIZE ...) and without -d, so blkid's own escapes
 * ("EFI\\ System") pass on, as the original's do. */
static GHashTable *
probe_program (GdRequest *req, const char *node, GPtrArray *order, GError **error)
{
  const char *argv[] = { "blkid", "-c", "/dev/null", "-p", "-i", "-o", "export", "--", node, NULL };
  GdRunOpts opts = { .argv = argv, .flags = GD_RUN_ANY_STATUS, .stdin_fd = -1, .stdout_fd = -1 };
  g_autofree char *out = NULL, *err = NULL;
  int status = -1;
  if (!gd_run_full (req, &opts, &out, &err, &status, error))
    return NULL;
  /* 2: nothing recognised; 8: ambivalent result (several signatures). */
  if (status == 2 || status == 8)
    return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (status != 0)
    {
      gd_chomp (err);
      gd_error (error, "%s: blkid: %s", node, *err ? err : "probe failed");
      return NULL;
    }
  return parse_export (out, order);
}

/* What "blkid -c /dev/null -p -d -o export" reports, probed with libblkid
 * in this process: the same low-level probe (superblocks with label, UUID,
 * type, secondary type, usage and version; partition entry details), the
 * same outcomes (nothing found and ambivalent signatures give an empty
 * table), without a blkid process per call (virt-inspector asks for a
 * filesystem's type, label and UUID one call at a time; each exec of blkid
 * cost 5-100 ms on a loaded machine).  The blkid call itself still runs
 * blkid(8), whose output order and DEVNAME it reproduces. */
GHashTable *
gd_fs_probe (GdRequest *req, const char *node, GError **error)
{
  (void) req;
  blkid_probe pr = blkid_new_probe_from_filename (node);
  if (pr == NULL)
    {
      gd_perror (error, "%s: blkid", node);
      return NULL;
    }
  blkid_probe_enable_superblocks (pr, 1);
  blkid_probe_set_superblocks_flags (pr, BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID |
                                             BLKID_SUBLKS_TYPE | BLKID_SUBLKS_SECTYPE |
                                             BLKID_SUBLKS_USAGE | BLKID_SUBLKS_VERSION);
  blkid_probe_enable_partitions (pr, 1);
  blkid_probe_set_partitions_flags (pr, BLKID_PARTS_ENTRY_DETAILS);
  int rc = blkid_do_safeprobe (pr);
  if (rc < 0 && rc != -2)
    {
      gd_perror (error, "%s: blkid: probe failed", node);
      blkid_free_probe (pr);
      return NULL;
    }
  GHashTable *h = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  int n = rc == 0 ? blkid_probe_numof_values (pr) : 0;
  for (int i = 0; i < n; i++)
    {
      const char *name, *data;
      size_t len;
      if (blkid_probe_get_value (pr, i, &name, &data, &len) == 0 && name && data)
        g_hash_table_replace (h, g_strdup (name), g_strndup (data, len));
    }
  blkid_free_probe (pr);
  return h;
}

char *
gd_fs_probe_tag (GdRequest *req, const char *node, const char *tag, GError **error)
{
  g_autoptr (GHashTable) h = gd_fs_probe (req, node, error);
  if (h == NULL)
    return NULL;
  const char *v = g_hash_table_lookup (h, tag);
  return g_strdup (v ? v : "");
}

/* "dm-2" before "dm-10". */
static int
compare_names (gconstpointer a, gconstpointer b)
{
  const char *x = *(const char *const *) a, *y = *(const char *const *) b;
  size_t px = strcspn (x, "0123456789"), py = strcspn (y, "0123456789");
  if (px != py || strncmp (x, y, px) != 0)
    return strcmp (x, y);
  guint64 nx = g_ascii_strtoull (x + px, NULL, 10), ny = g_ascii_strtoull (y + py, NULL, 10);
  if (nx != ny)
    return nx < ny ? -1 : 1;
  return strcmp (x, y);
}

static int
compare_guest_names (gconstpointer a, gconstpointer b)
{
  const GdDevice *x = *(const GdDevice *const *) a, *y = *(const GdDevice *const *) b;
  return strcmp (x->guest, y->guest);
}

/* md and device-mapper devices of /sys/block that the daemon accepts as
 * its own (built only on our drives). */
void
gd_fs_add_stacked_devices (GdRequest *req, GPtrArray *out, const char *prefix)
{
  g_autoptr (GDir) dir = g_dir_open ("/sys/block", 0, NULL);
  if (dir == NULL)
    return;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, prefix) && g_ascii_isdigit (name[strlen (prefix)]))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  g_autoptr (GPtrArray) devs = g_ptr_array_new ();
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *node = g_strconcat ("/dev/", (char *) names->pdata[i], NULL);
      GdDevice *dev = gd_device_lookup (gd_request_connection (req), node, NULL);
      if (dev != NULL)
        g_ptr_array_add (devs, dev);
    }
  /* Device-mapper devices by name (/dev/VG/LV), as the original lists
   * logical volumes (lvs order), not in the order they were made. */
  if (strcmp (prefix, "dm-") == 0)
    g_ptr_array_sort (devs, compare_guest_names);
  for (guint i = 0; i < devs->len; i++)
    g_ptr_array_add (out, devs->pdata[i]);
}

GPtrArray *
gd_fs_all_devices (GdRequest *req)
{
  GdConnection *conn = gd_request_connection (req);
  GPtrArray *out = gd_list_disks (conn);
  g_autoptr (GPtrArray) parts = gd_list_partitions (conn);
  for (guint i = 0; i < parts->len; i++)
    g_ptr_array_add (out, gd_device_copy (parts->pdata[i]));
  gd_fs_add_stacked_devices (req, out, "md");
  gd_fs_add_stacked_devices (req, out, "dm-");
  return out;
}

char *
gd_fs_find_by_tag (GdRequest *req, const char *tag, const char *value, GError **error)
{
  GdConnection *conn = gd_request_connection (req);
  /* Volumes stacked on partitions, and partitions on disks, hide what
   * lies beneath them (an LV's filesystem also shows through a snapshot's
   * origin, a disk's through its first partition...), so look at the most
   * derived devices first: device-mapper, md, partitions, whole disks. */
  g_autoptr (GPtrArray) devs = g_ptr_array_new_with_free_func ((GDestroyNotify) gd_device_free);
  gd_fs_add_stacked_devices (req, devs, "dm-");
  gd_fs_add_stacked_devices (req, devs, "md");
  g_autoptr (GPtrArray) parts = gd_list_partitions (conn);
  for (guint i = 0; i < parts->len; i++)
    g_ptr_array_add (devs, gd_device_copy (parts->pdata[i]));
  g_autoptr (GPtrArray) disks = gd_list_disks (conn);
  for (guint i = 0; i < disks->len; i++)
    g_ptr_array_add (devs, gd_device_copy (disks->pdata[i]));

  for (guint i = 0; i < devs->len; i++)
    {
      GdDevice *d = devs->pdata[i];
      g_autoptr (GHashTable) h = gd_fs_probe (req, d->node, NULL);
      const char *v = h ? g_hash_table_lookup (h, tag) : NULL;
      if (v != NULL && strcmp (v, value) == 0)
        return g_strdup (d->node);
    }
  gd_error_errno (error, ENOENT, "%s=%s: no filesystem has this %s", tag, value,
                  strcmp (tag, "UUID") == 0 ? "UUID" : "label");
  return NULL;
}

char *
gd_fs_resolve_spec (GdRequest *req, const char *spec, GError **error)
{
  if (g_str_has_prefix (spec, "LABEL="))
    return gd_fs_find_by_tag (req, "LABEL", spec + 6, error);
  if (g_str_has_prefix (spec, "UUID="))
    return gd_fs_find_by_tag (req, "UUID", spec + 5, error);
  GdDevice *dev = gd_device_lookup (gd_request_connection (req), spec, error);
  if (dev == NULL)
    return NULL;
  char *node = g_strdup (dev->node);
  gd_device_free (dev);
  return node;
}

char *
gd_fs_devno_node (dev_t devno)
{
  g_autofree char *path =
      g_strdup_printf ("/sys/dev/block/%u:%u/uevent", major (devno), minor (devno));
  g_autofree char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l; l++)
    if (g_str_has_prefix (*l, "DEVNAME="))
      return g_strconcat ("/dev/", *l + 8, NULL);
  return NULL;
}

/* The sd majors, 16 disks each, 15 partitions per disk. */
static const guint sd_majors[] = { 8,   65,  66,  67,  68,  69,  70,  71,
                                   128, 129, 130, 131, 132, 133, 134, 135 };

/* "/dev/sdX[N]" or "/dev/vdX[N]" ... -> disk index and partition number. */
static gboolean
parse_disk_name (const char *name, guint *index, guint *partnum)
{
  static const char *const prefixes[] = { "/dev/sd", "/dev/vd", "/dev/hd", "/dev/xvd", "/dev/ubd" };
  const char *p = NULL;
  for (size_t i = 0; i < G_N_ELEMENTS (prefixes) && p == NULL; i++)
    if (g_str_has_prefix (name, prefixes[i]))
      p = name + strlen (prefixes[i]);
  if (p == NULL || !g_ascii_islower (*p))
    return FALSE;
  guint idx = 0;
  for (; g_ascii_islower (*p); p++)
    {
      idx = idx * 26 + (guint) (*p - 'a' + 1);
      if (idx > 100000)
        return FALSE;
    }
  guint64 n = 0;
  if (*p != '\0')
    {
      char *end;
      n = g_ascii_strtoull (p, &end, 10);
      if (*end != '\0' || !g_ascii_isdigit (*p) || n == 0 || n > G_MAXUINT)
        return FALSE;
    }
  *index = idx - 1;
  *partnum = (guint) n;
  return TRUE;
}

dev_t
gd_fs_guest_devno (GdRequest *req, dev_t host)
{
  GdConnection *conn = gd_request_connection (req);
  if (!gd_conn_host_mode (conn))
    return host;
  g_autofree char *node = gd_fs_devno_node (host);
  if (node == NULL)
    return host;
  g_autofree char *name = gd_device_guest_name (conn, node);
  guint index, partnum;
  if (name == NULL || strcmp (name, node) == 0 || !parse_disk_name (name, &index, &partnum) ||
      index / 16 >= G_N_ELEMENTS (sd_majors) || partnum > 15)
    return host;
  return makedev (sd_majors[index / 16], (index % 16) * 16 + partnum);
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static char *
unmangle (const char *s)
{
  GString *out = g_string_new (NULL);
  for (; *s; s++)
    {
      if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
          s[3] <= '7')
        {
          g_string_append_c (out, (char) ((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0')));
          s += 3;
        }
      else
        g_string_append_c (out, *s);
    }
  return g_string_free (out, FALSE);
}

char *
gd_fs_mountpoint_of (const char *node)
{
  struct stat st;
  if (stat (node, &st) < 0 || !S_ISBLK (st.st_mode))
    return NULL;
  g_autofree char *text = NULL;
  if (!g_file_get_contents ("/proc/self/mountinfo", &text, NULL, NULL))
    return NULL;
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l; l++)
    {
      /* id parent major:minor root mountpoint options [optional...] - fstype source ...
       * btrfs shows an anonymous device number, so also match the source. */
      g_auto (GStrv) f = g_strsplit (*l, " ", -1);
      guint n = g_strv_length (f);
      if (n < 7)
        continue;
      unsigned int ma, mi;
      gboolean match = sscanf (f[2], "%u:%u", &ma, &mi) == 2 && makedev (ma, mi) == st.st_rdev;
      for (guint i = 6; !match && i + 2 < n; i++)
        if (strcmp (f[i], "-") == 0)
          {
            g_autofree char *source = unmangle (f[i + 2]);
            struct stat sst;
            match =
                strcmp (source, node) == 0 ||
                (stat (source, &sst) == 0 && S_ISBLK (sst.st_mode) && sst.st_rdev == st.st_rdev);
            break;
          }
      if (match)
        return unmangle (f[4]);
    }
  return NULL;
}

static gboolean
is_active_swap (dev_t rdev)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents ("/proc/swaps", &text, NULL, NULL))
    return FALSE;
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l; l++)
    {
      g_auto (GStrv) f = g_strsplit_set (*l, " \t", 2);
      if (l == lines || f[0] == NULL || *f[0] == '\0')
        continue;
      g_autofree char *path = unmangle (f[0]);
      struct stat st;
      if (stat (path, &st) == 0 && S_ISBLK (st.st_mode) && st.st_rdev == rdev)
        return TRUE;
    }
  return FALSE;
}

gboolean
gd_fs_check_writable (const char *node, const char *name, GError **error)
{
  int fd = open (node, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      gd_perror (error, "%s", name);
      return FALSE;
    }
  int ro = 0;
  int r = ioctl (fd, BLKROGET, &ro);
  close (fd);
  if (r == 0 && ro)
    {
      gd_error_errno (error, EROFS, "%s: the device is read-only", name);
      return FALSE;
    }
  return TRUE;
}

gboolean
gd_fs_check_unused (const GdDevice *dev, GError **error)
{
  if (!gd_fs_check_writable (dev->node, dev->guest, error))
    return FALSE;
  g_autofree char *mp = gd_fs_mountpoint_of (dev->node);
  if (mp != NULL)
    {
      gd_error_errno (error, EBUSY, "%s: device is mounted", dev->guest);
      return FALSE;
    }
  struct stat st;
  if (stat (dev->node, &st) == 0 && S_ISBLK (st.st_mode) && is_active_swap (st.st_rdev))
    {
      gd_error_errno (error, EBUSY, "%s: device is in use as swap", dev->guest);
      return FALSE;
    }
  return TRUE;
}

char *
gd_fs_temp_mount (GdRequest *req, const char *node, const char *fstype, const char *options,
                  GError **error)
{
  (void) req;
  g_autoptr (GError) tmp_error = NULL;
  char *dir = g_dir_make_tmp ("guestfsd-fs.XXXXXX", &tmp_error);
  if (dir == NULL)
    {
      gd_error_errno (error, EIO, "%s", tmp_error->message);
      return NULL;
    }
  if (mount (node, dir, fstype, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, options) < 0)
    {
      gd_perror (error, "%s: mount", node);
      rmdir (dir);
      g_free (dir);
      return NULL;
    }
  return dir;
}

void
gd_fs_temp_umount (char *dir)
{
  if (dir == NULL)
    return;
  if (umount2 (dir, MNT_DETACH) == 0)
    rmdir (dir);
  g_free (dir);
}

static char *
guest_devno_string (GdRequest *req, const char *s)
{
  guint maj, min;
  char c;
  if (s == NULL || sscanf (s, "%u:%u%c", &maj, &min, &c) != 2)
    return g_strdup (s);
  dev_t d = gd_fs_guest_devno (req, makedev (maj, min));
  return g_strdup_printf ("%u:%u", major (d), minor (d));
}

gboolean
gd_do_blkid (GdRequest *req, const GdDevice *device, char ***ret, GError **error)
{
  g_autoptr (GPtrArray) order = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) h = probe_program (req, device->node, order, error);
  if (h == NULL)
    return FALSE;
  GPtrArray *out = g_ptr_array_new ();
  for (guint i = 0; i < order->len; i++)
    {
      const char *key = order->pdata[i];
      g_ptr_array_add (out, g_strdup (key));
      /* blkid names the node it opened: give the client its own name. */
      if (strcmp (key, "DEVNAME") == 0)
        g_ptr_array_add (out, g_strdup (device->guest));
      /* "MAJ:MIN" of the disk: the loop device's on a host. */
      else if (strcmp (key, "PART_ENTRY_DISK") == 0)
        g_ptr_array_add (out, guest_devno_string (req, g_hash_table_lookup (h, key)));
      else
        g_ptr_array_add (out, g_strdup (g_hash_table_lookup (h, key)));
    }
  g_ptr_array_add (out, NULL);
  *ret = (char **) g_ptr_array_free (out, FALSE);
  return TRUE;
}

gboolean
gd_do_vfs_type (GdRequest *req, const GdMountable *mountable, char **ret, GError **error)
{
  const GdDevice *dev = gd_mountable_device (mountable, error);
  return dev && (*ret = gd_fs_probe_tag (req, dev->node, "TYPE", error)) != NULL;
}

gboolean
gd_do_vfs_label (GdRequest *req, const GdMountable *mountable, char **ret, GError **error)
{
  const GdDevice *dev = gd_mountable_device (mountable, error);
  return dev && (*ret = gd_fs_probe_tag (req, dev->node, "LABEL", error)) != NULL;
}

gboolean
gd_do_vfs_uuid (GdRequest *req, const GdMountable *mountable, char **ret, GError **error)
{
  const GdDevice *dev = gd_mountable_device (mountable, error);
  return dev && (*ret = gd_fs_probe_tag (req, dev->node, "UUID", error)) != NULL;
}

gboolean
gd_do_findfs_label (GdRequest *req, const char *label, char **ret, GError **error)
{
  return (*ret = gd_fs_find_by_tag (req, "LABEL", label, error)) != NULL;
}

gboolean
gd_do_findfs_uuid (GdRequest *req, const char *uuid, char **ret, GError **error)
{
  return (*ret = gd_fs_find_by_tag (req, "UUID", uuid, error)) != NULL;
}
