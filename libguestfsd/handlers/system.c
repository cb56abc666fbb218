/* libguestfsd handlers: the daemon's own system (kernel name, log, page
 * cache, sleeping).
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "gd-actions.h"
#include "gd-private.h"

gboolean
gd_do_utsname (GdRequest *req, gd_utsname *ret, GError **error)
{
  (void) req;
  struct utsname u;
  if (uname (&u) < 0)
    {
      gd_perror (error, "uname");
      return FALSE;
    }
  ret->uts_sysname = g_strdup (u.sysname);
  ret->uts_release = g_strdup (u.release);
  ret->uts_version = g_strdup (u.version);
  ret->uts_machine = g_strdup (u.machine);
  return TRUE;
}

gboolean
gd_do_sleep (GdRequest *req, int secs, GError **error)
{
  (void) req;
  if (!gd_fs_check_not_negative (NULL, "secs", secs, error))
    return FALSE;
  struct timespec ts = { .tv_sec = secs };
  while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
    ;
  return TRUE;
}

gboolean
gd_do_drop_caches (GdRequest *req, int whattodrop, GError **error)
{
  (void) req;
  sync ();
  int fd = open ("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    {
      gd_perror (error, "/proc/sys/vm/drop_caches");
      return FALSE;
    }
  char buf[32];
  int n = g_snprintf (buf, sizeof buf, "%d\n", whattodrop);
  gboolean ok = gd_write_all (fd, buf, n, "/proc/sys/vm/drop_caches", error);
  if (close (fd) < 0 && ok)
    {
      gd_perror (error, "/proc/sys/vm/drop_caches");
      ok = FALSE;
    }
  return ok;
}

gboolean
gd_do_dmesg (GdRequest *req, char **ret, GError **error)
{
  return gd_run (req, ret, error, "dmesg", NULL);
}
