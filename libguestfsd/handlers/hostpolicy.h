/* libguestfsd handlers: what host mode refuses (hostpolicy.c).
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

#include "gd-private.h"

G_BEGIN_DECLS

/* In host mode: sets EPERM with the message (printf-style) followed by
 * why, and returns TRUE: the caller returns FALSE.  In the appliance
 * FALSE, error untouched. */
gboolean gd_host_mode_refuse (GdRequest *req, GError **error, const char *fmt, ...)
    G_GNUC_PRINTF (3, 4);

/* Whether vfstype is a filesystem that lives on a block device. */
gboolean gd_mount_policy_fstype_allowed (const char *vfstype);

/* In host mode: EPERM unless vfstype (NULL, "" or "auto": probed) is a
 * block filesystem and every option in options (comma-separated, may be
 * NULL) is one that neither names a host path nor changes what is
 * mounted.  Always TRUE in the appliance. */
gboolean gd_mount_policy_check (GdRequest *req, const char *vfstype, const char *options,
                                GError **error);

G_END_DECLS
