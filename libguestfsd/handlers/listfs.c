/* libguestfsd handlers: list_filesystems and filesystem_available.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>
#include <unistd.h>

#include "gd-actions.h"
#include "gd-private.h"
#include "fs-util.h"

/* Partition types that hold no filesystem of their own, or one that is
 * not ours to mount: MBR extended containers, Windows LDM (MBR 0x42 and
 * its GPT metadata/data types), Microsoft reserved, Windows snapshots. */
static const char *const skipped_part_types[] = {
  "0x5",
  "0xf",
  "0x85",
  "0x42",
  "5808c8aa-7e8f-42e0-85d2-e1e90434cfb3",
  "af9b60a0-1431-4f62-bc68-3311714a69ad",
  "e3c9e316-0b5c-4db8-817d-f92df00215ae",
  "caddebf1-4400-4de8-b103-12117dcf3ccf",
  NULL,
};

static gboolean
skipped_partition (GHashTable *probe)
{
  const char *type = g_hash_table_lookup (probe, "PART_ENTRY_TYPE");
  if (type == NULL)
    return FALSE;
  g_autofree char *lower = g_ascii_strdown (type, -1);
  return g_strv_contains (skipped_part_types, lower);
}

static void
add (GPtrArray *out, const char *key, const char *type)
{
  g_ptr_array_add (out, g_strdup (key));
  g_ptr_array_add (out, g_strdup (type));
}

/* The subvolumes of a btrfs filesystem other than its default one (which
 * is what mounting the device gives), as btrfsvol: mountables. */
static void
add_btrfs_subvolumes (GdRequest *req, GPtrArray *out, const GdDevice *dev)
{
  g_autoptr (GError) error = NULL;
  char *mnt = gd_fs_temp_mount (req, dev->node, "btrfs", "subvolid=5", &error);
  if (mnt == NULL)
    {
      gd_log (gd_request_connection (req), "list_filesystems: %s: %s", dev->guest, error->message);
      return;
    }
  g_autofree char *list = NULL, *deflt = NULL;
  if (!gd_run (req, &list, NULL, "btrfs", "subvolume", "list", mnt, NULL) ||
      !gd_run (req, &deflt, NULL, "btrfs", "subvolume", "get-default", mnt, NULL))
    {
      gd_fs_temp_umount (mnt);
      return;
    }
  gd_fs_temp_umount (mnt);

  /* "ID 256 gen 7 top level 5 path a/b" */
  guint64 default_id = 5;
  if (g_str_has_prefix (deflt, "ID "))
    default_id = g_ascii_strtoull (deflt + 3, NULL, 10);
  g_auto (GStrv) lines = gd_split_lines (list);
  for (char **l = lines; *l; l++)
    {
      const char *path = strstr (*l, " path ");
      if (!g_str_has_prefix (*l, "ID ") || path == NULL)
        continue;
      if (g_ascii_strtoull (*l + 3, NULL, 10) == default_id)
        continue;
      g_autofree char *key = g_strdup_printf ("btrfsvol:%s/%s", dev->guest, path + 6);
      add (out, key, "btrfs");
    }
}

static void
check_device (GdRequest *req, GPtrArray *out, const GdDevice *dev, gboolean is_partition)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) probe = gd_fs_probe (req, dev->node, &error);
  if (probe == NULL)
    {
      gd_log (gd_request_connection (req), "list_filesystems: %s: %s", dev->guest, error->message);
      add (out, dev->node, "unknown");
      return;
    }
  if (is_partition && skipped_partition (probe))
    return;
  const char *type = g_hash_table_lookup (probe, "TYPE");
  if (type == NULL || *type == '\0')
    {
      add (out, dev->node, "unknown");
      return;
    }
  /* Containers (LVM PVs, RAID members, LUKS) show up through what is
   * built on them. */
  if (g_str_has_suffix (type, "_member") || strcmp (type, "crypto_LUKS") == 0)
    return;
  add (out, dev->node, type);
  if (strcmp (type, "btrfs") == 0)
    add_btrfs_subvolumes (req, out, dev);
}

/* The LV part of a device-mapper name "VG-LV" (dashes inside either name
 * are doubled), or NULL. */
static const char *
dm_lv_name (const char *dmname)
{
  for (const char *p = dmname; *p; p++)
    {
      if (*p != '-')
        continue;
      if (p[1] == '-')
        {
          p++;
          continue;
        }
      return p + 1;
    }
  return NULL;
}

/* Internal LVs that LVM hides (lvs shows them only with -a, in brackets):
 * thin pool data and metadata, RAID and mirror legs, cache parts ... */
static gboolean
is_hidden_lv_name (const char *lv)
{
  static const char *const suffixes[] = { "_tdata",  "_tmeta",   "_rimage",  "_rmeta",
                                          "_mimage", "_mlog",    "_pmspare", "_cdata",
                                          "_cmeta",  "_corig",   "_cpool",   "_cvol",
                                          "_vdata",  "_vorigin", "_wcorig",  NULL };
  g_autofree char *name = g_strdup (lv);
  /* "_rimage_0": drop the leg number. */
  char *us = strrchr (name, '_');
  if (us && us[1] && strspn (us + 1, "0123456789") == strlen (us + 1))
    *us = '\0';
  for (const char *const *sfx = suffixes; *sfx; sfx++)
    if (g_str_has_suffix (name, *sfx))
      return TRUE;
  return FALSE;
}

/* Device-mapper devices that are not volumes a user would mount: LVM's
 * hidden LVs, and the layers LVM puts under snapshots and thin pools,
 * whose device-mapper UUID has a suffix after "LVM-" + VG UUID + LV UUID
 * ("-real", "-cow", "-tpool", "-pool"). */
static gboolean
is_hidden_lvm_volume (const GdDevice *dev)
{
  const char *base = strrchr (dev->node, '/');
  if (base == NULL || !g_str_has_prefix (base + 1, "dm-"))
    return FALSE;
  g_autofree char *uuid_path = g_strdup_printf ("/sys/block/%s/dm/uuid", base + 1);
  g_autofree char *name_path = g_strdup_printf ("/sys/block/%s/dm/name", base + 1);
  g_autofree char *uuid = NULL, *name = NULL;
  if (!g_file_get_contents (uuid_path, &uuid, NULL, NULL) ||
      !g_file_get_contents (name_path, &name, NULL, NULL))
    return FALSE;
  g_strchomp (uuid);
  g_strchomp (name);
  if (!g_str_has_prefix (uuid, "LVM-"))
    return FALSE;
  if (strlen (uuid) > 4 + 64)
    return TRUE;
  const char *lv = dm_lv_name (name);
  return lv != NULL && is_hidden_lv_name (lv);
}

gboolean
gd_do_list_filesystems (GdRequest *req, char ***ret, GError **error)
{
  (void) error;
  GdConnection *conn = gd_request_connection (req);
  g_autoptr (GPtrArray) disks = gd_list_disks (conn);
  g_autoptr (GPtrArray) parts = gd_list_partitions (conn);
  GPtrArray *out = g_ptr_array_new ();

  /* Whole disks, unless partitioned: a filesystem directly on the disk. */
  for (guint i = 0; i < disks->len; i++)
    {
      GdDevice *disk = disks->pdata[i];
      size_t n = strlen (disk->guest);
      gboolean partitioned = FALSE;
      for (guint j = 0; j < parts->len && !partitioned; j++)
        {
          GdDevice *p = parts->pdata[j];
          partitioned = strncmp (p->guest, disk->guest, n) == 0 && g_ascii_isdigit (p->guest[n]);
        }
      if (!partitioned)
        check_device (req, out, disk, FALSE);
    }
  for (guint i = 0; i < parts->len; i++)
    check_device (req, out, parts->pdata[i], TRUE);

  g_autoptr (GPtrArray) stacked = g_ptr_array_new_with_free_func ((GDestroyNotify) gd_device_free);
  gd_fs_add_stacked_devices (req, stacked, "md");
  gd_fs_add_stacked_devices (req, stacked, "dm-");
  for (guint i = 0; i < stacked->len; i++)
    if (!is_hidden_lvm_volume (stacked->pdata[i]))
      check_device (req, out, stacked->pdata[i], FALSE);

  g_ptr_array_add (out, NULL);
  *ret = (char **) g_ptr_array_free (out, FALSE);
  return TRUE;
}

/* ------------------------------------------------------------------------
 * filesystem_available.
 */

/* Filesystems the kernel lacks but mount can still provide through FUSE. */
static const struct
{
  const char *fs, *program;
} fuse_fallbacks[] = {
  { "vfat", "fusefat" },
  { "msdos", "fusefat" },
  { "iso9660", "fuseiso" },
};

gboolean
gd_do_filesystem_available (GdRequest *req, const char *filesystem, gboolean *ret, GError **error)
{
  if (*filesystem == '\0' ||
      strspn (filesystem, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
          strlen (filesystem))
    {
      gd_error_errno (error, EINVAL, "%s: invalid filesystem name", filesystem);
      return FALSE;
    }
  /* Built in, or a module that loads. */
  if (gd_kernel_can_mount (filesystem))
    {
      *ret = TRUE;
      return TRUE;
    }
  /* mount(8) runs mount.TYPE helpers (ntfs-3g, exfat-fuse ...) itself. */
  g_autofree char *helper = g_strconcat ("mount.", filesystem, NULL);
  gboolean have_fuse = access ("/dev/fuse", F_OK) == 0 && gd_kernel_has_filesystem ("fuse");
  *ret = gd_prog_exists (helper);
  for (size_t i = 0; i < G_N_ELEMENTS (fuse_fallbacks) && !*ret; i++)
    if (strcmp (fuse_fallbacks[i].fs, filesystem) == 0 && have_fuse)
      *ret = gd_prog_exists (fuse_fallbacks[i].program);
  return TRUE;
}
