/* libguestfsd handlers: statvfs and df.
 *
 * df and df_h print what df(1) would for the filesystems mounted in the
 * guest tree, computed here (fstatvfs on each mount point), so that they
 * show the guest's device names and mount points rather than the
 * daemon's.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "gd-actions.h"
#include "gd-private.h"

gboolean
gd_do_statvfs (GdRequest *req, const char *path, gd_statvfs *ret, GError **error)
{
  int fd = gd_open (req, path, O_PATH, 0, error);
  if (fd < 0)
    return FALSE;
  struct statvfs sv;
  int r = fstatvfs (fd, &sv);
  close (fd);
  if (r < 0)
    {
      gd_perror (error, "%s", path);
      return FALSE;
    }
  ret->bsize = sv.f_bsize;
  ret->frsize = sv.f_frsize;
  ret->blocks = sv.f_blocks;
  ret->bfree = sv.f_bfree;
  ret->bavail = sv.f_bavail;
  ret->files = sv.f_files;
  ret->ffree = sv.f_ffree;
  ret->favail = sv.f_favail;
  ret->fsid = sv.f_fsid;
  ret->flag = sv.f_flag;
  ret->namemax = sv.f_namemax;
  return TRUE;
}

/* Like df -h: powers of 1024, rounded up, one decimal below 10. */
static char *
human_size (guint64 bytes)
{
  static const char units[] = "KMGTPE";
  if (bytes < 1024)
    return g_strdup_printf ("%" G_GUINT64_FORMAT, bytes);
  double v = bytes;
  int u = -1;
  while (v >= 1024 && u < 5)
    {
      v /= 1024;
      u++;
    }
  if (v < 10)
    {
      double tenths = (guint64) (v * 10);
      if (tenths < v * 10)
        tenths++;
      if (tenths < 100)
        return g_strdup_printf ("%.1f%c", tenths / 10, units[u]);
      v = 10;
    }
  guint64 whole = (guint64) v;
  if ((double) whole < v)
    whole++;
  if (whole >= 1024 && u < 5)
    return g_strdup_printf ("1.0%c", units[u + 1]);
  return g_strdup_printf ("%" G_GUINT64_FORMAT "%c", whole, units[u]);
}

enum
{
  COL_FS,
  COL_SIZE,
  COL_USED,
  COL_AVAIL,
  COL_PCT,
  COL_MNT,
  N_COLS
};

static gboolean
df (GdRequest *req, gboolean human, char **ret, GError **error)
{
  g_autoptr (GPtrArray) mounts = gd_mounts_list (gd_request_connection (req), error);
  if (mounts == NULL)
    return FALSE;
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  const char *header[N_COLS] = { "Filesystem", human ? "Size" : "1K-blocks",
                                 "Used",       human ? "Avail" : "Available",
                                 "Use%",       "Mounted on" };
  g_ptr_array_add (rows,
                   g_strdupv ((char **) (const char *[]){ header[0], header[1], header[2],
                                                          header[3], header[4], header[5], NULL }));
  for (guint i = 0; i < mounts->len; i++)
    {
      GdMountEntry *e = mounts->pdata[i];
      int fd = gd_open (req, e->target, O_PATH | O_DIRECTORY, 0, NULL);
      if (fd < 0)
        continue;
      struct statvfs sv;
      int r = fstatvfs (fd, &sv);
      close (fd);
      if (r < 0)
        continue;
      guint64 unit = sv.f_frsize ? sv.f_frsize : sv.f_bsize;
      guint64 total = (guint64) sv.f_blocks * unit;
      guint64 used = (guint64) (sv.f_blocks - sv.f_bfree) * unit;
      guint64 avail = (guint64) sv.f_bavail * unit;
      char **row = g_new0 (char *, N_COLS + 1);
      row[COL_FS] = gd_device_guest_name (gd_request_connection (req), e->source);
      if (human)
        {
          row[COL_SIZE] = human_size (total);
          row[COL_USED] = human_size (used);
          row[COL_AVAIL] = human_size (avail);
        }
      else
        {
          row[COL_SIZE] = g_strdup_printf ("%" G_GUINT64_FORMAT, (total + 1023) / 1024);
          row[COL_USED] = g_strdup_printf ("%" G_GUINT64_FORMAT, (used + 1023) / 1024);
          row[COL_AVAIL] = g_strdup_printf ("%" G_GUINT64_FORMAT, avail / 1024);
        }
      if (used + avail == 0)
        row[COL_PCT] = g_strdup ("-");
      else
        row[COL_PCT] = g_strdup_printf ("%" G_GUINT64_FORMAT "%%",
                                        (used * 100 + used + avail - 1) / (used + avail));
      row[COL_MNT] = g_strdup (e->target);
      g_ptr_array_add (rows, row);
    }

  int width[N_COLS] = { 0 };
  for (guint i = 0; i < rows->len; i++)
    for (int c = 0; c < N_COLS; c++)
      width[c] = MAX (width[c], (int) strlen (((char **) rows->pdata[i])[c]));
  /* df(1) gives the device column at least 14 characters. */
  width[COL_FS] = MAX (width[COL_FS], 14);
  GString *out = g_string_new (NULL);
  for (guint i = 0; i < rows->len; i++)
    {
      char **row = rows->pdata[i];
      g_string_append_printf (out, "%-*s", width[COL_FS], row[COL_FS]);
      for (int c = COL_SIZE; c <= COL_PCT; c++)
        g_string_append_printf (out, " %*s", width[c], row[c]);
      g_string_append_printf (out, " %s\n", row[COL_MNT]);
    }
  *ret = g_string_free (out, FALSE);
  return TRUE;
}

gboolean
gd_do_df (GdRequest *req, char **ret, GError **error)
{
  return df (req, FALSE, ret, error);
}

gboolean
gd_do_df_h (GdRequest *req, char **ret, GError **error)
{
  return df (req, TRUE, ret, error);
}
