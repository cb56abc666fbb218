/* libguestfsd: keeping the kernel's partition list in step with the disk.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean gd_partitions_sync (const char *node, GError **error);

G_END_DECLS
