/* libguestfsd handlers: the daemon's own system (kernel name, log, page
 * cache, sleeping).
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "gd-actions.h"
#include "gd-private.h"
#include "hostpolicy.h"

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
  /* On a host the caches are every process's: drop only what the drives
   * hold (their buffers and the pages of their devices). */
  if (gd_conn_host_mode (gd_request_connection (req)))
    {
      if (whattodrop < 1 || whattodrop > 3)
        {
          gd_error_errno (error, EINVAL, "%d: expecting 1, 2 or 3", whattodrop);
          return FALSE;
        }
      g_autoptr (GPtrArray) disks = gd_list_disks (gd_request_connection (req));
      for (guint i = 0; i < disks->len; i++)
        {
          GdDevice *d = g_ptr_array_index (disks, i);
          int fd = open (d->node, O_RDONLY | O_CLOEXEC);
          if (fd < 0)
            continue;
          fsync (fd);
          (void) ioctl (fd, BLKFLSBUF, 0);
          (void) posix_fadvise (fd, 0, 0, POSIX_FADV_DONTNEED);
          close (fd);
        }
      return TRUE;
    }
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
  /* The appliance's kernel log is the appliance's; a host's is the host's
   * (other users' and devices' messages, addresses). */
  if (gd_host_mode_refuse (req, error, "dmesg: the kernel log is the host's"))
    return FALSE;
  return gd_run (req, ret, error, "dmesg", NULL);
}
