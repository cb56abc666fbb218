/* libguestfsd handlers: grep and its variants.
 *
 * grep (or zgrep for compressed files) reads the guest file on stdin, so
 * the matching lines are exactly what grep prints, with no file name.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <unistd.h>

#include "confine.h"
#include "gd-actions.h"
#include "gd-private.h"

static gboolean
grep (GdRequest *req, const char *regex, const char *path, gboolean extended, gboolean fixed,
      gboolean insensitive, gboolean compressed, char ***ret, GError **error)
{
  if (extended && fixed)
    {
      gd_error_errno (error, EINVAL, "can't use 'extended' and 'fixed' flags at the same time");
      return FALSE;
    }
  int fd = gdc_open_file (req, path, NULL, error);
  if (fd < 0)
    return FALSE;
  const char *argv[8];
  int n = 0;
  argv[n++] = compressed ? "zgrep" : "grep";
  if (extended)
    argv[n++] = "-E";
  if (fixed)
    argv[n++] = "-F";
  if (insensitive)
    argv[n++] = "-i";
  argv[n++] = "-e";
  argv[n++] = regex;
  argv[n] = NULL;
  GdRunOpts opts = { .argv = argv, .flags = GD_RUN_ANY_STATUS, .stdin_fd = fd, .stdout_fd = -1 };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = -1;
  gboolean ok = gd_run_full (req, &opts, &out, &err, &status, error);
  close (fd);
  if (!ok)
    return FALSE;
  /* 0: lines matched, 1: none did, anything else: trouble. */
  if (status == 1 && *err == '\0')
    {
      *ret = g_new0 (char *, 1);
      return TRUE;
    }
  if (status != 0)
    {
      gd_chomp (err);
      gd_error (error, "%s: %s", path, *err ? err : "grep failed");
      return FALSE;
    }
  *ret = gd_split_lines (out);
  return TRUE;
}

gboolean
gd_do_grep (GdRequest *req, const char *regex, const char *path, gboolean extended, gboolean fixed,
            gboolean insensitive, gboolean compressed, char ***ret, GError **error)
{
  return grep (req, regex, path, extended, fixed, insensitive, compressed, ret, error);
}

#define GREP_VARIANT(name, e, f, i, z)                                                             \
  gboolean gd_do_##name (GdRequest *req, const char *regex, const char *path, char ***ret,         \
                         GError **error)                                                           \
  {                                                                                                \
    return grep (req, regex, path, e, f, i, z, ret, error);                                        \
  }

GREP_VARIANT (egrep, TRUE, FALSE, FALSE, FALSE)
GREP_VARIANT (fgrep, FALSE, TRUE, FALSE, FALSE)
GREP_VARIANT (grepi, FALSE, FALSE, TRUE, FALSE)
GREP_VARIANT (egrepi, TRUE, FALSE, TRUE, FALSE)
GREP_VARIANT (fgrepi, FALSE, TRUE, TRUE, FALSE)
GREP_VARIANT (zgrep, FALSE, FALSE, FALSE, TRUE)
GREP_VARIANT (zegrep, TRUE, FALSE, FALSE, TRUE)
GREP_VARIANT (zfgrep, FALSE, TRUE, FALSE, TRUE)
GREP_VARIANT (zgrepi, FALSE, FALSE, TRUE, TRUE)
GREP_VARIANT (zegrepi, TRUE, FALSE, TRUE, TRUE)
GREP_VARIANT (zfgrepi, FALSE, TRUE, TRUE, TRUE)
