/* libguestfsd handlers: grub_install, with the host's grub-install(8).
 *
 * grub-install writes below its boot directory by name, so the boot
 * directory is given as the daemon's sysroot fd (/proc/PID/fd/N) followed
 * by the guest's canonical path of ROOT/boot, and grub-install is refused
 * when ROOT/boot/grub holds a symlink that it could follow out of the
 * guest.  The target is always i386-pc (GRUB on a BIOS disk, as the call
 * means) and the firmware's NVRAM is never touched.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gd-actions.h"
#include "gd-private.h"

static gboolean
refuse_symlinks (int dirfd, const char *name, const char *relpath, const struct stat *st,
                 GdWalkPhase phase, gpointer data, GError **error)
{
  if (S_ISLNK (st->st_mode))
    {
      gd_error_errno (error, ELOOP,
                      "%s: a symlink below the boot directory (grub-install would "
                      "follow it outside the guest)",
                      relpath);
      return FALSE;
    }
  return TRUE;
}

gboolean
gd_do_grub_install (GdRequest *req, const char *root, const GdDevice *device, GError **error)
{
  g_autofree char *boot = g_strconcat (root, strcmp (root, "/") == 0 ? "" : "/", "boot", NULL);
  g_autofree char *canon = NULL;

  /* ROOT/boot and ROOT/boot/grub exist as directories of the guest. */
  char *name = NULL;
  int parent = gd_open_parent (req, boot, &name, error);
  if (parent < 0)
    return FALSE;
  if (mkdirat (parent, name, 0755) < 0 && errno != EEXIST)
    {
      gd_perror (error, "%s", boot);
      g_free (name);
      close (parent);
      return FALSE;
    }
  g_free (name);
  close (parent);
  if (!gd_do_realpath (req, boot, &canon, error))
    return FALSE;
  int bootfd = gd_open (req, canon, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, error);
  if (bootfd < 0)
    return FALSE;
  struct stat st;
  gboolean ok = TRUE;
  if (fstatat (bootfd, "grub", &st, AT_SYMLINK_NOFOLLOW) == 0)
    {
      if (!S_ISDIR (st.st_mode))
        {
          gd_error_errno (error, S_ISLNK (st.st_mode) ? ELOOP : ENOTDIR, "%s/grub: not a directory",
                          boot);
          ok = FALSE;
        }
      else
        {
          int grubfd = openat (bootfd, "grub", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (grubfd < 0)
            {
              gd_perror (error, "%s/grub", boot);
              ok = FALSE;
            }
          else
            {
              g_autofree char *prefix = g_strconcat (boot, "/grub", NULL);
              ok = gd_walk (grubfd, prefix, GD_WALK_TYPE_ONLY, refuse_symlinks, NULL, error);
              close (grubfd);
            }
        }
    }
  else if (errno != ENOENT)
    {
      gd_perror (error, "%s/grub", boot);
      ok = FALSE;
    }
  close (bootfd);
  if (!ok)
    return FALSE;

  int rootfd = gd_sysroot_fd (req, error);
  if (rootfd < 0)
    return FALSE;
  g_autofree char *opt =
      g_strdup_printf ("--boot-directory=/proc/%d/fd/%d%s", (int) getpid (), rootfd, canon);
  const char *argv[] = {
    "grub-install", "--target=i386-pc", "--no-nvram", opt, device->node, NULL
  };
  return gd_runv (req, argv, GD_RUN_PULSE, NULL, error);
}
