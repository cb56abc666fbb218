/* libguestfsd handlers: stat with nanosecond times, one path or a batch.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fs-util.h"
#include "fsutil.h"
#include "gd-actions.h"
#include "gd-private.h"

/* st_dev in host mode.  A filesystem on one of our drives has the number
 * of a loop device (or of its partition): it differs from one launch to
 * the next, and between two handles serving copies of the same image, so
 * virt-diff would report every file as changed.  We report the number the
 * appliance gives the guest's name instead (8:1 for /dev/sda1, in the
 * kernel's sd numbering), which is what the original daemon returns.
 * Other devices (dm, md, btrfs's anonymous numbers, the appliance itself)
 * keep their own number. */
typedef struct
{
  gboolean valid;
  dev_t host;
  dev_t guest;
} DevMap;

/* The sd majors, 16 disks each, 15 partitions per disk. */
static const guint sd_majors[] = { 8,   65,  66,  67,  68,  69,  70,  71,
                                   128, 129, 130, 131, 132, 133, 134, 135 };

/* "/dev/sdX[N]" or "/dev/vdX[N]" ... -> disk index and partition number. */
static gboolean
parse_disk_name (const char *name, guint *index, guint *partnum)
{
  static const char *const prefixes[] = { "/dev/sd", "/dev/vd", "/dev/hd", "/dev/xvd", "/dev/ubd" };
  const char *p = NULL;
  for (size_t i = 0; i < G_N_ELEMENTS (prefixes) && p == NULL; i++)
    if (g_str_has_prefix (name, prefixes[i]))
      p = name + strlen (prefixes[i]);
  if (p == NULL || !g_ascii_islower (*p))
    return FALSE;
  guint idx = 0;
  for (; g_ascii_islower (*p); p++)
    {
      idx = idx * 26 + (guint) (*p - 'a' + 1);
      if (idx > 100000)
        return FALSE;
    }
  guint64 n = 0;
  if (*p != '\0')
    {
      char *end;
      n = g_ascii_strtoull (p, &end, 10);
      if (*end != '\0' || !g_ascii_isdigit (*p) || n == 0 || n > G_MAXUINT)
        return FALSE;
    }
  *index = idx - 1;
  *partnum = (guint) n;
  return TRUE;
}

static guint64
guest_st_dev (GdRequest *req, dev_t host, DevMap *map)
{
  if (map->valid && map->host == host)
    return map->guest;
  map->valid = TRUE;
  map->host = map->guest = host;
  GdConnection *conn = gd_request_connection (req);
  if (!gd_conn_host_mode (conn))
    return host;
  g_autofree char *node = gd_fs_devno_node (host);
  if (node == NULL)
    return host;
  g_autofree char *name = gd_device_guest_name (conn, node);
  guint index, partnum;
  if (name == NULL || strcmp (name, node) == 0 || !parse_disk_name (name, &index, &partnum) ||
      index / 16 >= G_N_ELEMENTS (sd_majors) || partnum > 15)
    return host;
  map->guest = makedev (sd_majors[index / 16], (index % 16) * 16 + partnum);
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
