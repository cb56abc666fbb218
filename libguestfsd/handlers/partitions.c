/* libguestfsd handlers: partition tables (MBR, GPT and what parted knows).
 *
 * Which tool does what:
 *   parted   creates tables and partitions, deletes them, sets the boot
 *            flag, and lists tables (part_list, part_get_parttype ...),
 *            as the original daemon did, so results match it;
 *   sfdisk   changes one attribute of one partition exactly (type byte,
 *            GPT type, GUIDs, names, sizes) without parted's parsing of
 *            names or its refusal to shrink in script mode;
 *   sgdisk   GPT attribute bits, moving the backup GPT (part_expand_gpt),
 *            and the GPT type an MBR partition would get.
 * Every change is followed by gd_parts_sync(): the kernel's partitions
 * match the disk before the call returns, even on kernels without
 * partition parsers and while other partitions of the disk are mounted.
 *
 * Copyright (C) 2026 the libguestfsd authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <blkid.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gd-actions.h"
#include "gd-private.h"
#include "partitions.h"

/* parted's and the daemon's layout for part_disk: the partition starts
 * 128 sectors in (64 KiB aligned, room for any boot code) and leaves the
 * last 128 sectors free (GPT needs 33 of them for its backup). */
#define PART_DISK_START "128s"
#define PART_DISK_END "-128s"

/* ------------------------------------------------------------------------
 * Shared helpers (partitions.h).
 */

gboolean
gd_parts_is_partition_or_dm (const char *node)
{
  g_autofree char *dir = gd_device_sysfs_dir (node);
  if (dir == NULL)
    return FALSE;
  g_autofree char *part = g_build_filename (dir, "partition", NULL);
  g_autofree char *dm = g_build_filename (dir, "dm", NULL);
  return g_file_test (part, G_FILE_TEST_EXISTS) || g_file_test (dm, G_FILE_TEST_IS_DIR);
}

gboolean
gd_parts_check_writable (const GdDevice *dev, GError **error)
{
  int fd = open (dev->node, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      gd_perror (error, "%s", dev->guest);
      return FALSE;
    }
  int ro = 0;
  int r = ioctl (fd, BLKROGET, &ro);
  close (fd);
  if (r == 0 && ro)
    {
      gd_error_errno (error, EROFS, "%s: the device is read-only", dev->guest);
      return FALSE;
    }
  return TRUE;
}

gboolean
gd_parts_node_busy (const char *node)
{
  int fd = open (node, O_RDONLY | O_EXCL | O_CLOEXEC);
  if (fd >= 0)
    {
      close (fd);
      return FALSE;
    }
  return errno == EBUSY;
}

/* The kernel's partition nodes of a disk, from sysfs ("/dev/loop3p1"). */
static GPtrArray *
kernel_partition_nodes (const char *disk_node)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *dir = gd_device_sysfs_dir (disk_node);
  if (dir == NULL)
    return out;
  g_autofree char *sysname = g_path_get_basename (dir);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  if (d == NULL)
    return out;
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      if (!g_str_has_prefix (name, sysname))
        continue;
      g_autofree char *pfile = g_build_filename (dir, name, "partition", NULL);
      if (g_file_test (pfile, G_FILE_TEST_EXISTS))
        g_ptr_array_add (out, g_strconcat ("/dev/", name, NULL));
    }
  return out;
}

gboolean
gd_parts_check_disk_idle (GdRequest *req, const GdDevice *dev, GError **error)
{
  g_autoptr (GPtrArray) parts = kernel_partition_nodes (dev->node);
  for (guint i = 0; i < parts->len; i++)
    {
      const char *node = g_ptr_array_index (parts, i);
      if (gd_parts_node_busy (node))
        {
          g_autofree char *guest = gd_device_guest_name (gd_request_connection (req), node);
          gd_error_errno (error, EBUSY, "%s: partition %s is in use (mounted?)", dev->guest, guest);
          return FALSE;
        }
    }
  /* (Checked last: a disk whose partition is mounted is busy too.) */
  if (gd_parts_node_busy (dev->node))
    {
      gd_error_errno (error, EBUSY, "%s: the device is in use (mounted?)", dev->guest);
      return FALSE;
    }
  return TRUE;
}

/* The engine's messages name the host node: name the guest's device. */
static const char *
strip_node_prefix (const char *msg, const char *node)
{
  size_t n = strlen (node);
  if (strncmp (msg, node, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ')
    return msg + n + 2;
  return msg;
}

gboolean
gd_parts_reread (const GdDevice *dev, GError **error)
{
  g_autoptr (GError) local = NULL;
  if (gd_partitions_sync (dev->node, &local))
    return TRUE;
  gd_error_errno (error, gd_error_get_errno (local), "%s: %s", dev->guest,
                  strip_node_prefix (local->message, dev->node));
  return FALSE;
}

gboolean
gd_parts_sync (const GdDevice *dev, GError **error)
{
  /* Tables inside partitions or logical volumes are not the kernel's
   * business: nothing to update. */
  if (gd_parts_is_partition_or_dm (dev->node))
    return TRUE;
  g_autoptr (GError) local = NULL;
  if (gd_partitions_sync (dev->node, &local))
    return TRUE;
  gd_error_errno (error, gd_error_get_errno (local), "%s: the table was written, but %s",
                  dev->guest, strip_node_prefix (local->message, dev->node));
  return FALSE;
}

/* ------------------------------------------------------------------------
 * Reading a table with parted.
 */

typedef struct
{
  int num;
  gint64 start; /* bytes */
  gint64 end;   /* bytes, inclusive */
  gint64 size;
  char *fs;
  char *name;
  char *flags; /* "boot, lba" */
} PartEntry;

typedef struct
{
  char *label; /* parted's name: msdos, gpt, loop, mac ... */
  gint64 disk_size;
  guint sector_size; /* logical */
  GPtrArray *parts;  /* of PartEntry, in table order */
} PartTable;

static void
part_entry_free (gpointer p)
{
  PartEntry *e = p;
  g_free (e->fs);
  g_free (e->name);
  g_free (e->flags);
  g_free (e);
}

static void
part_table_free (PartTable *t)
{
  if (t == NULL)
    return;
  g_free (t->label);
  if (t->parts)
    g_ptr_array_unref (t->parts);
  g_free (t);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PartTable, part_table_free)

/* Splits one line of parted -m output (the trailing ';' already removed)
 * on unescaped ':'; parted escapes ':' and '\' in names with '\'. */
static GPtrArray *
split_machine_line (const char *line)
{
  GPtrArray *fields = g_ptr_array_new_with_free_func (g_free);
  GString *cur = g_string_new (NULL);
  for (const char *p = line; *p; p++)
    {
      if (*p == '\\' && p[1] != '\0')
        {
          g_string_append_c (cur, *++p);
          continue;
        }
      if (*p == ':')
        {
          g_ptr_array_add (fields, g_string_free (cur, FALSE));
          cur = g_string_new (NULL);
          continue;
        }
      g_string_append_c (cur, *p);
    }
  g_ptr_array_add (fields, g_string_free (cur, FALSE));
  return fields;
}

/* "65536B" or "128s" -> 65536 / 128 */
static gboolean
parse_unit_number (const char *s, gint64 *out)
{
  char *end = NULL;
  errno = 0;
  gint64 v = g_ascii_strtoll (s, &end, 10);
  if (errno != 0 || end == s || (*end != 'B' && *end != 's') || end[1] != '\0')
    return FALSE;
  *out = v;
  return TRUE;
}

static PartTable *
read_table (GdRequest *req, const GdDevice *dev, GError **error)
{
  const char *argv[] = { "parted", "-m", "-s", "--", dev->node, "unit", "b", "print", NULL };
  GdRunOpts opts = { .argv = argv, .flags = GD_RUN_ANY_STATUS, .stdin_fd = -1, .stdout_fd = -1 };
  g_autofree char *out = NULL, *err = NULL;
  int status = 0;
  gboolean ran = gd_run_full (req, &opts, &out, &err, &status, error);
  /* parted opens the disk read-write even to print it; udev answers the
   * close by re-reading the table, which drops and re-adds every
   * partition.  Wait for that here, or the next call finds none. */
  gd_udev_settle ();
  if (!ran)
    return NULL;
  if (status != 0)
    {
      if (err && strstr (err, "unrecognised disk label"))
        gd_error_errno (error, EINVAL, "%s: no partition table (unrecognised disk label)",
                        dev->guest);
      else
        gd_error (error, "%s: parted: %s", dev->guest,
                  gd_chomp (err && *err ? err
                            : out       ? out
                                        : ""));
      return NULL;
    }

  g_autoptr (PartTable) t = g_new0 (PartTable, 1);
  t->parts = g_ptr_array_new_with_free_func (part_entry_free);
  g_auto (GStrv) lines = gd_split_lines (out);
  int lineno = 0;
  for (char **l = lines; *l; l++)
    {
      char *line = g_strstrip (*l);
      size_t len = strlen (line);
      if (len == 0)
        continue;
      if (line[len - 1] == ';')
        line[len - 1] = '\0';
      lineno++;
      if (lineno == 1) /* "BYT" */
        continue;
      g_autoptr (GPtrArray) f = split_machine_line (line);
      if (lineno == 2)
        {
          /* path:size:transport:logical-sector:physical-sector:label:model:flags */
          if (f->len < 6 || !parse_unit_number (g_ptr_array_index (f, 1), &t->disk_size))
            break;
          t->sector_size = (guint) g_ascii_strtoull (g_ptr_array_index (f, 3), NULL, 10);
          t->label = g_strdup (g_ptr_array_index (f, 5));
          continue;
        }
      /* number:start:end:size:fs:name:flags */
      PartEntry e = { 0 };
      if (f->len < 4)
        continue;
      e.num = (int) g_ascii_strtoll (g_ptr_array_index (f, 0), NULL, 10);
      if (e.num <= 0 || !parse_unit_number (g_ptr_array_index (f, 1), &e.start) ||
          !parse_unit_number (g_ptr_array_index (f, 2), &e.end) ||
          !parse_unit_number (g_ptr_array_index (f, 3), &e.size))
        continue;
      PartEntry *pe = g_memdup2 (&e, sizeof e);
      pe->fs = g_strdup (f->len > 4 ? (char *) g_ptr_array_index (f, 4) : "");
      pe->name = g_strdup (f->len > 5 ? (char *) g_ptr_array_index (f, 5) : "");
      pe->flags = g_strdup (f->len > 6 ? (char *) g_ptr_array_index (f, 6) : "");
      g_ptr_array_add (t->parts, pe);
    }
  if (t->label == NULL || t->sector_size == 0)
    {
      gd_error (error, "%s: cannot parse parted's output: %s", dev->guest, out);
      return NULL;
    }
  if (strcmp (t->label, "unknown") == 0)
    {
      gd_error_errno (error, EINVAL, "%s: no partition table (unrecognised disk label)",
                      dev->guest);
      return NULL;
    }
  return g_steal_pointer (&t);
}

static PartEntry *
table_find (PartTable *t, int partnum)
{
  for (guint i = 0; i < t->parts->len; i++)
    {
      PartEntry *e = g_ptr_array_index (t->parts, i);
      if (e->num == partnum)
        return e;
    }
  return NULL;
}

static gboolean
check_partnum (const GdDevice *dev, int partnum, GError **error)
{
  if (partnum >= 1)
    return TRUE;
  gd_error_errno (error, EINVAL, "%s: partition number must be >= 1 (not %d)", dev->guest, partnum);
  return FALSE;
}

/* Reads the table and finds partition partnum in it. */
static PartTable *
read_table_with (GdRequest *req, const GdDevice *dev, int partnum, PartEntry **entry,
                 GError **error)
{
  if (!check_partnum (dev, partnum, error))
    return NULL;
  g_autoptr (PartTable) t = read_table (req, dev, error);
  if (t == NULL)
    return NULL;
  *entry = table_find (t, partnum);
  if (*entry == NULL)
    {
      gd_error_errno (error, ENOENT, "%s: partition %d does not exist", dev->guest, partnum);
      return NULL;
    }
  return g_steal_pointer (&t);
}

static gboolean
is_label (const PartTable *t, const char *label)
{
  return strcmp (t->label, label) == 0;
}

static gboolean
require_label (const GdDevice *dev, const PartTable *t, const char *label, const char *what,
               GError **error)
{
  if (is_label (t, label))
    return TRUE;
  gd_error_errno (error, EINVAL, "%s: %s needs a%s %s partition table, this one is '%s'",
                  dev->guest, what, strcmp (label, "msdos") == 0 ? "n" : "",
                  strcmp (label, "msdos") == 0 ? "MBR (msdos)" : "GPT", t->label);
  return FALSE;
}

static gboolean
flags_contain (const char *flags, const char *flag)
{
  g_auto (GStrv) list = g_strsplit (flags, ",", -1);
  for (char **f = list; *f; f++)
    if (strcmp (g_strstrip (*f), flag) == 0)
      return TRUE;
  return FALSE;
}

/* EBUSY if the kernel's partition partnum of dev is in use. */
static gboolean
check_partition_idle (GdRequest *req, const GdDevice *dev, int partnum, GError **error)
{
  if (gd_parts_is_partition_or_dm (dev->node))
    return TRUE;
  g_autofree char *node = gd_device_partition_node (dev->node, (guint) partnum);
  if (!gd_parts_node_busy (node))
    return TRUE;
  g_autofree char *guest = gd_device_guest_name (gd_request_connection (req), node);
  gd_error_errno (error, EBUSY, "%s: partition %s is in use (mounted?)", dev->guest, guest);
  return FALSE;
}

/* Runs the program and arguments in head, then the NULL-terminated
 * arguments in ap. */
static gboolean
run_va (GdRequest *req, const char *const *head, va_list ap, GError **error)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  for (; *head; head++)
    g_ptr_array_add (argv, (gpointer) *head);
  const char *a;
  while ((a = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) a);
  g_ptr_array_add (argv, NULL);
  return gd_runv (req, (const char *const *) argv->pdata, GD_RUN_DEFAULT, NULL, error);
}

static gboolean
run_parted (GdRequest *req, const GdDevice *dev, GError **error, ...)
{
  const char *const head[] = { "parted", "-s", "--", dev->node, NULL };
  va_list ap;
  va_start (ap, error);
  gboolean ok = run_va (req, head, ap, error);
  va_end (ap);
  return ok;
}

/* sfdisk changing one thing; we tell the kernel ourselves (gd_parts_sync),
 * and sfdisk must not refuse because another partition is mounted. */
static gboolean
run_sfdisk (GdRequest *req, GError **error, ...)
{
  const char *const head[] = { "sfdisk", "--no-reread", "--no-tell-kernel", "-q", NULL };
  va_list ap;
  va_start (ap, error);
  gboolean ok = run_va (req, head, ap, error);
  va_end (ap);
  return ok;
}

/* sfdisk printing one value ("--part-type DEV N"): its output, chomped. */
static char *
sfdisk_get (GdRequest *req, const char *opt, const GdDevice *dev, int partnum, GError **error)
{
  g_autofree char *num = partnum > 0 ? g_strdup_printf ("%d", partnum) : NULL;
  const char *argv[] = { "sfdisk", opt, dev->node, num, NULL };
  char *out = NULL;
  if (!gd_runv (req, argv, GD_RUN_DEFAULT, &out, error))
    return NULL;
  /* Only the newline sfdisk adds: a name may begin or end with spaces. */
  size_t n = strlen (out);
  if (n > 0 && out[n - 1] == '\n')
    out[n - 1] = '\0';
  return out;
}

/* A GUID sfdisk prints (type, partition or disk GUID), in capitals as
 * the original returns them. */
static gboolean
sfdisk_get_guid (GdRequest *req, const char *opt, const GdDevice *dev, int partnum, char **ret,
                 GError **error)
{
  g_autofree char *v = sfdisk_get (req, opt, dev, partnum, error);
  if (v == NULL)
    return FALSE;
  *ret = g_ascii_strup (v, -1);
  return TRUE;
}

/* ------------------------------------------------------------------------
 * Creating tables and partitions.
 */

/* parted's name for a table type the client gives. */
static const char *
parted_label (const char *parttype, GError **error)
{
  static const char *const known[] = { "msdos", "gpt", "aix",  "amiga", "bsd",   "dvh",
                                       "loop",  "mac", "pc98", "sun",   "atari", NULL };
  if (strcmp (parttype, "mbr") == 0)
    return "msdos";
  if (strcmp (parttype, "efi") == 0)
    return "gpt";
  if (strcmp (parttype, "rdb") == 0)
    return "amiga";
  for (const char *const *k = known; *k; k++)
    if (strcmp (parttype, *k) == 0)
      return *k;
  gd_error_errno (error, EINVAL,
                  "%s: unknown partition table type (use mbr or gpt; also msdos, efi, aix, "
                  "amiga, rdb, bsd, dvh, mac, pc98, sun)",
                  parttype);
  return NULL;
}

gboolean
gd_do_part_init (GdRequest *req, const GdDevice *device, const char *parttype, GError **error)
{
  const char *label = parted_label (parttype, error);
  if (label == NULL || !gd_parts_check_writable (device, error) ||
      !gd_parts_check_disk_idle (req, device, error))
    return FALSE;
  if (!run_parted (req, device, error, "mklabel", label, NULL))
    return FALSE;
  return gd_parts_sync (device, error);
}

gboolean
gd_do_part_disk (GdRequest *req, const GdDevice *device, const char *parttype, GError **error)
{
  const char *label = parted_label (parttype, error);
  if (label == NULL || !gd_parts_check_writable (device, error) ||
      !gd_parts_check_disk_idle (req, device, error))
    return FALSE;
  if (!run_parted (req, device, error, "mklabel", label, "mkpart", "primary", PART_DISK_START,
                   PART_DISK_END, NULL))
    return FALSE;
  return gd_parts_sync (device, error);
}

static const char *
prlogex_name (const char *prlogex)
{
  if (strcmp (prlogex, "p") == 0 || strcmp (prlogex, "primary") == 0)
    return "primary";
  if (strcmp (prlogex, "l") == 0 || strcmp (prlogex, "logical") == 0)
    return "logical";
  if (strcmp (prlogex, "e") == 0 || strcmp (prlogex, "extended") == 0)
    return "extended";
  return NULL;
}

/* A sector number the client gave: negative counts back from the end. */
static gint64
absolute_sector (const PartTable *t, gint64 sect)
{
  gint64 total = t->disk_size / t->sector_size;
  return sect < 0 ? total + sect : sect;
}

static gboolean
is_logical (const PartTable *t, const PartEntry *e)
{
  return is_label (t, "msdos") && e->num > 4;
}

gboolean
gd_do_part_add (GdRequest *req, const GdDevice *device, const char *prlogex, int64_t startsect,
                int64_t endsect, GError **error)
{
  const char *type = prlogex_name (prlogex);
  if (type == NULL)
    {
      gd_error_errno (error, EINVAL,
                      "%s: partition type must be primary, logical or extended (p, l or e)",
                      prlogex);
      return FALSE;
    }
  if (!gd_parts_check_writable (device, error))
    return FALSE;
  g_autoptr (PartTable) t = read_table (req, device, error);
  if (t == NULL)
    return FALSE;
  if (strcmp (type, "primary") != 0 && !is_label (t, "msdos"))
    {
      gd_error_errno (error, EINVAL, "%s: %s partitions exist only in MBR tables, not in '%s'",
                      device->guest, type, t->label);
      return FALSE;
    }

  /* Catch the common mistakes here, with a clear message; parted has the
   * last word on the finer rules (alignment, room for EBRs, GPT limits). */
  gint64 total = t->disk_size / t->sector_size;
  gint64 s = absolute_sector (t, startsect), e = absolute_sector (t, endsect);
  if (s < 0 || e < s || e >= total)
    {
      gd_error_errno (error, EINVAL,
                      "%s: sectors %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT
                      " are not a range inside the disk (sectors 0 to %" G_GINT64_FORMAT ")",
                      device->guest, startsect, endsect, total - 1);
      return FALSE;
    }
  gboolean logical = strcmp (type, "logical") == 0;
  gboolean inside_extended = FALSE;
  for (guint i = 0; i < t->parts->len; i++)
    {
      PartEntry *p = g_ptr_array_index (t->parts, i);
      gint64 ps = p->start / t->sector_size, pe = p->end / t->sector_size;
      if (!(s <= pe && e >= ps))
        continue;
      if (logical && !is_logical (t, p) && s > ps && e <= pe)
        {
          /* the extended partition it goes in (parted checks the type) */
          inside_extended = TRUE;
          continue;
        }
      if (!logical && is_logical (t, p))
        continue; /* its extended partition overlaps too, and is reported */
      gd_error_errno (error, EINVAL,
                      "%s: sectors %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT
                      " overlap partition %d (sectors %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT
                      ")",
                      device->guest, s, e, p->num, ps, pe);
      return FALSE;
    }
  if (logical && !inside_extended)
    {
      gd_error_errno (error, EINVAL,
                      "%s: a logical partition must lie inside an extended partition",
                      device->guest);
      return FALSE;
    }

  g_autofree char *start = g_strdup_printf ("%" G_GINT64_FORMAT "s", (gint64) startsect);
  g_autofree char *end = g_strdup_printf ("%" G_GINT64_FORMAT "s", (gint64) endsect);
  if (!run_parted (req, device, error, "mkpart", type, start, end, NULL))
    return FALSE;
  return gd_parts_sync (device, error);
}

gboolean
gd_do_part_del (GdRequest *req, const GdDevice *device, int partnum, GError **error)
{
  if (!gd_parts_check_writable (device, error))
    return FALSE;
  PartEntry *e;
  g_autoptr (PartTable) t = read_table_with (req, device, partnum, &e, error);
  if (t == NULL || !check_partition_idle (req, device, partnum, error))
    return FALSE;
  /* Deleting an extended partition deletes its logical partitions too. */
  if (is_label (t, "msdos") && partnum <= 4)
    for (guint i = 0; i < t->parts->len; i++)
      {
        PartEntry *p = g_ptr_array_index (t->parts, i);
        if (is_logical (t, p) && p->start >= e->start && p->end <= e->end &&
            !check_partition_idle (req, device, p->num, error))
          return FALSE;
      }
  g_autofree char *num = g_strdup_printf ("%d", partnum);
  if (!run_parted (req, device, error, "rm", num, NULL))
    return FALSE;
  return gd_parts_sync (device, error);
}

gboolean
gd_do_part_resize (GdRequest *req, const GdDevice *device, int partnum, int64_t endsect,
                   GError **error)
{
  if (!gd_parts_check_writable (device, error))
    return FALSE;
  PartEntry *e;
  g_autoptr (PartTable) t = read_table_with (req, device, partnum, &e, error);
  if (t == NULL)
    return FALSE;
  gint64 start = e->start / t->sector_size;
  gint64 end = absolute_sector (t, endsect);
  gint64 total = t->disk_size / t->sector_size;
  if (end < start || end >= total)
    {
      gd_error_errno (error, EINVAL,
                      "%s: partition %d starts at sector %" G_GINT64_FORMAT
                      ", it cannot end at sector %" G_GINT64_FORMAT,
                      device->guest, partnum, start, (gint64) endsect);
      return FALSE;
    }
  /* A mounted partition may be resized: the kernel's view is updated in
   * place (BLKPG_RESIZE_PARTITION). */
  g_autofree char *num = g_strdup_printf ("%d", partnum);
  g_autofree char *line = g_strdup_printf (",%" G_GINT64_FORMAT "\n", end - start + 1);
  const char *argv[] = { "sfdisk", "--no-reread", "--no-tell-kernel", "-q",
                         "-N",     num,           device->node,       NULL };
  GdRunOpts opts = {
    .argv = argv,
    .stdin_fd = -1,
    .stdout_fd = -1,
    .stdin_data = line,
    .stdin_len = strlen (line),
  };
  g_autoptr (GError) local = NULL;
  if (!gd_run_full (req, &opts, NULL, NULL, NULL, &local))
    {
      gd_error_errno (error, EINVAL,
                      "%s: cannot make partition %d end at sector %" G_GINT64_FORMAT
                      " (does it overlap the next partition?): %s",
                      device->guest, partnum, end, local->message);
      return FALSE;
    }
  return gd_parts_sync (device, error);
}

/* ------------------------------------------------------------------------
 * Reading tables.
 */

gboolean
gd_do_part_list (GdRequest *req, const GdDevice *device, gd_partition_list *ret, GError **error)
{
  g_autoptr (PartTable) t = read_table (req, device, error);
  if (t == NULL)
    return FALSE;
  ret->gd_partition_list_len = t->parts->len;
  ret->gd_partition_list_val = calloc (t->parts->len ? t->parts->len : 1, sizeof (gd_partition));
  if (ret->gd_partition_list_val == NULL)
    {
      ret->gd_partition_list_len = 0;
      gd_error_errno (error, ENOMEM, "out of memory");
      return FALSE;
    }
  for (guint i = 0; i < t->parts->len; i++)
    {
      PartEntry *e = g_ptr_array_index (t->parts, i);
      gd_partition *p = &ret->gd_partition_list_val[i];
      p->part_num = e->num;
      p->part_start = e->start;
      p->part_end = e->end;
      p->part_size = e->size;
    }
  return TRUE;
}

/* parted's name for the partition table libblkid finds on node, when it is
 * one of the two kinds whose names map one to one (MBR "dos" = "msdos",
 * "gpt"), or NULL.  libblkid reads the table read-only, in process;
 * parted opens the disk read-write, flushes the buffers of the disk and of
 * every partition, and its close makes udev probe them all again: 1.4-3.2
 * s per call under TCG (virt-filesystems --long asks once per
 * partition). */
static const char *
probe_table_type (const char *node)
{
  blkid_probe pr = blkid_new_probe_from_filename (node);
  if (pr == NULL)
    return NULL;
  blkid_probe_enable_superblocks (pr, 0);
  blkid_probe_enable_partitions (pr, 1);
  const char *type = NULL, *v;
  if (blkid_do_safeprobe (pr) == 0 && blkid_probe_lookup_value (pr, "PTTYPE", &v, NULL) == 0)
    type = strcmp (v, "gpt") == 0 ? "gpt" : strcmp (v, "dos") == 0 ? "msdos" : NULL;
  blkid_free_probe (pr);
  return type;
}

gboolean
gd_do_part_get_parttype (GdRequest *req, const GdDevice *device, char **ret, GError **error)
{
  /* Anything else (no table, other labels, parted's "loop") is parted's. */
  const char *type = probe_table_type (device->node);
  if (type != NULL)
    {
      *ret = g_strdup (type);
      return TRUE;
    }
  g_autoptr (PartTable) t = read_table (req, device, error);
  if (t == NULL)
    return FALSE;
  *ret = g_steal_pointer (&t->label);
  return TRUE;
}

gboolean
gd_do_part_get_bootable (GdRequest *req, const GdDevice *device, int partnum, gboolean *ret,
                         GError **error)
{
  PartEntry *e;
  g_autoptr (PartTable) t = read_table_with (req, device, partnum, &e, error);
  if (t == NULL)
    return FALSE;
  *ret = flags_contain (e->flags, "boot");
  return TRUE;
}

gboolean
gd_do_part_set_bootable (GdRequest *req, const GdDevice *device, int partnum, gboolean bootable,
                         GError **error)
{
  if (!gd_parts_check_writable (device, error))
    return FALSE;
  PartEntry *e;
  g_autoptr (PartTable) t = read_table_with (req, device, partnum, &e, error);
  if (t == NULL)
    return FALSE;
  g_autofree char *num = g_strdup_printf ("%d", partnum);
  if (!run_parted (req, device, error, "set", num, "boot", bootable ? "on" : "off", NULL))
    return FALSE;
  return gd_parts_sync (device, error);
}

gboolean
gd_do_part_set_name (GdRequest *req, const GdDevice *device, int partnum, const char *name,
                     GError **error)
{
  if (!gd_parts_check_writable (device, error))
    return FALSE;
  PartEntry *e;
  g_autoptr (PartTable) t = read_table_with (req, device, partnum, &e, error);
  if (t == NULL)
    return FALSE;
  g_autofree char *num = g_strdup_printf ("%d", partnum);
  if (is_label (t, "msdos"))
    {
      gd_error_errno (error, EINVAL, "%s: MBR (msdos) partitions have no names", device->guest);
      return FALSE;
    }
  gboolean ok;
  if (is_label (t, "gpt"))
    {
      /* sfdisk stores the name as given (parted would split it at spaces
       * and drop quotes). */
      if (g_utf8_strlen (name, -1) > 36 || !g_utf8_validate (name, -1, NULL))
        {
          gd_error_errno (error, EINVAL,
                          "%s: a GPT partition name is at most 36 characters of UTF-8",
                          device->guest);
          return FALSE;
        }
      ok = run_sfdisk (req, error, "--part-label", device->node, num, name, NULL);
    }
  else
    ok = run_parted (req, device, error, "name", num, name, NULL);
  return ok && gd_parts_sync (device, error);
}

gboolean
gd_do_part_get_name (GdRequest *req, const GdDevice *device, int partnum, char **ret,
                     GError **error)
{
  PartEntry *e;
  g_autoptr (PartTable) t = read_table_with (req, device, partnum, &e, error);
  if (t == NULL)
    return FALSE;
  if (is_label (t, "msdos"))
    {
      gd_error_errno (error, EINVAL, "%s: MBR (msdos) partitions have no names", device->guest);
      return FALSE;
    }
  if (is_label (t, "gpt"))
    {
      *ret = sfdisk_get (req, "--part-label", device, partnum, error);
      return *ret != NULL;
    }
  *ret = g_steal_pointer (&e->name);
  return TRUE;
}

/* ------------------------------------------------------------------------
 * MBR type bytes.
 */

static gboolean
get_mbr_id (GdRequest *req, const GdDevice *device, int partnum, int *ret, GError **error)
{
  g_autofree char *hex = sfdisk_get (req, "--part-type", device, partnum, error);
  if (hex == NULL)
    return FALSE;
  char *end = NULL;
  guint64 v = g_ascii_strtoull (hex, &end, 16);
  if (end == hex || *end != '\0' || v > 255)
    {
      gd_error (error, "%s: unexpected partition type from sfdisk: %s", device->guest, hex);
      return FALSE;
    }
  *ret = (int) v;
  return TRUE;
}

gboolean
gd_do_part_get_mbr_id (GdRequest *req, const GdDevice *device, int partnum, int *ret,
                       GError **error)
{
  PartEntry *e;
  g_autoptr (PartTable) t = read_table_with (req, device, partnum, &e, error);
  if (t == NULL || !require_label (device, t, "msdos", "an MBR type byte", error))
    return FALSE;
  return get_mbr_id (req, device, partnum, ret, error);
}

gboolean
gd_do_part_set_mbr_id (GdRequest *req, const GdDevice *device, int partnum, int idbyte,
                       GError **error)
{
  if (idbyte < 0 || idbyte > 255)
    {
      gd_error_errno (error, EINVAL, "MBR type byte %d is out of range (0 to 255)", idbyte);
      return FALSE;
    }
  if (!gd_parts_check_writable (device, error))
    return FALSE;
  PartEntry *e;
  g_autoptr (PartTable) t = read_table_with (req, device, partnum, &e, error);
  if (t == NULL || !require_label (device, t, "msdos", "an MBR type byte", error))
    return FALSE;
  g_autofree char *num = g_strdup_printf ("%d", partnum);
  g_autofree char *hex = g_strdup_printf ("%x", (unsigned) idbyte);
  if (!run_sfdisk (req, error, "--part-type", device->node, num, hex, NULL))
    return FALSE;
  return gd_parts_sync (device, error);
}

gboolean
gd_do_part_get_mbr_part_type (GdRequest *req, const GdDevice *device, int partnum, char **ret,
                              GError **error)
{
  PartEntry *e;
  g_autoptr (PartTable) t = read_table_with (req, device, partnum, &e, error);
  if (t == NULL)
    return FALSE;
  if (is_label (t, "gpt"))
    {
      *ret = g_strdup ("primary");
      return TRUE;
    }
  if (!require_label (device, t, "msdos", "an MBR partition type", error))
    return FALSE;
  if (partnum > 4)
    {
      *ret = g_strdup ("logical");
      return TRUE;
    }
  int id;
  if (!get_mbr_id (req, device, partnum, &id, error))
    return FALSE;
  /* DOS extended (CHS), Windows extended (LBA), Linux extended. */
  *ret = g_strdup (id == 0x05 || id == 0x0f || id == 0x85 ? "extended" : "primary");
  return TRUE;
}

/* ------------------------------------------------------------------------
 * GPT (the gdisk group).
 */

static gboolean
valid_guid (const char *guid, GError **error)
{
  static const int groups[] = { 8, 4, 4, 4, 12 };
  const char *p = guid;
  for (guint g = 0; g < G_N_ELEMENTS (groups); g++)
    {
      for (int i = 0; i < groups[g]; i++, p++)
        if (!g_ascii_isxdigit (*p))
          goto bad;
      if (g + 1 < G_N_ELEMENTS (groups) && *p++ != '-')
        goto bad;
    }
  if (*p == '\0')
    return TRUE;
bad:
  gd_error_errno (error, EINVAL, "%s: not a GUID (expected XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX)",
                  guid);
  return FALSE;
}

/* The value after "FIELD: " in sgdisk -i N's output, up to a space. */
static char *
sgdisk_info (GdRequest *req, const GdDevice *device, int partnum, const char *field, GError **error)
{
  g_autofree char *spec = g_strdup_printf ("%d", partnum);
  const char *argv[] = { "sgdisk", "-i", spec, device->node, NULL };
  g_autofree char *out = NULL;
  if (!gd_runv (req, argv, GD_RUN_DEFAULT, &out, error))
    return NULL;
  g_auto (GStrv) lines = gd_split_lines (out);
  size_t flen = strlen (field);
  for (char **l = lines; *l; l++)
    if (strncmp (*l, field, flen) == 0 && (*l)[flen] == ':')
      {
        const char *v = *l + flen + 1;
        while (*v == ' ')
          v++;
        size_t n = strcspn (v, " ");
        return g_ascii_strup (v, (gssize) n);
      }
  gd_error (error, "%s: sgdisk did not report '%s' for partition %d", device->guest, field,
            partnum);
  return NULL;
}

static PartTable *
read_gpt_with (GdRequest *req, const GdDevice *device, int partnum, const char *what,
               GError **error)
{
  PartEntry *e;
  g_autoptr (PartTable) t = read_table_with (req, device, partnum, &e, error);
  if (t == NULL || !require_label (device, t, "gpt", what, error))
    return NULL;
  return g_steal_pointer (&t);
}

static PartTable *
read_gpt (GdRequest *req, const GdDevice *device, const char *what, GError **error)
{
  g_autoptr (PartTable) t = read_table (req, device, error);
  if (t == NULL || !require_label (device, t, "gpt", what, error))
    return NULL;
  return g_steal_pointer (&t);
}

/* One sfdisk --part-xxx/--disk-id change on a GPT disk. */
static gboolean
gpt_set (GdRequest *req, const GdDevice *device, const char *opt, int partnum, const char *value,
         const char *what, GError **error)
{
  if (!gd_parts_check_writable (device, error))
    return FALSE;
  g_autoptr (PartTable) t = partnum > 0 ? read_gpt_with (req, device, partnum, what, error)
                                        : read_gpt (req, device, what, error);
  if (t == NULL)
    return FALSE;
  g_autofree char *num = g_strdup_printf ("%d", partnum);
  gboolean ok = partnum > 0 ? run_sfdisk (req, error, opt, device->node, num, value, NULL)
                            : run_sfdisk (req, error, opt, device->node, value, NULL);
  return ok && gd_parts_sync (device, error);
}

gboolean
gd_do_part_set_gpt_type (GdRequest *req, const GdDevice *device, int partnum, const char *guid,
                         GError **error)
{
  if (!check_partnum (device, partnum, error) || !valid_guid (guid, error))
    return FALSE;
  return gpt_set (req, device, "--part-type", partnum, guid, "a GPT type", error);
}

gboolean
gd_do_part_get_gpt_type (GdRequest *req, const GdDevice *device, int partnum, char **ret,
                         GError **error)
{
  PartEntry *e;
  g_autoptr (PartTable) t = read_table_with (req, device, partnum, &e, error);
  if (t == NULL)
    return FALSE;
  if (is_label (t, "gpt"))
    return sfdisk_get_guid (req, "--part-type", device, partnum, ret, error);
  if (!require_label (device, t, "msdos", "a GPT type", error))
    return FALSE;
  /* For MBR, the type GUID a conversion to GPT would give (sgdisk only
   * converts in memory here: nothing is written). */
  *ret = sgdisk_info (req, device, partnum, "Partition GUID code", error);
  return *ret != NULL;
}

gboolean
gd_do_part_set_gpt_guid (GdRequest *req, const GdDevice *device, int partnum, const char *guid,
                         GError **error)
{
  if (!check_partnum (device, partnum, error) || !valid_guid (guid, error))
    return FALSE;
  return gpt_set (req, device, "--part-uuid", partnum, guid, "a partition GUID", error);
}

gboolean
gd_do_part_get_gpt_guid (GdRequest *req, const GdDevice *device, int partnum, char **ret,
                         GError **error)
{
  g_autoptr (PartTable) t = read_gpt_with (req, device, partnum, "a partition GUID", error);
  if (t == NULL)
    return FALSE;
  return sfdisk_get_guid (req, "--part-uuid", device, partnum, ret, error);
}

gboolean
gd_do_part_set_disk_guid (GdRequest *req, const GdDevice *device, const char *guid, GError **error)
{
  if (!valid_guid (guid, error))
    return FALSE;
  return gpt_set (req, device, "--disk-id", 0, guid, "a disk GUID", error);
}

gboolean
gd_do_part_set_disk_guid_random (GdRequest *req, const GdDevice *device, GError **error)
{
  g_autofree char *guid = g_uuid_string_random ();
  return gpt_set (req, device, "--disk-id", 0, guid, "a disk GUID", error);
}

gboolean
gd_do_part_get_disk_guid (GdRequest *req, const GdDevice *device, char **ret, GError **error)
{
  g_autoptr (PartTable) t = read_gpt (req, device, "a disk GUID", error);
  if (t == NULL)
    return FALSE;
  return sfdisk_get_guid (req, "--disk-id", device, 0, ret, error);
}

gboolean
gd_do_part_set_gpt_attributes (GdRequest *req, const GdDevice *device, int partnum,
                               int64_t attributes, GError **error)
{
  if (!check_partnum (device, partnum, error) || !gd_parts_check_writable (device, error))
    return FALSE;
  g_autoptr (PartTable) t = read_gpt_with (req, device, partnum, "GPT attributes", error);
  if (t == NULL)
    return FALSE;
  guint64 bits = (guint64) attributes;
  g_autofree char *num = g_strdup_printf ("%d", partnum);
  gboolean ok;
  if ((bits & G_GUINT64_CONSTANT (0x0000fffffffffff8)) == 0)
    {
      /* sfdisk names bits 0-2 and the type-specific 48-63, and (unlike
       * sgdisk) does not pause a second after writing. */
      static const char *const names[] = { "RequiredPartition", "NoBlockIOProtocol",
                                           "LegacyBIOSBootable" };
      g_autoptr (GString) list = g_string_new (NULL);
      for (guint bit = 0; bit < 64; bit++)
        if (bits & (G_GUINT64_CONSTANT (1) << bit))
          {
            if (list->len)
              g_string_append_c (list, ',');
            if (bit < 3)
              g_string_append (list, names[bit]);
            else
              g_string_append_printf (list, "%u", bit);
          }
      ok = run_sfdisk (req, error, "--part-attrs", device->node, num, list->str, NULL);
    }
  else
    {
      /* Bits 3-47 (reserved by the UEFI spec) only sgdisk can set. */
      g_autofree char *spec = g_strdup_printf ("%d:=:%" G_GINT64_MODIFIER "x", partnum, bits);
      const char *argv[] = { "sgdisk", "-A", spec, device->node, NULL };
      ok = gd_runv (req, argv, GD_RUN_DEFAULT, NULL, error);
    }
  return ok && gd_parts_sync (device, error);
}

gboolean
gd_do_part_get_gpt_attributes (GdRequest *req, const GdDevice *device, int partnum, int64_t *ret,
                               GError **error)
{
  g_autoptr (PartTable) t = read_gpt_with (req, device, partnum, "GPT attributes", error);
  if (t == NULL)
    return FALSE;
  g_autofree char *hex = sgdisk_info (req, device, partnum, "Attribute flags", error);
  if (hex == NULL)
    return FALSE;
  char *end = NULL;
  errno = 0;
  guint64 v = g_ascii_strtoull (hex, &end, 16);
  if (errno != 0 || end == hex || *end != '\0')
    {
      gd_error (error, "%s: unexpected attribute flags from sgdisk: %s", device->guest, hex);
      return FALSE;
    }
  *ret = (int64_t) v;
  return TRUE;
}

gboolean
gd_do_part_expand_gpt (GdRequest *req, const GdDevice *device, GError **error)
{
  if (!gd_parts_check_writable (device, error))
    return FALSE;
  g_autoptr (PartTable) t = read_gpt (req, device, "moving the backup GPT", error);
  if (t == NULL)
    return FALSE;
  const char *argv[] = { "sgdisk", "-e", device->node, NULL };
  if (!gd_runv (req, argv, GD_RUN_DEFAULT, NULL, error))
    return FALSE;
  return gd_parts_sync (device, error);
}
