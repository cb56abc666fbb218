/* libguestfsd handlers: inspect_os and the inspect_get_* calls.
 *
 * inspect_os unmounts everything, then mounts each candidate filesystem
 * (partitions, whole disks without partitions, device-mapper and md
 * devices built on our drives, and btrfs subvolumes) read-only on the
 * sysroot, asks each kind of operating system whether it is a root
 * (inspect-unix.c, inspect-windows.c), and unmounts it again.  The roots
 * it found are kept per connection until the next inspect_os; the other
 * calls only read them.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <blkid.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "fs-util.h"
#include "gd-actions.h"
#include "gd-private.h"
#include "inspect.h"

#define INSPECT_KEY "inspect"

/* ------------------------------------------------------------------------
 * Roots.
 */

GdInspectRoot *
gd_inspect_root_new (const char *root)
{
  GdInspectRoot *r = g_new0 (GdInspectRoot, 1);
  r->root = g_strdup (root);
  r->mountpoints = g_ptr_array_new_with_free_func (g_free);
  r->filesystems = g_ptr_array_new_with_free_func (g_free);
  r->drive_mappings = g_ptr_array_new_with_free_func (g_free);
  return r;
}

void
gd_inspect_root_free (GdInspectRoot *r)
{
  if (r == NULL)
    return;
  g_free (r->root);
  g_free (r->volume);
  g_free (r->type);
  g_free (r->distro);
  g_free (r->product_name);
  g_free (r->product_variant);
  g_free (r->arch);
  g_free (r->hostname);
  g_free (r->package_format);
  g_free (r->package_management);
  g_free (r->windows_systemroot);
  g_free (r->windows_software_hive);
  g_free (r->windows_system_hive);
  g_free (r->windows_current_control_set);
  g_ptr_array_unref (r->mountpoints);
  g_ptr_array_unref (r->filesystems);
  g_ptr_array_unref (r->drive_mappings);
  g_free (r);
}

void
gd_inspect_set (char **field, const char *value)
{
  if (value == NULL || *value == '\0')
    return;
  g_free (*field);
  *field = g_strdup (value);
}

/* ------------------------------------------------------------------------
 * Candidates.
 */

static void
cand_free (gpointer p)
{
  GdInspectCand *c = p;
  gd_device_free (c->dev);
  g_free (c->type);
  g_free (c->uuid);
  g_free (c->label);
  g_free (c->partuuid);
  g_free (c->partlabel);
  g_free (c);
}

static char *
probe_value (blkid_probe pr, const char *name)
{
  const char *v = NULL;
  if (blkid_probe_lookup_value (pr, name, &v, NULL) == 0 && v != NULL && *v)
    return g_strdup (v);
  return NULL;
}

static guint64
sysfs_start (const char *node)
{
  g_autofree char *base = g_path_get_basename (node);
  g_autofree char *path = g_strdup_printf ("/sys/class/block/%s/start", base);
  g_autofree char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  return g_ascii_strtoull (text, NULL, 10) * 512;
}

dev_t
gd_inspect_rdev (const char *node)
{
  struct stat st;
  if (stat (node, &st) < 0 || !S_ISBLK (st.st_mode))
    return 0;
  return st.st_rdev;
}

static GdInspectCand *
cand_new (GdDevice *dev, int disk_index)
{
  GdInspectCand *c = g_new0 (GdInspectCand, 1);
  c->dev = dev;
  c->disk_index = disk_index;
  c->rdev = gd_inspect_rdev (dev->node);
  blkid_probe pr = blkid_new_probe_from_filename (dev->node);
  if (pr != NULL)
    {
      blkid_probe_enable_superblocks (pr, 1);
      blkid_probe_set_superblocks_flags (pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_UUID |
                                                 BLKID_SUBLKS_LABEL);
      blkid_probe_enable_partitions (pr, 1);
      blkid_probe_set_partitions_flags (pr, BLKID_PARTS_ENTRY_DETAILS);
      if (blkid_do_safeprobe (pr) == 0)
        {
          c->type = probe_value (pr, "TYPE");
          c->uuid = probe_value (pr, "UUID");
          c->label = probe_value (pr, "LABEL");
          c->partuuid = probe_value (pr, "PART_ENTRY_UUID");
          c->partlabel = probe_value (pr, "PART_ENTRY_NAME");
        }
      blkid_free_probe (pr);
    }
  if (disk_index >= 0)
    c->start = sysfs_start (dev->node);
  return c;
}

/* The index of the disk partition part is on, or -1. */
static int
disk_of (GPtrArray *disks, const GdDevice *part)
{
  for (guint i = 0; i < disks->len; i++)
    {
      const GdDevice *d = g_ptr_array_index (disks, i);
      size_t n = strlen (d->guest);
      if (strncmp (part->guest, d->guest, n) == 0 && part->guest[n] != '\0')
        {
          const char *p = part->guest + n;
          while (g_ascii_isdigit (*p))
            p++;
          if (*p == '\0')
            return (int) i;
        }
    }
  return -1;
}

/* md and device-mapper devices built on our drives (RAID arrays, LVs,
 * opened LUKS volumes), in list_filesystems's order, which is the order
 * the original finds roots in. */
static void
add_virtual_devices (GdRequest *req, GPtrArray *cands)
{
  g_autoptr (GPtrArray) devs = g_ptr_array_new (); /* handed to the candidates */
  gd_fs_add_stacked_devices (req, devs, "md");
  gd_fs_add_stacked_devices (req, devs, "dm-");
  for (guint i = 0; i < devs->len; i++)
    g_ptr_array_add (cands, cand_new (g_ptr_array_index (devs, i), -1));
}

static GPtrArray *
list_candidates (GdRequest *req, GPtrArray *disks)
{
  GdConnection *conn = gd_request_connection (req);
  GPtrArray *cands = g_ptr_array_new_with_free_func (cand_free);
  g_autoptr (GPtrArray) parts = gd_list_partitions (conn);
  for (guint i = 0; i < disks->len; i++)
    {
      const GdDevice *d = g_ptr_array_index (disks, i);
      gboolean partitioned = FALSE;
      for (guint j = 0; j < parts->len && !partitioned; j++)
        partitioned = disk_of (disks, g_ptr_array_index (parts, j)) == (int) i;
      if (!partitioned)
        g_ptr_array_add (cands, cand_new (gd_device_copy (d), -1));
      for (guint j = 0; j < parts->len; j++)
        {
          const GdDevice *p = g_ptr_array_index (parts, j);
          if (disk_of (disks, p) == (int) i)
            g_ptr_array_add (cands, cand_new (gd_device_copy (p), (int) i));
        }
    }
  add_virtual_devices (req, cands);
  return cands;
}

GdInspectCand *
gd_inspect_find_node (GdInspectCtx *ctx, const char *node)
{
  for (guint i = 0; i < ctx->cands->len; i++)
    {
      GdInspectCand *c = g_ptr_array_index (ctx->cands, i);
      if (strcmp (c->dev->node, node) == 0)
        return c;
    }
  /* Another name of one of them: /dev/VG/LV, /dev/mapper/VG-LV. */
  dev_t rdev = gd_inspect_rdev (node);
  for (guint i = 0; rdev != 0 && i < ctx->cands->len; i++)
    {
      GdInspectCand *c = g_ptr_array_index (ctx->cands, i);
      if (c->rdev == rdev)
        return c;
    }
  return NULL;
}

/* Filesystems worth mounting: not swap, encrypted or member devices. */
static gboolean
mountable_type (const char *type)
{
  static const char *const skip[] = {
    "swap",      "crypto_LUKS",     "LVM2_member",     "linux_raid_member",  "zfs_member",
    "BitLocker", "ddf_raid_member", "isw_raid_member", "VMFS_volume_member", NULL,
  };
  if (type == NULL)
    return FALSE;
  for (const char *const *s = skip; *s; s++)
    if (strcmp (type, *s) == 0)
      return FALSE;
  return TRUE;
}

/* ------------------------------------------------------------------------
 * Mounting.
 */

static gboolean
split_mountable (const char *mountable, char **node, char **vol)
{
  *vol = NULL;
  if (!g_str_has_prefix (mountable, "btrfsvol:"))
    {
      *node = g_strdup (mountable);
      return TRUE;
    }
  const char *rest = mountable + strlen ("btrfsvol:");
  if (!g_str_has_prefix (rest, "/dev/"))
    return FALSE;
  const char *slash = strchr (rest + strlen ("/dev/"), '/');
  if (slash == NULL || slash[1] == '\0')
    return FALSE;
  *node = g_strndup (rest, slash - rest);
  *vol = g_strdup (slash + 1);
  return TRUE;
}

gboolean
gd_inspect_mount (GdInspectCtx *ctx, const char *mountable, const char *mountpoint, GError **error)
{
  g_autofree char *node = NULL, *vol = NULL;
  GdInspectCand *c = NULL;
  if (split_mountable (mountable, &node, &vol))
    c = gd_inspect_find_node (ctx, node);
  if (c == NULL)
    {
      gd_error_errno (error, ENOENT, "%s: not a filesystem of this guest", mountable);
      return FALSE;
    }
  GdMountable m = {
    .type = vol ? GD_MOUNTABLE_BTRFSVOL : GD_MOUNTABLE_DEVICE,
    .device = c->dev,
    .volume = vol,
  };
  g_autoptr (GError) local = NULL;
  /* Linux's ufs driver needs to be told which UFS; the BSDs of today use
   * UFS2. */
  if (c->type && strcmp (c->type, "ufs") == 0 &&
      gd_do_mount_options (ctx->req, "ro,ufstype=ufs2", &m, mountpoint, NULL))
    return TRUE;
  if (gd_do_mount_ro (ctx->req, &m, mountpoint, &local))
    return TRUE;
  /* A journal that needs replaying cannot be replayed on a read-only
   * device: look at the filesystem as it is. */
  const char *again = NULL;
  if (c->type && (strcmp (c->type, "ext3") == 0 || strcmp (c->type, "ext4") == 0))
    again = "ro,noload";
  else if (c->type && strcmp (c->type, "xfs") == 0)
    again = "ro,norecovery";
  if (again != NULL && gd_do_mount_options (ctx->req, again, &m, mountpoint, NULL))
    return TRUE;
  g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

static void
umount_quiet (GdRequest *req)
{
  g_autoptr (GError) err = NULL;
  if (!gd_do_umount_all (req, &err))
    gd_log (gd_request_connection (req), "inspect: umount_all: %s", err->message);
}

/* ------------------------------------------------------------------------
 * inspect_os.
 */

static void
check_mounted (GdInspectCtx *ctx, const char *mountable, GPtrArray *roots)
{
  GdInspectRoot *r = gd_inspect_windows (ctx, mountable);
  if (r == NULL)
    r = gd_inspect_unix (ctx, mountable);
  if (r == NULL)
    r = gd_inspect_dos (ctx, mountable);
  if (r == NULL)
    return;
  g_autofree char *node = NULL;
  if (split_mountable (mountable, &node, &r->volume))
    r->rdev = gd_inspect_rdev (node);
  g_ptr_array_add (roots, r);
}

static void
check_mountable (GdInspectCtx *ctx, const char *mountable, GPtrArray *roots)
{
  g_autoptr (GError) err = NULL;
  if (!gd_inspect_mount (ctx, mountable, "/", &err))
    {
      gd_log (gd_request_connection (ctx->req), "inspect: %s: %s", mountable, err->message);
      return;
    }
  check_mounted (ctx, mountable, roots);
  umount_quiet (ctx->req);
}

/* IDs (as strings) in the first column after "ID " of btrfs subvolume
 * list output, with their paths. */
static GPtrArray *
parse_subvolumes (const char *out, GHashTable *ids)
{
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv) lines = gd_split_lines (out);
  for (char **l = lines; *l; l++)
    {
      if (!g_str_has_prefix (*l, "ID "))
        continue;
      const char *path = strstr (*l, " path ");
      if (path == NULL)
        continue;
      path += strlen (" path ");
      if (g_str_has_prefix (path, "<FS_TREE>/"))
        path += strlen ("<FS_TREE>/");
      g_autofree char *id = g_strndup (*l + 3, strcspn (*l + 3, " "));
      if (ids != NULL)
        g_hash_table_add (ids, g_strdup (id));
      g_ptr_array_add (paths, g_strdup (id));
      g_ptr_array_add (paths, g_strdup (path));
    }
  return paths;
}

/* The btrfs subvolumes of the filesystem on node worth inspecting: not
 * snapshots, and not the default subvolume (mounting the device mounts
 * that one already). */
static GPtrArray *
btrfs_subvolumes (GdInspectCtx *ctx, GdInspectCand *c)
{
  GPtrArray *vols = g_ptr_array_new_with_free_func (g_free);
  if (!gd_prog_exists ("btrfs"))
    return vols;
  g_autoptr (GError) err = NULL;
  if (!gd_inspect_mount (ctx, c->dev->node, "/", &err))
    return vols;
  g_autofree char *top = gd_sysroot_path (ctx->req, "/");
  g_autofree char *all = NULL, *snaps = NULL, *def = NULL;
  if (gd_run (ctx->req, &all, NULL, "btrfs", "subvolume", "list", "-a", top, NULL) &&
      gd_run (ctx->req, &snaps, NULL, "btrfs", "subvolume", "list", "-a", "-s", top, NULL) &&
      gd_run (ctx->req, &def, NULL, "btrfs", "subvolume", "get-default", top, NULL))
    {
      g_autoptr (GHashTable) skip = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      /* Snapshots and the default subvolume: only their ids, into skip. */
      g_ptr_array_unref (parse_subvolumes (snaps, skip));
      g_ptr_array_unref (parse_subvolumes (def, skip));
      g_autoptr (GPtrArray) a = parse_subvolumes (all, NULL);
      for (guint i = 0; i + 1 < a->len && vols->len < 64; i += 2)
        if (!g_hash_table_contains (skip, g_ptr_array_index (a, i)))
          g_ptr_array_add (vols, g_strdup_printf ("btrfsvol:%s/%s", c->dev->node,
                                                  (char *) g_ptr_array_index (a, i + 1)));
    }
  umount_quiet (ctx->req);
  return vols;
}

typedef struct
{
  GPtrArray *roots; /* GdInspectRoot */
} InspectState;

static void
state_free (gpointer p)
{
  InspectState *s = p;
  g_ptr_array_unref (s->roots);
  g_free (s);
}

static InspectState *
get_state (GdRequest *req)
{
  return gd_conn_get_data (gd_request_connection (req), INSPECT_KEY);
}

/* A mountable in host form as the client should see it.  Device nodes are
 * mapped by the stub; a btrfsvol string is mapped here. */
static char *
output_mountable (GdRequest *req, const char *m)
{
  g_autofree char *node = NULL, *vol = NULL;
  if (!g_str_has_prefix (m, "btrfsvol:") || !split_mountable (m, &node, &vol))
    return g_strdup (m);
  g_autofree char *guest = gd_device_guest_name (gd_request_connection (req), node);
  return g_strdup_printf ("btrfsvol:%s/%s", guest, vol);
}

static char **
roots_strv (GdRequest *req, InspectState *s)
{
  GPtrArray *out = g_ptr_array_new ();
  for (guint i = 0; s != NULL && i < s->roots->len; i++)
    {
      GdInspectRoot *r = g_ptr_array_index (s->roots, i);
      g_ptr_array_add (out, output_mountable (req, r->root));
    }
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

/* Live mode: the node of the disk or partition the sysroot is on, if it
 * is one of ours. */
static char *
live_root_node (GdRequest *req)
{
  struct stat st;
  g_autofree char *root = gd_sysroot_path (req, "/");
  if (root == NULL || stat (root, &st) < 0)
    return NULL;
  g_autofree char *sys =
      g_strdup_printf ("/sys/dev/block/%u:%u", major (st.st_dev), minor (st.st_dev));
  g_autofree char *real = realpath (sys, NULL);
  if (real == NULL)
    return NULL;
  g_autofree char *base = g_path_get_basename (real);
  g_autofree char *node = g_strconcat ("/dev/", base, NULL);
  struct stat nst;
  if (stat (node, &nst) < 0 || !S_ISBLK (nst.st_mode) || nst.st_rdev != st.st_dev)
    return NULL;
  return g_steal_pointer (&node);
}

gboolean
gd_do_inspect_os (GdRequest *req, char ***ret, GError **error)
{
  GdConnection *conn = gd_request_connection (req);
  /* Results of an earlier inspection are gone whatever happens now. */
  gd_conn_set_data (conn, INSPECT_KEY, NULL, NULL);
  /* In live mode the sysroot is the running system's root: mounting each
   * filesystem there would cover it, and nothing may be unmounted.  The
   * running system is the one root, inspected where it is mounted (its
   * own mounts make gd_inspect_mount a no-op). */
  g_autofree char *live_root = NULL;
  if (gd_conn_live (conn) && (live_root = live_root_node (req)) == NULL)
    {
      gd_error_errno (error, ENOTSUP, "inspection in live mode needs / on a disk of this system");
      return FALSE;
    }
  if (live_root == NULL && !gd_do_umount_all (req, error))
    return FALSE;

  g_autoptr (GPtrArray) disks = gd_list_disks (conn);
  g_autoptr (GPtrArray) cands = list_candidates (req, disks);
  GdInspectCtx ctx = { .req = req, .cands = cands, .disks = disks };
  InspectState *s = g_new0 (InspectState, 1);
  s->roots = g_ptr_array_new_with_free_func ((GDestroyNotify) gd_inspect_root_free);
  if (live_root != NULL)
    {
      if (gd_inspect_find_node (&ctx, live_root) != NULL)
        check_mounted (&ctx, live_root, s->roots);
      gd_conn_set_data (conn, INSPECT_KEY, s, state_free);
      *ret = roots_strv (req, s);
      return TRUE;
    }

  for (guint i = 0; i < cands->len; i++)
    {
      GdInspectCand *c = g_ptr_array_index (cands, i);
      if (!mountable_type (c->type))
        continue;
      check_mountable (&ctx, c->dev->node, s->roots);
      if (strcmp (c->type, "btrfs") == 0)
        {
          g_autoptr (GPtrArray) vols = btrfs_subvolumes (&ctx, c);
          for (guint j = 0; j < vols->len; j++)
            check_mountable (&ctx, g_ptr_array_index (vols, j), s->roots);
        }
    }
  umount_quiet (req);
  gd_conn_set_data (conn, INSPECT_KEY, s, state_free);
  *ret = roots_strv (req, s);
  return TRUE;
}

gboolean
gd_do_inspect_get_roots (GdRequest *req, char ***ret, GError **error)
{
  *ret = roots_strv (req, get_state (req));
  return TRUE;
}

/* ------------------------------------------------------------------------
 * The inspect_get_* calls.
 */

/* The root inspect_os found that the client's mountable names, in any
 * spelling of its device (/dev/VG/LV, /dev/mapper/VG-LV, /dev/dm-N, the
 * host's or the guest's name of a partition): roots are matched by device
 * number and subvolume, never by the string. */
static GdInspectRoot *
find_root (GdRequest *req, const GdMountable *root, GError **error)
{
  const char *name = root->path;
  dev_t rdev = 0;
  const char *vol = NULL;
  if (root->type == GD_MOUNTABLE_DEVICE || root->type == GD_MOUNTABLE_BTRFSVOL)
    {
      name = root->device->guest;
      rdev = gd_inspect_rdev (root->device->node);
    }
  if (root->type == GD_MOUNTABLE_BTRFSVOL)
    {
      vol = root->volume;
      while (*vol == '/')
        vol++;
    }
  InspectState *s = get_state (req);
  for (guint i = 0; rdev != 0 && s != NULL && i < s->roots->len; i++)
    {
      GdInspectRoot *r = g_ptr_array_index (s->roots, i);
      if (r->rdev == rdev && g_strcmp0 (r->volume, vol) == 0)
        return r;
    }
  gd_error_errno (error, EINVAL,
                  "%s: no operating system root there: use a root that inspect_os returned",
                  name ? name : "?");
  return NULL;
}

static gboolean
get_string (GdRequest *req, const GdMountable *root, gsize offset, char **ret, GError **error)
{
  GdInspectRoot *r = find_root (req, root, error);
  if (r == NULL)
    return FALSE;
  const char *v = G_STRUCT_MEMBER (char *, r, offset);
  *ret = g_strdup (v ? v : "unknown");
  return TRUE;
}

#define GETTER(field)                                                                              \
  gboolean gd_do_inspect_get_##field (GdRequest *req, const GdMountable *root, char **ret,         \
                                      GError **error)                                              \
  {                                                                                                \
    return get_string (req, root, G_STRUCT_OFFSET (GdInspectRoot, field), ret, error);             \
  }

GETTER (type)
GETTER (distro)
GETTER (package_format)
GETTER (package_management)
GETTER (product_name)
GETTER (product_variant)
GETTER (arch)
GETTER (hostname)

gboolean
gd_do_inspect_get_format (GdRequest *req, const GdMountable *root, char **ret, GError **error)
{
  if (find_root (req, root, error) == NULL)
    return FALSE;
  *ret = g_strdup ("installed");
  return TRUE;
}

gboolean
gd_do_inspect_get_major_version (GdRequest *req, const GdMountable *root, int *ret, GError **error)
{
  GdInspectRoot *r = find_root (req, root, error);
  if (r == NULL)
    return FALSE;
  *ret = r->major;
  return TRUE;
}

gboolean
gd_do_inspect_get_minor_version (GdRequest *req, const GdMountable *root, int *ret, GError **error)
{
  GdInspectRoot *r = find_root (req, root, error);
  if (r == NULL)
    return FALSE;
  *ret = r->minor;
  return TRUE;
}

/* Windows facts exist only for Windows roots whose registry was read. */
static gboolean
get_windows (GdRequest *req, const GdMountable *root, gsize offset, const char *what, char **ret,
             GError **error)
{
  GdInspectRoot *r = find_root (req, root, error);
  if (r == NULL)
    return FALSE;
  const char *v = G_STRUCT_MEMBER (char *, r, offset);
  if (v == NULL)
    {
      gd_error_errno (error, EINVAL, "%s", what); /* the original's message, no device */
      return FALSE;
    }
  *ret = g_strdup (v);
  return TRUE;
}

gboolean
gd_do_inspect_get_windows_systemroot (GdRequest *req, const GdMountable *root, char **ret,
                                      GError **error)
{
  return get_windows (req, root, G_STRUCT_OFFSET (GdInspectRoot, windows_systemroot),
                      "not a Windows guest, or systemroot could not be determined", ret, error);
}

gboolean
gd_do_inspect_get_windows_software_hive (GdRequest *req, const GdMountable *root, char **ret,
                                         GError **error)
{
  return get_windows (req, root, G_STRUCT_OFFSET (GdInspectRoot, windows_software_hive),
                      "not a Windows guest, or software hive not found", ret, error);
}

gboolean
gd_do_inspect_get_windows_system_hive (GdRequest *req, const GdMountable *root, char **ret,
                                       GError **error)
{
  return get_windows (req, root, G_STRUCT_OFFSET (GdInspectRoot, windows_system_hive),
                      "not a Windows guest, or system hive not found", ret, error);
}

gboolean
gd_do_inspect_get_windows_current_control_set (GdRequest *req, const GdMountable *root, char **ret,
                                               GError **error)
{
  return get_windows (req, root, G_STRUCT_OFFSET (GdInspectRoot, windows_current_control_set),
                      "not a Windows guest, or CurrentControlSet could not be determined", ret,
                      error);
}

/* The install-media flags are fixed: installers are not detected (as the
 * documentation of these deprecated calls says). */
static gboolean
get_false (GdRequest *req, const GdMountable *root, gboolean *ret, GError **error)
{
  if (find_root (req, root, error) == NULL)
    return FALSE;
  *ret = FALSE;
  return TRUE;
}

gboolean
gd_do_inspect_is_live (GdRequest *req, const GdMountable *root, gboolean *ret, GError **error)
{
  return get_false (req, root, ret, error);
}

gboolean
gd_do_inspect_is_netinst (GdRequest *req, const GdMountable *root, gboolean *ret, GError **error)
{
  return get_false (req, root, ret, error);
}

gboolean
gd_do_inspect_is_multipart (GdRequest *req, const GdMountable *root, gboolean *ret, GError **error)
{
  return get_false (req, root, ret, error);
}

static char **
output_list (GdRequest *req, GPtrArray *list, gboolean pairs)
{
  GPtrArray *out = g_ptr_array_new ();
  for (guint i = 0; i < list->len; i++)
    {
      const char *v = g_ptr_array_index (list, i);
      gboolean mountable = !pairs || i % 2 == 1;
      g_ptr_array_add (out, mountable ? output_mountable (req, v) : g_strdup (v));
    }
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

gboolean
gd_do_inspect_get_mountpoints (GdRequest *req, const GdMountable *root, char ***ret, GError **error)
{
  GdInspectRoot *r = find_root (req, root, error);
  if (r == NULL)
    return FALSE;
  *ret = output_list (req, r->mountpoints, TRUE);
  return TRUE;
}

gboolean
gd_do_inspect_get_filesystems (GdRequest *req, const GdMountable *root, char ***ret, GError **error)
{
  GdInspectRoot *r = find_root (req, root, error);
  if (r == NULL)
    return FALSE;
  *ret = output_list (req, r->filesystems, FALSE);
  return TRUE;
}

gboolean
gd_do_inspect_get_drive_mappings (GdRequest *req, const GdMountable *root, char ***ret,
                                  GError **error)
{
  GdInspectRoot *r = find_root (req, root, error);
  if (r == NULL)
    return FALSE;
  *ret = output_list (req, r->drive_mappings, TRUE);
  return TRUE;
}
