/* libguestfsd handlers: swap devices and files.
 *
 * swapon/swapoff are the system calls, on our own device nodes, or on a
 * confined fd's /proc/self/fd name for a guest file.  Swap areas named by
 * label or UUID are looked up among our devices only: swapon -L would
 * search every block device of the machine.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <unistd.h>

#include "gd-actions.h"
#include "gd-private.h"
#include "hostpolicy.h"
#include "fs-util.h"

static gboolean
make_swap (GdRequest *req, const GdDevice *device, const char *label, const char *uuid,
           GError **error)
{
  if (!gd_fs_check_unused (device, error))
    return FALSE;
  if (label && !gd_fs_check_label ("swap", label, error))
    return FALSE;
  if (uuid && !g_uuid_string_is_valid (uuid))
    {
      gd_error_errno (error, EINVAL, "%s: not a valid UUID", uuid);
      return FALSE;
    }
  const char *argv[8];
  int n = 0;
  argv[n++] = "mkswap";
  argv[n++] = "-f";
  if (label)
    {
      argv[n++] = "-L";
      argv[n++] = label;
    }
  if (uuid)
    {
      argv[n++] = "-U";
      argv[n++] = uuid;
    }
  argv[n++] = device->node;
  argv[n] = NULL;
  return gd_runv (req, argv, GD_RUN_DEFAULT, NULL, error);
}

gboolean
gd_do_mkswap (GdRequest *req, const GdDevice *device, const char *label, const char *uuid,
              GError **error)
{
  return make_swap (req, device,
                    gd_request_has_optarg (req, GD_MKSWAP_LABEL_BITMASK) ? label : NULL,
                    gd_request_has_optarg (req, GD_MKSWAP_UUID_BITMASK) ? uuid : NULL, error);
}

gboolean
gd_do_mkswap_L (GdRequest *req, const char *label, const GdDevice *device, GError **error)
{
  return make_swap (req, device, label, NULL, error);
}

gboolean
gd_do_mkswap_U (GdRequest *req, const char *uuid, const GdDevice *device, GError **error)
{
  return make_swap (req, device, NULL, uuid, error);
}

/* A confined O_PATH fd on a regular guest file. */
static int
open_swap_file (GdRequest *req, const char *path, GError **error)
{
  int fd = gd_open (req, path, O_PATH, 0, error);
  if (fd < 0)
    return -1;
  struct stat st;
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
    {
      gd_error_errno (error, EINVAL, "%s: not a regular file", path);
      close (fd);
      return -1;
    }
  return fd;
}

gboolean
gd_do_mkswap_file (GdRequest *req, const char *path, GError **error)
{
  int pfd = open_swap_file (req, path, error);
  if (pfd < 0)
    return FALSE;
  /* mkswap opens the file itself: give it the one we opened, as stdin. */
  g_autofree char *link = gd_fd_path (pfd);
  int fd = open (link, O_RDWR | O_CLOEXEC);
  close (pfd);
  if (fd < 0)
    {
      gd_perror (error, "%s", path);
      return FALSE;
    }
  const char *argv[] = { "mkswap", "-f", "/dev/stdin", NULL };
  GdRunOpts opts = { .argv = argv, .stdin_fd = fd, .stdout_fd = -1 };
  gboolean ok = gd_run_full (req, &opts, NULL, NULL, NULL, error);
  close (fd);
  return ok;
}

/* Swap areas this connection enabled.  The daemon may run on a host whose
 * kernel outlives it: whatever the client leaves enabled is disabled when
 * the connection ends, or the host would keep swapping to a loop device
 * (or a guest file) that is about to go away.  Files are remembered by
 * device and inode, not by an open fd, which would keep their filesystem
 * from being unmounted. */
typedef struct
{
  char *node; /* a device; NULL for a file */
  dev_t dev;  /* the device number, or the file's st_dev ... */
  ino_t ino;  /* ... and st_ino */
} SwapArea;

static void
swap_area_free (gpointer p)
{
  SwapArea *a = p;
  g_free (a->node);
  g_free (a);
}

static void
swapoff_file_by_inode (dev_t dev, ino_t ino)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents ("/proc/swaps", &text, NULL, NULL))
    return;
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l; l++)
    {
      g_auto (GStrv) f = g_strsplit_set (*l, " \t", 2);
      if (l == lines || f[0] == NULL || *f[0] == '\0')
        continue;
      g_autofree char *path = gd_unescape_octal (f[0]);
      struct stat st;
      if (stat (path, &st) == 0 && S_ISREG (st.st_mode) && st.st_dev == dev && st.st_ino == ino)
        swapoff (path);
    }
}

static void
swap_areas_free (gpointer p)
{
  GPtrArray *areas = p;
  for (guint i = 0; i < areas->len; i++)
    {
      SwapArea *a = areas->pdata[i];
      if (a->node)
        swapoff (a->node);
      else
        swapoff_file_by_inode (a->dev, a->ino);
    }
  g_ptr_array_unref (areas);
}

static GPtrArray *
swap_areas (GdRequest *req)
{
  GdConnection *conn = gd_request_connection (req);
  GPtrArray *areas = gd_conn_get_data (conn, "fs-swap-areas");
  if (areas == NULL)
    {
      areas = g_ptr_array_new_with_free_func (swap_area_free);
      gd_conn_set_data (conn, "fs-swap-areas", areas, swap_areas_free);
    }
  return areas;
}

/* Records (on) or forgets (off) the area: a device node, or the file open
 * on fd. */
static void
track (GdRequest *req, gboolean on, const char *node, int fd)
{
  struct stat st;
  if ((fd >= 0 ? fstat (fd, &st) : stat (node, &st)) < 0)
    return;
  dev_t dev = fd >= 0 ? st.st_dev : st.st_rdev;
  ino_t ino = fd >= 0 ? st.st_ino : 0;
  GPtrArray *areas = swap_areas (req);
  for (guint i = 0; i < areas->len; i++)
    {
      SwapArea *a = areas->pdata[i];
      if (a->dev == dev && a->ino == ino && (a->node == NULL) == (fd >= 0))
        {
          g_ptr_array_remove_index (areas, i);
          break;
        }
    }
  if (on)
    {
      SwapArea *a = g_new0 (SwapArea, 1);
      a->node = fd >= 0 ? NULL : g_strdup (node);
      a->dev = dev;
      a->ino = ino;
      g_ptr_array_add (areas, a);
    }
}

static gboolean
swap_on_off (GdRequest *req, gboolean on, const char *node, int fd, const char *what,
             GError **error)
{
  /* The host's kernel would page every process's memory out to the
   * image, where the client reads it back: host memory leaves the host. */
  if (on &&
      gd_host_mode_refuse (req, error,
                           "%s: swapon: swap on a guest's disk would hold the host's memory", what))
    return FALSE;
  g_autofree char *name = fd >= 0 ? gd_fd_path (fd) : g_strdup (node);
  int r = on ? swapon (name, 0) : swapoff (name);
  if (r < 0)
    {
      gd_perror (error, "%s", what);
      return FALSE;
    }
  track (req, on, node, fd);
  return TRUE;
}

gboolean
gd_do_swapon_device (GdRequest *req, const GdDevice *device, GError **error)
{
  return swap_on_off (req, TRUE, device->node, -1, device->guest, error);
}

gboolean
gd_do_swapoff_device (GdRequest *req, const GdDevice *device, GError **error)
{
  return swap_on_off (req, FALSE, device->node, -1, device->guest, error);
}

static gboolean
swap_file (GdRequest *req, gboolean on, const char *file, GError **error)
{
  int fd = open_swap_file (req, file, error);
  if (fd < 0)
    return FALSE;
  gboolean ok = swap_on_off (req, on, NULL, fd, file, error);
  close (fd);
  return ok;
}

gboolean
gd_do_swapon_file (GdRequest *req, const char *file, GError **error)
{
  return swap_file (req, TRUE, file, error);
}

gboolean
gd_do_swapoff_file (GdRequest *req, const char *file, GError **error)
{
  return swap_file (req, FALSE, file, error);
}

static gboolean
swap_tagged (GdRequest *req, gboolean on, const char *tag, const char *value, GError **error)
{
  g_autofree char *node = gd_fs_find_by_tag (req, tag, value, error);
  if (node == NULL)
    return FALSE;
  g_autofree char *what = g_strdup_printf ("%s=%s", tag, value);
  return swap_on_off (req, on, node, -1, what, error);
}

gboolean
gd_do_swapon_label (GdRequest *req, const char *label, GError **error)
{
  return swap_tagged (req, TRUE, "LABEL", label, error);
}

gboolean
gd_do_swapoff_label (GdRequest *req, const char *label, GError **error)
{
  return swap_tagged (req, FALSE, "LABEL", label, error);
}

gboolean
gd_do_swapon_uuid (GdRequest *req, const char *uuid, GError **error)
{
  return swap_tagged (req, TRUE, "UUID", uuid, error);
}

gboolean
gd_do_swapoff_uuid (GdRequest *req, const char *uuid, GError **error)
{
  return swap_tagged (req, FALSE, "UUID", uuid, error);
}
