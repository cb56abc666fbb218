/* libguestfsd handlers: ntfsclone and ntfscat, streaming through the
 * programs' stdin and stdout.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <unistd.h>

#include "devdata.h"
#include "gd-actions.h"
#include "gd-private.h"

gboolean
gd_do_ntfsclone_out (GdRequest *req, const GdDevice *device, gboolean metadataonly, gboolean rescue,
                     gboolean ignorefscheck, gboolean preservetimestamps, gboolean force,
                     GError **error)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, "ntfsclone");
  g_ptr_array_add (argv, "--save-image");
  g_ptr_array_add (argv, "--output");
  g_ptr_array_add (argv, "-");
  if (gd_request_has_optarg (req, GD_NTFSCLONE_OUT_METADATAONLY_BITMASK) && metadataonly)
    g_ptr_array_add (argv, "--metadata");
  if (gd_request_has_optarg (req, GD_NTFSCLONE_OUT_RESCUE_BITMASK) && rescue)
    g_ptr_array_add (argv, "--rescue");
  if (gd_request_has_optarg (req, GD_NTFSCLONE_OUT_IGNOREFSCHECK_BITMASK) && ignorefscheck)
    g_ptr_array_add (argv, "--ignore-fs-check");
  if (gd_request_has_optarg (req, GD_NTFSCLONE_OUT_PRESERVETIMESTAMPS_BITMASK) &&
      preservetimestamps)
    g_ptr_array_add (argv, "--preserve-timestamps");
  if (gd_request_has_optarg (req, GD_NTFSCLONE_OUT_FORCE_BITMASK) && force)
    g_ptr_array_add (argv, "--force");
  g_ptr_array_add (argv, device->node);
  g_ptr_array_add (argv, NULL);
  return devdata_program_to_fileout (req, (const char *const *) argv->pdata, -1, error);
}

gboolean
gd_do_ntfsclone_in (GdRequest *req, const GdDevice *device, GError **error)
{
  int fd = devdata_open_device (device, O_WRONLY, error);
  if (fd < 0)
    return FALSE;
  close (fd);
  const char *argv[] = {
    "ntfsclone", "--restore-image", "--overwrite", device->node, "-", NULL,
  };
  gboolean ok = devdata_filein_to_program (req, argv, error);
  devdata_device_written (req, device->node);
  return ok;
}

gboolean
gd_do_ntfscat_i (GdRequest *req, const GdMountable *device, int64_t inode, GError **error)
{
  const char *node;
  g_autofree char *num = devdata_inode_arg (device, inode, &node, error);
  if (num == NULL)
    return FALSE;
  const char *argv[] = { "ntfscat", "-i", num, node, NULL };
  return devdata_program_to_fileout (req, argv, -1, error);
}
