/* Unit tests: the mounts under a sysroot as read from mountinfo, with
 * the kernel's octal escapes (space, tab, newline, backslash) undone, and
 * gd_is_root_mounted / gd_umount_all.  Runs in a private mount namespace.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "gd-engine.h"
#include "gdt-server.h"

static char *tmp;
static char *ns_error;

static void
do_mount (const char *source, const char *target, const char *options)
{
  if (mount (source, target, "tmpfs", 0, options) < 0)
    g_error ("mount %s on %s: %s", source, target, g_strerror (errno));
}

static GdMountEntry *
find_target (GPtrArray *mounts, const char *target)
{
  for (guint i = 0; i < mounts->len; i++)
    {
      GdMountEntry *e = g_ptr_array_index (mounts, i);
      if (strcmp (e->target, target) == 0)
        return e;
    }
  return NULL;
}

static void
test_unescape (void)
{
  if (ns_error)
    {
      g_test_skip (ns_error);
      return;
    }
  /* The sysroot's own name needs escaping too. */
  g_autofree char *sysroot = g_build_filename (tmp, "sys root\\x", NULL);
  g_assert_cmpint (g_mkdir (sysroot, 0755), ==, 0);
  GdConfig cfg = { .sysroot = sysroot };
  g_autoptr (GdConnection) conn = gd_connection_new (&cfg, -1);
  g_assert_false (gd_is_root_mounted (conn));
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) none = gd_mounts_list (conn, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (none->len, ==, 0);

  do_mount ("root src", sysroot, "mode=755");
  const char *odd = "a b\tc\nd\\e \\040";
  g_autofree char *sub = g_build_filename (sysroot, odd, NULL);
  g_assert_cmpint (g_mkdir (sub, 0755), ==, 0);
  do_mount ("src with\ttab\\and\nnewline", sub, "size=1m");
  g_autofree char *plain = g_build_filename (sysroot, "plain", NULL);
  g_assert_cmpint (g_mkdir (plain, 0755), ==, 0);
  do_mount ("plain", plain, NULL);
  /* A mount next to the sysroot with a name that starts the same. */
  g_autofree char *beside = g_strconcat (sysroot, "2", NULL);
  g_assert_cmpint (g_mkdir (beside, 0755), ==, 0);
  do_mount ("beside", beside, NULL);

  g_assert_true (gd_is_root_mounted (conn));
  g_autoptr (GPtrArray) mounts = gd_mounts_list (conn, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (mounts->len, ==, 3);
  GdMountEntry *root = g_ptr_array_index (mounts, 0);
  g_assert_cmpstr (root->target, ==, "/");
  g_assert_cmpstr (root->source, ==, "root src");
  g_assert_cmpstr (root->fstype, ==, "tmpfs");
  g_assert_true (g_str_has_prefix (root->options, "rw"));
  g_assert_cmpuint (root->mnt_id, >, 0);

  g_autofree char *odd_target = g_strconcat ("/", odd, NULL);
  GdMountEntry *e = find_target (mounts, odd_target);
  g_assert_nonnull (e);
  g_assert_cmpstr (e->source, ==, "src with\ttab\\and\nnewline");
  GdMountEntry *p = find_target (mounts, "/plain");
  g_assert_nonnull (p);
  g_assert_cmpstr (p->source, ==, "plain");

  /* Everything under the sysroot goes, nothing beside it. */
  g_assert_true (gd_umount_all (conn, &error));
  g_assert_no_error (error);
  g_assert_false (gd_is_root_mounted (conn));
  g_autoptr (GPtrArray) after = gd_mounts_list (conn, &error);
  g_assert_cmpuint (after->len, ==, 0);
  g_assert_cmpint (umount2 (beside, 0), ==, 0);
}

/* In live mode the sysroot is the running system: never unmounted. */
static void
test_live_keeps_mounts (void)
{
  if (ns_error)
    {
      g_test_skip (ns_error);
      return;
    }
  g_autofree char *sysroot = g_build_filename (tmp, "live", NULL);
  g_assert_cmpint (g_mkdir (sysroot, 0755), ==, 0);
  do_mount ("live", sysroot, NULL);
  GdConfig cfg = { .sysroot = sysroot, .live = TRUE };
  g_autoptr (GdConnection) conn = gd_connection_new (&cfg, -1);
  g_assert_true (gd_is_root_mounted (conn));
  g_autoptr (GError) error = NULL;
  g_assert_true (gd_umount_all (conn, &error));
  g_autoptr (GPtrArray) mounts = gd_mounts_list (conn, &error);
  g_assert_cmpuint (mounts->len, ==, 1);
  g_assert_cmpint (umount2 (sysroot, 0), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_autoptr (GError) error = NULL;
  if (!gdt_private_mount_namespace (&error))
    ns_error = g_strdup_printf ("no private mount namespace: %s", error->message);
  tmp = gdt_make_temp_dir ("gdt-mounts");
  g_test_add_func ("/mounts/unescape", test_unescape);
  g_test_add_func ("/mounts/live-keeps-mounts", test_live_keeps_mounts);
  int ret = g_test_run ();
  gdt_rm_rf (tmp);
  g_free (tmp);
  g_free (ns_error);
  return ret;
}
