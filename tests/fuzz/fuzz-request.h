/* fuzz-request: the fuzz target's parts, shared with the corpus replay.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  FUZZ_TARGET_REQUEST, /* framing, engine, a drive and its procedures */
  FUZZ_TARGET_FILES,   /* the file and directory families on a sysroot tree */
} FuzzTarget;

/* Chooses the target; before the first input (default: request). */
void fuzz_set_target (FuzzTarget target);

/* FALSE if the input would reach a procedure that is not safe to run on
 * this host (see fuzz-request.c). */
gboolean fuzz_input_is_safe (const guint8 *data, size_t size);
/* Serves data as one connection's client stream, to its end. */
void fuzz_serve (const guint8 *data, size_t size);

G_END_DECLS
