/* The public header compiles on its own, in strict C99 and in C++, with
 * every warning an error (built only by the 'abi' tests).
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <libguestfsd/guestfsd.h>

int
main (void)
{
  GuestfsdDaemon *d = guestfsd_daemon_new ();
  GError *error = NULL;
  gboolean verbose, network;
  gchar *channel = NULL;
  int ok = guestfsd_parse_kernel_cmdline ("guestfs_verbose=1", &verbose, &network, &channel);
  guestfsd_daemon_set_sysroot (d, GUESTFSD_DEFAULT_SYSROOT);
  if (!guestfsd_daemon_serve_channel (d, GUESTFSD_DEFAULT_CHANNEL, FALSE, &error))
    ok = error->domain == GUESTFSD_ERROR && error->code == GUESTFSD_ERROR_CHANNEL;
  g_clear_error (&error);
  g_free (channel);
  g_object_unref (d);
  return ok && GUESTFSD_MAJOR_VERSION >= 0 && GUESTFSD_PROTOCOL_VERSION == 4 ? 0 : 1;
}
