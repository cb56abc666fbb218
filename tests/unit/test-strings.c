/* Unit tests: gd_split_lines, gd_chomp and the kernel command line flags
 * (guestfsd_parse_kernel_cmdline, which is how /proc/cmdline is read).
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include <libguestfsd/guestfsd.h>

#include "gd-private.h"

static void
check_lines (const char *text, const char *const *want)
{
  g_auto (GStrv) got = gd_split_lines (text);
  g_assert_nonnull (got);
  g_assert_cmpstrv (got, want);
}

static void
test_split_lines (void)
{
  check_lines (NULL, (const char *[]){ NULL });
  check_lines ("", (const char *[]){ NULL });
  check_lines ("a", (const char *[]){ "a", NULL });
  check_lines ("a\n", (const char *[]){ "a", NULL });
  check_lines ("a\nb", (const char *[]){ "a", "b", NULL });
  check_lines ("a\nb\n", (const char *[]){ "a", "b", NULL });
  /* Only one trailing empty line goes; inner ones stay. */
  check_lines ("a\n\nb\n\n", (const char *[]){ "a", "", "b", "", NULL });
  check_lines ("\n", (const char *[]){ "", NULL });
  check_lines ("\n\n", (const char *[]){ "", "", NULL });
  check_lines (" x \r\n", (const char *[]){ " x \r", NULL });
}

static void
check_chomp (const char *in, const char *want)
{
  g_autofree char *s = g_strdup (in);
  char *r = gd_chomp (s);
  g_assert_true (r == s);
  g_assert_cmpstr (s, ==, want);
}

static void
test_chomp (void)
{
  check_chomp ("", "");
  check_chomp ("abc", "abc");
  check_chomp ("abc\n", "abc");
  check_chomp ("abc\r\n", "abc");
  check_chomp ("abc\n\n\n", "abc");
  check_chomp ("\n", "");
  check_chomp ("a\nb\n", "a\nb");
  check_chomp ("trailing space \n", "trailing space ");
}

static void
check_cmdline (const char *cmdline, gboolean found, gboolean verbose, gboolean network,
               const char *channel)
{
  /* The out parameters are set whatever they held before. */
  gboolean v = 42, n = 42;
  char *c = (char *) "garbage";
  gboolean f = guestfsd_parse_kernel_cmdline (cmdline, &v, &n, &c);
  g_assert_cmpint (f, ==, found);
  g_assert_cmpint (v, ==, verbose);
  g_assert_cmpint (n, ==, network);
  g_assert_cmpstr (c, ==, channel);
  g_free (c);
}

static void
test_kernel_cmdline (void)
{
  check_cmdline ("", FALSE, FALSE, FALSE, NULL);
  check_cmdline ("\n", FALSE, FALSE, FALSE, NULL);
  check_cmdline ("BOOT_IMAGE=/vmlinuz root=/dev/sda1 quiet\n", FALSE, FALSE, FALSE, NULL);
  check_cmdline ("panic=1 guestfs_verbose=1 console=ttyS0\n", TRUE, TRUE, FALSE, NULL);
  check_cmdline ("guestfs_network=1", TRUE, FALSE, TRUE, NULL);
  check_cmdline ("a guestfs_channel=/dev/vport0p1 b\n", TRUE, FALSE, FALSE, "/dev/vport0p1");
  check_cmdline ("guestfs_verbose=1\tguestfs_network=1 guestfs_channel=fd:3\n", TRUE, TRUE, TRUE,
                 "fd:3");
  /* Only =1 turns a flag on, and only whole words count. */
  check_cmdline ("guestfs_verbose=0 guestfs_network=yes", FALSE, FALSE, FALSE, NULL);
  check_cmdline ("xguestfs_verbose=1 guestfs_verbose=1x", FALSE, FALSE, FALSE, NULL);
  /* An empty channel is no channel; the last one given wins. */
  check_cmdline ("guestfs_channel=", FALSE, FALSE, FALSE, NULL);
  check_cmdline ("guestfs_channel=/a guestfs_channel=/b", TRUE, FALSE, FALSE, "/b");
  check_cmdline ("  guestfs_verbose=1  ", TRUE, TRUE, FALSE, NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/strings/split-lines", test_split_lines);
  g_test_add_func ("/strings/chomp", test_chomp);
  g_test_add_func ("/strings/kernel-cmdline", test_kernel_cmdline);
  return g_test_run ();
}
