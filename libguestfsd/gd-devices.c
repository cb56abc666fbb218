/* libguestfsd: the disks a daemon serves, and guest <-> host device names.
 *
 * The client always names disks the way the guest sees them: /dev/sda is
 * the first drive, /dev/sdb2 the second partition of the second drive.
 * On a host the drives are loop devices; in the appliance they are the
 * entries of /sys/block.  Any other block device is accepted only when it
 * is stacked (dm, md) on our drives, so nothing else can be touched.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <libguestfsd/guestfsd.h>

#include "gd-devices.h"
#include "gd-devnodes.h"
#include "gd-loop.h"
#include "gd-partscan.h"
#include "gd-private.h"

typedef struct
{
  char *node;    /* /dev/loop3, /dev/sda */
  char *sysname; /* loop3, sda */
  char *syspath; /* canonical /sys/devices/... directory */
  int loop_fd;   /* -1 unless we attached a loop device */
} GdDrive;

struct _GdDeviceTable
{
  GPtrArray *drives; /* of GdDrive */
};

void
gd_device_free (GdDevice *dev)
{
  if (dev == NULL)
    return;
  g_free (dev->guest);
  g_free (dev->node);
  g_free (dev);
}

GdDevice *
gd_device_copy (const GdDevice *dev)
{
  GdDevice *copy = g_new (GdDevice, 1);
  copy->guest = g_strdup (dev->guest);
  copy->node = g_strdup (dev->node);
  return copy;
}

static GdDevice *
device_new (const char *guest, const char *node)
{
  GdDevice *dev = g_new (GdDevice, 1);
  dev->guest = g_strdup (guest);
  dev->node = g_strdup (node);
  return dev;
}

static void
drive_free (gpointer p)
{
  GdDrive *d = p;
  g_free (d->node);
  g_free (d->sysname);
  g_free (d->syspath);
  if (d->loop_fd >= 0)
    gd_loop_detach (d->loop_fd);
  g_free (d);
}

GdDeviceTable *
gd_device_table_new (void)
{
  GdDeviceTable *table = g_new0 (GdDeviceTable, 1);
  table->drives = g_ptr_array_new_with_free_func (drive_free);
  return table;
}

void
gd_device_table_free (GdDeviceTable *table)
{
  if (table == NULL)
    return;
  g_ptr_array_unref (table->drives);
  g_free (table);
}

/* Canonical sysfs directory of a block device number. */
static char *
sysfs_path_of_rdev (dev_t rdev)
{
  g_autofree char *link = g_strdup_printf ("/sys/dev/block/%u:%u", major (rdev), minor (rdev));
  return realpath (link, NULL);
}

char *
gd_device_sysfs_dir (const char *node)
{
  struct stat st;
  if (stat (node, &st) < 0 || !S_ISBLK (st.st_mode))
    return NULL;
  return sysfs_path_of_rdev (st.st_rdev);
}

static gboolean
partsep_needed (const char *sysname)
{
  size_t len = strlen (sysname);
  return len > 0 && g_ascii_isdigit (sysname[len - 1]);
}

static GdDrive *
drive_new (const char *node, dev_t rdev, int loop_fd, GError **error)
{
  g_autofree char *syspath = sysfs_path_of_rdev (rdev);
  if (syspath == NULL)
    {
      g_set_error (error, GUESTFSD_ERROR, GUESTFSD_ERROR_DRIVE,
                   "%s: no sysfs entry for this block device", node);
      return NULL;
    }
  GdDrive *d = g_new0 (GdDrive, 1);
  d->node = g_strdup (node);
  d->sysname = g_path_get_basename (syspath);
  d->syspath = g_steal_pointer (&syspath);
  d->loop_fd = loop_fd;
  return d;
}

/* The block device holding the filesystem of "/", which must never be
 * served (it is the appliance's own disk, or the host's). */
static gboolean
holds_root_filesystem (const char *syspath)
{
  struct stat st;
  if (stat ("/", &st) < 0)
    return FALSE;
  g_autofree char *root = sysfs_path_of_rdev (st.st_dev);
  if (root == NULL)
    return FALSE;
  if (strcmp (root, syspath) == 0)
    return TRUE;
  g_autofree char *parent = g_path_get_dirname (root);
  return strcmp (parent, syspath) == 0;
}

gboolean
gd_device_table_add_drive (GdDeviceTable *table, const char *path, gboolean readonly,
                           GError **error)
{
  struct stat st;
  if (stat (path, &st) < 0)
    {
      int saved = errno;
      g_set_error (error, GUESTFSD_ERROR, GUESTFSD_ERROR_DRIVE, "%s: %s", path, g_strerror (saved));
      return FALSE;
    }

  GdDrive *d;
  if (S_ISBLK (st.st_mode))
    {
      g_autofree char *node = realpath (path, NULL);
      d = drive_new (node ? node : path, st.st_rdev, -1, error);
      if (d == NULL)
        return FALSE;
      if (holds_root_filesystem (d->syspath))
        {
          g_set_error (error, GUESTFSD_ERROR, GUESTFSD_ERROR_DRIVE,
                       "%s: refusing the device that holds the root filesystem", path);
          drive_free (d);
          return FALSE;
        }
    }
  else if (S_ISREG (st.st_mode))
    {
      g_autofree char *node = NULL;
      int loop_fd = gd_loop_attach (path, readonly, &node, error);
      if (loop_fd < 0)
        return FALSE;
      struct stat lst;
      if (fstat (loop_fd, &lst) < 0)
        {
          gd_loop_detach (loop_fd);
          g_set_error (error, GUESTFSD_ERROR, GUESTFSD_ERROR_DRIVE, "%s: fstat failed", node);
          return FALSE;
        }
      d = drive_new (node, lst.st_rdev, loop_fd, error);
      if (d == NULL)
        {
          gd_loop_detach (loop_fd);
          return FALSE;
        }
    }
  else
    {
      g_set_error (error, GUESTFSD_ERROR, GUESTFSD_ERROR_DRIVE,
                   "%s: not a regular file or block device", path);
      return FALSE;
    }
  g_ptr_array_add (table->drives, d);
  /* The kernel may not have found the partitions by itself. */
  g_autoptr (GError) scan_error = NULL;
  if (!gd_partitions_sync (d->node, &scan_error))
    g_printerr ("guestfsd: %s\n", scan_error->message);
  return TRUE;
}

static const char *const disk_prefixes[] = { "sd", "vd", "hd", "xvd", "ubd", "sr", NULL };

static gboolean
is_disk_sysname (const char *name)
{
  for (const char *const *p = disk_prefixes; *p; p++)
    {
      size_t n = strlen (*p);
      if (strncmp (name, *p, n) == 0 && name[n] >= 'a' && name[n] <= 'z')
        return TRUE;
    }
  return FALSE;
}

/* A sysfs path component made of an optional lower-case word and numbers
 * separated by ':' or '.' ("host2", "target2:0:10", "2:0:10:0",
 * "0000:00:03.0"), compared number by number.  Anything else (hex PCI
 * addresses with letters, "virtio1" vs "block") compares as bytes, which
 * is right for the fixed-width PCI addresses. */
static gboolean
numbered_component (const char *s, size_t len, size_t *prefix)
{
  size_t i = 0;
  while (i < len && g_ascii_islower (s[i]))
    i++;
  *prefix = i;
  if (i == len || !g_ascii_isdigit (s[i]))
    return FALSE;
  for (; i < len; i++)
    if (!g_ascii_isdigit (s[i]) && s[i] != ':' && s[i] != '.')
      return FALSE;
  return TRUE;
}

static int
compare_component (const char *a, size_t la, const char *b, size_t lb)
{
  size_t pa, pb;
  if (numbered_component (a, la, &pa) && numbered_component (b, lb, &pb) && pa == pb &&
      memcmp (a, b, pa) == 0)
    {
      const char *ea = a + la, *eb = b + lb;
      a += pa;
      b += pb;
      while (a < ea && b < eb)
        {
          if (!g_ascii_isdigit (*a) || !g_ascii_isdigit (*b))
            {
              if (*a != *b)
                return *a < *b ? -1 : 1;
              a++, b++;
              continue;
            }
          while (a < ea && *a == '0' && a + 1 < ea && g_ascii_isdigit (a[1]))
            a++;
          while (b < eb && *b == '0' && b + 1 < eb && g_ascii_isdigit (b[1]))
            b++;
          size_t na = 0, nb = 0;
          while (a + na < ea && g_ascii_isdigit (a[na]))
            na++;
          while (b + nb < eb && g_ascii_isdigit (b[nb]))
            nb++;
          if (na != nb)
            return na < nb ? -1 : 1;
          int c = memcmp (a, b, na);
          if (c != 0)
            return c;
          a += na;
          b += nb;
        }
      return (a < ea) - (b < eb);
    }
  int c = memcmp (a, b, MIN (la, lb));
  return c != 0 ? c : (la > lb) - (la < lb);
}

/* Drives in the order of their place on the bus, as the library added
 * them: controller, then SCSI host:channel:target:lun.  Kernel names are
 * no guide: the SCSI disks of one controller are probed in parallel, so
 * the appliance's own disk (added last) may well become sda. */
static int
compare_bus_order (gconstpointer a, gconstpointer b)
{
  const char *pa = (*(const GdDrive *const *) a)->syspath;
  const char *pb = (*(const GdDrive *const *) b)->syspath;
  while (*pa && *pb)
    {
      size_t la = strcspn (pa, "/"), lb = strcspn (pb, "/");
      int c = compare_component (pa, la, pb, lb);
      if (c != 0)
        return c;
      pa += la;
      pb += lb;
      while (*pa == '/')
        pa++;
      while (*pb == '/')
        pb++;
    }
  return (*pa != '\0') - (*pb != '\0');
}

void
gd_device_table_discover (GdDeviceTable *table, gboolean with_root)
{
  g_autoptr (GDir) dir = g_dir_open ("/sys/block", 0, NULL);
  if (dir == NULL)
    return;
  const char *name;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      if (!is_disk_sysname (name))
        continue;
      g_autofree char *node = g_strconcat ("/dev/", name, NULL);
      struct stat st;
      if (stat (node, &st) < 0 || !S_ISBLK (st.st_mode))
        continue;
      GdDrive *d = drive_new (node, st.st_rdev, -1, NULL);
      if (d == NULL)
        continue;
      if (!with_root && holds_root_filesystem (d->syspath))
        {
          drive_free (d);
          continue;
        }
      /* A CD drive without a disc cannot be opened: leave it out. */
      int fd = open (node, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        {
          drive_free (d);
          continue;
        }
      close (fd);
      g_ptr_array_add (table->drives, d);
    }
  g_ptr_array_sort (table->drives, compare_bus_order);
}

guint
gd_device_table_n_drives (GdDeviceTable *table)
{
  return table->drives->len;
}

const char *
gd_device_table_node (GdDeviceTable *table, guint i)
{
  g_return_val_if_fail (i < table->drives->len, NULL);
  GdDrive *d = g_ptr_array_index (table->drives, i);
  return d->node;
}

char *
gd_device_table_guest_disk_name (guint index)
{
  /* Bijective base 26: a..z, aa..zz, aaa.. */
  char letters[8];
  int n = 0;
  guint v = index + 1;
  while (v > 0 && n < (int) sizeof letters)
    {
      v--;
      letters[n++] = 'a' + v % 26;
      v /= 26;
    }
  GString *s = g_string_new ("/dev/sd");
  while (n > 0)
    g_string_append_c (s, letters[--n]);
  return g_string_free (s, FALSE);
}

gboolean
gd_parse_guest_disk_name (const char *name, guint *index, guint *partnum)
{
  static const char *const prefixes[] = { "/dev/sd",  "/dev/vd",  "/dev/hd",
                                          "/dev/xvd", "/dev/ubd", NULL };
  const char *p = NULL;
  for (const char *const *pre = prefixes; *pre; pre++)
    if (g_str_has_prefix (name, *pre))
      {
        p = name + strlen (*pre);
        break;
      }
  if (p == NULL || !(*p >= 'a' && *p <= 'z'))
    return FALSE;
  guint64 idx = 0;
  int nletters = 0;
  for (; *p >= 'a' && *p <= 'z'; p++, nletters++)
    {
      if (nletters >= 4)
        return FALSE;
      idx = idx * 26 + (*p - 'a' + 1);
    }
  guint64 part = 0;
  if (*p != '\0')
    {
      if (*p == '0')
        return FALSE;
      for (; *p; p++)
        {
          if (!g_ascii_isdigit (*p) || part > 100000)
            return FALSE;
          part = part * 10 + (*p - '0');
        }
    }
  *index = (guint) idx - 1;
  *partnum = (guint) part;
  return TRUE;
}

char *
gd_device_partition_node (const char *disk_node, guint partnum)
{
  g_autofree char *name = g_path_get_basename (disk_node);
  return g_strdup_printf ("%s%s%u", disk_node, partsep_needed (name) ? "p" : "", partnum);
}

static char *
partition_node (const GdDrive *d, guint partnum)
{
  return gd_device_partition_node (d->node, partnum);
}

/* Partition number of node if it is a partition of drive d, else 0. */
static guint
partition_of (const GdDrive *d, const char *node)
{
  if (!g_str_has_prefix (node, d->node))
    return 0;
  const char *p = node + strlen (d->node);
  if (partsep_needed (d->sysname))
    {
      if (*p != 'p')
        return 0;
      p++;
    }
  if (*p == '\0' || *p == '0')
    return 0;
  guint n = 0;
  for (; *p; p++)
    {
      if (!g_ascii_isdigit (*p) || n > 100000)
        return 0;
      n = n * 10 + (*p - '0');
    }
  return n;
}

char *
gd_device_table_guest_name (GdDeviceTable *table, const char *node)
{
  for (guint i = 0; i < table->drives->len; i++)
    {
      GdDrive *d = g_ptr_array_index (table->drives, i);
      g_autofree char *disk = NULL;
      if (strcmp (node, d->node) == 0)
        return gd_device_table_guest_disk_name (i);
      guint part = partition_of (d, node);
      if (part > 0)
        {
          disk = gd_device_table_guest_disk_name (i);
          return g_strdup_printf ("%s%u", disk, part);
        }
    }
  /* /dev/dm-N and /dev/mapper/NAME: the name the original reports. */
  if (g_str_has_prefix (node, "/dev/dm-") || g_str_has_prefix (node, "/dev/mapper/"))
    {
      char *name = gd_device_dm_name (node);
      if (name != NULL)
        return name;
    }
  return g_strdup (node);
}

/* Splits a device-mapper name made by LVM ("VG-LV", each '-' inside a
 * name doubled) into /dev/VG/LV. */
static char *
lvm_dm_name_to_path (const char *dmname)
{
  const char *p = dmname;
  while (*p)
    {
      if (*p == '-' && p[1] == '-')
        p += 2;
      else if (*p == '-')
        break;
      else
        p++;
    }
  if (*p != '-' || p == dmname || p[1] == '\0')
    return NULL;
  g_autofree char *vg = g_strndup (dmname, p - dmname);
  g_autofree char *lv = g_strdup (p + 1);
  GString *out = g_string_new ("/dev/");
  for (const char *s = vg; *s; s++)
    {
      g_string_append_c (out, *s);
      if (*s == '-')
        s++; /* "--" stands for "-" */
    }
  g_string_append_c (out, '/');
  for (const char *s = lv; *s; s++)
    {
      g_string_append_c (out, *s);
      if (*s == '-')
        s++;
    }
  return g_string_free (out, FALSE);
}

gboolean
gd_device_dm_info (const char *node, char **name, char **uuid)
{
  struct stat st;
  if (stat (node, &st) < 0 || !S_ISBLK (st.st_mode))
    return FALSE;
  g_autofree char *dir =
      g_strdup_printf ("/sys/dev/block/%u:%u/dm", major (st.st_rdev), minor (st.st_rdev));
  g_autofree char *name_file = g_build_filename (dir, "name", NULL);
  g_autofree char *uuid_file = g_build_filename (dir, "uuid", NULL);
  g_autofree char *n = NULL, *u = NULL;
  if (!g_file_get_contents (name_file, &n, NULL, NULL))
    return FALSE;
  if (!g_file_get_contents (uuid_file, &u, NULL, NULL))
    u = g_strdup ("");
  if (name)
    *name = g_strchomp (g_steal_pointer (&n));
  if (uuid)
    *uuid = g_strchomp (g_steal_pointer (&u));
  return TRUE;
}

char *
gd_device_dm_name (const char *node)
{
  g_autofree char *dmname = NULL, *uuid = NULL;
  if (!gd_device_dm_info (node, &dmname, &uuid) || *dmname == '\0')
    return NULL;
  /* A logical volume: "LVM-" and the VG and LV UUIDs (32 characters
   * each), with nothing after them (LVM's internal layers add "-real",
   * "-cow", "-tpool" ...). */
  if (g_str_has_prefix (uuid, "LVM-") && strlen (uuid) == 4 + 64)
    {
      char *path = lvm_dm_name_to_path (dmname);
      if (path != NULL)
        return path;
    }
  return g_strconcat ("/dev/mapper/", dmname, NULL);
}

/* Is the block device at syspath ours: a drive, a partition of one, or
 * built only from such devices (dm, md)? */
static gboolean
syspath_is_ours (GdDeviceTable *table, const char *syspath, int depth)
{
  if (depth > 16)
    return FALSE;
  g_autofree char *parent = g_path_get_dirname (syspath);
  for (guint i = 0; i < table->drives->len; i++)
    {
      GdDrive *d = g_ptr_array_index (table->drives, i);
      if (strcmp (syspath, d->syspath) == 0 || strcmp (parent, d->syspath) == 0)
        return TRUE;
    }
  g_autofree char *slaves = g_build_filename (syspath, "slaves", NULL);
  g_autoptr (GDir) dir = g_dir_open (slaves, 0, NULL);
  if (dir == NULL)
    return FALSE;
  gboolean any = FALSE;
  const char *name;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *link = g_build_filename (slaves, name, NULL);
      g_autofree char *target = realpath (link, NULL);
      if (target == NULL || !syspath_is_ours (table, target, depth + 1))
        return FALSE;
      any = TRUE;
    }
  return any;
}

static gboolean
node_is_ours (GdDeviceTable *table, dev_t rdev)
{
  g_autofree char *syspath = sysfs_path_of_rdev (rdev);
  return syspath != NULL && syspath_is_ours (table, syspath, 0);
}

gboolean
gd_device_table_node_is_ours (GdDeviceTable *table, const char *node)
{
  struct stat st;
  return stat (node, &st) == 0 && S_ISBLK (st.st_mode) && node_is_ours (table, st.st_rdev);
}

/* lvremove accepts a volume group directory (/dev/VG): every entry must be
 * one of our devices. */
static gboolean
dir_is_ours (GdDeviceTable *table, const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  if (dir == NULL)
    return FALSE;
  gboolean any = FALSE;
  const char *name;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *entry = g_build_filename (path, name, NULL);
      struct stat st;
      if (stat (entry, &st) < 0 || !S_ISBLK (st.st_mode) || !node_is_ours (table, st.st_rdev))
        return FALSE;
      any = TRUE;
    }
  return any;
}

GdDevice *
gd_device_table_lookup (GdDeviceTable *table, const char *name, GError **error)
{
  if (!g_str_has_prefix (name, "/dev/") || name[5] == '\0')
    {
      gd_error_errno (error, EINVAL, "%s: expecting a device name", name);
      return NULL;
    }

  guint index, partnum;
  if (gd_parse_guest_disk_name (name, &index, &partnum))
    {
      if (index >= table->drives->len)
        {
          gd_error_errno (error, ENOENT, "%s: no such device", name);
          return NULL;
        }
      GdDrive *d = g_ptr_array_index (table->drives, index);
      g_autofree char *guest_disk = gd_device_table_guest_disk_name (index);
      if (partnum == 0)
        return device_new (guest_disk, d->node);
      g_autofree char *node = partition_node (d, partnum);
      /* In the jail's /dev: the node, checked against the kernel's
       * number for it (gd-devnodes.c). */
      if (g_str_has_prefix (node, "/dev/"))
        gd_devnodes_make (node + 5);
      struct stat st;
      if (stat (node, &st) < 0 || !S_ISBLK (st.st_mode))
        {
          gd_error_errno (error, ENOENT, "%s: no such partition", name);
          return NULL;
        }
      g_autofree char *guest = g_strdup_printf ("%s%u", guest_disk, partnum);
      return device_new (guest, node);
    }

  struct stat st;
  if (stat (name, &st) < 0)
    {
      gd_perror (error, "%s", name);
      return NULL;
    }
  if (S_ISDIR (st.st_mode))
    {
      if (!dir_is_ours (table, name))
        {
          gd_error_errno (error, EINVAL, "%s: not a device of this daemon", name);
          return NULL;
        }
      return device_new (name, name);
    }
  if (!S_ISBLK (st.st_mode))
    {
      gd_error_errno (error, EINVAL, "%s: not a block device", name);
      return NULL;
    }
  if (!node_is_ours (table, st.st_rdev))
    {
      gd_error_errno (error, EPERM, "%s: not a device of this daemon", name);
      return NULL;
    }
  /* A node of one of our drives given by its host name: use the guest's. */
  g_autofree char *guest = gd_device_table_guest_name (table, name);
  return device_new (guest, name);
}

GPtrArray *
gd_device_table_disks (GdDeviceTable *table)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) gd_device_free);
  for (guint i = 0; i < table->drives->len; i++)
    {
      GdDrive *d = g_ptr_array_index (table->drives, i);
      g_autofree char *guest = gd_device_table_guest_disk_name (i);
      g_ptr_array_add (out, device_new (guest, d->node));
    }
  return out;
}

static int
compare_uint (gconstpointer a, gconstpointer b)
{
  guint x = GPOINTER_TO_UINT (*(gconstpointer *) a), y = GPOINTER_TO_UINT (*(gconstpointer *) b);
  return x < y ? -1 : x > y;
}

GPtrArray *
gd_device_table_partitions (GdDeviceTable *table)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) gd_device_free);
  for (guint i = 0; i < table->drives->len; i++)
    {
      GdDrive *d = g_ptr_array_index (table->drives, i);
      /* In the jail's /dev: every partition listed has its node. */
      gd_devnodes_sync_partitions (d->node);
      g_autoptr (GDir) dir = g_dir_open (d->syspath, 0, NULL);
      if (dir == NULL)
        continue;
      g_autoptr (GPtrArray) nums = g_ptr_array_new ();
      const char *name;
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          if (!g_str_has_prefix (name, d->sysname))
            continue;
          g_autofree char *pfile = g_build_filename (d->syspath, name, "partition", NULL);
          g_autofree char *content = NULL;
          if (!g_file_get_contents (pfile, &content, NULL, NULL))
            continue;
          guint64 n = g_ascii_strtoull (content, NULL, 10);
          if (n > 0 && n < G_MAXUINT)
            g_ptr_array_add (nums, GUINT_TO_POINTER ((guint) n));
        }
      g_ptr_array_sort (nums, compare_uint);
      g_autofree char *disk = gd_device_table_guest_disk_name (i);
      for (guint j = 0; j < nums->len; j++)
        {
          guint n = GPOINTER_TO_UINT (g_ptr_array_index (nums, j));
          g_autofree char *guest = g_strdup_printf ("%s%u", disk, n);
          g_autofree char *node = partition_node (d, n);
          g_ptr_array_add (out, device_new (guest, node));
        }
    }
  return out;
}

void
gd_udev_settle (void)
{
  /* The jail's /run has no udev to wait for, and its /dev is ours. */
  if (gd_devnodes_managed () || !gd_prog_exists ("udevadm"))
    return;
  const char *argv[] = { "udevadm", "settle", "--timeout=30", NULL };
  g_spawn_sync ("/", (char **) argv, NULL,
                G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                NULL, NULL, NULL, NULL, NULL);
}
