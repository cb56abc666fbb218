/* libguestfsd handlers: LVM.
 *
 * Everything goes through the lvm(8) program.  Results name physical
 * volumes by their host nodes (the stub or lvm_pv_name() maps them to the
 * guest's names) and logical volumes as /dev/VG/LV.
 *
 * The appliance's init exports LVM_SYSTEM_DIR (a private lvm.conf);
 * lvm_set_filter appends a devices section to that file and
 * lvm_clear_filter puts the file back as it was.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gd-actions.h"
#include "fs-util.h"
#include "gd-private.h"

/* ------------------------------------------------------------------------
 * Running lvm.
 */

/* lvm warns on stderr about any inherited fd; ours are all O_CLOEXEC, but
 * a warning would end up in error messages. */
static const char *const lvm_env[] = { "LVM_SUPPRESS_FD_WARNINGS=1", NULL };

/* In host mode LVM must not see the host's own physical volumes, or a
 * request naming a volume group (vgremove, vgrename, lvcreate ...) would
 * act on the host's: every command gets a global filter that accepts our
 * drives and their partitions only (lvm_set_filter's "filter" narrows it
 * further), no devices file (the host's lists the host's PVs), and no
 * metadata backups or archives (they would go to the host's /etc/lvm). */
static char *
host_mode_lvm_config (GdRequest *req)
{
  GdConnection *conn = gd_request_connection (req);
  if (!gd_conn_host_mode (conn))
    return NULL;
  /* Disks, their partitions, md and dm devices built on them (LVM on
   * LUKS), by their nodes; partitions made later by a pattern. */
  g_autoptr (GPtrArray) devs = gd_fs_all_devices (req);
  g_autoptr (GPtrArray) disks = gd_list_disks (conn);
  GString *s = g_string_new ("backup { backup = 0 archive = 0 } devices { use_devicesfile = 0 "
                             "global_filter = [ ");
  for (guint i = 0; i < disks->len + devs->len; i++)
    {
      gboolean disk = i < disks->len;
      GdDevice *d = g_ptr_array_index (disk ? disks : devs, disk ? i : i - disks->len);
      g_string_append (s, "\"a|^");
      for (const char *c = d->node; *c; c++)
        {
          if (strchr ("\\^$.|?*+()[]{}\"", *c))
            g_string_append_c (s, '\\');
          g_string_append_c (s, *c);
        }
      /* loop3: loop3p1 but not loop31; sdb: sdb1 */
      gboolean digit = g_ascii_isdigit (d->node[strlen (d->node) - 1]);
      g_string_append (s, !disk ? "$|\", " : digit ? "(p[0-9]+)?$|\", " : "[0-9]*$|\", ");
    }
  g_string_append (s, "\"r|.*|\" ] }");
  return g_string_free (s, FALSE);
}

/* Runs "lvm ARGV..." (argv without "lvm").  On failure the message is
 * "<prefix>: <lvm's stderr>", or lvm's stderr alone if prefix is NULL. */
static gboolean
lvm_runv (GdRequest *req, const char *const *args, char **out, const char *prefix, GError **error)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *config = host_mode_lvm_config (req);
  g_ptr_array_add (argv, (gpointer) "lvm");
  for (const char *const *a = args; *a; a++)
    {
      g_ptr_array_add (argv, (gpointer) *a);
      if (a == args && config != NULL)
        {
          g_ptr_array_add (argv, (gpointer) "--config");
          g_ptr_array_add (argv, config);
        }
    }
  g_ptr_array_add (argv, NULL);
  GdRunOpts opts = {
    .argv = (const char *const *) argv->pdata,
    .stdin_fd = -1,
    .stdout_fd = -1,
    .env = lvm_env,
  };
  g_autofree char *what = g_strconcat ("lvm ", args[0], NULL);
  return gd_run_verbatim (req, &opts, prefix, what, out, error);
}

#define LVM(req, out, prefix, error, ...)                                                          \
  lvm_runv ((req), (const char *const[]){ __VA_ARGS__, NULL }, (out), (prefix), (error))

/* The non-empty lines of lvm's report output, stripped. */
static char **
report_lines (const char *out)
{
  g_auto (GStrv) lines = g_strsplit (out ? out : "", "\n", -1);
  GPtrArray *res = g_ptr_array_new ();
  for (char **l = lines; *l; l++)
    {
      g_strstrip (*l);
      if (**l)
        g_ptr_array_add (res, g_strdup (*l));
    }
  g_ptr_array_add (res, NULL);
  return (char **) g_ptr_array_free (res, FALSE);
}

/* The procedures outside the lvm2 group still need lvm and the
 * device-mapper: without them no LVM object exists. */
static gboolean
require_lvm (GError **error)
{
  if (gd_group_available (GD_GROUP_LVM2))
    return TRUE;
  gd_error_unavailable (error, "lvm2");
  return FALSE;
}

static gboolean
check_percent (int percent, GError **error)
{
  if (percent < 0 || percent > 100)
    {
      gd_error_errno (error, EINVAL, "percentage must be [0..100] (was %d)", percent);
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------------
 * Listing.  The listings are ungated: without LVM (no lvm program or no
 * device-mapper, as on a host without dm) there is simply nothing to list,
 * which is what tools such as virt-filesystems and virt-inspector expect.
 * On a host only our drives' objects are listed, never the host's own.
 */

static gboolean our_lvm_objects (GdRequest *req, char ***pvs_out, char ***vgs_out, GError **error);

static char **
empty_list (void)
{
  return g_new0 (char *, 1);
}

gboolean
gd_do_pvs (GdRequest *req, char ***ret, GError **error)
{
  if (!gd_group_available (GD_GROUP_LVM2))
    {
      *ret = empty_list ();
      return TRUE;
    }
  return our_lvm_objects (req, ret, NULL, error);
}

gboolean
gd_do_vgs (GdRequest *req, char ***ret, GError **error)
{
  if (!gd_group_available (GD_GROUP_LVM2))
    {
      *ret = empty_list ();
      return TRUE;
    }
  return our_lvm_objects (req, NULL, ret, error);
}

gboolean
gd_do_lvs (GdRequest *req, char ***ret, GError **error)
{
  if (!gd_group_available (GD_GROUP_LVM2))
    {
      *ret = empty_list ();
      return TRUE;
    }
  /* In the appliance every physical volume lvm can see is on a served
   * disk (the appliance's own disk is an ext2 root), so the filter below
   * would keep every group: skip the `lvm pvs` it needs, an exec of lvm
   * (~250 ms under TCG) in every inspection. */
  GdConnection *conn = gd_request_connection (req);
  gboolean filter = gd_conn_host_mode (conn) || gd_conn_live (conn);
  g_auto (GStrv) our_vgs = NULL;
  if (filter && !our_lvm_objects (req, NULL, &our_vgs, error))
    return FALSE;
  /* Only the volumes a user can see and activate: not thin pools' or
   * RAID's internal volumes, nor those flagged to skip activation. */
  g_autofree char *out = NULL;
  if (!LVM (req, &out, NULL, error, "lvs", "-o", "vg_name,lv_name", "-S",
            "lv_role=public && lv_skip_activation!=yes", "--noheadings", "--separator", "/"))
    return FALSE;
  g_auto (GStrv) lines = report_lines (out);
  GPtrArray *res = g_ptr_array_new ();
  for (char **l = lines; *l; l++)
    {
      g_autofree char *vg = g_strndup (*l, strcspn (*l, "/"));
      if (!filter || g_strv_contains ((const char *const *) our_vgs, vg))
        g_ptr_array_add (res, g_strconcat ("/dev/", *l, NULL));
    }
  g_ptr_array_add (res, NULL);
  *ret = (char **) g_ptr_array_free (res, FALSE);
  return TRUE;
}

/* The *_full calls: one record per line, fields separated by a byte that
 * no field contains, sizes in bytes without unit. */
#define FULL_SEP "\x1f"

static gboolean
parse_int64 (const char *s, gint64 *v)
{
  g_autofree char *t = g_strstrip (g_strdup (s));
  if (*t == '\0')
    {
      *v = -1;
      return TRUE;
    }
  char *end;
  errno = 0;
  /* Byte counts come as "1048576", counts as "49", unset numbers as "-1". */
  *v = g_ascii_strtoll (t, &end, 10);
  return errno == 0 && *end == '\0';
}

/* Percentages: "" means not applicable (-1). */
static float
parse_percent (const char *s)
{
  g_autofree char *t = g_strstrip (g_strdup (s));
  if (*t == '\0')
    return -1;
  return (float) g_ascii_strtod (t, NULL);
}

/* LVM UUIDs without their dashes, in a fixed 32-byte field. */
static gboolean
parse_uuid (const char *s, char dst[32])
{
  size_t n = 0;
  memset (dst, ' ', 32);
  for (; *s; s++)
    {
      if (*s == '-' || g_ascii_isspace (*s))
        continue;
      if (n == 32)
        return FALSE;
      dst[n++] = *s;
    }
  return n == 32 || n == 0;
}

/* One column of a *_full report: lvm's field name is the struct member's
 * name. */
typedef enum
{
  COL_STR,
  COL_DEVICE, /* a host node, reported by the guest's name */
  COL_UUID,
  COL_INT,
  COL_PERCENT,
} ColumnKind;

typedef struct
{
  const char *name;
  ColumnKind kind;
  size_t offset;
} Column;

#define COLUMN(type, member, kind)                                                                 \
  {                                                                                                \
#member, kind, offsetof(type, member)                                                          \
  }

static const Column pv_columns[] = {
  COLUMN (gd_lvm_pv, pv_name, COL_DEVICE),   COLUMN (gd_lvm_pv, pv_uuid, COL_UUID),
  COLUMN (gd_lvm_pv, pv_fmt, COL_STR),       COLUMN (gd_lvm_pv, pv_size, COL_INT),
  COLUMN (gd_lvm_pv, dev_size, COL_INT),     COLUMN (gd_lvm_pv, pv_free, COL_INT),
  COLUMN (gd_lvm_pv, pv_used, COL_INT),      COLUMN (gd_lvm_pv, pv_attr, COL_STR),
  COLUMN (gd_lvm_pv, pv_pe_count, COL_INT),  COLUMN (gd_lvm_pv, pv_pe_alloc_count, COL_INT),
  COLUMN (gd_lvm_pv, pv_tags, COL_STR),      COLUMN (gd_lvm_pv, pe_start, COL_INT),
  COLUMN (gd_lvm_pv, pv_mda_count, COL_INT), COLUMN (gd_lvm_pv, pv_mda_free, COL_INT),
};

static const Column vg_columns[] = {
  COLUMN (gd_lvm_vg, vg_name, COL_STR),         COLUMN (gd_lvm_vg, vg_uuid, COL_UUID),
  COLUMN (gd_lvm_vg, vg_fmt, COL_STR),          COLUMN (gd_lvm_vg, vg_attr, COL_STR),
  COLUMN (gd_lvm_vg, vg_size, COL_INT),         COLUMN (gd_lvm_vg, vg_free, COL_INT),
  COLUMN (gd_lvm_vg, vg_sysid, COL_STR),        COLUMN (gd_lvm_vg, vg_extent_size, COL_INT),
  COLUMN (gd_lvm_vg, vg_extent_count, COL_INT), COLUMN (gd_lvm_vg, vg_free_count, COL_INT),
  COLUMN (gd_lvm_vg, max_lv, COL_INT),          COLUMN (gd_lvm_vg, max_pv, COL_INT),
  COLUMN (gd_lvm_vg, pv_count, COL_INT),        COLUMN (gd_lvm_vg, lv_count, COL_INT),
  COLUMN (gd_lvm_vg, snap_count, COL_INT),      COLUMN (gd_lvm_vg, vg_seqno, COL_INT),
  COLUMN (gd_lvm_vg, vg_tags, COL_STR),         COLUMN (gd_lvm_vg, vg_mda_count, COL_INT),
  COLUMN (gd_lvm_vg, vg_mda_free, COL_INT),
};

static const Column lv_columns[] = {
  COLUMN (gd_lvm_lv, lv_name, COL_STR),          COLUMN (gd_lvm_lv, lv_uuid, COL_UUID),
  COLUMN (gd_lvm_lv, lv_attr, COL_STR),          COLUMN (gd_lvm_lv, lv_major, COL_INT),
  COLUMN (gd_lvm_lv, lv_minor, COL_INT),         COLUMN (gd_lvm_lv, lv_kernel_major, COL_INT),
  COLUMN (gd_lvm_lv, lv_kernel_minor, COL_INT),  COLUMN (gd_lvm_lv, lv_size, COL_INT),
  COLUMN (gd_lvm_lv, seg_count, COL_INT),        COLUMN (gd_lvm_lv, origin, COL_STR),
  COLUMN (gd_lvm_lv, snap_percent, COL_PERCENT), COLUMN (gd_lvm_lv, copy_percent, COL_PERCENT),
  COLUMN (gd_lvm_lv, move_pv, COL_STR),          COLUMN (gd_lvm_lv, lv_tags, COL_STR),
  COLUMN (gd_lvm_lv, mirror_log, COL_STR),       COLUMN (gd_lvm_lv, modules, COL_STR),
};

/* Runs "lvm CMD" for the columns and fills *rows (n_rows structs of
 * row_size bytes).  On failure *rows holds what was filled in, for the
 * stub to free. */
static gboolean
full_report (GdRequest *req, const char *cmd, const Column *cols, guint ncols, size_t row_size,
             u_int *n_rows, gpointer *rows, GError **error)
{
  g_autoptr (GString) names = g_string_new (NULL);
  for (guint c = 0; c < ncols; c++)
    g_string_append_printf (names, "%s%s", c ? "," : "", cols[c].name);
  g_autofree char *out = NULL;
  if (!LVM (req, &out, NULL, error, cmd, "-o", names->str, "--unbuffered", "--noheadings",
            "--nosuffix", "--separator", FULL_SEP, "--units", "b"))
    return FALSE;
  g_auto (GStrv) lines = report_lines (out);
  for (char **l = lines; *l; l++)
    {
      g_auto (GStrv) f = g_strsplit (*l, FULL_SEP, -1);
      if (g_strv_length (f) != ncols)
        {
          gd_error (error, "lvm %s: unexpected output: %s", cmd, *l);
          return FALSE;
        }
    }
  GdConnection *conn = gd_request_connection (req);
  *n_rows = g_strv_length (lines);
  *rows = g_malloc0_n (*n_rows, row_size);
  for (guint r = 0; r < *n_rows; r++)
    {
      g_auto (GStrv) f = g_strsplit (lines[r], FULL_SEP, -1);
      char *row = (char *) *rows + r * row_size;
      gboolean ok = TRUE;
      for (guint c = 0; c < ncols; c++)
        {
          void *field = row + cols[c].offset;
          gint64 v = 0;
          switch (cols[c].kind)
            {
            case COL_STR:
              *(char **) field = g_strstrip (g_strdup (f[c]));
              break;
            case COL_DEVICE:
              {
                g_autofree char *node = g_strstrip (g_strdup (f[c]));
                *(char **) field = gd_device_guest_name (conn, node);
                break;
              }
            case COL_UUID:
              ok = parse_uuid (f[c], field) && ok;
              break;
            case COL_INT:
              ok = parse_int64 (f[c], &v) && ok;
              *(quad_t *) field = v;
              break;
            case COL_PERCENT:
              *(float *) field = parse_percent (f[c]);
              break;
            }
        }
      if (!ok)
        {
          gd_error (error, "lvm %s: cannot parse: %s", cmd, lines[r]);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
gd_do_pvs_full (GdRequest *req, gd_lvm_pv_list *ret, GError **error)
{
  if (!gd_group_available (GD_GROUP_LVM2))
    return TRUE; /* an empty list */
  gpointer rows = NULL;
  gboolean ok = full_report (req, "pvs", pv_columns, G_N_ELEMENTS (pv_columns), sizeof (gd_lvm_pv),
                             &ret->gd_lvm_pv_list_len, &rows, error);
  ret->gd_lvm_pv_list_val = rows;
  return ok;
}

gboolean
gd_do_vgs_full (GdRequest *req, gd_lvm_vg_list *ret, GError **error)
{
  if (!gd_group_available (GD_GROUP_LVM2))
    return TRUE; /* an empty list */
  gpointer rows = NULL;
  gboolean ok = full_report (req, "vgs", vg_columns, G_N_ELEMENTS (vg_columns), sizeof (gd_lvm_vg),
                             &ret->gd_lvm_vg_list_len, &rows, error);
  ret->gd_lvm_vg_list_val = rows;
  return ok;
}

gboolean
gd_do_lvs_full (GdRequest *req, gd_lvm_lv_list *ret, GError **error)
{
  if (!gd_group_available (GD_GROUP_LVM2))
    return TRUE; /* an empty list */
  gpointer rows = NULL;
  gboolean ok = full_report (req, "lvs", lv_columns, G_N_ELEMENTS (lv_columns), sizeof (gd_lvm_lv),
                             &ret->gd_lvm_lv_list_len, &rows, error);
  ret->gd_lvm_lv_list_val = rows;
  return ok;
}

/* ------------------------------------------------------------------------
 * Creating, changing and removing.
 */

gboolean
gd_do_pvcreate (GdRequest *req, const GdDevice *device, GError **error)
{
  if (!LVM (req, NULL, NULL, error, "pvcreate", "--force", "--yes", device->node))
    return FALSE;
  gd_udev_settle ();
  return TRUE;
}

gboolean
gd_do_vgcreate (GdRequest *req, const char *volgroup, GdDevice *const *physvols, GError **error)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_ptr_array_add (args, (gpointer) "vgcreate");
  g_ptr_array_add (args, (gpointer) volgroup);
  for (GdDevice *const *d = physvols; *d; d++)
    g_ptr_array_add (args, (*d)->node);
  g_ptr_array_add (args, NULL);
  if (!lvm_runv (req, (const char *const *) args->pdata, NULL, NULL, error))
    return FALSE;
  gd_udev_settle ();
  return TRUE;
}

static gboolean
lvcreate (GdRequest *req, const char *logvol, const char *volgroup, const char *sizeopt,
          const char *size, GError **error)
{
  /* --yes: wipe old signatures found in the new volume without asking. */
  if (!LVM (req, NULL, NULL, error, "lvcreate", "--yes", sizeopt, size, "-n", logvol, volgroup))
    return FALSE;
  gd_udev_settle ();
  return TRUE;
}

gboolean
gd_do_lvcreate (GdRequest *req, const char *logvol, const char *volgroup, int mbytes,
                GError **error)
{
  g_autofree char *size = g_strdup_printf ("%dm", mbytes);
  return lvcreate (req, logvol, volgroup, "-L", size, error);
}

gboolean
gd_do_lvcreate_free (GdRequest *req, const char *logvol, const char *volgroup, int percent,
                     GError **error)
{
  if (!check_percent (percent, error))
    return FALSE;
  g_autofree char *size = g_strdup_printf ("%d%%FREE", percent);
  return lvcreate (req, logvol, volgroup, "-l", size, error);
}

gboolean
gd_do_lvresize (GdRequest *req, const GdDevice *device, int mbytes, GError **error)
{
  g_autofree char *size = g_strdup_printf ("%dm", mbytes);
  /* --force: shrinking would otherwise ask for confirmation. */
  return LVM (req, NULL, NULL, error, "lvresize", "--force", "-L", size, device->node);
}

gboolean
gd_do_lvresize_free (GdRequest *req, const GdDevice *lv, int percent, GError **error)
{
  if (!check_percent (percent, error))
    return FALSE;
  g_autofree char *size = g_strdup_printf ("+%d%%FREE", percent);
  return LVM (req, NULL, NULL, error, "lvresize", "-l", size, lv->node);
}

gboolean
gd_do_lvremove (GdRequest *req, const GdDevice *device, GError **error)
{
  /* The device may also be a volume group's directory, /dev/VG: then
   * every volume in it goes. */
  if (!LVM (req, NULL, NULL, error, "lvremove", "--force", device->node))
    return FALSE;
  gd_udev_settle ();
  return TRUE;
}

gboolean
gd_do_vgremove (GdRequest *req, const char *vgname, GError **error)
{
  if (!LVM (req, NULL, NULL, error, "vgremove", "--force", vgname))
    return FALSE;
  gd_udev_settle ();
  return TRUE;
}

gboolean
gd_do_pvremove (GdRequest *req, const GdDevice *device, GError **error)
{
  /* -ff: also when the physical volume's label is damaged. */
  if (!LVM (req, NULL, device->guest, error, "pvremove", "-ff", "--yes", device->node))
    return FALSE;
  gd_udev_settle ();
  return TRUE;
}

gboolean
gd_do_pvresize (GdRequest *req, const GdDevice *device, GError **error)
{
  return LVM (req, NULL, device->guest, error, "pvresize", device->node);
}

gboolean
gd_do_pvresize_size (GdRequest *req, const GdDevice *device, int64_t size, GError **error)
{
  g_autofree char *sz = g_strdup_printf ("%" G_GINT64_FORMAT "b", size);
  return LVM (req, NULL, device->guest, error, "pvresize", "--yes", "--setphysicalvolumesize", sz,
              device->node);
}

gboolean
gd_do_lvrename (GdRequest *req, const char *logvol, const char *newlogvol, GError **error)
{
  if (!require_lvm (error))
    return FALSE;
  g_autofree char *prefix = g_strdup_printf ("%s -> %s", logvol, newlogvol);
  if (!LVM (req, NULL, prefix, error, "lvrename", logvol, newlogvol))
    return FALSE;
  gd_udev_settle ();
  return TRUE;
}

gboolean
gd_do_vgrename (GdRequest *req, const char *volgroup, const char *newvolgroup, GError **error)
{
  if (!require_lvm (error))
    return FALSE;
  g_autofree char *prefix = g_strdup_printf ("%s -> %s", volgroup, newvolgroup);
  if (!LVM (req, NULL, prefix, error, "vgrename", volgroup, newvolgroup))
    return FALSE;
  gd_udev_settle ();
  return TRUE;
}

static gboolean
vgchange (GdRequest *req, gboolean activate, char *const *volgroups, GError **error)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_ptr_array_add (args, (gpointer) "vgchange");
  g_ptr_array_add (args, (gpointer) "-a");
  g_ptr_array_add (args, (gpointer) (activate ? "y" : "n"));
  for (char *const *v = volgroups; v && *v; v++)
    g_ptr_array_add (args, *v);
  g_ptr_array_add (args, NULL);
  gboolean ok = lvm_runv (req, (const char *const *) args->pdata, NULL, "vgchange", error);
  gd_udev_settle ();
  return ok;
}

/* The physical volumes on our devices (host nodes), and the volume
 * groups made only of those, in lvm's order.  The calls that act on
 * "all" of them use these lists, so that a daemon serving a host's loop
 * devices never touches the host's own volume groups. */
static gboolean
our_lvm_objects (GdRequest *req, char ***pvs_out, char ***vgs_out, GError **error)
{
  g_autofree char *out = NULL;
  if (!LVM (req, &out, NULL, error, "pvs", "-o", "pv_name,vg_name", "--noheadings", "--separator",
            FULL_SEP))
    return FALSE;
  GdConnection *conn = gd_request_connection (req);
  g_auto (GStrv) lines = report_lines (out);
  g_autoptr (GPtrArray) pvs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) vg_order = g_ptr_array_new ();
  g_autoptr (GHashTable) vg_ours = g_hash_table_new (g_str_hash, g_str_equal);
  for (char **l = lines; *l; l++)
    {
      char *sep = strstr (*l, FULL_SEP);
      const char *vg = "";
      if (sep)
        {
          *sep = '\0';
          vg = g_strstrip (sep + strlen (FULL_SEP));
        }
      const char *pv = g_strstrip (*l);
      gboolean missing = strcmp (pv, "[unknown]") == 0;
      gboolean ours = !missing && gd_device_node_is_ours (conn, pv);
      if (ours)
        g_ptr_array_add (pvs, g_strdup (pv));
      if (*vg == '\0')
        continue;
      gpointer seen;
      if (!g_hash_table_lookup_extended (vg_ours, vg, NULL, &seen))
        {
          g_ptr_array_add (vg_order, (gpointer) vg);
          seen = GINT_TO_POINTER (TRUE);
        }
      /* A physical volume that is missing does not make the group foreign. */
      g_hash_table_insert (vg_ours, (gpointer) vg,
                           GINT_TO_POINTER (GPOINTER_TO_INT (seen) && (ours || missing)));
    }
  if (pvs_out)
    {
      g_ptr_array_add (pvs, NULL);
      *pvs_out = (char **) g_ptr_array_free (g_steal_pointer (&pvs), FALSE);
    }
  if (vgs_out)
    {
      GPtrArray *vgs = g_ptr_array_new ();
      for (guint i = 0; i < vg_order->len; i++)
        {
          const char *vg = g_ptr_array_index (vg_order, i);
          if (GPOINTER_TO_INT (g_hash_table_lookup (vg_ours, vg)))
            g_ptr_array_add (vgs, g_strdup (vg));
        }
      g_ptr_array_add (vgs, NULL);
      *vgs_out = (char **) g_ptr_array_free (vgs, FALSE);
    }
  return TRUE;
}

gboolean
gd_do_vg_activate_all (GdRequest *req, gboolean activate, GError **error)
{
  g_auto (GStrv) vgs = NULL;
  if (!our_lvm_objects (req, NULL, &vgs, error))
    return FALSE;
  if (vgs[0] == NULL)
    return TRUE;
  return vgchange (req, activate, vgs, error);
}

gboolean
gd_do_vg_activate (GdRequest *req, gboolean activate, char *const *volgroups, GError **error)
{
  return vgchange (req, activate, volgroups, error);
}

gboolean
gd_do_pvchange_uuid (GdRequest *req, const GdDevice *device, GError **error)
{
  return LVM (req, NULL, device->guest, error, "pvchange", "-u", device->node);
}

gboolean
gd_do_pvchange_uuid_all (GdRequest *req, GError **error)
{
  g_auto (GStrv) pvs = NULL;
  if (!our_lvm_objects (req, &pvs, NULL, error))
    return FALSE;
  if (pvs[0] == NULL)
    return TRUE;
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_ptr_array_add (args, (gpointer) "pvchange");
  g_ptr_array_add (args, (gpointer) "-u");
  for (char **p = pvs; *p; p++)
    g_ptr_array_add (args, *p);
  g_ptr_array_add (args, NULL);
  return lvm_runv (req, (const char *const *) args->pdata, NULL, NULL, error);
}

gboolean
gd_do_vgchange_uuid (GdRequest *req, const char *vg, GError **error)
{
  return LVM (req, NULL, vg, error, "vgchange", "-u", vg);
}

gboolean
gd_do_vgchange_uuid_all (GdRequest *req, GError **error)
{
  g_auto (GStrv) vgs = NULL;
  if (!our_lvm_objects (req, NULL, &vgs, error))
    return FALSE;
  if (vgs[0] == NULL)
    return TRUE;
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_ptr_array_add (args, (gpointer) "vgchange");
  g_ptr_array_add (args, (gpointer) "-u");
  for (char **v = vgs; *v; v++)
    g_ptr_array_add (args, *v);
  g_ptr_array_add (args, NULL);
  return lvm_runv (req, (const char *const *) args->pdata, NULL, NULL, error);
}

gboolean
gd_do_vgscan (GdRequest *req, GError **error)
{
  if (!gd_group_available (GD_GROUP_LVM2))
    return TRUE; /* nothing to scan for */
  return LVM (req, NULL, NULL, error, "vgscan");
}

gboolean
gd_do_lvm_scan (GdRequest *req, gboolean activate, GError **error)
{
  if (!gd_group_available (GD_GROUP_LVM2))
    return TRUE;
  if (!activate)
    return LVM (req, NULL, NULL, error, "pvscan", "--cache");
  /* One lvm run, as the appliance's init does at boot (and the original
   * here), instead of pvscan then vgchange -a y: each exec of lvm scans
   * every device, 0.3-0.7 s under TCG (virt-format calls this). */
  gboolean ok = LVM (req, NULL, NULL, error, "pvscan", "--cache", "--activate", "ay");
  gd_udev_settle ();
  return ok;
}

gboolean
gd_do_lvm_remove_all (GdRequest *req, GError **error)
{
  /* Without LVM (no lvm program or no device-mapper) no volume group can
   * be active, so there is nothing to remove. */
  if (!gd_group_available (GD_GROUP_LVM2))
    return TRUE;
  g_auto (GStrv) pvs = NULL, vgs = NULL;
  if (!our_lvm_objects (req, &pvs, &vgs, error))
    return FALSE;
  if (pvs[0] == NULL && vgs[0] == NULL)
    return TRUE;
  for (char **v = vgs; *v; v++)
    {
      /* vgremove --force also removes the volumes (unless in use). */
      if (!LVM (req, NULL, NULL, error, "vgremove", "--force", *v))
        return FALSE;
    }
  if (pvs[0] != NULL)
    {
      g_autoptr (GPtrArray) args = g_ptr_array_new ();
      g_ptr_array_add (args, (gpointer) "pvremove");
      g_ptr_array_add (args, (gpointer) "-ff");
      g_ptr_array_add (args, (gpointer) "--yes");
      for (char **p = pvs; *p; p++)
        g_ptr_array_add (args, *p);
      g_ptr_array_add (args, NULL);
      if (!lvm_runv (req, (const char *const *) args->pdata, NULL, NULL, error))
        return FALSE;
    }
  gd_udev_settle ();
  return TRUE;
}

/* ------------------------------------------------------------------------
 * UUIDs and metadata.
 */

static gboolean
one_field (GdRequest *req, const char *cmd, const char *field, const char *object,
           const char *prefix, char **ret, GError **error)
{
  g_autofree char *out = NULL;
  if (!LVM (req, &out, prefix, error, cmd, "-o", field, "--noheadings", object))
    return FALSE;
  g_auto (GStrv) lines = report_lines (out);
  if (lines[0] == NULL)
    {
      gd_error (error, "%s: no %s", prefix, field);
      return FALSE;
    }
  *ret = g_strdup (lines[0]);
  return TRUE;
}

gboolean
gd_do_pvuuid (GdRequest *req, const GdDevice *device, char **ret, GError **error)
{
  if (!require_lvm (error))
    return FALSE;
  return one_field (req, "pvs", "pv_uuid", device->node, device->guest, ret, error);
}

gboolean
gd_do_vguuid (GdRequest *req, const char *vgname, char **ret, GError **error)
{
  if (!require_lvm (error))
    return FALSE;
  return one_field (req, "vgs", "vg_uuid", vgname, vgname, ret, error);
}

gboolean
gd_do_lvuuid (GdRequest *req, const GdDevice *device, char **ret, GError **error)
{
  if (!require_lvm (error))
    return FALSE;
  return one_field (req, "lvs", "lv_uuid", device->node, device->guest, ret, error);
}

static gboolean
vg_field_list (GdRequest *req, const char *vgname, const char *field, char ***ret, GError **error)
{
  if (!require_lvm (error))
    return FALSE;
  g_autofree char *out = NULL;
  if (!LVM (req, &out, vgname, error, "vgs", "-o", field, "--noheadings", vgname))
    return FALSE;
  *ret = report_lines (out);
  return TRUE;
}

gboolean
gd_do_vgpvuuids (GdRequest *req, const char *vgname, char ***ret, GError **error)
{
  return vg_field_list (req, vgname, "pv_uuid", ret, error);
}

gboolean
gd_do_vglvuuids (GdRequest *req, const char *vgname, char ***ret, GError **error)
{
  return vg_field_list (req, vgname, "lv_uuid", ret, error);
}

gboolean
gd_do_vgmeta (GdRequest *req, const char *vgname, char **ret, size_t *ret_size, GError **error)
{
  g_autofree char *dir = g_dir_make_tmp ("vgmeta.XXXXXX", NULL);
  if (dir == NULL)
    {
      gd_perror (error, "mkdtemp");
      return FALSE;
    }
  g_autofree char *file = g_build_filename (dir, "meta", NULL);
  gboolean ok = LVM (req, NULL, "vgcfgbackup", error, "vgcfgbackup", "-f", file, vgname);
  if (ok)
    {
      gsize len = 0;
      g_autoptr (GError) ferr = NULL;
      if (g_file_get_contents (file, ret, &len, &ferr))
        *ret_size = len;
      else
        {
          gd_error (error, "%s: %s", file, ferr->message);
          ok = FALSE;
        }
    }
  unlink (file);
  rmdir (dir);
  return ok;
}

/* ------------------------------------------------------------------------
 * Names.
 */

/* Whether node is a device-mapper device that LVM made (its dm UUID
 * starts with "LVM-"), a volume or one of LVM's internal layers. */
static gboolean
is_lvm_dm_node (const char *node)
{
  g_autofree char *uuid = NULL;
  return gd_device_dm_info (node, NULL, &uuid) && g_str_has_prefix (uuid, "LVM-");
}

/* /dev/VG/LV for any name of a logical volume (/dev/VG/LV,
 * /dev/mapper/VG-LV, /dev/dm-N), or NULL if it is not one.  The kernel's
 * device-mapper name and UUID tell; udev makes /dev/VG/LV only for the
 * volumes users see, not for LVM's internal ones. */
static char *
canonical_lv_name (const char *node)
{
  g_autofree char *name = gd_device_dm_name (node);
  if (name == NULL || g_str_has_prefix (name, "/dev/mapper/"))
    return NULL;
  struct stat a, b;
  if (stat (name, &a) < 0 || stat (node, &b) < 0 || !S_ISBLK (a.st_mode) || a.st_rdev != b.st_rdev)
    return NULL;
  return g_steal_pointer (&name);
}

gboolean
gd_do_lvm_canonical_lv_name (GdRequest *req, const char *lvname, char **ret, GError **error)
{
  if (!g_str_has_prefix (lvname, "/dev/"))
    {
      gd_error_errno (error, EINVAL, "%s: not a device name", lvname);
      return FALSE;
    }
  /* A plain string, but a device name of the guest's (/dev/sda1 need not
   * be the appliance's /dev/sda1): resolve it as a Device argument. */
  g_autoptr (GError) lookup_error = NULL;
  g_autoptr (GdDevice) dev = gd_device_lookup (gd_request_connection (req), lvname, &lookup_error);
  if (dev == NULL && gd_error_get_errno (lookup_error) == ENOENT)
    {
      g_propagate_error (error, g_steal_pointer (&lookup_error));
      return FALSE;
    }
  char *name = dev ? canonical_lv_name (dev->node) : NULL;
  if (name == NULL)
    {
      gd_error_errno (error, EINVAL, "%s: not a logical volume", lvname);
      return FALSE;
    }
  *ret = name;
  return TRUE;
}

gboolean
gd_do_is_lv (GdRequest *req, const GdMountable *mountable, gboolean *ret, GError **error)
{
  if (mountable->type != GD_MOUNTABLE_DEVICE)
    {
      *ret = FALSE;
      return TRUE;
    }
  g_autofree char *name = canonical_lv_name (mountable->device->node);
  *ret = name != NULL;
  return TRUE;
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

gboolean
gd_do_list_dm_devices (GdRequest *req, char ***ret, GError **error)
{
  /* Device-mapper devices built on our disks, except logical volumes
   * (lvs lists those) and LVM's internal layers. */
  GdConnection *conn = gd_request_connection (req);
  GPtrArray *res = g_ptr_array_new ();
  g_autoptr (GDir) dir = g_dir_open ("/dev/mapper", 0, NULL);
  const char *name;
  while (dir && (name = g_dir_read_name (dir)) != NULL)
    {
      if (strcmp (name, "control") == 0)
        continue;
      g_autofree char *path = g_build_filename ("/dev/mapper", name, NULL);
      if (is_lvm_dm_node (path))
        continue;
      if (!gd_device_node_is_ours (conn, path))
        continue;
      g_ptr_array_add (res, g_steal_pointer (&path));
    }
  g_ptr_array_sort (res, compare_strings);
  g_ptr_array_add (res, NULL);
  *ret = (char **) g_ptr_array_free (res, FALSE);
  return TRUE;
}

/* ------------------------------------------------------------------------
 * The device filter.
 */

/* The lvm.conf we change: the appliance's private one.  Without
 * LVM_SYSTEM_DIR (a daemon serving a host's devices) we never touch the
 * host's /etc/lvm: we make a private copy and point LVM_SYSTEM_DIR at it.
 * The file as it was is kept with the connection, and put back when the
 * filter is cleared or the connection ends. */
#define FILTER_KEY "lvm-filter"

typedef struct
{
  char *path;
  char *contents; /* NULL: there was no file */
} SavedConf;

static gboolean write_lvm_conf (const char *path, const char *contents, GError **error);

static void
saved_conf_restore (gpointer p)
{
  SavedConf *saved = p;
  g_autoptr (GError) error = NULL;
  if (!write_lvm_conf (saved->path, saved->contents, &error))
    g_printerr ("guestfsd: restoring %s: %s\n", saved->path, error->message);
  g_free (saved->path);
  g_free (saved->contents);
  g_free (saved);
}

static char *
lvm_conf_path (GError **error)
{
  const char *dir = g_getenv ("LVM_SYSTEM_DIR");
  if (dir == NULL || *dir == '\0')
    {
      g_autofree char *priv = g_dir_make_tmp ("guestfsd-lvm.XXXXXX", NULL);
      if (priv == NULL)
        {
          gd_perror (error, "mkdtemp");
          return NULL;
        }
      g_autofree char *conf = NULL;
      g_autofree char *dst = g_build_filename (priv, "lvm.conf", NULL);
      if (g_file_get_contents ("/etc/lvm/lvm.conf", &conf, NULL, NULL))
        g_file_set_contents (dst, conf, -1, NULL);
      g_setenv ("LVM_SYSTEM_DIR", priv, TRUE);
      dir = g_getenv ("LVM_SYSTEM_DIR");
    }
  return g_build_filename (dir, "lvm.conf", NULL);
}

/* A regular expression matching exactly this path. */
static void
append_exact_regex (GString *s, const char *path)
{
  g_string_append_c (s, '^');
  for (const char *p = path; *p; p++)
    {
      if (strchr ("\\^$.|?*+()[]{}\"", *p))
        g_string_append_c (s, '\\');
      g_string_append_c (s, *p);
    }
  g_string_append_c (s, '$');
}

static gboolean
write_lvm_conf (const char *path, const char *contents, GError **error)
{
  g_autoptr (GError) ferr = NULL;
  if (contents == NULL)
    {
      if (unlink (path) < 0 && errno != ENOENT)
        {
          gd_perror (error, "%s", path);
          return FALSE;
        }
      return TRUE;
    }
  if (!g_file_set_contents (path, contents, -1, &ferr))
    {
      gd_error (error, "%s", ferr->message);
      return FALSE;
    }
  return TRUE;
}

/* Reactivates what the (new) filter lets LVM see.  Volume groups that
 * lost some of their physical volumes cannot be activated: that is what
 * the caller asked for, not an error. */
static void
reactivate (GdRequest *req)
{
  g_autoptr (GError) ignored = NULL;
  if (!LVM (req, NULL, "vgchange -ay", &ignored, "vgchange", "-a", "y"))
    gd_log (gd_request_connection (req), "%s", ignored->message);
  gd_udev_settle ();
}

gboolean
gd_do_lvm_set_filter (GdRequest *req, GdDevice *const *devices, GError **error)
{
  /* Without LVM nothing is seen through a filter: nothing to set. */
  if (!gd_group_available (GD_GROUP_LVM2))
    return TRUE;
  GdConnection *conn = gd_request_connection (req);
  SavedConf *saved = gd_conn_get_data (conn, FILTER_KEY);
  if (saved == NULL)
    {
      g_autofree char *path = lvm_conf_path (error);
      if (path == NULL)
        return FALSE;
      saved = g_new0 (SavedConf, 1);
      g_file_get_contents (path, &saved->contents, NULL, NULL);
      saved->path = g_steal_pointer (&path);
      gd_conn_set_data (conn, FILTER_KEY, saved, saved_conf_restore);
    }
  /* Volumes on devices the filter hides must not stay active. */
  if (!LVM (req, NULL, "vgchange -an", error, "vgchange", "-a", "n"))
    return FALSE;

  g_autoptr (GString) list = g_string_new (NULL);
  for (GdDevice *const *d = devices; *d; d++)
    {
      g_string_append (list, "\"a|");
      append_exact_regex (list, (*d)->node);
      g_string_append (list, "|\", ");
    }
  g_string_append (list, "\"r|.*|\"");
  g_autofree char *conf =
      g_strdup_printf ("%s\n# Set by lvm_set_filter.\ndevices {\n\tfilter = [ %s ]\n"
                       "\tglobal_filter = [ %s ]\n}\n",
                       saved->contents ? saved->contents : "", list->str, list->str);
  if (!write_lvm_conf (saved->path, conf, error))
    return FALSE;
  reactivate (req);
  return TRUE;
}

gboolean
gd_do_lvm_clear_filter (GdRequest *req, GError **error)
{
  GdConnection *conn = gd_request_connection (req);
  if (gd_conn_get_data (conn, FILTER_KEY) == NULL)
    return TRUE; /* no filter was set */
  /* Puts the file back. */
  gd_conn_set_data (conn, FILTER_KEY, NULL, NULL);
  if (gd_group_available (GD_GROUP_LVM2))
    reactivate (req);
  return TRUE;
}
