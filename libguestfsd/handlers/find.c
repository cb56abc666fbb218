/* libguestfsd handlers: find0.
 *
 * Every name below the directory, relative to it, each followed by a NUL,
 * in find(1)'s order (a directory before its entries, entries in the
 * order the filesystem returns them), streamed as the walk goes.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "gd-actions.h"
#include "gd-private.h"

static gboolean
find_visit (int dirfd, const char *name, const char *relpath, const struct stat *st,
            GdWalkPhase phase, gpointer data, GError **error)
{
  (void) dirfd;
  (void) name;
  (void) st;
  if (phase == GD_WALK_POST)
    return TRUE;
  return gd_fileout_write (data, relpath, strlen (relpath) + 1, error);
}

gboolean
gd_do_find0 (GdRequest *req, const char *directory, GError **error)
{
  /* As the original, which runs find(1) on the directory and cuts the
   * directory's own name off each result: without a final "/" in the
   * argument the names keep a leading "/" ("/a", "/b/c"), with one they
   * do not ("a", "b/c"); and a symlink named without a final "/" is not
   * followed and lists nothing. */
  size_t len = strlen (directory);
  gboolean slash = len > 0 && directory[len - 1] == '/';
  if (!slash)
    {
      struct stat st;
      if (!gd_fs_stat (req, directory, FALSE, &st, error))
        return FALSE;
      if (S_ISLNK (st.st_mode))
        return TRUE;
    }
  int fd = gd_open (req, directory, O_PATH | O_DIRECTORY, 0, error);
  if (fd < 0)
    return FALSE;
  gboolean ok = gd_walk (fd, slash ? "" : "/", GD_WALK_TYPE_ONLY, find_visit, req, error);
  close (fd);
  return ok;
}
