/* libguestfsd handlers: XFS tools.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "gd-actions.h"
#include "gd-private.h"
