/* libguestfsd handlers: MD RAID.
 *
 * Arrays are made and stopped with mdadm(8); their state comes from
 * /proc/mdstat and /sys/block/mdN.  Member devices are reported by their
 * guest names (/dev/sda, not the appliance's kernel name, which may
 * differ).
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gd-actions.h"
#include "gd-private.h"

/* Runs mdadm; on failure the message is "<prefix>: <mdadm's stderr>". */
static gboolean
mdadm (GdRequest *req, const char *const *argv, char **out, const char *prefix, GError **error)
{
  GdRunOpts opts = { .argv = argv, .stdin_fd = -1, .stdout_fd = -1 };
  return gd_run_verbatim (req, &opts, prefix, NULL, out, error);
}

static const char *const levels[] = {
  "linear", "raid0", "0", "stripe", "raid1", "1",      "mirror", "raid4",
  "4",      "raid5", "5", "raid6",  "6",     "raid10", "10",     NULL,
};

gboolean
gd_do_md_create (GdRequest *req, const char *name, GdDevice *const *devices, int64_t missingbitmap,
                 int nrdevices, int spare, int64_t chunk, const char *level, GError **error)
{
  guint ndevices = 0;
  while (devices[ndevices])
    ndevices++;

  if (!gd_request_has_optarg (req, GD_MD_CREATE_MISSINGBITMAP_BITMASK))
    missingbitmap = 0;
  int nmissing = 0;
  for (int i = 0; i < 64; i++)
    if (missingbitmap & ((guint64) 1 << i))
      nmissing++;
  if (!gd_request_has_optarg (req, GD_MD_CREATE_SPARE_BITMASK))
    spare = 0;
  /* By default every device (and missing slot) that is not a spare is
   * an active member. */
  if (!gd_request_has_optarg (req, GD_MD_CREATE_NRDEVICES_BITMASK))
    nrdevices = (int) ndevices + nmissing - spare;
  if (!gd_request_has_optarg (req, GD_MD_CREATE_LEVEL_BITMASK) || *level == '\0')
    level = "raid1";

  gboolean known = FALSE;
  for (const char *const *l = levels; *l && !known; l++)
    known = strcmp (*l, level) == 0;
  if (!known)
    {
      gd_error_errno (error, EINVAL, "unknown level parameter: %s", level);
      return FALSE;
    }
  if (*name == '\0' || strchr (name, '/') != NULL)
    {
      gd_error_errno (error, EINVAL, "%s: the array name must not be empty or contain '/'", name);
      return FALSE;
    }
  if (nrdevices < 1 || spare < 0)
    {
      gd_error_errno (error, EINVAL, "nrdevices must be >= 1 and spare >= 0");
      return FALSE;
    }
  /* Slot i of the array is "missing" when bit i is set, else the next
   * device; the devices left over after nrdevices slots are spares. */
  if (nrdevices < 64 && ((guint64) missingbitmap >> nrdevices) != 0)
    {
      gd_error_errno (error, EINVAL, "missingbitmap has bits set beyond nrdevices (%d)", nrdevices);
      return FALSE;
    }
  if ((gint64) ndevices + nmissing != (gint64) nrdevices + spare)
    {
      gd_error_errno (error, EINVAL, "%u devices + %d missing do not fill %d devices + %d spares",
                      ndevices, nmissing, nrdevices, spare);
      return FALSE;
    }
  if (gd_request_has_optarg (req, GD_MD_CREATE_CHUNK_BITMASK) && (chunk <= 0 || chunk % 1024))
    {
      gd_error_errno (error, EINVAL, "chunk must be a positive multiple of 1024 bytes");
      return FALSE;
    }

  /* The md driver may not be loaded yet (the appliance's kernel; a host's
   * is not ours to load modules into). */
  if (!gd_conn_host_mode (gd_request_connection (req)) &&
      !g_file_test ("/proc/mdstat", G_FILE_TEST_EXISTS))
    {
      const char *modprobe[] = { "modprobe", "md_mod", NULL };
      g_autoptr (GError) ignored = NULL;
      gd_runv (req, modprobe, GD_RUN_DEFAULT, NULL, &ignored);
    }

  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (argv, g_strdup ("mdadm"));
  g_ptr_array_add (argv, g_strdup ("--create"));
  /* Do not ask whether to go on, whatever is on the devices. */
  g_ptr_array_add (argv, g_strdup ("--run"));
  g_ptr_array_add (argv, g_strdup_printf ("/dev/md/%s", name));
  g_ptr_array_add (argv, g_strdup_printf ("--level=%s", level));
  g_ptr_array_add (argv, g_strdup_printf ("--raid-devices=%d", nrdevices));
  if (spare > 0)
    g_ptr_array_add (argv, g_strdup_printf ("--spare-devices=%d", spare));
  if (gd_request_has_optarg (req, GD_MD_CREATE_CHUNK_BITMASK))
    g_ptr_array_add (argv, g_strdup_printf ("--chunk=%" G_GINT64_FORMAT "K", chunk / 1024));
  guint next = 0;
  for (int slot = 0; slot < nrdevices + spare; slot++)
    {
      if (slot < 64 && (missingbitmap & ((guint64) 1 << slot)))
        g_ptr_array_add (argv, g_strdup ("missing"));
      else
        g_ptr_array_add (argv, g_strdup (devices[next++]->node));
    }
  g_ptr_array_add (argv, NULL);
  if (!mdadm (req, (const char *const *) argv->pdata, NULL, name, error))
    return FALSE;
  gd_udev_settle ();
  return TRUE;
}

/* "md127" for /dev/md127, /dev/md/NAME or any other node of an array. */
static char *
md_kernel_name (const char *node)
{
  g_autofree char *target = gd_device_sysfs_dir (node);
  if (target == NULL)
    return NULL;
  g_autofree char *md = g_build_filename (target, "md", NULL);
  if (!g_file_test (md, G_FILE_TEST_IS_DIR))
    return NULL;
  return g_path_get_basename (target);
}

static int
compare_md (gconstpointer a, gconstpointer b)
{
  const char *x = *(const char *const *) a, *y = *(const char *const *) b;
  /* /dev/md2 < /dev/md10 */
  size_t lx = strlen (x), ly = strlen (y);
  if (lx != ly)
    return lx < ly ? -1 : 1;
  return strcmp (x, y);
}

gboolean
gd_do_list_md_devices (GdRequest *req, char ***ret, GError **error)
{
  GdConnection *conn = gd_request_connection (req);
  GPtrArray *res = g_ptr_array_new ();
  g_autoptr (GDir) dir = g_dir_open ("/sys/block", 0, NULL);
  const char *name;
  while (dir && (name = g_dir_read_name (dir)) != NULL)
    {
      if (!g_str_has_prefix (name, "md") || !g_ascii_isdigit (name[2]))
        continue;
      /* An array that is being assembled or was stopped has no level:
       * it is not a usable device. */
      g_autofree char *level_file = g_strdup_printf ("/sys/block/%s/md/level", name);
      g_autofree char *level = NULL;
      if (!g_file_get_contents (level_file, &level, NULL, NULL) || *g_strstrip (level) == '\0')
        continue;
      g_autofree char *node = g_strconcat ("/dev/", name, NULL);
      if (!gd_device_node_is_ours (conn, node))
        continue;
      g_ptr_array_add (res, g_steal_pointer (&node));
    }
  g_ptr_array_sort (res, compare_md);
  g_ptr_array_add (res, NULL);
  *ret = (char **) g_ptr_array_free (res, FALSE);
  return TRUE;
}

static gboolean
check_md (const GdDevice *md, GError **error)
{
  g_autofree char *kname = md_kernel_name (md->node);
  if (kname != NULL)
    return TRUE;
  gd_error_errno (error, EINVAL, "%s: not an MD device", md->guest);
  return FALSE;
}

gboolean
gd_do_md_detail (GdRequest *req, const GdDevice *md, char ***ret, GError **error)
{
  if (!check_md (md, error))
    return FALSE;
  const char *argv[] = { "mdadm", "--detail", "--export", md->node, NULL };
  g_autofree char *out = NULL;
  if (!mdadm (req, argv, &out, NULL, error))
    return FALSE;

  /* MD_LEVEL=raid1 -> "level" "raid1".  The members come as
   * MD_DEVICE_dev_sdb_ROLE=0 and MD_DEVICE_dev_sdb_DEV=/dev/sdb, named
   * after the kernel's node: rename them after the guest's. */
  GdConnection *conn = gd_request_connection (req);
  g_autoptr (GHashTable) renames = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_auto (GStrv) lines = gd_split_lines (out);
  for (char **l = lines; *l; l++)
    {
      char *eq = strchr (*l, '=');
      if (eq == NULL || !g_str_has_prefix (*l, "MD_DEVICE_"))
        continue;
      g_autofree char *key = g_strndup (*l, eq - *l);
      if (!g_str_has_suffix (key, "_DEV"))
        continue;
      /* MD_DEVICE_<id>_DEV=<node> */
      g_autofree char *id = g_strndup (key + strlen ("MD_DEVICE_"),
                                       strlen (key) - strlen ("MD_DEVICE_") - strlen ("_DEV"));
      g_autofree char *guest = gd_device_guest_name (conn, eq + 1);
      if (strcmp (guest, eq + 1) != 0 && g_str_has_prefix (guest, "/"))
        {
          g_autofree char *gid = g_strdup (guest + 1);
          g_strdelimit (gid, "/", '_');
          g_hash_table_insert (renames, g_steal_pointer (&id), g_steal_pointer (&gid));
        }
    }

  GPtrArray *res = g_ptr_array_new ();
  for (char **l = lines; *l; l++)
    {
      char *eq = strchr (*l, '=');
      if (eq == NULL || !g_str_has_prefix (*l, "MD_"))
        continue;
      g_autofree char *key = g_ascii_strdown (*l + 3, eq - *l - 3);
      const char *value = eq + 1;
      g_autofree char *mapped = NULL;
      if (g_str_has_prefix (*l, "MD_DEVICE_"))
        {
          /* Rename the member's id (kept in the kernel's case) and map a
           * device value. */
          const char *rest = *l + strlen ("MD_DEVICE_");
          const char *us = NULL;
          for (const char *p = eq; p > rest; p--)
            if (*p == '_')
              {
                us = p;
                break;
              }
          if (us)
            {
              g_autofree char *id = g_strndup (rest, us - rest);
              g_autofree char *field = g_ascii_strdown (us + 1, eq - us - 1);
              const char *gid = g_hash_table_lookup (renames, id);
              g_free (key);
              key = g_strdup_printf ("device_%s_%s", gid ? gid : id, field);
            }
          if (g_str_has_prefix (value, "/dev/"))
            value = mapped = gd_device_guest_name (conn, value);
        }
      g_ptr_array_add (res, g_steal_pointer (&key));
      g_ptr_array_add (res, g_strdup (value));
    }
  g_ptr_array_add (res, NULL);
  *ret = (char **) g_ptr_array_free (res, FALSE);
  return TRUE;
}

gboolean
gd_do_md_stop (GdRequest *req, const GdDevice *md, GError **error)
{
  if (!check_md (md, error))
    return FALSE;
  const char *argv[] = { "mdadm", "--stop", md->node, NULL };
  if (!mdadm (req, argv, NULL, NULL, error))
    return FALSE;
  gd_udev_settle ();
  return TRUE;
}

gboolean
gd_do_md_stat (GdRequest *req, const GdDevice *md, gd_mdstat_list *ret, GError **error)
{
  g_autofree char *kname = md_kernel_name (md->node);
  if (kname == NULL)
    {
      gd_error_errno (error, EINVAL, "%s: not an MD device", md->guest);
      return FALSE;
    }
  g_autofree char *text = NULL;
  g_autoptr (GError) ferr = NULL;
  if (!g_file_get_contents ("/proc/mdstat", &text, NULL, &ferr))
    {
      gd_error (error, "/proc/mdstat: %s", ferr->message);
      return FALSE;
    }
  /* "md127 : active raid1 sdb[1] sda[0](F)" */
  g_autofree char *prefix = g_strconcat (kname, " : ", NULL);
  g_auto (GStrv) lines = gd_split_lines (text);
  const char *line = NULL;
  for (char **l = lines; *l && !line; l++)
    if (g_str_has_prefix (*l, prefix))
      line = *l + strlen (prefix);
  if (line == NULL)
    {
      gd_error (error, "%s: MD device not found", md->guest);
      return FALSE;
    }

  GdConnection *conn = gd_request_connection (req);
  g_auto (GStrv) words = g_strsplit (line, " ", -1);
  GArray *out = g_array_new (FALSE, TRUE, sizeof (gd_mdstat));
  for (char **w = words; *w; w++)
    {
      char *br = strchr (*w, '[');
      char *close = br ? strchr (br, ']') : NULL;
      if (br == NULL || close == NULL || br == *w)
        continue; /* "active", "raid1", "(auto-read-only)" ... */
      gd_mdstat st = { 0 };
      g_autofree char *node = g_strdup_printf ("/dev/%.*s", (int) (br - *w), *w);
      st.mdstat_device = gd_device_guest_name (conn, node);
      st.mdstat_index = (int) g_ascii_strtoll (br + 1, NULL, 10);
      /* Flags follow in parentheses: (F)aulty, (S)pare, (W)rite-mostly,
       * (R)eplacement. */
      GString *flags = g_string_new (NULL);
      for (const char *p = close + 1; *p; p++)
        if (*p != '(' && *p != ')')
          g_string_append_c (flags, *p);
      st.mdstat_flags = g_string_free (flags, FALSE);
      g_array_append_val (out, st);
    }
  ret->gd_mdstat_list_len = out->len;
  ret->gd_mdstat_list_val = (gd_mdstat *) (void *) g_array_free (out, FALSE);
  return TRUE;
}
