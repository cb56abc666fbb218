/* libguestfsd handlers: XFS tools.
 *
 * The tools are always given a device node: a guest path is turned into
 * the device of the filesystem holding it (xfs_info and xfs_growfs find
 * the mount point of a mounted device themselves), and an image file in
 * the guest is handed to xfs_repair as an fd we opened.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "gd-actions.h"
#include "gd-private.h"
#include "fs-util.h"

#define XFS_LABEL_MAX 12

/* The node of the block device holding the guest path. */
static char *
node_of_path (GdRequest *req, const char *path, GError **error)
{
  int fd = gd_open (req, path, O_PATH, 0, error);
  if (fd < 0)
    return NULL;
  struct stat st;
  int r = fstat (fd, &st);
  close (fd);
  if (r < 0)
    {
      gd_perror (error, "%s", path);
      return NULL;
    }
  char *node = gd_fs_devno_node (st.st_dev);
  if (node == NULL)
    gd_error_errno (error, EINVAL, "%s: not on a filesystem backed by a block device", path);
  return node;
}

static char *
node_of (GdRequest *req, const GdDevOrPath *what, GError **error)
{
  if (what->device)
    return g_strdup (what->device->node);
  return node_of_path (req, what->path, error);
}

/* ------------------------------------------------------------------------
 * xfs_info.
 */

static void
set_u32 (u_int *field, const char *value)
{
  char *end;
  guint64 v = g_ascii_strtoull (value, &end, 10);
  if (end != value && v <= G_MAXUINT32)
    *field = (u_int) v;
}

static void
set_u64 (u_quad_t *field, const char *value)
{
  char *end;
  guint64 v = g_ascii_strtoull (value, &end, 10);
  if (end != value)
    *field = v;
}

/* The "=name" of a section header, up to the first space. */
static char *
section_name (const char *s)
{
  size_t n = strcspn (s, " \t,");
  return g_strndup (s, n);
}

static void
xfsinfo_field (gd_xfsinfo *x, const char *section, const char *key, const char *value)
{
  if (strcmp (section, "meta-data") == 0)
    {
      if (strcmp (key, "isize") == 0)
        set_u32 (&x->xfs_inodesize, value);
      else if (strcmp (key, "agcount") == 0)
        set_u32 (&x->xfs_agcount, value);
      else if (strcmp (key, "agsize") == 0)
        set_u32 (&x->xfs_agsize, value);
      else if (strcmp (key, "sectsz") == 0)
        set_u32 (&x->xfs_sectsize, value);
      else if (strcmp (key, "attr") == 0)
        set_u32 (&x->xfs_attr, value);
    }
  else if (strcmp (section, "data") == 0)
    {
      if (strcmp (key, "bsize") == 0)
        set_u32 (&x->xfs_blocksize, value);
      else if (strcmp (key, "blocks") == 0)
        set_u64 (&x->xfs_datablocks, value);
      else if (strcmp (key, "imaxpct") == 0)
        set_u32 (&x->xfs_imaxpct, value);
      else if (strcmp (key, "sunit") == 0)
        set_u32 (&x->xfs_sunit, value);
      else if (strcmp (key, "swidth") == 0)
        set_u32 (&x->xfs_swidth, value);
    }
  else if (strcmp (section, "naming") == 0)
    {
      if (strcmp (key, "bsize") == 0)
        set_u32 (&x->xfs_dirblocksize, value);
      else if (strcmp (key, "ascii-ci") == 0)
        set_u32 (&x->xfs_cimode, value);
    }
  else if (strcmp (section, "log") == 0)
    {
      if (strcmp (key, "bsize") == 0)
        set_u32 (&x->xfs_logblocksize, value);
      else if (strcmp (key, "blocks") == 0)
        set_u32 (&x->xfs_logblocks, value);
      else if (strcmp (key, "version") == 0)
        set_u32 (&x->xfs_logversion, value);
      else if (strcmp (key, "sectsz") == 0)
        set_u32 (&x->xfs_logsectsize, value);
      else if (strcmp (key, "sunit") == 0)
        set_u32 (&x->xfs_logsunit, value);
      else if (strcmp (key, "lazy-count") == 0)
        set_u32 (&x->xfs_lazycount, value);
    }
  else if (strcmp (section, "realtime") == 0)
    {
      if (strcmp (key, "extsz") == 0)
        set_u32 (&x->xfs_rtextsize, value);
      else if (strcmp (key, "blocks") == 0)
        set_u64 (&x->xfs_rtblocks, value);
      else if (strcmp (key, "rtextents") == 0)
        set_u64 (&x->xfs_rtextents, value);
    }
}

/* xfs_info prints sections ("meta-data=NAME  key=value key=value, ...")
 * whose continuation lines start with blanks and "=". */
static void
parse_xfs_info (GdRequest *req, const char *out, gd_xfsinfo *x)
{
  memset (x, 0xff, sizeof *x); /* every number -1 until seen */
  x->xfs_mntpoint = x->xfs_logname = x->xfs_rtname = NULL;
  g_autofree char *section = g_strdup ("");
  g_auto (GStrv) lines = gd_split_lines (out);
  for (char **l = lines; *l; l++)
    {
      const char *line = *l;
      const char *eq = strchr (line, '=');
      if (eq == NULL)
        continue;
      if (!g_ascii_isspace (line[0]))
        {
          g_free (section);
          section = g_strstrip (g_strndup (line, eq - line));
          g_autofree char *name = section_name (eq + 1);
          if (strcmp (section, "meta-data") == 0 && x->xfs_mntpoint == NULL)
            {
              x->xfs_mntpoint = g_strdup (name);
              gd_result_map_device (req, &x->xfs_mntpoint);
            }
          else if (strcmp (section, "naming") == 0 && g_str_has_prefix (eq + 1, "version "))
            set_u32 (&x->xfs_dirversion, eq + 1 + 8);
          else if (strcmp (section, "log") == 0 && x->xfs_logname == NULL)
            x->xfs_logname = g_steal_pointer (&name);
          else if (strcmp (section, "realtime") == 0 && x->xfs_rtname == NULL)
            x->xfs_rtname = g_steal_pointer (&name);
        }
      /* key=value tokens after the section's own "=". */
      g_auto (GStrv) tokens = g_strsplit_set (eq + 1, " \t,", -1);
      for (char **t = tokens; *t; t++)
        {
          char *teq = strchr (*t, '=');
          if (teq == NULL || teq == *t)
            continue;
          *teq = '\0';
          xfsinfo_field (x, section, *t, teq + 1);
        }
    }
  if (x->xfs_mntpoint == NULL)
    x->xfs_mntpoint = g_strdup ("");
  if (x->xfs_logname == NULL)
    x->xfs_logname = g_strdup ("");
  if (x->xfs_rtname == NULL)
    x->xfs_rtname = g_strdup ("");
  /* Without a realtime section the original leaves the extent size unset
   * (-1) rather than taking xfs_info's nominal "extsz=4096". */
  if (strcmp (x->xfs_rtname, "none") == 0)
    x->xfs_rtextsize = (u_int) -1;
}

gboolean
gd_fs_xfs_info (GdRequest *req, const char *node, gd_xfsinfo *ret, GError **error)
{
  g_autofree char *out = NULL;
  if (!gd_run (req, &out, error, "xfs_info", node, NULL))
    return FALSE;
  parse_xfs_info (req, out, ret);
  return TRUE;
}

gboolean
gd_do_xfs_info (GdRequest *req, const GdDevOrPath *pathordevice, gd_xfsinfo *ret, GError **error)
{
  g_autofree char *node = node_of (req, pathordevice, error);
  return node != NULL && gd_fs_xfs_info (req, node, ret, error);
}

/* ------------------------------------------------------------------------
 * xfs_growfs, xfs_admin, xfs_repair.
 */

#define ADD(...) g_ptr_array_add (argv, g_strdup_printf (__VA_ARGS__))

gboolean
gd_do_xfs_growfs (GdRequest *req, const char *path, gboolean datasec, gboolean logsec,
                  gboolean rtsec, int64_t datasize, int64_t logsize, int64_t rtsize,
                  int64_t rtextsize, int maxpct, GError **error)
{
#define HAS(f) gd_request_has_optarg (req, GD_XFS_GROWFS_##f##_BITMASK)
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  ADD ("xfs_growfs");
  if (HAS (DATASEC) && datasec)
    ADD ("-d");
  if (HAS (LOGSEC) && logsec)
    ADD ("-l");
  if (HAS (RTSEC) && rtsec)
    ADD ("-r");
  struct
  {
    gboolean has;
    const char *name, *opt;
    int64_t v;
  } nums[] = {
    { HAS (DATASIZE), "datasize", "-D", datasize },
    { HAS (LOGSIZE), "logsize", "-L", logsize },
    { HAS (RTSIZE), "rtsize", "-R", rtsize },
    { HAS (RTEXTSIZE), "rtextsize", "-e", rtextsize },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (nums); i++)
    if (nums[i].has)
      {
        if (!gd_fs_check_not_negative (NULL, nums[i].name, nums[i].v, error))
          return FALSE;
        ADD ("%s", nums[i].opt);
        ADD ("%" PRId64, nums[i].v);
      }
  if (HAS (MAXPCT))
    {
      if (maxpct < 0 || maxpct > 100)
        {
          gd_error_errno (error, EINVAL, "maxpct: %d: must be 0 to 100", maxpct);
          return FALSE;
        }
      ADD ("-m");
      ADD ("%d", maxpct);
    }
#undef HAS
  g_autofree char *node = node_of_path (req, path, error);
  if (node == NULL)
    return FALSE;
  ADD ("%s", node);
  g_ptr_array_add (argv, NULL);
  return gd_runv (req, (const char *const *) argv->pdata, GD_RUN_PULSE, NULL, error);
}

gboolean
gd_do_xfs_admin (GdRequest *req, const GdDevice *device, gboolean extunwritten, gboolean imgfile,
                 gboolean v2log, gboolean projid32bit, gboolean lazycounter, const char *label,
                 const char *uuid, GError **error)
{
#define HAS(f) gd_request_has_optarg (req, GD_XFS_ADMIN_##f##_BITMASK)
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  ADD ("xfs_admin");
  if (HAS (EXTUNWRITTEN) && extunwritten)
    ADD ("-e");
  if (HAS (IMGFILE) && imgfile)
    ADD ("-f");
  if (HAS (V2LOG) && v2log)
    ADD ("-j");
  if (HAS (PROJID32BIT) && projid32bit)
    ADD ("-p");
  if (HAS (LAZYCOUNTER))
    {
      ADD ("-c");
      ADD ("%d", lazycounter ? 1 : 0);
    }
  if (HAS (LABEL))
    {
      if (strlen (label) > XFS_LABEL_MAX)
        {
          gd_error_errno (error, EINVAL, "%s: xfs labels are limited to %d bytes", label,
                          XFS_LABEL_MAX);
          return FALSE;
        }
      if (strcmp (label, "--") == 0)
        {
          gd_error_errno (error, EINVAL, "%s: not a valid XFS label", label);
          return FALSE;
        }
      ADD ("-L");
      ADD ("%s", *label ? label : "--");
    }
  if (HAS (UUID))
    {
      ADD ("-U");
      ADD ("%s", uuid);
    }
#undef HAS
  ADD ("%s", device->node);
  g_ptr_array_add (argv, NULL);
  return gd_runv (req, (const char *const *) argv->pdata, GD_RUN_FOLD_STDERR | GD_RUN_PULSE, NULL,
                  error);
}

static char *
resolve_optional_device (GdRequest *req, const char *name, GError **error)
{
  GdDevice *dev = gd_device_lookup (gd_request_connection (req), name, error);
  if (dev == NULL)
    return NULL;
  char *node = g_strdup (dev->node);
  gd_device_free (dev);
  return node;
}

gboolean
gd_do_xfs_repair (GdRequest *req, const GdDevOrPath *device, gboolean forcelogzero,
                  gboolean nomodify, gboolean noprefetch, gboolean forcegeometry, int64_t maxmem,
                  int64_t ihashsize, int64_t bhashsize, int64_t agstride, const char *logdev,
                  const char *rtdev, int *ret, GError **error)
{
#define HAS(f) gd_request_has_optarg (req, GD_XFS_REPAIR_##f##_BITMASK)
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  ADD ("xfs_repair");
  nomodify = HAS (NOMODIFY) && nomodify;
  if (HAS (FORCELOGZERO) && forcelogzero)
    ADD ("-L");
  if (nomodify)
    ADD ("-n");
  if (HAS (NOPREFETCH) && noprefetch)
    ADD ("-P");
  if (HAS (FORCEGEOMETRY) && forcegeometry)
    {
      ADD ("-o");
      ADD ("force_geometry");
    }
  if (HAS (MAXMEM))
    {
      if (!gd_fs_check_not_negative (NULL, "maxmem", maxmem, error))
        return FALSE;
      ADD ("-m");
      ADD ("%" PRId64, maxmem);
    }
  struct
  {
    gboolean has;
    const char *name, *sub;
    int64_t v;
  } subs[] = {
    { HAS (IHASHSIZE), "ihashsize", "ihash", ihashsize },
    { HAS (BHASHSIZE), "bhashsize", "bhash", bhashsize },
    { HAS (AGSTRIDE), "agstride", "ag_stride", agstride },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (subs); i++)
    if (subs[i].has)
      {
        if (!gd_fs_check_not_negative (NULL, subs[i].name, subs[i].v, error))
          return FALSE;
        ADD ("-o");
        ADD ("%s=%" PRId64, subs[i].sub, subs[i].v);
      }
  if (HAS (LOGDEV))
    {
      g_autofree char *node = resolve_optional_device (req, logdev, error);
      if (node == NULL)
        return FALSE;
      ADD ("-l");
      ADD ("%s", node);
    }
  if (HAS (RTDEV))
    {
      g_autofree char *node = resolve_optional_device (req, rtdev, error);
      if (node == NULL)
        return FALSE;
      ADD ("-r");
      ADD ("%s", node);
    }
#undef HAS

  /* An image file in the guest: open it confined, hand it over as stdin. */
  int fd = -1;
  if (device->device)
    ADD ("%s", device->device->node);
  else
    {
      int pfd = gd_open (req, device->path, O_PATH, 0, error);
      if (pfd < 0)
        return FALSE;
      struct stat st;
      if (fstat (pfd, &st) < 0 || !S_ISREG (st.st_mode))
        {
          close (pfd);
          gd_error_errno (error, EINVAL, "%s: not a regular file", device->path);
          return FALSE;
        }
      g_autofree char *link = gd_fd_path (pfd);
      fd = open (link, (nomodify ? O_RDONLY : O_RDWR) | O_CLOEXEC);
      close (pfd);
      if (fd < 0)
        {
          gd_perror (error, "%s", device->path);
          return FALSE;
        }
      ADD ("-f");
      ADD ("/dev/stdin");
    }
  g_ptr_array_add (argv, NULL);

  g_autofree char *out = NULL;
  int status;
  gboolean ok =
      gd_fs_run_checker (req, (const char *const *) argv->pdata, fd, &out, &status, error);
  if (fd >= 0)
    close (fd);
  if (!ok)
    return FALSE;
  /* 0: no corruption, 1: corruption found (with nomodify); anything else
   * is a failure to check or repair. */
  if (status != 0 && status != 1)
    {
      gd_chomp (out);
      gd_error (error, "xfs_repair exited with status %d: %s", status, out);
      return FALSE;
    }
  *ret = status;
  return TRUE;
}
