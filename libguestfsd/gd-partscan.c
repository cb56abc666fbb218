/* libguestfsd: keeping the kernel's partition list in step with the disk.
 *
 * Normally BLKRRPART is enough.  But a kernel may lack the parser for a
 * table (some host kernels have no MBR or GPT parser at all), and BLKRRPART
 * fails while a partition is in use.  So after asking the kernel, we read
 * the table with libblkid and add or delete partitions with BLKPG until
 * the kernel agrees, as partx(8) would.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <blkid.h>
#include <fcntl.h>
#include <linux/blkpg.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gd-devnodes.h"
#include "gd-partscan.h"
#include "gd-private.h"

typedef struct
{
  guint64 start; /* 512-byte sectors */
  guint64 size;
} Extent;

/* What the kernel has now: partno -> extent, from sysfs. */
static GHashTable *
kernel_partitions (const char *syspath, const char *sysname)
{
  GHashTable *out = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  g_autoptr (GDir) dir = g_dir_open (syspath, 0, NULL);
  if (dir == NULL)
    return out;
  const char *name;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      if (!g_str_has_prefix (name, sysname))
        continue;
      g_autofree char *base = g_build_filename (syspath, name, NULL);
      g_autofree char *pfile = g_build_filename (base, "partition", NULL);
      g_autofree char *sfile = g_build_filename (base, "start", NULL);
      g_autofree char *zfile = g_build_filename (base, "size", NULL);
      g_autofree char *p = NULL, *s = NULL, *z = NULL;
      if (!g_file_get_contents (pfile, &p, NULL, NULL) ||
          !g_file_get_contents (sfile, &s, NULL, NULL) ||
          !g_file_get_contents (zfile, &z, NULL, NULL))
        continue;
      Extent *e = g_new (Extent, 1);
      e->start = g_ascii_strtoull (s, NULL, 10);
      e->size = g_ascii_strtoull (z, NULL, 10);
      g_hash_table_insert (out, GUINT_TO_POINTER ((guint) g_ascii_strtoull (p, NULL, 10)), e);
    }
  return out;
}

/* What the table on the disk says, read with libblkid. */
static GHashTable *
disk_partitions (const char *node, GError **error)
{
  GHashTable *out = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  blkid_probe pr = blkid_new_probe_from_filename (node);
  if (pr == NULL)
    {
      gd_perror (error, "%s: cannot probe", node);
      g_hash_table_unref (out);
      return NULL;
    }
  blkid_probe_enable_superblocks (pr, 0);
  blkid_probe_enable_partitions (pr, 1);
  blkid_partlist list = blkid_probe_get_partitions (pr);
  int n = list ? blkid_partlist_numof_partitions (list) : 0;
  for (int i = 0; i < n; i++)
    {
      blkid_partition par = blkid_partlist_get_partition (list, i);
      int partno = blkid_partition_get_partno (par);
      if (partno <= 0)
        continue;
      Extent *e = g_new (Extent, 1);
      e->start = blkid_partition_get_start (par);
      /* As the kernel's own parser does: an extended partition is shown as
       * two sectors, so that the logical ones inside do not overlap it. */
      e->size = blkid_partition_is_extended (par) ? 2 : (guint64) blkid_partition_get_size (par);
      g_hash_table_insert (out, GUINT_TO_POINTER ((guint) partno), e);
    }
  blkid_free_probe (pr);
  return out;
}

static int
blkpg (int fd, int op, guint partno, const Extent *e)
{
  struct blkpg_partition part;
  memset (&part, 0, sizeof part);
  part.pno = partno;
  if (e != NULL)
    {
      part.start = (long long) e->start * 512;
      part.length = (long long) e->size * 512;
    }
  struct blkpg_ioctl_arg arg = {
    .op = op,
    .datalen = sizeof part,
    .data = &part,
  };
  return ioctl (fd, BLKPG, &arg);
}

static gboolean
same_extent (const Extent *a, const Extent *b)
{
  return a->start == b->start && a->size == b->size;
}

/* Something (udev's probing, a helper just done with it) may hold a
 * partition for a moment: retry a little before calling it in use. */
static int
blkpg_retry (int fd, int op, guint partno, const Extent *e)
{
  int r = -1;
  for (int tries = 0; tries < 10; tries++)
    {
      r = blkpg (fd, op, partno, e);
      if (r == 0 || errno != EBUSY)
        break;
      g_usleep (50000);
    }
  return r;
}

/* As the original waits for udev after every change of a table: the
 * client's next call (list_partitions, blockdev_getsize64 /dev/sda5)
 * must find every partition's node, and udev done with them. */
static void
wait_for_nodes (GPtrArray *nodes)
{
  gd_udev_settle ();
  for (int tries = 0; tries < 500; tries++)
    {
      gboolean all = TRUE;
      for (guint i = 0; i < nodes->len && all; i++)
        all = access (g_ptr_array_index (nodes, i), F_OK) == 0;
      if (all)
        return;
      g_usleep (10000);
    }
}

gboolean
gd_partitions_sync (const char *node, GError **error)
{
  int fd = open (node, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      gd_perror (error, "%s", node);
      return FALSE;
    }
  struct stat st;
  if (fstat (fd, &st) < 0 || !S_ISBLK (st.st_mode))
    {
      close (fd);
      gd_error_errno (error, ENOTBLK, "%s: not a block device", node);
      return FALSE;
    }
  /* udev reacts to the writer closing the disk (its inotify watch) by
   * rereading the table itself, removing and adding every partition:
   * let that finish first, or it would undo our work below while the
   * client already looks for the partitions. */
  gd_udev_settle ();
  /* Drop cached blocks so that libblkid and the kernel read the new table. */
  ioctl (fd, BLKFLSBUF, 0);
  ioctl (fd, BLKRRPART, 0); /* may fail: busy, or no parser; fixed below */

  g_autofree char *syspath = gd_device_sysfs_dir (node);
  if (syspath == NULL)
    {
      close (fd);
      gd_perror (error, "%s: no sysfs entry", node);
      return FALSE;
    }
  g_autofree char *sysname = g_path_get_basename (syspath);
  g_autoptr (GHashTable) want = disk_partitions (node, error);
  if (want == NULL)
    {
      close (fd);
      return FALSE;
    }
  g_autoptr (GHashTable) have = kernel_partitions (syspath, sysname);
  g_autoptr (GPtrArray) nodes = g_ptr_array_new_with_free_func (g_free);
  {
    GHashTableIter wit;
    gpointer wkey;
    g_hash_table_iter_init (&wit, want);
    while (g_hash_table_iter_next (&wit, &wkey, NULL))
      g_ptr_array_add (nodes, gd_device_partition_node (node, GPOINTER_TO_UINT (wkey)));
  }

  gboolean ok = TRUE;
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init (&it, have);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      Extent *w = g_hash_table_lookup (want, key);
      if (w != NULL && same_extent (w, value))
        {
          g_hash_table_remove (want, key); /* already right */
          continue;
        }
      /* Same start, new size: resize in place, which the kernel allows
       * even while the partition is mounted (growing it online). */
      if (w != NULL && w->start == ((Extent *) value)->start &&
          blkpg (fd, BLKPG_RESIZE_PARTITION, GPOINTER_TO_UINT (key), w) == 0)
        {
          g_hash_table_remove (want, key);
          continue;
        }
      if (blkpg_retry (fd, BLKPG_DEL_PARTITION, GPOINTER_TO_UINT (key), NULL) < 0 && ok)
        {
          gd_perror (error, "%s: cannot remove partition %u from the kernel's view (in use?)", node,
                     GPOINTER_TO_UINT (key));
          ok = FALSE;
        }
    }
  g_hash_table_iter_init (&it, want);
  while (ok && g_hash_table_iter_next (&it, &key, &value))
    {
      if (blkpg (fd, BLKPG_ADD_PARTITION, GPOINTER_TO_UINT (key), value) < 0)
        {
          gd_perror (error, "%s: cannot add partition %u to the kernel's view", node,
                     GPOINTER_TO_UINT (key));
          ok = FALSE;
        }
    }
  close (fd);
  /* In the jail's /dev, nobody else makes or removes the nodes. */
  gd_devnodes_sync_partitions (node);
  if (ok)
    wait_for_nodes (nodes);
  return ok;
}
