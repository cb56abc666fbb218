/* libguestfsd handlers: hot-plugged drives.
 *
 * libguestfs 1.48 clients no longer send these (hot-plugging went away
 * with the libvirt backend's support for it).  The original daemon waited
 * for /dev/disk/guestfs/LABEL to appear or go away.  This daemon fixes its
 * set of drives when it starts, and every Device argument is checked
 * against that set: a disk that appeared later could be waited for but
 * never used, so saying "done" would be a lie.  All three refuse, clearly.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "gd-actions.h"
#include "gd-private.h"

static gboolean
not_supported (const char *label, GError **error)
{
  gd_error_errno (error, ENOTSUP,
                  "%s: hot-plugging drives is not supported: this daemon serves the drives it "
                  "was started with",
                  label);
  return FALSE;
}

gboolean
gd_do_internal_hot_add_drive (GdRequest *req, const char *label, GError **error)
{
  (void) req;
  return not_supported (label, error);
}

gboolean
gd_do_internal_hot_remove_drive_precheck (GdRequest *req, const char *label, GError **error)
{
  (void) req;
  return not_supported (label, error);
}

gboolean
gd_do_internal_hot_remove_drive (GdRequest *req, const char *label, GError **error)
{
  (void) req;
  return not_supported (label, error);
}
