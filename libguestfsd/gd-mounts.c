/* libguestfsd: the filesystems mounted under the sysroot.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/swap.h>
#include <unistd.h>

#include <libguestfsd/guestfsd.h>

#include "gd-engine.h"

static void
mount_entry_free (gpointer p)
{
  GdMountEntry *e = p;
  if (e == NULL)
    return; /* moved elsewhere */
  g_free (e->source);
  g_free (e->target);
  g_free (e->fstype);
  g_free (e->options);
  g_free (e);
}

char *
gd_unescape_octal (const char *s)
{
  GString *out = g_string_sized_new (strlen (s));
  for (; *s; s++)
    {
      if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
          s[3] <= '7')
        {
          g_string_append_c (out, (char) ((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0')));
          s += 3;
        }
      else
        g_string_append_c (out, *s);
    }
  return g_string_free (out, FALSE);
}

/* Guest path of a host mount point, or NULL if it is not in the sysroot. */
static char *
guest_path (const char *sysroot, const char *mountpoint)
{
  if (strcmp (sysroot, "/") == 0)
    return g_strdup (mountpoint);
  size_t n = strlen (sysroot);
  if (strncmp (mountpoint, sysroot, n) != 0)
    return NULL;
  if (mountpoint[n] == '\0')
    return g_strdup ("/");
  if (mountpoint[n] != '/')
    return NULL;
  return g_strdup (mountpoint + n);
}

GPtrArray *
gd_mountinfo_read (GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr (GError) local = NULL;
  if (!g_file_get_contents ("/proc/self/mountinfo", &text, NULL, &local))
    {
      gd_error_errno (error, EIO, "%s", local->message);
      return NULL;
    }
  GPtrArray *out = g_ptr_array_new_with_free_func (mount_entry_free);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l; l++)
    {
      g_auto (GStrv) f = g_strsplit (*l, " ", -1);
      guint nf = g_strv_length (f);
      guint dash = 6;
      while (dash < nf && strcmp (f[dash], "-") != 0)
        dash++;
      if (nf < 10 || dash + 3 > nf)
        continue;
      GdMountEntry *e = g_new0 (GdMountEntry, 1);
      e->mnt_id = (guint) g_ascii_strtoull (f[0], NULL, 10);
      e->target = gd_unescape_octal (f[4]);
      e->fstype = gd_unescape_octal (f[dash + 1]);
      e->source = gd_unescape_octal (f[dash + 2]);
      e->options = g_strdup (f[5]);
      g_ptr_array_add (out, e);
    }
  return out;
}

GPtrArray *
gd_mounts_list (GdConnection *conn, GError **error)
{
  g_autoptr (GPtrArray) all = gd_mountinfo_read (error);
  if (all == NULL)
    return NULL;
  GPtrArray *out = g_ptr_array_new_with_free_func (mount_entry_free);
  for (guint i = 0; i < all->len; i++)
    {
      GdMountEntry *e = g_ptr_array_index (all, i);
      /* What was on the sysroot when the client came (host mode's jail
       * binds the sysroot there) is the sysroot itself, not a guest
       * filesystem; in live mode it is the running system's "/". */
      if (!conn->cfg.live && conn->sysroot_mnt_id_valid && e->mnt_id == conn->sysroot_mnt_id)
        continue;
      char *target = guest_path (conn->cfg.sysroot, e->target);
      if (target == NULL)
        continue;
      g_free (e->target);
      e->target = target;
      g_ptr_array_add (out, g_steal_pointer (&all->pdata[i]));
    }
  return out;
}

char *
gd_mountpoint_resolve (GdRequest *req, const char *mountpoint, GError **error)
{
  if (mountpoint[0] != '/')
    {
      gd_error_errno (error, EINVAL, "%s: mount point must be an absolute path", mountpoint);
      return NULL;
    }
  int fd = gd_open (req, mountpoint, O_PATH | O_DIRECTORY, 0, error);
  if (fd < 0)
    return NULL;
  g_autofree char *link = gd_fd_path (fd);
  char *host = g_file_read_link (link, NULL);
  close (fd);
  if (host == NULL)
    gd_error_errno (error, EIO, "%s: cannot resolve mount point", mountpoint);
  return host;
}

/* A swap file enabled in the guest (swapon_file) keeps its filesystem busy:
 * disable the ones under the sysroot so that it can be unmounted. */
static void
swapoff_guest_files (GdConnection *conn)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents ("/proc/swaps", &text, NULL, NULL))
    return;
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l && l[1]; l++)
    {
      g_auto (GStrv) f = g_strsplit_set (*l, " \t", 2);
      if (l == lines || f[0] == NULL || f[1] == NULL || !strstr (f[1], "file"))
        continue;
      g_autofree char *path = gd_unescape_octal (f[0]);
      g_autofree char *guest = guest_path (conn->cfg.sysroot, path);
      if (guest != NULL)
        swapoff (path);
    }
}

gboolean
gd_umount_all (GdConnection *conn, GError **error)
{
  /* Handles on guest files first, and our cached fd of the sysroot: they
   * would keep filesystems busy. */
  gd_conn_drop_umount_data (conn);
  gd_conn_mounts_invalidate (conn);
  /* In live mode the sysroot is the running system: never unmount it. */
  if (conn->cfg.live)
    return TRUE;
  swapoff_guest_files (conn);
  g_autoptr (GPtrArray) mounts = gd_mounts_list (conn, error);
  if (mounts == NULL)
    return FALSE;
  /* mountinfo lists parents before children: unmount in reverse. */
  for (guint i = mounts->len; i-- > 0;)
    {
      GdMountEntry *e = g_ptr_array_index (mounts, i);
      g_autofree char *host = strcmp (conn->cfg.sysroot, "/") == 0 ? g_strdup (e->target)
                              : strcmp (e->target, "/") == 0
                                  ? g_strdup (conn->cfg.sysroot)
                                  : g_strconcat (conn->cfg.sysroot, e->target, NULL);
      int r = -1;
      /* A filesystem just used by a helper can be busy for a moment. */
      for (int tries = 0; tries < 20; tries++)
        {
          r = umount2 (host, UMOUNT_NOFOLLOW);
          if (r == 0 || errno != EBUSY)
            break;
          g_usleep (50000);
        }
      if (r < 0 && errno != EINVAL && errno != ENOENT)
        {
          gd_perror (error, "umount %s", e->target);
          return FALSE;
        }
    }
  return TRUE;
}
