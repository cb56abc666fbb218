/* libguestfsd handlers: the deprecated sfdisk procedures.
 *
 * They pass lines in sfdisk's input format straight to sfdisk(8).  The
 * sfdisk of today (util-linux >= 2.26) counts in sectors and has no
 * cylinder/head/sector geometry: the cyls, heads and sectors arguments
 * are accepted and ignored (0 always meant "let sfdisk decide"), and
 * sfdiskM's megabyte sizes are passed with sfdisk's MiB suffix.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "gd-actions.h"
#include "gd-private.h"
#include "partitions.h"

static gboolean
run_sfdisk_input (GdRequest *req, const GdDevice *device, int partnum, const char *input,
                  GError **error)
{
  if (!gd_parts_check_writable (device, error))
    return FALSE;
  g_autofree char *num = partnum > 0 ? g_strdup_printf ("%d", partnum) : NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, "sfdisk");
  g_ptr_array_add (argv, "--no-reread");
  g_ptr_array_add (argv, "--no-tell-kernel");
  g_ptr_array_add (argv, "-q");
  if (num)
    {
      g_ptr_array_add (argv, "-N");
      g_ptr_array_add (argv, num);
    }
  g_ptr_array_add (argv, device->node);
  g_ptr_array_add (argv, NULL);
  GdRunOpts opts = {
    .argv = (const char *const *) argv->pdata,
    .stdin_fd = -1,
    .stdout_fd = -1,
    .stdin_data = input,
    .stdin_len = strlen (input),
  };
  if (!gd_run_full (req, &opts, NULL, NULL, NULL, error))
    return FALSE;
  return gd_parts_sync (device, error);
}

static char *
join_lines (char *const *lines)
{
  GString *s = g_string_new (NULL);
  for (; *lines; lines++)
    {
      g_string_append (s, *lines);
      g_string_append_c (s, '\n');
    }
  return g_string_free (s, FALSE);
}

static gboolean
check_lines (char *const *lines, GError **error)
{
  for (; *lines; lines++)
    if (strchr (*lines, '\n') != NULL)
      {
        gd_error_errno (error, EINVAL, "an sfdisk line must not contain a newline");
        return FALSE;
      }
  return TRUE;
}

gboolean
gd_do_sfdisk (GdRequest *req, const GdDevice *device, int cyls, int heads, int sectors,
              char *const *lines, GError **error)
{
  (void) cyls;
  (void) heads;
  (void) sectors;
  if (!check_lines (lines, error) || !gd_parts_check_disk_idle (req, device, error))
    return FALSE;
  g_autofree char *input = join_lines (lines);
  return run_sfdisk_input (req, device, 0, input, error);
}

gboolean
gd_do_sfdisk_N (GdRequest *req, const GdDevice *device, int partnum, int cyls, int heads,
                int sectors, const char *line, GError **error)
{
  (void) cyls;
  (void) heads;
  (void) sectors;
  if (partnum < 1)
    {
      gd_error_errno (error, EINVAL, "%s: partition number must be >= 1 (not %d)", device->guest,
                      partnum);
      return FALSE;
    }
  if (strchr (line, '\n') != NULL)
    {
      gd_error_errno (error, EINVAL, "an sfdisk line must not contain a newline");
      return FALSE;
    }
  g_autofree char *node = gd_device_partition_node (device->node, (guint) partnum);
  if (!gd_parts_is_partition_or_dm (device->node) && gd_parts_node_busy (node))
    {
      gd_error_errno (error, EBUSY, "%s: partition %d is in use (mounted?)", device->guest,
                      partnum);
      return FALSE;
    }
  g_autofree char *input = g_strconcat (line, "\n", NULL);
  return run_sfdisk_input (req, device, partnum, input, error);
}

/* "start,size,rest" in megabytes -> the same with sfdisk's MiB suffix on
 * the two numbers (empty fields and "+" keep their meaning). */
static char *
megabyte_line (const char *line)
{
  g_auto (GStrv) f = g_strsplit (line, ",", 3);
  GString *s = g_string_new (NULL);
  for (guint i = 0; f[i]; i++)
    {
      if (i > 0)
        g_string_append_c (s, ',');
      char *v = g_strstrip (f[i]);
      g_string_append (s, v);
      if (i < 2 && *v && strspn (v, "0123456789") == strlen (v))
        g_string_append (s, "MiB");
    }
  return g_string_free (s, FALSE);
}

gboolean
gd_do_sfdiskM (GdRequest *req, const GdDevice *device, char *const *lines, GError **error)
{
  if (!check_lines (lines, error) || !gd_parts_check_disk_idle (req, device, error))
    return FALSE;
  GString *input = g_string_new (NULL);
  for (char *const *l = lines; *l; l++)
    {
      g_autofree char *m = megabyte_line (*l);
      g_string_append (input, m);
      g_string_append_c (input, '\n');
    }
  g_autofree char *text = g_string_free (input, FALSE);
  return run_sfdisk_input (req, device, 0, text, error);
}

/* sfdisk prints host nodes (/dev/loop3p1): show the guest's names. */
static char *
guest_names_in (GdRequest *req, const GdDevice *device, const char *text)
{
  GdConnection *conn = gd_request_connection (req);
  GString *out = g_string_new (NULL);
  size_t nlen = strlen (device->node);
  const char *p = text;
  while (*p)
    {
      const char *hit = strstr (p, device->node);
      if (hit == NULL || strcmp (device->node, device->guest) == 0)
        {
          g_string_append (out, p);
          break;
        }
      g_string_append_len (out, p, hit - p);
      size_t n = nlen;
      while (hit[n] == 'p' || g_ascii_isdigit (hit[n]))
        n++;
      g_autofree char *node = g_strndup (hit, n);
      g_autofree char *guest = gd_device_guest_name (conn, node);
      if (strcmp (guest, node) == 0) /* not a device after all: only the disk part */
        {
          g_string_append (out, device->guest);
          p = hit + nlen;
        }
      else
        {
          g_string_append (out, guest);
          p = hit + n;
        }
    }
  return g_string_free (out, FALSE);
}

static gboolean
sfdisk_output (GdRequest *req, const GdDevice *device, const char *opt, char **ret, GError **error)
{
  const char *argv[] = { "sfdisk", opt, device->node, NULL };
  g_autofree char *out = NULL;
  if (!gd_runv (req, argv, GD_RUN_DEFAULT, &out, error))
    return FALSE;
  *ret = guest_names_in (req, device, out);
  return TRUE;
}

gboolean
gd_do_sfdisk_l (GdRequest *req, const GdDevice *device, char **ret, GError **error)
{
  return sfdisk_output (req, device, "-l", ret, error);
}

gboolean
gd_do_sfdisk_kernel_geometry (GdRequest *req, const GdDevice *device, char **ret, GError **error)
{
  return sfdisk_output (req, device, "-g", ret, error);
}

gboolean
gd_do_sfdisk_disk_geometry (GdRequest *req, const GdDevice *device, char **ret, GError **error)
{
  /* sfdisk no longer reads a geometry from the table (-G is now -g). */
  return sfdisk_output (req, device, "-G", ret, error);
}
