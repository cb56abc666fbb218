/* libguestfsd handlers: SELinux (the daemon's context; relabelling).
 *
 * selinux_relabel runs the host's setfiles(8) with the guest's spec file.
 * setfiles follows the path names it is given, so both are made
 * canonical inside the guest first (realpath: no symlink left to follow)
 * and reached through the daemon's fd of the sysroot,
 * /proc/PID/fd/N, which is also the alternate root (-r) that setfiles
 * strips before matching the specs.  The walk below the path does not
 * follow symlinks.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <selinux/selinux.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "gd-actions.h"
#include "gd-private.h"
#include "hostpolicy.h"

gboolean
gd_do_getcon (GdRequest *req, char **ret, GError **error)
{
  char *con = NULL;
  if (getcon (&con) < 0)
    {
      gd_perror (error, "reading the daemon's SELinux context");
      return FALSE;
    }
  *ret = g_strdup (con);
  freecon (con);
  return TRUE;
}

gboolean
gd_do_setcon (GdRequest *req, const char *context, GError **error)
{
  /* The daemon's own context on the host: a request must not move it. */
  if (gd_host_mode_refuse (req, error, "%s: setcon: the daemon's SELinux context is the host's",
                           context))
    return FALSE;
  if (setcon (context) < 0)
    {
      gd_perror (error, "%s", context);
      return FALSE;
    }
  return TRUE;
}

gboolean
gd_do_selinux_relabel (GdRequest *req, const char *specfile, const char *path, gboolean force,
                       GError **error)
{
  if (!gd_check_pathname (req, "specfile", specfile, error))
    return FALSE;
  g_autofree char *spec = NULL, *dir = NULL;
  if (!gd_do_realpath (req, specfile, &spec, error) || !gd_do_realpath (req, path, &dir, error))
    return FALSE;
  int rootfd = gd_sysroot_fd (req, error);
  if (rootfd < 0)
    return FALSE;
  g_autofree char *root = g_strdup_printf ("/proc/%d/fd/%d", (int) getpid (), rootfd);
  /* realpath gives "/" or a path without a trailing slash.  The root
   * itself keeps its slash, so the link is followed (lsetxattr would act
   * on a final /proc/PID/fd/N link itself). */
  g_autofree char *spec_arg = g_strconcat (root, spec, NULL);
  g_autofree char *dir_arg = g_strconcat (root, dir, NULL);

  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (argv, g_strdup ("setfiles"));
  if (force)
    g_ptr_array_add (argv, g_strdup ("-F"));
  /* -m: the guest's mounts are not the host's /proc/mounts; -C: failures
   * on some files exit 1; -r: the guest's root. */
  const char *fixed[] = { "-m", "-C", "-r", root };
  for (size_t i = 0; i < G_N_ELEMENTS (fixed); i++)
    g_ptr_array_add (argv, g_strdup (fixed[i]));
  /* The virtual filesystems, when the guest has them. */
  const char *virt[] = { "dev", "proc", "sys", "selinux" };
  for (size_t i = 0; i < G_N_ELEMENTS (virt); i++)
    if (faccessat (rootfd, virt[i], F_OK, AT_SYMLINK_NOFOLLOW) == 0)
      {
        g_ptr_array_add (argv, g_strdup ("-e"));
        g_ptr_array_add (argv, g_strconcat (root, "/", virt[i], NULL));
      }
  g_ptr_array_add (argv, g_steal_pointer (&spec_arg));
  g_ptr_array_add (argv, g_steal_pointer (&dir_arg));
  g_ptr_array_add (argv, NULL);
  return gd_runv (req, (const char *const *) argv->pdata, GD_RUN_PULSE, NULL, error);
}
