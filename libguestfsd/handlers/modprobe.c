/* libguestfsd handlers: loading a kernel module.
 *
 * In the appliance the kernel is the appliance's own; in host mode it is
 * the host's, which a guest-handling daemon must not change, so modprobe
 * is refused there.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "gd-actions.h"
#include "gd-private.h"

gboolean
gd_do_modprobe (GdRequest *req, const char *modulename, GError **error)
{
  if (gd_conn_host_mode (gd_request_connection (req)))
    {
      gd_error_errno (error, EPERM,
                      "%s: not loading modules into the host's kernel (the daemon serves "
                      "image files on a host)",
                      modulename);
      return FALSE;
    }
  if (*modulename == '\0' || *modulename == '-')
    {
      gd_error_errno (error, EINVAL, "%s: not a module name", modulename);
      return FALSE;
    }
  return gd_run (req, NULL, error, "modprobe", "--", modulename, NULL);
}
