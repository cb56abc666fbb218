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
#include "fs-util.h"

static gboolean
make_swap (GdRequest *req, const char *node, const char *label, const char *uuid, GError **error)
{
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
  argv[n++] = node;
  argv[n] = NULL;
  return gd_runv (req, argv, GD_RUN_DEFAULT, NULL, error);
}

gboolean
gd_do_mkswap (GdRequest *req, const GdDevice *device, const char *label, const char *uuid,
              GError **error)
{
  return make_swap (req, device->node,
                    gd_request_has_optarg (req, GD_MKSWAP_LABEL_BITMASK) ? label : NULL,
                    gd_request_has_optarg (req, GD_MKSWAP_UUID_BITMASK) ? uuid : NULL, error);
}

gboolean
gd_do_mkswap_L (GdRequest *req, const char *label, const GdDevice *device, GError **error)
{
  return make_swap (req, device->node, label, NULL, error);
}

gboolean
gd_do_mkswap_U (GdRequest *req, const char *uuid, const GdDevice *device, GError **error)
{
  return make_swap (req, device->node, NULL, uuid, error);
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

static gboolean
swap_on_off (gboolean on, const char *name, const char *what, GError **error)
{
  int r = on ? swapon (name, 0) : swapoff (name);
  if (r < 0)
    {
      gd_perror (error, "%s", what);
      return FALSE;
    }
  return TRUE;
}

gboolean
gd_do_swapon_device (GdRequest *req, const GdDevice *device, GError **error)
{
  (void) req;
  return swap_on_off (TRUE, device->node, device->guest, error);
}

gboolean
gd_do_swapoff_device (GdRequest *req, const GdDevice *device, GError **error)
{
  (void) req;
  return swap_on_off (FALSE, device->node, device->guest, error);
}

static gboolean
swap_file (GdRequest *req, gboolean on, const char *file, GError **error)
{
  int fd = open_swap_file (req, file, error);
  if (fd < 0)
    return FALSE;
  g_autofree char *link = gd_fd_path (fd);
  gboolean ok = swap_on_off (on, link, file, error);
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
  return swap_on_off (on, node, what, error);
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
