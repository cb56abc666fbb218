/* libguestfsd: which procedures a daemon serves (guest agent policy).
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "gd-private.h"

G_BEGIN_DECLS

typedef struct _GdPolicy GdPolicy;

GdPolicy *gd_policy_new (void);
void gd_policy_free (GdPolicy *policy);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GdPolicy, gd_policy_free)

/* Names are procedure names (guestfish's spelling with '-' works too) or
 * optional group names; "@NAME" is always a group.  The allow list, when
 * set, is the only procedures served (plus the session procedures
 * ping_daemon, internal_autosync and internal_exit); the block list wins
 * over it. */
gboolean gd_policy_set_allow (GdPolicy *policy, const char *const *names, GError **error);
gboolean gd_policy_set_block (GdPolicy *policy, const char *const *names, GError **error);
void gd_policy_set_read_only (GdPolicy *policy, gboolean read_only);
gboolean gd_policy_get_read_only (const GdPolicy *policy);
/* TRUE if nothing is refused. */
gboolean gd_policy_is_open (const GdPolicy *policy);

/* NULL if proc may run, else which policy refuses it ("--read-only",
 * "--block-rpcs", "--allow-rpcs"). */
const char *gd_policy_refuses (const GdPolicy *policy, const GdProcedure *proc);

G_END_DECLS
