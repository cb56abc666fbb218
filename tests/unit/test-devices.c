/* Unit tests: guest disk names (/dev/sda .. /dev/sdzz ..), their parsing,
 * partition node names ("p" after a digit), and the device table of a
 * real loop drive with partitions: host node <-> guest name, lookups and
 * their errors.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <string.h>

#include <gio/gio.h>
#include <libguestfsd/guestfsd.h>

#include "gd-devices.h"
#include "gd-private.h"
#include "gdt-server.h"

static void
check_disk_name (guint index, const char *want)
{
  g_autofree char *got = gd_device_table_guest_disk_name (index);
  g_assert_cmpstr (got, ==, want);
  /* And back. */
  guint i = G_MAXUINT, p = G_MAXUINT;
  g_assert_true (gd_parse_guest_disk_name (want, &i, &p));
  g_assert_cmpuint (i, ==, index);
  g_assert_cmpuint (p, ==, 0);
}

static void
test_guest_disk_names (void)
{
  check_disk_name (0, "/dev/sda");
  check_disk_name (1, "/dev/sdb");
  check_disk_name (25, "/dev/sdz");
  check_disk_name (26, "/dev/sdaa");
  check_disk_name (27, "/dev/sdab");
  check_disk_name (51, "/dev/sdaz");
  check_disk_name (52, "/dev/sdba");
  check_disk_name (701, "/dev/sdzz");
  check_disk_name (702, "/dev/sdaaa");
  check_disk_name (18277, "/dev/sdzzz");
  check_disk_name (18278, "/dev/sdaaaa");

  /* Every index up to a few thousand maps one-to-one. */
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < 5000; i++)
    {
      char *name = gd_device_table_guest_disk_name (i);
      g_assert_false (g_hash_table_contains (seen, name));
      guint idx, part;
      g_assert_true (gd_parse_guest_disk_name (name, &idx, &part));
      g_assert_cmpuint (idx, ==, i);
      g_hash_table_add (seen, name);
    }
}

static void
check_parse (const char *name, gboolean ok, guint index, guint partnum)
{
  guint i = 12345, p = 12345;
  gboolean r = gd_parse_guest_disk_name (name, &i, &p);
  if (r != ok)
    g_error ("gd_parse_guest_disk_name (\"%s\") returned %d", name, r);
  if (ok)
    {
      g_assert_cmpuint (i, ==, index);
      g_assert_cmpuint (p, ==, partnum);
    }
}

static void
test_parse_disk_names (void)
{
  check_parse ("/dev/sda", TRUE, 0, 0);
  check_parse ("/dev/sda1", TRUE, 0, 1);
  check_parse ("/dev/sdb12", TRUE, 1, 12);
  check_parse ("/dev/vda", TRUE, 0, 0);
  check_parse ("/dev/vdc3", TRUE, 2, 3);
  check_parse ("/dev/hda", TRUE, 0, 0);
  check_parse ("/dev/xvdb2", TRUE, 1, 2);
  check_parse ("/dev/ubda", TRUE, 0, 0);
  check_parse ("/dev/sdaa", TRUE, 26, 0);
  check_parse ("/dev/sdaa7", TRUE, 26, 7);
  check_parse ("/dev/sdzz", TRUE, 701, 0);
  check_parse ("/dev/sdaaa", TRUE, 702, 0);
  check_parse ("/dev/sda128", TRUE, 0, 128);

  check_parse ("", FALSE, 0, 0);
  check_parse ("sda", FALSE, 0, 0);
  check_parse ("/dev/sd", FALSE, 0, 0);
  check_parse ("/dev/sda0", FALSE, 0, 0);
  check_parse ("/dev/sda01", FALSE, 0, 0);
  check_parse ("/dev/sdA", FALSE, 0, 0);
  check_parse ("/dev/sda1a", FALSE, 0, 0);
  check_parse ("/dev/sda-1", FALSE, 0, 0);
  check_parse ("/dev/sda/", FALSE, 0, 0);
  check_parse ("/dev/sdaaaaa", FALSE, 0, 0);
  check_parse ("/dev/sda99999999999999999999", FALSE, 0, 0);
  check_parse ("/dev/loop0", FALSE, 0, 0);
  check_parse ("/dev/nvme0n1", FALSE, 0, 0);
  check_parse ("/dev/mapper/vg-lv", FALSE, 0, 0);
  check_parse ("/dev/md0", FALSE, 0, 0);
  check_parse ("/dev/sr0", FALSE, 0, 0);
}

static void
check_partition_node (const char *disk, guint n, const char *want)
{
  g_autofree char *got = gd_device_partition_node (disk, n);
  g_assert_cmpstr (got, ==, want);
}

static void
test_partition_nodes (void)
{
  check_partition_node ("/dev/sda", 1, "/dev/sda1");
  check_partition_node ("/dev/sdaa", 12, "/dev/sdaa12");
  check_partition_node ("/dev/vdb", 3, "/dev/vdb3");
  check_partition_node ("/dev/loop0", 1, "/dev/loop0p1");
  check_partition_node ("/dev/loop12", 2, "/dev/loop12p2");
  check_partition_node ("/dev/nvme0n1", 1, "/dev/nvme0n1p1");
  check_partition_node ("/dev/mmcblk0", 5, "/dev/mmcblk0p5");
}

/* ---- a real drive -------------------------------------------------------- */

static char *tmpdir;

static gboolean
make_partitioned_image (const char *path, GError **error)
{
  if (!gdt_make_image (path, 16 * 1024 * 1024, NULL, error))
    return FALSE;
  const char *argv[] = { "sfdisk", "-q", "--no-reread", "--no-tell-kernel", path, NULL };
  const char *table = "label: dos\nstart=2048, size=8192, type=83\nstart=10240, type=83\n";
  GSubprocess *p = g_subprocess_newv (
      argv, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE, error);
  if (p == NULL)
    return FALSE;
  gboolean ok = g_subprocess_communicate_utf8 (p, table, NULL, NULL, NULL, error) &&
                g_subprocess_wait_check (p, NULL, error);
  g_object_unref (p);
  return ok;
}

static GdDeviceTable *
table_with_drive (const char *name, gboolean partitioned)
{
  g_autofree char *img = g_build_filename (tmpdir, name, NULL);
  g_autoptr (GError) error = NULL;
  gboolean made = partitioned ? make_partitioned_image (img, &error)
                              : gdt_make_image (img, 1024 * 1024, NULL, &error);
  if (!made)
    {
      g_autofree char *msg = g_strdup_printf ("cannot make an image: %s", error->message);
      g_test_skip (msg);
      return NULL;
    }
  GdDeviceTable *t = gd_device_table_new ();
  if (!gd_device_table_add_drive (t, img, FALSE, &error))
    {
      g_autofree char *msg = g_strdup_printf ("cannot attach a loop device: %s", error->message);
      g_test_skip (msg);
      gd_device_table_free (t);
      return NULL;
    }
  return t;
}

static void
test_loop_drive (void)
{
  g_autoptr (GdDeviceTable) t = table_with_drive ("part.img", TRUE);
  if (t == NULL)
    return;
  g_assert_cmpuint (gd_device_table_n_drives (t), ==, 1);
  const char *node = gd_device_table_node (t, 0);
  g_assert_true (g_str_has_prefix (node, "/dev/loop"));
  g_autofree char *p1 = g_strconcat (node, "p1", NULL);
  g_autofree char *p2 = g_strconcat (node, "p2", NULL);

  /* Host node -> guest name. */
  g_autofree char *g0 = gd_device_table_guest_name (t, node);
  g_assert_cmpstr (g0, ==, "/dev/sda");
  g_autofree char *g1 = gd_device_table_guest_name (t, p1);
  g_assert_cmpstr (g1, ==, "/dev/sda1");
  g_autofree char *g2 = gd_device_table_guest_name (t, p2);
  g_assert_cmpstr (g2, ==, "/dev/sda2");
  /* Not ours, or not a partition name: unchanged. */
  g_autofree char *other = gd_device_table_guest_name (t, "/dev/null");
  g_assert_cmpstr (other, ==, "/dev/null");
  g_autofree char *bad = g_strconcat (node, "p0", NULL);
  g_autofree char *gbad = gd_device_table_guest_name (t, bad);
  g_assert_cmpstr (gbad, ==, bad);
  g_autofree char *nop = g_strconcat (node, "1", NULL);
  g_autofree char *gnop = gd_device_table_guest_name (t, nop);
  g_assert_cmpstr (gnop, ==, nop);

  /* Guest name -> device, in each of the accepted spellings. */
  const char *names[] = { "/dev/sda", "/dev/vda", "/dev/hda", "/dev/xvda" };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GdDevice) d = gd_device_table_lookup (t, names[i], &error);
      g_assert_no_error (error);
      g_assert_cmpstr (d->guest, ==, "/dev/sda");
      g_assert_cmpstr (d->node, ==, node);
    }
  g_autoptr (GError) error = NULL;
  g_autoptr (GdDevice) d2 = gd_device_table_lookup (t, "/dev/sda2", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (d2->guest, ==, "/dev/sda2");
  g_assert_cmpstr (d2->node, ==, p2);
  /* The host node itself is accepted and named as the guest names it. */
  g_autoptr (GdDevice) d3 = gd_device_table_lookup (t, p1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (d3->guest, ==, "/dev/sda1");
  g_assert_cmpstr (d3->node, ==, p1);

  g_autoptr (GPtrArray) disks = gd_device_table_disks (t);
  g_assert_cmpuint (disks->len, ==, 1);
  g_autoptr (GPtrArray) parts = gd_device_table_partitions (t);
  g_assert_cmpuint (parts->len, ==, 2);
  GdDevice *pa = g_ptr_array_index (parts, 0);
  GdDevice *pb = g_ptr_array_index (parts, 1);
  g_assert_cmpstr (pa->guest, ==, "/dev/sda1");
  g_assert_cmpstr (pa->node, ==, p1);
  g_assert_cmpstr (pb->guest, ==, "/dev/sda2");
  g_assert_cmpstr (pb->node, ==, p2);
}

static void
check_lookup_error (GdDeviceTable *t, const char *name, int errnum, const char *substring)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GdDevice) d = gd_device_table_lookup (t, name, &error);
  g_assert_null (d);
  g_assert_error (error, GD_ERRNO_ERROR, errnum);
  if (strstr (error->message, substring) == NULL)
    g_error ("lookup of %s: \"%s\" lacks \"%s\"", name, error->message, substring);
}

static void
test_lookup_errors (void)
{
  g_autoptr (GdDeviceTable) t = table_with_drive ("part2.img", TRUE);
  if (t == NULL)
    return;
  g_autoptr (GdDeviceTable) other = table_with_drive ("other.img", FALSE);
  if (other == NULL)
    return;

  check_lookup_error (t, "sda", EINVAL, "expecting a device name");
  check_lookup_error (t, "/dev/", EINVAL, "expecting a device name");
  check_lookup_error (t, "", EINVAL, "expecting a device name");
  check_lookup_error (t, "/dev/sdb", ENOENT, "/dev/sdb: no such device");
  check_lookup_error (t, "/dev/sdaa", ENOENT, "no such device");
  check_lookup_error (t, "/dev/sda3", ENOENT, "/dev/sda3: no such partition");
  check_lookup_error (t, "/dev/null", EINVAL, "not a block device");
  check_lookup_error (t, "/dev/no-such-node", ENOENT, "/dev/no-such-node");
  /* Somebody else's loop device. */
  check_lookup_error (t, gd_device_table_node (other, 0), EPERM, "not a device of this daemon");
  check_lookup_error (other, gd_device_table_node (t, 0), EPERM, "not a device of this daemon");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  tmpdir = gdt_make_temp_dir ("gdt-devices");
  g_test_add_func ("/devices/guest-disk-names", test_guest_disk_names);
  g_test_add_func ("/devices/parse-disk-names", test_parse_disk_names);
  g_test_add_func ("/devices/partition-nodes", test_partition_nodes);
  g_test_add_func ("/devices/loop-drive", test_loop_drive);
  g_test_add_func ("/devices/lookup-errors", test_lookup_errors);
  int ret = g_test_run ();
  gdt_rm_rf (tmpdir);
  g_free (tmpdir);
  return ret;
}
