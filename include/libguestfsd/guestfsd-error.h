/* libguestfsd: errors reported by the public API.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__LIBGUESTFSD_H_INSIDE__) && !defined(LIBGUESTFSD_COMPILATION)
#error "Only <libguestfsd/guestfsd.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

/**
 * GUESTFSD_ERROR:
 *
 * The error domain of the libguestfsd public API.
 */
#define GUESTFSD_ERROR (guestfsd_error_quark ())

/**
 * GuestfsdError:
 * @GUESTFSD_ERROR_FAILED: a generic failure
 * @GUESTFSD_ERROR_INVALID_ARGUMENT: an argument of the API call is invalid
 * @GUESTFSD_ERROR_CHANNEL: the channel could not be opened or configured
 * @GUESTFSD_ERROR_IO: reading from or writing to the channel failed
 * @GUESTFSD_ERROR_PROTOCOL: the peer broke the protocol beyond recovery
 * @GUESTFSD_ERROR_DRIVE: a drive could not be attached
 *
 * Error codes in the #GUESTFSD_ERROR domain.
 */
typedef enum
{
  GUESTFSD_ERROR_FAILED,
  GUESTFSD_ERROR_INVALID_ARGUMENT,
  GUESTFSD_ERROR_CHANNEL,
  GUESTFSD_ERROR_IO,
  GUESTFSD_ERROR_PROTOCOL,
  GUESTFSD_ERROR_DRIVE,
} GuestfsdError;

GQuark guestfsd_error_quark (void);

G_END_DECLS
