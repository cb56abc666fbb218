/* libguestfsd handlers: scrub(1).
 *
 * scrub is a host program, so it must never be handed a guest path that
 * it would resolve in the host's tree: the file to scrub is opened here,
 * confined, and given to scrub as its stdin (scrub reopens /dev/stdin);
 * the free-space directory is created by scrub inside a directory we
 * opened, which is its working directory.
 *
 * -f: scrub again what scrub has already scrubbed once (it leaves a
 * signature and would otherwise refuse).
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devdata.h"
#include "gd-actions.h"
#include "gd-private.h"

gboolean
gd_do_scrub_device (GdRequest *req, const GdDevice *device, GError **error)
{
  int fd = devdata_open_device (device, O_WRONLY, error);
  if (fd < 0)
    return FALSE;
  close (fd);
  gboolean ok = gd_run (req, NULL, error, "scrub", "-f", device->node, NULL);
  devdata_device_written (req, device->node);
  return ok;
}

/* The guest path of what fd is, from the kernel's name for it, which
 * is the host path below the sysroot. */
static char *
guest_path_of (GdRequest *req, int fd, const char *file, GError **error)
{
  g_autofree char *proc = gd_fd_path (fd);
  g_autofree char *host = g_file_read_link (proc, NULL);
  g_autofree char *given = gd_sysroot_path (req, "/");
  /* The kernel names files by their canonical path. */
  g_autofree char *root = realpath (given, NULL);
  if (root == NULL)
    root = g_strdup (given);
  size_t rlen = strlen (root);
  while (rlen > 1 && root[rlen - 1] == '/')
    rlen--;
  if (host == NULL || g_str_has_suffix (host, " (deleted)"))
    {
      gd_error_errno (error, ENOENT, "%s: the file went away while it was scrubbed", file);
      return NULL;
    }
  if (strcmp (root, "/") == 0)
    return g_steal_pointer (&host);
  if (strncmp (host, root, rlen) != 0 || (host[rlen] != '/' && host[rlen] != '\0'))
    {
      gd_error_errno (error, EINVAL, "%s: the file is not below the sysroot", file);
      return NULL;
    }
  return g_strdup (host[rlen] ? host + rlen : "/");
}

gboolean
gd_do_scrub_file (GdRequest *req, const char *file, GError **error)
{
  /* Symlinks are followed inside the guest: the file scrubbed and
   * removed is the target, as scrub(1) -r does. */
  int fd = devdata_open_guest_file (req, file, O_RDWR, error);
  if (fd < 0)
    return FALSE;
  const char *argv[] = { "scrub", "-f", "/dev/stdin", NULL };
  GdRunOpts opts = { .argv = argv, .stdin_fd = fd, .stdout_fd = -1 };
  gboolean ok = gd_run_full (req, &opts, NULL, NULL, NULL, error);
  if (!ok)
    {
      close (fd);
      return FALSE;
    }

  /* Remove the name the file has now, after checking it is still the
   * file that was scrubbed. */
  struct stat st, cur;
  g_autofree char *path = NULL;
  g_autofree char *name = NULL;
  int dirfd = -1;
  ok = fstat (fd, &st) == 0;
  if (!ok)
    gd_perror (error, "%s", file);
  if (ok)
    ok = (path = guest_path_of (req, fd, file, error)) != NULL;
  if (ok)
    ok = (dirfd = gd_open_parent (req, path, &name, error)) >= 0;
  if (ok && (fstatat (dirfd, name, &cur, AT_SYMLINK_NOFOLLOW) < 0 || cur.st_ino != st.st_ino ||
             cur.st_dev != st.st_dev))
    {
      gd_error_errno (error, ENOENT, "%s: the file was moved while it was scrubbed", file);
      ok = FALSE;
    }
  if (ok && unlinkat (dirfd, name, 0) < 0)
    {
      gd_perror (error, "%s", file);
      ok = FALSE;
    }
  if (dirfd >= 0)
    close (dirfd);
  close (fd);
  return ok;
}

gboolean
gd_do_scrub_freespace (GdRequest *req, const char *dir, GError **error)
{
  g_autofree char *name = NULL;
  int parent = gd_open_parent (req, dir, &name, error);
  if (parent < 0)
    return FALSE;
  /* scrub -X creates the directory (refusing one that exists, so not a
   * symlink planted there) relative to its working directory. */
  g_autofree char *rel = g_strconcat ("./", name, NULL); /* never an option */
  const char *argv[] = { "scrub", "-X", rel, NULL };
  GdRunOpts opts = { .argv = argv, .stdin_fd = -1, .stdout_fd = -1, .cwd_fd = parent };
  gboolean ok = gd_run_full (req, &opts, NULL, NULL, NULL, error);
  close (parent);
  return ok;
}
