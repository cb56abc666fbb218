/* libguestfsd handlers: stat with nanosecond times, one path or a batch.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs-util.h"
#include "fsutil.h"
#include "gd-actions.h"
#include "gd-private.h"

/* st_dev as the appliance would give it (gd_fs_guest_devno): a loop
 * device's number differs from one launch to the next and between two
 * handles serving copies of the same image, so virt-diff would report
 * every file as changed.  One lookup per distinct number in a batch. */
typedef struct
{
  gboolean valid;
  dev_t host;
  dev_t guest;
} DevMap;

static guint64
guest_st_dev (GdRequest *req, dev_t host, DevMap *map)
{
  if (!map->valid || map->host != host)
    {
      map->valid = TRUE;
      map->host = host;
      map->guest = gd_fs_guest_devno (req, host);
    }
  return map->guest;
}

static void
fill_statns (GdRequest *req, DevMap *map, gd_statns *r, const struct stat *st)
{
  memset (r, 0, sizeof *r);
  r->st_dev = guest_st_dev (req, st->st_dev, map);
  r->st_ino = st->st_ino;
  r->st_mode = st->st_mode;
  r->st_nlink = st->st_nlink;
  r->st_uid = st->st_uid;
  r->st_gid = st->st_gid;
  r->st_rdev = st->st_rdev;
  r->st_size = st->st_size;
  r->st_blksize = st->st_blksize;
  r->st_blocks = st->st_blocks;
  r->st_atime_sec = st->st_atim.tv_sec;
  r->st_atime_nsec = st->st_atim.tv_nsec;
  r->st_mtime_sec = st->st_mtim.tv_sec;
  r->st_mtime_nsec = st->st_mtim.tv_nsec;
  r->st_ctime_sec = st->st_ctim.tv_sec;
  r->st_ctime_nsec = st->st_ctim.tv_nsec;
}

gboolean
gd_do_statns (GdRequest *req, const char *path, gd_statns *ret, GError **error)
{
  struct stat st;
  DevMap map = { 0 };
  if (!gd_fs_stat (req, path, TRUE, &st, error))
    return FALSE;
  fill_statns (req, &map, ret, &st);
  return TRUE;
}

gboolean
gd_do_lstatns (GdRequest *req, const char *path, gd_statns *ret, GError **error)
{
  struct stat st;
  DevMap map = { 0 };
  if (!gd_fs_stat (req, path, FALSE, &st, error))
    return FALSE;
  fill_statns (req, &map, ret, &st);
  return TRUE;
}

gboolean
gd_do_internal_lstatnslist (GdRequest *req, const char *path, char *const *names,
                            gd_statns_list *ret, GError **error)
{
  int dfd = gd_open (req, path, O_PATH | O_DIRECTORY, 0, error);
  if (dfd < 0)
    return FALSE;
  size_t n = g_strv_length ((char **) names);
  gd_statns *list = g_new0 (gd_statns, n);
  DevMap map = { 0 };
  for (size_t i = 0; i < n; i++)
    {
      struct stat st;
      int r;
      if (gd_fs_is_dot_or_dotdot (names[i]))
        {
          /* ".." of the guest's root is its root: resolve it as a path,
           * never from the fd. */
          g_autofree char *p = gd_fs_join (path, names[i]);
          r = gd_fs_stat (req, p, FALSE, &st, NULL) ? 0 : -1;
        }
      else
        r = fstatat (dfd, names[i], &st, AT_SYMLINK_NOFOLLOW);
      if (r == 0)
        fill_statns (req, &map, &list[i], &st);
      else
        list[i].st_ino = -1; /* the documented "could not lstat" marker */
    }
  close (dfd);
  ret->gd_statns_list_len = n;
  ret->gd_statns_list_val = list;
  return TRUE;
}
