/* libguestfsd handlers: Linux file capabilities.
 *
 * Capabilities live on regular files; libcap's path calls lstat the name
 * they are given, so they get a real fd instead: the guest file opened
 * for reading (gd_fs_open_data, confined), used with cap_*_fd.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sys/capability.h>

#include "fsutil.h"
#include "gd-actions.h"
#include "gd-private.h"

static int
open_for_caps (GdRequest *req, const char *path, GError **error)
{
  int fd = gd_fs_open_data (req, path, O_RDONLY, 0, error);
  if (fd < 0)
    return -1;
  struct stat st;
  if (fstat (fd, &st) < 0)
    {
      gd_perror (error, "%s", path);
      close (fd);
      return -1;
    }
  if (!S_ISREG (st.st_mode))
    {
      gd_error_errno (error, EINVAL, "%s: capabilities can only be attached to regular files",
                      path);
      close (fd);
      return -1;
    }
  return fd;
}

/* The text form of a capability set in the classic layout: "=" (nothing
 * by default) followed by one clause per combination of flags in use,
 * e.g. "= cap_chown,cap_kill+ep cap_net_raw+i".  Recent libcap prints
 * "cap_chown,cap_kill=ep cap_net_raw+i" instead; both read back with
 * cap_from_text, and clients of the protocol expect the classic one. */
static char *
caps_to_text (cap_t cap)
{
  /* Bit 0: effective, 1: inheritable, 2: permitted (printed e, i, p). */
  static const cap_flag_t flags[3] = { CAP_EFFECTIVE, CAP_INHERITABLE, CAP_PERMITTED };
  static const char letters[3] = { 'e', 'i', 'p' };
  int nbits = cap_max_bits ();
  g_autofree guint8 *state = g_new0 (guint8, nbits > 0 ? nbits : 1);
  for (int n = 0; n < nbits; n++)
    for (int f = 0; f < 3; f++)
      {
        cap_flag_value_t v = CAP_CLEAR;
        if (cap_get_flag (cap, n, flags[f], &v) == 0 && v == CAP_SET)
          state[n] |= 1 << f;
      }
  GString *s = g_string_new ("=");
  for (int t = 7; t > 0; t--)
    {
      gboolean any = FALSE;
      for (int n = 0; n < nbits; n++)
        if (state[n] == t)
          {
            char *name = cap_to_name (n);
            g_string_append_c (s, any ? ',' : ' ');
            g_string_append (s, name);
            cap_free (name);
            any = TRUE;
          }
      if (!any)
        continue;
      g_string_append_c (s, '+');
      for (int f = 0; f < 3; f++)
        if (t & (1 << f))
          g_string_append_c (s, letters[f]);
    }
  return g_string_free (s, FALSE);
}

gboolean
gd_do_cap_get_file (GdRequest *req, const char *path, char **ret, GError **error)
{
  int fd = open_for_caps (req, path, error);
  if (fd < 0)
    return FALSE;
  cap_t cap = cap_get_fd (fd);
  int saved = errno;
  close (fd);
  if (cap == NULL)
    {
      /* No capabilities attached: an empty string, as documented. */
      if (saved == ENODATA)
        {
          *ret = g_strdup ("");
          return TRUE;
        }
      errno = saved;
      gd_perror (error, "%s", path);
      return FALSE;
    }
  *ret = caps_to_text (cap);
  cap_free (cap);
  return TRUE;
}

gboolean
gd_do_cap_set_file (GdRequest *req, const char *path, const char *cap, GError **error)
{
  cap_t c = cap_from_text (cap);
  if (c == NULL)
    {
      gd_error_errno (error, EINVAL, "%s: cannot parse capabilities \"%s\"", path, cap);
      return FALSE;
    }
  int fd = open_for_caps (req, path, error);
  if (fd < 0)
    {
      cap_free (c);
      return FALSE;
    }
  int r = cap_set_fd (fd, c);
  if (r < 0)
    gd_perror (error, "%s", path);
  cap_free (c);
  close (fd);
  return r == 0;
}
