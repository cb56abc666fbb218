/* libguestfsd handlers: mountable strings.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "gd-actions.h"
#include "gd-private.h"

gboolean
gd_do_internal_parse_mountable (GdRequest *req, const GdMountable *mountable,
                                gd_internal_mountable *ret, GError **error)
{
  (void) req;
  (void) error;
  /* The stub has parsed it; a struct's strings are not mapped back to
   * guest names, so give the guest's name here. */
  ret->im_type = (int) mountable->type;
  ret->im_device = g_strdup (mountable->device ? mountable->device->guest
                             : mountable->path ? mountable->path
                                               : "");
  ret->im_volume = g_strdup (mountable->volume ? mountable->volume : "");
  return TRUE;
}
