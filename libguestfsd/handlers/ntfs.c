/* libguestfsd handlers: NTFS tools.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <inttypes.h>

#include "gd-actions.h"
#include "gd-private.h"

gboolean
gd_do_ntfs_3g_probe (GdRequest *req, gboolean rw, const GdDevice *device, int *ret, GError **error)
{
  const char *argv[] = { "ntfs-3g.probe", rw ? "--readwrite" : "--readonly", device->node, NULL };
  GdRunOpts opts = { .argv = argv, .flags = GD_RUN_ANY_STATUS, .stdin_fd = -1, .stdout_fd = -1 };
  int status = -1;
  if (!gd_run_full (req, &opts, NULL, NULL, &status, error))
    return FALSE;
  if (status < 0)
    {
      gd_error (error, "%s: ntfs-3g.probe did not exit normally", device->guest);
      return FALSE;
    }
  /* The exit status is the answer (0: mountable; see ntfs-3g.probe(8)). */
  *ret = status;
  return TRUE;
}

gboolean
gd_do_ntfsfix (GdRequest *req, const GdDevice *device, gboolean clearbadsectors, GError **error)
{
  const char *argv[4];
  int n = 0;
  argv[n++] = "ntfsfix";
  if (gd_request_has_optarg (req, GD_NTFSFIX_CLEARBADSECTORS_BITMASK) && clearbadsectors)
    argv[n++] = "-b";
  argv[n++] = device->node;
  argv[n] = NULL;
  return gd_runv (req, argv, GD_RUN_FOLD_STDERR, NULL, error);
}

static gboolean
resize (GdRequest *req, const GdDevice *device, gboolean has_size, int64_t size, gboolean force,
        GError **error)
{
  if (has_size && size <= 0)
    {
      gd_error_errno (error, EINVAL, "%" PRId64 ": size must be greater than 0", size);
      return FALSE;
    }
  g_autofree char *size_str = g_strdup_printf ("%" PRId64, size);
  const char *argv[8];
  int n = 0;
  argv[n++] = "ntfsresize";
  argv[n++] = "-P"; /* no progress bar */
  if (force)
    argv[n++] = "--force";
  if (has_size)
    {
      argv[n++] = "--size";
      argv[n++] = size_str;
    }
  argv[n++] = device->node;
  argv[n] = NULL;
  /* ntfsresize asks before it changes anything. */
  GdRunOpts opts = { .argv = argv,
                     .flags = GD_RUN_FOLD_STDERR | GD_RUN_PULSE,
                     .stdin_fd = -1,
                     .stdout_fd = -1,
                     .stdin_data = "y\n",
                     .stdin_len = 2 };
  return gd_run_full (req, &opts, NULL, NULL, NULL, error);
}

gboolean
gd_do_ntfsresize (GdRequest *req, const GdDevice *device, int64_t size, gboolean force,
                  GError **error)
{
  return resize (req, device, gd_request_has_optarg (req, GD_NTFSRESIZE_SIZE_BITMASK), size,
                 gd_request_has_optarg (req, GD_NTFSRESIZE_FORCE_BITMASK) && force, error);
}

gboolean
gd_do_ntfsresize_size (GdRequest *req, const GdDevice *device, int64_t size, GError **error)
{
  return resize (req, device, TRUE, size, FALSE, error);
}
