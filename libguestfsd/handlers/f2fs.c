/* libguestfsd handlers: F2FS tools.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "gd-actions.h"
#include "gd-private.h"

gboolean
gd_do_f2fs_expand (GdRequest *req, const GdDevice *device, GError **error)
{
  const char *argv[] = { "resize.f2fs", device->node, NULL };
  return gd_runv (req, argv, GD_RUN_FOLD_STDERR | GD_RUN_PULSE, NULL, error);
}
