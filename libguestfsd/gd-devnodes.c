/* libguestfsd: the block device nodes of a /dev the daemon keeps itself.
 *
 * In host mode the daemon runs in a jail whose /dev is a tmpfs of its own
 * (guestfsd/jail.c): neither udev nor devtmpfs makes nodes there, so the
 * nodes of the devices the daemon creates, its loop devices and their
 * partitions, are made here, from the numbers the kernel publishes in
 * sysfs (/sys/class/block/NAME/dev).  The jail marks such a /dev with
 * GD_DEVNODES_MARKER; anywhere else (the appliance, live mode, the tests
 * that run the library unjailed) every function here does nothing.
 *
 * Partitions of a loop device get their numbers from the kernel's
 * extended range (major 259) when the table is read, so a node left from
 * an earlier table could name another device's partition later: nodes
 * are replaced whenever their number differs from sysfs, and removed
 * when the kernel has no such partition.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "gd-devnodes.h"

gboolean
gd_devnodes_managed (void)
{
  static int managed = -1;
  if (managed < 0)
    managed = access (GD_DEVNODES_MARKER, F_OK) == 0;
  return managed;
}

/* The device number the kernel gives block device name; FALSE if the
 * kernel has no such device. */
static gboolean
sysfs_devt (const char *name, dev_t *out)
{
  g_autofree char *file = g_strdup_printf ("/sys/class/block/%s/dev", name);
  g_autofree char *text = NULL;
  if (!g_file_get_contents (file, &text, NULL, NULL))
    return FALSE;
  unsigned int maj, min;
  if (sscanf (text, "%u:%u", &maj, &min) != 2)
    return FALSE;
  *out = makedev (maj, min);
  return TRUE;
}

static gboolean
valid_name (const char *name)
{
  return name[0] != '\0' && name[0] != '.' && strchr (name, '/') == NULL;
}

gboolean
gd_devnodes_make (const char *name)
{
  if (!gd_devnodes_managed () || !valid_name (name))
    return FALSE;
  g_autofree char *node = g_strconcat ("/dev/", name, NULL);
  dev_t want;
  gboolean exists = sysfs_devt (name, &want);
  struct stat st;
  if (lstat (node, &st) == 0)
    {
      if (exists && S_ISBLK (st.st_mode) && st.st_rdev == want)
        return TRUE;
      if (unlink (node) < 0)
        return FALSE;
    }
  if (!exists)
    return FALSE;
  return mknod (node, S_IFBLK | 0600, want) == 0;
}

/* Whether name is disk's partition name: disk, "p" if disk ends in a
 * digit, a number. */
static gboolean
is_partition_name (const char *disk, const char *name)
{
  gsize n = strlen (disk);
  if (strncmp (name, disk, n) != 0)
    return FALSE;
  const char *p = name + n;
  if (n > 0 && g_ascii_isdigit (disk[n - 1]) && *p++ != 'p')
    return FALSE;
  if (*p == '\0' || *p == '0')
    return FALSE;
  for (; *p; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  return TRUE;
}

void
gd_devnodes_prune_loops (void)
{
  if (!gd_devnodes_managed ())
    return;
  g_autoptr (GDir) dev = g_dir_open ("/dev", 0, NULL);
  const char *name;
  while (dev != NULL && (name = g_dir_read_name (dev)) != NULL)
    {
      if (!g_str_has_prefix (name, "loop") || name[4] == '\0')
        continue;
      gboolean digits = TRUE;
      for (const char *p = name + 4; *p && digits; p++)
        digits = g_ascii_isdigit (*p);
      if (!digits)
        continue;
      g_autofree char *backing = g_strdup_printf ("/sys/class/block/%s/loop/backing_file", name);
      if (access (backing, F_OK) < 0)
        {
          g_autofree char *node = g_strconcat ("/dev/", name, NULL);
          unlink (node);
        }
    }
}

void
gd_devnodes_sync_partitions (const char *disk_node)
{
  if (!gd_devnodes_managed () || !g_str_has_prefix (disk_node, "/dev/"))
    return;
  const char *disk = disk_node + 5;
  if (!valid_name (disk))
    return;
  gd_devnodes_make (disk);
  /* The kernel's partitions of disk (sysfs lists them in the disk's
   * directory), then our nodes that it no longer has. */
  g_autofree char *sysdir = g_strconcat ("/sys/class/block/", disk, NULL);
  g_autoptr (GDir) dir = g_dir_open (sysdir, 0, NULL);
  const char *name;
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (is_partition_name (disk, name))
      gd_devnodes_make (name);
  g_autoptr (GDir) dev = g_dir_open ("/dev", 0, NULL);
  while (dev != NULL && (name = g_dir_read_name (dev)) != NULL)
    if (is_partition_name (disk, name))
      gd_devnodes_make (name); /* removes it when sysfs has no such device */
}
