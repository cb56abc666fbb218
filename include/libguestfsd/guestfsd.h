/* libguestfsd: the libguestfs daemon as an embeddable library.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#define __LIBGUESTFSD_H_INSIDE__

#include <libguestfsd/guestfsd-version.h>
#include <libguestfsd/guestfsd-error.h>
#include <libguestfsd/guestfsd-daemon.h>

#undef __LIBGUESTFSD_H_INSIDE__
