/* Unit tests: errno names on the wire (gd_errno_name), the errno of any
 * GError (gd_error_get_errno) and the error constructors.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <string.h>

#include <gio/gio.h>

#include "gd-private.h"

static void
test_names (void)
{
  g_assert_cmpstr (gd_errno_name (0), ==, "");
  g_assert_cmpstr (gd_errno_name (EPERM), ==, "EPERM");
  g_assert_cmpstr (gd_errno_name (ENOENT), ==, "ENOENT");
  g_assert_cmpstr (gd_errno_name (EINVAL), ==, "EINVAL");
  g_assert_cmpstr (gd_errno_name (EROFS), ==, "EROFS");
  g_assert_cmpstr (gd_errno_name (E2BIG), ==, "E2BIG");
  g_assert_cmpstr (gd_errno_name (EPROTO), ==, "EPROTO");
  g_assert_cmpstr (gd_errno_name (ENOTEMPTY), ==, "ENOTEMPTY");
  g_assert_cmpstr (gd_errno_name (EHWPOISON), ==, "EHWPOISON");
}

/* Where Linux gives one value two names, we send the one the 1.48 client
 * can map back (it knows EAGAIN, EDEADLOCK and ENOTSUP, not EWOULDBLOCK,
 * EDEADLK or EOPNOTSUPP, which it would turn into EINVAL). */
static void
test_aliases (void)
{
  g_assert_cmpint (EAGAIN, ==, EWOULDBLOCK);
  g_assert_cmpstr (gd_errno_name (EAGAIN), ==, "EAGAIN");
  g_assert_cmpint (EDEADLK, ==, EDEADLOCK);
  g_assert_cmpstr (gd_errno_name (EDEADLK), ==, "EDEADLOCK");
  g_assert_cmpint (ENOTSUP, ==, EOPNOTSUPP);
  g_assert_cmpstr (gd_errno_name (ENOTSUP), ==, "ENOTSUP");
}

static void
test_unknown (void)
{
  g_assert_cmpstr (gd_errno_name (-1), ==, "EINVAL");
  g_assert_cmpstr (gd_errno_name (G_MININT), ==, "EINVAL");
  g_assert_cmpstr (gd_errno_name (4095), ==, "EINVAL");
  g_assert_cmpstr (gd_errno_name (G_MAXINT), ==, "EINVAL");
  /* 41 and 58 are holes in Linux's numbering. */
  g_assert_cmpstr (gd_errno_name (41), ==, "EINVAL");
  g_assert_cmpstr (gd_errno_name (58), ==, "EINVAL");
}

/* Every name fits the protocol's errno_string<32> and names its value. */
static void
test_all_short (void)
{
  for (int e = 1; e < 200; e++)
    {
      const char *name = gd_errno_name (e);
      g_assert_nonnull (name);
      g_assert_cmpuint (strlen (name), <=, 32);
      g_assert_true (g_str_has_prefix (name, "E"));
    }
}

static void
test_constructors (void)
{
  g_autoptr (GError) a = NULL;
  gd_error (&a, "plain %d", 1);
  g_assert_error (a, GD_ERRNO_ERROR, 0);
  g_assert_cmpstr (a->message, ==, "plain 1");
  g_assert_cmpint (gd_error_get_errno (a), ==, 0);

  g_autoptr (GError) b = NULL;
  gd_error_errno (&b, EEXIST, "%s: exists", "/x");
  g_assert_error (b, GD_ERRNO_ERROR, EEXIST);
  g_assert_cmpstr (b->message, ==, "/x: exists");

  g_autoptr (GError) c = NULL;
  errno = ENOTDIR;
  gd_perror (&c, "open %s", "/a/b");
  g_assert_error (c, GD_ERRNO_ERROR, ENOTDIR);
  g_autofree char *want = g_strdup_printf ("open /a/b: %s", g_strerror (ENOTDIR));
  g_assert_cmpstr (c->message, ==, want);

  g_autoptr (GError) d = NULL;
  gd_error_unavailable (&d, "xfs");
  g_assert_error (d, GD_ERRNO_ERROR, ENOTSUP);
  g_assert_nonnull (strstr (d->message, "'xfs'"));
  g_assert_nonnull (strstr (d->message, "not available"));
}

static void
test_other_domains (void)
{
  g_assert_cmpint (gd_error_get_errno (NULL), ==, 0);
  g_autoptr (GError) f = g_error_new_literal (G_FILE_ERROR, G_FILE_ERROR_NOENT, "x");
  g_assert_cmpint (gd_error_get_errno (f), ==, ENOENT);
  g_autoptr (GError) f2 = g_error_new_literal (G_FILE_ERROR, G_FILE_ERROR_FAILED, "x");
  g_assert_cmpint (gd_error_get_errno (f2), ==, 0);
  g_autoptr (GError) i = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_EMPTY, "x");
  g_assert_cmpint (gd_error_get_errno (i), ==, ENOTEMPTY);
  g_autoptr (GError) i2 = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "x");
  g_assert_cmpint (gd_error_get_errno (i2), ==, EINTR);
  g_autoptr (GError) o = g_error_new_literal (G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "x");
  g_assert_cmpint (gd_error_get_errno (o), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/errno/names", test_names);
  g_test_add_func ("/errno/aliases", test_aliases);
  g_test_add_func ("/errno/unknown", test_unknown);
  g_test_add_func ("/errno/all-short", test_all_short);
  g_test_add_func ("/errno/constructors", test_constructors);
  g_test_add_func ("/errno/other-domains", test_other_domains);
  return g_test_run ();
}
