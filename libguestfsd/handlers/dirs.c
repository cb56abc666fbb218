/* libguestfsd handlers: directories.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gd-actions.h"
#include "gd-private.h"

gboolean
gd_do_mkdir (GdRequest *req, const char *path, GError **error)
{
  g_autofree char *name = NULL;
  int dfd = gd_open_parent (req, path, &name, error);
  if (dfd < 0)
    return FALSE;
  int r = mkdirat (dfd, name, 0777 & ~gd_conn_umask (gd_request_connection (req)));
  if (r < 0)
    gd_perror (error, "%s", path);
  close (dfd);
  return r == 0;
}

gboolean
gd_do_ls0 (GdRequest *req, const char *dir, GError **error)
{
  int fd = gd_open (req, dir, O_RDONLY | O_DIRECTORY, 0, error);
  if (fd < 0)
    return FALSE;
  DIR *d = fdopendir (fd);
  if (d == NULL)
    {
      gd_perror (error, "%s", dir);
      close (fd);
      return FALSE;
    }
  gboolean ok = TRUE;
  struct dirent *ent;
  errno = 0;
  while (ok && (ent = readdir (d)) != NULL)
    {
      const char *n = ent->d_name;
      if (n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0')))
        continue;
      ok = gd_fileout_write (req, n, strlen (n) + 1, error);
      errno = 0;
    }
  if (ok && errno != 0)
    {
      gd_perror (error, "%s", dir);
      ok = FALSE;
    }
  closedir (d);
  return ok;
}
